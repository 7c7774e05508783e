"""Units under units: each village's township, by containment or by a parent column.

With several levels of units (``boundaries: {township: t.shp, village: v.shp}``) the
levels are ranked by the median area of their units, largest first, and each level's
parent is the next larger one. Every unit of a child level gets the name of its parent
unit, in the column ``parent``:

- from a **parent column** of the child file, when the configuration names one
  (``boundaries_parent: {village: 乡镇名称}``); every value must be the name of a unit
  of the parent level;
- else by **containment**: the parent unit holding the largest part of the child's
  area, measured in a local metric CRS (a village straddling two townships goes to the
  one holding most of it). A child overlapping no parent unit gets no parent, with a
  warning.

The child level's units are then reordered, grouped under their parent in the parent
level's order (the file order is kept within a group, and for units without a parent,
which come last), so that tables and reports list villages under their township.

Examples
--------
>>> from shapely.geometry import box
>>> towns = gpd.GeoDataFrame({"unit": ["North", "South"]}, crs=32650,
...     geometry=[box(0, 1000, 2000, 2000), box(0, 0, 2000, 1000)])
>>> villages = gpd.GeoDataFrame({"unit": ["a", "b"]}, crs=32650,
...     geometry=[box(0, 100, 500, 400), box(0, 800, 500, 1900)])
>>> out = assign_parents({"township": towns, "village": villages})
>>> out["village"][["unit", "parent"]].values.tolist()
[['b', 'North'], ['a', 'South']]
"""

from __future__ import annotations

import difflib
import itertools
import warnings
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from .crs import local_metric_crs

__all__ = ["UnitParentWarning", "assign_parents", "rank_levels"]


class UnitParentWarning(UserWarning):
    """Some units lie in no unit of the level above."""


def _metric(frames: Mapping[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    wgs = {level: f.to_crs(4326) for level, f in frames.items()}
    bounds = np.array([f.total_bounds for f in wgs.values()])
    lon = float((bounds[:, 0].min() + bounds[:, 2].max()) / 2)
    lat = float((bounds[:, 1].min() + bounds[:, 3].max()) / 2)
    crs = local_metric_crs(lon, lat)
    return {level: f.to_crs(crs) for level, f in wgs.items()}


def rank_levels(levels: Mapping[str, gpd.GeoDataFrame]) -> list[str]:
    """The levels from the largest units to the smallest (by the median unit area).

    Parameters
    ----------
    levels : mapping of str to geopandas.GeoDataFrame
        Level -> unit polygons (any CRS).

    Returns
    -------
    list of str
    """
    metric = _metric(levels)
    median = {level: float(np.median(f.geometry.area)) for level, f in metric.items()}
    order = list(levels)
    return sorted(order, key=lambda level: (-median[level], order.index(level)))


def _by_containment(child: gpd.GeoDataFrame, parent: gpd.GeoDataFrame) -> np.ndarray:
    """Index of the parent unit holding most of each child's area (-1: none)."""
    tree = shapely.STRtree(parent.geometry.to_numpy())
    ci, pi = tree.query(child.geometry.to_numpy(), predicate="intersects")
    best = np.full(len(child), -1, dtype=np.int64)
    if ci.size == 0:
        return best
    area = shapely.area(
        shapely.intersection(child.geometry.to_numpy()[ci], parent.geometry.to_numpy()[pi])
    )
    keep = area > 0
    ci, pi, area = ci[keep], pi[keep], area[keep]
    # largest area first; the first row of each child is then its parent
    order = np.lexsort((pi, -area, ci))
    ci, pi = ci[order], pi[order]
    first = np.r_[True, ci[1:] != ci[:-1]] if ci.size else np.zeros(0, dtype=bool)
    best[ci[first]] = pi[first]
    return best


def _from_column(
    child: gpd.GeoDataFrame, parent: gpd.GeoDataFrame, column: str, level: str, above: str
) -> np.ndarray:
    """Index of the parent unit each child names in its parent column."""
    source = child.attrs.get("source", level)
    names = parent["unit"].astype(str).tolist()
    where = {n: i for i, n in reversed(list(enumerate(names)))}
    values = child["parent"].astype("string").fillna("").str.strip().tolist()
    out = np.empty(len(child), dtype=np.int64)
    for i, value in enumerate(values):
        if value == "":
            raise InputError(
                f"{source}: feature {i + 1} ({child['unit'].iloc[i]}) has no {above} in "
                f"column '{column}'; fill it in, or remove boundaries_parent to place the "
                f"{level} units by their area"
            )
        if value not in where:
            guess = difflib.get_close_matches(value, names, n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            raise InputError(
                f"{source}: feature {i + 1} ({child['unit'].iloc[i]}) names {above} "
                f"{value!r} in column '{column}', which is not a {above} unit{hint}; use the "
                f"names of the {above} boundaries"
            )
        out[i] = where[value]
    return out


def assign_parents(
    levels: Mapping[str, gpd.GeoDataFrame], parent_columns: Mapping[str, str] | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Give each unit of a lower level its unit of the level above (see the module).

    Parameters
    ----------
    levels : mapping of str to geopandas.GeoDataFrame
        Level -> units with a ``unit`` column (from
        :func:`~coverage.inputs.boundaries.read_boundaries`); a level named in
        ``parent_columns`` also holds the names read from its parent column in
        ``parent``.
    parent_columns : mapping of str to str, optional
        Level -> the column of its file that names the parent unit (for messages).

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        The levels in the order given; each child level with a ``parent`` column (text,
        ``<NA>`` for none), grouped under its parent, and ``attrs["parent_level"]``.

    Raises
    ------
    InputError
        If a parent column names a unit that the level above does not have, or the
        level named has no level above it.

    Warns
    -----
    UnitParentWarning
        Naming the units, placed by containment, that overlap no unit above.
    """
    parent_columns = dict(parent_columns or {})
    out = {level: frame for level, frame in levels.items()}
    if len(levels) < 2:
        if parent_columns:
            raise InputError(
                f"boundaries_parent: {', '.join(parent_columns)} needs a level above it; give "
                "boundaries one file per level, e.g. {township: t.shp, village: v.shp}"
            )
        return out
    ranked = rank_levels(levels)
    for level in parent_columns:
        if level == ranked[0]:
            raise InputError(
                f"boundaries_parent: '{level}' has the largest units, so no level lies above "
                f"it (levels from largest: {', '.join(ranked)}); name the lower level"
            )
    metric = _metric(levels)
    for above, level in itertools.pairwise(ranked):
        child, parent = levels[level], levels[above]
        if level in parent_columns:
            index = _from_column(child, parent, parent_columns[level], level, above)
        else:
            index = _by_containment(metric[level], metric[above])
            lost = np.flatnonzero(index < 0)
            if lost.size:
                shown = ", ".join(child["unit"].astype(str).iloc[lost[:5]])
                more = f" and {lost.size - 5} more" if lost.size > 5 else ""
                warnings.warn(
                    UnitParentWarning(
                        f"{child.attrs.get('source', level)}: {lost.size} {level} unit(s) "
                        f"overlap no {above} unit and are listed without one ({shown}{more}); "
                        "check that both files cover the same area"
                    ),
                    stacklevel=2,
                )
        names = parent["unit"].astype(str).to_numpy()
        frame = child.copy()
        frame["parent"] = pd.array([names[i] if i >= 0 else pd.NA for i in index], dtype="string")
        rank = np.where(index >= 0, index, len(parent))
        order = np.lexsort((np.arange(len(frame)), rank))
        frame = frame.iloc[order].reset_index(drop=True)
        frame.attrs = {**child.attrs, "parent_level": above}
        out[level] = frame
    return out
