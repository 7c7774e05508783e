"""What the engine builds once per network and linking rule, passed explicitly.

:class:`RoadIndex` holds the access nodes (the nodes points may join: outside road
islands, touching a linkable edge), their KD-tree, the linkable road segments (for
edge linking) and the reversed travel-time graph (for the searches towards
stations). :func:`road_index` builds it; :func:`coverage.compute_coverage` builds one
per run and keeps it in the engine state, so the what-if updates, the isochrone
surface and the subset searches reuse it. Nothing is cached inside the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from ..errors import InputError
from ..inputs.network import Network
from ..threads import thread_count

__all__ = [
    "ISLAND_NODES",
    "RoadIndex",
    "access_nodes",
    "kd_workers",
    "linkable_edges",
    "node_tree",
    "reverse_graph",
    "road_index",
]

#: Connected pieces of the network with fewer nodes than this (except the largest)
#: are islands: points never join them (see :mod:`coverage.engine.snapping`).
ISLAND_NODES = 40


# spacing of the sample points that index road segments for the nearest-segment search
_SAMPLE_M = 25.0


def node_tree(network: Network) -> cKDTree:
    """The KD-tree of a network's metric node coordinates."""
    return cKDTree(np.column_stack([network.x, network.y]))


def linkable_edges(network: Network, *, link_steps: bool = True) -> np.ndarray:
    """Per edge, whether points may join it (the linking rule, :mod:`coverage.inputs.way_rules`).

    Parameters
    ----------
    network : Network
        The road network; its ``edge_linkable`` flags (None: all) apply.
    link_steps : bool
        Whether ``highway=steps`` edges are linkable.

    Returns
    -------
    numpy.ndarray
        One bool per directed edge.
    """
    mask = (
        np.ones(network.n_edges, dtype=bool)
        if network.edge_linkable is None
        else np.asarray(network.edge_linkable, dtype=bool).copy()
    )
    if not link_steps:
        mask &= np.asarray(network.edge_highway, dtype=object) != "steps"
    return mask


def access_nodes(
    network: Network, *, link_steps: bool = True, graph: sp.csr_matrix | None = None
) -> np.ndarray:
    """Indices of the nodes points may join.

    A node is an access point when it lies outside road islands and touches a
    linkable edge (:func:`linkable_edges`).

    Parameters
    ----------
    network : Network
        The road network.
    link_steps : bool
        Whether ``highway=steps`` edges are linkable.
    graph : scipy.sparse.csr_matrix, optional
        ``network.graph`` when already built.

    Returns
    -------
    numpy.ndarray
        Sorted node indices of the weakly connected pieces with at least
        :data:`ISLAND_NODES` nodes, and of the largest piece, that touch a
        linkable edge.

    Raises
    ------
    InputError
        If no node of the network may be joined.
    """
    from scipy.sparse.csgraph import connected_components

    graph = network.graph if graph is None else graph
    _, label = connected_components(graph, directed=True, connection="weak")
    sizes = np.bincount(label)
    keep = (sizes >= ISLAND_NODES) | (np.arange(sizes.size) == np.argmax(sizes))
    touches = np.zeros(network.n_nodes, dtype=bool)
    link = linkable_edges(network, link_steps=link_steps)
    touches[network.edge_u[link]] = True
    touches[network.edge_v[link]] = True
    nodes = np.flatnonzero(keep[label] & touches).astype(np.int64)
    if nodes.size == 0:
        raise InputError(
            f"{network.source or 'network'}: no road of the network may be joined "
            "(every way is a tunnel, indoor, underground or, for driving, a motorway); "
            "use an extract with surface roads"
        )
    return nodes


def access_tree(nodes: np.ndarray, network: Network) -> cKDTree:
    """KD-tree of some nodes' metric coordinates (the access nodes)."""
    return cKDTree(np.column_stack([network.x[nodes], network.y[nodes]]))


@dataclass(frozen=True)
class _Segments:
    """Undirected road segments with the seconds of each direction (inf: not allowed)."""

    a: np.ndarray
    b: np.ndarray
    forward_s: np.ndarray  # a -> b
    backward_s: np.ndarray  # b -> a
    ax: np.ndarray
    ay: np.ndarray
    bx: np.ndarray
    by: np.ndarray
    sample_segment: np.ndarray  # segment of each sample point
    tree: cKDTree  # of sample points every <= _SAMPLE_M along every segment


def road_segments(network: Network, access: np.ndarray, link_steps: bool = True) -> _Segments:
    """The linkable segments outside road islands (``access``: the access nodes)."""
    on_land = np.zeros(network.n_nodes, dtype=bool)
    on_land[access] = True
    # an edge's ends share a piece of the network; only linkable edges are entered
    use = on_land[network.edge_u] & linkable_edges(network, link_steps=link_steps)
    u, v, w = network.edge_u[use], network.edge_v[use], network.edge_seconds[use]
    a, b = np.minimum(u, v), np.maximum(u, v)
    frame = pd.DataFrame(
        {
            "a": a,
            "b": b,
            "forward": np.where(u == a, w, np.inf),
            "backward": np.where(u == a, np.inf, w),
        }
    )
    grouped = frame.groupby(["a", "b"], sort=True).min()
    a = grouped.index.get_level_values("a").to_numpy(dtype=np.int64)
    b = grouped.index.get_level_values("b").to_numpy(dtype=np.int64)
    ax, ay, bx, by = network.x[a], network.y[a], network.x[b], network.y[b]
    pieces = np.maximum(np.ceil(np.hypot(bx - ax, by - ay) / _SAMPLE_M), 1).astype(np.int64)
    seg_of = np.repeat(np.arange(a.size), pieces + 1)
    start = np.cumsum(pieces + 1) - (pieces + 1)
    frac = (np.arange(seg_of.size) - start[seg_of]) / pieces[seg_of]
    sx = ax[seg_of] + frac * (bx - ax)[seg_of]
    sy = ay[seg_of] + frac * (by - ay)[seg_of]
    return _Segments(
        a,
        b,
        grouped["forward"].to_numpy(float),
        grouped["backward"].to_numpy(float),
        ax,
        ay,
        bx,
        by,
        seg_of,
        cKDTree(np.column_stack([sx, sy])),
    )


def reverse_graph(network: Network, *, graph: sp.csr_matrix | None = None) -> sp.csr_matrix:
    """The network's travel-time matrix with every edge reversed (sorted indices).

    Parameters
    ----------
    network : Network
        The road network.
    graph : scipy.sparse.csr_matrix, optional
        ``network.graph`` when already built.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(nodes, nodes)`` seconds, row ``v`` holding the edges that arrive at ``v``.
    """
    reverse = (network.graph if graph is None else graph).T.tocsr()
    reverse.sort_indices()
    return reverse


@dataclass(frozen=True)
class RoadIndex:
    """The structures the engine searches a network with, built once.

    Attributes
    ----------
    network : Network
        The network they were built from.
    link_steps : bool
        Whether ``highway=steps`` counts as linkable.
    access_nodes : numpy.ndarray
        Node indices points may join.
    access_tree : scipy.spatial.cKDTree
        KD-tree of the access nodes' metric coordinates.
    reverse : scipy.sparse.csr_matrix
        The reversed travel-time graph (:func:`reverse_graph`).
    segments : optional
        The linkable segments (for edge linking), when built.
    """

    network: Network = field(repr=False)
    link_steps: bool
    access_nodes: np.ndarray = field(repr=False)
    access_tree: cKDTree = field(repr=False)
    reverse: sp.csr_matrix = field(repr=False)
    segments: _Segments | None = field(default=None, repr=False)

    def road_segments(self) -> _Segments:
        """The linkable segments (built now when the index was made without them)."""
        if self.segments is not None:
            return self.segments
        return road_segments(self.network, self.access_nodes, self.link_steps)


def kd_workers() -> int:
    """Threads of a KD-tree query (``workers`` of :meth:`scipy.spatial.cKDTree.query`).

    scipy splits the query points among the threads, so the answer does not depend
    on their number.

    Returns
    -------
    int
        -1 (every core) for a run on its own; 1 where regions run side by side on
        the cores: in a worker process (a batch's Dask workers are daemonic), off the
        main thread (a pool's task) or with ``OMP_NUM_THREADS=1``.
    """
    return -1 if thread_count() > 1 else 1


def road_index(network: Network, *, link_steps: bool = True, segments: bool = False) -> RoadIndex:
    """Build the search structures of a network for one linking rule.

    Parameters
    ----------
    network : Network
        The road network.
    link_steps : bool
        Whether points may join ``highway=steps``.
    segments : bool
        Also index the linkable segments (needed for ``snap_to: edge``).

    Returns
    -------
    RoadIndex

    Raises
    ------
    InputError
        If no node of the network may be joined.
    """
    graph = network.graph  # built once for both
    nodes = access_nodes(network, link_steps=link_steps, graph=graph)
    return RoadIndex(
        network,
        link_steps,
        nodes,
        access_tree(nodes, network),
        reverse_graph(network, graph=graph),
        road_segments(network, nodes, link_steps) if segments else None,
    )
