"""Areas reached within a threshold, as polygons built from a travel-time surface.

A grid cell is inside the T-minute area when its centre's travel time is at most
T, so

- the areas are **nested**: the cells of a smaller threshold are a subset of those
  of a larger one, and so are their polygons (unions of whole cells);
- the areas are **bounded** by the threshold at the grid's resolution: a point
  inside lies within half a cell diagonal of a cell centre reached within T.

:func:`travel_time_surface` builds the surface on a regular grid in the network's
metric CRS (``isochrone_cell_m``, default 100 m), with the same off-road access
model as the residents (:mod:`coverage.engine.snapping`), and only where some
node is close enough in time to matter. :func:`isochrone_polygons` turns any
surface into one polygon per threshold, or per station and threshold (the part
of the T-minute area for which that station is the nearest: these pieces do not
overlap and together make the whole area).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import rasterio.features
from affine import Affine
from pyproj import CRS
from scipy.spatial import cKDTree
from shapely.geometry import shape
from shapely.ops import unary_union

from ..errors import InputError
from .index import _SAMPLE_M, kd_workers
from .travel_times import point_times
from .whatif import EngineState

#: Most cells of an isochrone grid (two arrays of 8 bytes a cell: 800 MB).
MAX_GRID_CELLS = 50_000_000
# cells a side of the tiles that rule out the grid far from every reached point
_TILE = 8

__all__ = ["Surface", "isochrone_polygons", "travel_time_surface"]


@dataclass(frozen=True)
class Surface:
    """Travel time to the nearest station on a regular grid.

    Attributes
    ----------
    minutes : numpy.ndarray
        2-D float64 minutes (NaN where unreachable or beyond the limit).
    station : numpy.ndarray
        2-D int64 index of the nearest station (-1 where ``minutes`` is NaN).
    transform : affine.Affine
        Pixel -> CRS transform.
    crs : pyproj.CRS
        The grid's CRS.
    """

    minutes: np.ndarray
    station: np.ndarray
    transform: Affine
    crs: CRS


def travel_time_surface(
    state: EngineState,
    *,
    cell_m: float = 100.0,
    max_minutes: float,
) -> Surface:
    """Travel time of every grid cell centre within reach of ``max_minutes``.

    The grid is aligned to multiples of ``cell_m`` in the network's metric CRS and
    covers the nodes reached within ``max_minutes`` plus the farthest off-road leg
    that could still arrive in time. Cells beyond ``max_minutes`` are NaN.

    Parameters
    ----------
    state : EngineState
        Node times and the access model (from :func:`~coverage.engine.whatif.engine_state`).
    cell_m : float
        Cell size in metres.
    max_minutes : float
        The largest threshold of interest.

    Returns
    -------
    Surface

    Raises
    ------
    InputError
        If the grid would have more than :data:`MAX_GRID_CELLS` cells (naming the
        ``isochrone_cell_m`` that fits).
    """
    net = state.network
    limit_s = float(max_minutes) * 60.0
    seconds = state.times.seconds
    reached = np.flatnonzero(seconds <= limit_s)
    empty = Surface(
        np.full((1, 1), np.nan), np.full((1, 1), -1, dtype=np.int64), Affine.identity(), net.crs
    )
    if reached.size == 0:
        return empty
    # off-road legs are walked at up to 1.19x the flat speed (Tobler, downhill)
    access = state.access
    speed = access.access_speed_kmh / 3.6 * (1.2 if access.terrain is not None else 1.0)
    reach_m = min(access.max_access_m, limit_s * speed)
    # only cells within an off-road leg of a node reached in time (or, entering
    # segments, of a segment with such an end or a station) can be inside: a cheap
    # filter, run in blocks of rows to bound memory
    fx, fy, slack = net.x[reached], net.y[reached], 0.0
    if access.snap_edges:
        seg = state.index.road_segments()
        hit = np.zeros(net.n_nodes, dtype=bool)
        hit[reached] = True
        keep = hit[seg.a] | hit[seg.b]
        entry = state.times.station_entry
        if entry is not None:
            keep[entry.segment[entry.segment >= 0]] = True
        samples = keep[seg.sample_segment]
        fx = np.concatenate([fx, seg.tree.data[samples, 0]])
        fy = np.concatenate([fy, seg.tree.data[samples, 1]])
        slack = _SAMPLE_M / 2.0
    # the extent: the filter's points plus the longest useful off-road leg
    x0 = np.floor((fx.min() - reach_m - slack) / cell_m) * cell_m
    y1 = np.ceil((fy.max() + reach_m + slack) / cell_m) * cell_m
    x1 = np.ceil((fx.max() + reach_m + slack) / cell_m) * cell_m
    y0 = np.floor((fy.min() - reach_m - slack) / cell_m) * cell_m
    cols = max(round(float(x1 - x0) / cell_m), 1)
    rows = max(round(float(y1 - y0) / cell_m), 1)
    if rows * cols > MAX_GRID_CELLS:
        fit = cell_m * np.sqrt(rows * cols / MAX_GRID_CELLS)
        raise InputError(
            f"isochrone_cell_m: a {cell_m:g} m grid over the {(x1 - x0) / 1000:,.1f} x "
            f"{(y1 - y0) / 1000:,.1f} km reached needs {rows * cols:,} cells (at most "
            f"{MAX_GRID_CELLS:,} fit in memory); set isochrone_cell_m to {np.ceil(fit):g} or more"
        )
    transform = Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1)
    minutes = np.full((rows, cols), np.nan)
    station = np.full((rows, cols), -1, dtype=np.int64)
    tree = cKDTree(np.column_stack([fx, fy]))
    bound = reach_m + slack
    # tiles of _TILE x _TILE cells: a tile whose centre is farther than the bound plus
    # its half diagonal from every point holds no cell within the bound (the sea
    # between islands, the hills between valleys); only the others' cells are looked up
    tile_rows, tile_cols = -(-rows // _TILE), -(-cols // _TILE)
    tr, tc = np.mgrid[0:tile_rows, 0:tile_cols]
    half_diag = _TILE * cell_m * np.sqrt(0.5)
    tile_d, _ = tree.query(
        np.column_stack(
            [
                x0 + (tc.ravel() + 0.5) * _TILE * cell_m,
                y1 - (tr.ravel() + 0.5) * _TILE * cell_m,
            ]
        ),
        k=1,
        distance_upper_bound=bound + half_diag,
    )
    open_tile = np.isfinite(tile_d).reshape(tile_rows, tile_cols)
    block = max(1, 2_000_000 // cols)
    for r0 in range(0, rows, block):
        rr, cc = np.mgrid[r0 : min(rows, r0 + block), 0:cols]
        rr, cc = rr.ravel(), cc.ravel()
        look = open_tile[rr // _TILE, cc // _TILE]
        rr, cc = rr[look], cc[look]
        cx = x0 + (cc + 0.5) * cell_m
        cy = y1 - (rr + 0.5) * cell_m
        dist, _ = tree.query(
            np.column_stack([cx, cy]), k=1, distance_upper_bound=bound, workers=kd_workers()
        )
        near = np.isfinite(dist)
        if not near.any():
            continue
        rr, cc = rr[near], cc[near]
        px, py = cx[near], cy[near]
        snap = access.snap(net, px, py, direction="from_point", index=state.index)
        secs, st = point_times(state.times, snap, access_speed_kmh=access.access_speed_kmh)
        inside = secs <= limit_s
        r_idx, c_idx = rr[inside], cc[inside]
        minutes[r_idx, c_idx] = secs[inside] / 60.0
        station[r_idx, c_idx] = st[inside]
    return Surface(minutes, station, transform, net.crs)


def isochrone_polygons(
    minutes: np.ndarray,
    transform: Affine,
    crs: CRS,
    thresholds: Sequence[float],
    *,
    station: np.ndarray | None = None,
    station_ids: Sequence[object] | None = None,
) -> gpd.GeoDataFrame:
    """Polygons of the cells within each threshold, optionally split by nearest station.

    Parameters
    ----------
    minutes : numpy.ndarray
        2-D travel-time surface in minutes (NaN or inf where unreachable).
    transform : affine.Affine
        Pixel -> CRS transform of the surface.
    crs : pyproj.CRS
        CRS of the surface.
    thresholds : sequence of float
        Thresholds in minutes.
    station : numpy.ndarray, optional
        2-D index of the nearest station per cell; gives one row per station and
        threshold instead of one per threshold.
    station_ids : sequence, optional
        Station identifiers by index (default the index).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per threshold (ascending) — or per station and threshold, with a
        ``station_id`` column, stations with no cell left out — with ``minutes`` and
        a (multi)polygon ``geometry`` in ``crs`` (None where no cell is within the
        threshold).
    """
    rows = []
    finite = np.isfinite(minutes)
    for t in sorted(thresholds):
        mask = finite & (np.where(finite, minutes, np.inf) <= t)
        if station is None:
            polys = [
                shape(geom)
                for geom, value in rasterio.features.shapes(
                    mask.astype(np.uint8), mask=mask, transform=transform, connectivity=4
                )
                if value == 1
            ]
            rows.append({"minutes": float(t), "geometry": unary_union(polys) if polys else None})
            continue
        labels = np.where(mask, station + 1, 0).astype(np.int32)
        by_station: dict[int, list[object]] = {}
        for geom, value in rasterio.features.shapes(
            labels, mask=labels > 0, transform=transform, connectivity=4
        ):
            by_station.setdefault(int(value) - 1, []).append(shape(geom))
        for s in sorted(by_station):
            rows.append(
                {
                    "station_id": station_ids[s] if station_ids is not None else s,
                    "minutes": float(t),
                    "geometry": unary_union(by_station[s]),
                }
            )
    columns = ["station_id", "minutes", "geometry"] if station is not None else None
    gdf = gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=crs)
    return gdf
