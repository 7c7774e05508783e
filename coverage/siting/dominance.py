"""Candidate sites another candidate makes useless (dropped before solving)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from .unit_milp import TierNeed

__all__ = ["dominated_sites"]


def dominated_sites(
    pattern: sp.csr_matrix,
    covered_before: np.ndarray,
    tiers: Sequence[TierNeed] = (),
    forced: np.ndarray | None = None,
) -> np.ndarray:
    """Candidates another one makes useless: it reaches all their uncovered points.

    Site ``j`` is dominated by site ``i`` when every demand point ``j`` would newly
    cover, ``i`` covers too (ties: the lower index stays) and both count the same for
    every tier rule (same unit, same tier). Swapping ``j`` for ``i`` in any solution
    keeps every target, rule and person, so an optimal solution without the
    dominated sites exists, whatever the objective. Forced sites are never dropped.

    Parameters
    ----------
    pattern : scipy.sparse.csr_matrix
        ``(sites, demand points)`` 0/1 coverage.
    covered_before : numpy.ndarray
        Points the existing stations already cover (they do not count).
    tiers : sequence of TierNeed
        Tier rules.
    forced : numpy.ndarray, optional
        Forced sites.

    Returns
    -------
    numpy.ndarray
        bool per site.

    Examples
    --------
    >>> a = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]]))
    >>> dominated_sites(a, np.array([False, False, False])).tolist()
    [False, True, True, False]
    """
    n = pattern.shape[0]
    fresh = sp.csr_matrix(pattern[:, np.flatnonzero(~np.asarray(covered_before, dtype=bool))])
    fresh.data[:] = 1.0
    size = np.diff(fresh.indptr)
    signature = np.zeros(n, dtype=np.int64)
    for rule in tiers:
        key = np.where(rule.site_counts, rule.site_unit + 1, 0)
        signature = signature * (int(key.max(initial=0)) + 1) + key
    overlap = sp.coo_matrix(fresh @ fresh.T)
    i, j, v = overlap.row, overlap.col, overlap.data
    covers = (i != j) & (v >= size[j]) & (signature[i] == signature[j])
    covers &= (size[i] > size[j]) | (i < j)
    out = np.zeros(n, dtype=bool)
    out[j[covers]] = True
    # a site reaching no one new is dominated by any other of its signature
    empty = size == 0
    if empty.any():
        first: dict[int, int] = {}
        for k in np.flatnonzero(empty | ~out):
            first.setdefault(int(signature[k]), int(k))
        for k in np.flatnonzero(empty):
            if first[int(signature[k])] != k:
                out[k] = True
    if forced is not None and len(forced):
        out[np.asarray(forced, dtype=np.int64)] = False
    return out
