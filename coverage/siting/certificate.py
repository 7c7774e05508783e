"""A certified upper bound for maximal covering, and the sites it rules out.

Relaxing the rows ``y_i <= sum_j a_ij x_j`` of the MCLP (:mod:`~coverage.siting.optimise`)
with multipliers ``lambda_i >= 0`` gives the Lagrangian bound::

    L(lambda) = sum_i max(0, w_i - lambda_i) + (sum of the k largest c_j > 0),
    c_j = sum_i a_ij lambda_i

For *every* ``lambda >= 0``, ``L(lambda)`` is at least the best covered weight with
``k`` sites (weak duality), so the bound is certified by this arithmetic alone,
whatever produced ``lambda``. The multipliers used are the duals of the LP
relaxation, solved by HiGHS's interior point method (IPX) without crossover: since
the ``x`` part of the Lagrangian problem has integral vertices, the best
multipliers give the LP optimum, and IPX gets close to them fast even with 10^6
demand rows. A greedy answer of value ``G`` then carries the proven relative gap
``(L - G) / L``.

The same bound rules sites out (Lagrangian reduced-cost fixing): forcing a site
``j`` outside the ``k`` best into the solution bounds the covered weight by
``L - c_(k) + c_j``; when that is below ``G`` no optimal solution contains ``j``,
and symmetrically a site among the ``k`` best whose removal bounds it below ``G``
is in every optimal solution. The exact solver (:func:`lagrangian_mclp`) first tries
the budget multiplier search (:mod:`~coverage.siting.budget_dual`), which proves the
optimum at scale, and works on the sites left by fixing only when that search ends
without a proof.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .budget_dual import budget_dual, covered_weight
from .greedy import _Cover, _lazy_greedy, swap_improve
from .milp import _quiet_stdout, coverage_mip, solve_mip

__all__ = [
    "Certificate",
    "certify",
    "lagrangian_bound",
    "lagrangian_mclp",
    "lp_greedy",
    "lp_multipliers",
    "reduced_cost_fixing",
]


@dataclass(frozen=True)
class Certificate:
    """A certified upper bound on the covered weight of an MCLP.

    Attributes
    ----------
    bound : float
        Upper bound on the newly covered weight with ``k`` sites.
    multipliers : numpy.ndarray
        The ``lambda`` it was computed with (one per demand row).
    site_values : numpy.ndarray
        ``c_j`` per site.
    seconds : float
        Time to find the multipliers and evaluate the bound.
    lp_sites : numpy.ndarray
        The LP relaxation's ``x`` per site.
    """

    bound: float
    multipliers: np.ndarray
    site_values: np.ndarray
    seconds: float
    lp_sites: np.ndarray


def lagrangian_bound(
    rows: sp.csr_matrix, w: np.ndarray, k: int, multipliers: np.ndarray
) -> tuple[float, np.ndarray]:
    """``L(lambda)`` and ``c_j`` for a (rows x sites) 0/1 coverage matrix.

    Parameters
    ----------
    rows : scipy.sparse.csr_matrix
        ``(demand rows, sites)`` coverage pattern.
    w : numpy.ndarray
        Weight of each demand row.
    k : int
        Number of sites.
    multipliers : numpy.ndarray
        ``lambda``; clipped to ``[0, w]`` (larger values only loosen the bound).

    Returns
    -------
    bound : float
    site_values : numpy.ndarray

    Examples
    --------
    >>> a = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]]))
    >>> lagrangian_bound(a, np.array([3.0, 1.0, 2.0]), 1, np.array([3.0, 1.0, 2.0]))[0]
    4.0
    """
    lam = np.clip(np.asarray(multipliers, dtype=np.float64), 0.0, w)
    c = np.asarray(rows.T @ lam).ravel()
    top = np.sort(c[c > 0])[::-1][: max(int(k), 0)]
    # summed in a fixed order; the relative slack covers float rounding of both sums
    value = float(np.sum(w - lam)) + float(np.sum(top))
    return value * (1.0 + 1e-12), c


def lp_multipliers(
    rows: sp.csr_matrix, w: np.ndarray, k: int, *, time_limit_s: float = 60.0
) -> tuple[np.ndarray, np.ndarray]:
    """Duals of the MCLP's LP relaxation (HiGHS IPX, no crossover) as multipliers.

    Parameters
    ----------
    rows : scipy.sparse.csr_matrix
        ``(demand rows, sites)`` coverage pattern.
    w : numpy.ndarray
        Weight of each demand row.
    k : int
        Number of sites.
    time_limit_s : float
        Time limit of the interior point solve (its last iterate is used).

    Returns
    -------
    multipliers : numpy.ndarray
        ``lambda`` per demand row, in ``[0, w]``.
    sites : numpy.ndarray
        The LP's ``x`` per site (nearly integral in practice: a good start).
    """
    import highspy

    g, n = rows.shape
    with _quiet_stdout():
        h = highspy.Highs()
    for key, value in (
        ("output_flag", False),
        ("solver", "ipx"),
        ("run_crossover", "off"),
        ("presolve", "off"),
        ("time_limit", float(time_limit_s)),
        ("random_seed", 0),
    ):
        h.setOptionValue(key, value)
    # columns: x (n) then y (g); rows: y_i - sum_j a_ij x_j <= 0, then sum_j x_j <= k
    link = sp.hstack([-rows, sp.identity(g, format="csr")], format="csr")
    budget = sp.csr_matrix((np.ones(n), (np.zeros(n, dtype=np.int64), np.arange(n))), (1, n + g))
    a = sp.csr_matrix(sp.vstack([link, budget], format="csr"))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n + g, g + 1
    lp.col_cost_ = np.concatenate([np.zeros(n), w])
    lp.col_lower_ = np.zeros(n + g)
    lp.col_upper_ = np.ones(n + g)
    lp.row_lower_ = np.full(g + 1, -np.inf)
    lp.row_upper_ = np.concatenate([np.zeros(g), [float(k)]])
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n + g, g + 1
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    h.passModel(lp)
    h.run()
    solution = h.getSolution()
    duals = np.asarray(solution.row_dual, dtype=np.float64)[:g]
    primal = np.asarray(solution.col_value, dtype=np.float64)[:n]
    if primal.size != n or not np.all(np.isfinite(primal)):
        primal = np.zeros(n)
    if duals.size != g or not np.all(np.isfinite(duals)):
        return np.asarray(w, dtype=np.float64).copy(), primal  # trivial multipliers: a bound
    return np.clip(np.abs(duals), 0.0, w), primal


def certify(
    rows: sp.csr_matrix, w: np.ndarray, k: int, *, time_limit_s: float = 60.0
) -> Certificate:
    """A certified upper bound on the weight ``k`` sites can newly cover.

    Parameters
    ----------
    rows : scipy.sparse.csr_matrix
        ``(demand rows, sites)`` coverage pattern (merged rows are fine).
    w : numpy.ndarray
        Weight of each demand row.
    k : int
        Number of sites.
    time_limit_s : float
        Time limit of the LP solve.

    Returns
    -------
    Certificate
    """
    start = time.perf_counter()
    lam, x = lp_multipliers(rows, w, k, time_limit_s=time_limit_s)
    bound, c = lagrangian_bound(rows, w, k, lam)
    trivial, _ = lagrangian_bound(rows, w, k, np.zeros_like(w))
    if trivial < bound:  # lambda = 0 bounds by the total weight
        bound, lam, c = trivial, np.zeros_like(w), np.zeros(rows.shape[1])
    return Certificate(bound, lam, c, time.perf_counter() - start, x)


def lp_greedy(sets: sp.csr_matrix, w: np.ndarray, k: int, lp_sites: np.ndarray) -> list[int]:
    """Sites the LP relaxation takes whole, completed greedily to ``k`` sites.

    Parameters
    ----------
    sets : scipy.sparse.csr_matrix
        ``(sites, demand rows)`` 0/1 pattern.
    w : numpy.ndarray
        Weight of each demand row.
    k : int
        Number of sites.
    lp_sites : numpy.ndarray
        The LP's ``x`` per site (:attr:`Certificate.lp_sites`).

    Returns
    -------
    list of int
    """
    seed = np.flatnonzero(lp_sites >= 1.0 - 1e-6)
    seed = seed[np.argsort(-lp_sites[seed], kind="stable")][:k]
    cover = _Cover(sets, np.asarray(w, dtype=np.float64).copy(), None)
    for j in seed:
        cover.add(int(j))
    rest = np.setdiff1d(np.arange(sets.shape[0]), seed)
    more, _ = _lazy_greedy(cover, rest, max_sites=k - seed.size)
    return [int(j) for j in seed] + more


def reduced_cost_fixing(
    certificate: Certificate, k: int, incumbent: float
) -> tuple[np.ndarray, np.ndarray]:
    """Sites no optimal solution contains, and sites every optimal solution contains.

    Parameters
    ----------
    certificate : Certificate
        From :func:`certify`.
    k : int
        Number of sites.
    incumbent : float
        The covered weight of a feasible set of ``k`` sites (e.g. the greedy one).

    Returns
    -------
    out : numpy.ndarray
        bool per site: ruled out.
    in_ : numpy.ndarray
        bool per site: in every optimal solution.
    """
    c = np.maximum(certificate.site_values, 0.0)
    n = c.size
    order = np.argsort(-c, kind="stable")
    top = np.zeros(n, dtype=bool)
    top[order[: min(k, n)]] = True
    kth = float(c[order[k - 1]]) if 0 < k <= n else 0.0
    next_best = float(c[order[k]]) if k < n else 0.0
    margin = 1e-9 * max(abs(incumbent), 1.0)
    out = ~top & (certificate.bound - kth + c < incumbent - margin)
    in_ = top & (certificate.bound - c + next_best < incumbent - margin)
    return out, in_


def lagrangian_mclp(
    rows: sp.csr_matrix,
    w: np.ndarray,
    k: int,
    *,
    time_limit_s: float,
    mip_rel_gap: float,
) -> dict[str, Any]:
    """The exact MCLP: greedy start, certificate, budget multiplier search, then a MILP.

    The LP-seeded greedy answer is proven optimal by the certificate alone when it is
    within ``mip_rel_gap``; otherwise the budget multiplier search
    (:mod:`~coverage.siting.budget_dual`) looks for a proof, and only if it finds none
    in time does HiGHS solve the MCLP on the sites reduced-cost fixing leaves, from the
    best answer found, interrupted at the time limit.

    Parameters
    ----------
    rows : scipy.sparse.csr_matrix
        ``(demand rows, sites)`` coverage pattern, rows merged.
    w : numpy.ndarray
        Weight of each demand row.
    k : int
        Number of sites to choose.
    time_limit_s : float
        Time limit of the whole solve (LP, multiplier search and MILP).
    mip_rel_gap : float
        Relative gap at which to stop (the greedy answer is returned when the
        certificate alone proves it within the gap).

    Returns
    -------
    dict
        As :func:`~coverage.siting.milp.solve_mip` (``values`` holds the ``x`` of
        every site only), plus ``greedy`` (its covered weight), ``certificate``
        (the bound and its seconds), ``budget_dual`` (what the multiplier search
        found, when it ran) and ``fixed`` (sites ruled out and fixed in).
    """
    start = time.perf_counter()
    n = rows.shape[1]
    k = min(int(k), n)
    cover = _Cover(sp.csr_matrix(rows.T), np.asarray(w, dtype=np.float64).copy(), None)
    greedy, gains = _lazy_greedy(cover, np.arange(n), max_sites=k)
    value = float(np.sum(gains))
    cert = certify(rows, w, k, time_limit_s=time_limit_s)

    def weight(sites: list[int]) -> float:
        return covered_weight(cover.sets, w, np.asarray(sites, dtype=np.int64))

    seeded = lp_greedy(cover.sets, w, k, cert.lp_sites)
    if weight(seeded) > value:
        greedy, value = seeded, weight(seeded)
    if (cert.bound - value) > mip_rel_gap * cert.bound:
        better = swap_improve(cover.sets, w, greedy, max_seconds=0.02 * time_limit_s)
        if weight(better) > value:
            greedy, value = better, weight(better)
    x = np.zeros(n)
    x[greedy] = 1.0
    info: dict[str, Any] = {
        "greedy": float(np.sum(gains)),
        "incumbent": value,
        "certificate": {"bound": cert.bound, "seconds": cert.seconds},
    }
    gap = (cert.bound - value) / cert.bound if cert.bound > 0 else 0.0
    if gap <= mip_rel_gap:
        return {
            **info, "values": x, "status": "optimal", "mip_gap": max(gap, 0.0),
            "bound": cert.bound, "seconds": time.perf_counter() - start,
            "size": {"variables": 0, "constraints": 0, "nonzeros": 0},
            "fixed": {"out": n - k, "in": k},
        }  # fmt: skip
    mu = float(np.sort(cert.site_values)[::-1][k - 1]) if k > 0 else 0.0
    left = max(time_limit_s - (time.perf_counter() - start), 0.0)
    dual = budget_dual(
        rows, w, k, multiplier=mu, time_limit_s=left, incumbent=np.asarray(greedy),
        duals=cert.multipliers, rel_tol=mip_rel_gap,
    )  # fmt: skip
    info["budget_dual"] = {
        "value": dual.value, "bound": dual.bound, "multiplier": dual.multiplier,
        "solves": dual.solves, "ruled_out": dual.ruled_out, "seconds": dual.seconds,
        "proven": dual.proven,
    }  # fmt: skip
    bound = min(cert.bound, dual.bound)
    if dual.value > value:
        greedy, value = [int(j) for j in dual.sites], dual.value
    x = np.zeros(n)
    x[greedy] = 1.0
    out, in_ = reduced_cost_fixing(cert, k, value)
    left = time_limit_s - (time.perf_counter() - start)
    if dual.proven or left <= 0:
        return {
            **info, "values": x, "status": "optimal" if dual.proven else "time_limit",
            "mip_gap": max((bound - value) / bound, 0.0) if bound > 0 else 0.0,
            "bound": bound, "seconds": time.perf_counter() - start, "size": dual.size,
            "fixed": {"out": int(out.sum()), "in": int(in_.sum())},
        }  # fmt: skip
    keep = np.flatnonzero(~out)
    sub = sp.csr_matrix(rows[:, keep])
    live = np.diff(sub.indptr) > 0
    sub, sw = sp.csr_matrix(sub[live]), np.asarray(w)[live]
    forced = np.flatnonzero(in_[keep])
    mip = coverage_mip(sub, sw, cap=None, forced=forced, budget=k, target=None, full_cover=False)
    local = np.zeros(keep.size)
    local[np.searchsorted(keep, np.intersect1d(greedy, keep))] = 1.0
    warm = None
    if local[forced].all():
        y = (np.asarray(sub @ local).ravel() > 0).astype(float)
        warm = np.concatenate([local, y])
    solved = solve_mip(
        mip, time_limit_s=left, mip_rel_gap=mip_rel_gap, start=warm,
        deadline=start + time_limit_s - min(5.0, 0.05 * time_limit_s),  # HiGHS then winds up
    )  # fmt: skip
    if solved["bound"] is not None:  # any answer above `value` uses only the sites kept
        bound = min(bound, max(solved["bound"], value))
    found = float(solved["values"] @ mip.cost)
    if found > value:
        x = np.zeros(n)
        x[keep] = np.round(solved["values"][: keep.size])
        value = found
    gap = max((bound - value) / bound, 0.0) if bound > 0 else 0.0
    return {
        **solved, **info, "values": x, "seconds": time.perf_counter() - start, "bound": bound,
        "mip_gap": gap, "status": "optimal" if gap <= mip_rel_gap else solved["status"],
        "fixed": {"out": int(out.sum()), "in": int(in_.sum())},
    }  # fmt: skip
