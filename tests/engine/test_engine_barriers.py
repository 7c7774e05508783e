"""Water barriers: access legs never cross water (a river with bridges; adding water)."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from engine_graphs import random_network
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from coverage import compute_coverage
from coverage.engine import water_grid
from coverage.engine.access import AccessModel
from coverage.engine.barriers import water_mask
from coverage.engine.snapping import snap_points
from coverage.inputs.network import Network
from coverage.inputs.population import Demand

UTM = "EPSG:32650"
X0, Y0 = 700_000.0, 3_100_000.0
RIVER = shapely.box(X0 - 500, Y0 + 140, X0 + 2500, Y0 + 160)  # 20 m wide, west -> east


def _walk_network(xy: np.ndarray, pairs: list[tuple[int, int]]) -> Network:
    """Two-way residential streets between the node pairs (xy in metres from X0, Y0)."""
    a, b = np.array(pairs).T
    u, v = np.concatenate([a, b]), np.concatenate([b, a])
    length = np.hypot(*(xy[u] - xy[v]).T)
    return Network(
        node_ids=np.arange(len(xy)) + 1, lon=np.zeros(len(xy)), lat=np.zeros(len(xy)),
        x=xy[:, 0] + X0, y=xy[:, 1] + Y0, crs=gpd.GeoSeries([], crs=UTM).crs,
        edge_u=u, edge_v=v, edge_length_m=length, edge_seconds=length / (5 / 3.6),
        edge_highway=np.full(u.size, "residential", dtype=object), mode="walk",
    )  # fmt: skip


def _river_town() -> Network:
    """South road (y = -200), north road (y = 300), bridges at x = 0 and x = 2000."""
    south = [(x, -200.0) for x in range(0, 2001, 100)]
    north = [(x, 300.0) for x in range(0, 2001, 100)]
    west = [(0.0, y) for y in range(-100, 300, 100)]
    east = [(2000.0, y) for y in range(-100, 300, 100)]
    xy = np.array(south + north + west + east, dtype=float)
    n_s, n_n, n_w = len(south), len(north), len(west)
    idx_s = list(range(n_s))
    idx_n = list(range(n_s, n_s + n_n))
    idx_w = [0, *range(n_s + n_n, n_s + n_n + n_w), n_s]
    idx_e = [n_s - 1, *range(n_s + n_n + n_w, len(xy)), n_s + n_n - 1]
    pairs = [(a, b) for way in (idx_s, idx_n, idx_w, idx_e) for a, b in itertools.pairwise(way)]
    return _walk_network(xy, pairs)


def _mask(net, polygons, margin=1000.0, cell_m=5.0):
    bounds = (
        net.x.min() - margin,
        net.y.min() - margin,
        net.x.max() + margin,
        net.y.max() + margin,
    )
    return water_mask(gpd.GeoSeries(polygons, crs=UTM), UTM, bounds, cell_m=cell_m)


def _brute_nearest(net, px, py, water, tol=30.0):
    """Nearest node whose leg, less ``tol`` at each end, does not meet the water."""
    best, best_d = -1, np.inf
    for i in range(net.n_nodes):
        d = np.hypot(net.x[i] - px, net.y[i] - py)
        if d > 2 * tol:
            leg = shapely.LineString([(px, py), (net.x[i], net.y[i])])
            inner = shapely.ops.substring(leg, tol, d - tol)
            if inner.intersects(water):
                continue
        if d < best_d:
            best, best_d = i, d
    return best, best_d


def test_river_with_bridges():
    net = _river_town()
    barrier = _mask(net, [RIVER])
    px, py = np.array([X0 + 1000.0]), np.array([Y0 + 130.0])
    plain = snap_points(net, px, py)
    assert net.y[plain.nodes[0, 0]] == Y0 + 300.0  # across the river, 170 m
    snap = snap_points(net, px, py, barrier=barrier)
    want, want_d = _brute_nearest(net, px[0], py[0], RIVER)
    assert snap.nodes[0, 0] == want and net.y[want] == Y0 - 200.0
    assert snap.distance_m[0, 0] == pytest.approx(want_d)
    edge = snap_points(net, px, py, edges=True, barrier=barrier)
    assert edge.entry is not None and edge.entry.distance_m[0] == pytest.approx(330.0)

    # the resident walks to the south road, over a bridge, to a station on the north road
    station = gpd.GeoDataFrame(
        {"id": ["s"], "name": ["s"], "tier": ["village"]},
        geometry=[Point(X0 + 1000.0, Y0 + 310.0)], crs=UTM,
    )  # fmt: skip
    demand = Demand(x=px, y=py, population=np.ones(1), crs=net.crs, groups={})
    graph = nx.Graph()
    for u, v, m in zip(net.edge_u, net.edge_v, net.edge_length_m, strict=True):
        graph.add_edge(int(u), int(v), m=float(m))
    s_node = int(np.argmin(np.hypot(net.x - X0 - 1000, net.y - Y0 - 310)))
    metres = nx.shortest_path_length(graph, want, s_node, weight="m") + want_d + 10.0
    result = compute_coverage(
        net, station, demand, AccessModel(mode=net.mode, minutes=tuple([60]), barrier=barrier)
    )
    assert result.point_minutes[0] == pytest.approx(metres / (5 / 3.6) / 60)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 50),
    boxes=st.lists(
        st.tuples(st.floats(0, 3000), st.floats(0, 3000), st.floats(5, 400), st.floats(5, 400)),
        min_size=2,
        max_size=6,
    ),
)
def test_adding_water_never_shortens_a_leg(seed, boxes):
    net = random_network(seed, n=120)
    rng = np.random.default_rng(seed)
    px = rng.uniform(0, 3000, 60) + 700_000.0
    py = rng.uniform(0, 3000, 60) + 3_100_000.0
    polys = [shapely.box(700_000 + x, 3_100_000 + y, 700_000 + x + w, 3_100_000 + y + h)
             for x, y, w, h in boxes]  # fmt: skip
    half = len(polys) // 2
    # points on land (a point inside water starts at the shore, see the module)
    dry = ~shapely.contains_xy(shapely.union_all(polys), px, py)
    px, py = px[dry], py[dry]
    legs = [snap_points(net, px, py, max_distance_m=2000.0).nearest_m]
    for water in (polys[:half], polys):
        barrier = _mask(net, water, cell_m=10.0)
        legs.append(snap_points(net, px, py, max_distance_m=2000.0, barrier=barrier).nearest_m)
    assert np.all(legs[1] >= legs[0]) and np.all(legs[2] >= legs[1])


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    shape=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    wet=st.floats(0.05, 0.95),
)
def test_shore_distances_equal_the_distance_transform(seed, shape, wet):
    """Each cell's distance to the other side equals scipy's exact Euclidean transform."""
    from scipy.ndimage import distance_transform_edt

    from coverage.engine.barriers import WaterMask

    rng = np.random.default_rng(seed)
    water = rng.random(shape) < wet
    water[rng.integers(0, shape[0]), rng.integers(0, shape[1])] = True
    mask = WaterMask(water, np.zeros(shape, np.int32), 0.0, 0.0, 25.0, UTM)
    rows, cols = np.indices(shape)
    got = mask.distance_m(rows, cols).reshape(shape)
    want = np.where(water, distance_transform_edt(water), distance_transform_edt(~water)) * 25.0
    if water.all():  # no land: no shore to walk to
        assert np.isinf(got).all()
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12)
    bounded = mask.distance_m(rows, cols, upto_m=60.0).reshape(shape)
    np.testing.assert_array_equal(np.where(got <= 60.0, got, np.inf), bounded)


@pytest.mark.parametrize("block", [1, 7, 500])
def test_legs_walked_in_small_blocks_give_the_same_answer(monkeypatch, block):
    """Samples are walked in blocks of ``_BLOCK``: any block size gives the same legs."""
    from coverage.engine import barriers

    net = _river_town()
    mask = _mask(net, [RIVER, shapely.box(X0 + 600, Y0 - 120, X0 + 700, Y0 - 60)])
    rng = np.random.default_rng(11)
    x0, y0 = X0 + rng.uniform(-300, 2300, 3000), Y0 + rng.uniform(-400, 500, 3000)
    x1, y1 = X0 + rng.uniform(-300, 2300, 3000), Y0 + rng.uniform(-400, 500, 3000)
    whole = mask.blocked(x0, y0, x1, y1)
    monkeypatch.setattr(barriers, "_BLOCK", block)
    np.testing.assert_array_equal(mask.blocked(x0, y0, x1, y1), whole)
    assert 0.1 < whole.mean() < 0.9


def _strait_town() -> Network:
    """A dense town (15 x 15 streets, 20 m apart) north of a 200 m strait, and a road of
    79 nodes on the south island, 600 m from the shore village below (a road island has
    at least 40 nodes to be joined)."""
    town = [(x, y) for x in range(0, 281, 20) for y in range(300, 581, 20)]
    south = [(140.0 + dx, -700.0) for dx in range(-780, 781, 20)]
    xy = np.array(town + south, dtype=float)
    pairs = [
        (i, j)
        for i, j in itertools.combinations(range(len(town)), 2)
        if np.hypot(*(xy[i] - xy[j])) == 20.0
    ] + [(i, i + 1) for i in range(len(town), len(xy) - 1)]
    return _walk_network(xy, pairs)


def test_a_shore_village_facing_a_town_across_water_joins_its_own_road():
    """Its 64 nearest road nodes lie across the strait: it still finds its own island's
    road (the nearest unblocked node of a brute-force search), not nothing."""
    net = _strait_town()
    strait = shapely.box(X0 - 9000, Y0 + 50, X0 + 9000, Y0 + 250)  # splits the land in two
    barrier = _mask(net, [strait], margin=1500.0, cell_m=10.0)
    px, py = np.array([X0 + 140.0]), np.array([Y0 - 100.0])
    d_town = np.hypot(net.x - px[0], net.y - py[0])
    south = np.flatnonzero(net.y < Y0)
    assert (d_town[south].min() > np.sort(d_town)[64]).all()  # 64+ town nodes nearer
    snap = snap_points(net, px, py, max_distance_m=5000.0, barrier=barrier)
    want, want_d = _brute_nearest(net, px[0], py[0], strait)
    assert want in south
    assert snap.nodes[0, 0] == want
    assert snap.distance_m[0, 0] == pytest.approx(want_d)
    # and a resident on the town's shore still joins the town, as before
    near = snap_points(net, px, np.array([Y0 + 280.0]), barrier=barrier)
    assert near.nodes[0, 0] == _brute_nearest(net, px[0], Y0 + 280.0, strait)[0]


def test_residents_cut_off_by_water_are_counted_apart():
    """An islet with no road, 300 m off the town's shore: its residents are beyond reach
    by water (summary and warning say so); without the water they join the town."""
    import warnings

    from coverage.metrics.left_out import PopulationLeftOutWarning, warn_left_out

    net = _strait_town()
    islet = shapely.Point(X0 + 140.0, Y0 - 60.0).buffer(40.0)
    sea = shapely.box(X0 - 9000, Y0 - 400, X0 + 9000, Y0 + 250).difference(islet)
    barrier = _mask(net, [sea], margin=1500.0, cell_m=10.0)
    px = np.array([X0 + 140.0, X0 + 140.0, X0 + 60.0])
    py = np.array([Y0 - 60.0, Y0 - 750.0, Y0 + 400.0])  # islet, south road, town
    people = np.array([120.0, 30.0, 50.0])
    demand = Demand(x=px, y=py, population=people, crs=net.crs, groups={})
    station = gpd.GeoDataFrame(
        {"id": ["s"], "name": ["s"], "tier": ["village"]},
        geometry=[Point(X0 + 140.0, Y0 + 440.0)], crs=UTM,
    )  # fmt: skip
    model = AccessModel(mode=net.mode, minutes=(60.0,), barrier=barrier)
    result = compute_coverage(net, station, demand, model)
    s = result.summary
    assert s["population_beyond_network_reach"] == 120.0
    assert s["population_beyond_network_reach_by_water"] == 120.0
    with pytest.warns(PopulationLeftOutWarning, match=r"120 of them have a road that near"):
        warn_left_out({**s, "population_input": 200.0})
    from coverage.outputs.report import report_html

    page = report_html(result.with_summary({**s, "population_input": 200.0}), lang="zh")
    assert "其中120人5,000米内有道路，但须跨越河流、湖泊或海域" in page
    dry = compute_coverage(net, station, demand, AccessModel(mode=net.mode, minutes=(60.0,)))
    assert dry.summary["population_beyond_network_reach"] == 0.0
    assert dry.summary["population_beyond_network_reach_by_water"] == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_left_out({**dry.summary, "population_input": 200.0})


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), band=st.sampled_from([1, 3, 7, 128]))
def test_water_burnt_in_bands_marks_the_cells_whose_centre_is_in_water(seed, band):
    """Burnt band by band, the mask is the cells whose centre lies in a polygon
    (shapely's point-in-polygon on every centre), as GDAL burns them unbanded: lakes
    with islands, a sea whose vertices sit on band edges, a multipolygon. (No edge
    passes exactly through a centre: such a tie may go either way.)"""
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    rows, cols, cell, x0, y1 = 61, 47, 10.0, 500_000.0, 2_000_000.0
    lakes = []
    for _ in range(4):
        cx, cy = x0 + rng.uniform(0, cols * cell), y1 - rng.uniform(0, rows * cell)
        angles = np.sort(rng.uniform(0, 2 * np.pi, 9))
        radii = rng.uniform(20, 150, 9)
        ring = np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)])
        hole = shapely.Point(cx, cy).buffer(rng.uniform(3, 15))
        lakes.append(shapely.Polygon(ring).buffer(0).difference(hole))
    # a sea with its vertices on band edges and cell edges (y of whole rows)
    edge_rows = rng.integers(0, rows, 6)
    sea = shapely.Polygon(
        [(x0 + k * cell * 7.5 + 0.123, y1 - r * cell) for k, r in enumerate(edge_rows)]
        + [(x0 + cols * cell, y1 - rows * cell), (x0, y1 - rows * cell)]
    ).buffer(0)
    pair = shapely.MultiPolygon(
        [
            shapely.box(x0 + 3, y1 - 97, x0 + 67, y1 - 33),
            shapely.box(x0 + 301, y1 - 401, x0 + 461, y1 - 389),
        ]
    )
    geoms = np.asarray([*lakes, sea, pair], dtype=object)
    original = water_grid.BAND_ROWS
    try:
        water_grid.BAND_ROWS = band
        got = water_grid.burn(geoms, rows, cols, x0, y1, cell)
    finally:
        water_grid.BAND_ROWS = original
    r, c = np.indices((rows, cols))
    centre_x, centre_y = x0 + (c + 0.5) * cell, y1 - (r + 0.5) * cell
    inside = shapely.contains_xy(shapely.union_all(geoms), centre_x, centre_y)
    whole = rasterize(
        ((g, 1) for g in geoms), out_shape=(rows, cols), transform=from_origin(x0, y1, cell, cell)
    ).astype(bool)
    np.testing.assert_array_equal(got, whole)
    np.testing.assert_array_equal(got, inside)
    assert 0.05 < got.mean() < 0.95


def test_kd_queries_on_every_core_give_the_legs_of_one_core(monkeypatch):
    """A run on its own queries its KD-trees on every core; a batch worker (a thread
    of a pool, a daemonic process, OMP_NUM_THREADS=1) on one. The legs are the same:
    nearest roads, water checks and second tries, on a river town."""
    import threading

    from coverage.engine import index

    net = _river_town()
    barrier = _mask(net, [RIVER, shapely.box(X0 + 600, Y0 - 120, X0 + 700, Y0 - 60)])
    rng = np.random.default_rng(5)
    px, py = X0 + rng.uniform(-300, 2300, 20_000), Y0 + rng.uniform(-400, 500, 20_000)

    def legs():
        snap = snap_points(net, px, py, k=3, max_distance_m=800.0, barrier=barrier)
        return snap.distance_m, snap.nodes

    # a Dask LocalCluster (a batch test before this one) sets OMP_NUM_THREADS=1 here
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert index.kd_workers() == -1  # the main thread of a process of its own
    every_core = legs()
    answer = {}
    worker = threading.Thread(target=lambda: answer.update(w=index.kd_workers(), legs=legs()))
    worker.start()
    worker.join()
    assert answer["w"] == 1
    for a, b in zip(every_core, answer["legs"], strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(every_core[0]).mean() > 0.5  # most points join a road
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert index.kd_workers() == 1
