"""Ferries: ``route=ferry`` ways are edges at the ferry speed, with a wait on boarding."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from fixtures.synthetic import write_osm_pbf, write_osm_xml
from pyproj import Geod, Transformer
from shapely.geometry import Point

from coverage import compute_coverage
from coverage.engine.access import AccessModel
from coverage.engine.snapping import snap_points
from coverage.inputs.network import load_network
from coverage.inputs.population import Demand

CRS = "EPSG:32651"
X0, Y0 = 300_000.0, 3_300_000.0
_TO_LONLAT = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
# road A: nodes 1-5 (x 0..400); the ferry 5 -> 6 -> 7 across 2 km of water; road B: 7-11
XS = [0.0, 100.0, 200.0, 300.0, 400.0, 1400.0, 2400.0, 2500.0, 2600.0, 2700.0, 2800.0]
ROAD_A, FERRY, ROAD_B = [1, 2, 3, 4, 5], [5, 6, 7], [7, 8, 9, 10, 11]


def _write(tmp_path, writer, ferry_tags):
    lon, lat = _TO_LONLAT.transform(np.array(XS) + X0, np.full(len(XS), Y0))
    lon, lat = np.asarray(lon), np.asarray(lat)
    name = "ferry.osm" if writer is write_osm_xml else "ferry.osm.pbf"
    ways = [ROAD_A, FERRY, ROAD_B]
    tags = [
        {"highway": "residential"},
        {"route": "ferry", **ferry_tags},
        {"highway": "residential"},
    ]
    return writer(tmp_path / name, lon, lat, ways, tags), lon, lat


def _reference_seconds(lon, lat, speed_kmh, wait_s, ferry_kmh, src, dst):
    """networkx on the directed graph: the wait is paid on the edge leaving a landing."""
    geod = Geod(ellps="WGS84")
    graph = nx.DiGraph()
    for way, kmh in ((ROAD_A, speed_kmh), (FERRY, ferry_kmh), (ROAD_B, speed_kmh)):
        for a, b in itertools.pairwise(way):
            m = geod.inv(lon[a - 1], lat[a - 1], lon[b - 1], lat[b - 1])[2]
            wait = way is FERRY
            graph.add_edge(a, b, s=m / (kmh / 3.6) + (wait_s if wait and a == 5 else 0.0))
            graph.add_edge(b, a, s=m / (kmh / 3.6) + (wait_s if wait and b == 7 else 0.0))
    return nx.shortest_path_length(graph, src, dst, weight="s")


def _station_and_resident(net):
    station = gpd.GeoDataFrame(
        {"id": ["s"], "name": ["s"], "tier": ["village"]},
        geometry=[Point(X0 + 2800.0, Y0 + 10.0)], crs=CRS,
    )  # fmt: skip
    demand = Demand(x=np.array([X0, X0 + 1400.0]), y=np.array([Y0 + 10.0, Y0 + 20.0]),
                    population=np.ones(2), crs=net.crs, groups={})  # fmt: skip
    return station, demand


@pytest.mark.parametrize("writer", [write_osm_xml, write_osm_pbf])
@pytest.mark.parametrize(("ferry_kmh", "wait_min"), [(10.0, 10.0), (20.0, 5.0)])
def test_ferry_joins_two_road_pieces(tmp_path, writer, ferry_kmh, wait_min):
    path, lon, lat = _write(tmp_path, writer, {})
    net = load_network(path, metric_crs=CRS, ferry_speed_kmh=ferry_kmh, ferry_wait_minutes=wait_min)
    assert (net.edge_highway == "ferry").sum() == 4
    station, demand = _station_and_resident(net)
    result = compute_coverage(net, station, demand, AccessModel(mode=net.mode, minutes=tuple([60])))
    road_s = _reference_seconds(lon, lat, 5.0, wait_min * 60, ferry_kmh, 1, 11)
    # 10 m off-road at each end, walked at 5 km/h
    assert result.point_minutes[0] * 60 == pytest.approx(road_s + 20 / (5 / 3.6), abs=0.05)
    # a resident beside the ferry's middle never boards it there: it walks to a landing
    snap = snap_points(net, demand.x[1:], demand.y[1:])
    assert net.node_ids[snap.nodes[0, 0]] in (5, 7)


def test_no_ferry_leaves_the_far_bank_unreachable(tmp_path):
    path, _, _ = _write(tmp_path, write_osm_xml, {})
    net = load_network(path, metric_crs=CRS, ferry=False)
    assert "ferry" not in set(net.edge_highway)
    station, demand = _station_and_resident(net)
    # (legs of at most 500 m: nobody swims the 2 km across)
    with pytest.warns(UserWarning, match="reach no one"):
        result = compute_coverage(
            net,
            station,
            demand,
            AccessModel(mode=net.mode, minutes=tuple([60]), max_access_m=500.0),
        )
    assert np.isinf(result.point_minutes[0])


def test_ferry_modes_follow_its_access_tags(tmp_path):
    path, _, _ = _write(tmp_path, write_osm_xml, {"motor_vehicle": "no"})
    assert "ferry" not in set(load_network(path, mode="drive", metric_crs=CRS).edge_highway)
    assert "ferry" in set(load_network(path, mode="walk", metric_crs=CRS).edge_highway)
    path, _, _ = _write(tmp_path, write_osm_xml, {})
    drive = load_network(path, mode="drive", metric_crs=CRS)
    ferry = drive.edge_highway == "ferry"
    # 1 km at 10 km/h, plus 10 minutes on the edge leaving the landing
    boarding = np.isin(drive.node_ids[drive.edge_u[ferry]], [5, 7])
    expect = drive.edge_length_m[ferry] / (10 / 3.6) + np.where(boarding, 600.0, 0.0)
    np.testing.assert_allclose(drive.edge_seconds[ferry], expect)


def test_a_slower_group_walks_slower_but_the_ferry_does_not(tmp_path):
    path, lon, lat = _write(tmp_path, write_osm_xml, {})
    net = load_network(path, metric_crs=CRS)
    station, demand = _station_and_resident(net)
    demand = Demand(x=demand.x, y=demand.y, population=demand.population, crs=demand.crs,
                    groups={"age_65_plus": np.array([1.0, 0.0])})  # fmt: skip
    result = compute_coverage(
        net,
        station,
        demand,
        AccessModel(mode=net.mode, minutes=tuple([40]), group_speed_factor={"age_65_plus": 0.75}),
    )
    # networkx at 0.75 x 5 km/h on the roads; the ferry keeps 10 km/h and its 10-minute wait
    road_s = _reference_seconds(lon, lat, 5.0 * 0.75, 600.0, 10.0, 1, 11)
    # 35 minutes: within 40 (a slowed ferry would take 43), slower than everyone's 31
    assert 35 < (road_s + 20 / (5 * 0.75 / 3.6)) / 60 < 36
    assert result.point_minutes[0] < 32
    assert result.summary["groups"]["age_65_plus"]["covered_by_minutes"]["40"] == 1.0
    from coverage.engine.groups import slower_state

    slow = slower_state(result.engine, 0.75)
    assert slow.point_seconds[0] == pytest.approx(road_s + 20 / (5 * 0.75 / 3.6), abs=0.05)
