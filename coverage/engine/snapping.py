"""Joining points (stations, population cells) to the network: the off-road access legs.

Access model: a point walks off-road, in a straight line at ``access_speed_kmh``,
to the road and takes whichever of its candidate entry points gives the shortest
total time. The candidates are

- its ``k`` nearest road nodes (default 4), so that a point whose very nearest
  node lies on a tiny disconnected OSM fragment is not counted as cut off; and
- with ``edges=True``, the nearest point on the nearest road segment: rural
  roads have long straight segments, and a village beside the middle of one
  should not walk to a node far along it. From that point the traveller continues
  along the segment, in each direction the segment allows, to its end nodes; the
  time on the partial segment is the segment's time in proportion to its length.
  This is exact for the model "enter the road anywhere on the nearest segment":
  it equals splitting the segment at the entry point.

Legs longer than ``max_distance_m`` (``max_access_m`` in the configuration) are not
used; a point with none is *too far from the roads* and unreachable.

With terrain, each access leg's time is multiplied by ``1 / slope_factor("walk",
grade)`` (Tobler, :mod:`coverage.inputs.terrain`) for the leg's grade in the
direction of travel: from a resident to the road, and from the road to a station.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ..errors import InputError
from ..inputs.network import Network
from ..inputs.terrain import slope_factor

__all__ = ["DIRECTIONS", "Snap", "node_tree", "snap_points"]

#: Directions of travel on an access leg: residents leave a point, stations are reached.
DIRECTIONS = ("from_point", "to_point")


@dataclass(frozen=True)
class Snap:
    """Candidate access legs of points to the network.

    Attributes
    ----------
    nodes : numpy.ndarray
        (points, candidates) int64 node indices; -1 where there is no candidate.
    distance_m : numpy.ndarray
        (points, candidates) straight-line (off-road) distances in metres; inf where
        ``nodes`` is -1.
    network_s : numpy.ndarray or None
        (points, candidates) seconds along a partial road segment between the entry
        point and the node (0 for node candidates); None when all are 0.
    climb_factor : numpy.ndarray or None
        (points, candidates) multiplier of the off-road time for the leg's slope;
        None on flat ground (no DEM).
    """

    nodes: np.ndarray
    distance_m: np.ndarray
    network_s: np.ndarray | None = None
    climb_factor: np.ndarray | None = None

    @property
    def nearest_m(self) -> np.ndarray:
        """Distance to the nearest road (node or segment) of each point (inf if none in reach)."""
        if self.distance_m.shape[1] == 0:
            return np.full(self.distance_m.shape[0], np.inf)
        return self.distance_m.min(axis=1)

    def access_seconds(self, access_speed_kmh: float) -> np.ndarray:
        """Seconds from each point to each candidate node (or back), inf where none.

        Parameters
        ----------
        access_speed_kmh : float
            Off-road speed on flat ground.

        Returns
        -------
        numpy.ndarray
            (points, candidates) seconds.
        """
        seconds = self.distance_m / (access_speed_kmh / 3.6)
        if self.climb_factor is not None:
            seconds = seconds * self.climb_factor
        if self.network_s is not None:
            seconds = seconds + self.network_s
        return np.where(self.nodes >= 0, seconds, np.inf)

    def take(self, rows: np.ndarray) -> Snap:
        """The candidates of some points only (rows of the arrays)."""
        return Snap(
            self.nodes[rows],
            self.distance_m[rows],
            None if self.network_s is None else self.network_s[rows],
            None if self.climb_factor is None else self.climb_factor[rows],
        )


def node_tree(network: Network) -> cKDTree:
    """The KD-tree of a network's metric node coordinates (built once per network)."""
    cached = network.__dict__.get("_node_tree")
    if cached is None:
        cached = cKDTree(np.column_stack([network.x, network.y]))
        network.__dict__["_node_tree"] = cached  # memo on the frozen instance, like cached_property
    return cached


@dataclass(frozen=True)
class _Segments:
    """Undirected road segments with the seconds of each direction (inf: not allowed)."""

    a: np.ndarray
    b: np.ndarray
    forward_s: np.ndarray  # a -> b
    backward_s: np.ndarray  # b -> a
    tree: shapely.STRtree


def _segments(network: Network) -> _Segments:
    cached = network.__dict__.get("_segments")
    if cached is None:
        u, v, w = network.edge_u, network.edge_v, network.edge_seconds
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
        coords = np.stack(
            [
                np.column_stack([network.x[a], network.y[a]]),
                np.column_stack([network.x[b], network.y[b]]),
            ],
            axis=1,
        )
        tree = shapely.STRtree(shapely.linestrings(coords))
        cached = _Segments(
            a, b, grouped["forward"].to_numpy(float), grouped["backward"].to_numpy(float), tree
        )
        network.__dict__["_segments"] = cached
    return cached


def _climb(
    network: Network,
    z_point: np.ndarray,
    z_road: np.ndarray,
    distance_m: np.ndarray,
    direction: str,
) -> np.ndarray:
    """Time multiplier of off-road legs from their slope (walking, Tobler)."""
    rise = z_road - z_point[:, None] if direction == "from_point" else z_point[:, None] - z_road
    with np.errstate(invalid="ignore", divide="ignore"):
        grade = np.where((distance_m > 0) & np.isfinite(distance_m), rise / distance_m, 0.0)
    return 1.0 / slope_factor("walk", grade)


def snap_points(
    network: Network,
    x: np.ndarray,
    y: np.ndarray,
    *,
    k: int = 4,
    max_distance_m: float = np.inf,
    edges: bool = False,
    direction: str = "from_point",
    elevation_m: np.ndarray | None = None,
) -> Snap:
    """Candidate access legs of each point: its ``k`` nearest nodes and its nearest segment.

    Parameters
    ----------
    network : Network
        The road network (its metric coordinates are used).
    x, y : numpy.ndarray
        Point coordinates in ``network.crs``.
    k : int
        Number of candidate nodes per point.
    max_distance_m : float
        Longest off-road leg; farther nodes and segments are not candidates.
    edges : bool
        Also enter the nearest road segment at its nearest point (two more candidates:
        its end nodes, reached along the segment where its directions allow).
    direction : str
        ``"from_point"`` (residents travel from the point to the road) or
        ``"to_point"`` (stations are reached from the road); decides which way
        a partial segment and a slope are travelled.
    elevation_m : numpy.ndarray, optional
        Elevation of each point; with the network's ``node_elevation_m`` it makes
        the off-road time depend on slope.

    Returns
    -------
    Snap
        With ``k`` (or ``k + 2`` with ``edges``) candidates per point.

    Raises
    ------
    InputError
        For an unknown ``direction``.
    """
    if direction not in DIRECTIONS:
        raise InputError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    k = max(1, min(int(k), network.n_nodes))
    width = k + 2 if edges else k
    if x.size == 0:
        return Snap(np.empty((0, width), dtype=np.int64), np.empty((0, width)))
    dist, idx = node_tree(network).query(
        np.column_stack([x, y]), k=k, distance_upper_bound=max_distance_m
    )
    dist = np.asarray(dist, dtype=float).reshape(x.size, k)
    idx = np.asarray(idx, dtype=np.int64).reshape(x.size, k)
    idx[~np.isfinite(dist)] = -1
    terrain = elevation_m is not None and network.node_elevation_m is not None
    if terrain:
        z_road = np.where(idx >= 0, network.node_elevation_m[np.maximum(idx, 0)], np.nan)  # type: ignore[index]
    if not edges:
        climb = (
            _climb(network, np.asarray(elevation_m, float), z_road, dist, direction)
            if terrain
            else None
        )
        return Snap(idx, dist, None, climb)

    seg = _segments(network)
    extra_nodes = np.full((x.size, 2), -1, dtype=np.int64)
    extra_dist = np.full((x.size, 2), np.inf)
    extra_s = np.zeros((x.size, 2))
    extra_z = np.full((x.size, 2), np.nan)
    pts = shapely.points(x, y)
    found = seg.tree.query_nearest(pts, max_distance=max_distance_m, all_matches=False)
    p, s = found[0], found[1]
    if p.size:
        ax, ay = network.x[seg.a[s]], network.y[seg.a[s]]
        bx, by = network.x[seg.b[s]], network.y[seg.b[s]]
        dx, dy = bx - ax, by - ay
        len2 = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(len2 > 0, ((x[p] - ax) * dx + (y[p] - ay) * dy) / len2, 0.0)
        t = np.clip(t, 0.0, 1.0)
        d = np.hypot(x[p] - (ax + t * dx), y[p] - (ay + t * dy))
        ok = d <= max_distance_m
        if direction == "from_point":  # enter at t, then drive to b (a->b) or to a (b->a)
            to_b, to_a = (1 - t) * seg.forward_s[s], t * seg.backward_s[s]
        else:  # arrive at t from a (a->b) or from b (b->a)
            to_b, to_a = (1 - t) * seg.backward_s[s], t * seg.forward_s[s]
        for col, node, secs in ((0, seg.b[s], to_b), (1, seg.a[s], to_a)):
            use = ok & np.isfinite(secs)
            extra_nodes[p[use], col] = node[use]
            extra_dist[p[use], col] = d[use]
            extra_s[p[use], col] = secs[use]
        if terrain:
            za = network.node_elevation_m[seg.a[s]]  # type: ignore[index]
            zb = network.node_elevation_m[seg.b[s]]  # type: ignore[index]
            extra_z[p, 0] = extra_z[p, 1] = za + t * (zb - za)
    nodes = np.concatenate([idx, extra_nodes], axis=1)
    distance = np.concatenate([dist, extra_dist], axis=1)
    network_s = np.concatenate([np.zeros_like(dist), extra_s], axis=1)
    climb = None
    if terrain:
        z_all = np.concatenate([z_road, extra_z], axis=1)
        climb = _climb(network, np.asarray(elevation_m, float), z_all, distance, direction)
    return Snap(nodes, distance, network_s, climb)
