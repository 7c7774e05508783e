"""The siting integer programs as arrays, solved by HiGHS (``highspy``).

The formulations are written out in :mod:`coverage.siting.optimise`; this module
builds them as a sparse row-wise matrix and reports the solve (status, MIP gap,
bound, time). An infeasible model raises :class:`~coverage.errors.SolverError`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError

__all__ = ["Mip", "coverage_mip", "mip_value", "solve_mip"]


_STDOUT_LOCK = threading.Lock()  # solves may run in threads (coverage.siting.unit_split)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence the C-level stdout (HiGHS prints a banner when its first model is created)."""
    with _STDOUT_LOCK, _silenced():
        yield


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # no real stdout (e.g. a notebook)
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


@dataclass(frozen=True)
class Mip:
    """A MILP in arrays: rows ``row_lower <= A v <= row_upper``."""

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    rows: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    maximise: bool


def solve_mip(
    mip: Mip,
    *,
    time_limit_s: float,
    mip_rel_gap: float,
    start: np.ndarray | None = None,
    lp_solver: str | None = None,
    deadline: float | None = None,
) -> dict[str, Any]:
    """Solve a :class:`Mip` with HiGHS.

    Parameters
    ----------
    mip : Mip
        The model.
    time_limit_s : float
        Time limit.
    mip_rel_gap : float
        Relative gap at which to stop.
    start : numpy.ndarray, optional
        A feasible solution (every column) to start from.
    lp_solver : str, optional
        HiGHS's ``mip_lp_solver`` (e.g. ``"ipx"`` for very large root LPs).
    deadline : float, optional
        A :func:`time.perf_counter` instant at which HiGHS is interrupted wherever it
        is (its own time limit is not checked everywhere, e.g. in the root node's
        cut loop); the best solution found so far is returned.

    Returns
    -------
    dict
        ``values``, ``status``, ``mip_gap``, ``bound``, ``seconds``, ``size``.
    """
    import highspy

    with _quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("random_seed", 0)
    lp = highspy.HighsLp()
    n = mip.cost.size
    lp.num_col_ = n
    lp.num_row_ = mip.rows.shape[0]
    lp.col_cost_ = mip.cost
    lp.col_lower_ = mip.lower
    lp.col_upper_ = mip.upper
    lp.row_lower_ = mip.row_lower
    lp.row_upper_ = mip.row_upper
    lp.sense_ = highspy.ObjSense.kMaximize if mip.maximise else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = mip.rows.shape[0]
    lp.a_matrix_.start_ = mip.rows.indptr.astype(np.int32)
    lp.a_matrix_.index_ = mip.rows.indices.astype(np.int32)
    lp.a_matrix_.value_ = mip.rows.data.astype(np.float64)
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
        for flag in mip.integer
    ]
    if lp_solver is not None:
        h.setOptionValue("mip_lp_solver", lp_solver)
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=np.float64)
        sol.value_valid = True
        h.setSolution(sol)
    if deadline is not None:
        _interrupt_at(h, deadline)
    began = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - began
    status = h.getModelStatus()
    info = h.getInfo()
    kinds = highspy.HighsModelStatus
    if status == kinds.kInfeasible or status == kinds.kUnboundedOrInfeasible:
        raise SolverError("the siting model is infeasible")
    has_solution = info.primal_solution_status == highspy.kSolutionStatusFeasible
    if status == kinds.kOptimal:
        label = "optimal"
    elif status in (kinds.kTimeLimit, kinds.kInterrupt) and has_solution:
        label = "time_limit"
    elif status == kinds.kTimeLimit:
        raise SolverError(
            f"no feasible siting found within the time limit of {time_limit_s:g} s; "
            "raise --time-limit or use --solver greedy"
        )
    else:
        raise SolverError(f"HiGHS stopped with status {h.modelStatusToString(status)}")
    values = np.asarray(h.getSolution().col_value, dtype=np.float64)
    return {
        "values": values,
        "status": label,
        "mip_gap": float(max(info.mip_gap, 0.0)) if np.isfinite(info.mip_gap) else None,
        "bound": float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None,
        "seconds": seconds,
        "size": {
            "variables": int(n),
            "constraints": int(mip.rows.shape[0]),
            "nonzeros": int(mip.rows.nnz),
        },
    }


def _interrupt_at(h: Any, deadline: float) -> None:
    """Make HiGHS stop at ``deadline`` (checked at each of its interrupt callbacks)."""

    def stop(event: Any) -> None:
        if time.perf_counter() >= deadline:
            event.interrupt()

    h.cbSimplexInterrupt += stop
    h.cbIpmInterrupt += stop
    h.cbMipInterrupt += stop


def mip_value(mip: Mip, values: np.ndarray) -> float:
    """Objective of ``values`` in an MCLP model (the covered weight)."""
    return float(mip.cost @ values)


def _stack_rows(blocks: list[sp.spmatrix]) -> sp.csr_matrix:
    return sp.csr_matrix(sp.vstack(blocks, format="csr"))


def coverage_mip(
    merged: sp.csr_matrix,
    w: np.ndarray,
    *,
    cap: np.ndarray | None,
    forced: np.ndarray,
    budget: int | None,
    target: float | None,
    full_cover: bool,
) -> Mip:
    """The MCLP (``budget``) or LSCP (``target`` / ``full_cover``) as arrays.

    Columns: ``x`` (one per site), then ``y`` (one per merged demand row) or, with
    capacity, ``z`` (one per stored entry of ``merged``).
    """
    g, n = merged.shape
    lower = np.zeros(n)
    lower[forced] = 1.0
    x_cost = np.zeros(n) if budget is not None else np.ones(n)
    budget_row = sp.csr_matrix(np.ones((1, n)))
    blocks: list[sp.spmatrix]
    if full_cover and cap is None:
        rows = merged
        return Mip(
            cost=x_cost,
            lower=lower,
            upper=np.ones(n),
            integer=np.ones(n, dtype=bool),
            rows=sp.csr_matrix(rows),
            row_lower=np.ones(g),
            row_upper=np.full(g, np.inf),
            maximise=False,
        )
    if cap is None:
        # y_i - sum_j a_ij x_j <= 0
        link = sp.hstack([-merged, sp.identity(g, format="csr")], format="csr")
        n_extra = g
        value_row = sp.hstack([sp.csr_matrix((1, n)), sp.csr_matrix(w[None, :])], format="csr")
    else:
        nnz = merged.nnz
        point = np.repeat(np.arange(g), np.diff(merged.indptr))
        site = merged.indices
        zw = w[point]
        covered_weight = np.bincount(site, weights=zw, minlength=n)
        limit = np.minimum(cap, covered_weight)
        # sum_j z_ij <= 1
        one = sp.csr_matrix((np.ones(nnz), (point, np.arange(nnz))), shape=(g, nnz))
        share = sp.hstack([sp.csr_matrix((g, n)), one], format="csr")
        # sum_i w_i z_ij - limit_j x_j <= 0
        load = sp.csr_matrix((zw, (site, np.arange(nnz))), shape=(n, nnz))
        link = sp.vstack(
            [share, sp.hstack([-sp.diags(limit, format="csr"), load], format="csr")],
            format="csr",
        )
        n_extra = nnz
        value_row = sp.hstack([sp.csr_matrix((1, n)), sp.csr_matrix(zw[None, :])], format="csr")
    link_lower = np.full(link.shape[0], -np.inf)
    link_upper = np.zeros(link.shape[0])
    if cap is not None:
        link_upper[:g] = 1.0
    extra_upper = np.ones(n_extra) if cap is None else np.full(n_extra, np.inf)
    cost = np.concatenate([x_cost, np.zeros(n_extra)])
    if budget is not None:
        cost[n:] = value_row.toarray().ravel()[n:]
        blocks = [link, sp.hstack([budget_row, sp.csr_matrix((1, n_extra))], format="csr")]
        row_lower = np.concatenate([link_lower, [-np.inf]])
        row_upper = np.concatenate([link_upper, [float(budget)]])
    else:
        blocks = [link, value_row]
        row_lower = np.concatenate([link_lower, [float(target or 0.0)]])
        row_upper = np.concatenate([link_upper, [np.inf]])
    return Mip(
        cost=cost,
        lower=np.concatenate([lower, np.zeros(n_extra)]),
        upper=np.concatenate([np.ones(n), extra_upper]),
        integer=np.concatenate([np.ones(n, dtype=bool), np.zeros(n_extra, dtype=bool)]),
        rows=_stack_rows(blocks),
        row_lower=row_lower,
        row_upper=row_upper,
        maximise=budget is not None,
    )
