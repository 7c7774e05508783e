"""What several writers draw, computed once per result and handed to each of them.

The travel-time surface on the population raster (``travel_time.tif``, the surface of
``map.html`` and ``map.png``) and the isochrones (``isochrones.geojson``, the isochrone
layers of ``map.html`` and the headline outline of ``map.png``) are built here once, so
every file of a run shows the same areas.

The isochrones are traced on the engine's metric surface (a grid of
``isochrone_cell_m`` in the network's CRS, timed with the run's access model; see
:func:`coverage.engine.isochrones.travel_time_surface`) whenever the result keeps its
engine state; a result without one (read back from files) falls back to the
population raster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np

from ..engine.isochrones import Surface, isochrone_polygons, travel_time_surface

if TYPE_CHECKING:
    from ..results import CoverageResult

__all__ = ["Products", "make_products"]


@dataclass(frozen=True)
class Products:
    """Surfaces and isochrones of one result.

    Attributes
    ----------
    minutes_grid : numpy.ndarray or None
        Minutes on the population raster (float32, NaN: unreachable); None for a
        population given as points.
    surface : Surface or None
        The engine's metric travel-time surface; None without engine state.
    isochrones : geopandas.GeoDataFrame
        One row per threshold (``minutes``, ``geometry``), in the CRS it was traced in.
    isochrones_stations : geopandas.GeoDataFrame or None
        Each station's part of every isochrone, when asked for.
    cell_m : float
        Cell size of ``surface`` in metres.
    """

    minutes_grid: np.ndarray | None
    surface: Surface | None
    isochrones: gpd.GeoDataFrame
    isochrones_stations: gpd.GeoDataFrame | None = None
    cell_m: float = 100.0


def make_products(
    result: CoverageResult, *, isochrone_cell_m: float = 100.0, per_station: bool = False
) -> Products:
    """Compute the surfaces and isochrones of a result once.

    Parameters
    ----------
    result : CoverageResult
        The result.
    isochrone_cell_m : float
        Cell size of the metric grid the isochrones are traced on.
    per_station : bool
        Also split every isochrone by nearest station.

    Returns
    -------
    Products
    """
    grid = result.minutes_grid() if result.demand.grid is not None else None
    thresholds = result.thresholds
    surface = None
    per = None
    if result.engine is not None:
        surface = travel_time_surface(
            result.engine, cell_m=isochrone_cell_m, max_minutes=max(thresholds)
        )
        iso = isochrone_polygons(surface.minutes, surface.transform, surface.crs, thresholds)
        if per_station:
            per = isochrone_polygons(
                surface.minutes,
                surface.transform,
                surface.crs,
                thresholds,
                station=surface.station,
                station_ids=result.stations["id"].astype(str).tolist(),
            )
    elif grid is not None and result.demand.grid is not None:
        raster = result.demand.grid
        iso = isochrone_polygons(grid, raster.transform, raster.crs, thresholds)
    else:
        iso = gpd.GeoDataFrame({"minutes": list(thresholds)}, geometry=[None] * len(thresholds))
    return Products(grid, surface, iso, per, float(isochrone_cell_m))
