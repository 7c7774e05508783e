"""Engine comparisons: coverage15's multi-source Dijkstra against the reference tools.

Every method solves the same problem on the same graph: the walking time from
every node to the nearest of the station nodes. The stations sit exactly on
network nodes (real stations are moved onto their nearest node first), so that
the engine's access legs are zero and pandana's own snapping finds the same
nodes; every tool then answers the identical question.

Methods
-------
engine
    :func:`coverage.engine.travel_times.node_times` (virtual source per station,
    one compiled multi-source Dijkstra on the reversed graph).
scipy
    A bare ``scipy.sparse.csgraph.dijkstra(min_only=True)`` from the station nodes
    on the same reversed CSR: the practical lower bound on one core.
networkx
    ``networkx.multi_source_dijkstra_path_length`` on a ``DiGraph`` of the same
    edges. The engine must agree with it to 1e-6 relative on every node, and
    with the bare scipy call exactly; the benchmark fails otherwise.
pandana
    Contraction hierarchies: ``Network(...)`` (the build, timed once), then
    ``set_pois`` + ``nearest_pois`` up to the threshold; its deviation from the
    exact times is reported.
ego-graph
    The osmnx isochrone tutorial's recipe: per station and per trip time
    (5, 10, 15, 20, 25 min) ``networkx.ego_graph(G, node, radius, distance="time")``
    and the convex hull of the reached nodes, on a ``MultiDiGraph`` of the same
    edges. Timed on a subset of the stations and extrapolated to all of them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from coverage.engine.snapping import Snap
from coverage.engine.travel_times import node_times, reverse_graph
from coverage.inputs.network import Network

from .common import BenchmarkError, Report, Row, measure, measure_interleaved

ACCESS_SPEED_KMH = 5.0
TUTORIAL_TRIP_MINUTES = (5, 10, 15, 20, 25)
BENCH = "engine"


@dataclass(frozen=True)
class EngineCase:
    """A graph, its station nodes and the threshold of the bounded runs."""

    name: str
    network: Network
    sources: np.ndarray
    limit_s: float = 900.0


def run_engine_case(
    report: Report,
    case: EngineCase,
    *,
    repeat: int,
    nx_repeat: int,
    pandana: bool = True,
    ego_stations: int = 0,
) -> None:
    """Time every method on one case, check the answers, and add the rows to ``report``."""
    net, sources, name = case.network, np.unique(case.sources), case.name
    t0 = time.perf_counter()
    # built once, as a run builds it once in its road index and hands it to every search
    graph = reverse_graph(net)
    reverse_s = time.perf_counter() - t0
    report.fact(
        f"{BENCH} {name}",
        nodes=net.n_nodes,
        edges=int(graph.nnz),
        stations=int(sources.size),
        threshold_s=case.limit_s,
        reverse_graph_s=reverse_s,
    )
    snap = Snap(sources[:, None].astype(np.int64), np.zeros((sources.size, 1)))

    def engine(limit: float | None = None) -> np.ndarray:
        return node_times(
            net, snap, access_speed_kmh=ACCESS_SPEED_KMH, limit_s=limit, reverse=graph
        ).seconds

    def bare(limit: float = np.inf) -> np.ndarray:
        return dijkstra(graph, directed=True, indices=sources, min_only=True, limit=limit)

    timings, got = measure_interleaved(
        {
            "engine": engine,
            "scipy": bare,
            "engine bounded": lambda: engine(case.limit_s),
            "scipy bounded": lambda: bare(case.limit_s),
        },
        repeat=_repeats(engine, repeat, cap=100),
    )
    notes = {
        "engine": "coverage15 node_times",
        "scipy": "bare csgraph.dijkstra(min_only=True), same CSR",
        "engine bounded": f"limit_s={case.limit_s:g}",
        "scipy bounded": f"limit={case.limit_s:g}",
    }
    for method, timing in timings.items():
        report.add(Row.of(BENCH, name, method, timing, note=notes[method]))
    engine_s, scipy_s = got["engine"], got["scipy"]
    engine_b, scipy_b = got["engine bounded"], got["scipy bounded"]
    _check_equal(engine_s, scipy_s, rtol=1e-12, what=f"{name}: engine vs bare scipy")
    _check_equal(engine_b, scipy_b, rtol=1e-12, what=f"{name}: bounded engine vs bounded scipy")

    nx_s = _networkx(report, case, graph, sources, nx_repeat)
    _check_equal(engine_s, nx_s, rtol=1e-6, what=f"{name}: engine vs networkx")
    within = np.where(nx_s <= case.limit_s, nx_s, np.inf)
    _check_equal(engine_b, within, rtol=1e-6, what=f"{name}: bounded engine vs networkx")
    report.fact(
        f"{BENCH} {name}",
        networkx_check="identical to 1e-6 relative on every node",
        reachable_nodes=int(np.isfinite(nx_s).sum()),
        nodes_within_threshold=int((nx_s <= case.limit_s).sum()),
    )

    if pandana:
        _pandana(report, case, sources, engine_s, repeat)
    if ego_stations:
        _ego_graph(report, case, sources, ego_stations)
    report.set_ratios(BENCH, name, "scipy")
    for kind in ("wall", "CPU"):
        med = report.medians(BENCH, name, cpu=kind == "CPU")
        goals = {
            "engine/scipy": med["engine"] / med["scipy"],
            "engine/scipy bounded": med["engine bounded"] / med["scipy bounded"],
            "networkx/engine": med["networkx"] / med["engine"],
        }
        if "pandana query" in med:
            goals["pandana query/engine bounded"] = med["pandana query"] / med["engine bounded"]
            goals["pandana query/engine"] = med["pandana query"] / med["engine"]
        if "ego-graph recipe" in med:
            goals["ego-graph/scipy"] = med["ego-graph recipe"] / med["scipy"]
            goals["ego-graph/engine"] = med["ego-graph recipe"] / med["engine"]
        report.fact(f"{BENCH} {name} ratios ({kind})", **goals)


def _repeats(fn: Callable[[], Any], least: int, *, cap: int, budget_s: float = 3.0) -> int:
    """Repetitions for about ``budget_s`` seconds of ``fn`` (at least ``least``, at most
    ``cap``): millisecond runs need many repetitions for a steady median."""
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-6)
    return max(least, min(cap, math.ceil(budget_s / once)))


def _check_equal(a: np.ndarray, b: np.ndarray, *, rtol: float, what: str) -> None:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    fa, fb = np.isfinite(a), np.isfinite(b)
    if a.shape != b.shape or not np.array_equal(fa, fb):
        bad = int((fa != fb).sum()) if a.shape == b.shape else -1
        raise BenchmarkError(f"{what}: reachable nodes differ ({bad} nodes)")
    diff = np.abs(a[fa] - b[fb])
    tol = rtol * np.abs(b[fb]) + 1e-9
    if (diff > tol).any():
        i = int(np.argmax(diff - tol))
        raise BenchmarkError(
            f"{what}: travel times differ by up to {diff.max():.3g} s "
            f"({a[fa][i]!r} vs {b[fb][i]!r}; rtol {rtol:g})"
        )


def _edge_arrays(graph: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coo = graph.tocoo()  # keeps explicit zeros, which csgraph treats as edges
    return coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(float)


def _networkx(
    report: Report, case: EngineCase, graph: sp.csr_matrix, sources: np.ndarray, repeat: int
) -> np.ndarray:
    import networkx as nx

    t0 = time.perf_counter()
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.shape[0]))
    u, v, w = _edge_arrays(graph)
    g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))
    report.fact(f"{BENCH} {case.name}", networkx_graph_build_s=time.perf_counter() - t0)
    src = set(sources.tolist())

    def run() -> dict[int, float]:
        return nx.multi_source_dijkstra_path_length(g, src)

    timing, lengths = measure(run, repeat=_repeats(run, repeat, cap=10))
    report.add(
        Row.of(BENCH, case.name, "networkx", timing, note="multi_source_dijkstra_path_length")
    )
    out = np.full(graph.shape[0], np.inf)
    out[np.fromiter(lengths.keys(), dtype=np.int64)] = np.fromiter(lengths.values(), dtype=float)
    return out


def _pandana(
    report: Report, case: EngineCase, sources: np.ndarray, exact: np.ndarray, repeat: int
) -> None:
    try:
        import pandana  # noqa: F401
    except ImportError as exc:
        report.skipped[f"pandana ({case.name})"] = f"pandana does not import here ({exc})"
        return
    import pandas as pd
    from pandana import Network as PandanaNetwork

    net = case.network
    u, v, w = _edge_arrays(net.graph)  # forward graph: pandana measures node -> POI
    nodes = pd.RangeIndex(net.n_nodes)
    timing, pn = measure(
        lambda: PandanaNetwork(
            pd.Series(net.x, index=nodes),
            pd.Series(net.y, index=nodes),
            pd.Series(u),
            pd.Series(v),
            pd.DataFrame({"seconds": w}),
            twoway=False,
        ),
        repeat=1,
    )
    report.add(
        Row.of(BENCH, case.name, "pandana build", timing, note="contraction hierarchies, once")
    )
    maxdist = case.limit_s

    def query() -> np.ndarray:
        pn.set_pois("stations", maxdist, 1, pd.Series(net.x[sources]), pd.Series(net.y[sources]))
        res = pn.nearest_pois(maxdist, "stations", num_pois=1)
        return res[1].reindex(nodes).to_numpy(dtype=float)

    timing, got = measure(query, repeat=repeat)
    report.add(
        Row.of(
            BENCH, case.name, "pandana query", timing, note=f"set_pois + nearest_pois({maxdist:g})"
        )
    )
    inside = exact < maxdist * (1 - 1e-2)  # pandana fills "none within maxdist" with maxdist
    positive = inside & (exact > 0)
    rel = np.abs(got[positive] - exact[positive]) / exact[positive]
    missed = inside & (got >= maxdist)
    report.fact(
        f"pandana {case.name}",
        max_relative_deviation=float(rel.max()) if rel.size else 0.0,
        median_relative_deviation=float(np.median(rel)) if rel.size else 0.0,
        max_abs_deviation_s=float(np.abs(got[inside] - exact[inside]).max())
        if inside.any()
        else 0.0,
        nodes_compared=int(inside.sum()),
        nodes_missed=int(missed.sum()),
    )


def _ego_graph(report: Report, case: EngineCase, sources: np.ndarray, count: int) -> None:
    import geopandas as gpd
    import networkx as nx
    from shapely.geometry import Point

    net = case.network
    g = nx.MultiDiGraph()
    g.add_nodes_from(
        (i, {"x": x, "y": y}) for i, (x, y) in enumerate(zip(net.x, net.y, strict=True))
    )
    u, v, w = _edge_arrays(net.graph)
    g.add_edges_from(
        (a, b, {"time": t}) for a, b, t in zip(u.tolist(), v.tolist(), w.tolist(), strict=True)
    )
    rng = np.random.default_rng(3)
    subset = rng.choice(sources, size=min(count, sources.size), replace=False)

    def recipe() -> int:
        hulls = []
        for centre in subset.tolist():
            for trip in sorted(TUTORIAL_TRIP_MINUTES, reverse=True):
                sub = nx.ego_graph(g, centre, radius=trip * 60.0, distance="time")
                points = [Point((d["x"], d["y"])) for _, d in sub.nodes(data=True)]
                hulls.append(gpd.GeoSeries(points).union_all().convex_hull)
        return len(hulls)

    timing, _ = measure(recipe, repeat=1)
    report.add(
        Row.of(
            BENCH,
            case.name,
            "ego-graph recipe",
            timing.scaled(sources.size / subset.size),
            note=(
                f"osmnx tutorial, {len(TUTORIAL_TRIP_MINUTES)} trip times; timed on "
                f"{subset.size} of {sources.size} stations ({timing.wall[0]:.2f} s), "
                "extrapolated"
            ),
        )
    )
