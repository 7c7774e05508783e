"""The engine against independent networkx shortest paths on random one-way networks."""

from __future__ import annotations

import numpy as np
import pytest
from engine_graphs import random_network, reference_minutes

from coverage.engine.snapping import snap_points
from coverage.engine.travel_times import node_times, point_times


def _engine(net, stations_xy, points_xy, *, edges, access_kmh=4.5, max_access_m=400.0):
    st = snap_points(
        net,
        stations_xy[:, 0],
        stations_xy[:, 1],
        max_distance_m=max_access_m,
        edges=edges,
        direction="to_point",
    )
    pt = snap_points(
        net, points_xy[:, 0], points_xy[:, 1], max_distance_m=max_access_m, edges=edges
    )
    times = node_times(net, st, access_speed_kmh=access_kmh)
    seconds, station = point_times(times, pt, access_speed_kmh=access_kmh)
    return times, seconds, station


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("edges", [False, True])
def test_node_and_point_times_match_networkx(seed, edges):
    net = random_network(seed)
    rng = np.random.default_rng(100 + seed)
    lo = np.array([net.x.min(), net.y.min()])
    hi = np.array([net.x.max(), net.y.max()])
    stations = rng.uniform(lo, hi, size=(4, 2))
    points = rng.uniform(lo - 300, hi + 300, size=(150, 2))
    # a few residents on the same long segment as a station
    points[:3] = stations[0] + rng.normal(0, 30, size=(3, 2))
    times, seconds, station = _engine(net, stations, points, edges=edges)
    ref_nodes, ref_points = reference_minutes(
        net, stations, points, access_kmh=4.5, max_access_m=400.0, edges=edges
    )
    np.testing.assert_allclose(times.seconds / 60.0, ref_nodes, rtol=1e-9)
    np.testing.assert_allclose(seconds / 60.0, ref_points, rtol=1e-9)
    assert np.isinf(ref_points).any() and np.isfinite(ref_points).any()
    assert ((station >= 0) == np.isfinite(seconds)).all()


def test_one_way_streets_make_times_asymmetric():
    net = random_network(5)
    # with every edge reversed, times *to* a station become times *from* it
    flipped = type(net)(**{**net.__dict__, "edge_u": net.edge_v, "edge_v": net.edge_u})
    flipped.__dict__.pop("graph", None)
    xy = np.array([[net.x[0], net.y[0]]])
    a = _engine(net, xy, xy, edges=False)[0].seconds
    b = _engine(flipped, xy, xy, edges=False)[0].seconds
    both = np.isfinite(a) & np.isfinite(b)
    assert not np.allclose(a[both], b[both])


def test_edge_entry_is_never_slower_than_nodes_only():
    net = random_network(8)
    rng = np.random.default_rng(8)
    lo = np.array([net.x.min(), net.y.min()])
    hi = np.array([net.x.max(), net.y.max()])
    stations = rng.uniform(lo, hi, size=(3, 2))
    points = rng.uniform(lo, hi, size=(400, 2))
    _, nodes_only, _ = _engine(net, stations, points, edges=False)
    _, with_edges, _ = _engine(net, stations, points, edges=True)
    assert (with_edges <= nodes_only + 1e-9).all()
    assert (with_edges < nodes_only - 1.0).mean() > 0.2
