"""GCJ-02 and BD-09 <-> WGS84: published reference pairs, exact inverses, round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from coverage.inputs.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    chinese_crs_name,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")

# Reference values published with the widely used `coordtransform` library (its
# README/test for the point 116.404, 39.915 in Beijing).
PUBLISHED_WGS84_TO_GCJ02 = (116.404, 39.915, 116.41024449916938, 39.91640428150164)
PUBLISHED_GCJ02_TO_BD09 = (116.404, 39.915, 116.41036949371029, 39.92133699351021)
# The library's inverses are one-step approximations; an exact inverse lies within a
# few centimetres of them.
PUBLISHED_GCJ02_TO_WGS84_APPROX = (116.404, 39.915, 116.39775550083061, 39.91359571849836)
PUBLISHED_BD09_TO_GCJ02_APPROX = (116.404, 39.915, 116.39762729119315, 39.90865673957631)


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.atleast_1d(np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2]))


def test_forward_matches_published_pairs():
    x, y, ex, ey = PUBLISHED_WGS84_TO_GCJ02
    gx, gy = wgs84_to_gcj02(x, y)
    assert gx[0] == pytest.approx(ex, abs=1e-12)
    assert gy[0] == pytest.approx(ey, abs=1e-12)
    x, y, ex, ey = PUBLISHED_GCJ02_TO_BD09
    bx, by = gcj02_to_bd09(x, y)
    assert bx[0] == pytest.approx(ex, abs=1e-12)
    assert by[0] == pytest.approx(ey, abs=1e-12)


def test_inverses_are_exact_and_close_to_published_approximations():
    x, y, ax, ay = PUBLISHED_GCJ02_TO_WGS84_APPROX
    wx, wy = gcj02_to_wgs84(x, y)
    fx, fy = wgs84_to_gcj02(wx, wy)  # the exact inverse maps back to the input
    assert metres(fx, fy, x, y)[0] < 1e-4
    assert metres(wx, wy, ax, ay)[0] < 0.5
    x, y, ax, ay = PUBLISHED_BD09_TO_GCJ02_APPROX
    gx, gy = bd09_to_gcj02(x, y)
    fx, fy = gcj02_to_bd09(gx, gy)
    assert metres(fx, fy, x, y)[0] < 1e-4
    assert metres(gx, gy, ax, ay)[0] < 0.5


def test_offsets_have_the_known_size_in_china():
    # GCJ-02 shifts points in China by roughly 100-700 m; BD-09 adds about 1 km more.
    lon = np.array([116.404, 121.47, 113.26, 104.07, 87.62, 119.14])
    lat = np.array([39.915, 31.23, 23.13, 30.67, 43.79, 28.08])
    gx, gy = wgs84_to_gcj02(lon, lat)
    shift = metres(lon, lat, gx, gy)
    assert ((shift > 100) & (shift < 700)).all()
    bx, by = wgs84_to_bd09(lon, lat)
    assert (metres(gx, gy, bx, by) > 500).all()


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    lon=st.floats(min_value=73.5, max_value=134.8),
    lat=st.floats(min_value=18.2, max_value=53.5),
)
def test_round_trips_over_mainland_china_within_half_a_metre(lon, lat):
    gx, gy = wgs84_to_gcj02(lon, lat)
    wx, wy = gcj02_to_wgs84(gx, gy)
    assert metres(lon, lat, wx, wy)[0] < 0.5
    bx, by = wgs84_to_bd09(lon, lat)
    wx, wy = bd09_to_wgs84(bx, by)
    assert metres(lon, lat, wx, wy)[0] < 0.5
    # and the other way: a GCJ-02 point taken back and forth again
    fx, fy = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert metres(lon, lat, fx, fy)[0] < 0.5


def test_round_trips_on_many_random_points_at_once():
    rng = np.random.default_rng(15)
    lon = rng.uniform(73.5, 134.8, 20_000)
    lat = rng.uniform(18.2, 53.5, 20_000)
    wx, wy = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert metres(lon, lat, wx, wy).max() < 0.001
    wx, wy = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert metres(lon, lat, wx, wy).max() < 0.001


def test_outside_china_is_unshifted_unless_asked():
    lon, lat = np.array([43.3, 2.35]), np.array([-11.7, 48.85])  # Comoros, Paris
    assert not in_china(lon, lat).any()
    kx, ky = wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(kx, lon)
    np.testing.assert_array_equal(ky, lat)
    sx, sy = wgs84_to_gcj02(lon, lat, outside_china="shift")
    assert (metres(lon, lat, sx, sy) > 10).all()
    bx, by = gcj02_to_wgs84(sx, sy, outside_china="shift")
    assert (metres(lon, lat, bx, by) < 0.01).all()
    with pytest.raises(ValueError, match="outside_china"):
        wgs84_to_gcj02(lon, lat, outside_china="maybe")


def test_to_wgs84_dispatches_on_the_crs_name():
    assert chinese_crs_name("gcj_02") == "GCJ-02"
    assert chinese_crs_name("bd09") == "BD-09"
    assert chinese_crs_name("EPSG:4490") is None
    gx, gy = wgs84_to_gcj02(119.14, 28.08)
    wx, wy = to_wgs84(gx, gy, "GCJ-02")
    assert metres(wx, wy, 119.14, 28.08)[0] < 0.01
    # a projected CRS goes through pyproj: CGCS2000 / 3-degree GK CM 120E
    x, y = to_wgs84([500000.0], [3_000_000.0], "EPSG:4549")
    assert x[0] == pytest.approx(120.0, abs=1e-9)
    assert 27.0 < y[0] < 27.2
