"""Coordinate reference systems: the local metric CRS and lon/lat helpers.

Distances are measured in a projected metric CRS. When the user names none, the
local UTM zone of the study area is used (as r5py and geopandas do).
"""

from __future__ import annotations

import numpy as np
from pyproj import CRS, Transformer

__all__ = ["WGS84", "local_metric_crs", "transform_xy"]

#: Geographic WGS84 (EPSG:4326), the CRS of OSM data and of every lon/lat output.
WGS84 = CRS.from_epsg(4326)


def local_metric_crs(lon: float, lat: float) -> CRS:
    """The WGS84 / UTM zone containing a point, as a projected metric CRS.

    Parameters
    ----------
    lon, lat : float
        A point in degrees, usually the centre of the study area.

    Returns
    -------
    pyproj.CRS
        EPSG:326xx (north) or EPSG:327xx (south).

    Examples
    --------
    >>> local_metric_crs(118.9, 28.1).to_epsg()  # Zhejiang, China
    32650
    >>> local_metric_crs(43.3, -11.7).to_epsg()  # Comoros
    32738
    """
    zone = int(np.floor((float(lon) + 180.0) / 6.0)) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def transform_xy(
    x: np.ndarray, y: np.ndarray, src: CRS | str, dst: CRS | str
) -> tuple[np.ndarray, np.ndarray]:
    """Transform coordinate arrays between two CRSs (x = longitude for geographic CRSs).

    Parameters
    ----------
    x, y : numpy.ndarray
        Coordinates in ``src``.
    src, dst : pyproj.CRS or str
        Source and target CRS.

    Returns
    -------
    tuple of numpy.ndarray
        The coordinates in ``dst``.
    """
    transformer = Transformer.from_crs(src, dst, always_xy=True)
    tx, ty = transformer.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(tx, dtype=float), np.asarray(ty, dtype=float)
