"""Joining points (stations, population cells) to the network: the off-road access legs.

Access model: a point walks off-road, in a straight line at ``access_speed_kmh``,
to the road and takes whichever of its candidate entry points gives the shortest
total time. The candidates are

- its nearest road node (or, with ``k > 1``, its ``k`` nearest nodes; the pipeline
  uses one: more would let access legs cut straight across city blocks); and
- with ``edges=True``, the nearest point on the nearest road segment: rural
  roads have long straight segments, and a village beside the middle of one
  should not walk to a node far along it. From that point the traveller continues
  along the segment, in each direction the segment allows, to its end nodes; the
  time on the partial segment is the segment's time in proportion to its length.
  This is exact for the model "enter the road anywhere on the nearest segment":
  it equals splitting the segment at the entry point.

Legs longer than ``max_distance_m`` (``max_access_m`` in the configuration) are not
used; a point with none is *too far from the roads* and unreachable.

Road "islands" are not access points: connected pieces of the network with fewer
than :data:`ISLAND_NODES` nodes (other than the largest piece) are usually OSM
fragments (a courtyard footway, a road mapped apart from the rest), and a resident
whose nearest node lay on one would be cut off by a mapping gap. Points join the
nearest node (and segment) of the larger pieces instead; R5 prunes street islands
in the same way.

With terrain, each access leg's time is multiplied by ``1 / slope_factor("walk",
grade)`` (Tobler, :mod:`coverage.inputs.terrain`) for the leg's grade in the
direction of travel: from a resident to the road, and from the road to a station.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from ..errors import InputError
from ..inputs.network import Network
from ..inputs.terrain import Dem, slope_factor
from .barriers import WaterMask, nearest_unblocked
from .index import (
    _SAMPLE_M,
    ISLAND_NODES,
    RoadIndex,
    _Segments,
    access_nodes,
    kd_workers,
    linkable_edges,
    node_tree,
    road_index,
)

__all__ = [
    "DIRECTIONS",
    "ISLAND_NODES",
    "SegmentEntry",
    "Snap",
    "access_nodes",
    "linkable_edges",
    "node_tree",
    "snap_points",
]

_BANDS_M = np.array([25.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0])

#: Segment samples (25 m apart) tried per point behind water, nearest first (16, 64,
#: then 256): a point whose nearest 256 samples all lie across water enters no segment
#: and joins the road at a node instead.
MAX_SEGMENT_SAMPLES = 256

#: Directions of travel on an access leg: residents leave a point, stations are reached.
DIRECTIONS = ("from_point", "to_point")


@dataclass(frozen=True)
class SegmentEntry:
    """Where each point enters its nearest road segment (``snap_points(edges=True)``).

    Kept so that a resident and a station on the same segment reach each other
    along it directly, without going round by its end nodes.

    Attributes
    ----------
    segment : numpy.ndarray
        Index of the undirected segment entered (-1: none in reach).
    fraction : numpy.ndarray
        Position of the entry point from the segment's end ``a`` (0) to ``b`` (1).
    distance_m : numpy.ndarray
        Off-road distance to the entry point.
    climb_factor : numpy.ndarray
        Slope multiplier of that off-road leg (1 on flat ground).
    forward_s, backward_s : numpy.ndarray
        Seconds of the whole segment a -> b and b -> a (inf: not allowed).
    """

    segment: np.ndarray
    fraction: np.ndarray
    distance_m: np.ndarray
    climb_factor: np.ndarray
    forward_s: np.ndarray
    backward_s: np.ndarray

    def take(self, rows: np.ndarray) -> SegmentEntry:
        """The entries of some points only."""
        return SegmentEntry(
            self.segment[rows],
            self.fraction[rows],
            self.distance_m[rows],
            self.climb_factor[rows],
            self.forward_s[rows],
            self.backward_s[rows],
        )


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
    entry : SegmentEntry or None
        The segment entry of each point, with ``edges=True``.
    """

    nodes: np.ndarray
    distance_m: np.ndarray
    network_s: np.ndarray | None = None
    climb_factor: np.ndarray | None = None
    entry: SegmentEntry | None = None

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
            None if self.entry is None else self.entry.take(rows),
        )


def _project(
    seg: _Segments, s: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Fraction along segments ``s`` of the nearest point to (x, y), and the distance."""
    ax, ay = seg.ax[s], seg.ay[s]
    dx, dy = seg.bx[s] - ax, seg.by[s] - ay
    len2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(len2 > 0, ((x - ax) * dx + (y - ay) * dy) / np.where(len2 > 0, len2, 1), 0.0)
    t = np.clip(t, 0.0, 1.0)
    return t, np.hypot(x - (ax + t * dx), y - (ay + t * dy))


def _banded_query(
    tree: cKDTree, pts: np.ndarray, bound: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """``k`` nearest neighbours within each point's ``bound`` (searched in bands of bounds).

    A tight ``distance_upper_bound`` keeps a KD-tree search short, but scipy takes one
    per call; points are grouped into bands of similar bound.
    """
    dist = np.full((pts.shape[0], k), np.inf)
    idx = np.full((pts.shape[0], k), tree.n, dtype=np.int64)
    band = np.searchsorted(_BANDS_M, bound)
    for b in np.unique(band):
        rows = np.flatnonzero((band == b) & np.isfinite(bound))
        if rows.size == 0:
            continue
        d_b, i_b = tree.query(
            pts[rows], k=k, distance_upper_bound=float(bound[rows].max()), workers=kd_workers()
        )
        dist[rows] = np.asarray(d_b).reshape(rows.size, k)
        idx[rows] = np.asarray(i_b).reshape(rows.size, k)
    return dist, idx


def _nearest_segments(
    seg: _Segments,
    x: np.ndarray,
    y: np.ndarray,
    upper_m: np.ndarray,
    max_distance_m: float,
    barrier: WaterMask | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact nearest segment of each point within ``max_distance_m``.

    Every point of a segment lies within ``_SAMPLE_M / 2`` of one of its sample
    points, so a segment at distance ``d`` has a sample within ``d + _SAMPLE_M / 2``.
    With an upper bound ``D`` of the nearest segment's distance (the nearest node's
    distance: nodes lie on segments), the segments of all samples within
    ``min(D, max_distance_m) + _SAMPLE_M / 2`` are examined exactly; more samples
    are fetched until none within that radius is left out.

    Returns
    -------
    points, segments, fraction, distance : numpy.ndarray
        Points with a segment in reach, their nearest segment, the fraction along
        it (from ``a`` to ``b``) of the nearest point, and the distance.
    """
    pts = np.column_stack([x, y])
    n_samples = seg.sample_segment.size
    half = _SAMPLE_M / 2.0
    bound = np.minimum(np.asarray(upper_m, dtype=float), max_distance_m) + half
    # a tight bound first: the exact distance to the nearest sample's segment
    _, first = _banded_query(seg.tree, pts, bound, 1)
    found = first[:, 0] < n_samples
    best_s = np.full(x.size, -1, dtype=np.int64)
    best_s[found] = seg.sample_segment[first[found, 0]]
    best_t = np.zeros(x.size)
    best_d = np.full(x.size, np.inf)
    best_t[found], best_d[found] = _project(seg, best_s[found], x[found], y[found])
    if barrier is not None:
        best_d[found] = np.where(
            _entry_blocked(seg, barrier, best_s[found], best_t[found], x[found], y[found]),
            np.inf,
            best_d[found],
        )
    radius = np.minimum(np.minimum(best_d, bound - half), max_distance_m) + half
    todo = np.flatnonzero(found)
    k = 16
    while todo.size:
        kk = min(k, n_samples)
        dist, idx = _banded_query(seg.tree, pts[todo], radius[todo], kk)
        within = dist <= radius[todo][:, None]
        cs = np.where(within, seg.sample_segment[np.minimum(idx, n_samples - 1)], 0)
        xs = np.broadcast_to(x[todo][:, None], cs.shape)
        ys = np.broadcast_to(y[todo][:, None], cs.shape)
        t, d = _project(seg, cs, xs, ys)
        d = np.where(within, d, np.inf)
        if barrier is not None:  # only an entry nearer than the best so far can win
            check = np.isfinite(d) & (d < best_d[todo][:, None])
            if check.any():
                blocked = np.zeros(d.shape, dtype=bool)
                blocked[check] = _entry_blocked(
                    seg, barrier, cs[check], t[check], xs[check], ys[check]
                )
                d = np.where(blocked, np.inf, d)
        col = np.argmin(d, axis=1)  # ties: the candidate whose sample is nearest
        one = np.arange(todo.size)
        c, tt, dd = cs[one, col], t[one, col], d[one, col]
        better = dd < best_d[todo]
        r = todo[better]
        best_s[r], best_t[r], best_d[r] = c[better], tt[better], dd[better]
        # points whose k-th sample is still inside the radius may have more candidates;
        # behind water the search stops after MAX_SEGMENT_SAMPLES samples, as the node
        # search does after MAX_CANDIDATES nodes (legs are costly to check for water)
        more = kk < n_samples and (barrier is None or kk < MAX_SEGMENT_SAMPLES)
        todo = todo[within[:, -1]] if more else todo[:0]
        k *= 4
    p = np.flatnonzero(best_d <= max_distance_m)
    return p, best_s[p], best_t[p], best_d[p]


def _entry_blocked(
    seg: _Segments,
    barrier: WaterMask,
    s: np.ndarray,
    t: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
) -> np.ndarray:
    """Whether the leg from (x, y) to the point at fraction ``t`` of segment ``s`` crosses water."""
    ex = seg.ax[s] + t * (seg.bx[s] - seg.ax[s])
    ey = seg.ay[s] + t * (seg.by[s] - seg.ay[s])
    return barrier.blocked(x, y, ex, ey)


def _part(fraction: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Seconds on a fraction of a segment (inf where that direction is not allowed)."""
    finite = np.isfinite(seconds)
    return np.where(finite, fraction * np.where(finite, seconds, 0.0), np.inf)


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
    k: int = 1,
    max_distance_m: float = np.inf,
    edges: bool = False,
    direction: str = "from_point",
    elevation_m: np.ndarray | None = None,
    dem: Dem | None = None,
    link_steps: bool = True,
    barrier: WaterMask | None = None,
    index: RoadIndex | None = None,
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
    dem : Dem, optional
        Where to sample ``elevation_m`` when it is not given.
    link_steps : bool
        Whether points may join ``highway=steps`` (see :func:`linkable_edges`).
    barrier : WaterMask, optional
        Water the legs may not cross (:mod:`coverage.engine.barriers`): each point
        joins the nearest node, and enters the nearest segment, reachable without
        crossing it.
    index : RoadIndex, optional
        The network's access nodes, their KD-tree and its segments
        (:func:`~coverage.engine.index.road_index`, with the same ``link_steps``);
        built here when not given. Pass it when snapping many batches.

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
    if elevation_m is None and dem is not None:
        elevation_m = dem.sample(x, y, network.crs)
    if index is None or index.network is not network or index.link_steps != link_steps:
        index = road_index(network, link_steps=link_steps, segments=edges)
    tree, tree_nodes = index.access_tree, index.access_nodes
    k = max(1, min(int(k), tree_nodes.size))
    width = k + 2 if edges else k
    if x.size == 0:
        return Snap(np.empty((0, width), dtype=np.int64), np.empty((0, width)))
    if barrier is None:
        dist, pos = tree.query(
            np.column_stack([x, y]), k=k, distance_upper_bound=max_distance_m, workers=kd_workers()
        )
    else:
        dist, pos = nearest_unblocked(tree, x, y, k, max_distance_m, barrier)
    dist = np.asarray(dist, dtype=float).reshape(x.size, k)
    pos = np.asarray(pos, dtype=np.int64).reshape(x.size, k)
    found = np.isfinite(dist)
    idx = np.where(found, tree_nodes[np.minimum(pos, tree_nodes.size - 1)], -1)
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

    seg = index.road_segments()
    extra_nodes = np.full((x.size, 2), -1, dtype=np.int64)
    extra_dist = np.full((x.size, 2), np.inf)
    extra_s = np.zeros((x.size, 2))
    extra_z = np.full((x.size, 2), np.nan)
    entry_seg = np.full(x.size, -1, dtype=np.int64)
    entry_t = np.zeros(x.size)
    entry_d = np.full(x.size, np.inf)
    p, s, t, d = _nearest_segments(seg, x, y, dist[:, 0], max_distance_m, barrier)
    if p.size:
        ok = np.ones(p.size, dtype=bool)
        entry_seg[p], entry_t[p], entry_d[p] = s, t, d
        fw, bw = seg.forward_s[s], seg.backward_s[s]
        if direction == "from_point":  # enter at t, then travel to b (a->b) or to a (b->a)
            to_b, to_a = _part(1 - t, fw), _part(t, bw)
        else:  # arrive at t from a (a->b) or from b (b->a)
            to_b, to_a = _part(1 - t, bw), _part(t, fw)
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
    entry_climb = np.ones(x.size)
    if terrain:
        z_all = np.concatenate([z_road, extra_z], axis=1)
        climb = _climb(network, np.asarray(elevation_m, float), z_all, distance, direction)
        entry_climb = _climb(
            network,
            np.asarray(elevation_m, float),
            extra_z[:, :1],
            np.where(np.isfinite(entry_d), entry_d, 0.0)[:, None],
            direction,
        )[:, 0]
    has = entry_seg >= 0
    seg_i = np.maximum(entry_seg, 0)
    entry = SegmentEntry(
        entry_seg,
        entry_t,
        entry_d,
        entry_climb,
        np.where(has, seg.forward_s[seg_i], np.inf),
        np.where(has, seg.backward_s[seg_i], np.inf),
    )
    return Snap(nodes, distance, network_s, climb, entry)
