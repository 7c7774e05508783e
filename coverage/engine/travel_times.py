"""Travel time from every node and every point to its nearest station, in one pass.

The graph's edges are reversed (so that a search *from* the stations measures
travel *towards* them, which matters once one-way streets count), and each
station becomes a virtual source node joined to its candidate road nodes by its
access legs. One call to scipy's compiled multi-source Dijkstra
(``scipy.sparse.csgraph.dijkstra(..., min_only=True)``) then gives every node
its time to the nearest station and which station that is. No Python loop runs
over stations or graph nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from ..inputs.network import Network
from .index import reverse_graph
from .snapping import SegmentEntry, Snap, _part

__all__ = [
    "NodeTimes",
    "append_sources",
    "node_times",
    "point_times",
    "reverse_graph",
    "same_segment_pairs",
]


@dataclass(frozen=True)
class NodeTimes:
    """Time from each network node to its nearest station.

    Attributes
    ----------
    seconds : numpy.ndarray
        Travel seconds per node (inf where no station is reachable).
    station : numpy.ndarray
        Index (into the station table) of the nearest station per node, -1 if none.
    station_entry : SegmentEntry or None
        Where each station enters its road segment (edge snapping), so that points
        on the same segment reach it directly along the segment.
    """

    seconds: np.ndarray
    station: np.ndarray
    station_entry: SegmentEntry | None = None


def append_sources(
    graph: sp.csr_matrix,
    rows: np.ndarray,
    cols: np.ndarray,
    weights: np.ndarray,
    n_sources: int,
) -> sp.csr_matrix:
    """The graph with ``n_sources`` virtual rows appended: edges ``rows[i] -> cols[i]``.

    A node reached by several edges of one virtual source keeps the fastest
    (duplicate entries in a CSR row would be ambiguous to the solver).

    Parameters
    ----------
    graph : scipy.sparse.csr_matrix
        Square (n, n) graph.
    rows : numpy.ndarray
        Virtual source of each edge (0 .. n_sources - 1).
    cols : numpy.ndarray
        Graph node each edge reaches.
    weights : numpy.ndarray
        Edge weights (seconds, >= 0).
    n_sources : int
        Number of virtual sources; they become nodes ``n .. n + n_sources - 1``.

    Returns
    -------
    scipy.sparse.csr_matrix
        Square (n + n_sources) graph.
    """
    n = graph.shape[0]
    order = np.lexsort((weights, cols, rows))
    row, col, w = rows[order], cols[order], weights[order]
    keep = np.ones(row.size, dtype=bool)
    keep[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
    row, col, w = row[keep], col[keep], w[keep]
    counts = np.bincount(row, minlength=n_sources)
    indptr = np.concatenate([graph.indptr, graph.indptr[-1] + np.cumsum(counts)])
    indices = np.concatenate([graph.indices, col.astype(graph.indices.dtype)])
    data = np.concatenate([graph.data, w.astype(float)])
    return sp.csr_matrix((data, indices, indptr), shape=(n + n_sources, n + n_sources))


def _with_sources(graph: sp.csr_matrix, snap: Snap, access_s: np.ndarray) -> sp.csr_matrix:
    """Append one virtual row per station whose edges are its access legs."""
    ok = (snap.nodes >= 0) & np.isfinite(access_s)
    rows = np.broadcast_to(np.arange(snap.nodes.shape[0])[:, None], ok.shape)[ok]
    return append_sources(graph, rows, snap.nodes[ok], access_s[ok], snap.nodes.shape[0])


def node_times(
    network: Network,
    station_snap: Snap,
    *,
    access_speed_kmh: float,
    limit_s: float | None = None,
    reverse: sp.csr_matrix | None = None,
) -> NodeTimes:
    """Multi-source shortest travel time from every node to the nearest station.

    Parameters
    ----------
    network : Network
        The weighted road network.
    station_snap : Snap
        Candidate access legs of each station (see :func:`~coverage.engine.snapping.snap_points`).
    access_speed_kmh : float
        Speed on the straight-line access legs.
    limit_s : float, optional
        Stop the search at this many seconds (nodes beyond get inf); exact below it.
    reverse : scipy.sparse.csr_matrix, optional
        The network's reversed graph (:attr:`RoadIndex.reverse
        <coverage.engine.index.RoadIndex>`); built here when not given.

    Returns
    -------
    NodeTimes
    """
    n = network.n_nodes
    s = station_snap.nodes.shape[0]
    if s == 0:
        return NodeTimes(np.full(n, np.inf), np.full(n, -1, dtype=np.int64), station_snap.entry)
    access_s = station_snap.access_seconds(access_speed_kmh)
    if reverse is None:
        reverse = reverse_graph(network)
    graph = _with_sources(reverse, station_snap, access_s)
    dist, _, sources = dijkstra(
        graph,
        directed=True,
        indices=np.arange(n, n + s),
        min_only=True,
        return_predecessors=True,
        limit=np.inf if limit_s is None else float(limit_s),
    )
    station = np.where(sources[:n] >= n, sources[:n] - n, -1).astype(np.int64)
    return NodeTimes(np.asarray(dist[:n], dtype=float), station, station_snap.entry)


def point_times(
    times: NodeTimes, snap: Snap, *, access_speed_kmh: float
) -> tuple[np.ndarray, np.ndarray]:
    """Travel time of points (population cells) to their nearest station.

    Each point takes the best of its candidate nodes: access leg plus the node's time.

    Parameters
    ----------
    times : NodeTimes
        Node times from :func:`node_times`.
    snap : Snap
        Candidate access legs of the points.
    access_speed_kmh : float
        Speed on the access legs.

    Returns
    -------
    seconds : numpy.ndarray
        Seconds per point (inf if unreachable).
    station : numpy.ndarray
        Index of the nearest station per point (-1 if unreachable).
    """
    if snap.nodes.shape[0] == 0:
        return np.empty(0), np.empty(0, dtype=np.int64)
    ok = snap.nodes >= 0
    nodes = np.where(ok, snap.nodes, 0)
    total = np.where(ok, times.seconds[nodes] + snap.access_seconds(access_speed_kmh), np.inf)
    best = np.argmin(total, axis=1)
    rows = np.arange(total.shape[0])
    seconds = total[rows, best]
    station = np.where(np.isfinite(seconds), times.station[nodes[rows, best]], -1)
    if snap.entry is not None and times.station_entry is not None:
        _same_segment(snap.entry, times.station_entry, access_speed_kmh, seconds, station)
    return seconds, station.astype(np.int64)


def same_segment_pairs(
    points: SegmentEntry, stations: SegmentEntry, access_speed_kmh: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points and stations entering the same road segment, and the time along it directly.

    Parameters
    ----------
    points, stations : SegmentEntry
        Segment entries (``snap_points(edges=True)``).
    access_speed_kmh : float
        Off-road speed on flat ground.

    Returns
    -------
    point, station : numpy.ndarray
        Indices of each pair.
    seconds : numpy.ndarray
        Point's off-road leg + the partial segment between the entries + the station's
        off-road leg (inf where the segment's direction forbids it).
    """
    s_idx = np.flatnonzero(stations.segment >= 0)
    p_idx = np.flatnonzero(points.segment >= 0)
    empty = np.empty(0, dtype=np.int64)
    if s_idx.size == 0 or p_idx.size == 0:
        return empty, empty, np.empty(0)
    order = np.argsort(stations.segment[s_idx], kind="stable")
    s_idx = s_idx[order]
    s_seg = stations.segment[s_idx]
    lo = np.searchsorted(s_seg, points.segment[p_idx], side="left")
    hi = np.searchsorted(s_seg, points.segment[p_idx], side="right")
    count = hi - lo
    if not count.any():
        return empty, empty, np.empty(0)
    pi = np.repeat(p_idx, count)
    offset = np.arange(pi.size) - np.repeat(np.cumsum(count) - count, count)
    si = s_idx[np.repeat(lo, count) + offset]
    tp, ts = points.fraction[pi], stations.fraction[si]
    along = np.where(
        ts >= tp, _part(ts - tp, points.forward_s[pi]), _part(tp - ts, points.backward_s[pi])
    )
    v = access_speed_kmh / 3.6
    total = (
        points.distance_m[pi] / v * points.climb_factor[pi]
        + along
        + stations.distance_m[si] / v * stations.climb_factor[si]
    )
    return pi, si, total


def _same_segment(
    points: SegmentEntry,
    stations: SegmentEntry,
    access_speed_kmh: float,
    seconds: np.ndarray,
    station: np.ndarray,
) -> None:
    """Improve, in place, points that reach a station entering the same segment directly."""
    pi, si, total = same_segment_pairs(points, stations, access_speed_kmh)
    if pi.size == 0:
        return
    best = np.full(seconds.size, np.inf)
    np.minimum.at(best, pi, total)
    win = np.flatnonzero((total == best[pi]) & (total < seconds[pi]))[::-1]
    station[pi[win]] = si[win]  # reversed: among equal times the first listed is kept
    seconds[pi[win]] = total[win]
