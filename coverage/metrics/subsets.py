"""Travel time to the nearest station of a subset (one tier, one service item).

The whole-table search of :func:`coverage.engine.travel_times.node_times` answers
"how far is the nearest station?"; questions such as "how far is the nearest township
station?" or "how far is the nearest station that registers out-of-area treatment?"
need the same search over a subset of the stations. This module runs it with the
engine's own functions on the subset's rows of the station snap, one multi-source
Dijkstra per subset, and maps the answer back to indices of the full station table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..engine.groups import slower_state
from ..engine.snapping import Snap
from ..engine.travel_times import node_times, point_times
from ..engine.whatif import EngineState
from ..inputs.network import Network

__all__ = ["SubsetSearch", "group_searches", "reach_figures"]


@dataclass(frozen=True)
class SubsetSearch:
    """What a search from any subset of the stations needs.

    Attributes
    ----------
    network : Network
        The road network.
    station_snap : Snap
        Access legs of every station (rows in station-table order).
    point_snap : Snap
        Access legs of the demand points.
    access_speed_kmh : float
        Speed on the access legs.
    reverse : scipy.sparse.csr_matrix, optional
        The network's reversed graph (from the engine state's road index), reused by
        every search; built per search when not given.
    """

    network: Network
    station_snap: Snap
    point_snap: Snap
    access_speed_kmh: float
    reverse: sp.csr_matrix | None = None

    def minutes(self, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Minutes from each point to the nearest station among ``keep``.

        Parameters
        ----------
        keep : numpy.ndarray
            Boolean mask over the stations: the subset searched from.

        Returns
        -------
        minutes : numpy.ndarray
            Minutes per point to the nearest station of the subset (inf: none reachable).
        station : numpy.ndarray
            Index into the *full* station table of that station (-1: none).
        """
        keep_idx = np.flatnonzero(np.asarray(keep, dtype=bool))
        n_points = self.point_snap.nodes.shape[0]
        if keep_idx.size == 0:
            return np.full(n_points, np.inf), np.full(n_points, -1, dtype=np.int64)
        subset = self.station_snap.take(keep_idx)  # with edge entries and slopes
        speed = self.access_speed_kmh
        times = node_times(self.network, subset, access_speed_kmh=speed, reverse=self.reverse)
        seconds, station = point_times(times, self.point_snap, access_speed_kmh=speed)
        full = np.where(station >= 0, keep_idx[np.maximum(station, 0)], -1).astype(np.int64)
        return seconds / 60.0, full


def reach_figures(population: np.ndarray, minutes: np.ndarray, threshold: float) -> dict[str, Any]:
    """Coverage figures of one search: who is within the threshold, and how far people are.

    Parameters
    ----------
    population : numpy.ndarray
        People per demand point.
    minutes : numpy.ndarray
        Minutes per point to the nearest station of a subset (inf: none reachable).
    threshold : float
        Coverage threshold in minutes.

    Returns
    -------
    dict
        ``population_covered``, ``coverage_share`` (of all residents), ``mean_minutes``
        (population-weighted, residents who reach a station; NaN if none) and
        ``unreachable_population``.
    """
    population = np.asarray(population, dtype=float)
    total = float(population.sum())
    reach = np.isfinite(minutes)
    reached = float(population[reach].sum())
    covered = float(population[minutes <= threshold].sum())
    return {
        "population_covered": covered,
        "coverage_share": covered / total if total > 0 else 0.0,
        "mean_minutes": float((population[reach] * minutes[reach]).sum() / reached)
        if reached > 0
        else np.nan,
        "unreachable_population": total - reached,
    }


def group_searches(state: EngineState, groups: Sequence[str]) -> dict[str, SubsetSearch]:
    """Subset searches at the speeds of the groups timed at their own speed.

    One slower engine state per distinct ``group_speed_factor`` of the access model
    (:func:`coverage.engine.groups.slower_state`); groups at everyone's speed, and
    every group when driving, get none.

    Parameters
    ----------
    state : EngineState
        The state at everyone's speeds.
    groups : sequence of str
        The population groups of the demand.

    Returns
    -------
    dict of str to SubsetSearch
    """
    if state.network.mode == "drive":
        return {}
    factors = {g: float(f) for g, f in state.access.group_speed_factor.items() if g in groups}
    out: dict[str, SubsetSearch] = {}
    for factor in sorted({f for f in factors.values() if f != 1.0}):
        slow = slower_state(state, factor)
        search = SubsetSearch(
            slow.network,
            slow.station_snap,
            slow.point_snap,
            slow.access.access_speed_kmh,
            reverse=slow.index.reverse,
        )
        out.update({g: search for g, f in factors.items() if f == factor})
    return out
