"""Joining points (stations, population cells) to the road network.

Access model: a point walks in a straight line, at ``access_speed_kmh``, to its
nearest road node (or, with ``k > 1``, to whichever of its ``k`` nearest nodes gives
the shortest total time). Nodes farther than ``max_access_m`` are not used; a point
with none in reach is unreachable. The pipeline uses ``k = 1``: more candidates
would let access legs cut straight across city blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from ..inputs.network import Network

__all__ = ["Snap", "node_tree", "snap_points"]


@dataclass(frozen=True)
class Snap:
    """Candidate access legs of points to the network.

    Attributes
    ----------
    nodes : numpy.ndarray
        (points, k) int64 node indices; -1 where no node is within reach.
    distance_m : numpy.ndarray
        (points, k) straight-line distances in metres; inf where ``nodes`` is -1.
    """

    nodes: np.ndarray
    distance_m: np.ndarray

    @property
    def nearest_m(self) -> np.ndarray:
        """Distance to the nearest node of each point (inf if none in reach)."""
        return self.distance_m.min(axis=1)


def node_tree(network: Network) -> cKDTree:
    """The KD-tree of a network's metric node coordinates (built once per network)."""
    cached = network.__dict__.get("_node_tree")
    if cached is None:
        cached = cKDTree(np.column_stack([network.x, network.y]))
        network.__dict__["_node_tree"] = cached  # memo on the frozen instance, like cached_property
    return cached


def snap_points(
    network: Network,
    x: np.ndarray,
    y: np.ndarray,
    *,
    k: int = 1,
    max_distance_m: float = np.inf,
) -> Snap:
    """Find the ``k`` nearest network nodes of each point within ``max_distance_m``.

    Parameters
    ----------
    network : Network
        The road network (its metric coordinates are used).
    x, y : numpy.ndarray
        Point coordinates in ``network.crs``.
    k : int
        Number of candidate nodes per point.
    max_distance_m : float
        Nodes farther than this are not candidates.

    Returns
    -------
    Snap
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    k = max(1, min(int(k), network.n_nodes))
    if x.size == 0:
        return Snap(np.empty((0, k), dtype=np.int64), np.empty((0, k)))
    dist, idx = node_tree(network).query(
        np.column_stack([x, y]), k=k, distance_upper_bound=max_distance_m
    )
    dist = np.asarray(dist, dtype=float).reshape(x.size, k)
    idx = np.asarray(idx, dtype=np.int64).reshape(x.size, k)
    missing = ~np.isfinite(dist)
    idx[missing] = -1
    return Snap(idx, dist)
