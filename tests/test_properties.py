"""Invariants of the engine and the coverage figures on generated networks (hypothesis)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer

from coverage import compute_coverage
from coverage.engine.access import AccessModel
from coverage.engine.snapping import snap_points
from coverage.engine.travel_times import node_times
from coverage.inputs.network import Network, network_from_edges
from coverage.inputs.population import Demand

UTM = "EPSG:32650"
TO_LONLAT = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
HIGHWAYS = np.array(["residential", "footway", "steps", "tertiary", "track"])


@dataclass
class Region:
    network: Network
    stations: gpd.GeoDataFrame
    demand: Demand


def _region(seed: int, n_nodes: int, n_stations: int, n_points: int) -> Region:
    rng = np.random.default_rng(seed)
    x = 500_000 + rng.uniform(0, 3000, n_nodes)
    y = 3_100_000 + rng.uniform(0, 3000, n_nodes)
    # a random tree keeps most of it connected; extra edges make cycles; a few nodes stay apart
    u = np.arange(1, n_nodes)
    v = (rng.uniform(0, 1, n_nodes - 1) * u).astype(int)
    extra = rng.integers(0, n_nodes, size=(n_nodes // 2, 2))
    u = np.concatenate([u, extra[:, 0]])
    v = np.concatenate([v, extra[:, 1]])
    drop = rng.uniform(0, 1, u.size) < 0.05
    drop[0] = False  # keep at least one road
    u, v = u[~drop], v[~drop]
    lon, lat = TO_LONLAT.transform(x, y)
    ways = pd.DataFrame({"u": u + 1, "v": v + 1, "highway": rng.choice(HIGHWAYS, size=u.size)})
    network = network_from_edges(
        np.arange(1, n_nodes + 1), np.asarray(lon), np.asarray(lat), ways, metric_crs=UTM
    )
    sx = 500_000 + rng.uniform(0, 3000, n_stations)
    sy = 3_100_000 + rng.uniform(0, 3000, n_stations)
    stations = gpd.GeoDataFrame(
        # distinct names: two random stations a few metres apart are two sites here (the
        # duplicate rule, same tier and name within 25 m, is tested on its own)
        {
            "id": [f"s{i}" for i in range(n_stations)],
            "name": [f"station {i}" for i in range(n_stations)],
            "tier": "village",
        },
        geometry=gpd.points_from_xy(sx, sy),
        crs=UTM,
    )
    px = 500_000 + rng.uniform(-200, 3200, n_points)
    py = 3_100_000 + rng.uniform(-200, 3200, n_points)
    pop = rng.integers(0, 100, n_points).astype(float)
    demand = Demand(x=px, y=py, population=pop, crs=network.crs, groups={})
    return Region(network, stations, demand)


regions = st.builds(
    _region,
    seed=st.integers(0, 2**31 - 1),
    n_nodes=st.integers(2, 60),
    n_stations=st.integers(1, 6),
    n_points=st.integers(1, 80),
)
thresholds = st.lists(st.floats(0.5, 60.0), min_size=1, max_size=4, unique=True)


def _run(region: Region, minutes, stations=None, demand=None, max_access_m=5000.0):
    return compute_coverage(
        region.network,
        region.stations if stations is None else stations,
        region.demand if demand is None else demand,
        AccessModel(mode=region.network.mode, minutes=tuple(minutes), max_access_m=max_access_m),
    )


@given(regions, thresholds)
def test_figures_are_bounded_and_monotonic(region, minutes):
    s = _run(region, minutes).summary
    total = region.demand.population.sum()
    assert s["population_total"] == pytest.approx(total)
    covered = [s["population_by_minutes"][f"{t:g}"] for t in sorted(minutes)]
    assert all(0 <= c <= total + 1e-9 for c in covered)
    assert covered == sorted(covered)
    assert s["unreachable_population"] <= total + 1e-9
    assert 0.0 <= s["coverage_share"] <= 1.0


@given(regions, thresholds, st.integers(0, 2**31 - 1))
def test_adding_a_station_never_lowers_coverage(region, minutes, seed):
    rng = np.random.default_rng(seed)
    before = _run(region, minutes)
    extra = gpd.GeoDataFrame(
        {"id": ["new"], "name": "", "tier": "village"},
        geometry=gpd.points_from_xy(
            [500_000 + rng.uniform(0, 3000)], [3_100_000 + rng.uniform(0, 3000)]
        ),
        crs=UTM,
    )
    more = pd.concat([region.stations, extra], ignore_index=True)
    after = _run(region, minutes, stations=gpd.GeoDataFrame(more, crs=UTM))
    assert np.all(after.point_minutes <= before.point_minutes + 1e-9)
    for t in minutes:
        key = f"{t:g}"
        assert (
            after.summary["population_by_minutes"][key]
            >= before.summary["population_by_minutes"][key] - 1e-9
        )


@given(regions, st.integers(0, 2**31 - 1))
def test_station_and_row_order_do_not_matter(region, seed):
    rng = np.random.default_rng(seed)
    base = _run(region, [10.0])
    perm = rng.permutation(len(region.stations))
    shuffled = region.stations.iloc[perm].reset_index(drop=True)
    other = _run(region, [10.0], stations=shuffled)
    np.testing.assert_allclose(other.point_minutes, base.point_minutes, rtol=1e-12)
    a = base.stations.set_index("id")["catchment_population"]
    b = other.stations.set_index("id")["catchment_population"]
    # ties between equidistant stations may resolve either way; totals and times never differ
    assert a.sum() == pytest.approx(b.sum())
    rows = rng.permutation(len(region.demand))
    d = region.demand
    moved = Demand(x=d.x[rows], y=d.y[rows], population=d.population[rows], crs=d.crs, groups={})
    third = _run(region, [10.0], demand=moved)
    np.testing.assert_allclose(third.point_minutes, base.point_minutes[rows], rtol=1e-12)
    assert third.summary["population_covered"] == pytest.approx(base.summary["population_covered"])


@given(regions)
def test_catchments_sum_to_the_reachable_population(region):
    result = _run(region, [15.0])
    reachable = result.summary["population_total"] - result.summary["unreachable_population"]
    assert result.stations["catchment_population"].sum() == pytest.approx(reachable)
    assert (result.stations["catchment_covered"] <= result.stations["catchment_population"]).all()


@given(regions)
def test_engine_equals_networkx(region):
    net = region.network
    pts = region.stations.to_crs(net.crs).geometry
    snap = snap_points(
        net, pts.x.to_numpy(), pts.y.to_numpy(), max_distance_m=800.0
    )  # some unreachable
    times = node_times(net, snap, access_speed_kmh=5.0)
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    for a, b, w in zip(net.edge_u, net.edge_v, net.edge_seconds, strict=True):
        if not g.has_edge(b, a) or g[b][a]["weight"] > w:
            g.add_edge(b, a, weight=w)  # reversed: the search starts at the stations
    for s, (node, dist) in enumerate(zip(snap.nodes[:, 0], snap.distance_m[:, 0], strict=True)):
        if node >= 0:
            g.add_edge(("s", s), int(node), weight=dist / (5.0 / 3.6))
    sources = [("s", s) for s in range(len(pts)) if snap.nodes[s, 0] >= 0]
    expected = np.full(net.n_nodes, np.inf)
    if sources:
        lengths = nx.multi_source_dijkstra_path_length(g, sources)
        for node, t in lengths.items():
            if not isinstance(node, tuple):
                expected[node] = t
    np.testing.assert_allclose(times.seconds, expected, rtol=1e-9)
    reach = np.isfinite(expected)
    assert np.all((times.station >= 0) == reach)
