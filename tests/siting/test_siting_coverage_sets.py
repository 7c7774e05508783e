"""Coverage sets from bounded searches, against the engine and a networkx reference."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from pyproj import CRS

from coverage.engine.snapping import snap_points
from coverage.engine.travel_times import node_times, point_times
from coverage.inputs.network import Network
from coverage.siting.coverage_sets import reach_radius_m, site_coverage
from coverage.siting.robustness import coverage_without, station_criticality

ACCESS_KMH = 5.0


def random_network(seed: int, *, n: int = 400, size_m: float = 6000.0) -> Network:
    """Nodes scattered over a square, joined to their nearest neighbours; some one-way
    edges and some slow (steps) edges, so the reversed graph and the speed bound matter."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    x = rng.uniform(0, size_m, n) + 500_000.0
    y = rng.uniform(0, size_m, n) + 3_000_000.0
    _, nbr = cKDTree(np.column_stack([x, y])).query(np.column_stack([x, y]), k=4)
    u = np.repeat(np.arange(n), 3)
    v = nbr[:, 1:].ravel()
    length = np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.0, 1.3, u.size)
    speed = np.where(rng.random(u.size) < 0.1, 2.5, 5.0) / 3.6
    one_way = rng.random(u.size) < 0.15
    eu = np.concatenate([u, v[~one_way]])
    ev = np.concatenate([v, u[~one_way]])
    el = np.concatenate([length, length[~one_way]])
    es = np.concatenate([length / speed, (length / speed)[~one_way]])
    return Network(
        node_ids=np.arange(n, dtype=np.int64) + 1,
        lon=np.zeros(n),
        lat=np.zeros(n),
        x=x,
        y=y,
        crs=CRS.from_epsg(32650),
        edge_u=eu,
        edge_v=ev,
        edge_length_m=el,
        edge_seconds=es,
        edge_highway=np.full(eu.size, "residential", dtype=object),
        mode="walk",
    )


def engine_sets(network, sx, sy, demand_snap, minutes, max_access_m):
    """One engine run per site: the reference the matrix must reproduce."""
    rows = []
    for i in range(sx.size):
        snap = snap_points(network, sx[i : i + 1], sy[i : i + 1], max_distance_m=max_access_m)
        times = node_times(network, snap, access_speed_kmh=ACCESS_KMH)
        seconds, _ = point_times(times, demand_snap, access_speed_kmh=ACCESS_KMH)
        rows.append(seconds / 60.0)
    return np.array(rows)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_engine_per_site(seed):
    network = random_network(seed)
    rng = np.random.default_rng(100 + seed)
    lo, hi = network.x.min(), network.x.max()
    sx, sy = rng.uniform(lo, hi, 60), rng.uniform(network.y.min(), network.y.max(), 60)
    dx, dy = rng.uniform(lo, hi, 700), rng.uniform(network.y.min(), network.y.max(), 700)
    demand_snap = snap_points(network, dx, dy, max_distance_m=300.0)
    minutes = 12.0
    # a tiny memory cap forces many chunks per tile
    sets = site_coverage(
        network, sx, sy, demand_snap, minutes=minutes, max_access_m=300.0, max_chunk_bytes=20_000
    )
    assert sp.issparse(sets) and sets.shape == (60, 700)
    reference = engine_sets(network, sx, sy, demand_snap, minutes, 300.0)
    expected = reference <= minutes
    dense = np.zeros(sets.shape, dtype=bool)
    dense[np.repeat(np.arange(60), np.diff(sets.indptr)), sets.indices] = True
    assert np.array_equal(dense, expected)
    assert expected.sum() > 100  # a real test: many entries, yet far from all
    assert expected.mean() < 0.5
    got = sets.toarray()[expected]
    np.testing.assert_allclose(got, reference[expected], rtol=1e-6, atol=1e-4)


def test_matches_networkx_reference():
    network = random_network(7, n=150, size_m=3000.0)
    rng = np.random.default_rng(7)
    sx = rng.uniform(network.x.min(), network.x.max(), 10)
    sy = rng.uniform(network.y.min(), network.y.max(), 10)
    dx = rng.uniform(network.x.min(), network.x.max(), 200)
    dy = rng.uniform(network.y.min(), network.y.max(), 200)
    demand_snap = snap_points(network, dx, dy, max_distance_m=400.0)
    sets = site_coverage(network, sx, sy, demand_snap, minutes=10.0, max_access_m=400.0)
    g = nx.DiGraph()
    for u, v, s in zip(network.edge_u, network.edge_v, network.edge_seconds, strict=True):
        if not g.has_edge(v, u) or g[v][u]["w"] > s:
            g.add_edge(v, u, w=s)  # reversed: travel towards the site
    site_snap = snap_points(network, sx, sy, max_distance_m=400.0)
    for i in range(10):
        start = ("site", i)
        for node, dist in zip(site_snap.nodes[i], site_snap.distance_m[i], strict=True):
            if node >= 0:
                g.add_edge(start, int(node), w=dist / (ACCESS_KMH / 3.6))
        dist = nx.single_source_dijkstra_path_length(g, start, weight="w")
        expected = set()
        for p in range(200):
            for node, leg in zip(demand_snap.nodes[p], demand_snap.distance_m[p], strict=True):
                if node >= 0 and dist.get(int(node), np.inf) + leg / (ACCESS_KMH / 3.6) <= 600:
                    expected.add(p)
        got = set(sets.indices[sets.indptr[i] : sets.indptr[i + 1]].tolist())
        assert got == expected


def test_reach_radius_bounds_every_reached_node():
    network = random_network(3)
    radius = reach_radius_m(network, seconds=600.0, access_speed_kmh=ACCESS_KMH)
    # straight-line speed of a 5 km/h walk along edges at least as long as the chord
    assert radius == pytest.approx(5 / 3.6 * 600.0, rel=1e-6)
    snap = snap_points(network, network.x[:1], network.y[:1])
    times = node_times(network, snap, access_speed_kmh=ACCESS_KMH, limit_s=600.0)
    reached = np.isfinite(times.seconds)
    far = np.hypot(network.x - network.x[0], network.y - network.y[0])
    assert reached.sum() > 5 and far[reached].max() <= radius


def test_criticality_and_closures_by_hand():
    # three stations on a line of demand points: A reaches 0-1, B reaches 1-2, C reaches 3
    sets = sp.csr_matrix(
        np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=float), dtype=float
    )
    pop = np.array([10.0, 20.0, 30.0, 40.0])
    table = station_criticality(sets, pop, ids=["A", "B", "C"])
    assert table["population_reached"].tolist() == [30.0, 50.0, 40.0]
    assert table["population_critical"].tolist() == [10.0, 30.0, 40.0]
    assert coverage_without(sets, pop, []) == 100.0
    assert coverage_without(sets, pop, [0]) == 90.0
    assert coverage_without(sets, pop, [0, 1]) == 40.0
    # closing one station loses exactly its critical population
    for i, row in table.iterrows():
        assert coverage_without(sets, pop, [i]) == 100.0 - row["population_critical"]


def test_criticality_matches_recomputing_without_each_station():
    network = random_network(5)
    rng = np.random.default_rng(55)
    sx = rng.uniform(network.x.min(), network.x.max(), 25)
    sy = rng.uniform(network.y.min(), network.y.max(), 25)
    dx = rng.uniform(network.x.min(), network.x.max(), 900)
    dy = rng.uniform(network.y.min(), network.y.max(), 900)
    pop = rng.integers(1, 50, 900).astype(float)
    demand_snap = snap_points(network, dx, dy, max_distance_m=300.0)
    sets = site_coverage(network, sx, sy, demand_snap, minutes=10.0, max_access_m=300.0)
    table = station_criticality(sets, pop)

    def engine_covered(keep):
        snap = snap_points(network, sx[keep], sy[keep], max_distance_m=300.0)
        times = node_times(network, snap, access_speed_kmh=ACCESS_KMH)
        seconds, _ = point_times(times, demand_snap, access_speed_kmh=ACCESS_KMH)
        return float(pop[seconds / 60.0 <= 10.0].sum())

    everyone = engine_covered(np.ones(25, dtype=bool))
    assert coverage_without(sets, pop, []) == pytest.approx(everyone)
    lost = []
    for i in range(25):
        keep = np.ones(25, dtype=bool)
        keep[i] = False
        lost.append(everyone - engine_covered(keep))
        assert coverage_without(sets, pop, [i]) == pytest.approx(everyone - lost[-1])
    np.testing.assert_allclose(table["population_critical"], lost)
    assert max(lost) > 0 and min(lost) < max(lost)  # a real spread, not all zero


def test_sites_off_the_network_reach_it_over_long_access_legs():
    network = random_network(9, n=120, size_m=2000.0)
    # sites 1.5-2.5 km outside the network's box: only a long access leg reaches a road
    sx = np.array([network.x.min() - 1500.0, network.x.max() + 2500.0, network.x.mean()])
    sy = np.array([network.y.mean(), network.y.max() + 1500.0, network.y.min() - 2000.0])
    rng = np.random.default_rng(9)
    dx = rng.uniform(network.x.min(), network.x.max(), 300)
    dy = rng.uniform(network.y.min(), network.y.max(), 300)
    demand_snap = snap_points(network, dx, dy, max_distance_m=5000.0)
    sets = site_coverage(network, sx, sy, demand_snap, minutes=45.0, max_access_m=5000.0)
    reference = engine_sets(network, sx, sy, demand_snap, 45.0, 5000.0) <= 45.0
    dense = np.zeros(sets.shape, dtype=bool)
    dense[np.repeat(np.arange(3), np.diff(sets.indptr)), sets.indices] = True
    assert np.array_equal(dense, reference)
    assert 0 < reference.sum() < reference.size
