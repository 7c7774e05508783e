"""The policy's question in a siting run: unit levels, dated targets, tier rules.

:func:`policy_problem` turns the run's unit polygons, targets and ``require`` rules
into the arrays of :mod:`~coverage.siting.unit_model`; :func:`policy_figures`
gives the before / after figures per level, target and rule that ``siting.json``,
the report and the workbook show.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ..metrics.membership import units_of_points as _units_of_points
from ..metrics.requirements import TierRule, tier_counts
from ..metrics.targets import Target
from .unit_model import TierNeed, UnitLevel, units_covered

__all__ = [
    "PolicyProblem",
    "parse_objective",
    "policy_figures",
    "policy_problem",
    "unit_columns",
    "unit_table",
]


@dataclass(frozen=True)
class PolicyProblem:
    """Unit levels and tier rules of one siting, over its demand points and candidates.

    Attributes
    ----------
    levels : list of UnitLevel
        One per boundary level (targets of the chosen year attached).
    tiers : list of TierNeed
        One per ``require`` rule.
    site_units : dict of str to numpy.ndarray
        Level -> unit index of each candidate (-1: in none).
    year : int or None
        The year whose targets are constraints (``--meet-targets``).
    targets : tuple of Target
        Every configured target (reported before / after).
    rules : tuple of TierRule
        The configured tier rules.
    station_units : dict of str to numpy.ndarray
        Level -> unit index of each open existing station.
    station_tiers : list of str
        Tier of each open existing station.
    site_tiers : numpy.ndarray
        Tier of each candidate.
    """

    levels: list[UnitLevel]
    tiers: list[TierNeed]
    site_units: dict[str, np.ndarray]
    year: int | None
    targets: tuple[Target, ...]
    rules: tuple[TierRule, ...]
    station_units: dict[str, np.ndarray]
    station_tiers: list[str]
    site_tiers: np.ndarray


def parse_objective(text: str) -> tuple[str, list[str] | None]:
    """``units``, ``units:LEVEL`` or ``people`` -> (objective, levels counted).

    Examples
    --------
    >>> parse_objective("units:village")
    ('units', ['village'])
    """
    kind, _, level = text.strip().partition(":")
    if kind not in ("units", "people") or (kind == "people" and level):
        raise InputError(
            f"--objective: {text!r} is not an objective; use units, units:LEVEL (e.g. "
            "units:village) or people"
        )
    return kind, ([level.strip()] if level.strip() else None) if kind == "units" else None


def _site_tiers(
    candidates: gpd.GeoDataFrame, rules: Sequence[TierRule], tier: str | None
) -> np.ndarray:
    """Tier of each candidate: its own ``tier`` column, else ``tier``, else the rules' one."""
    default = tier
    if default is None:
        named = {r.tier for r in rules}
        default = named.pop() if len(named) == 1 else ""
    own = (
        candidates["tier"].fillna("").astype(str).to_numpy()
        if "tier" in candidates
        else np.full(len(candidates), "", dtype=object)
    )
    return np.where(own != "", own, default).astype(object)


def policy_problem(
    units: Mapping[str, gpd.GeoDataFrame] | None,
    demand_x: np.ndarray,
    demand_y: np.ndarray,
    crs: Any,
    population: np.ndarray,
    stations: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    covered_share: float,
    targets: Sequence[Target] = (),
    rules: Sequence[TierRule] = (),
    year: int | None = None,
    site_tier: str | None = None,
) -> PolicyProblem:
    """The unit levels, targets and tier rules of a siting, as arrays.

    Parameters
    ----------
    units : mapping of str to geopandas.GeoDataFrame, optional
        Unit polygons per level, with a ``unit`` column.
    demand_x, demand_y : numpy.ndarray
        Demand points in ``crs``.
    crs : any
        CRS of the demand points.
    population : numpy.ndarray
        People per demand point.
    stations : geopandas.GeoDataFrame
        The open existing stations (with ``tier``).
    candidates : geopandas.GeoDataFrame
        The candidate sites (a ``tier`` column is used where given).
    covered_share : float
        The ``unit_covered_share`` rule.
    targets : sequence of Target
        The configured targets.
    rules : sequence of TierRule
        The configured tier rules.
    year : int, optional
        The year whose targets are constraints.
    site_tier : str, optional
        Tier of candidates without one (default: the tier the rules name, when they
        all name one).

    Returns
    -------
    PolicyProblem

    Raises
    ------
    InputError
        If a target or rule names a level without units, or no target is set for ``year``.
    """
    units = dict(units or {})
    known = ", ".join(units) or "none: no boundaries were given"
    for what, level in [("targets", t.level) for t in targets] + [
        ("require", r.level) for r in rules
    ]:
        if level not in units:
            raise InputError(
                f"{what}: level '{level}' has no units in this run (levels: {known}); "
                "give boundaries for it or remove the entry"
            )
    if year is not None:
        years = sorted({t.year for t in targets})
        if year not in years:
            listed = ", ".join(map(str, years)) or "none; add a targets: table to the configuration"
            raise InputError(
                f"--meet-targets: no target is set for {year} (years with targets: {listed})"
            )
    share_of = {t.level: t.share for t in targets if t.year == year}
    levels: list[UnitLevel] = []
    site_units: dict[str, np.ndarray] = {}
    station_units: dict[str, np.ndarray] = {}
    cx = candidates.geometry
    for name, polygons in units.items():
        polygons = polygons.reset_index(drop=True)
        levels.append(
            UnitLevel(
                name,
                _units_of_points(polygons, demand_x, demand_y, crs),
                polygons["unit"].astype(str).tolist(),
                covered_share,
                share_of.get(name),
            )
        )
        site_units[name] = _units_of_points(
            polygons, cx.x.to_numpy(), cx.y.to_numpy(), candidates.crs
        )
        pts = stations.geometry
        station_units[name] = _units_of_points(
            polygons, pts.x.to_numpy(), pts.y.to_numpy(), stations.crs
        )
    station_tiers = (
        stations["tier"].fillna("").astype(str).tolist()
        if "tier" in stations
        else [""] * len(stations)
    )
    site_tiers = _site_tiers(candidates, rules, site_tier)
    tiers: list[TierNeed] = []
    for rule in rules:
        lv = next(lv for lv in levels if lv.name == rule.level)
        have = tier_counts(station_units[rule.level], station_tiers, rule.tier, lv.n_units)
        populated = (
            np.bincount(
                lv.unit_of_point[lv.unit_of_point >= 0],
                weights=population[lv.unit_of_point >= 0],
                minlength=lv.n_units,
            )
            > 0
        )
        need = np.where(populated, np.maximum(rule.at_least - have, 0), 0).astype(np.int64)
        tiers.append(
            TierNeed(rule.level, rule.tier, need, site_units[rule.level], site_tiers == rule.tier)
        )
    return PolicyProblem(
        levels, tiers, site_units, year, tuple(targets), tuple(rules), station_units, station_tiers,
        site_tiers,
    )  # fmt: skip


def policy_figures(
    problem: PolicyProblem,
    population: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    chosen: np.ndarray,
) -> dict[str, Any]:
    """Units, targets and tier rules before and after the chosen sites.

    Parameters
    ----------
    problem : PolicyProblem
        From :func:`policy_problem`.
    population : numpy.ndarray
        People per demand point.
    before, after : numpy.ndarray
        Whether each demand point is covered without and with the new sites.
    chosen : numpy.ndarray
        Indices of the chosen candidates.

    Returns
    -------
    dict
        ``units`` (level -> populated, covered before and after, shares),
        ``targets`` (one entry per configured target) and ``require`` (per rule,
        the units short of it before and after).
    """
    units: dict[str, dict[str, Any]] = {}
    for level in problem.levels:
        inside = level.unit_of_point >= 0
        populated = int(
            (np.bincount(level.unit_of_point[inside], weights=population[inside],
                         minlength=level.n_units) > 0).sum()
        )  # fmt: skip
        b = int(units_covered(level, population, before).sum())
        a = int(units_covered(level, population, after).sum())
        units[level.name] = {
            "units": level.n_units,
            "units_populated": populated,
            "units_covered_before": b,
            "units_covered_after": a,
            "share_units_covered_before": b / populated if populated else None,
            "share_units_covered_after": a / populated if populated else None,
        }
    targets = []
    for t in problem.targets:
        u = units[t.level]
        required = math.ceil(t.share * u["units_populated"] - 1e-9)
        targets.append(
            {
                "level": t.level,
                "year": t.year,
                "target_share": t.share,
                "units": u["units_populated"],
                "units_required": required,
                "units_covered_before": u["units_covered_before"],
                "units_covered_after": u["units_covered_after"],
                "met_before": u["units_covered_before"] >= required,
                "met_after": u["units_covered_after"] >= required,
                "constraint": t.year == problem.year,
            }
        )
    require = []
    for rule, need in zip(problem.rules, problem.tiers, strict=True):
        added = np.bincount(
            need.site_unit[chosen][(need.site_unit[chosen] >= 0) & need.site_counts[chosen]],
            minlength=need.need.size,
        ) if chosen.size else np.zeros(need.need.size)  # fmt: skip
        require.append(
            {
                "level": rule.level,
                "tier": rule.tier,
                "at_least": rule.at_least,
                "units_short_before": int((need.need > 0).sum()),
                "units_short_after": int((need.need > added).sum()),
            }
        )
    return {"units": units, "targets": targets, "require": require}


def unit_columns(
    problem: PolicyProblem, rows: np.ndarray, moved: list[dict[str, np.ndarray]]
) -> pd.DataFrame:
    """Per chosen site: the unit it lies in and the units it brings over the line, per level."""
    out: dict[str, Any] = {}
    for level in problem.levels:
        names = np.asarray([*level.names, ""], dtype=object)
        out[level.name] = names[problem.site_units[level.name][rows]]
        out[f"{level.name}_over_line"] = [
            "; ".join(level.names[u] for u in m[level.name]) for m in moved
        ]
    out["units_over_line"] = [sum(v.size for v in m.values()) for m in moved]
    out["tier"] = problem.site_tiers[rows]
    return pd.DataFrame(out)


def unit_table(
    problem: PolicyProblem,
    units: Mapping[str, gpd.GeoDataFrame],
    population: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    moved: list[dict[str, np.ndarray]],
) -> dict[str, gpd.GeoDataFrame]:
    """Per level, the unit polygons (WGS84) with their verdict before and after.

    Columns: ``unit``, ``population``, ``covered_before``, ``covered_after`` and
    ``brought_by`` (rank of the site that brings the unit over the line, 0 for none).
    """
    out: dict[str, gpd.GeoDataFrame] = {}
    for level in problem.levels:
        frame = units[level.name].reset_index(drop=True).to_crs("EPSG:4326")
        inside = level.unit_of_point >= 0
        people = np.bincount(
            level.unit_of_point[inside], weights=population[inside], minlength=level.n_units
        )
        brought = np.zeros(level.n_units, dtype=np.int64)
        for rank, step in enumerate(moved, start=1):
            brought[step[level.name]] = rank
        out[level.name] = gpd.GeoDataFrame(
            {
                "unit": frame["unit"].astype(str).to_numpy(),
                "population": people,
                "covered_before": units_covered(level, population, before),
                "covered_after": units_covered(level, population, after),
                "brought_by": brought,
            },
            geometry=frame.geometry.to_numpy(),
            crs="EPSG:4326",
        )
    return out
