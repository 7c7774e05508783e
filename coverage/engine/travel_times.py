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
from .snapping import Snap

__all__ = ["NodeTimes", "node_times", "point_times", "reverse_graph"]


@dataclass(frozen=True)
class NodeTimes:
    """Time from each network node to its nearest station.

    Attributes
    ----------
    seconds : numpy.ndarray
        Travel seconds per node (inf where no station is reachable).
    station : numpy.ndarray
        Index (into the station table) of the nearest station per node, -1 if none.
    """

    seconds: np.ndarray
    station: np.ndarray


def reverse_graph(network: Network) -> sp.csr_matrix:
    """The network's travel-time matrix with every edge reversed (built once per network)."""
    cached = network.__dict__.get("_reverse_graph")
    if cached is None:
        cached = network.graph.T.tocsr()
        cached.sort_indices()
        network.__dict__["_reverse_graph"] = cached
    return cached


def _with_sources(graph: sp.csr_matrix, snap: Snap, access_s: np.ndarray) -> sp.csr_matrix:
    """Append one virtual row per station whose edges are its access legs."""
    n = graph.shape[0]
    s = snap.nodes.shape[0]
    ok = snap.nodes >= 0
    counts = ok.sum(axis=1)
    indptr = np.concatenate([graph.indptr, graph.indptr[-1] + np.cumsum(counts)])
    indices = np.concatenate([graph.indices, snap.nodes[ok].astype(graph.indices.dtype)])
    data = np.concatenate([graph.data, access_s[ok]])
    return sp.csr_matrix((data, indices, indptr), shape=(n + s, n + s))


def node_times(
    network: Network,
    station_snap: Snap,
    *,
    access_speed_kmh: float,
    limit_s: float | None = None,
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

    Returns
    -------
    NodeTimes
    """
    n = network.n_nodes
    s = station_snap.nodes.shape[0]
    if s == 0:
        return NodeTimes(np.full(n, np.inf), np.full(n, -1, dtype=np.int64))
    access_s = station_snap.distance_m / (access_speed_kmh / 3.6)
    graph = _with_sources(reverse_graph(network), station_snap, access_s)
    dist, _, sources = dijkstra(
        graph,
        directed=True,
        indices=np.arange(n, n + s),
        min_only=True,
        return_predecessors=True,
        limit=np.inf if limit_s is None else float(limit_s),
    )
    station = np.where(sources[:n] >= n, sources[:n] - n, -1).astype(np.int64)
    return NodeTimes(np.asarray(dist[:n], dtype=float), station)


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
    total = np.where(ok, times.seconds[nodes] + snap.distance_m / (access_speed_kmh / 3.6), np.inf)
    best = np.argmin(total, axis=1)
    rows = np.arange(total.shape[0])
    seconds = total[rows, best]
    station = np.where(np.isfinite(seconds), times.station[nodes[rows, best]], -1)
    return seconds, station.astype(np.int64)
