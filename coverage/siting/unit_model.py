"""Siting for the policy's question: units covered, dated targets and tier rules, exact.

The policy counts units (townships, villages), not people. A unit ``u`` of a level is
**covered** when the people within the threshold reach ``s × P_u`` (``s`` the
``unit_covered_share`` rule, ``P_u`` its residents; :mod:`coverage.metrics.units`).
With the coverage matrix ``a_ij`` of the candidates (:mod:`~coverage.siting.coverage_sets`),
``x_j`` (site ``j`` chosen), ``y_i`` (demand row ``i`` newly covered; rows are the
populated points the existing stations do not reach, merged when they share their
sites and units), ``z_u`` (unit ``u`` newly covered), ``B_u`` the people of ``u``
the existing stations already cover, and ``p_i`` the people of row ``i``::

    y_i <= sum_j a_ij x_j                                 every demand row i
    sum_{i in u} p_i y_i >= (s P_u - B_u) z_u             every unit u not yet covered
    sum_{u in L} z_u >= ceil(t_L U_L) - C_L               every level L with a target t_L
    sum_{j in u, tier_j = T} x_j >= N - E_u               every unit u under a tier rule (T, N)
    x_j = 1 (forced),  x_j, z_u in {0, 1},  0 <= y_i <= 1

(``U_L`` the populated units of level ``L``, ``C_L`` those already covered, ``E_u``
the stations of tier ``T`` already in ``u``). The objectives:

- ``"count"`` (``--meet-targets YEAR``): minimise ``sum_j x_j``; then, among the
  smallest sets, maximise ``sum_i p_i y_i`` (people).
- ``"units"`` (``--add K --objective units[:LEVEL]``): with ``sum_j x_j <= K``,
  maximise ``sum_u z_u`` over the chosen level (every level when none is named);
  then, among the sets covering that many units, maximise people.
- ``"people"``: with ``sum_j x_j <= K``, maximise people (the MCLP with the tier rules).

Units the candidates cannot cover even all together are left out (``z_u = 0``), so
the rows stay few. Each unit row is divided by ``s P_u - B_u`` so that the solver's
feasibility tolerance is relative. The cover rows of :mod:`~coverage.siting.unit_cuts`
tighten the relaxation. For ``"count"`` without tier rules, when the sites and units
fall into parts that share no site (islands, valleys) and the whole model is not
proven within a quarter of the time limit, the parts are solved one by one and
combined exactly (:mod:`~coverage.siting.unit_split`); the whole model's answer stays
when that does not finish. After the solve, every figure reported is
recomputed from the chosen sites with the same rule as the run's unit tables
(:func:`units_covered`), never read from the solver's variables.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import InputError, SolverError
from .dominance import dominated_sites
from .milp import solve_mip
from .optimise import _pattern
from .unit_cuts import must_cover_cuts
from .unit_milp import TierNeed, UnitLevel, build_unit_model, units_covered
from .unit_split import parts, split_count

__all__ = [
    "OBJECTIVES",
    "TierNeed",
    "UnitLevel",
    "UnitSelection",
    "dominated_sites",
    "site_for_units",
    "site_steps",
    "units_covered",
]

#: Objectives of :func:`site_for_units`.
OBJECTIVES = ("count", "units", "people")

_REL_TOL = 1e-9  # as in coverage.metrics.units
_WHOLE_SHARE = 0.25  # of the time limit for the whole model before solving it by parts


@dataclass(frozen=True)
class UnitSelection:
    """Chosen sites, in rank order, with what each brings, and the solver's proof.

    Attributes
    ----------
    sites : numpy.ndarray
        Chosen sites (rows of the coverage matrix), forced first, then in the order
        that covers the most units (then people) at each step.
    people : numpy.ndarray
        People each site newly covers, given the sites ranked before it.
    units_moved : list of dict
        Per site: level -> indices of the units it brings over the line.
    forced : numpy.ndarray
        Whether each chosen site was forced.
    status : str
        ``"optimal"`` or ``"time_limit"``.
    objective : str
        The objective solved (:data:`OBJECTIVES`).
    value : float
        The objective's value for the chosen sites (sites, units or people).
    bound : float or None
        The solver's bound on it (a lower bound for ``"count"``, upper otherwise).
    mip_gap : float or None
        Relative gap between value and bound (0 when proven optimal).
    seconds : float
        Wall time of the solves.
    model : dict
        Sizes of the model; with ``"count"``, ``parts`` (parts of sites and units
        sharing no site) and ``proven_by_parts`` (1 when solving the parts one by
        one gave the proof).
    """

    sites: np.ndarray
    people: np.ndarray
    units_moved: list[dict[str, np.ndarray]]
    forced: np.ndarray
    status: str
    objective: str
    value: float
    bound: float | None
    mip_gap: float | None
    seconds: float
    model: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.sites.size)


def _populated(level: UnitLevel, population: np.ndarray) -> np.ndarray:
    unit = level.unit_of_point
    inside = unit >= 0
    return np.bincount(unit[inside], weights=population[inside], minlength=level.n_units) > 0


def _required(level: UnitLevel, population: np.ndarray) -> int:
    """Units to be covered for the level's target (as :func:`target_verdicts` counts)."""
    return math.ceil(
        (level.target_share or 0.0) * int(_populated(level, population).sum()) - _REL_TOL
    )


def _covered_by(pattern: sp.csr_matrix, sites: np.ndarray, base: np.ndarray) -> np.ndarray:
    out = base.copy()
    if sites.size:
        out[pattern[sites].indices] = True
    return out


def _check_reachable(
    levels: Sequence[UnitLevel],
    population: np.ndarray,
    everything: np.ndarray,
    tiers: Sequence[TierNeed],
) -> None:
    """One-line errors for targets or tier rules no set of candidates can meet."""
    for level in levels:
        if level.target_share is None:
            continue
        populated = int(_populated(level, population).sum())
        required = _required(level, population)
        best = int(units_covered(level, population, everything).sum())
        if best < required:
            raise SolverError(
                f"targets: {level.name} needs {level.target_share:.0%} of {populated} units "
                f"covered ({required}); with every candidate added the best reachable is "
                f"{best / populated:.1%} ({best} of {populated}); add candidates "
                "(e.g. --candidates osm,gaps) or lower the target"
            )
    for rule in tiers:
        have = np.bincount(
            rule.site_unit[(rule.site_unit >= 0) & rule.site_counts], minlength=rule.need.size
        )
        short = np.flatnonzero(have < rule.need)
        if short.size:
            u = int(short[0])
            level = next(lv for lv in levels if lv.name == rule.level)
            more = f" (and {short.size - 1} more units)" if short.size > 1 else ""
            raise SolverError(
                f"require: {rule.level} '{level.names[u]}' needs {int(rule.need[u])} more "
                f"{rule.tier} station(s) but only {int(have[u])} candidate(s) of that tier lie "
                f"in it{more}; add candidates there (a 'tier' column in the candidates file) "
                "or relax the rule"
            )


def _target_greedy(
    pattern: sp.csr_matrix,
    population: np.ndarray,
    base: np.ndarray,
    levels: Sequence[UnitLevel],
    tiers: Sequence[TierNeed],
    forced: np.ndarray,
    *,
    budget: int | None,
    counted: set[str] | None,
) -> list[int]:
    """A quick feasible start: sites that bring units over the line fastest.

    Each step takes the site whose uncovered residents weigh most, a resident of a
    unit not yet covered weighing ``1 / (people the unit still needs)``, so a site
    that completes a unit scores about 1 per unit. It stops when every target is
    met (``budget`` None) or after ``budget`` sites; then each unit short of a tier
    rule gets its best site of that tier.
    """
    covered = base.copy()
    chosen = [int(j) for j in forced]
    for j in chosen:
        covered[pattern.indices[pattern.indptr[j] : pattern.indptr[j + 1]]] = True
    goal = [lv for lv in levels if (lv.target_share is not None if budget is None else
            counted is None or lv.name in counted)]  # fmt: skip
    required = {lv.name: _required(lv, population) for lv in goal if budget is None}

    def weights() -> np.ndarray:
        w = np.zeros(population.size)
        for lv in goal:
            done = units_covered(lv, population, covered)
            if budget is None and done.sum() >= required[lv.name]:
                continue
            unit = lv.unit_of_point
            inside = unit >= 0
            need = lv.covered_share * np.bincount(
                unit[inside], weights=population[inside], minlength=lv.n_units
            ) - np.bincount(
                unit[inside], weights=np.where(covered[inside], population[inside], 0.0),
                minlength=lv.n_units,
            )  # fmt: skip
            scale = np.where(~done & (need > 0), 1.0 / np.maximum(need, 1e-9), 0.0)
            w[inside] += population[inside] * scale[unit[inside]]
        return np.where(covered, 0.0, w)

    limit = pattern.shape[0] if budget is None else budget
    while len(chosen) < limit:
        score = np.asarray(pattern @ weights()).ravel()
        score[chosen] = -np.inf
        j = int(np.argmax(score))
        if not score[j] > 0:
            break
        chosen.append(j)
        covered[pattern.indices[pattern.indptr[j] : pattern.indptr[j + 1]]] = True
    for rule in tiers:
        have = np.bincount(
            rule.site_unit[chosen][(rule.site_unit[chosen] >= 0) & rule.site_counts[chosen]],
            minlength=rule.need.size,
        ) if chosen else np.zeros(rule.need.size, dtype=np.int64)  # fmt: skip
        people = np.asarray(pattern @ np.where(covered, 0.0, population)).ravel()
        for u in np.flatnonzero(have < rule.need):
            pool = np.flatnonzero((rule.site_unit == u) & rule.site_counts)
            pool = pool[~np.isin(pool, chosen)]
            take = pool[np.argsort(-people[pool], kind="stable")][: int(rule.need[u] - have[u])]
            chosen += [int(j) for j in take]
    return chosen


def site_steps(
    sets: sp.spmatrix,
    population: np.ndarray,
    covered_before: np.ndarray,
    levels: Sequence[UnitLevel],
    order: np.ndarray,
) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """People each site adds, and the units it brings over the line, adding them in order.

    Parameters
    ----------
    sets : scipy.sparse matrix
        ``(sites, demand points)`` coverage.
    population : numpy.ndarray
        People per demand point.
    covered_before : numpy.ndarray
        Whether each demand point is covered before any site is added.
    levels : sequence of UnitLevel
        Unit levels.
    order : numpy.ndarray
        Sites, in the order they are added.

    Returns
    -------
    people : numpy.ndarray
        People newly covered by each site.
    moved : list of dict
        Per site, level -> indices of the units newly covered at that step.
    """
    pattern = _pattern(sets)
    covered = np.asarray(covered_before, dtype=bool).copy()
    state = {lv.name: units_covered(lv, population, covered) for lv in levels}
    people: list[float] = []
    moved: list[dict[str, np.ndarray]] = []
    for j in np.asarray(order, dtype=np.int64):
        idx = pattern.indices[pattern.indptr[j] : pattern.indptr[j + 1]]
        fresh = idx[~covered[idx]]
        covered[fresh] = True
        step: dict[str, np.ndarray] = {}
        for lv in levels:
            now = units_covered(lv, population, covered)
            step[lv.name] = np.flatnonzero(now & ~state[lv.name])
            state[lv.name] = now
        people.append(float(population[fresh].sum()))
        moved.append(step)
    return np.asarray(people, dtype=np.float64), moved


def _rank(
    pattern: sp.csr_matrix,
    population: np.ndarray,
    base: np.ndarray,
    levels: Sequence[UnitLevel],
    chosen: np.ndarray,
    forced: np.ndarray,
    count_levels: set[str] | None,
) -> tuple[np.ndarray, np.ndarray, list[dict[str, np.ndarray]], np.ndarray]:
    """Order the chosen sites: forced first, then the most units (then people) each step.

    Each unit keeps its covered people, so a site's score needs only the points it
    newly covers (not a pass over every demand point).
    """
    covered = base.copy()
    counted = [lv for lv in levels if count_levels is None or lv.name in count_levels]
    total: dict[str, np.ndarray] = {}
    people: dict[str, np.ndarray] = {}
    line: dict[str, np.ndarray] = {}
    for lv in counted:
        inside = lv.unit_of_point >= 0
        u, p = lv.unit_of_point[inside], population[inside]
        total[lv.name] = np.bincount(u, weights=p, minlength=lv.n_units)
        line[lv.name] = lv.covered_share * (1.0 - _REL_TOL) * total[lv.name]

    def fresh_of(j: int) -> np.ndarray:
        idx = pattern.indices[pattern.indptr[j] : pattern.indptr[j + 1]]
        return idx[~covered[idx]]

    def take(j: int) -> None:
        fresh = fresh_of(j)
        covered[fresh] = True
        for lv in counted:
            unit = lv.unit_of_point[fresh]
            ok = unit >= 0
            people[lv.name] += np.bincount(
                unit[ok], weights=population[fresh][ok], minlength=lv.n_units
            )

    def done(lv: UnitLevel, have: np.ndarray) -> np.ndarray:
        return (total[lv.name] > 0) & (have >= line[lv.name])

    def score(j: int) -> tuple[int, float, int]:
        fresh = fresh_of(j)
        gained = 0
        for lv in counted:
            unit = lv.unit_of_point[fresh]
            ok = unit >= 0
            add = np.bincount(unit[ok], weights=population[fresh][ok], minlength=lv.n_units)
            have = people[lv.name]
            gained += int((done(lv, have + add) & ~done(lv, have)).sum())
        return gained, float(population[fresh].sum()), -j

    for lv in counted:
        inside = (lv.unit_of_point >= 0) & covered
        people[lv.name] = np.bincount(
            lv.unit_of_point[inside], weights=population[inside], minlength=lv.n_units
        ).astype(np.float64)
    order = [int(j) for j in forced]
    for j in order:
        take(j)
    rest = [int(j) for j in chosen if int(j) not in set(order)]
    while rest:
        best = max(rest, key=score)
        rest.remove(best)
        take(best)
        order.append(best)
    sites = np.asarray(order, dtype=np.int64)
    gains, moved = site_steps(pattern, population, base, levels, sites)
    return sites, gains, moved, np.isin(sites, forced)


def site_for_units(
    sets: sp.spmatrix,
    population: np.ndarray,
    covered_before: np.ndarray,
    levels: Sequence[UnitLevel],
    *,
    objective: str,
    add: int | None = None,
    count_levels: Sequence[str] | None = None,
    tiers: Sequence[TierNeed] = (),
    forced: Sequence[int] = (),
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-6,
) -> UnitSelection:
    """The exact siting for unit targets, unit counts or people, under tier rules.

    Parameters
    ----------
    sets : scipy.sparse matrix
        ``(sites, demand points)``; stored entries are coverage.
    population : numpy.ndarray
        People per demand point.
    covered_before : numpy.ndarray
        Whether the existing stations already cover each demand point.
    levels : sequence of UnitLevel
        Unit levels; those with a ``target_share`` are constraints (``"count"``).
    objective : {"count", "units", "people"}
        See the module docs.
    add : int, optional
        Budget of new sites (``"units"`` and ``"people"``).
    count_levels : sequence of str, optional
        Levels whose units count in the ``"units"`` objective (default all).
    tiers : sequence of TierNeed
        Tier rules as constraints.
    forced : sequence of int
        Sites that must be chosen.
    time_limit_s : float
        Time limit of the first solve (the whole model, then the parts) and, for
        what is left of it, of the second (people among the best sets).
    mip_rel_gap : float
        Relative gap at which the solver stops.

    Returns
    -------
    UnitSelection

    Raises
    ------
    InputError
        On a bad objective, budget or level name.
    SolverError
        If a target or a tier rule cannot be met with every candidate (one line
        naming the level, the target and the best share reachable), or nothing is
        found in time.

    Examples
    --------
    >>> sets = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]]))
    >>> lv = UnitLevel("village", np.array([0, 0, 1, 1]), ["a", "b"], 0.9, target_share=1.0)
    >>> sel = site_for_units(sets, np.ones(4), np.zeros(4, bool), [lv], objective="count")
    >>> sorted(sel.sites.tolist()), sel.status
    ([0, 2], 'optimal')
    """
    if objective not in OBJECTIVES:
        raise InputError(f"objective: use one of {', '.join(OBJECTIVES)}, got {objective!r}")
    start = time.perf_counter()
    pattern = _pattern(sets)
    n_sites = pattern.shape[0]
    population = np.asarray(population, dtype=np.float64)
    base = np.asarray(covered_before, dtype=bool)
    names = {lv.name for lv in levels}
    wanted = None if count_levels is None else set(count_levels)
    if wanted is not None and not wanted <= names:
        missing = sorted(wanted - names)[0]
        raise InputError(
            f"--objective: level '{missing}' has no units in this run "
            f"(levels: {', '.join(sorted(names)) or 'none'}); give boundaries for it"
        )
    if objective == "count":
        if not any(lv.target_share is not None for lv in levels) and not tiers:
            raise InputError("--meet-targets: no level has a target for that year")
    elif add is None or int(add) < 1:
        raise InputError(f"--add: the number of sites to add must be at least 1, got {add}")
    f = np.asarray(list(forced), dtype=np.int64)
    if add is not None and f.size > int(add):
        raise InputError(f"--force: {f.size} sites are forced but only {add} may be added")
    everything = _covered_by(pattern, np.arange(n_sites), base)
    _check_reachable(levels, population, everything, tiers)
    keep = np.flatnonzero(~dominated_sites(pattern, base, tiers, f))
    full_pattern, full_n = pattern, n_sites
    pattern, n_sites = sp.csr_matrix(pattern[keep]), keep.size
    tiers = [
        TierNeed(r.level, r.tier, r.need, r.site_unit[keep], r.site_counts[keep]) for r in tiers
    ]
    f = np.searchsorted(keep, f)
    model = build_unit_model(pattern, population, base, everything, levels, tiers)
    model.add(must_cover_cuts(model), 0.0, np.inf)
    plain = dataclasses.replace(model, rows=list(model.rows), lower=list(model.lower),
                                upper=list(model.upper))  # fmt: skip
    goals: list[tuple[np.ndarray, int]] = []
    for k, (level, open_units) in enumerate(model.unit_cols):
        if level.target_share is None or objective != "count":
            continue
        already = int(units_covered(level, population, base).sum())
        left = _required(level, population) - already
        if left > 0:
            cols = model.z_offset(k) + np.arange(open_units.size)
            goals.append((cols, left))
            row = sp.csr_matrix(
                (np.ones(cols.size), (np.zeros(cols.size, dtype=np.int64), cols)),
                shape=(1, model.n_cols),
            )
            model.add(row, float(left), np.inf)
    people = model.people_cost()
    sizes = {"sites": full_n, "sites_dominated": full_n - n_sites, "demand_rows": model.n_rows}
    start_sites = _target_greedy(
        pattern, population, base, levels, tiers, f,
        budget=None if objective == "count" else int(add),  # type: ignore[arg-type]
        counted=wanted,
    )  # fmt: skip
    warm: np.ndarray | None = model.start(start_sites, population, base)
    if objective != "count" and len(start_sites) > int(add):  # type: ignore[arg-type]
        warm = None  # the tier rules took more sites than the budget: no start
    if objective == "count":
        first_cost = np.zeros(model.n_cols)
        first_cost[:n_sites] = 1.0
        # parts that share no site are solved one by one if the whole does not finish soon
        n_parts = len(parts(plain)) if goals and not tiers else 0
        by_parts = n_parts > 1
        sizes["parts"] = n_parts
        first = solve_mip(
            model.mip(first_cost, f, maximise=False),
            time_limit_s=time_limit_s * (_WHOLE_SHARE if by_parts else 1.0),
            mip_rel_gap=mip_rel_gap, start=warm,
        )  # fmt: skip
        if first["status"] != "optimal" and by_parts:
            began = time.perf_counter() - first["seconds"]
            by_part = split_count(plain, f, goals, deadline=start + time_limit_s)
            if by_part is not None and len(by_part) <= np.round(first["values"][:n_sites]).sum():
                first = {
                    **first, "values": model.start(by_part, population, base),
                    "status": "optimal", "bound": float(len(by_part)), "mip_gap": 0.0,
                }  # fmt: skip
                sizes["proven_by_parts"] = 1
            first["seconds"] = time.perf_counter() - began
        value = float(np.round(first["values"][:n_sites]).sum())
        model.add(model.site_row(), -np.inf, value)
    else:
        model.add(model.site_row(), -np.inf, float(int(add)))  # type: ignore[arg-type]
        if objective == "units":
            first = solve_mip(
                model.mip(model.units_row(wanted).toarray().ravel(), f, maximise=True),
                time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, start=warm,
            )  # fmt: skip
            value = float(np.round(first["values"] @ model.units_row(wanted).toarray().ravel()))
            model.add(model.units_row(wanted), value, np.inf)
        else:
            first = solve_mip(
                model.mip(people, f, maximise=True), time_limit_s=time_limit_s,
                mip_rel_gap=mip_rel_gap, start=warm,
            )  # fmt: skip
            value = float(first["values"] @ people)
    values = first["values"]
    remaining = time_limit_s - first["seconds"]
    if objective != "people" and remaining > 0 and first["status"] == "optimal":
        try:
            second = solve_mip(
                model.mip(people, f, maximise=True), time_limit_s=remaining,
                mip_rel_gap=mip_rel_gap, start=values,
            )  # fmt: skip
            values = second["values"]
        except SolverError:
            pass  # keep the first stage's sites: they meet every constraint
    chosen = keep[np.flatnonzero(values[:n_sites] > 0.5)]
    f = keep[f]
    sites, gains, moved, is_forced = _rank(
        full_pattern, population, base, levels, chosen, f, wanted
    )
    bound = first["bound"]
    return UnitSelection(
        sites=sites,
        people=gains,
        units_moved=moved,
        forced=is_forced,
        status=str(first["status"]),
        objective=objective,
        value=value,
        bound=bound,
        mip_gap=first["mip_gap"],
        seconds=time.perf_counter() - start,
        model={**sizes, **first["size"]},
    )


def describe(selection: UnitSelection) -> dict[str, Any]:
    """The solver part of ``siting.json`` for a unit selection."""
    return {
        "objective": selection.objective,
        "objective_value": selection.value,
        "status": selection.status,
        "bound": selection.bound,
        "mip_gap": selection.mip_gap,
        "solve_seconds": selection.seconds,
        "model": selection.model,
    }
