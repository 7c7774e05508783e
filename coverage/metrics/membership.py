"""Which unit (township, village) each demand point lies in."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ..engine import demand as engine_demand
from ..inputs.population import Demand

__all__ = ["units_of_demand", "units_of_points"]


def units_of_points(
    units: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray, crs: object
) -> np.ndarray:
    """Index of the unit containing each point (-1: none; the first unit wins on overlaps).

    "Containing" is shapely's ``contains`` (a point on a boundary is in no unit).
    Each polygon is prepared once and tested only against the points of its bounding
    box (found from the points sorted by x), with :func:`shapely.contains_xy`: no
    point geometry is built, which was most of the time on a county raster.
    """
    polys = units.to_crs(crs).geometry.to_numpy()
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = np.full(x.size, -1, dtype=np.int64)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    for k, poly in enumerate(polys):
        if poly is None or shapely.is_empty(poly):
            continue
        xmin, ymin, xmax, ymax = shapely.bounds(poly)
        near = order[np.searchsorted(xs, xmin, "left") : np.searchsorted(xs, xmax, "right")]
        near = near[(y[near] >= ymin) & (y[near] <= ymax) & (out[near] < 0)]
        if near.size:
            shapely.prepare(poly)
            out[near[shapely.contains_xy(poly, x[near], y[near])]] = k
    return out


def units_of_demand(units: gpd.GeoDataFrame, demand: Demand) -> np.ndarray:
    """:func:`units_of_points` window by window: one window's shapely points at a time.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Unit polygons.
    demand : Demand
        Demand points.

    Returns
    -------
    numpy.ndarray
        Index of the unit of each point (-1: none).
    """
    out = np.empty(len(demand), dtype=np.int64)
    for part in engine_demand.demand_windows(demand, engine_demand.DEMAND_WINDOW_CELLS):
        out[part] = units_of_points(units, demand.x[part], demand.y[part], demand.crs)
    return out
