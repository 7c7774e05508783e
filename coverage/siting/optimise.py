"""Choosing sites: maximal covering (MCLP) and set covering (LSCP), exact or greedy.

The core works on plain arrays, like spopt: a sparse ``sites x demand`` coverage
matrix ``A`` (:func:`~coverage.siting.coverage_sets.site_coverage`; its stored
entries are the coverage, ``a_ij = 1``) and the weight ``w_i`` of each demand
point still to be covered (people not reached by the existing stations; points
already covered carry weight 0 and drop out of the model).

Maximal covering (MCLP) with a budget of ``k`` new sites::

    maximise    sum_i w_i y_i
    subject to  y_i <= sum_j a_ij x_j      for every demand point i
                sum_j x_j <= k
                x_j = 1                    for every forced site j
                x_j in {0, 1},  0 <= y_i <= 1

Set covering (LSCP), the fewest sites that newly cover ``T`` people::

    minimise    sum_j x_j
    subject to  y_i <= sum_j a_ij x_j      for every demand point i
                sum_i w_i y_i >= T
                x_j = 1                    for every forced site j
                x_j in {0, 1},  0 <= y_i <= 1

and, when every coverable person is the target, the classic form
``sum_j a_ij x_j >= 1`` for every coverable ``i``. The exact LSCP then solves an
MCLP with ``k`` equal to that minimum count, so among the smallest sets of sites
it returns one covering the most people.

``y`` may be continuous: with binary ``x`` the optimum takes ``y_i = 1`` exactly
where some chosen site covers ``i``. Demand points covered by the same set of
sites are merged into one row with their weights summed (an exact reduction).

Capacity (optional): a site serves at most ``c_j`` people (its staffing rule).
People may be split between the sites that cover them (``z_ij``, the share of
point ``i`` served by site ``j``)::

    maximise    sum_ij w_i z_ij
    subject to  sum_j z_ij <= 1                      for every demand point i
                sum_i w_i z_ij <= min(c_j, W_j) x_j   for every site j
                (budget, forced sites and binaries as above), z_ij >= 0, z_ij = 0 if a_ij = 0

with ``W_j`` the weight site ``j`` covers. The capacitated LSCP replaces the
objective as above. Capacity applies to new sites only; existing stations keep
the people they reach.

Solvers: ``"exact"`` is the MILP through HiGHS (``highspy``) with a time limit;
the relative MIP gap is reported (0 when proven optimal). ``"greedy"`` is the
lazy greedy heuristic: a priority queue of marginal gains (stale gains are upper
bounds because gains only shrink), which returns exactly what the plain greedy
would, ties going to the lowest site index. Without capacity, greedy MCLP is
within a factor ``1 - 1/e`` of the optimum. With capacity, a greedy site serves
the people it covers nearest first, up to its capacity.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..errors import InputError, SolverError
from .certificate import certify, lagrangian_mclp
from .greedy import _Cover, _lazy_greedy, _seed_forced
from .milp import coverage_mip, mip_value, solve_mip

__all__ = ["SOLVERS", "Selection", "maximal_covering", "set_covering"]

#: Solver names accepted by :func:`maximal_covering` and :func:`set_covering`.
SOLVERS = ("exact", "greedy")

#: Demand rows (after merging) above which the exact MCLP starts from the
#: Lagrangian certificate (:mod:`~coverage.siting.certificate`).
LAGRANGIAN_ROWS = 50_000


@dataclass(frozen=True)
class Selection:
    """Chosen sites, in rank order, and how the solver got there.

    Attributes
    ----------
    sites : numpy.ndarray
        Indices (rows of the coverage matrix) of the chosen sites, forced ones first,
        then by decreasing marginal gain.
    marginal : numpy.ndarray
        Weight (people) each site newly covers, given the sites ranked before it.
    forced : numpy.ndarray
        Whether each chosen site was forced.
    objective : float
        Total newly covered weight (the sum of ``marginal``).
    solver : str
        ``"exact"`` or ``"greedy"``.
    status : str
        ``"optimal"``, ``"time_limit"`` (best found when the time ran out) or
        ``"heuristic"`` (greedy).
    mip_gap : float or None
        Relative optimality gap proven by the exact solver (None for greedy).
    bound : float or None
        Exact solver's bound: an upper bound on the covered weight (MCLP) or a lower
        bound on the number of sites (LSCP).
    seconds : float
        Wall time of the solve.
    model : dict
        Sizes: ``sites``, ``demand_rows`` (after merging), ``variables``,
        ``constraints``, ``nonzeros``.
    """

    sites: np.ndarray
    marginal: np.ndarray
    forced: np.ndarray
    objective: float
    solver: str
    status: str
    mip_gap: float | None
    bound: float | None
    seconds: float
    model: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.sites.size)


# ---------------------------------------------------------------------------- inputs


def _pattern(sets: sp.spmatrix) -> sp.csr_matrix:
    """0/1 CSR of the stored entries (a stored 0 minutes is coverage too)."""
    csr = sp.csr_matrix(sets)
    csr.sum_duplicates()
    return sp.csr_matrix(
        (np.ones(csr.indices.size), csr.indices.copy(), csr.indptr.copy()), shape=csr.shape
    )


def _check(
    sets: sp.spmatrix,
    weights: np.ndarray,
    forced: Sequence[int],
    capacity: np.ndarray | float | None,
    solver: str,
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray | None]:
    if solver not in SOLVERS:
        raise InputError(f"solver: unknown solver {solver!r}; use one of {', '.join(SOLVERS)}")
    pattern = _pattern(sets)
    n_sites, n_points = pattern.shape
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n_points,):
        raise InputError(
            f"weights: expected one weight per demand point ({n_points}), got shape {w.shape}"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InputError("weights: demand weights must be finite and non-negative")
    f = np.asarray(list(forced), dtype=np.int64)
    if f.size and (f.min() < 0 or f.max() >= n_sites):
        raise InputError(f"forced: site index out of range 0..{n_sites - 1}")
    if np.unique(f).size != f.size:
        raise InputError("forced: a site is forced twice; list each site once")
    cap: np.ndarray | None = None
    if capacity is not None:
        cap = np.broadcast_to(np.asarray(capacity, dtype=np.float64), (n_sites,)).copy()
        if np.any(np.isnan(cap)) or np.any(cap < 0):
            raise InputError("capacity: site capacities must be non-negative numbers (or inf)")
    return pattern, w, f, cap


def _merge_rows(pattern: sp.csr_matrix, w: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Demand rows (points x sites) with weight > 0 and some site, identical rows merged."""
    by_point = pattern.T.tocsr()
    by_point.sort_indices()
    keep = (w > 0) & (np.diff(by_point.indptr) > 0)
    rows = np.flatnonzero(keep)
    groups: dict[bytes, int] = {}
    group_of = np.empty(rows.size, dtype=np.int64)
    indptr, indices = by_point.indptr, by_point.indices
    for n, i in enumerate(rows):
        key = indices[indptr[i] : indptr[i + 1]].tobytes()
        group_of[n] = groups.setdefault(key, len(groups))
    merged_w = np.bincount(group_of, weights=w[rows], minlength=len(groups))
    first = np.full(len(groups), -1, dtype=np.int64)
    first[group_of[::-1]] = rows[::-1]  # first point of each group
    merged = by_point[first]
    return sp.csr_matrix(merged), merged_w


# ---------------------------------------------------------------------------- public


def _rank(
    sets: sp.csr_matrix,
    w: np.ndarray,
    cap: np.ndarray | None,
    forced: np.ndarray,
    chosen: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order chosen sites (forced first, then greedily) with their marginal gains.

    Sites that add nothing are dropped (a budget is an upper limit).
    """
    cover = _Cover(sets, w.copy(), cap)
    first = _seed_forced(cover, forced)
    rest = np.setdiff1d(chosen, forced)
    order, gains = _lazy_greedy(cover, rest, max_sites=rest.size)
    sites = np.concatenate([forced, np.asarray(order, dtype=np.int64)]).astype(np.int64)
    marginal = np.asarray(first + gains, dtype=np.float64)
    is_forced = np.zeros(sites.size, dtype=bool)
    is_forced[: forced.size] = True
    return sites, marginal, is_forced


def _capacitated_rank(
    merged: sp.csr_matrix, w: np.ndarray, forced: np.ndarray, values: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank sites of a capacitated exact solution by the people assigned to each."""
    point = np.repeat(np.arange(merged.shape[0]), np.diff(merged.indptr))
    z = np.clip(values[n:], 0.0, 1.0)
    served = np.bincount(merged.indices, weights=w[point] * z, minlength=n)
    chosen = np.flatnonzero(values[:n] > 0.5)
    is_forced = np.isin(chosen, forced)
    useful = is_forced | (served[chosen] > 0)
    chosen = chosen[useful]
    order = np.lexsort((chosen, -served[chosen], ~np.isin(chosen, forced)))
    sites = chosen[order].astype(np.int64)
    return sites, served[sites], np.isin(sites, forced)


def _greedy(
    ordered: sp.csr_matrix,
    w: np.ndarray,
    cap: np.ndarray | None,
    forced: np.ndarray,
    *,
    max_sites: int,
    stop_at: float = np.inf,
    start: float | None = None,
) -> Selection:
    """Forced sites first, then lazy greedy until ``max_sites`` or ``stop_at`` weight."""
    start = time.perf_counter() if start is None else start
    cover = _Cover(ordered, w.copy(), cap)
    first = _seed_forced(cover, forced)
    pool = np.setdiff1d(np.arange(ordered.shape[0]), forced)
    order, gains = _lazy_greedy(cover, pool, max_sites=max_sites, stop_at=stop_at - sum(first))
    sites = np.concatenate([forced, np.asarray(order, dtype=np.int64)]).astype(np.int64)
    flags = np.zeros(sites.size, dtype=bool)
    flags[: forced.size] = True
    return _selection(
        sites,
        np.asarray(first + gains, dtype=np.float64),
        flags,
        solver="greedy",
        status="heuristic",
        mip_gap=None,
        bound=None,
        seconds=time.perf_counter() - start,
        model={"sites": int(ordered.shape[0]), "demand_rows": int(np.count_nonzero(w))},
    )


def _selection(
    sites: np.ndarray,
    marginal: np.ndarray,
    forced: np.ndarray,
    *,
    solver: str,
    status: str,
    mip_gap: float | None,
    bound: float | None,
    seconds: float,
    model: dict[str, int],
) -> Selection:
    return Selection(
        sites=sites,
        marginal=marginal,
        forced=forced,
        objective=float(marginal.sum()),
        solver=solver,
        status=status,
        mip_gap=mip_gap,
        bound=bound,
        seconds=seconds,
        model=model,
    )


def maximal_covering(
    sets: sp.spmatrix,
    weights: np.ndarray,
    k: int,
    *,
    forced: Sequence[int] = (),
    capacity: np.ndarray | float | None = None,
    solver: str = "exact",
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-6,
    presolve: str = "auto",
) -> Selection:
    """Choose at most ``k`` sites covering the most weight (MCLP, see the module docs).

    Parameters
    ----------
    sets : scipy.sparse matrix
        ``(sites, demand points)``; stored entries are coverage, values are minutes.
    weights : numpy.ndarray
        People per demand point still to be covered (0 where already covered).
    k : int
        Budget of sites, forced ones included.
    forced : sequence of int
        Sites that must be chosen.
    capacity : float or numpy.ndarray, optional
        People a site can serve (one value or one per site; inf = unlimited).
    solver : {"exact", "greedy"}
        HiGHS MILP or lazy greedy.
    time_limit_s : float
        Time limit of the exact solver.
    mip_rel_gap : float
        Relative gap at which the exact solver stops.
    presolve : {"auto", "lagrangian", "none"}
        Without capacities: ``"lagrangian"`` solves the exact model through a greedy
        start, a certified Lagrangian bound and reduced-cost fixing
        (:mod:`~coverage.siting.certificate`); ``"auto"`` does so above
        :data:`LAGRANGIAN_ROWS` demand rows. The greedy solver's answer always
        carries that certified bound (``bound``, ``mip_gap``).

    Returns
    -------
    Selection
        Sites that add nothing are left out, so fewer than ``k`` may be returned.

    Raises
    ------
    InputError
        On a bad solver name, weights, site index, or more forced sites than ``k``.
    SolverError
        If the model is infeasible or no solution is found in time.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> sets = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]))
    >>> sel = maximal_covering(sets, np.array([5.0, 1.0, 1.0, 5.0]), 2)
    >>> sel.sites.tolist(), sel.objective
    ([0, 2], 12.0)
    """
    pattern, w, f, cap = _check(sets, weights, forced, capacity, solver)
    k = int(k)
    if k < 1:
        raise InputError(f"k: the number of sites to add must be at least 1, got {k}")
    if f.size > k:
        raise InputError(f"forced: {f.size} sites are forced but only {k} may be added")
    ordered = sp.csr_matrix(sets)
    n = pattern.shape[0]
    start = time.perf_counter()
    if cap is None and f.size:
        residual = w.copy()
        residual[pattern[f].indices] = 0.0
    else:
        residual = w
    if solver == "greedy":
        sel = _greedy(ordered, w, cap, f, max_sites=k - f.size, start=start)
        if cap is not None:
            return sel
        merged, mw = _merge_rows(pattern, residual)
        if mw.size == 0:
            return sel
        cert = certify(merged, mw, k - f.size, time_limit_s=time_limit_s)
        bound = cert.bound + float(w.sum() - residual.sum())
        return dataclasses.replace(
            sel,
            bound=bound,
            mip_gap=max((bound - sel.objective) / bound, 0.0) if bound > 0 else 0.0,
            seconds=time.perf_counter() - start,
        )
    merged, mw = _merge_rows(pattern, residual)
    if mw.size == 0:  # nothing left to cover: only the forced sites
        sites, marginal, flags = _rank(ordered, w, cap, f, f)
        return _selection(
            sites, marginal, flags, solver="exact", status="optimal", mip_gap=0.0,
            bound=float(marginal.sum()), seconds=time.perf_counter() - start,
            model={"sites": n, "demand_rows": 0},
        )  # fmt: skip
    if presolve not in ("auto", "lagrangian", "none"):
        raise InputError(f"presolve: use auto, lagrangian or none, got {presolve!r}")
    if cap is None and (
        presolve == "lagrangian" or (presolve == "auto" and mw.size > LAGRANGIAN_ROWS)
    ):
        solved = lagrangian_mclp(
            merged, mw, k - f.size, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap
        )
        solved["values"][f] = 1.0
    else:
        mip = coverage_mip(merged, mw, cap=cap, forced=f, budget=k, target=None, full_cover=False)
        solved = solve_mip(mip, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
    bound = solved["bound"]
    if cap is None and f.size and bound is not None:
        bound += float(w.sum() - residual.sum())  # what the forced sites cover
    values = solved["values"]
    if cap is None:
        chosen = np.flatnonzero(values[:n] > 0.5)
        sites, marginal, flags = _rank(ordered, w, None, f, chosen)
    else:
        sites, marginal, flags = _capacitated_rank(merged, mw, f, values, n)
    return _selection(
        sites,
        marginal,
        flags,
        solver="exact",
        status=solved["status"],
        mip_gap=solved["mip_gap"],
        bound=bound,
        seconds=time.perf_counter() - start,
        model={"sites": n, "demand_rows": int(mw.size), **solved["size"]},
    )


def set_covering(
    sets: sp.spmatrix,
    weights: np.ndarray,
    *,
    target: float | None = None,
    forced: Sequence[int] = (),
    capacity: np.ndarray | float | None = None,
    solver: str = "exact",
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-6,
) -> Selection:
    """The fewest sites that newly cover ``target`` weight (LSCP, see the module docs).

    Parameters
    ----------
    sets : scipy.sparse matrix
        ``(sites, demand points)``; stored entries are coverage, values are minutes.
    weights : numpy.ndarray
        People per demand point still to be covered (0 where already covered).
    target : float, optional
        Weight to cover newly; default every coverable person.
    forced : sequence of int
        Sites that must be chosen (they count in the number of sites).
    capacity : float or numpy.ndarray, optional
        People a site can serve (one value or one per site; inf = unlimited).
    solver : {"exact", "greedy"}
        HiGHS MILP (the minimum count, then the most coverage at that count) or
        lazy greedy (adds the best site until the target is met).
    time_limit_s : float
        Time limit of the exact solver (shared by its two stages).
    mip_rel_gap : float
        Relative gap at which the exact solver stops.

    Returns
    -------
    Selection
        ``bound`` is a lower bound on the number of sites (exact solver).

    Raises
    ------
    SolverError
        If even every candidate together cannot reach the target.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> sets = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]))
    >>> sel = set_covering(sets, np.ones(4))
    >>> sel.sites.tolist()
    [0, 2]
    """
    pattern, w, f, cap = _check(sets, weights, forced, capacity, solver)
    ordered = sp.csr_matrix(sets)
    n = pattern.shape[0]
    start = time.perf_counter()
    reach = np.zeros(w.size, dtype=bool)
    reach[pattern.indices] = True
    coverable = float(w[reach].sum())
    if cap is not None:
        coverable = min(coverable, float(np.minimum(cap, pattern @ w).sum()))
    full = target is None
    goal = coverable if target is None else float(target)
    tol = 1e-9 * max(float(w.sum()), 1.0)
    if goal > coverable + tol:
        raise SolverError(
            f"the target cannot be reached: all {n} candidate sites together newly cover "
            f"{coverable:,.0f} people, {goal - coverable:,.0f} short of the target; "
            "lower the target or add candidates"
        )
    if solver == "greedy":
        sel = _greedy(ordered, w, cap, f, max_sites=n, stop_at=goal - tol, start=start)
        if sel.objective < goal - tol:
            raise SolverError(
                f"the greedy sites reach {sel.objective:,.0f} of the {goal:,.0f} people "
                "targeted (capacities run out); lower the target or use --solver exact"
            )
        return sel
    if cap is None and f.size:
        residual = w.copy()
        residual[pattern[f].indices] = 0.0
        goal_left = goal - (float(w.sum()) - float(residual.sum()))
    else:
        residual, goal_left = w, goal
    merged, mw = _merge_rows(pattern, residual)
    if goal_left <= tol and cap is None:
        sites, marginal, flags = _rank(ordered, w, None, f, f)
        return _selection(
            sites, marginal, flags, solver="exact", status="optimal", mip_gap=0.0,
            bound=float(f.size), seconds=time.perf_counter() - start,
            model={"sites": n, "demand_rows": int(mw.size)},
        )  # fmt: skip
    mip = coverage_mip(
        merged,
        mw,
        cap=cap,
        forced=f,
        budget=None,
        target=max(goal_left - tol, 0.0),
        full_cover=full and cap is None,
    )
    first_stage = solve_mip(mip, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
    count = round(float(first_stage["values"][:n].sum()))
    values = first_stage["values"]
    status, gap, bound = first_stage["status"], first_stage["mip_gap"], first_stage["bound"]
    remaining = time_limit_s - first_stage["seconds"]
    if status == "optimal" and remaining > 0:
        # among the smallest sets of sites, one that covers the most people
        second = coverage_mip(
            merged, mw, cap=cap, forced=f, budget=count, target=None, full_cover=False
        )
        try:
            solved = solve_mip(second, time_limit_s=remaining, mip_rel_gap=mip_rel_gap)
        except SolverError:
            solved = None
        if solved is not None and mip_value(second, solved["values"]) >= goal_left - tol:
            values = solved["values"]
    if cap is None:
        chosen = np.flatnonzero(values[:n] > 0.5)
        sites, marginal, flags = _rank(ordered, w, None, f, chosen)
    else:
        sites, marginal, flags = _capacitated_rank(merged, mw, f, values, n)
    return _selection(
        sites,
        marginal,
        flags,
        solver="exact",
        status=status,
        mip_gap=gap,
        bound=bound,
        seconds=time.perf_counter() - start,
        model={"sites": n, "demand_rows": int(mw.size), **first_stage["size"]},
    )
