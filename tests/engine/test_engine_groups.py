"""Slower groups: a group's journeys at a fraction of the speeds, against networkx."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import Point

from coverage import compute_coverage
from coverage.engine.access import AccessModel
from coverage.errors import InputError
from coverage.inputs.network import Network
from coverage.inputs.population import Demand

UTM = "EPSG:32650"
X0, Y0 = 700_000.0, 3_100_000.0
N, STEP = 12, 150.0


def _grid(mode: str = "walk") -> Network:
    """A 12 x 12 street grid, 150 m blocks, mixed speeds, some one-way streets."""
    rng = np.random.default_rng(7)
    ij = np.arange(N * N).reshape(N, N)
    a = np.concatenate([ij[:, :-1].ravel(), ij[:-1, :].ravel()])
    b = np.concatenate([ij[:, 1:].ravel(), ij[1:, :].ravel()])
    oneway = rng.random(a.size) < 0.2
    kmh = rng.choice([4.0, 5.0, 6.0], size=a.size)
    u = np.concatenate([a, b[~oneway]])
    v = np.concatenate([b, a[~oneway]])
    secs = np.concatenate([STEP / (kmh / 3.6), STEP / (kmh[~oneway] / 3.6)])
    x = (ij % N).ravel() * STEP + X0
    y = (ij // N).ravel() * STEP + Y0
    return Network(
        node_ids=np.arange(N * N) + 1, lon=np.zeros(N * N), lat=np.zeros(N * N), x=x, y=y,
        crs=gpd.GeoSeries([], crs=UTM).crs, edge_u=u, edge_v=v,
        edge_length_m=np.full(u.size, STEP), edge_seconds=secs,
        edge_highway=np.full(u.size, "residential", dtype=object), mode=mode,
    )  # fmt: skip


def _case(mode="walk"):
    net = _grid(mode)
    rng = np.random.default_rng(3)
    px = rng.uniform(-50, (N - 1) * STEP + 50, 300) + X0
    py = rng.uniform(-50, (N - 1) * STEP + 50, 300) + Y0
    people = rng.uniform(1, 50, 300)
    older = people * rng.uniform(0.1, 0.4, 300)
    demand = Demand(x=px, y=py, population=people, crs=net.crs,
                    groups={"age_65_plus": older, "children": people - older})  # fmt: skip
    nodes = [0, N * N - 1, N * 5 + 6]
    stations = gpd.GeoDataFrame(
        {"id": [f"s{i}" for i in nodes], "name": ["s"] * 3, "tier": ["village"] * 3},
        geometry=[Point(net.x[i], net.y[i]) for i in nodes], crs=UTM,
    )  # fmt: skip
    return net, demand, stations, nodes


def _reference_minutes(net, demand, nodes, factor):
    """networkx: to the nearest station at ``factor`` times every speed, access legs included."""
    graph = nx.DiGraph()
    for u, v, s in zip(net.edge_u, net.edge_v, net.edge_seconds, strict=True):
        graph.add_edge(int(v), int(u), s=float(s) / factor)  # reversed: towards a station
    node_s = nx.multi_source_dijkstra_path_length(graph, set(nodes), weight="s")
    out = np.full(len(demand), np.inf)
    for i, (x, y) in enumerate(zip(demand.x, demand.y, strict=True)):
        d = np.hypot(net.x - x, net.y - y)
        n = int(np.argmin(d))
        if n in node_s:
            out[i] = (d[n] / (5.0 * factor / 3.6) + node_s[n]) / 60.0
    return out


def test_slower_group_against_networkx():
    net, demand, stations, nodes = _case()
    minutes = [5, 10, 15]
    result = compute_coverage(
        net,
        stations,
        demand,
        AccessModel(
            mode=net.mode, minutes=tuple(minutes), group_speed_factor={"age_65_plus": 0.75}
        ),
    )
    plain = compute_coverage(
        net, stations, demand, AccessModel(mode=net.mode, minutes=tuple(minutes))
    )
    slow = _reference_minutes(net, demand, nodes, 0.75)
    everyone = _reference_minutes(net, demand, nodes, 1.0)
    np.testing.assert_allclose(plain.point_minutes, everyone, rtol=1e-9)
    older = demand.groups["age_65_plus"]
    groups = result.summary["groups"]
    for t in minutes:
        want = older[slow <= t].sum()
        assert groups["age_65_plus"]["covered_by_minutes"][str(t)] == pytest.approx(want)
        # the other group, and everyone, keep everyone's times
        kids = demand.groups["children"]
        assert groups["children"]["covered_by_minutes"][str(t)] == pytest.approx(
            kids[everyone <= t].sum()
        )
    assert result.summary["coverage_share"] == plain.summary["coverage_share"]
    # slower means fewer covered, and it must make a difference here
    assert older[slow <= 10].sum() < older[everyone <= 10].sum()
    assert result.summary["group_speed_factor"] == {"age_65_plus": 0.75}


def test_driving_is_unchanged_and_unknown_groups_are_refused():
    net, demand, stations, _ = _case("drive")
    slow = compute_coverage(
        net, stations, demand, AccessModel(mode=net.mode, group_speed_factor={"age_65_plus": 0.5})
    )
    plain = compute_coverage(net, stations, demand, AccessModel(mode=net.mode))
    assert slow.summary["groups"] == plain.summary["groups"]
    with pytest.raises(InputError, match="no population group 'elderly'"):
        compute_coverage(
            net, stations, demand, AccessModel(mode=net.mode, group_speed_factor={"elderly": 0.75})
        )


def test_unit_tables_use_the_group_s_own_times():
    from shapely.geometry import box

    net, demand, stations, nodes = _case()
    half = X0 + (N - 1) * STEP / 2
    units = gpd.GeoDataFrame(
        {"unit": ["west", "east"]},
        geometry=[box(X0 - 100, Y0 - 100, half, Y0 + N * STEP),
                  box(half, Y0 - 100, X0 + N * STEP, Y0 + N * STEP)],
        crs=UTM,
    )  # fmt: skip
    access = AccessModel(minutes=(10,), group_speed_factor={"age_65_plus": 0.6})
    result = compute_coverage(net, stations, demand, access, units=units)
    slow = _reference_minutes(net, demand, nodes, 0.6)
    older = demand.groups["age_65_plus"]
    table = result.units["unit"].set_index("unit")
    west = demand.x < half
    for name, inside in (("west", west), ("east", ~west)):
        want = older[inside & (slow <= 10)].sum()
        assert table.loc[name, "age_65_plus_population_covered"] == pytest.approx(want)
