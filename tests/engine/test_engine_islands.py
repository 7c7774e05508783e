"""Road islands (small disconnected OSM fragments) are not access points."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from coverage import compute_coverage
from coverage.engine.access import AccessModel
from coverage.engine.snapping import ISLAND_NODES, access_nodes, snap_points
from coverage.inputs.network import Network
from coverage.inputs.population import Demand

X0, Y0 = 700_000.0, 3_100_000.0


def _line_and_fragment(fragment_nodes: int) -> Network:
    """A 60-node road along y = 0 (10 m apart) and a fragment 40 m north of it."""
    main_x = np.arange(60) * 10.0
    frag_x = 200.0 + np.arange(fragment_nodes) * 10.0
    x = np.concatenate([main_x, frag_x]) + X0
    y = np.concatenate([np.zeros(60), np.full(fragment_nodes, 40.0)]) + Y0
    a = np.concatenate([np.arange(59), 60 + np.arange(fragment_nodes - 1)])
    u, v = np.concatenate([a, a + 1]), np.concatenate([a + 1, a])
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    return Network(
        node_ids=np.arange(x.size) + 1, lon=np.zeros(x.size), lat=np.zeros(x.size), x=x, y=y,
        crs=gpd.GeoSeries([], crs="EPSG:32650").crs, edge_u=u, edge_v=v, edge_length_m=length,
        edge_seconds=length / (5 / 3.6), edge_highway=np.full(u.size, "footway", dtype=object),
        mode="walk",
    )  # fmt: skip


def test_islands_are_not_access_points():
    net = _line_and_fragment(3)
    assert set(access_nodes(net)) == set(range(60))
    # a resident 5 m from the fragment and 45 m from the main road joins the main road
    snap = snap_points(net, np.array([X0 + 210.0]), np.array([Y0 + 45.0]))
    assert snap.nodes[0, 0] == 21
    assert snap.distance_m[0, 0] == pytest.approx(45.0)


def test_large_pieces_are_kept():
    net = _line_and_fragment(ISLAND_NODES)
    assert access_nodes(net).size == 60 + ISLAND_NODES
    snap = snap_points(net, np.array([X0 + 210.0]), np.array([Y0 + 45.0]))
    assert snap.nodes[0, 0] == 61  # the fragment's node (210, 40) is 5 m away


def test_resident_near_a_fragment_is_still_covered():
    net = _line_and_fragment(3)
    station = gpd.GeoDataFrame(
        {"id": ["s"], "name": ["s"], "tier": ["village"]},
        geometry=[Point(X0, Y0)], crs="EPSG:32650",
    )  # fmt: skip
    demand = Demand(x=np.array([X0 + 210.0]), y=np.array([Y0 + 45.0]),
                    population=np.array([7.0]), crs=net.crs, groups={})  # fmt: skip
    result = compute_coverage(net, station, demand, AccessModel(mode=net.mode, minutes=tuple([15])))
    # 45 m off-road + 210 m along the road, both at 5 km/h
    assert result.point_minutes[0] == pytest.approx(255.0 / (5 / 3.6) / 60.0)
    assert result.summary["population_covered"] == 7.0
