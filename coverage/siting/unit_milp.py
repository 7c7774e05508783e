"""The unit model of :mod:`coverage.siting.unit_model` as sparse rows for HiGHS.

Columns: ``x`` (one per candidate), ``y`` (one per merged demand row), ``z`` (one per
unit not yet covered that the candidates can cover, level by level). The rows are
those written in :mod:`~coverage.siting.unit_model`; each unit row is divided by
the people the unit still needs, so the solver's feasibility tolerance is relative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .milp import Mip
from .optimise import _merge_rows

__all__ = ["TierNeed", "UnitLevel", "UnitModel", "build_unit_model", "units_covered"]

# relative slack of the unit rule, the same as coverage.metrics.units
_REL_TOL = 1e-9


@dataclass(frozen=True)
class UnitLevel:
    """One level of units over the demand points.

    Attributes
    ----------
    name : str
        Level name (``township``, ``village``, ...).
    unit_of_point : numpy.ndarray
        Unit index of each demand point (-1: in none).
    names : list of str
        Unit names, indexed by unit.
    covered_share : float
        The ``unit_covered_share`` rule.
    target_share : float or None
        Share of the populated units to cover (``--meet-targets``), or None.
    """

    name: str
    unit_of_point: np.ndarray
    names: list[str]
    covered_share: float
    target_share: float | None = None

    @property
    def n_units(self) -> int:
        """Number of units."""
        return len(self.names)


@dataclass(frozen=True)
class TierNeed:
    """A tier rule applied: stations still needed per unit, and which sites count.

    Attributes
    ----------
    level : str
        Level of the rule (a :class:`UnitLevel` name).
    tier : str
        Tier of the rule.
    need : numpy.ndarray
        Stations still needed per unit (``at_least`` minus the existing ones, >= 0;
        0 for units without residents).
    site_unit : numpy.ndarray
        Unit of each candidate site (-1: in none).
    site_counts : numpy.ndarray
        Whether each candidate is of the rule's tier.
    """

    level: str
    tier: str
    need: np.ndarray
    site_unit: np.ndarray
    site_counts: np.ndarray


def units_covered(level: UnitLevel, population: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """Which units of a level are covered, by the rule of the run's unit tables.

    Parameters
    ----------
    level : UnitLevel
        The units.
    population : numpy.ndarray
        People per demand point.
    covered : numpy.ndarray
        Whether each demand point is within the threshold.

    Returns
    -------
    numpy.ndarray
        bool per unit; False for units without residents.

    Examples
    --------
    >>> lv = UnitLevel("v", np.array([0, 0, 1]), ["a", "b"], 0.9)
    >>> units_covered(lv, np.array([9.0, 1.0, 5.0]), np.array([True, False, True])).tolist()
    [True, True]
    """
    unit = level.unit_of_point
    inside = unit >= 0
    pop = np.bincount(unit[inside], weights=population[inside], minlength=level.n_units)
    cov = np.bincount(
        unit[inside], weights=np.where(covered[inside], population[inside], 0.0),
        minlength=level.n_units,
    )  # fmt: skip
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(pop > 0, cov / np.where(pop > 0, pop, 1.0), 0.0)
    return (pop > 0) & (share >= level.covered_share * (1.0 - _REL_TOL))


@dataclass
class UnitModel:
    """Column layout and rows of the unit model (see the module docs)."""

    n_sites: int
    merged: sp.csr_matrix  # rows x sites
    pattern: sp.csr_matrix  # sites x demand points
    weight: np.ndarray  # people per merged row
    unit_cols: list[tuple[UnitLevel, np.ndarray]]  # level, open unit indices (z columns)
    rows: list[sp.csr_matrix] = field(default_factory=list)
    lower: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)
    # per open unit: z column, its demand rows, people it may leave uncovered, people it needs
    covers: list[tuple[int, np.ndarray, float, float]] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return self.merged.shape[0]

    @property
    def n_cols(self) -> int:
        return self.n_sites + self.n_rows + sum(u.size for _, u in self.unit_cols)

    def z_offset(self, k: int) -> int:
        return self.n_sites + self.n_rows + sum(u.size for _, u in self.unit_cols[:k])

    def add(self, row: sp.spmatrix, lower: np.ndarray | float, upper: np.ndarray | float) -> None:
        row = sp.csr_matrix(row)
        self.rows.append(row)
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (row.shape[0],)))
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (row.shape[0],)))

    def site_row(self) -> sp.csr_matrix:
        return sp.csr_matrix(
            (
                np.ones(self.n_sites),
                (np.zeros(self.n_sites, dtype=np.int64), np.arange(self.n_sites)),
            ),
            shape=(1, self.n_cols),
        )

    def units_row(self, level_names: set[str] | None) -> sp.csr_matrix:
        cols = [
            np.arange(self.z_offset(k), self.z_offset(k) + u.size)
            for k, (lv, u) in enumerate(self.unit_cols)
            if level_names is None or lv.name in level_names
        ]
        idx = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
        return sp.csr_matrix(
            (np.ones(idx.size), (np.zeros(idx.size, dtype=np.int64), idx)), shape=(1, self.n_cols)
        )

    def people_cost(self) -> np.ndarray:
        cost = np.zeros(self.n_cols)
        cost[self.n_sites : self.n_sites + self.n_rows] = self.weight
        return cost

    def start(self, sites: Sequence[int], population: np.ndarray, base: np.ndarray) -> np.ndarray:
        """Every column's value for a set of sites (a MIP start)."""
        x = np.zeros(self.n_sites)
        x[list(sites)] = 1.0
        y = (np.asarray(self.merged @ x).ravel() > 0).astype(float)
        covered = np.asarray(base, dtype=bool).copy()
        pattern = self.pattern
        if len(sites):
            covered[pattern[list(sites)].indices] = True
        z = [
            units_covered(level, population, covered)[open_units].astype(float)
            for level, open_units in self.unit_cols
        ]
        return np.concatenate([x, y, *z])

    def mip(self, cost: np.ndarray, forced: np.ndarray, *, maximise: bool) -> Mip:
        lower = np.zeros(self.n_cols)
        lower[forced] = 1.0
        integer = np.zeros(self.n_cols, dtype=bool)
        integer[: self.n_sites] = True
        integer[self.n_sites + self.n_rows :] = True
        return Mip(
            cost=cost,
            lower=lower,
            upper=np.ones(self.n_cols),
            integer=integer,
            rows=sp.csr_matrix(sp.vstack(self.rows, format="csr")),
            row_lower=np.concatenate(self.lower),
            row_upper=np.concatenate(self.upper),
            maximise=maximise,
        )


def _cardinality_rows(
    pattern: sp.csr_matrix,
    population: np.ndarray,
    base: np.ndarray,
    level: UnitLevel,
    open_units: np.ndarray,
    need: np.ndarray,
    k: int,
    model: UnitModel,
) -> sp.csr_matrix:
    """``sum_{j reaching u} x_j - m_u z_u >= 0`` for each open unit ``u``.

    ``m_u`` is the fewest sites that can bring ``u`` over the line: the smallest
    ``m`` whose ``m`` largest contributions (people of ``u`` a site newly covers)
    reach the people ``u`` still needs. Valid for every solution, and much
    stronger than the people rows in the LP relaxation when a unit needs several.
    """
    unit = level.unit_of_point
    points = np.flatnonzero((unit >= 0) & ~np.asarray(base, dtype=bool))
    member = sp.csr_matrix(
        (population[points], (points, unit[points])), shape=(pattern.shape[1], level.n_units)
    )
    gives = sp.csc_matrix(pattern @ member[:, open_units])  # sites x open units
    rows, cols, vals = [], [], []
    for q in range(open_units.size):
        lo, hi = gives.indptr[q], gives.indptr[q + 1]
        sites, amounts = gives.indices[lo:hi], gives.data[lo:hi]
        ranked = np.cumsum(np.sort(amounts)[::-1])
        m = int(np.searchsorted(ranked, need[open_units[q]] * (1.0 - 1e-9))) + 1
        rows += [q] * (sites.size + 1)
        cols += [*sites.tolist(), model.z_offset(k) + q]
        vals += [1.0] * sites.size + [-float(min(m, max(sites.size, 1)))]
    return sp.csr_matrix((vals, (rows, cols)), shape=(open_units.size, model.n_cols))


def build_unit_model(
    pattern: sp.csr_matrix,
    population: np.ndarray,
    base: np.ndarray,
    everything: np.ndarray,
    levels: Sequence[UnitLevel],
    tiers: Sequence[TierNeed],
) -> UnitModel:
    n_sites, n_points = pattern.shape
    weight = np.where(base, 0.0, population)
    # merge rows that share their sites *and* their units: unit columns join the key
    blocks = [pattern]
    for level in levels:
        unit = level.unit_of_point
        where = np.flatnonzero(unit >= 0)
        blocks.append(
            sp.csr_matrix(
                (np.ones(where.size), (unit[where], where)), shape=(level.n_units, n_points)
            )
        )
    reached = np.zeros(n_points, dtype=bool)
    reached[pattern.indices] = True
    merged_all, merged_w = _merge_rows(
        sp.csr_matrix(sp.vstack(blocks)), np.where(reached, weight, 0.0)
    )
    merged = sp.csr_matrix(merged_all[:, :n_sites])
    model = UnitModel(n_sites, merged, pattern, merged_w, [])
    offset = n_sites
    opened: list[tuple[UnitLevel, np.ndarray, sp.csr_matrix]] = []
    for level in levels:
        member = sp.csr_matrix(merged_all[:, offset : offset + level.n_units])  # rows x units
        offset += level.n_units
        now = units_covered(level, population, base)
        could = units_covered(level, population, everything)
        open_units = np.flatnonzero(could & ~now)
        model.unit_cols.append((level, open_units))
        opened.append((level, open_units, member))
    n = model.n_cols
    r = model.n_rows
    # y_i - sum_j a_ij x_j <= 0
    model.add(
        sp.hstack([-merged, sp.identity(r, format="csr"), sp.csr_matrix((r, n - n_sites - r))]),
        -np.inf,
        0.0,
    )
    for k, (level, open_units, member) in enumerate(opened):
        if open_units.size == 0:
            continue
        unit = level.unit_of_point
        inside = unit >= 0
        pop_u = np.bincount(unit[inside], weights=population[inside], minlength=level.n_units)
        have = np.bincount(
            unit[inside], weights=np.where(base[inside], population[inside], 0.0),
            minlength=level.n_units,
        )  # fmt: skip
        need = level.covered_share * (1.0 - _REL_TOL) * pop_u - have
        # (1 / need_u) sum_{i in u} p_i y_i - z_u >= 0
        rows_of = sp.csr_matrix(member[:, open_units].T)  # open units x rows
        scaled = sp.diags(1.0 / need[open_units]) @ rows_of @ sp.diags(merged_w)
        z = sp.csr_matrix(
            (
                -np.ones(open_units.size),
                (np.arange(open_units.size), model.z_offset(k) + np.arange(open_units.size)),
            ),
            shape=(open_units.size, n),
        )
        y = sp.hstack(
            [
                sp.csr_matrix((open_units.size, n_sites)),
                scaled,
                sp.csr_matrix((open_units.size, n - n_sites - r)),
            ]
        )
        model.add(sp.csr_matrix(y) + z, 0.0, np.inf)
        for q, u in enumerate(open_units):
            inside = rows_of.indices[rows_of.indptr[q] : rows_of.indptr[q + 1]]
            slack = float(merged_w[inside].sum() - need[u])
            model.covers.append((model.z_offset(k) + q, inside, slack, float(need[u])))
        model.add(_cardinality_rows(pattern, population, base, level, open_units, need, k, model),
                  0.0, np.inf)  # fmt: skip
    for rule in tiers:
        units = np.flatnonzero(rule.need > 0)
        if units.size == 0:
            continue
        ok = (rule.site_unit >= 0) & rule.site_counts
        sites = np.flatnonzero(ok)
        where = np.searchsorted(units, rule.site_unit[sites])
        hit = (where < units.size) & (
            units[np.minimum(where, units.size - 1)] == rule.site_unit[sites]
        )
        rows = sp.csr_matrix(
            (np.ones(int(hit.sum())), (where[hit], sites[hit])), shape=(units.size, n)
        )
        model.add(rows, rule.need[units].astype(float), np.inf)
    return model
