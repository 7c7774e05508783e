"""Gap areas: contiguous populated places that no station serves within the threshold.

On a population raster, a cell is **uncovered** when it has people (``population >
0``) and its travel time to the nearest station exceeds the threshold (or no station
is reachable). Uncovered cells sharing an edge (4-connectivity: diagonal neighbours do
not join) form one gap area; each becomes a polygon that is exactly the union of its
cells (``rasterio.features.shapes`` on the labelled grid), so the gaps together cover
exactly the uncovered populated cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio.features import shapes
from scipy import ndimage

from ..inputs.crs import local_metric_crs
from ..inputs.population import Demand
from .units import largest_by_group

__all__ = ["gap_areas"]

_COLUMNS = [
    "gap_id",
    "population",
    "cells",
    "area_km2",
    "mean_extra_minutes",
    "max_extra_minutes",
    "unreachable_population",
]


def gap_areas(
    demand: Demand,
    minutes: np.ndarray,
    threshold: float,
    *,
    units: Mapping[str, tuple[np.ndarray, Sequence[str]]] | None = None,
    min_population: float = 0.0,
) -> gpd.GeoDataFrame:
    """Contiguous uncovered populated areas, ranked by population.

    Parameters
    ----------
    demand : Demand
        Demand points from a raster (``demand.grid``, ``rows`` and ``cols`` set).
    minutes : numpy.ndarray
        Minutes to the nearest station per demand point (``inf``: unreachable).
    threshold : float
        Coverage threshold in minutes.
    units : mapping, optional
        Level -> ``(unit_of_point, unit_names)``: the index of the unit containing each
        demand point (-1: none) and the names of the units.
    min_population : float
        Gaps with fewer people are left out.

    Returns
    -------
    geopandas.GeoDataFrame
        In the raster's CRS, one row per gap, most populous first:

        - ``gap_id``: rank, 1 for the most populous gap (ties: the gap met first in
          row-major order of the raster);
        - ``population``, ``cells``, ``area_km2`` (cells' area, on a local metric CRS
          when the raster is in degrees);
        - ``mean_extra_minutes``: population-weighted mean of ``minutes - threshold``
          over the gap's residents who reach a station (NaN if none does);
          ``max_extra_minutes``: the largest such value;
        - ``unreachable_population``: residents of the gap who reach no station;
        - per unit level, ``<level>`` (the unit holding the largest part of the gap's
          population; None if none) and ``<level>_share`` (that part, 0..1);
        - ``geometry``: the union of the gap's cells (Polygon, with holes where covered
          or empty cells lie inside).

    Raises
    ------
    ValueError
        If the demand did not come from a raster.
    """
    grid = demand.grid
    if grid is None or demand.rows is None or demand.cols is None:
        raise ValueError("gap areas need population from a raster, not a point table")
    levels = dict(units or {})
    population = np.asarray(demand.population, dtype=float)
    minutes = np.asarray(minutes, dtype=float)
    uncovered = (population > 0) & ~(minutes <= threshold)
    mask = np.zeros(grid.shape, dtype=bool)
    mask[demand.rows[uncovered], demand.cols[uncovered]] = True
    labels, n = ndimage.label(mask)  # default structure: 4-connectivity
    columns = _COLUMNS + [c for level in levels for c in (level, f"{level}_share")]
    if n == 0:
        return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=grid.crs)

    idx = np.flatnonzero(uncovered)
    lab = labels[demand.rows[idx], demand.cols[idx]] - 1
    pop = population[idx]
    mins = minutes[idx]
    reach = np.isfinite(mins)
    extra = np.where(reach, mins - threshold, 0.0)
    people = np.bincount(lab, weights=pop, minlength=n)
    reach_pop = np.bincount(lab, weights=np.where(reach, pop, 0.0), minlength=n)
    weighted = np.bincount(lab, weights=np.where(reach, pop * extra, 0.0), minlength=n)
    max_extra = np.full(n, -np.inf)
    np.maximum.at(max_extra, lab[reach], extra[reach])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_extra = np.where(
            reach_pop > 0, weighted / np.where(reach_pop > 0, reach_pop, 1), np.nan
        )
    table = pd.DataFrame(
        {
            "label": np.arange(1, n + 1),
            "population": people,
            "cells": np.bincount(lab, minlength=n),
            "mean_extra_minutes": mean_extra,
            "max_extra_minutes": np.where(np.isfinite(max_extra), max_extra, np.nan),
            "unreachable_population": people - reach_pop,
        }
    )
    for level, (unit_of_point, names) in levels.items():
        table[level], table[f"{level}_share"] = _main_unit(
            lab, np.asarray(unit_of_point)[idx], pop, people, names
        )
    table = table[table["population"] >= min_population]
    table = table.sort_values(["population", "label"], ascending=[False, True], kind="stable")
    table.insert(0, "gap_id", np.arange(1, len(table) + 1))

    geometry = _gap_polygons(labels, mask, grid.transform, table["label"].to_numpy())
    out = gpd.GeoDataFrame(
        table.drop(columns="label").reset_index(drop=True), geometry=geometry, crs=grid.crs
    )
    if out.crs.is_projected or out.empty:
        metric = out
    else:  # the local UTM zone (geopandas' estimate_utm_crs costs ~0.2 s a call)
        west, south, east, north = out.total_bounds
        metric = out.to_crs(local_metric_crs((west + east) / 2, (south + north) / 2))
    out.insert(out.columns.get_loc("cells") + 1, "area_km2", metric.geometry.area.to_numpy() / 1e6)
    return out[[*columns, "geometry"]]


def _gap_polygons(
    labels: np.ndarray, mask: np.ndarray, transform: object, wanted: np.ndarray
) -> list[object]:
    """The polygon of each wanted label: its cells traced by GDAL, rings built by GEOS.

    The rings of every traced piece become one coordinate array and are turned into
    polygons in a few vectorised calls (``shapely.geometry.shape`` per piece built
    each coordinate as a Python tuple: most of the time on a county).
    """
    keep = np.zeros(int(labels.max()) + 1, dtype=bool)
    keep[wanted] = True
    rings: list[list[tuple[float, float]]] = []
    piece_rings: list[int] = []
    piece_label: list[int] = []
    for geom, value in shapes(
        labels.astype(np.int32), mask=mask, connectivity=4, transform=transform
    ):
        if keep[int(value)]:
            rings += geom["coordinates"]
            piece_rings.append(len(geom["coordinates"]))
            piece_label.append(int(value))
    if not piece_label:
        return []
    # one ragged array (each piece's shell first, then its holes) built by GEOS at once
    ring_ends = np.cumsum([len(r) for r in rings])
    flat = chain.from_iterable(chain.from_iterable(rings))  # x, y, x, y, ... at C speed
    coords = np.fromiter(flat, dtype=float, count=2 * int(ring_ends[-1])).reshape(-1, 2)
    pieces = shapely.from_ragged_array(
        shapely.GeometryType.POLYGON,
        coords,
        (np.r_[0, ring_ends], np.r_[0, np.cumsum(piece_rings)]),
    )
    by_label = pd.Series(np.arange(len(piece_label))).groupby(np.asarray(piece_label)).agg(list)
    return [
        shapely.union_all(pieces[by_label[v]]) if len(by_label[v]) > 1 else pieces[by_label[v][0]]
        for v in wanted
    ]


def _main_unit(
    gap: np.ndarray,
    unit: np.ndarray,
    population: np.ndarray,
    gap_population: np.ndarray,
    names: Sequence[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Per gap, the unit holding most of its people, and that share of them."""
    which, people = largest_by_group(gap, unit, population, gap_population.size)
    main = np.full(gap_population.size, None, dtype=object)
    main[which >= 0] = np.asarray(list(names), dtype=object)[which[which >= 0]]
    return main, people / gap_population
