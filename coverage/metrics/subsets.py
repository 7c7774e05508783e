"""Travel time to the nearest station of a subset (one tier, one service item).

The whole-table search of :func:`coverage.engine.travel_times.node_times` answers
"how far is the nearest station?"; questions such as "how far is the nearest township
station?" or "how far is the nearest station that registers out-of-area treatment?"
need the same search over a subset of the stations. This module runs it with the
engine's own functions on the subset's rows of the station snap, one multi-source
Dijkstra per subset, and maps the answer back to indices of the full station table.
"""

from __future__ import annotations

import numpy as np

from ..engine.snapping import Snap
from ..engine.travel_times import node_times, point_times
from ..inputs.network import Network

__all__ = ["subset_point_minutes"]


def subset_point_minutes(
    network: Network,
    station_snap: Snap,
    point_snap: Snap,
    keep: np.ndarray,
    *,
    access_speed_kmh: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes from each point to the nearest station among ``keep``.

    Parameters
    ----------
    network : Network
        The road network.
    station_snap : Snap
        Access legs of every station (rows in station-table order).
    point_snap : Snap
        Access legs of the demand points.
    keep : numpy.ndarray
        Boolean mask over the stations: the subset searched from.
    access_speed_kmh : float
        Speed on the access legs.

    Returns
    -------
    minutes : numpy.ndarray
        Minutes per point to the nearest station of the subset (inf: none reachable).
    station : numpy.ndarray
        Index into the *full* station table of that station (-1: none).
    """
    keep_idx = np.flatnonzero(np.asarray(keep, dtype=bool))
    n_points = point_snap.nodes.shape[0]
    if keep_idx.size == 0:
        return np.full(n_points, np.inf), np.full(n_points, -1, dtype=np.int64)
    subset = Snap(station_snap.nodes[keep_idx], station_snap.distance_m[keep_idx])
    times = node_times(network, subset, access_speed_kmh=access_speed_kmh)
    seconds, station = point_times(times, point_snap, access_speed_kmh=access_speed_kmh)
    full = np.where(station >= 0, keep_idx[np.maximum(station, 0)], -1).astype(np.int64)
    return seconds / 60.0, full
