"""Random test networks with one-way streets, and independent networkx references."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
from pyproj import CRS
from scipy.spatial import cKDTree

from coverage.inputs.network import Network

UTM = CRS.from_epsg(32650)


def random_network(seed: int, n: int = 300, size_m: float = 3000.0) -> Network:
    """Nodes scattered in a square, each joined to its 3 nearest neighbours.

    About a quarter of the streets are one-way; two-way streets get a different
    time in each direction (as slopes give); a few parallel edges are added.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, size_m, n) + 700_000.0
    y = rng.uniform(0, size_m, n) + 3_100_000.0
    _, nbr = cKDTree(np.column_stack([x, y])).query(np.column_stack([x, y]), k=4)
    a = np.repeat(np.arange(n), 3)
    b = nbr[:, 1:].ravel()
    pairs = np.unique(np.sort(np.column_stack([a, b]), axis=1), axis=0)
    a, b = pairs[:, 0], pairs[:, 1]
    length = np.hypot(x[a] - x[b], y[a] - y[b])
    kmh = rng.choice([4.0, 5.0, 15.0, 30.0], size=a.size)
    oneway = rng.random(a.size) < 0.25
    flip = rng.random(a.size) < 0.5
    fwd_u = np.where(flip, b, a)
    fwd_v = np.where(flip, a, b)
    asym = rng.uniform(0.7, 1.3, a.size)
    u = np.concatenate([fwd_u, fwd_v[~oneway]])
    v = np.concatenate([fwd_v, fwd_u[~oneway]])
    length_e = np.concatenate([length, length[~oneway]])
    secs = np.concatenate([length / (kmh / 3.6), (length / (kmh / 3.6) * asym)[~oneway]])
    # parallel edges: a slower duplicate of some edges
    dup = rng.random(u.size) < 0.05
    u = np.concatenate([u, u[dup]])
    v = np.concatenate([v, v[dup]])
    length_e = np.concatenate([length_e, length_e[dup]])
    secs = np.concatenate([secs, secs[dup] * 1.5])
    return Network(
        node_ids=np.arange(n, dtype=np.int64) + 1,
        lon=np.zeros(n),
        lat=np.zeros(n),
        x=x,
        y=y,
        crs=UTM,
        edge_u=u.astype(np.int64),
        edge_v=v.astype(np.int64),
        edge_length_m=length_e,
        edge_seconds=secs,
        edge_highway=np.full(u.size, "residential", dtype=object),
        mode="walk",
    )


def _segment_table(net: Network) -> dict[tuple[int, int], list[float]]:
    """Undirected segments (a < b) -> [seconds a->b, seconds b->a] (inf: none)."""
    table: dict[tuple[int, int], list[float]] = {}
    for u, v, w in zip(net.edge_u, net.edge_v, net.edge_seconds, strict=True):
        a, b = min(u, v), max(u, v)
        entry = table.setdefault((int(a), int(b)), [np.inf, np.inf])
        k = 0 if u == a else 1
        entry[k] = min(entry[k], float(w))
    return table


def _nearest_segment(net, table, px, py):
    """Brute force: nearest segment, fraction and distance."""
    best = (None, 0.0, np.inf)
    for a, b in table:
        ax, ay, bx, by = net.x[a], net.y[a], net.x[b], net.y[b]
        dx, dy = bx - ax, by - ay
        t = 0.0 if dx == dy == 0 else ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)
        t = min(max(t, 0.0), 1.0)
        d = float(np.hypot(px - (ax + t * dx), py - (ay + t * dy)))
        if d < best[2]:
            best = ((a, b), t, d)
    return best


def reference_minutes(
    net: Network,
    stations_xy: np.ndarray,
    points_xy: np.ndarray,
    *,
    access_kmh: float,
    max_access_m: float,
    edges: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes to the nearest station of every node and every point, with networkx.

    Access legs go to the nearest node (brute force) and, with ``edges``, to the
    nearest point of the nearest segment, which is split there (all split points of
    a segment chained in order), so no engine shortcut is used.
    """
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    # road islands (pieces under 40 nodes, except the largest) take no access legs
    pieces = list(
        nx.weakly_connected_components(
            nx.DiGraph(list(zip(net.edge_u.tolist(), net.edge_v.tolist(), strict=True)))
        )
    )
    largest = max(pieces, key=len)
    land = sorted(n for piece in pieces if len(piece) >= 40 or piece is largest for n in piece)
    land_x, land_y = net.x[land], net.y[land]
    table = {k: w for k, w in _segment_table(net).items() if k[0] in set(land)}
    splits: dict[tuple[int, int], list[tuple[float, object]]] = {}
    v = access_kmh / 3.6
    legs: list[tuple[object, object, float]] = []

    def attach(name, px, py, to_station):
        d = np.hypot(land_x - px, land_y - py)
        j = land[int(np.argmin(d))]
        d = np.hypot(net.x - px, net.y - py)
        if d[j] <= max_access_m:
            legs.append((j, name, d[j] / v) if to_station else (name, j, d[j] / v))
        if edges:
            seg, t, dist = _nearest_segment(net, table, px, py)
            if seg is not None and dist <= max_access_m:
                entry = ("entry", name)
                splits.setdefault(seg, []).append((t, entry))
                legs.append((entry, name, dist / v) if to_station else (name, entry, dist / v))

    for s, (px, py) in enumerate(stations_xy):
        attach(("station", s), px, py, True)
    for i, (px, py) in enumerate(points_xy):
        attach(("point", i), px, py, False)
    for (a, b), (fw, bw) in table.items():
        chain = [(0.0, a), *sorted(splits.get((a, b), []), key=lambda e: e[0]), (1.0, b)]
        for (t0, n0), (t1, n1) in itertools.pairwise(chain):
            if np.isfinite(fw):
                g.add_edge(n0, n1, weight=(t1 - t0) * fw)
            if np.isfinite(bw):
                g.add_edge(n1, n0, weight=(t1 - t0) * bw)
    for u, w_, wt in legs:
        if g.has_edge(u, w_):
            wt = min(wt, g[u][w_]["weight"])
        g.add_edge(u, w_, weight=wt)
    targets = [("station", s) for s in range(len(stations_xy)) if ("station", s) in g]
    dist = nx.multi_source_dijkstra_path_length(g.reverse(copy=True), targets)
    node_min = np.array([dist.get(i, np.inf) for i in range(net.n_nodes)]) / 60.0
    point_min = np.array([dist.get(("point", i), np.inf) for i in range(len(points_xy))]) / 60.0
    return node_min, point_min
