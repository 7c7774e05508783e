"""The lazy greedy heuristic for maximal covering (see :mod:`~coverage.siting.optimise`).

A priority queue of marginal gains: stale gains are upper bounds because gains only
shrink, so a popped site whose fresh gain still beats the next one is the plain
greedy's choice (ties to the lowest index).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass
class _Cover:
    """Residual weights while sites are added one by one (greedy and ranking)."""

    sets: sp.csr_matrix  # sites x points, data = minutes (order of service)
    residual: np.ndarray
    cap: np.ndarray | None

    def gain(self, j: int) -> float:
        lo, hi = self.sets.indptr[j], self.sets.indptr[j + 1]
        total = float(self.residual[self.sets.indices[lo:hi]].sum())
        return total if self.cap is None else min(total, float(self.cap[j]))

    def add(self, j: int) -> float:
        lo, hi = self.sets.indptr[j], self.sets.indptr[j + 1]
        idx = self.sets.indices[lo:hi]
        if self.cap is None or not np.isfinite(self.cap[j]):
            served = float(self.residual[idx].sum())
            self.residual[idx] = 0.0
            return served
        order = np.lexsort((idx, self.sets.data[lo:hi]))  # nearest first, then lowest index
        idx = idx[order]
        before = self.residual[idx]
        room = float(self.cap[j])
        taken = np.clip(room - (np.cumsum(before) - before), 0.0, before)
        self.residual[idx] = before - taken
        return float(taken.sum())


def _lazy_greedy(
    cover: _Cover,
    pool: np.ndarray,
    *,
    max_sites: int,
    stop_at: float = np.inf,
) -> tuple[list[int], list[float]]:
    """Add the site of largest marginal gain (ties: lowest index) until a stop."""
    heap = [(-cover.gain(int(j)), int(j)) for j in pool]
    heap = [item for item in heap if item[0] < 0]
    heapq.heapify(heap)
    chosen: list[int] = []
    gains: list[float] = []
    total = 0.0
    while heap and len(chosen) < max_sites and total < stop_at:
        _, j = heapq.heappop(heap)
        fresh = cover.gain(j)
        if fresh <= 0:
            continue
        if heap and (-fresh, j) > heap[0]:
            heapq.heappush(heap, (-fresh, j))
            continue
        served = cover.add(j)
        chosen.append(j)
        gains.append(served)
        total += served
    return chosen, gains


def _seed_forced(cover: _Cover, forced: np.ndarray) -> list[float]:
    return [cover.add(int(j)) for j in forced]


def swap_improve(
    sets: sp.csr_matrix,
    w: np.ndarray,
    chosen: list[int],
    *,
    max_seconds: float = 10.0,
    candidates_per_round: int = 64,
) -> list[int]:
    """Improve a set of sites by exchanges: one site out, one in, while it gains weight.

    Each round tries the ``candidates_per_round`` unchosen sites of largest gain
    against every chosen site and applies the best exchange (exact gain: the weight
    newly covered by the site coming in, plus what only the leaving site covered
    and the new one covers too, minus what only the leaving site covered).

    Parameters
    ----------
    sets : scipy.sparse.csr_matrix
        ``(sites, demand rows)`` 0/1 pattern.
    w : numpy.ndarray
        Weight of each demand row.
    chosen : list of int
        The starting sites (e.g. the greedy ones).
    max_seconds : float
        Stop improving after this long.
    candidates_per_round : int
        Unchosen sites tried per round.

    Returns
    -------
    list of int
        The improved sites (as many as given).
    """
    import time

    start = time.perf_counter()
    n_sites = sets.shape[0]
    by_row = sp.csr_matrix(sets.T)
    x = np.zeros(n_sites)
    x[chosen] = 1.0
    idx = np.arange(n_sites, dtype=np.float64)
    while time.perf_counter() - start < max_seconds:
        count = np.asarray(by_row @ x).ravel()
        owner = np.rint(np.asarray(by_row @ (x * idx)).ravel()).astype(np.int64)
        single = np.where(count == 1, w, 0.0)
        loss = np.asarray(sets @ single).ravel()  # for chosen sites: weight only they cover
        gain = np.asarray(sets @ np.where(count == 0, w, 0.0)).ravel()
        gain[x > 0] = -np.inf
        tries = np.argsort(-gain, kind="stable")[:candidates_per_round]
        best = (1e-9 * max(float(w.sum()), 1.0), -1, -1)
        for i in tries:
            if not np.isfinite(gain[i]) or gain[i] <= 0:
                break
            rows = sets.indices[sets.indptr[i] : sets.indptr[i + 1]]
            alone = rows[count[rows] == 1]
            regain = np.bincount(owner[alone], weights=w[alone], minlength=n_sites)
            delta = np.where(x > 0, gain[i] + regain - loss, -np.inf)
            j = int(np.argmax(delta))
            if delta[j] > best[0]:
                best = (float(delta[j]), int(i), j)
        if best[1] < 0:
            break
        x[best[2]], x[best[1]] = 0.0, 1.0
    return [int(j) for j in np.flatnonzero(x > 0)]
