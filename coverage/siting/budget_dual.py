"""The exact MCLP through its budget multiplier: the unbudgeted problem, solved exactly.

Relaxing the budget ``sum_j x_j <= k`` of the MCLP (:mod:`~coverage.siting.optimise`)
with a multiplier ``mu >= 0`` gives, for every ``mu``, the upper bound::

    B(mu) = mu k + I(mu),
    I(mu) = max  sum_i w_i y_i - mu sum_j x_j
            s.t. y_i <= sum_j a_ij x_j,  x_j in {0, 1},  0 <= y_i <= 1

Unlike the LP relaxation, ``I(mu)`` keeps the sites integral, so ``B`` is below the
LP bound wherever the LP covers people with fractions of sites; and without the
budget row tying every site to every other, HiGHS solves ``I(mu)`` far faster than
the MCLP itself (10^4 sites and 10^5 demand rows in seconds, where the budgeted model
does not finish its root node in minutes). An optimal ``x`` of ``I(mu)`` with exactly
``k`` sites is optimal for the MCLP: its covered weight equals ``B(mu)``.

``B`` is convex and piecewise linear in ``mu``, with slope ``k - |x(mu)|``. The
search starts from the LP's multiplier, brackets the minimum (one ``mu`` giving more
than ``k`` sites, one giving fewer) and moves to where the two tangents cross, until
a solution with ``k`` sites appears (proof), the bracket closes on a breakpoint of
``B`` (no ``mu`` gives ``k`` sites; the bound is then the Lagrangian dual's best) or
the time runs out. Each solution is also repaired to ``k`` sites (greedy additions or
least-loss removals), so the search returns a feasible answer and a certified gap
whatever happens.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .greedy import _Cover, _lazy_greedy
from .milp import Mip, solve_mip

__all__ = ["BudgetDual", "budget_dual", "covered_weight", "trim_to"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BudgetDual:
    """What the multiplier search found.

    Attributes
    ----------
    sites : numpy.ndarray
        The best set of at most ``k`` sites found (column indices).
    value : float
        Its covered weight.
    bound : float
        The smallest ``B(mu)`` proven (an upper bound on the MCLP optimum).
    proven : bool
        Whether ``value`` reaches ``bound`` within the relative tolerance.
    multiplier : float
        The ``mu`` of the bound.
    solves : int
        Number of ``I(mu)`` solved.
    ruled_out : int
        Sites the ``duals`` left out of the last ``I(mu)`` solved.
    size : dict
        ``variables``, ``constraints`` and ``nonzeros`` of that ``I(mu)``.
    seconds : float
        Wall time.
    """

    sites: np.ndarray
    value: float
    bound: float
    proven: bool
    multiplier: float
    solves: int
    ruled_out: int
    seconds: float
    size: dict[str, int]


def covered_weight(sets: sp.csr_matrix, w: np.ndarray, sites: np.ndarray) -> float:
    """Weight of the demand rows covered by ``sites`` (rows of ``sets``).

    Examples
    --------
    >>> sets = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1]]))
    >>> covered_weight(sets, np.array([1.0, 2.0, 4.0]), np.array([1]))
    6.0
    """
    covered = np.zeros(w.size, dtype=bool)
    covered[sets[np.asarray(sites, dtype=np.int64)].indices] = True
    return float(w[covered].sum())


def trim_to(sets: sp.csr_matrix, w: np.ndarray, sites: np.ndarray, k: int) -> np.ndarray:
    """Drop sites one at a time, the one whose loss is least, until ``k`` are left.

    Parameters
    ----------
    sets : scipy.sparse.csr_matrix
        ``(sites, demand rows)`` 0/1 pattern.
    w : numpy.ndarray
        Weight of each demand row.
    sites : numpy.ndarray
        The chosen sites.
    k : int
        How many to keep.

    Returns
    -------
    numpy.ndarray
        The kept sites, sorted.

    Examples
    --------
    >>> sets = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1]]))
    >>> trim_to(sets, np.array([5.0, 1.0, 2.0]), np.array([0, 1, 2]), 2).tolist()
    [0, 2]
    """
    chosen = np.sort(np.asarray(sites, dtype=np.int64))
    sub = sp.csr_matrix(sets[chosen])
    count = np.bincount(sub.indices, minlength=w.size)
    alive = np.ones(chosen.size, dtype=bool)
    while alive.sum() > k:
        loss = np.asarray(sub @ np.where(count == 1, w, 0.0)).ravel()
        loss[~alive] = np.inf
        drop = int(np.argmin(loss))  # ties: the lowest site index
        alive[drop] = False
        count[sub.indices[sub.indptr[drop] : sub.indptr[drop + 1]]] -= 1
    return chosen[alive]


def _inner_mip(rows: sp.csr_matrix, w: np.ndarray, mu: float) -> Mip:
    g, n = rows.shape
    return Mip(
        cost=np.concatenate([np.full(n, -float(mu)), w]),
        lower=np.zeros(n + g),
        upper=np.ones(n + g),
        integer=np.concatenate([np.ones(n, dtype=bool), np.zeros(g, dtype=bool)]),
        rows=sp.csr_matrix(sp.hstack([-rows, sp.identity(g, format="csr")], format="csr")),
        row_lower=np.full(g, -np.inf),
        row_upper=np.zeros(g),
        maximise=True,
    )


def budget_dual(
    rows: sp.csr_matrix,
    w: np.ndarray,
    k: int,
    *,
    multiplier: float,
    time_limit_s: float,
    incumbent: np.ndarray | None = None,
    duals: np.ndarray | None = None,
    rel_tol: float = 1e-6,
) -> BudgetDual:
    """Search the budget multiplier for a solution of ``I(mu)`` with ``k`` sites.

    Parameters
    ----------
    rows : scipy.sparse.csr_matrix
        ``(demand rows, sites)`` coverage pattern, rows merged.
    w : numpy.ndarray
        Weight of each demand row.
    k : int
        Number of sites.
    multiplier : float
        The starting ``mu`` (the LP relaxation's budget dual is a good one).
    time_limit_s : float
        Time limit of the whole search; each ``I(mu)`` solve is interrupted a little
        before it (up to 5 s), as HiGHS takes a moment to stop.
    incumbent : numpy.ndarray, optional
        Sites of a known feasible answer (kept if nothing better is found).
    duals : numpy.ndarray, optional
        Multipliers ``lambda`` of the demand rows (e.g. the LP's duals,
        :attr:`~coverage.siting.certificate.Certificate.multipliers`). With them each
        ``I(mu)`` drops the sites that cannot beat the best answer known at that
        ``mu``: ``I(mu) <= sum_i (w_i - lambda_i) + sum_j max(0, c_j - mu)`` with
        ``c_j = sum_i a_ij lambda_i``, and opening a site with ``c_j < mu`` lowers
        that bound by ``mu - c_j``.
    rel_tol : float
        Relative gap at which the answer counts as proven optimal.

    Returns
    -------
    BudgetDual
    """
    start = time.perf_counter()
    # HiGHS takes a few seconds to wind up after an interrupt on large models
    deadline = start + float(time_limit_s) - min(5.0, 0.05 * float(time_limit_s))
    w = np.asarray(w, dtype=np.float64)
    sets = sp.csr_matrix(rows.T)
    n = sets.shape[0]
    best_sites = np.sort(np.asarray(incumbent if incumbent is not None else [], dtype=np.int64))
    best_value = covered_weight(sets, w, best_sites) if best_sites.size else 0.0
    best_bound, best_mu = float(w.sum()), 0.0
    above: tuple[float, float, int] | None = None  # (mu, F(x), |x|) with |x| > k
    below: tuple[float, float, int] | None = None  # with |x| < k
    mu: float | None
    mu, solves = max(float(multiplier), 0.0), 0
    step = 1e-3 * (mu if mu > 0 else max(float(w.sum()) / max(k, 1), 1e-9))  # first move
    warm: np.ndarray | None = None
    if best_sites.size:  # the incumbent is an answer of every I(mu) too
        warm = np.zeros(n)
        warm[best_sites] = 1.0
    lam = None if duals is None else np.clip(np.asarray(duals, dtype=np.float64), 0.0, w)
    site_value = np.zeros(n) if lam is None else np.asarray(rows.T @ lam).ravel()
    rest = 0.0 if lam is None else float(np.sum(w - lam))
    ruled_out = 0
    size = {"variables": 0, "constraints": 0, "nonzeros": 0}
    lines = [(best_value, int(best_sites.size))]  # (F(x), |x|) of every answer seen
    trail: tuple[float, float, int] | None = None  # the previous point
    tangent = True  # whether the last bracketed step was the tangents' crossing
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        floor = max(f - mu * c for f, c in lines)  # I(mu) >= the best answer known
        keep = np.arange(n)
        if lam is not None:
            upper = rest + float(np.maximum(site_value - mu, 0.0).sum())
            margin = 1e-9 * max(abs(floor), 1.0)
            keep = np.flatnonzero(upper - np.maximum(mu - site_value, 0.0) >= floor - margin)
        sub = sp.csr_matrix(rows[:, keep])
        live = np.diff(sub.indptr) > 0  # rows no site kept can cover stay uncovered
        sub, sw = sp.csr_matrix(sub[live]), w[live]
        start_x = None
        if warm is not None:
            on = warm[keep]
            start_x = np.concatenate([on, (np.asarray(sub @ on).ravel() > 0).astype(float)])
        solved = solve_mip(
            _inner_mip(sub, sw, mu), time_limit_s=left, mip_rel_gap=1e-9, start=start_x,
            deadline=deadline,
        )  # fmt: skip
        solves += 1
        ruled_out, size = n - keep.size, solved["size"]
        x = np.zeros(n)
        x[keep] = np.round(solved["values"][: keep.size])
        sites = np.flatnonzero(x > 0.5)
        value = covered_weight(sets, w, sites)
        if solved["bound"] is not None and mu * k + max(solved["bound"], floor) < best_bound:
            best_bound, best_mu = mu * k + max(solved["bound"], floor), mu  # any better x: kept
        if sites.size <= k:
            repaired = _complete(sets, w, sites, k)
        else:
            repaired = trim_to(sets, w, sites, k)
        for candidate in (sites, repaired):
            v = covered_weight(sets, w, candidate)
            lines.append((v, int(candidate.size)))
            if candidate.size <= k and v > best_value:
                best_sites, best_value = np.sort(candidate), v
        log.debug(
            "budget multiplier %.6f: %d sites, covered %.3f, bound %.3f, best %.3f",
            mu, sites.size, value, best_bound, best_value,
        )  # fmt: skip
        if best_value >= best_bound * (1.0 - rel_tol) or solved["status"] != "optimal":
            break
        if sites.size == k or (mu <= 0.0 and sites.size < k):
            break  # proven above unless rounding disagrees: stop either way
        warm = x
        point = (mu, value, int(sites.size))
        if sites.size > k:
            above = point
        else:
            below = point
        mu, step, tangent = _next_multiplier(trail, point, above, below, k, step, tangent)
        trail = point
        if mu is None:
            break  # the bracket closed on a breakpoint of B
    return BudgetDual(
        sites=best_sites,
        value=best_value,
        bound=max(best_bound, best_value),
        proven=best_value >= best_bound * (1.0 - rel_tol),
        multiplier=best_mu,
        solves=solves,
        ruled_out=ruled_out,
        size=size,
        seconds=time.perf_counter() - start,
    )


def _next_multiplier(
    trail: tuple[float, float, int] | None,
    point: tuple[float, float, int],
    above: tuple[float, float, int] | None,
    below: tuple[float, float, int] | None,
    k: int,
    step: float,
    tangent: bool,
) -> tuple[float | None, float, bool]:
    """The next ``mu`` to try (None: the bracket closed), the step and the step kind.

    Points are ``(mu, F(x), |x|)``. Unbracketed: the count line through the last two
    points, extrapolated to ``k`` (at most 4x the last move), else a doubling step.
    Bracketed: alternately the count line between the bracket's ends and the crossing
    of their tangents ``F + m (k - |x|)``; the crossing at an end proves a breakpoint.
    """
    mu, _, count = point
    if above is None or below is None:
        lower = below is not None  # fewer than k sites: make sites cheaper
        if trail is not None and (trail[2] < k) == lower and trail[2] != count:
            guess = mu + (k - count) * (mu - trail[0]) / (count - trail[2])
            reach = 4.0 * abs(mu - trail[0])
            return max(min(guess, mu + reach), mu - reach, 0.0), step, tangent
        return (max(mu - step, 0.0) if lower else mu + step), 2.0 * step, tangent
    (mu_a, f_a, c_a), (mu_b, f_b, c_b) = above, below
    scale = 1e-12 * max(mu_b, 1.0)
    cross = (f_a - f_b) / (c_a - c_b)  # where F_a + m(k - c_a) meets F_b + m(k - c_b)
    if min(cross - mu_a, mu_b - cross) <= scale:
        return None, step, tangent
    guess = mu_a + (c_a - k) * (mu_b - mu_a) / (c_a - c_b)
    if tangent and min(guess - mu_a, mu_b - guess) > scale:
        return guess, step, False
    return cross, step, True


def _complete(sets: sp.csr_matrix, w: np.ndarray, sites: np.ndarray, k: int) -> np.ndarray:
    """Add sites greedily to ``sites`` until ``k`` (or until none adds weight)."""
    cover = _Cover(sets, w.copy(), None)
    for j in sites:
        cover.add(int(j))
    rest = np.setdiff1d(np.arange(sets.shape[0]), sites)
    more, _ = _lazy_greedy(cover, rest, max_sites=k - sites.size)
    return np.sort(np.concatenate([sites, np.asarray(more, dtype=np.int64)]))
