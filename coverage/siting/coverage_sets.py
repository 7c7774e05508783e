"""Which demand points each candidate site would cover: a sparse sites x demand matrix.

Entry ``(j, i)`` is stored when a station at site ``j`` would reach demand point
``i`` within the threshold, with the same travel model as the engine
(:mod:`coverage.engine.travel_times`): the site walks to one of its candidate road
nodes, travels the reversed road graph, and the demand point walks its own access
leg; the point takes its best leg. The legs are those the run's access model
snaps (slope factors and, with edge linking, the partial segment to each end
node included: :meth:`~coverage.engine.snapping.Snap.access_seconds`), and a
resident and a site entering the same segment also reach each other along it
directly, as in :func:`~coverage.engine.travel_times.point_times`. The stored
value is the travel time in minutes (a stored 0 is a real entry: the sparsity
pattern *is* the coverage).

No dense sites x cells matrix is ever built. Sites are grouped into square tiles
of side ``R``, the farthest any traveller can get within the threshold (the
fastest edge speed, measured as straight-line metres per second in the metric
CRS, times the threshold, and likewise for the access legs). Every node a site
reaches within the threshold lies within ``R`` of it, so one bounded Dijkstra
(``scipy.sparse.csgraph.dijkstra(..., limit=threshold)``) per tile runs on the
induced subgraph of the 3 x 3 tiles around it; this is exact, not an
approximation. A tile's sites are processed in chunks so the search's
``chunk x subgraph-nodes`` distance array stays under ``max_chunk_bytes``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from tqdm.auto import tqdm

from ..engine.access import SNAP_CANDIDATES
from ..engine.snapping import Snap, snap_points
from ..engine.travel_times import reverse_graph, same_segment_pairs
from ..inputs.network import Network

__all__ = ["DemandLegs", "demand_legs", "reach_radius_m", "site_coverage"]


@dataclass(frozen=True)
class DemandLegs:
    """Access legs of demand points, indexed by road node (a CSR of node -> legs).

    Attributes
    ----------
    indptr : numpy.ndarray
        ``(nodes + 1,)`` offsets: the legs arriving at node ``g`` are
        ``point[indptr[g]:indptr[g + 1]]`` and ``seconds[...]``.
    point : numpy.ndarray
        Demand point of each leg.
    seconds : numpy.ndarray
        Walking seconds of each leg.
    n_points : int
        Number of demand points.
    """

    indptr: np.ndarray
    point: np.ndarray
    seconds: np.ndarray
    n_points: int


def demand_legs(snap: Snap, *, n_nodes: int, access_speed_kmh: float) -> DemandLegs:
    """Invert demand points' access legs so they can be looked up by road node.

    Parameters
    ----------
    snap : Snap
        Candidate access legs of the demand points (slope and partial segments count,
        as in :meth:`~coverage.engine.snapping.Snap.access_seconds`).
    n_nodes : int
        Number of network nodes.
    access_speed_kmh : float
        Speed on the access legs.

    Returns
    -------
    DemandLegs
    """
    n_points, k = snap.nodes.shape
    ok = snap.nodes >= 0
    nodes = snap.nodes[ok]
    point = np.repeat(np.arange(n_points, dtype=np.int64), k).reshape(n_points, k)[ok]
    seconds = snap.access_seconds(access_speed_kmh)[ok]  # the engine's arithmetic
    order = np.argsort(nodes, kind="stable")
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(nodes, minlength=n_nodes), out=indptr[1:])
    return DemandLegs(indptr, point[order], seconds[order], int(n_points))


def reach_radius_m(
    network: Network, *, seconds: float, access_speed_kmh: float, fastest_climb: float = 1.0
) -> float:
    """Farthest straight-line distance (metric CRS) anyone can travel in ``seconds``.

    The bound is the fastest edge's straight-line speed (or the access speed divided
    by the smallest slope multiplier of the access legs, if faster) times
    ``seconds``; inf when an edge of positive length takes no time. Partial segments
    of edge-snapped legs move at their edge's speed, so the bound holds for them too.

    Parameters
    ----------
    network : Network
        The road network.
    seconds : float
        Travel time budget.
    access_speed_kmh : float
        Speed on the access legs.
    fastest_climb : float
        Smallest slope multiplier of an access leg's time (below 1 downhill).

    Returns
    -------
    float
    """
    u, v = network.edge_u, network.edge_v
    straight = np.hypot(network.x[u] - network.x[v], network.y[u] - network.y[v])
    t = network.edge_seconds
    if np.any((t <= 0) & (straight > 0)):
        return float("inf")
    moving = straight > 0
    speed = float(np.max(straight[moving] / t[moving])) if moving.any() else 0.0
    speed = max(speed, access_speed_kmh / 3.6 / min(fastest_climb, 1.0))
    return speed * float(seconds) * (1 + 1e-9) + 1e-6


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, s + n)`` for every (s, n), vectorised."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    keep = lengths > 0
    starts, lengths = np.asarray(starts, dtype=np.int64)[keep], lengths[keep]
    offsets = np.cumsum(lengths) - lengths
    out = np.ones(total, dtype=np.int64)
    out[0] = starts[0]
    out[offsets[1:]] = starts[1:] - (starts[:-1] + lengths[:-1] - 1)
    return np.cumsum(out)


def _subgraph(
    graph: sp.csr_matrix, nodes: np.ndarray, local: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays (indptr, indices, data) of the subgraph induced by sorted ``nodes``.

    ``local`` must map each of ``nodes`` to its position and every other node to -1.
    """
    starts = graph.indptr[nodes]
    lengths = graph.indptr[nodes + 1] - starts
    pos = _ranges(starts, lengths)
    cols = local[graph.indices[pos]]
    row = np.repeat(np.arange(nodes.size), lengths)
    keep = cols >= 0
    counts = np.bincount(row[keep], minlength=nodes.size)
    indptr = np.zeros(nodes.size + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, cols[keep], graph.data[pos][keep]


def site_coverage(
    network: Network,
    x: np.ndarray,
    y: np.ndarray,
    demand_snap: Snap,
    *,
    minutes: float,
    access_speed_kmh: float = 5.0,
    max_access_m: float = 5000.0,
    site_snap: Snap | None = None,
    max_chunk_bytes: int = 128 * 2**20,
    progress: bool = False,
) -> sp.csr_matrix:
    """Demand points each site reaches within ``minutes``, as a sparse matrix.

    Parameters
    ----------
    network : Network
        The weighted road network.
    x, y : numpy.ndarray
        Site coordinates in ``network.crs``.
    demand_snap : Snap
        Access legs of the demand points (:func:`~coverage.engine.snapping.snap_points`).
    minutes : float
        Threshold; a point is covered when its time is at most this (as in the metrics).
    access_speed_kmh : float
        Speed on the straight-line access legs.
    max_access_m : float
        Longest access leg of a site (when ``site_snap`` is not given).
    site_snap : Snap, optional
        Access legs of the sites, snapped as the run snaps stations (direction
        ``"to_point"``, edge entries and slope included); default: the nearest node.
    max_chunk_bytes : int
        Memory cap of one bounded search's distance array.
    progress : bool
        Show a progress bar over tiles.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(sites, demand points)`` float32 minutes; the stored entries are the coverage.

    Examples
    --------
    >>> from coverage.engine.snapping import snap_points  # doctest: +SKIP
    >>> snap = snap_points(net, dx, dy, k=4, max_distance_m=5000)  # doctest: +SKIP
    >>> m = site_coverage(net, sx, sy, snap, minutes=15)  # doctest: +SKIP
    >>> m.shape == (len(sx), len(dx))  # doctest: +SKIP
    True
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n_sites = x.size
    n_nodes = network.n_nodes
    n_points = demand_snap.nodes.shape[0]
    limit_s = float(minutes) * 60.0
    legs = demand_legs(demand_snap, n_nodes=n_nodes, access_speed_kmh=access_speed_kmh)
    if site_snap is None:
        site_snap = snap_points(network, x, y, k=SNAP_CANDIDATES, max_distance_m=max_access_m)
    site_leg_s = site_snap.access_seconds(access_speed_kmh)
    graph = reverse_graph(network)
    climbs = [
        float(np.min(c[np.isfinite(c)], initial=1.0))
        for c in (site_snap.climb_factor, demand_snap.climb_factor)
        if c is not None
    ]
    radius = reach_radius_m(
        network,
        seconds=limit_s,
        access_speed_kmh=access_speed_kmh,
        fastest_climb=min(climbs, default=1.0),
    )
    x0, y0 = (float(network.x.min()), float(network.y.min())) if n_nodes else (0.0, 0.0)
    span = max(float(np.ptp(network.x)), float(np.ptp(network.y))) if n_nodes else 0.0

    def tiles_of(px: np.ndarray, py: np.ndarray) -> np.ndarray:
        if not np.isfinite(radius) or radius > 1e6 * max(span, 1.0):
            return np.zeros((px.size, 2), dtype=np.int64)  # no useful bound: one tile
        return np.column_stack([np.floor((px - x0) / radius), np.floor((py - y0) / radius)]).astype(
            np.int64
        )

    node_tile = tiles_of(network.x, network.y)
    site_tile = tiles_of(x, y)
    node_order = np.lexsort((node_tile[:, 1], node_tile[:, 0]))
    node_code = node_tile[node_order, 0] * (1 << 32) + node_tile[node_order, 1]
    local = np.full(n_nodes, -1, dtype=np.int64)

    rows_out: list[np.ndarray] = []
    cols_out: list[np.ndarray] = []
    vals_out: list[np.ndarray] = []
    site_order = np.lexsort((np.arange(n_sites), site_tile[:, 1], site_tile[:, 0]))
    tiles, first = (
        np.unique(site_tile[site_order], axis=0, return_index=True)
        if n_sites
        else (np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=np.int64))
    )
    bounds = np.append(first, n_sites)
    for t in tqdm(range(len(tiles)), desc="coverage sets", disable=not progress, leave=False):
        tx, ty = int(tiles[t, 0]), int(tiles[t, 1])
        parts = []
        for dx in (-1, 0, 1):
            row = (tx + dx) * (1 << 32)
            lo = np.searchsorted(node_code, row + ty - 1)
            hi = np.searchsorted(node_code, row + ty + 1, side="right")
            parts.append(node_order[lo:hi])
        sub = np.sort(np.concatenate(parts))
        if sub.size == 0:
            continue
        local[sub] = np.arange(sub.size)
        indptr, indices, data = _subgraph(graph, sub, local)
        tile_sites = site_order[bounds[t] : bounds[t + 1]]
        chunk = max(1, int(max_chunk_bytes // (8 * (sub.size + SNAP_CANDIDATES))))
        for c in range(0, tile_sites.size, chunk):
            sites = tile_sites[c : c + chunk]
            nodes = site_snap.nodes[sites]
            ok = nodes >= 0
            lnodes = np.where(ok, local[np.where(ok, nodes, 0)], -1)
            ok &= lnodes >= 0
            counts = ok.sum(axis=1)
            m = sub.size
            g = sp.csr_matrix(
                (
                    np.concatenate([data, site_leg_s[sites][ok]]),
                    np.concatenate([indices, lnodes[ok]]),
                    np.concatenate([indptr, indptr[-1] + np.cumsum(counts)]),
                ),
                shape=(m + sites.size, m + sites.size),
            )
            dist = dijkstra(
                g,
                directed=True,
                indices=np.arange(m, m + sites.size),
                limit=limit_s * (1 + 1e-9),
            )[:, :m]
            r, j = np.nonzero(dist <= limit_s)
            if r.size == 0:
                continue
            node_s = dist[r, j]
            gnodes = sub[j]
            starts = legs.indptr[gnodes]
            nlegs = legs.indptr[gnodes + 1] - starts
            pos = _ranges(starts, nlegs)
            seconds = np.repeat(node_s, nlegs) + legs.seconds[pos]
            point_minutes = seconds / 60.0
            within = point_minutes <= minutes
            srow = np.repeat(sites[r], nlegs)[within]
            pts = legs.point[pos][within]
            point_minutes = point_minutes[within]
            key = srow * np.int64(n_points) + pts
            order = np.lexsort((point_minutes, key))
            key = key[order]
            first_of = np.ones(key.size, dtype=bool)
            first_of[1:] = key[1:] != key[:-1]
            rows_out.append(srow[order][first_of])
            cols_out.append(pts[order][first_of])
            vals_out.append(point_minutes[order][first_of])
        local[sub] = -1
    if site_snap.entry is not None and demand_snap.entry is not None:
        # a resident and a site entering the same segment reach each other along it
        pts, srow, seconds = same_segment_pairs(
            demand_snap.entry, site_snap.entry, access_speed_kmh
        )
        within = seconds / 60.0 <= minutes
        rows_out.append(srow[within])
        cols_out.append(pts[within])
        vals_out.append(seconds[within] / 60.0)
    return _csr(rows_out, cols_out, vals_out, shape=(n_sites, n_points))


def _csr(
    rows: list[np.ndarray],
    cols: list[np.ndarray],
    vals: list[np.ndarray],
    *,
    shape: tuple[int, int],
) -> sp.csr_matrix:
    """Assemble a CSR matrix from (row, col) entries, keeping stored zeros.

    A (row, col) pair given twice keeps its smallest value.
    """
    row = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
    val = np.concatenate(vals) if vals else np.empty(0)
    order = np.lexsort((val, col, row))
    row, col, val = row[order], col[order], val[order]
    first = np.ones(row.size, dtype=bool)
    first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
    row, col, val = row[first], col[first], val[first]
    order = np.arange(row.size)
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=shape[0]), out=indptr[1:])
    return sp.csr_matrix(
        (val[order].astype(np.float32), col[order].astype(np.int64), indptr), shape=shape
    )
