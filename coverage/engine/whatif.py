"""What-if: travel times after adding or removing one station, without a full recompute.

Both updates are exact: they give the same node times as a fresh multi-source
Dijkstra over the changed station set (the same floating-point sums, in the same
order), while touching only the part of the network that changes.

- **Adding** a station runs a Dijkstra from it alone with a ``limit``, and keeps a
  node's new time where it beats the current one. Only nodes whose time improves
  can pass an improvement on (if a path through ``z`` improves ``y`` then it
  improves ``z``), so the search is complete once no edge leaves the explored
  ball towards a node it would improve; otherwise the limit doubles and the search
  repeats. The limit starts at ``limit_s`` (by default the largest current time
  of the nodes near the station, so usually one pass suffices).
- **Removing** a station recomputes only its catchment (the nodes whose nearest
  station it was): a multi-source Dijkstra on the catchment's subgraph, seeded
  at the catchment's border nodes with their unchanged times and at the other
  stations' access legs that enter the catchment.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra

from ..errors import InputError
from ..inputs.network import Network
from .access import AccessModel
from .index import RoadIndex, road_index
from .snapping import SegmentEntry, Snap
from .travel_times import NodeTimes, append_sources, node_times, point_times

__all__ = ["EngineState", "add_source", "engine_state", "remove_source", "snap_for_state"]


@dataclass(frozen=True)
class EngineState:
    """Everything the what-if updates need: snaps and times of stations and points.

    Attributes
    ----------
    network : Network
        The weighted network.
    station_snap : Snap
        Access legs of the stations (``direction="to_point"``), one row per station.
    point_snap : Snap
        Access legs of the demand points (``direction="from_point"``).
    access : AccessModel
        How the journeys were timed (linking rule, access legs, terrain); new
        stations and grid points are snapped with it.
    times : NodeTimes
        Node times to the nearest station.
    point_seconds : numpy.ndarray
        Seconds from each point to its nearest station (inf: unreachable).
    point_station : numpy.ndarray
        Index of that station (-1: none).
    index : RoadIndex
        The network's access nodes, segments and reversed graph, built once and
        reused by every update, grid and subset search.
    """

    network: Network
    station_snap: Snap
    point_snap: Snap
    access: AccessModel
    times: NodeTimes
    point_seconds: np.ndarray
    point_station: np.ndarray
    index: RoadIndex

    @property
    def n_stations(self) -> int:
        """Number of stations."""
        return int(self.station_snap.nodes.shape[0])

    @property
    def access_speed_kmh(self) -> float:
        """Off-road speed of the access model."""
        return self.access.access_speed_kmh


def engine_state(
    network: Network,
    station_snap: Snap,
    point_snap: Snap,
    access: AccessModel,
    *,
    index: RoadIndex | None = None,
) -> EngineState:
    """Full computation of node and point times (one multi-source Dijkstra).

    Parameters
    ----------
    network : Network
        The weighted network.
    station_snap, point_snap : Snap
        Access legs of stations and demand points, made with ``access.snap``.
    access : AccessModel
        How the journeys are timed.
    index : RoadIndex, optional
        The network's search structures (:func:`~coverage.engine.index.road_index`
        with the access model's linking rule); built here when not given.

    Returns
    -------
    EngineState
    """
    if index is None or index.network is not network:
        index = road_index(network, link_steps=access.link_steps, segments=access.snap_edges)
    speed = access.access_speed_kmh
    times = node_times(network, station_snap, access_speed_kmh=speed, reverse=index.reverse)
    seconds, station = point_times(times, point_snap, access_speed_kmh=speed)
    return EngineState(network, station_snap, point_snap, access, times, seconds, station, index)


def snap_for_state(state: EngineState, x: np.ndarray, y: np.ndarray, *, direction: str) -> Snap:
    """Snap more points (new stations, grid cells) exactly as the state's points were.

    Parameters
    ----------
    state : EngineState
        Gives the network and the access model.
    x, y : numpy.ndarray
        Points in the network's metric CRS.
    direction : str
        ``"to_point"`` for stations, ``"from_point"`` for residents.

    Returns
    -------
    Snap
    """
    return state.access.snap(state.network, x, y, direction=direction, index=state.index)


def _stack_snaps(a: Snap, b: Snap) -> Snap:
    """The rows of two snaps, one after the other (columns padded with empty candidates)."""
    width = max(a.nodes.shape[1], b.nodes.shape[1])

    def stack(name: str, fill: float) -> np.ndarray:
        parts = []
        for snap in (a, b):
            rows = snap.nodes.shape[0]
            arr = getattr(snap, name)
            out = np.full((rows, width), fill)
            if arr is not None:
                out[:, : arr.shape[1]] = arr
            parts.append(out)
        return np.concatenate(parts)

    optional = {"network_s": 0.0, "climb_factor": 1.0}
    extra = {
        name: stack(name, fill)
        if getattr(a, name) is not None or getattr(b, name) is not None
        else None
        for name, fill in optional.items()
    }
    entry = None
    if a.entry is not None and b.entry is not None:
        fields = [f.name for f in dataclasses.fields(SegmentEntry)]
        entry = SegmentEntry(
            *(np.concatenate([getattr(a.entry, f), getattr(b.entry, f)]) for f in fields)
        )
    return Snap(
        stack("nodes", -1).astype(np.int64), stack("distance_m", np.inf), entry=entry, **extra
    )


def _update_points(
    state: EngineState, times: NodeTimes, changed: np.ndarray, segment: int = -1
) -> tuple[np.ndarray, np.ndarray]:
    """Point times after node times changed at the nodes flagged in ``changed``.

    Points entering road segment ``segment`` (where a station was added or removed)
    are recomputed too.
    """
    snap = state.point_snap
    touched = (changed[np.maximum(snap.nodes, 0)] & (snap.nodes >= 0)).any(axis=1)
    if segment >= 0 and snap.entry is not None:
        touched |= snap.entry.segment == segment
    rows = np.flatnonzero(touched)
    seconds = state.point_seconds.copy()
    station = state.point_station.copy()
    if rows.size:
        s, st = point_times(times, snap.take(rows), access_speed_kmh=state.access_speed_kmh)
        seconds[rows] = s
        station[rows] = st
    return seconds, station


def add_source(state: EngineState, snap: Snap, *, limit_s: float | None = None) -> EngineState:
    """The state after adding one station (appended as the last station index).

    Parameters
    ----------
    state : EngineState
        Current state.
    snap : Snap
        Access legs of the new station (one row, ``direction="to_point"``).
    limit_s : float, optional
        First search radius in seconds (doubled until the update is complete).

    Returns
    -------
    EngineState
    """
    if snap.nodes.shape[0] != 1:
        raise InputError("add_source: give the access legs of exactly one station")
    net = state.network
    n = net.n_nodes
    graph = state.index.reverse
    access = snap.access_seconds(state.access_speed_kmh)
    ok = (snap.nodes[0] >= 0) & np.isfinite(access[0])
    cols, weights = snap.nodes[0][ok], access[0][ok]
    new_index = state.n_stations
    cur = state.times.seconds
    if cols.size == 0:
        dist = np.full(n, np.inf)
    else:
        full = append_sources(graph, np.zeros(cols.size, dtype=np.int64), cols, weights, 1)
        if limit_s is None:
            near = cur[cols]
            limit_s = float(np.max(near[np.isfinite(near)], initial=0.0)) + float(weights.max())
        limit = max(float(limit_s), 1.0)
        rows_of = np.repeat(np.arange(n), np.diff(graph.indptr))
        while True:
            dist = np.asarray(dijkstra(full, directed=True, indices=n, limit=limit))[:n]
            reached = np.isfinite(dist)
            if reached.all():
                break
            src = rows_of
            dst = graph.indices
            frontier = reached[src] & ~reached[dst] & (dist[src] + graph.data < cur[dst])
            legs = ~reached[cols] & (weights < cur[cols])
            if not frontier.any() and not legs.any():
                break
            limit *= 2.0
    better = dist < cur
    seconds = np.where(better, dist, cur)
    station = np.where(better, new_index, state.times.station)
    stacked = _stack_snaps(state.station_snap, snap)
    times = NodeTimes(seconds, station.astype(np.int64), stacked.entry)
    segment = -1 if snap.entry is None else int(snap.entry.segment[0])
    pts, pst = _update_points(state, times, better, segment)
    return dataclasses.replace(
        state,
        station_snap=stacked,
        times=times,
        point_seconds=pts,
        point_station=pst,
    )


def remove_source(state: EngineState, index: int) -> EngineState:
    """The state after removing one station; stations after it move down one index.

    Parameters
    ----------
    state : EngineState
        Current state.
    index : int
        Index of the station to remove.

    Returns
    -------
    EngineState
    """
    if not 0 <= index < state.n_stations:
        raise InputError(
            f"remove_source: no station with index {index} (0..{state.n_stations - 1})"
        )
    net = state.network
    n = net.n_nodes
    graph = state.index.reverse
    cur = state.times.seconds
    label = state.times.station
    catchment = label == index
    seconds = cur.copy()
    station = label.copy()
    if catchment.any():
        rows_of = np.repeat(np.arange(n), np.diff(graph.indptr))
        into = catchment[graph.indices] & ~catchment[rows_of] & np.isfinite(cur[rows_of])
        border = np.unique(rows_of[into])
        inside = np.flatnonzero(catchment)
        local = np.concatenate([inside, border])
        position = np.full(n, -1, dtype=np.int64)
        position[local] = np.arange(local.size)
        sub = graph[local][:, local].tocsr()
        # seeds: border nodes at their current time, labelled by their station; other
        # stations' access legs that enter the catchment
        access = state.station_snap.access_seconds(state.access_speed_kmh)
        legs = (state.station_snap.nodes >= 0) & np.isfinite(access)
        legs &= catchment[np.maximum(state.station_snap.nodes, 0)]
        legs[index] = False
        leg_station, leg_col = np.nonzero(legs)
        seed_station = np.concatenate([label[border], leg_station])
        seed_node = np.concatenate(
            [position[border], position[state.station_snap.nodes[leg_station, leg_col]]]
        )
        seed_w = np.concatenate([cur[border], access[leg_station, leg_col]])
        stations_used, seed_row = np.unique(seed_station, return_inverse=True)
        if stations_used.size:
            full = append_sources(sub, seed_row, seed_node, seed_w, stations_used.size)
            m = local.size
            dist, _, sources = dijkstra(
                full,
                directed=True,
                indices=np.arange(m, m + stations_used.size),
                min_only=True,
                return_predecessors=True,
            )
            k = inside.size
            found = sources[:k] >= m
            seconds[inside] = np.where(found, dist[:k], np.inf)
            station[inside] = np.where(found, stations_used[np.maximum(sources[:k] - m, 0)], -1)
        else:
            seconds[inside] = np.inf
            station[inside] = -1
    station = np.where(station > index, station - 1, station)
    keep = np.arange(state.n_stations) != index
    snap = state.station_snap.take(np.flatnonzero(keep))
    times = NodeTimes(seconds, station.astype(np.int64), snap.entry)
    entry = state.station_snap.entry
    segment = -1 if entry is None else int(entry.segment[index])
    # points: those touching the catchment change; the others only get renumbered
    moved = state.point_station > index
    base = dataclasses.replace(
        state, point_station=np.where(moved, state.point_station - 1, state.point_station)
    )
    pts, pst = _update_points(base, times, catchment, segment)
    return dataclasses.replace(
        state, station_snap=snap, times=times, point_seconds=pts, point_station=pst
    )
