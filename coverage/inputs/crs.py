"""Coordinate reference systems: the local metric CRS, lon/lat helpers, GCJ-02 and BD-09.

Distances are measured in a projected metric CRS. When the user names none, the
local UTM zone of the study area is used (as r5py and geopandas do).

Coordinates copied from Chinese web maps are in GCJ-02 (Amap/Gaode, Tencent) or
BD-09 (Baidu), offset from WGS84 by 100-700 m; :func:`to_wgs84` takes them back.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pyproj import CRS, Geod, Transformer

from ..threads import split_arrays

__all__ = [
    "CHINA_BOUNDS",
    "CHINESE_CRS",
    "WGS84",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "chinese_crs_name",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "geodesic_m",
    "in_china",
    "local_metric_crs",
    "to_wgs84",
    "transform_xy",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

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
    transformer = Transformer.from_crs(src, dst, always_xy=True)  # thread-safe
    tx, ty = split_arrays(
        transformer.transform,
        np.asarray(x, dtype=float).ravel(),
        np.asarray(y, dtype=float).ravel(),
    )
    shape = np.shape(x)
    return np.asarray(tx, dtype=float).reshape(shape), np.asarray(ty, dtype=float).reshape(shape)


def geodesic_m(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Lengths in metres of the geodesics between pairs of points on the WGS84 ellipsoid.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : numpy.ndarray
        The pairs' ends, in degrees (same length).

    Returns
    -------
    numpy.ndarray
        float, one per pair.
    """
    geod = Geod(ellps="WGS84")

    def lengths(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> tuple[np.ndarray]:
        return (np.asarray(geod.inv(a, b, c, d)[2], dtype=float),)

    arrays = (np.asarray(v, dtype=float).ravel() for v in (lon1, lat1, lon2, lat2))
    return split_arrays(lengths, *arrays)[0]


# --- Chinese web-map coordinates: GCJ-02 and BD-09 ---------------------------------
#
# GCJ-02 ("Mars coordinates", 国测局坐标) is the obfuscated datum every map published in
# mainland China must use (Amap/Gaode, Tencent, Google Maps China); BD-09 is Baidu's
# further offset of GCJ-02. Both are lon/lat in degrees, shifted from WGS84 by 100-700 m.
# The forward formulas below are the widely published ones (they reproduce the
# reference values of e.g. the ``coordtransform`` libraries to 1e-12 degrees); the
# inverses are solved by fixed-point iteration to 1e-10 degrees (about 0.01 mm), far
# inside the 0.5 m the toolkit needs, instead of the one-step approximations (errors of
# a metre or more) found in many libraries.
#
# Outside China: GCJ-02 is only defined for mainland China, and the usual
# implementations leave points outside a rough bounding box of China unshifted (web
# maps serve WGS84 abroad). ``outside_china="keep"`` (the default) does the same;
# ``outside_china="shift"`` applies the formulas everywhere, which is what a test on a
# non-Chinese data set (or coordinates deliberately shifted abroad) needs.

#: Krasovsky 1940 ellipsoid used by the GCJ-02 formulas: semi-major axis and e².
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
_BD_K = np.pi * 3000.0 / 180.0

#: The rough bounding box of China used by GCJ-02 implementations (lon/lat degrees).
CHINA_BOUNDS = (72.004, 0.8293, 137.8347, 55.8271)

#: The non-EPSG coordinate systems of Chinese web maps understood by :func:`to_wgs84`.
CHINESE_CRS = ("GCJ-02", "BD-09")

_OUTSIDE = ("keep", "shift")


def in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Whether points lie inside the rough bounding box of China used by GCJ-02.

    Parameters
    ----------
    lon, lat : array-like
        Degrees.

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> in_china(np.array([116.4, 43.3]), np.array([39.9, -11.7])).tolist()
    [True, False]
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    w, s, e, n = CHINA_BOUNDS
    return (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    sx = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat = dlat + sx
    dlat = dlat + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat = dlat + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon = dlon + sx
    dlon = dlon + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon = dlon + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1.0 - _GCJ_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrt_magic * np.cos(rad) * pi)
    return dlon, dlat


def _check_outside(outside_china: str) -> None:
    if outside_china not in _OUTSIDE:
        raise ValueError(f"outside_china must be 'keep' or 'shift', got {outside_china!r}")


def _shift_mask(lon: np.ndarray, lat: np.ndarray, outside_china: str) -> np.ndarray:
    _check_outside(outside_china)
    if outside_china == "shift":
        return np.ones(lon.shape, dtype=bool)
    return in_china(lon, lat)


def _arrays(lon: object, lat: object) -> tuple[np.ndarray, np.ndarray]:
    x = np.array(lon, dtype=float, ndmin=1)
    y = np.array(lat, dtype=float, ndmin=1)
    return np.broadcast_arrays(x, y)  # type: ignore[return-value]


def _gcj_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _bd_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _BD_K)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_K)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(
    forward: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    tolerance_deg: float = 1e-10,
    max_iterations: int = 30,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x, y) == (lon, lat)`` by fixed-point iteration.

    The offsets vary slowly (their derivatives are below 1e-3), so each step shrinks the
    error about a thousandfold: three or four steps reach ``tolerance_deg``.
    """
    x, y = lon.copy(), lat.copy()
    for _ in range(max_iterations):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x -= ex
        y -= ey
        if np.all(np.abs(ex) < tolerance_deg) and np.all(np.abs(ey) < tolerance_deg):
            break
    return x, y


def wgs84_to_gcj02(
    lon: object, lat: object, *, outside_china: str = "keep"
) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 -> GCJ-02 (the coordinates of Amap/Gaode, Tencent and Google Maps China).

    Parameters
    ----------
    lon, lat : array-like
        WGS84 degrees.
    outside_china : {"keep", "shift"}
        ``"keep"`` leaves points outside :data:`CHINA_BOUNDS` unshifted, as every
        GCJ-02 implementation does; ``"shift"`` applies the formula everywhere.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude.

    Examples
    --------
    >>> x, y = wgs84_to_gcj02(116.404, 39.915)
    >>> round(float(x[0]), 8), round(float(y[0]), 8)
    (116.4102445, 39.91640428)
    """
    x, y = _arrays(lon, lat)
    gx, gy = _gcj_forward(x, y)
    shift = _shift_mask(x, y, outside_china)
    return np.where(shift, gx, x), np.where(shift, gy, y)


def gcj02_to_wgs84(
    lon: object, lat: object, *, outside_china: str = "keep"
) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> WGS84, the exact inverse of :func:`wgs84_to_gcj02` (iterated to 1e-10°).

    Parameters
    ----------
    lon, lat : array-like
        GCJ-02 degrees.
    outside_china : {"keep", "shift"}
        As in :func:`wgs84_to_gcj02`.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitude and latitude.
    """
    x, y = _arrays(lon, lat)
    wx, wy = _invert(_gcj_forward, x, y)
    shift = _shift_mask(x, y, outside_china)
    return np.where(shift, wx, x), np.where(shift, wy, y)


def gcj02_to_bd09(lon: object, lat: object) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> BD-09 (Baidu Maps), applied everywhere (Baidu has no China test).

    Examples
    --------
    >>> x, y = gcj02_to_bd09(116.404, 39.915)
    >>> round(float(x[0]), 8), round(float(y[0]), 8)
    (116.41036949, 39.92133699)
    """
    return _bd_forward(*_arrays(lon, lat))


def bd09_to_gcj02(lon: object, lat: object) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 -> GCJ-02, the exact inverse of :func:`gcj02_to_bd09` (iterated to 1e-10°)."""
    x, y = _arrays(lon, lat)
    return _invert(_bd_forward, x, y)


def wgs84_to_bd09(
    lon: object, lat: object, *, outside_china: str = "keep"
) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 -> BD-09: :func:`wgs84_to_gcj02` then :func:`gcj02_to_bd09`."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat, outside_china=outside_china))


def bd09_to_wgs84(
    lon: object, lat: object, *, outside_china: str = "keep"
) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 -> WGS84: :func:`bd09_to_gcj02` then :func:`gcj02_to_wgs84`."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat), outside_china=outside_china)


def chinese_crs_name(crs: object) -> str | None:
    """``"GCJ-02"`` or ``"BD-09"`` if ``crs`` names one of them (any spelling), else None.

    Examples
    --------
    >>> chinese_crs_name("gcj02"), chinese_crs_name("BD_09"), chinese_crs_name("EPSG:4326")
    ('GCJ-02', 'BD-09', None)
    """
    if not isinstance(crs, str):
        return None
    key = crs.strip().upper().replace("_", "").replace("-", "").replace(" ", "")
    return {"GCJ02": "GCJ-02", "BD09": "BD-09"}.get(key)


def to_wgs84(
    lon: object, lat: object, crs: CRS | str, *, outside_china: str = "keep"
) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude in WGS84 from coordinates in any CRS, GCJ-02 or BD-09.

    Parameters
    ----------
    lon, lat : array-like
        Coordinates (x and y for a projected CRS).
    crs : pyproj.CRS or str
        Their CRS: anything pyproj reads, or ``"GCJ-02"`` / ``"BD-09"``.
    outside_china : {"keep", "shift"}
        For GCJ-02 and BD-09, as in :func:`wgs84_to_gcj02`.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitude and latitude in degrees.
    """
    name = chinese_crs_name(crs)
    if name == "GCJ-02":
        return gcj02_to_wgs84(lon, lat, outside_china=outside_china)
    if name == "BD-09":
        return bd09_to_wgs84(lon, lat, outside_china=outside_china)
    x, y = _arrays(lon, lat)
    return transform_xy(x, y, crs, WGS84)
