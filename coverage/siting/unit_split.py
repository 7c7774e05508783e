"""The fewest sites meeting unit targets, solved island by island and combined exactly.

Sites and the units not yet covered form a graph (a site touches a unit when it
reaches one of its uncovered residents). Without tier rules, its connected parts
``c`` (islands, valleys, clusters of villages) share nothing but the target rows
``sum_u z_u >= left_L``. So with ``f_c(t)`` the fewest sites of part ``c`` that
cover at least ``t_L`` of its units on every level ``L`` with a target::

    fewest sites = min sum_c f_c(t_c)  over  sum_c t_{c,L} >= left_L  (every L)

:func:`split_count` finds each ``f_c`` with small MILPs (every one proven optimal;
the units a solution actually covers fill in the counts up to them, since ``f_c`` never
falls as a target rises) and combines the parts by dynamic programming over the
units still needed. Any part not proven in time gives ``None``, and the caller
solves the whole model instead.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError
from .milp import Mip, solve_mip
from .unit_milp import UnitModel

__all__ = ["parts", "split_count"]

_WORKERS = 2  # parts solved at once (HiGHS releases the GIL)


def parts(model: UnitModel) -> list[tuple[np.ndarray, np.ndarray]]:
    """Connected parts of sites and open units: (sites, indices into ``model.covers``).

    Parameters
    ----------
    model : UnitModel
        The unit model.

    Returns
    -------
    list of tuple of numpy.ndarray
        One entry per part holding at least one open unit.
    """
    n, u = model.n_sites, len(model.covers)
    r: list[int] = []
    c: list[int] = []
    for q, (_, inside, _, _) in enumerate(model.covers):
        sites = np.unique(model.merged[inside].indices)
        r += [q] * sites.size
        c += (sites + u).tolist()
    g = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(u + n, u + n))
    _, label = sp.csgraph.connected_components(g + g.T, directed=False)
    out = []
    for lab in np.unique(label[:u]):
        out.append((np.flatnonzero(label[u:] == lab), np.flatnonzero(label[:u] == lab)))
    return out


def _units_reached(
    model: UnitModel,
    covers: np.ndarray,
    chosen: list[int],
    n_levels: int,
    zcol_level: dict[int, int],
) -> list[int]:
    """Units of a part that ``chosen`` covers, per level with a target."""
    x = np.zeros(model.n_sites)
    x[chosen] = 1.0
    reached = np.asarray(model.merged @ x).ravel() > 0
    got = [0] * n_levels
    for q in covers:
        z_col, inside, _, need = model.covers[q]
        k = zcol_level.get(int(z_col))
        if k is not None and model.weight[inside][reached[inside]].sum() >= need:
            got[k] += 1
    return got


def _sub_mip(mip: Mip, cols: np.ndarray, targets: list[tuple[np.ndarray, int]]) -> Mip:
    """``mip`` on columns ``cols`` (rows wholly inside), plus ``sum z >= t`` rows."""
    inside = np.zeros(mip.cost.size, dtype=bool)
    inside[cols] = True
    rows = mip.rows
    touch = sp.csr_matrix(rows.copy())
    touch.data = (touch.data != 0).astype(float)
    keep = np.flatnonzero(np.asarray(touch @ (~inside).astype(float)).ravel() == 0)
    where = np.full(mip.cost.size, -1, dtype=np.int64)
    where[cols] = np.arange(cols.size)
    a = sp.csr_matrix(rows[keep][:, cols])
    extra = [
        sp.csr_matrix((np.ones(z.size), (np.zeros(z.size, dtype=np.int64), where[z])),
                      shape=(1, cols.size))
        for z, _ in targets
    ]  # fmt: skip
    return Mip(
        cost=mip.cost[cols],
        lower=mip.lower[cols],
        upper=mip.upper[cols],
        integer=mip.integer[cols],
        rows=sp.csr_matrix(sp.vstack([a, *extra], format="csr")),
        row_lower=np.concatenate([mip.row_lower[keep], [float(t) for _, t in targets]]),
        row_upper=np.concatenate([mip.row_upper[keep], np.full(len(targets), np.inf)]),
        maximise=False,
    )


def _flagged(failed: threading.Event, job: Callable[..., Any], *args: Any) -> Any:
    """Run ``job``; a ``None`` answer tells the other parts they need not go on."""
    out = job(*args, failed)
    if out is None:
        failed.set()
    return out


def _part_costs(
    model: UnitModel,
    mip: Mip,
    sites: np.ndarray,
    covers: np.ndarray,
    lows: list[int],
    need: list[int],
    zcol_level: dict[int, int],
    deadline: float,
    failed: threading.Event,
) -> dict[tuple[int, ...], tuple[int, list[int]]] | None:
    """``f_c`` of one part for every goal from ``lows`` up (capped at ``need``)."""
    n = model.n_sites
    zc = np.array([model.covers[q][0] for q in covers], dtype=np.int64)
    rows = np.unique(np.concatenate([model.covers[q][1] for q in covers]))
    cols = np.concatenate([sites, n + rows, zc])
    per = [zc[[zcol_level.get(int(z)) == k for z in zc]] for k in range(len(need))]
    tops = [min(p.size, need[k]) for k, p in enumerate(per)]
    forced = sites[mip.lower[sites] > 0.5].tolist()
    best: dict[tuple[int, ...], tuple[int, list[int]]] = {}
    ranges = [range(min(lo, t), t + 1) for lo, t in zip(lows, tops, strict=True)]
    for goal in itertools.product(*ranges):
        if goal in best:
            continue
        if not any(goal):
            chosen = forced  # no unit asked: only the forced sites
        else:
            left_s = deadline - time.perf_counter()
            if left_s <= 0 or failed.is_set():
                return None
            sub = _sub_mip(mip, cols, [(per[k], goal[k]) for k in range(len(need))])
            try:
                out = solve_mip(sub, time_limit_s=left_s, mip_rel_gap=0.0, deadline=deadline)
            except SolverError:
                return None
            if out["status"] != "optimal":
                return None
            chosen = sites[out["values"][: sites.size] > 0.5].tolist()
        got = _units_reached(model, covers, chosen, len(need), zcol_level)
        # f never falls as a goal rises: every goal up to what this covers costs the same
        for more in itertools.product(
            *[range(g, max(g, min(h, t)) + 1) for g, h, t in zip(goal, got, tops, strict=True)]
        ):
            if more not in best or best[more][0] > len(chosen):
                best[more] = (len(chosen), chosen)
    return best


def split_count(
    model: UnitModel,
    forced: np.ndarray,
    left: Sequence[tuple[np.ndarray, int]],
    *,
    deadline: float,
) -> list[int] | None:
    """Fewest sites meeting every target, part by part (see the module docs).

    Parameters
    ----------
    model : UnitModel
        The unit model without the target rows and without tier rules (its
        ``covers`` name the open units).
    forced : numpy.ndarray
        Sites that must be chosen.
    left : sequence of (numpy.ndarray, int)
        Per level with a target: the z columns of its open units and the units
        still needed.
    deadline : float
        :func:`time.perf_counter` instant by which every part must be proven.

    Returns
    -------
    list of int or None
        Chosen sites (model columns), optimal; ``None`` if a part was not proven in
        time.
    """
    n = model.n_sites
    zcol_level = {int(z): k for k, (cols, _) in enumerate(left) for z in cols}
    need = [int(t) for _, t in left]
    cost = np.zeros(model.n_cols)
    cost[:n] = 1.0
    mip = model.mip(cost, np.asarray(forced, dtype=np.int64), maximise=False)
    split = parts(model)
    size_of = [
        [
            sum(zcol_level.get(int(model.covers[q][0])) == k for q in covers)
            for k in range(len(need))
        ]
        for _, covers in split
    ]
    total = [sum(s[k] for s in size_of) for k in range(len(need))]
    # the other parts hold at most total - size units: a part must give the rest
    lows = [[max(0, need[k] - (total[k] - s[k])) for k in range(len(need))] for s in size_of]
    order = sorted(range(len(split)), key=lambda c: -split[c][0].size)  # largest first
    failed = threading.Event()
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        jobs = {
            c: pool.submit(_flagged, failed, _part_costs, model, mip, *split[c], lows[c], need,
                           zcol_level, deadline)
            for c in order
        }  # fmt: skip
        table = [jobs[c].result() for c in range(len(split))]
    if any(t is None for t in table):
        return None
    # dynamic programme over the units still needed (capped at the need)
    state: dict[tuple[int, ...], tuple[int, list[int]]] = {tuple(0 for _ in need): (0, [])}
    for best in table:
        nxt: dict[tuple[int, ...], tuple[int, list[int]]] = {}
        for have, (spent, picks) in state.items():
            for goal, (c, chosen) in best.items():  # type: ignore[union-attr]
                key = tuple(min(h + g, t) for h, g, t in zip(have, goal, need, strict=True))
                if key not in nxt or nxt[key][0] > spent + c:
                    nxt[key] = (spent + c, [*picks, *chosen])
        state = nxt
    final = state.get(tuple(need))
    if final is None:
        return None
    seen = np.zeros(n, dtype=bool)
    for sites, _ in split:
        seen[sites] = True
    outside = np.asarray(forced, dtype=np.int64)
    return sorted({*final[1], *outside[~seen[outside]].tolist()})
