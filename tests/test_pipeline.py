"""End to end: config -> network -> engine -> metrics on hand-solvable grids and real data."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
import rasterio
from pyproj import Geod, Transformer

from coverage import compute_coverage, load_config, read_population, run_coverage, write_outputs
from coverage.engine.access import AccessModel

# The Comoros table lists eight sites twice, 1-24 m apart (tests/metrics/test_metrics_duplicates.py)
COMOROS_DUPLICATES = "ignore::coverage.metrics.duplicates.DuplicateStationWarning"


@pytest.mark.parametrize("fmt", ["xml", "pbf"])
def test_grid_coverage_is_exact(grid_case, fmt):
    case = grid_case(fmt=fmt, minutes=[3.0, 5.0, 9.0])
    result = run_coverage(load_config(case.config))
    s = result.summary
    assert s["population_total"] == pytest.approx(case.counts.sum(), rel=1e-12)
    for t in (3.0, 5.0, 9.0):
        expected = case.covered(t)
        assert s["population_by_minutes"][f"{t:g}"] == pytest.approx(expected, rel=1e-12)
    # centre station, 2 min a block: covered at 5 min = the 13 nodes within 2 blocks
    rows, cols = np.mgrid[0:5, 0:5]
    within_two_blocks = (np.abs(rows - 2) + np.abs(cols - 2)) <= 2
    assert within_two_blocks.sum() == 13
    assert s["population_by_minutes"]["5"] == pytest.approx(case.counts[within_two_blocks].sum())
    # the headline is the largest threshold when 15 is not listed
    assert s["minutes"] == 9.0
    assert s["coverage_share"] == pytest.approx(case.covered(9.0) / case.counts.sum())
    assert s["unreachable_population"] == 0
    minutes = result.minutes_grid()
    np.testing.assert_allclose(minutes, case.node_minutes(), rtol=2e-3, atol=1e-3)


def test_xml_and_pbf_give_the_same_result(grid_case):
    a = run_coverage(load_config(grid_case(fmt="xml").config))
    b = run_coverage(load_config(grid_case(fmt="pbf").config))
    np.testing.assert_allclose(a.point_minutes, b.point_minutes, rtol=1e-12)
    assert a.network.n_edges == b.network.n_edges == 2 * 2 * 5 * 4


def test_units_and_catchments(grid_case):
    case = grid_case(station_nodes=[(0, 0), (4, 4)], boundaries=True, minutes=5.0)
    result = run_coverage(load_config(case.config))
    units = result.units["unit"].set_index("unit")
    west = case.counts[:, :2]
    east = case.counts[:, 2:]
    node_min = case.node_minutes()
    assert units.loc["west", "population"] == pytest.approx(west.sum())
    assert units.loc["east", "population"] == pytest.approx(east.sum())
    assert units.loc["west", "population_covered"] == pytest.approx(
        west[node_min[:, :2] <= 5.0].sum()
    )
    assert units.loc["west", "population_covered"] == 1 + 2 + 6 + 7 + 11
    assert units.loc["east", "coverage_share"] == pytest.approx(
        east[node_min[:, 2:] <= 5.0].sum() / east.sum()
    )
    stations = result.stations
    assert stations["catchment_population"].sum() == pytest.approx(case.counts.sum())
    # the anti-diagonal is equidistant; every other cell belongs to the nearer corner
    rows, cols = np.mgrid[0:5, 0:5]
    nearer_first = (rows + cols) < 4
    assert stations["catchment_population"].iloc[0] >= case.counts[nearer_first].sum()


def _reference_minutes(case, result, access_kmh=5.0, k=1, max_access_m=5000.0):
    """Independent reference: osmnx parses the XML, networkx runs the Dijkstra,
    snapping is brute force over all nodes."""
    import osmnx as ox

    graph = ox.graph_from_xml(case.network, simplify=False, retain_all=True, bidirectional=True)
    geod = Geod(ellps="WGS84")
    to_utm = Transformer.from_crs("EPSG:4326", result.network.crs, always_xy=True)
    ids = list(graph.nodes)
    lon = np.array([graph.nodes[i]["x"] for i in ids])
    lat = np.array([graph.nodes[i]["y"] for i in ids])
    nx_, ny_ = to_utm.transform(lon, lat)
    g = nx.DiGraph()
    speed = case.speed_kmh / 3.6
    for u, v in graph.edges():
        length = geod.inv(
            graph.nodes[u]["x"], graph.nodes[u]["y"], graph.nodes[v]["x"], graph.nodes[v]["y"]
        )[2]
        g.add_edge(v, u, weight=length / speed)  # reversed: search from the stations
    access = access_kmh / 3.6
    st = result.stations.to_crs(result.network.crs).geometry
    for s, (x, y) in enumerate(zip(st.x, st.y, strict=True)):
        d = np.hypot(nx_ - x, ny_ - y)
        for j in np.argsort(d)[:k]:
            if d[j] <= max_access_m:
                g.add_edge(("station", s), ids[j], weight=d[j] / access)
    times = nx.multi_source_dijkstra_path_length(g, [("station", s) for s in range(len(st))])
    node_t = np.array([times.get(i, np.inf) for i in ids])
    px, py = to_utm.transform(
        *Transformer.from_crs(result.demand.crs, "EPSG:4326", always_xy=True).transform(
            result.demand.x, result.demand.y
        )
    )
    out = np.empty(len(px))
    for i, (x, y) in enumerate(zip(px, py, strict=True)):
        d = np.hypot(nx_ - x, ny_ - y)
        near = np.argsort(d)[:k]
        near = near[d[near] <= max_access_m]
        out[i] = np.min(node_t[near] + d[near] / access) if near.size else np.inf
    return out / 60.0


def test_engine_matches_independent_networkx_reference(grid_case, tmp_path):
    # stations off the nodes, and a population grid finer than the street grid
    case = grid_case(fmt="xml", n=6, station_nodes=[(1, 1), (4, 3)], minutes=[5.0, 10.0])
    with rasterio.open(case.population) as src:
        profile = src.profile
    t = profile["transform"]
    fine = rasterio.Affine(t.a / 2, 0, t.c + 37.0, 0, t.e / 2, t.f - 11.0)
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 50, size=(12, 12)).astype("float32")
    profile.update(transform=fine, width=12, height=12)
    fine_path = tmp_path / "fine.tif"
    with rasterio.open(fine_path, "w", **profile) as dst:
        dst.write(counts, 1)
    stations = case.stations.read_text().splitlines()
    shifted = [stations[0]] + [
        ",".join(
            [
                *row.split(",")[:3],
                f"{float(row.split(',')[3]) + 0.0007:.9f}",
                f"{float(row.split(',')[4]) - 0.0004:.9f}",
            ]
        )
        for row in stations[1:]
    ]
    case.stations.write_text("\n".join(shifted) + "\n")
    cfg = load_config(case.config, population=str(fine_path))
    result = run_coverage(cfg)
    reference = _reference_minutes(case, result)
    np.testing.assert_allclose(result.point_minutes, reference, rtol=1e-9)
    pop = result.demand.population
    assert result.summary["population_by_minutes"]["10"] == pytest.approx(
        pop[reference <= 10].sum()
    )


def test_threshold_order_and_monotonic(grid_case):
    case = grid_case(minutes=[9.0, 1.0, 5.0])
    s = run_coverage(load_config(case.config)).summary
    assert s["thresholds"] == [1.0, 5.0, 9.0]
    shares = [s["coverage_by_minutes"][k] for k in ("1", "5", "9")]
    assert shares == sorted(shares)
    assert s["minutes"] == 9.0  # 15 not listed: the largest is the headline


def test_write_outputs(grid_case, tmp_path):
    case = grid_case(boundaries=True)
    result = run_coverage(load_config(case.config))
    files = write_outputs(result, tmp_path / "out")
    for path in files.values():
        assert path.is_file() and path.stat().st_size > 0
    summary = json.loads(files["summary"].read_text(encoding="utf-8"))
    assert summary["coverage_share"] == pytest.approx(case.covered(5.0) / case.counts.sum())
    with rasterio.open(files["travel_time"]) as src:
        tt = src.read(1)
        assert src.crs.to_epsg() == 32650
    np.testing.assert_allclose(tt, case.node_minutes(), rtol=2e-3, atol=1e-3)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".staging")]


@pytest.mark.filterwarnings(COMOROS_DUPLICATES)
@pytest.mark.shared
def test_comoros_real_data(shared_data):
    comoros = shared_data / "comoros"
    grid = read_population(comoros / "com_ppp_2020_UNadj.tif")
    from coverage import load_network, read_stations

    network = load_network(comoros / "comores-latest.osm.pbf")
    stations = read_stations(comoros / "health.gpkg")
    result = compute_coverage(
        network,
        stations,
        grid,
        AccessModel(mode=network.mode, minutes=tuple([15, 30, 60])),
        name="comoros",
    )
    s = result.summary
    assert s["stations"] == 70
    assert s["population_total"] == pytest.approx(869_595, rel=1e-3)
    assert 0 < s["coverage_share"] < s["coverage_by_minutes"]["30"] < s["coverage_by_minutes"]["60"]
    assert s["population_covered"] <= s["population_total"]
    reachable = s["population_total"] - s["unreachable_population"]
    assert result.stations["catchment_population"].sum() == pytest.approx(reachable, rel=1e-9)
    assert 10 < s["mean_minutes"] < 300
