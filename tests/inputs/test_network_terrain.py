"""Terrain: bilinear DEM sampling, Tobler walking and the cycling rule, per edge direction."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine
from fixtures.synthetic import ORIGIN_X, ORIGIN_Y, UTM, grid_ways, lattice_lonlat, write_osm_xml

from coverage.engine.snapping import snap_points
from coverage.errors import InputError
from coverage.inputs.network import load_network
from coverage.inputs.terrain import read_dem, slope_factor, tobler_kmh

SLOPE = 0.1  # the synthetic DEM rises 10 m per 100 m eastwards


def _plane(x):
    return SLOPE * (x - (ORIGIN_X - 1000.0))


@pytest.fixture(scope="module")
def hill(tmp_path_factory):
    """A 4 x 4 street lattice (150 m blocks) on a plane rising eastwards, as OSM + DEM."""
    folder = tmp_path_factory.mktemp("hill")
    lon, lat = lattice_lonlat(4, 150.0)
    ways = grid_ways(4)
    osm = write_osm_xml(folder / "hill.osm", lon, lat, ways, [{"highway": "residential"}] * 8)
    west, north, px = ORIGIN_X - 1000.0, ORIGIN_Y + 1000.0, 10.0
    cols = rows = 300
    xc = west + (np.arange(cols) + 0.5) * px
    z = np.tile(_plane(xc), (rows, 1)).astype("float32")
    dem = folder / "hill.tif"
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        height=rows,
        width=cols,
        count=1,
        dtype="float32",
        crs=UTM,
        transform=Affine(px, 0, west, 0, -px, north),
        nodata=-9999.0,
    ) as dst:
        dst.write(z, 1)
    return osm, dem


def test_bilinear_sample_is_exact_on_a_plane(hill):
    _, dem_path = hill
    dem = read_dem(dem_path)
    rng = np.random.default_rng(3)
    x = rng.uniform(ORIGIN_X - 900, ORIGIN_X + 1900, 200)
    y = rng.uniform(ORIGIN_Y - 1900, ORIGIN_Y + 900, 200)
    np.testing.assert_allclose(dem.sample(x, y, UTM), _plane(x), rtol=1e-6, atol=1e-6)
    # outside the raster: NaN, never a clamped value
    assert np.isnan(dem.sample(np.array([ORIGIN_X + 5000.0]), np.array([ORIGIN_Y]), UTM)).all()
    assert dem.pixel_m == pytest.approx(10.0)


def test_tobler_values():
    assert float(tobler_kmh(-0.05)) == pytest.approx(6.0)
    assert float(tobler_kmh(0.0)) == pytest.approx(6 * np.exp(-0.175))
    assert float(tobler_kmh(0.1)) == pytest.approx(6 * np.exp(-0.525))
    assert float(slope_factor("walk", 0.0)) == pytest.approx(1.0)
    assert float(slope_factor("walk", 0.15)) == pytest.approx(np.exp(-3.5 * 0.15))
    assert float(slope_factor("bike", 0.1)) == pytest.approx(0.5)
    assert float(slope_factor("bike", -0.02)) == pytest.approx(1.1)
    assert float(slope_factor("bike", -0.2)) == pytest.approx(1.25)
    assert float(slope_factor("ebike", 0.1)) == pytest.approx(1 / 1.4)
    assert float(slope_factor("ebike", -0.1)) == pytest.approx(1.0)
    assert float(slope_factor("drive", 0.3)) == pytest.approx(1.0)
    assert float(slope_factor("walk", np.nan)) == pytest.approx(1.0)


@pytest.mark.parametrize("mode", ["walk", "bike", "ebike", "drive"])
def test_edge_times_follow_the_slope_rule_per_direction(hill, mode):
    osm, dem = hill
    flat = load_network(osm, mode=mode)
    hilly = load_network(osm, mode=mode, dem=dem)
    np.testing.assert_allclose(hilly.node_elevation_m, _plane(hilly.x), rtol=1e-6)
    rise = _plane(flat.x[flat.edge_v]) - _plane(flat.x[flat.edge_u])
    grade = rise / flat.edge_length_m
    expected = flat.edge_seconds / slope_factor(mode, grade)
    np.testing.assert_allclose(hilly.edge_seconds, expected, rtol=1e-6)
    east = grade > 0.05
    assert east.any() and (np.abs(grade[np.abs(grade) < 0.01]) < 1e-3).all()
    if mode == "drive":
        np.testing.assert_allclose(hilly.edge_seconds, flat.edge_seconds)
    else:  # uphill slower than the same street downhill
        up = dict(
            zip(zip(hilly.edge_u, hilly.edge_v, strict=True), hilly.edge_seconds, strict=True)
        )
        for u, v in zip(hilly.edge_u[east], hilly.edge_v[east], strict=True):
            assert up[(u, v)] > up[(v, u)]


def test_access_legs_are_walked_with_tobler(hill):
    osm, dem_path = hill
    dem = read_dem(dem_path)
    net = load_network(osm, dem=dem_path)
    node = 0
    # a resident 100 m west of a node: walks 10 m up to the road
    px, py = np.array([net.x[node] - 100.0]), np.array([net.y[node]])
    snap = snap_points(net, px, py, elevation_m=dem.sample(px, py, net.crs))
    assert snap.nodes[0, 0] == node
    grade = (net.node_elevation_m[node] - _plane(px[0])) / snap.distance_m[0, 0]
    assert snap.climb_factor[0, 0] == pytest.approx(1 / float(slope_factor("walk", grade)))
    # a station there is reached downhill (-10 %), which Tobler makes as fast as the
    # flat (his function is symmetric about -5 %), so faster than uphill
    st = snap_points(net, px, py, elevation_m=dem.sample(px, py, net.crs), direction="to_point")
    assert st.climb_factor[0, 0] == pytest.approx(1 / float(slope_factor("walk", -grade)))
    assert st.climb_factor[0, 0] == pytest.approx(1.0)
    assert snap.climb_factor[0, 0] == pytest.approx(np.exp(3.5 * 0.1))  # +10 %: 1.42x slower


def test_dem_errors(tmp_path, hill):
    osm, _ = hill
    with pytest.raises(InputError, match="DEM file not found"):
        load_network(osm, dem=tmp_path / "missing.tif")
    with pytest.raises(InputError, match="does not cover"):
        read_dem(hill[1], lonlat_bounds=(10.0, 10.0, 10.1, 10.1))
