"""Which ways a travel mode may use, in which directions, and where points may join them.

Tags honoured
-------------
- **access**, most specific tag first: walk ``foot`` > ``access``; bike and ebike
  ``bicycle`` > ``vehicle`` > ``access``; drive ``motorcar`` > ``motor_vehicle`` >
  ``vehicle`` > ``access``. The first of these that is set decides: ``no``,
  ``private``, ``agricultural``, ``forestry``, ``military`` deny the way, any
  other value allows it. ``area=yes`` ways (pedestrian squares) are left out.
- **oneway** (drive, bike, ebike; walking ignores it): ``yes``/``true``/``1``
  forward only, ``-1``/``reverse`` backward only, ``junction=roundabout`` and
  ``highway=motorway`` imply ``yes``. For bike and ebike ``oneway:bicycle``
  overrides (``no`` makes a one-way street two-way for cyclists).
- **route=ferry** ways are ferry edges for every mode their access tags allow
  (the same hierarchy as roads: a ferry tagged ``motor_vehicle=no`` carries no
  cars), as OSRM's profiles treat them.

The linking rule
----------------
Residents, stations, siting candidates and what-if points join the network only
where a traveller could step onto it, the rule R5 follows (its street layer
marks such edges ``LINKABLE``). A way is *not linkable* when it is a tunnel
(``tunnel`` set to anything but ``no``), ``indoor=yes``, ``highway=corridor`` or
``elevator``, ``location=underground``, below ground (``layer < 0`` or
``level < 0``), or a ferry; for driving, motorways and their links are not
linkable either (trunks stay linkable: in Chinese counties the national road is
often the village's main street). ``highway=steps`` is linkable unless the access
model says otherwise (``link_to_steps: false``; outdoor steps are a place to
step onto, as in R5). Such ways stay routable: a journey may pass through a
tunnel, it only never starts or ends in one.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["UNLINKABLE_HIGHWAY", "allowed", "directions", "is_ferry", "linkable", "tag"]

# most specific access tag first
_ACCESS_KEYS = {
    "walk": ("foot", "access"),
    "bike": ("bicycle", "vehicle", "access"),
    "ebike": ("bicycle", "vehicle", "access"),
    "drive": ("motorcar", "motor_vehicle", "vehicle", "access"),
}
_DENY = ["no", "private", "agricultural", "forestry", "military"]

#: ``highway`` classes never linkable (per mode; ``"*"`` for every mode).
UNLINKABLE_HIGHWAY = {
    "*": ("corridor", "elevator"),
    "drive": ("motorway", "motorway_link"),
}

_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)(?:\s*-\s*(-?\d+(?:\.\d+)?))?\s*$")


def tag(ways: pd.DataFrame, key: str) -> pd.Series:
    """A tag's values, stripped and lower case ('' where unset)."""
    if key not in ways.columns:
        return pd.Series("", index=ways.index, dtype="string")
    # a few distinct values over many segments: clean each distinct value once
    codes, values = pd.factorize(ways[key], use_na_sentinel=True)
    clean = pd.Series(values, dtype="string").fillna("").str.strip().str.lower()
    table = np.append(clean.to_numpy(dtype=object), "")  # code -1 (unset) -> ''
    return pd.Series(table[codes], index=ways.index, dtype="string", name=key)


def allowed(ways: pd.DataFrame, mode: str) -> np.ndarray:
    """True where the most specific access tag set for the mode does not deny the way."""
    decided = np.zeros(len(ways), dtype=bool)
    ok = np.ones(len(ways), dtype=bool)
    for key in _ACCESS_KEYS[mode]:
        value = tag(ways, key).to_numpy(dtype=object)
        now = ~decided & (value != "")
        ok[now] = ~np.isin(value[now], _DENY)
        decided |= now
    return ok


def directions(ways: pd.DataFrame, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """(forward allowed, backward allowed) of each segment for the mode."""
    n = len(ways)
    if mode == "walk":
        return np.ones(n, dtype=bool), np.ones(n, dtype=bool)
    oneway = tag(ways, "oneway").to_numpy(dtype=object)
    implied = (tag(ways, "junction").isin(["roundabout", "circular"])) | (
        tag(ways, "highway") == "motorway"
    )
    oneway = np.where((oneway == "") & implied.to_numpy(), "yes", oneway)
    if mode in ("bike", "ebike"):
        bicycle = tag(ways, "oneway:bicycle").to_numpy(dtype=object)
        oneway = np.where(bicycle != "", bicycle, oneway)
    forward_only = np.isin(oneway, ["yes", "true", "1"])
    backward_only = np.isin(oneway, ["-1", "reverse"])
    return ~backward_only, ~forward_only


def is_ferry(ways: pd.DataFrame) -> np.ndarray:
    """True for ``route=ferry`` ways that are not also roads."""
    return ((tag(ways, "route") == "ferry") & (tag(ways, "highway") == "")).to_numpy()


def _highest(value: str) -> float:
    """The highest number of a ``layer``/``level`` value (``-1;0``, ``-2-1``); 0 if none."""
    best = -np.inf
    for part in value.split(";"):
        match = _NUMBER.match(part)
        if match:
            best = max(best, *(float(g) for g in match.groups() if g is not None))
    return best if np.isfinite(best) else 0.0


def _below_ground(values: pd.Series) -> np.ndarray:
    unique = values.unique()
    below = {v: _highest(str(v)) < 0 for v in unique if v != ""}
    return values.map(lambda v: below.get(v, False)).to_numpy(dtype=bool)


def linkable(ways: pd.DataFrame, mode: str) -> np.ndarray:
    """True where points may join the way (see the linking rule in the module docstring).

    Parameters
    ----------
    ways : pandas.DataFrame
        Segments with their OSM tags.
    mode : str
        Travel mode.

    Returns
    -------
    numpy.ndarray
        One bool per row; ``highway=steps`` is left linkable (the access model decides).

    Examples
    --------
    >>> import pandas as pd
    >>> ways = pd.DataFrame({"highway": ["service", "service", "footway", "motorway"],
    ...                      "tunnel": ["yes", "no", None, None],
    ...                      "layer": [None, "-1", None, None]})
    >>> linkable(ways, "drive").tolist()
    [False, False, True, False]
    """
    highway = tag(ways, "highway")
    tunnel = tag(ways, "tunnel")
    blocked = (
        ((tunnel != "") & (tunnel != "no"))
        | (tag(ways, "indoor") == "yes")
        | (tag(ways, "location") == "underground")
        | highway.isin(UNLINKABLE_HIGHWAY["*"] + UNLINKABLE_HIGHWAY.get(mode, ()))
    ).to_numpy()
    blocked |= _below_ground(tag(ways, "layer")) | _below_ground(tag(ways, "level"))
    return ~blocked & ~is_ferry(ways)
