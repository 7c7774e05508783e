"""Water areas from OSM files and barrier layers, and the run that uses them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from fixtures.synthetic import write_osm_xml
from pyproj import Transformer

from coverage.engine.barriers import barrier_for_network
from coverage.errors import InputError
from coverage.inputs.network import load_network
from coverage.inputs.water import read_barrier_layer, read_osm_water, sea_faces

CRS = "EPSG:32651"
X0, Y0 = 300_000.0, 3_300_000.0
_TO_LONLAT = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


def _lonlat(xy):
    lon, lat = _TO_LONLAT.transform(
        np.array([p[0] for p in xy]) + X0, np.array([p[1] for p in xy]) + Y0
    )
    return np.asarray(lon), np.asarray(lat)


def test_sea_side_of_an_open_coastline_and_of_islands():
    box = shapely.box(0, 0, 100, 100)
    # a coast running north: land on its left (west), sea east of x = 40
    sea = sea_faces(shapely.LineString([(40, -10), (40, 110)]), box)
    assert sea.area == pytest.approx(60 * 100)
    assert sea.contains(shapely.Point(70, 50)) and not sea.contains(shapely.Point(10, 50))
    # the same coast with an island off it, given as a closed ring
    island = shapely.LineString([(60, 60), (80, 60), (80, 80), (60, 80), (60, 60)])
    sea = sea_faces(shapely.MultiLineString([[(40, -10), (40, 110)], island.coords]), box)
    assert sea.area == pytest.approx(60 * 100 - 400)


def _river_file(tmp_path):
    """A riverbank polygon (y 140..160) between a south and a north road, and a bridge."""
    pts = [(0, -200), (1000, -200), (0, 300), (1000, 300), (500, -200), (500, 300)]
    bank = [(-500, 140), (1500, 140), (1500, 160), (-500, 160)]
    lon, lat = _lonlat(pts + bank)
    ways = [[1, 5, 2], [3, 6, 4], [5, 6], [7, 8, 9, 10, 7]]
    tags = [{"highway": "residential"}] * 3 + [{"waterway": "riverbank"}]
    return write_osm_xml(tmp_path / "river.osm", lon, lat, ways, tags)


def test_osm_riverbank_blocks_legs(tmp_path):
    path = _river_file(tmp_path)
    water = read_osm_water(path, (100, 0, 150, 60))
    assert len(water) == 1
    net = load_network(path, metric_crs=CRS)
    barrier = barrier_for_network(net, max_access_m=1000.0)
    assert barrier is not None
    # from just south of the river, across it (blocked) and back to the south road
    legs = barrier.blocked(
        np.array([X0 + 200.0, X0 + 200.0]), np.array([Y0 + 120.0, Y0 + 120.0]),
        np.array([X0 + 200.0, X0 + 200.0]), np.array([Y0 + 300.0, Y0 - 200.0]),
    )  # fmt: skip
    assert legs.tolist() == [True, False]


def test_barrier_layer_in_any_crs(tmp_path):
    path = _river_file(tmp_path)
    net = load_network(path, metric_crs=CRS)
    lake = shapely.box(X0 + 600, Y0 - 100, X0 + 900, Y0 + 100)
    layer = tmp_path / "lake.geojson"
    gpd.GeoSeries([lake], crs=CRS).to_crs("EPSG:4326").to_file(layer)
    assert read_barrier_layer(layer).crs.to_epsg() == 4326
    barrier = barrier_for_network(net, osm_water=False, layer=layer, max_access_m=1000.0)
    assert barrier is not None
    assert barrier.blocked(
        np.array([X0 + 550.0]), np.array([Y0]), np.array([X0 + 950.0]), np.array([Y0])
    ).tolist() == [True]
    assert not barrier.water[barrier.land > 0].any()


def test_bad_barrier_layers(tmp_path):
    with pytest.raises(InputError, match="barriers file not found"):
        read_barrier_layer(tmp_path / "none.geojson")
    lines = tmp_path / "lines.geojson"
    gpd.GeoSeries([shapely.LineString([(0, 0), (1, 1)])], crs=4326).to_file(lines)
    with pytest.raises(InputError, match="no polygons"):
        read_barrier_layer(lines)
