"""Speeds per travel mode and road class, and OSM ``maxspeed`` values.

Modes and default speeds
------------------------
Speeds are km/h per OSM ``highway`` class; a class absent from a mode's column
(``-``) is not usable by that mode. ``ebike`` is the electric two-wheeler
(电动自行车) of rural China: a non-motor vehicle limited by law (GB 17761-2018)
to 25 km/h, allowed where bicycles are.

==================  =====  =====  =====  =====
highway             walk   bike   ebike  drive
==================  =====  =====  =====  =====
motorway            \\-     \\-     \\-     100
motorway_link       \\-     \\-     \\-      50
trunk               5      15     22      80
trunk_link          5      15     20      40
primary             5      15     22      60
primary_link        5      15     20      40
secondary           5      15     22      50
secondary_link      5      15     20      35
tertiary            5      15     20      40
tertiary_link       5      15     20      30
unclassified        5      15     20      30
residential         5      15     20      25
living_street       5      10     10      10
service             5      12     12      15
road                5      15     18      30
track               5      12     15      15
cycleway            5      16     20      \\-
bridleway           5      8      8       \\-
path                5      8      8       \\-
footway             5      5      5       \\-
pedestrian          5      5      5       \\-
corridor            5      \\-     \\-      \\-
steps               2.5    \\-     \\-      \\-
==================  =====  =====  =====  =====

Bicycles and e-bikes on ``footway``/``pedestrian`` are pushed (5 km/h). The
configuration key ``speeds_kmh`` overrides single classes (``{residential: 4.5}``)
or adds classes; ``speed_kmh`` replaces the table with one speed for every edge.

``maxspeed`` values
-------------------
For driving the tag gives the edge's speed; for cycling and e-bikes it caps the
table's speed. Plain numbers are km/h; ``mph`` and ``knots`` units are
converted; ``a;b`` takes the lower; implicit zones (``CN:urban``, ``DE:rural``,
``GB:nsl_single``, ``RU:motorway``, ``walk``, ``living_street`` …) take the
legal default in :data:`MAXSPEED_ZONES` or, for an unknown country, the generic
zone value; ``none``, ``signals`` and anything unreadable fall back to the table.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ..errors import InputError

__all__ = [
    "MAXSPEED_ZONES",
    "MODES",
    "SPEEDS_KMH",
    "overrides_for_mode",
    "parse_maxspeed",
    "speed_table",
]

#: Travel modes with a default speed table.
MODES = ("walk", "bike", "ebike", "drive")

# highway class: (walk, bike, ebike, drive); None = not usable by that mode
_TABLE: dict[str, tuple[float | None, float | None, float | None, float | None]] = {
    "motorway": (None, None, None, 100.0),
    "motorway_link": (None, None, None, 50.0),
    "trunk": (5.0, 15.0, 22.0, 80.0),
    "trunk_link": (5.0, 15.0, 20.0, 40.0),
    "primary": (5.0, 15.0, 22.0, 60.0),
    "primary_link": (5.0, 15.0, 20.0, 40.0),
    "secondary": (5.0, 15.0, 22.0, 50.0),
    "secondary_link": (5.0, 15.0, 20.0, 35.0),
    "tertiary": (5.0, 15.0, 20.0, 40.0),
    "tertiary_link": (5.0, 15.0, 20.0, 30.0),
    "unclassified": (5.0, 15.0, 20.0, 30.0),
    "residential": (5.0, 15.0, 20.0, 25.0),
    "living_street": (5.0, 10.0, 10.0, 10.0),
    "service": (5.0, 12.0, 12.0, 15.0),
    "road": (5.0, 15.0, 18.0, 30.0),
    "track": (5.0, 12.0, 15.0, 15.0),
    "cycleway": (5.0, 16.0, 20.0, None),
    "bridleway": (5.0, 8.0, 8.0, None),
    "path": (5.0, 8.0, 8.0, None),
    "footway": (5.0, 5.0, 5.0, None),
    "pedestrian": (5.0, 5.0, 5.0, None),
    "corridor": (5.0, None, None, None),
    "steps": (2.5, None, None, None),
}

#: Default speed table per mode: highway class -> km/h. Classes absent are not usable.
SPEEDS_KMH: Mapping[str, Mapping[str, float]] = {
    mode: {hw: row[i] for hw, row in _TABLE.items() if row[i] is not None}  # type: ignore[misc]
    for i, mode in enumerate(MODES)
}


#: Implicit ``maxspeed`` zones (km/h): ``"<country>:<zone>"`` first, then ``"<zone>"``.
MAXSPEED_ZONES: Mapping[str, float] = {
    # China: Road Traffic Safety Law implementing regulations, art. 45/78
    "CN:urban": 50.0,
    "CN:rural": 70.0,
    "CN:motorway": 120.0,
    "CN:expressway": 120.0,
    "DE:urban": 50.0,
    "DE:rural": 100.0,
    "FR:urban": 50.0,
    "FR:rural": 80.0,
    "RU:urban": 60.0,
    "RU:rural": 90.0,
    "RU:motorway": 110.0,
    "GB:nsl_single": 96.56,
    "GB:nsl_dual": 112.65,
    "GB:motorway": 112.65,
    "urban": 50.0,
    "rural": 80.0,
    "trunk": 90.0,
    "motorway": 110.0,
    "living_street": 10.0,
    "walk": 7.0,
    "zone30": 30.0,
    "zone20": 20.0,
}
_MAXSPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)
_UNIT = {None: 1.0, "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.609344, "knots": 1.852}


def parse_maxspeed(value: Any) -> float:
    """One OSM ``maxspeed`` value in km/h, or NaN when it gives no usable limit.

    Parameters
    ----------
    value : str or None
        The tag value, e.g. ``"50"``, ``"30 mph"``, ``"50;70"``, ``"CN:urban"``.

    Returns
    -------
    float
        km/h (the lowest of several ``;``-separated values); NaN for ``none``,
        ``signals``, missing or unreadable values.

    Examples
    --------
    >>> parse_maxspeed("50"), round(parse_maxspeed("30 mph"), 2), parse_maxspeed("CN:urban")
    (50.0, 48.28, 50.0)
    >>> parse_maxspeed("60;40"), parse_maxspeed("none")
    (40.0, nan)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    best = math.inf
    for part in str(value).split(";"):
        part = part.strip()
        match = _MAXSPEED_RE.match(part)
        if match:
            unit = match.group(2).lower() if match.group(2) else None
            kmh = float(match.group(1)) * _UNIT[unit]
        elif part in MAXSPEED_ZONES:
            kmh = MAXSPEED_ZONES[part]
        elif ":" in part:
            country, _, zone = part.partition(":")
            key = f"{country.upper()}:{zone.lower()}"
            kmh = MAXSPEED_ZONES.get(key, MAXSPEED_ZONES.get(zone.lower(), math.nan))
        else:
            kmh = MAXSPEED_ZONES.get(part.lower(), math.nan)
        if kmh > 0:
            best = min(best, kmh)
    return best if math.isfinite(best) else math.nan


def speed_table(mode: str, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """The speed table of a mode with per-class overrides applied.

    Parameters
    ----------
    mode : str
        One of :data:`MODES`.
    overrides : mapping of str to float, optional
        ``highway`` class -> km/h; replaces or adds classes.

    Returns
    -------
    dict of str to float

    Raises
    ------
    InputError
        For an unknown mode or a non-positive speed.

    Examples
    --------
    >>> speed_table("walk", {"residential": 4.5})["residential"]
    4.5
    """
    if mode not in SPEEDS_KMH:
        raise InputError(f"mode '{mode}' is not known; use one of {', '.join(MODES)}")
    table = dict(SPEEDS_KMH[mode])
    for key, kmh in (overrides or {}).items():
        if not (isinstance(kmh, (int, float)) and math.isfinite(kmh) and kmh > 0):
            raise InputError(
                f"speeds_kmh: speed of '{key}' must be a positive number of km/h, got {kmh!r}"
            )
        table[str(key)] = float(kmh)
    return table


def overrides_for_mode(
    speeds_kmh: Mapping[str, Any] | None, mode: str
) -> Mapping[str, float] | None:
    """Per-class overrides of one mode from a flat or a per-mode mapping."""
    if not speeds_kmh:
        return None
    if any(isinstance(v, Mapping) for v in speeds_kmh.values()):
        return speeds_kmh.get(mode)
    return speeds_kmh
