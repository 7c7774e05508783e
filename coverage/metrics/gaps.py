"""Gap areas: contiguous populated places that no station serves within the threshold.

On a population raster, a cell is **uncovered** when it has people (``population >
0``) and its travel time to the nearest station exceeds the threshold (or no station
is reachable). Uncovered cells sharing an edge (4-connectivity: diagonal neighbours do
not join) form one gap area; each becomes a polygon that is the union of its cells
(``rasterio.features.shapes`` on the labelled grid) with the places inside it where
nobody lives filled in: a hole of the gap stays a hole only where covered residents
live or the raster has no data. So an outline drawn on a map is the gap's edge, not a
ring around every empty cell inside it (a raster of buildings or a rural grid has
thousands), and the gaps together cover exactly the uncovered populated cells plus
the empty cells they enclose; their figures (people, cells, area) count the
uncovered populated cells alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from rasterio.features import shapes
from scipy import ndimage

from ..inputs.crs import local_metric_crs, transform_xy
from ..inputs.population import Demand, PopulationGrid
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
        - ``population``, ``cells``, ``area_km2`` (the uncovered populated cells'
          area, on a local metric CRS when the raster is in degrees);
        - ``mean_extra_minutes``: population-weighted mean of ``minutes - threshold``
          over the gap's residents who reach a station (NaN if none does);
          ``max_extra_minutes``: the largest such value;
        - ``unreachable_population``: residents of the gap who reach no station;
        - per unit level, ``<level>`` (the unit holding the largest part of the gap's
          population; None if none) and ``<level>_share`` (that part, 0..1);
        - ``geometry``: the union of the gap's cells and of the empty cells they enclose
          (Polygon; holes where covered residents live or the raster has no data).

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

    populated = np.zeros(grid.shape, dtype=bool)
    populated[demand.rows[population > 0], demand.cols[population > 0]] = True
    filled = _enclosed_empty(labels, mask, np.asarray(grid.valid, dtype=bool) & ~populated)
    geometry = _gap_polygons(
        labels | filled, mask | (filled > 0), grid.transform, table["label"].to_numpy()
    )
    out = gpd.GeoDataFrame(
        table.drop(columns="label").reset_index(drop=True), geometry=geometry, crs=grid.crs
    )
    metric_crs: CRS | None = None
    if not (out.crs.is_projected or out.empty):
        # the local UTM zone (geopandas' estimate_utm_crs costs ~0.2 s a call)
        west, south, east, north = out.total_bounds
        metric_crs = local_metric_crs((west + east) / 2, (south + north) / 2)
    metric = out if metric_crs is None else out.to_crs(metric_crs)
    area = metric.geometry.area.to_numpy()
    if filled.any():  # the enclosed empty cells are drawn, not counted
        area = area - _cells_area(filled, grid, metric_crs, n)[table["label"].to_numpy()]
    out.insert(out.columns.get_loc("cells") + 1, "area_km2", area / 1e6)
    return out[[*columns, "geometry"]]


def _enclosed_empty(labels: np.ndarray, mask: np.ndarray, empty: np.ndarray) -> np.ndarray:
    """The empty cells each gap encloses: per cell, the gap's label (0: none).

    A hole of a gap is a region of other cells that does not reach the raster's edge
    (8-connected: the holes a 4-connected area can have). It is filled when every cell
    of it is ``empty`` (valid, nobody lives there) and every cell around it belongs to
    one gap: a hole holding covered residents or no-data cells stays, and so does a
    hole around another gap (filling it would lay one gap over the other).
    """
    out = np.zeros(labels.shape, dtype=labels.dtype)
    if not empty.any():  # e.g. WorldPop: people in every cell of land
        return out
    holes, n = ndimage.label(~mask, structure=np.ones((3, 3), dtype=bool))
    edge = np.unique(np.r_[holes[0], holes[-1], holes[:, 0], holes[:, -1]])
    fillable = np.bincount(holes[~empty], minlength=n + 1)[1:] == 0  # every cell empty
    fillable[edge[edge > 0] - 1] = False
    if not fillable.any():
        return out
    # the gap labels around each fillable hole, from its cells' four neighbours
    rows, cols = np.nonzero(np.r_[False, fillable][holes])
    hole = holes[rows, cols]
    low = np.full(n + 1, np.iinfo(np.int64).max, dtype=np.int64)
    high = np.zeros(n + 1, dtype=np.int64)
    padded = np.pad(labels, 1)
    for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        around = padded[rows + 1 + dr, cols + 1 + dc]
        at = around > 0
        np.minimum.at(low, hole[at], around[at])
        np.maximum.at(high, hole[at], around[at])
    one_gap = fillable & (low[1:] == high[1:]) & (high[1:] > 0)
    keep = np.where(np.r_[False, one_gap], high, 0).astype(labels.dtype)
    out[rows, cols] = keep[hole]
    return out


def _cells_area(
    filled: np.ndarray, grid: PopulationGrid, metric_crs: CRS | None, n: int
) -> np.ndarray:
    """Per gap label, the area of its filled cells (m², in ``metric_crs`` if given).

    Each cell's corners are projected and its quadrilateral measured (shoelace), as
    the gap's polygon is measured, so subtracting leaves the populated cells' area.
    """
    rows, cols = np.nonzero(filled)
    transform = grid.transform
    corners_r = np.stack([rows, rows, rows + 1, rows + 1], axis=1).astype(float)
    corners_c = np.stack([cols, cols + 1, cols + 1, cols], axis=1).astype(float)
    x = transform.c + corners_c * transform.a + corners_r * transform.b
    y = transform.f + corners_c * transform.d + corners_r * transform.e
    if metric_crs is not None:
        tx, ty = transform_xy(x.ravel(), y.ravel(), grid.crs, metric_crs)
        x, y = tx.reshape(x.shape), ty.reshape(y.shape)
    area = 0.5 * np.abs((x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y).sum(axis=1))
    return np.bincount(filled[rows, cols], weights=area, minlength=n + 1)


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
