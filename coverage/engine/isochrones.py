"""Areas reached within a threshold, as polygons built from the travel-time surface.

A grid cell is inside the T-minute area when its centre's travel time is at most T,
so the polygons are bounded by the threshold at the grid's resolution, and the
area of a smaller threshold always lies inside that of a larger one.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import rasterio.features
from affine import Affine
from pyproj import CRS
from shapely.geometry import shape
from shapely.ops import unary_union

__all__ = ["isochrone_polygons"]


def isochrone_polygons(
    minutes: np.ndarray,
    transform: Affine,
    crs: CRS,
    thresholds: Sequence[float],
) -> gpd.GeoDataFrame:
    """Polygons of the cells within each threshold.

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

    Returns
    -------
    geopandas.GeoDataFrame
        One row per threshold (ascending): ``minutes`` and a (multi)polygon ``geometry``
        in ``crs`` (empty where no cell is within the threshold).
    """
    rows = []
    finite = np.isfinite(minutes)
    for t in sorted(thresholds):
        mask = finite & (np.where(finite, minutes, np.inf) <= t)
        polys = [
            shape(geom)
            for geom, value in rasterio.features.shapes(
                mask.astype(np.uint8), mask=mask, transform=transform, connectivity=4
            )
            if value == 1
        ]
        rows.append({"minutes": float(t), "geometry": unary_union(polys) if polys else None})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    return gdf
