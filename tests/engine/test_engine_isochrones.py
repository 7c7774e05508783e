"""Isochrones: nested, bounded by the threshold at the grid's resolution, per station."""

from __future__ import annotations

import itertools
import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from engine_graphs import random_network

from coverage import compute_coverage, load_config, run_coverage, write_outputs
from coverage.engine.access import AccessModel
from coverage.engine.isochrones import isochrone_polygons, travel_time_surface
from coverage.engine.snapping import snap_points
from coverage.engine.travel_times import point_times
from coverage.engine.whatif import engine_state
from coverage.inputs.population import Demand

THRESHOLDS = [3.0, 6.0, 10.0]
CELL = 40.0


@pytest.fixture(scope="module", params=[False, True], ids=["nodes", "edges"])
def surface_case(request):
    edges = request.param
    net = random_network(21, n=400)
    rng = np.random.default_rng(21)
    lo = np.array([net.x.min(), net.y.min()])
    hi = np.array([net.x.max(), net.y.max()])
    stations = rng.uniform(lo, hi, size=(3, 2))

    def snap(xy, direction):
        return snap_points(
            net, xy[:, 0], xy[:, 1], max_distance_m=300.0, edges=edges, direction=direction
        )

    state = engine_state(
        net,
        snap(stations, "to_point"),
        snap(stations, "from_point"),
        AccessModel(mode=net.mode, max_access_m=300.0, snap_to="edge" if edges else "node"),
    )
    surface = travel_time_surface(state, cell_m=CELL, max_minutes=max(THRESHOLDS))
    return state, surface, snap


def _exact_minutes(state, snap, x, y):
    seconds, station = point_times(
        state.times, snap(np.column_stack([x, y]), "from_point"), access_speed_kmh=5.0
    )
    return seconds / 60.0, station


def test_surface_matches_independent_point_times(surface_case):
    state, surface, snap = surface_case
    t = surface.transform
    rows, cols = np.mgrid[0 : surface.minutes.shape[0], 0 : surface.minutes.shape[1]]
    cx = t.c + (cols.ravel() + 0.5) * t.a
    cy = t.f + (rows.ravel() + 0.5) * t.e
    exact, station = _exact_minutes(state, snap, cx, cy)
    within = exact <= max(THRESHOLDS)
    got = surface.minutes.ravel()
    np.testing.assert_allclose(got[within], exact[within], rtol=1e-12)
    assert np.isnan(got[~within]).all()
    np.testing.assert_array_equal(surface.station.ravel()[within], station[within])
    # the grid reaches every node within the largest threshold, with margin
    net = state.network
    reached = state.times.seconds <= max(THRESHOLDS) * 60
    assert (net.x[reached] > t.c).all() and (net.y[reached] < t.f).all()


def test_isochrones_are_nested_and_bounded(surface_case):
    state, surface, snap = surface_case
    iso = isochrone_polygons(surface.minutes, surface.transform, surface.crs, THRESHOLDS)
    assert list(iso["minutes"]) == THRESHOLDS
    geoms = list(iso.geometry)
    for small, large in itertools.pairwise(geoms):
        assert small.difference(large).area < 1e-6 * small.area
        assert large.area > small.area
    rng = np.random.default_rng(5)
    t = surface.transform
    for minutes, geom in zip(THRESHOLDS, geoms, strict=True):
        cells = int((np.nan_to_num(surface.minutes, nan=np.inf) <= minutes).sum())
        assert geom.area == pytest.approx(cells * CELL * CELL, rel=1e-9)
        # random points inside: the centre of the cell holding each one is within the
        # threshold, computed independently of the surface
        minx, miny, maxx, maxy = geom.bounds
        x = rng.uniform(minx, maxx, 4000)
        y = rng.uniform(miny, maxy, 4000)
        inside = shapely.contains_xy(geom, x, y)
        col = np.floor((x[inside] - t.c) / CELL)
        row = np.floor((y[inside] - t.f) / -CELL)
        exact, _ = _exact_minutes(state, snap, t.c + (col + 0.5) * CELL, t.f - (row + 0.5) * CELL)
        assert inside.sum() > 100
        assert (exact <= minutes + 1e-9).all()
        # and cell centres within the threshold are inside
        outside = ~inside
        col = np.floor((x[outside] - t.c) / CELL)
        row = np.floor((y[outside] - t.f) / -CELL)
        exact, _ = _exact_minutes(state, snap, t.c + (col + 0.5) * CELL, t.f - (row + 0.5) * CELL)
        assert (exact > minutes).all()


def test_per_station_pieces_partition_each_isochrone(surface_case):
    _, surface, _ = surface_case
    whole = isochrone_polygons(surface.minutes, surface.transform, surface.crs, THRESHOLDS)
    per = isochrone_polygons(
        surface.minutes,
        surface.transform,
        surface.crs,
        THRESHOLDS,
        station=surface.station,
        station_ids=["a", "b", "c"],
    )
    assert set(per["station_id"]) <= {"a", "b", "c"}
    for minutes, geom in zip(THRESHOLDS, whole.geometry, strict=True):
        pieces = per.loc[per["minutes"] == minutes].geometry.tolist()
        assert sum(p.area for p in pieces) == pytest.approx(geom.area, rel=1e-9)
        assert shapely.union_all(pieces).symmetric_difference(geom).area < 1e-6 * geom.area
    for sid in ("a", "b", "c"):
        mine = per.loc[per["station_id"] == sid].sort_values("minutes").geometry.tolist()
        for small, large in itertools.pairwise(mine):
            assert small.difference(large).area < 1e-6 * max(small.area, 1.0)


def test_outputs_for_a_point_table_and_per_station(grid_case, tmp_path):
    case = grid_case(n=6, station_nodes=[(1, 1), (4, 4)], minutes=[3.0, 5.0])
    base = run_coverage(load_config(case.config))
    demand = base.demand
    points = Demand(x=demand.x, y=demand.y, population=demand.population, crs=demand.crs, groups={})
    result = compute_coverage(
        base.network,
        base.stations[["id", "name", "tier", "geometry"]],
        points,
        AccessModel(mode=base.network.mode, minutes=tuple([3.0, 5.0])),
    )
    files = write_outputs(
        result, tmp_path / "out", isochrone_cell_m=25.0, isochrones_per_station=True
    )
    assert "travel_time" not in files  # no raster to write a surface on
    iso = gpd.read_file(files["isochrones"])
    assert iso.crs.to_epsg() == 4326 and list(iso["minutes"]) == [3.0, 5.0]
    metric = iso.to_crs(base.network.crs)
    assert metric.geometry.iloc[0].difference(metric.geometry.iloc[1]).area < 1e-3
    # 2 minutes a block at 6 km/h: the 5-minute area of a lattice node spans 2.5 blocks
    # along each street, so it covers 4 x 2.5 blocks x 2 sides x 12.5 m ... at least the
    # street lengths within 5 minutes of both stations
    assert metric.geometry.iloc[1].area > 2 * 4 * 2 * 200.0 * 25.0
    per = json.loads(files["isochrones_stations"].read_text(encoding="utf-8"))
    assert {f["properties"]["station_id"] for f in per["features"]} == {"S1", "S2"}
