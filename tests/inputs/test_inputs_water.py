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


def test_coastline_ways_that_close_a_ring_make_an_island():
    """An island drawn as two coastline ways, counter-clockwise (land on the left): one
    island, with the same sea as the box cut into faces by its ring; the same ring
    clockwise (a lagoon: sea inside) stays with the faces and its inside is the sea."""
    from shapely.geometry import LineString, MultiLineString, Polygon

    from coverage.inputs import water

    box = shapely.box(0, 0, 10, 10)
    north, south = LineString([(2, 2), (8, 2), (8, 8)]), LineString([(8, 8), (2, 8), (2, 2)])
    land, lines = water.coast_parts(MultiLineString([north, south]))
    assert lines == [] and land.area == 36.0
    by_faces = water._sea(Polygon(), [north, south], box)  # no island given: the faces decide
    assert by_faces.area == 64.0
    assert sea_faces(MultiLineString([north, south]), box).equals(by_faces)
    lagoon = MultiLineString([south.reverse(), north.reverse()])
    land, lines = water.coast_parts(lagoon)
    assert land.is_empty and len(lines) == 2  # left to the faces
    assert sea_faces(lagoon, box).area == 36.0


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


def _river_pbf(tmp_path):
    """The river file of :func:`_river_file` as PBF, with a lake and a coastline too."""
    from fixtures.synthetic import write_osm_pbf

    pts = [(0, -200), (1000, -200), (0, 300), (1000, 300), (500, -200), (500, 300)]
    bank = [(-500, 140), (1500, 140), (1500, 160), (-500, 160)]
    lake = [(100, 400), (300, 400), (300, 500), (100, 500)]
    coast = [(-600, 900), (1600, 900)]
    lon, lat = _lonlat(pts + bank + lake + coast)
    ways = [[1, 5, 2], [3, 6, 4], [5, 6], [7, 8, 9, 10, 7], [11, 12, 13, 14, 11], [16, 15]]
    tags = [{"highway": "residential"}] * 3 + [
        {"waterway": "riverbank"},
        {"natural": "water", "name": "湖"},
        {"natural": "coastline"},
    ]
    return write_osm_pbf(tmp_path / "river.osm.pbf", lon, lat, ways, tags)


def _river_config(tmp_path, **more):
    from coverage.config import config_from_dict

    path = _river_pbf(tmp_path)
    stations = tmp_path / "stations.csv"
    lon, lat = _lonlat([(500, -190)])
    stations.write_text(f"id,name,lon,lat\ns1,站,{lon[0]:.7f},{lat[0]:.7f}\n", encoding="utf-8")
    people = tmp_path / "people.csv"
    plon, plat = _lonlat([(200, 100), (200, 200), (800, 290)])
    people.write_text(
        "lon,lat,population\n"
        + "".join(f"{x:.7f},{y:.7f},10\n" for x, y in zip(plon, plat, strict=True)),
        encoding="utf-8",
    )
    settings = {"stations": str(stations), "population": {"points": str(people)}}
    return config_from_dict({**settings, "network": str(path), **more}, base_dir=None)


def test_water_read_in_a_second_process_is_the_water_read_here(tmp_path, monkeypatch):
    """For a file the roads' pass cannot give it, the child's water (the polygons, the
    islands' land and the open coastlines) comes back exactly (every coordinate), so the
    water, and the mask made of it, are those of a read in this process."""
    from coverage import fork
    from coverage.inputs.water import WaterParts, osm_water_reader, water_features, water_parts

    if not fork.fork_available():
        pytest.skip("forking is not available here (one core, not Linux or not the main thread)")
    path = _river_pbf(tmp_path)
    here = water_parts(water_features(path))
    # a file the block reader does not read (XML, over 1 GB): the child reads it
    monkeypatch.setattr("coverage.inputs.water.decoder_available", lambda _: False)
    with osm_water_reader() as reader:
        assert reader.start(path) is None
        assert reader._pending is not None and reader._pending.pid is not None  # forked
        there = reader.features(path)
    assert isinstance(there, WaterParts) and here.coast is not None and there.coast is not None
    assert len(here.polygons) == 2  # the riverbank and the lake
    assert shapely.equals_exact(there.polygons, here.polygons, 0).all()
    assert shapely.equals_exact(there.coast[0], here.coast[0], 0)  # the land (none here)
    assert len(here.coast[1]) == 1  # one open coastline
    assert shapely.equals_exact(there.coast[1], here.coast[1], 0).all()
    box = (float(min(_lonlat([(-700, -300)])[0])), 29.0, 122.0, 31.0)
    water_here = read_osm_water(path, box)
    water_there = read_osm_water(path, box, features=lambda _: there)
    assert len(water_here) == 3  # riverbank, lake, sea
    assert shapely.equals_exact(water_here.to_numpy(), water_there.to_numpy(), 0).all()
    # nothing started (a cached network) or another file: read here, no child
    calls = []
    monkeypatch.setattr("coverage.inputs.water.forked", lambda *a, **k: calls.append(a))
    with osm_water_reader(enabled=False) as reader:
        reader.start(path)
        assert reader.features(path) is not None
    assert calls == []


def test_a_first_run_takes_the_water_from_the_roads_pass(tmp_path, monkeypatch):
    """A PBF the block reader reads is decoded once: its water comes from the roads'
    pass (no second process), the same water as a read of its own, every coordinate;
    a re-run from the graph cache reads the cached mask. A PBF osmium reads forks the
    water read. The same figures every way."""
    from coverage import fork
    from coverage.inputs import osm_ways, water
    from coverage.pipeline import run_coverage

    if not fork.fork_available():
        pytest.skip("forking is not available here (one core, not Linux or not the main thread)")
    path = _river_pbf(tmp_path)
    collector = water.osm_water_reader
    with collector() as reader:
        collect = reader.start(path)
        assert collect is not None and reader._pending is None
        osm_ways.read_osm_ways(path, collect=collect)
        parts = reader.features(path)
    here = water.water_parts(water.water_features(path))
    assert isinstance(parts, water.WaterParts) and parts.coast is not None
    assert shapely.equals_exact(parts.polygons, here.polygons, 0).all()
    assert shapely.equals_exact(parts.coast[1], here.coast[1], 0).all()
    with collector() as reader:  # the parse went to osmium: the collector stays empty
        reader.start(path)
        assert isinstance(reader.features(path), gpd.GeoDataFrame)  # read here

    cfg = _river_config(tmp_path).replace(cache=True, cache_dir=tmp_path / "cache")
    started = []
    real = fork.forked

    def counting(task, **kwargs):
        started.append(kwargs.get("name"))
        return real(task, **kwargs)

    monkeypatch.setattr("coverage.inputs.water.forked", counting)
    first = run_coverage(cfg)
    again = run_coverage(cfg)
    assert started == []  # decoded once, then the cache
    monkeypatch.setattr("coverage.inputs.water.decoder_available", lambda _: False)
    monkeypatch.setattr("coverage.inputs.osm_ways.decoder_available", lambda _: False)
    by_osmium = run_coverage(cfg.replace(cache=False))
    assert started == ["the process reading the OSM water areas"]
    assert first.coverage_share == again.coverage_share == by_osmium.coverage_share == 1.0
    assert first.summary["population_total"] == by_osmium.summary["population_total"] == 30


def test_the_parent_loads_pyrosm_while_the_child_reads_and_not_after(tmp_path, monkeypatch):
    """From a process's second run on, this process loads pyrosm's reader while a
    child still reads with it (its next runs' children start with it). Not in its
    first run (a command line's only one, which would wait longer), nor once the
    child has answered."""
    import sys
    import time

    from coverage import fork
    from coverage.inputs import water

    if not fork.fork_available():
        pytest.skip("forking is not available here (one core, not Linux or not the main thread)")
    path = _river_pbf(tmp_path)
    monkeypatch.setattr(water, "decoder_available", lambda _: False)  # pyrosm reads it
    real = water._parts_json
    warmed = []
    monkeypatch.setattr(water, "warm_reader", lambda: warmed.append(1))
    monkeypatch.setattr(water, "_FORKED_READS", [0])
    monkeypatch.delitem(sys.modules, "pyrosm.pyrosm", raising=False)  # a process not warm yet

    def read(slow):
        monkeypatch.setattr(water, "_parts_json", lambda p: time.sleep(slow) or real(p))
        with water.osm_water_reader() as reader:
            reader.start(path)
            pending = reader._pending
            deadline = time.monotonic() + 10.0
            while not slow and not pending.ready() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert reader.features(path) is not None

    read(0.4)  # the first run: no load, however long the child takes
    assert warmed == []
    read(0.4)  # the second, the child still reading: load
    assert warmed == [1]
    read(0.0)  # the child has answered: no load
    assert warmed == [1]


@pytest.mark.parametrize("cores", [2, 1])
def test_the_mask_is_built_on_a_second_thread_while_the_population_is_read(
    tmp_path, monkeypatch, cores
):
    """With the cores to itself a run builds the water mask on a second thread, started
    as soon as the network is there (before the population is read); in a batch worker
    (one thread) on this one. The same mask either way, and the first error is the
    inputs' when both the population and the mask fail."""
    import threading

    from coverage import pipeline
    from coverage.inputs import read as read_module

    monkeypatch.setattr(pipeline, "thread_count", lambda: cores)
    events = []
    real_barrier, real_demand = pipeline.water_barrier, read_module.load_demand

    def barrier(*args, **kwargs):
        events.append(("mask", threading.current_thread().name.split("_")[0]))
        return real_barrier(*args, **kwargs)

    def demand(*args, **kwargs):
        events.append(("population", threading.current_thread().name))
        return real_demand(*args, **kwargs)

    monkeypatch.setattr(pipeline, "water_barrier", barrier)
    monkeypatch.setattr(read_module, "load_demand", demand)
    config = _river_config(tmp_path).replace(cache=False)
    inputs, mask = pipeline.read_with_water(config)
    assert mask is not None and len(inputs.demand) == 3
    if cores == 2:
        assert events == [("mask", "water-mask"), ("population", "MainThread")]
    else:
        assert events == [("population", "MainThread"), ("mask", "MainThread")]
    alone = barrier_for_network(inputs.network)
    np.testing.assert_array_equal(mask.water, alone.water)
    np.testing.assert_array_equal(mask.land, alone.land)
    # both fail: the population's error, after the mask's thread has ended
    monkeypatch.setattr(pipeline, "water_barrier", lambda *a, **k: 1 / 0)
    bad = _river_config(tmp_path, population={"points": str(tmp_path / "none.csv")})
    with pytest.raises(InputError, match=r"none\.csv"):
        pipeline.read_with_water(bad.replace(cache=False))

    # the mask alone fails: its error, from whichever thread built it
    def broken(*args, **kwargs):
        raise InputError("barriers.geojson: no polygons")

    monkeypatch.setattr(pipeline, "water_barrier", broken)
    with pytest.raises(InputError, match=r"barriers\.geojson: no polygons"):
        pipeline.read_with_water(config)
