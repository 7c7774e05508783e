"""Parsers of single configuration values, shared by :mod:`coverage.config`.

Each parser takes the raw value read from YAML and returns the validated value, or
raises :class:`Invalid` with the reason (the caller adds the key and collects every
problem into one :class:`~coverage.errors.ConfigError`).

Examples
--------
>>> from coverage.config_fields import minutes_list, Invalid
>>> minutes_list([15, 5, 10])
(5.0, 10.0, 15.0)
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from .metrics.catchments import StaffRule, staff_rules_from_mapping
from .metrics.requirements import TierRule, tier_rules_from_mapping
from .metrics.targets import Target, targets_from_mapping

__all__ = [
    "MODES",
    "NETWORK_COLUMN_KEYS",
    "STATION_COLUMN_KEYS",
    "Invalid",
    "basemap",
    "boundaries",
    "columns",
    "crs",
    "flag",
    "lang",
    "level_name",
    "minutes_list",
    "mode",
    "names",
    "non_negative",
    "nonempty_text",
    "opt_crs",
    "opt_encoding",
    "opt_group_factors",
    "opt_modes",
    "opt_network_columns",
    "opt_parent_columns",
    "opt_path",
    "opt_positive",
    "opt_sheet",
    "opt_station_columns",
    "opt_text",
    "path",
    "plain_name",
    "positive",
    "require",
    "share",
    "snap_to",
    "spec",
    "speeds",
    "staffing",
    "targets",
]

MODES = ("walk", "bike", "ebike", "drive")


class Invalid(Exception):
    """Raised by a field parser; collected into one :class:`ConfigError`."""


def nonempty_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"must be a non-empty text, got {value!r}")
    return value.strip()


def plain_name(value: Any) -> str:
    text = nonempty_text(value)
    if any(ch in text for ch in '/\\:*?"<>|') or text in {".", ".."} or text.startswith("."):
        raise Invalid(
            f'must be a plain name usable as a folder name (no / \\ : * ? " < > | and not '
            f"starting with a dot), got {value!r}"
        )
    return text


def opt_text(value: Any) -> str | None:
    return None if value is None else nonempty_text(value)


def path(value: Any) -> Path:
    if isinstance(value, Path):
        return value
    return Path(nonempty_text(value))


def opt_path(value: Any) -> Path | None:
    return None if value is None else path(value)


def positive(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"must be a number, got {value!r}")
    if not value > 0 or value != value or value == float("inf"):
        raise Invalid(f"must be a positive finite number, got {value!r}")
    return float(value)


def opt_positive(value: Any) -> float | None:
    return None if value is None else positive(value)


def bounded(
    low: float, high: float, *, low_open: bool = True, unit: str = "", note: str = ""
) -> Callable[[Any], float]:
    """A parser of a finite number in ``(low, high]`` (``[low, high]`` if not ``low_open``).

    The message quotes the value as written in the file (``got 1e9``) and the range
    with its unit, e.g. ``must be above 0 and at most 1440 min (a day), got 1e9``.

    Examples
    --------
    >>> minutes = bounded(0, 1440, unit=" min", note=" (a day)")
    >>> minutes(15)
    15.0
    >>> minutes(1e9)
    Traceback (most recent call last):
    ...
    coverage.config_fields.Invalid: must be above 0 and at most 1440 min (a day), got 1000000000.0
    """
    lower = f"above {low:g}" if low_open else f"at least {low:g}"
    text = f"must be {lower} and at most {high:g}{unit}{note}"

    def parse(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Invalid(f"must be a number, got {value!r}")
        if value != value or value in (float("inf"), float("-inf")):
            raise Invalid(f"must be a finite number, got {value!r}")
        if value > high or value < low or (low_open and value == low):
            raise Invalid(f"{text}, got {value!r}")
        return float(value)

    return parse


def optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``parse`` that lets None through (an unset optional key)."""
    return lambda value: None if value is None else parse(value)


#: Longest threshold: a day.
MAX_MINUTES = 1440.0
#: Fastest speed accepted anywhere (a motorway by car is 120).
MAX_SPEED_KMH = 200.0
#: Longest straight-line access leg (100 km).
MAX_ACCESS_M = 100_000.0

threshold_minutes = bounded(0, MAX_MINUTES, unit=" min", note=" (a day)")
speed = bounded(0, MAX_SPEED_KMH, unit=" km/h")
access_m = bounded(0, MAX_ACCESS_M, unit=" m")
#: Grid cells: at least 1 m (finer grids do not fit in memory), at most 10 km.
cell_m = bounded(1, 10_000, low_open=False, unit=" m")
#: Distances within which stations count as one site (0 turns the check off).
duplicate_m = bounded(0, 1000, low_open=False, unit=" m")


def minutes_list(value: Any) -> tuple[float, ...]:
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise Invalid("must be a number of minutes or a list of them, e.g. 15 or [5, 10, 15]")
    parsed = tuple(sorted({threshold_minutes(v) for v in values}))
    return parsed


def mode(value: Any) -> str:
    text = nonempty_text(value).lower()
    if text not in MODES:
        raise Invalid(f"must be one of {', '.join(MODES)}, got {value!r}")
    return text


def opt_modes(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise Invalid(f"must list one or more of {', '.join(MODES)}, e.g. [walk, ebike]")
    return tuple(dict.fromkeys(mode(v) for v in values))


def speeds(value: Any) -> dict[str, Any] | None:
    """``{class: kmh}`` for every mode, or ``{mode: {class: kmh}}``."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not value:
        raise Invalid("must map highway classes to km/h, e.g. {residential: 4.5}")
    if all(isinstance(v, Mapping) for v in value.values()):
        return {mode(m): speeds(table) for m, table in value.items()}
    out: dict[str, Any] = {}
    for key, kmh in value.items():
        try:
            out[nonempty_text(key)] = speed(kmh)
        except Invalid as exc:
            raise Invalid(f"speed of '{key}' {exc}") from None
    return out


def snap_to(value: Any) -> str:
    text = nonempty_text(value).lower()
    if text not in ("edge", "node"):
        raise Invalid(f"must be 'edge' or 'node', got {value!r}")
    return text


def crs(value: Any) -> str:
    text = nonempty_text(str(value) if isinstance(value, int) else value)
    if text.isdigit():
        text = f"EPSG:{text}"
    if text.upper().replace("_", "-") in {"GCJ-02", "GCJ02", "BD-09", "BD09"}:
        return text.upper().replace("_", "-").replace("GCJ02", "GCJ-02").replace("BD09", "BD-09")
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(text)
    except CRSError:
        raise Invalid(
            f"is not a coordinate reference system pyproj knows: {text!r} "
            "(use e.g. EPSG:4326, GCJ-02 or BD-09)"
        ) from None
    return text


def opt_crs(value: Any) -> str | None:
    return None if value is None else crs(value)


def opt_metric_crs(value: Any) -> str | None:
    """A projected CRS in metres (distances are measured in it), or None."""
    if value is None:
        return None
    text = crs(value)
    from pyproj import CRS

    parsed = None if text in ("GCJ-02", "BD-09") else CRS.from_user_input(text)
    if parsed is None or parsed.is_geographic:
        problem = "is in longitude/latitude degrees"
    elif not parsed.is_projected:
        problem = "is not a map projection"
    elif parsed.axis_info and parsed.axis_info[0].unit_name not in ("metre", "meter"):
        problem = f"is in {parsed.axis_info[0].unit_name}"
    elif _stretched(parsed):
        problem = "is a Mercator projection, whose metres are stretched away from the equator"
    else:
        return text
    raise Invalid(
        f"must be a projected CRS in metres, but {text} {problem}; remove it to use the local "
        "UTM zone, or give e.g. EPSG:32650 or EPSG:4549"
    )


def _stretched(crs: Any) -> bool:
    """Mercator (Web Mercator included): lengths grow by 1/cos(latitude)."""
    op = crs.coordinate_operation
    method = (op.method_name if op is not None else "").lower()
    return "mercator" in method and "transverse" not in method and "oblique" not in method


#: Standard station columns a ``stations_columns`` mapping may name (see
#: :data:`coverage.inputs.stations.STATION_COLUMNS`).
STATION_COLUMN_KEYS = (
    "id", "name", "tier", "lon", "lat", "address", "services", "staff", "hours",
)  # fmt: skip


def opt_encoding(value: Any) -> str | None:
    if value is None:
        return None
    import codecs

    text = nonempty_text(value)
    try:
        codecs.lookup(text)
    except LookupError:
        raise Invalid(
            f"is not a text encoding Python knows: {text!r} (use utf-8, gbk, gb18030)"
        ) from None
    return text


def opt_sheet(value: Any) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return nonempty_text(value)


def columns(value: Any, allowed: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(value, Mapping) or not value:
        raise Invalid(
            "must be a mapping of standard names to column headers, e.g. {name: 网点名称}"
        )
    out = {}
    for key, header in value.items():
        if key not in allowed:
            guess = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            raise Invalid(f"has an unknown name {key!r}{hint}; use {', '.join(allowed)}")
        out[str(key)] = nonempty_text(str(header) if isinstance(header, int) else header)
    return out


def opt_station_columns(value: Any) -> dict[str, str] | None:
    return None if value is None else columns(value, STATION_COLUMN_KEYS)


def opt_group_factors(value: Any) -> dict[str, float] | None:
    """``{group: speed multiplier}``, each in (0, 2]."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not value:
        raise Invalid("must map population groups to speed factors, e.g. {age_65_plus: 0.75}")
    out = {}
    for key, factor in value.items():
        kmh = positive(factor)
        if kmh > 2:
            raise Invalid(f"factor of '{key}' must be at most 2, got {factor!r}")
        out[nonempty_text(str(key))] = kmh
    return out


#: Standard columns of a road layer a ``network_columns`` mapping may name (see
#: :mod:`coverage.inputs.road_layer`).
NETWORK_COLUMN_KEYS = ("class", "speed", "oneway", "name")


def opt_network_columns(value: Any) -> dict[str, str] | None:
    return None if value is None else columns(value, NETWORK_COLUMN_KEYS)


def level_name(key: Any) -> str:
    text = nonempty_text(key)
    if not text.replace("_", "").replace("-", "").isalnum():
        raise Invalid(f"level name {key!r} must be letters, digits, '_' or '-'")
    return text


def boundaries(value: Any) -> Path | dict[str, Path] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        if not value:
            raise Invalid("must be a path or a mapping of levels to paths, e.g. {township: t.shp}")
        return {level_name(k): path(v) for k, v in value.items()}
    return path(value)


def opt_parent_columns(value: Any) -> dict[str, str] | None:
    """``{level: column}``: the column of a level's file naming its parent unit."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not value:
        raise Invalid("must map a lower level to the column naming its parent, e.g. "
                      "{village: 乡镇名称}")  # fmt: skip
    return {level_name(k): nonempty_text(str(v) if isinstance(v, int) else v)
            for k, v in value.items()}  # fmt: skip


def names(value: Any) -> str | dict[str, str]:
    if isinstance(value, Mapping):
        if not value:
            raise Invalid("must be an attribute name or a mapping of levels to attribute names")
        return {level_name(k): nonempty_text(v) for k, v in value.items()}
    return nonempty_text(value)


def share(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"must be a number, got {value!r}")
    if not 0 < value <= 1:
        raise Invalid(f"must be a share in (0, 1], e.g. 0.9 for 90%, got {value!r}")
    return float(value)


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, got {value!r}")
    return value


def non_negative(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"must be a number, got {value!r}")
    if not 0 <= value < float("inf"):
        raise Invalid(f"must be a finite number >= 0, got {value!r}")
    return float(value)


def targets(value: Any) -> tuple[Target, ...]:
    try:
        return targets_from_mapping(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def require(value: Any) -> tuple[TierRule, ...]:
    try:
        return tier_rules_from_mapping(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def staffing(value: Any) -> tuple[StaffRule, ...]:
    try:
        return staff_rules_from_mapping(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def basemap(value: Any) -> Any:
    from .outputs.basemaps import basemap_from_spec

    try:
        return basemap_from_spec(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def lang(value: Any) -> str:
    text = nonempty_text(value).lower()
    if text not in ("en", "zh"):
        raise Invalid(f"must be zh (Chinese) or en (English), got {value!r}")
    return text


def spec(parse: Callable[[Any], Any], help: str, *, default: Any = dataclasses.MISSING) -> Any:
    """A configuration field: its parser, one line of help, and its default."""
    meta = {"parse": parse, "help": help}
    if default is dataclasses.MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


def output_crs(value: Any) -> str:
    """A CRS for the GIS layers: an EPSG code or anything pyproj reads, not GCJ-02/BD-09."""
    text = crs(value)
    if text in ("GCJ-02", "BD-09"):
        raise Invalid(
            f"{text} is a display offset, not a CRS for GIS layers; use EPSG:4490 (CGCS2000), "
            "a Gauss-Krüger zone such as EPSG:4549, or EPSG:4326"
        )
    from pyproj import CRS

    parsed = CRS.from_user_input(text)
    if not (parsed.is_geographic or parsed.is_projected):
        raise Invalid(f"must be a geographic or projected CRS, got {text!r}")
    return text


def shapefile_encoding(value: Any) -> str:
    """``utf-8`` or ``gbk``: the text encoding of the Shapefiles' attribute tables."""
    text = nonempty_text(value).lower().replace("_", "-")
    aliases = {"utf-8": "utf-8", "utf8": "utf-8", "gbk": "gbk", "cp936": "gbk", "gb18030": "gbk"}
    if text not in aliases:
        raise Invalid(f"must be utf-8 or gbk, got {value!r}")
    return aliases[text]
