"""County road layers: a Shapefile in EPSG:4549 with Chinese classes and a GBK .cpg."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer

from coverage.errors import InputError
from coverage.inputs.network import load_network, load_networks
from coverage.inputs.road_layer import DanglingEndsWarning, road_layer_ways

X, Y = 500_000.0, 3_300_000.0  # CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549)
LINES = [
    # class, speed column, one-way column, vertices (metres from X, Y)
    ("县道", None, None, [(0, 0), (500, 0), (1000, 0)]),
    ("乡道", None, None, [(500.3, 0.2), (500, 250), (500, 500), (500, 1000)]),  # joins at 0.36 m
    ("国道", 60.0, None, [(0, 500), (1000, 500)]),  # crosses the 乡道 without a shared vertex
    ("村道", None, "是", [(1000, 0), (1000, 500)]),  # one-way, north
    ("三级", None, None, [(0, 0), (0, 500)]),  # a technical grade, short form
    ("村道", None, None, [(497.5, 800), (0, 800)]),  # stops 2.5 m short of the 乡道
]
# drive speeds of the classes (km/h): the README table
DRIVE = {"县道": 50.0, "乡道": 40.0, "国道": 80.0, "村道": 30.0, "三级": 40.0}
WALK = 5.0


def _write(tmp_path, suffix=".shp"):
    frame = gpd.GeoDataFrame(
        {
            "道路等级": [c for c, _, _, _ in LINES],
            "设计速度": [s for _, s, _, _ in LINES],
            "单向": [o for _, _, o, _ in LINES],
            "名称": [f"路{i}" for i in range(len(LINES))],
        },
        geometry=[shapely.LineString([(X + x, Y + y) for x, y in pts]) for *_, pts in LINES],
        crs="EPSG:4549",
    )
    path = tmp_path / f"roads{suffix}"
    frame.to_file(path, encoding="GBK") if suffix == ".shp" else frame.to_file(path)
    return path


def _reference(mode):
    """networkx graph of the layer: vertices joined where they coincide within 0.5 m."""
    to_wgs = Transformer.from_crs("EPSG:4549", "EPSG:4326", always_xy=True)
    geod = Geod(ellps="WGS84")
    key = {}

    def node(x, y):
        """A vertex's node, and where it is (the first vertex of a joined group)."""
        for (kx, ky), n in key.items():
            if np.hypot(kx - x, ky - y) <= 0.5:
                return n, kx, ky
        key[(x, y)] = len(key)
        return key[(x, y)], x, y

    graph = nx.DiGraph()
    for cls, speed, oneway, pts in LINES:
        kmh = WALK if mode == "walk" else (speed or DRIVE[cls])
        for p0, p1 in itertools.pairwise(pts):
            (a, x0, y0), (b, x1, y1) = node(*p0), node(*p1)
            lon0, lat0 = to_wgs.transform(X + x0, Y + y0)
            lon1, lat1 = to_wgs.transform(X + x1, Y + y1)
            s = geod.inv(lon0, lat0, lon1, lat1)[2] / (kmh / 3.6)
            graph.add_edge(a, b, s=s)
            if mode == "walk" or not oneway:
                graph.add_edge(b, a, s=s)
    return graph, key


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_gbk_shapefile_in_gauss_kruger_against_networkx(tmp_path, mode):
    path = _write(tmp_path)
    assert (tmp_path / "roads.cpg").read_text().strip().upper() == "GBK"
    with pytest.warns(DanglingEndsWarning, match="1 line ends stop within 5 m"):
        net = load_network(path, mode=mode, metric_crs="EPSG:4549")
    graph, key = _reference(mode)
    assert net.n_nodes == graph.number_of_nodes()
    # match the nodes by position
    ours = {}
    for (x, y), n in key.items():
        d = np.hypot(net.x - X - x, net.y - Y - y)
        assert d.min() < 0.5
        ours[n] = int(np.argmin(d))
    import scipy.sparse.csgraph as csg

    for src in key.values():
        want = nx.single_source_dijkstra_path_length(graph, src, weight="s")
        got = csg.dijkstra(net.graph, indices=ours[src])
        for dst, seconds in want.items():
            assert got[ours[dst]] == pytest.approx(seconds, rel=1e-6)
        unreachable = set(key.values()) - set(want)
        assert all(np.isinf(got[ours[d]]) for d in unreachable)


def test_crossing_without_a_shared_vertex_does_not_join(tmp_path):
    with pytest.warns(DanglingEndsWarning):
        _ids, _lon, _lat, ways = road_layer_ways(_write(tmp_path))
    # the 国道 (y = 500) has just its two end nodes: it passes over the 乡道
    national = ways[ways["highway"] == "trunk"]
    assert len(national) == 1
    assert set(ways["highway"]) == {"secondary", "tertiary", "trunk", "unclassified"}


def test_geopackage_named_columns_and_cache(tmp_path):
    frame = gpd.GeoDataFrame(
        {"kind": ["县道", "乡道"]},
        geometry=[shapely.LineString([(X, Y), (X + 1000, Y)]),
                  shapely.LineString([(X + 1000, Y), (X + 1000, Y + 1000)])],
        crs="EPSG:4549",
    )  # fmt: skip
    path = tmp_path / "roads.gpkg"
    frame.to_file(path)
    with pytest.raises(InputError, match="no road class column found"):
        load_network(path)
    cache = tmp_path / "cache"
    net = load_networks(path, modes=["drive"], network_columns={"class": "kind"}, cache_dir=cache)[
        "drive"
    ]
    assert net.edge_seconds.sum() == pytest.approx(
        2 * (1000 / (50 / 3.6) + 1000 / (40 / 3.6)), rel=1e-3
    )
    assert len(list(cache.iterdir())) == 1
    # another class in the layer misses the cache
    frame.loc[1, "kind"] = "村道"
    frame.to_file(path)
    again = load_networks(path, modes=["drive"], network_columns={"class": "kind"}, cache_dir=cache)
    assert again["drive"].edge_seconds.sum() == pytest.approx(
        2 * (1000 / (50 / 3.6) + 1000 / (30 / 3.6)), rel=1e-3
    )
    assert len(list(cache.iterdir())) == 2


def test_class_table_is_documented():
    from pathlib import Path

    from coverage.inputs.road_layer import CLASS_TO_HIGHWAY
    from coverage.inputs.speeds import MODES, SPEEDS_KMH

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for cls, highway in CLASS_TO_HIGHWAY.items():
        row = next(line for line in readme.splitlines() if line.startswith(f"| {cls} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == highway
        for mode, cell in zip(MODES, cells[2:], strict=True):
            kmh = SPEEDS_KMH[mode].get(highway)
            assert cell == "-" if kmh is None else float(cell) == kmh, (cls, mode)


def test_gbk_shapefile_without_cpg(tmp_path):
    path = _write(tmp_path)
    (tmp_path / "roads.cpg").unlink()
    with pytest.warns(DanglingEndsWarning):
        _, _, _, ways = road_layer_ways(path)
    assert set(ways["highway"]) == {"secondary", "tertiary", "trunk", "unclassified"}


def test_a_run_on_a_road_layer_equals_the_same_roads_from_osm(grid_case, tmp_path):
    """The hand-solvable grid region, its streets given as a GeoPackage in EPSG:4549."""
    from fixtures.synthetic import grid_ways, lattice_lonlat

    from coverage.config import load_config
    from coverage.pipeline import run_coverage

    case = grid_case(n=7, minutes=[2, 4, 6], fmt="xml")
    lon, lat = lattice_lonlat(case.n, case.spacing_m)
    lines = [shapely.LineString([(lon.ravel()[i - 1], lat.ravel()[i - 1]) for i in way])
             for way in grid_ways(case.n)]  # fmt: skip
    layer = case.folder / "roads.gpkg"
    gpd.GeoDataFrame({"等级": ["乡道"] * len(lines)}, geometry=lines, crs=4326).to_crs(
        "EPSG:4549"
    ).to_file(layer)
    osm = run_coverage(load_config(case.config))
    text = case.config.read_text(encoding="utf-8").replace(case.network.name, layer.name)
    (case.folder / "layer.yaml").write_text(text, encoding="utf-8")
    county = run_coverage(load_config(case.folder / "layer.yaml"))
    assert county.network.n_nodes == osm.network.n_nodes == case.n * case.n
    np.testing.assert_allclose(county.point_minutes, osm.point_minutes, atol=1e-3)
    for minutes in (2, 4, 6):
        assert county.summary["coverage_by_minutes"][str(minutes)] == pytest.approx(
            osm.summary["coverage_by_minutes"][str(minutes)]
        )
        assert osm.summary["coverage_by_minutes"][str(minutes)] == pytest.approx(
            case.covered(minutes) / case.counts.sum()
        )
