"""What-if updates are exact against a full recompute."""

from __future__ import annotations

import numpy as np
import pytest
from engine_graphs import random_network

from coverage import compute_coverage, load_config, read_population, read_stations, run_coverage
from coverage.engine.access import AccessModel
from coverage.engine.snapping import snap_points
from coverage.engine.whatif import add_source, engine_state, remove_source
from coverage.whatif import add_station, move_station, remove_station


def _snap(net, xy, direction, edges):
    return snap_points(
        net, xy[:, 0], xy[:, 1], max_distance_m=500.0, edges=edges, direction=direction
    )


def _full(net, stations, points, edges):
    return engine_state(
        net,
        _snap(net, stations, "to_point", edges),
        _snap(net, points, "from_point", edges),
        AccessModel(mode=net.mode, max_access_m=500.0, snap_to="edge" if edges else "node"),
    )


def _same(a, b):
    np.testing.assert_allclose(a.times.seconds, b.times.seconds, rtol=1e-12)
    np.testing.assert_allclose(a.point_seconds, b.point_seconds, rtol=1e-12)
    # labels agree wherever the nearest station is unique (ties may pick either)
    np.testing.assert_array_equal(np.isfinite(a.times.seconds), a.times.station >= 0)
    np.testing.assert_array_equal(a.point_station >= 0, b.point_station >= 0)


@pytest.mark.parametrize("edges", [False, True])
@pytest.mark.parametrize("seed", [11, 12])
def test_add_and_remove_match_full_recompute(seed, edges):
    net = random_network(seed, n=400)
    rng = np.random.default_rng(seed)
    lo = np.array([net.x.min(), net.y.min()])
    hi = np.array([net.x.max(), net.y.max()])
    stations = rng.uniform(lo, hi, size=(6, 2))
    points = rng.uniform(lo, hi, size=(500, 2))
    state = _full(net, stations[:5], points, edges)
    # add the sixth station
    added = add_source(state, _snap(net, stations[5:], "to_point", edges), limit_s=30.0)
    _same(added, _full(net, stations, points, edges))
    assert (added.times.station == 5).any()
    # remove each station in turn
    full6 = _full(net, stations, points, edges)
    for r in range(6):
        removed = remove_source(full6, r)
        keep = np.delete(stations, r, axis=0)
        ref = _full(net, keep, points, edges)
        _same(removed, ref)
        unique = np.isfinite(ref.point_seconds)
        np.testing.assert_array_equal(removed.point_station[unique], ref.point_station[unique])


def test_remove_last_reachable_station_leaves_its_catchment_unreachable():
    net = random_network(3, n=200)
    xy = np.array([[net.x[0], net.y[0]]])
    state = _full(net, xy, xy, False)
    gone = remove_source(state, 0)
    assert np.isinf(gone.times.seconds).all() and (gone.times.station == -1).all()
    assert np.isinf(gone.point_seconds).all()


def test_result_api_add_and_remove_station(grid_case):
    case = grid_case(n=6, station_nodes=[(0, 0), (5, 5)], minutes=[3.0, 5.0, 9.0])
    config = load_config(case.config)
    base = run_coverage(config)
    network = base.network
    stations = read_stations(case.stations)
    population = read_population(case.population)
    # add a station at the centre of the lattice, in lon/lat
    lon = (stations.geometry.x.min() + stations.geometry.x.max()) / 2
    lat = (stations.geometry.y.min() + stations.geometry.y.max()) / 2
    more = add_station(base, (lon, lat), station_id="new")
    stations_plus = stations.copy()
    stations_plus.loc[len(stations_plus), ["id", "name", "tier"]] = ["new", "new", None]
    stations_plus = stations_plus.set_geometry(
        [*stations.geometry, type(stations.geometry.iloc[0])(lon, lat)], crs=stations.crs
    )
    full = compute_coverage(
        network,
        stations_plus,
        population,
        AccessModel(mode=network.mode, minutes=tuple([3.0, 5.0, 9.0])),
    )
    for key in ("population_covered", "coverage_by_minutes", "mean_minutes"):
        assert more.summary[key] == pytest.approx(full.summary[key], rel=1e-12)
    assert more.coverage_share >= base.coverage_share
    assert list(more.stations["id"]) == ["S1", "S2", "new"]
    np.testing.assert_allclose(
        more.stations["catchment_population"], full.stations["catchment_population"]
    )
    # closing it again gives the original figures back
    back = remove_station(more, "new")
    assert back.summary["coverage_by_minutes"] == pytest.approx(base.summary["coverage_by_minutes"])
    np.testing.assert_allclose(back.point_minutes, base.point_minutes, rtol=1e-12)
    # closing S1 equals a run with S2 only
    less = remove_station(base, "S1")
    only2 = compute_coverage(
        network,
        stations.iloc[[1]],
        population,
        AccessModel(mode=network.mode, minutes=tuple([3.0, 5.0, 9.0])),
    )
    np.testing.assert_allclose(less.point_minutes, only2.point_minutes, rtol=1e-12)
    assert less.summary["coverage_share"] == pytest.approx(only2.summary["coverage_share"])
    with pytest.raises(ValueError, match="no station with id"):
        remove_station(base, "nope")
    with pytest.raises(ValueError, match="exists"):
        add_station(base, (lon, lat), station_id="S1")


def test_move_station_equals_a_run_with_the_station_elsewhere(grid_case):
    case = grid_case(n=6, station_nodes=[(0, 0), (5, 5)], minutes=[3.0, 5.0], boundaries=True)
    base = run_coverage(load_config(case.config))
    stations = read_stations(case.stations)
    stations["note"] = ["first", "second"]  # an extra column travels with the station
    base = compute_coverage(
        base.network,
        stations,
        read_population(case.population),
        base.engine.access,
        units=base.unit_polygons["unit"],
    )
    lon, lat = stations.geometry.x.mean(), stations.geometry.y.mean()
    moved = move_station(base, "S1", (lon, lat))
    assert moved.stations["id"].tolist() == ["S2", "S1"]
    assert moved.stations["note"].tolist() == ["second", "first"]
    elsewhere = stations.copy()
    elsewhere.loc[0, "geometry"] = type(stations.geometry.iloc[0])(lon, lat)
    full = compute_coverage(
        base.network,
        elsewhere,
        read_population(case.population),
        base.engine.access,
        units=base.unit_polygons["unit"],
    )
    np.testing.assert_allclose(moved.point_minutes, full.point_minutes, rtol=1e-12)
    assert moved.summary["coverage_by_minutes"] == pytest.approx(
        full.summary["coverage_by_minutes"]
    )
    assert moved.units["unit"]["covered"].tolist() == full.units["unit"]["covered"].tolist()
    # the units of the demand points are carried over, not placed again
    assert moved.unit_of_point["unit"] is base.unit_of_point["unit"]
    np.testing.assert_array_equal(base.unit_of_point["unit"], full.unit_of_point["unit"])
    twice = add_station(remove_station(base, "S1"), (lon, lat), station_id="S1")
    np.testing.assert_allclose(twice.point_minutes, moved.point_minutes, rtol=1e-12)
    with pytest.raises(ValueError, match="move_station: no station with id 'S9'"):
        move_station(base, "S9", (lon, lat))
