"""Catchments and staffing: whom each station serves, and how many staff that needs.

**Catchment.** Every resident is assigned to the station nearest to them in travel time
(``CoverageResult.point_station``); a station's catchment population is the number of
residents so assigned. With ``catchment_by_tier`` each resident is also assigned to the
nearest station *of each tier* (one search per tier), so that a township station's
catchment is everyone for whom it is the nearest township station, whatever banks or
pharmacies lie closer.

**Staffing.** A :class:`StaffRule` gives the recommended staff of the stations of one
tier as a step function of the population they serve. The defaults follow the policy
figures for the medical-insurance service network:

- ``township`` ("2 staff where fewer than 50,000 people, otherwise 3–5"): 2 staff below
  50,000 residents; 3 from 50,000; 4 from 100,000; 5 from 150,000 (one more person per
  further 50,000, capped at the policy's 5);
- ``village`` ("1 per village point, 2 in populous villages"): 1 staff; 2 from
  :data:`POPULOUS_VILLAGE` = 3,000 residents (about twice the size of an average
  administrative village).

Stations of tiers without a rule (county centres, partner banks, hospitals, pharmacies,
which are staffed by their host) get no recommendation. Where the station table has a
``staff`` column, each station is flagged: ``over`` capacity when it has fewer staff
than recommended (its catchment needs more), ``under`` capacity when it has more, ``ok``
when equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from .subsets import SubsetSearch

__all__ = [
    "DEFAULT_STAFF_RULES",
    "POPULOUS_VILLAGE",
    "StaffRule",
    "staff_rules_from_mapping",
    "staffing_table",
    "station_figures",
    "tier_catchments",
]

#: Residents from which a village counts as populous (2 staff instead of 1).
POPULOUS_VILLAGE = 3000


@dataclass(frozen=True)
class StaffRule:
    """Recommended staff of one tier's stations by the population they serve.

    Attributes
    ----------
    tier : str
        Station tier the rule applies to (compared case-insensitively).
    steps : tuple of (float, int)
        ``(min_population, staff)`` pairs with increasing ``min_population``, the first
        being 0: a station serving ``p`` residents gets the staff of the last step with
        ``min_population <= p``.

    Examples
    --------
    >>> rule = StaffRule("township", ((0, 2), (50_000, 3)))
    >>> rule.staff_for(np.array([49_999, 50_000])).tolist()
    [2, 3]
    """

    tier: str
    steps: tuple[tuple[float, int], ...]

    def staff_for(self, population: np.ndarray) -> np.ndarray:
        """Recommended staff for each population (int64)."""
        mins = np.array([s[0] for s in self.steps], dtype=float)
        staff = np.array([s[1] for s in self.steps], dtype=np.int64)
        pos = np.searchsorted(mins, np.asarray(population, dtype=float), side="right") - 1
        return staff[np.clip(pos, 0, None)]


#: The policy defaults (see the module docstring).
DEFAULT_STAFF_RULES: tuple[StaffRule, ...] = (
    StaffRule("township", ((0, 2), (50_000, 3), (100_000, 4), (150_000, 5))),
    StaffRule("village", ((0, 1), (POPULOUS_VILLAGE, 2))),
)


def staff_rules_from_mapping(data: Any) -> tuple[StaffRule, ...]:
    """Staff rules from their configuration form.

    Parameters
    ----------
    data : mapping or sequence of StaffRule
        ``{tier: {min_population: staff, ...}, ...}``, e.g.
        ``{"township": {0: 2, 50000: 3}, "village": {0: 1, 3000: 2}}``; a sequence of
        :class:`StaffRule` is returned as a tuple.

    Returns
    -------
    tuple of StaffRule

    Raises
    ------
    ValueError
        Naming every malformed tier or step.

    Examples
    --------
    >>> staff_rules_from_mapping({"village": {0: 1, 2000: 2}})[0].steps
    ((0.0, 1), (2000.0, 2))
    """
    if isinstance(data, (list, tuple)) and all(isinstance(r, StaffRule) for r in data):
        return tuple(data)
    if not isinstance(data, Mapping):
        raise ValueError(
            "must map each tier to {min_population: staff}, e.g. "
            "{township: {0: 2, 50000: 3}, village: {0: 1, 3000: 2}}"
        )
    rules = []
    problems = []
    for tier, steps in data.items():
        if not isinstance(steps, Mapping) or not steps:
            problems.append(f"tier '{tier}' needs {{min_population: staff, ...}}")
            continue
        parsed = []
        for low, staff in steps.items():
            try:
                low_f = float(low)
            except (TypeError, ValueError):
                low_f = float("nan")
            if not (low_f >= 0 and np.isfinite(low_f)):
                problems.append(f"tier '{tier}': {low!r} is not a population >= 0")
                continue
            if isinstance(staff, bool) or not isinstance(staff, int) or staff < 0:
                problems.append(f"tier '{tier}': staff {staff!r} is not a whole number >= 0")
                continue
            parsed.append((low_f, int(staff)))
        parsed.sort()
        if parsed and parsed[0][0] != 0:
            problems.append(f"tier '{tier}' needs a step from population 0")
        rules.append(StaffRule(str(tier), tuple(parsed)))
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(rules)


def station_figures(
    stations: gpd.GeoDataFrame,
    station_of_cell: np.ndarray,
    population: np.ndarray,
    minutes: np.ndarray,
    threshold: float,
    *,
    prefix: str = "",
) -> pd.DataFrame:
    """Catchment of each station: the residents for whom it is the nearest.

    Parameters
    ----------
    stations : geopandas.GeoDataFrame
        The station table (its row order defines station indices).
    station_of_cell : numpy.ndarray
        Index of the nearest station per cell (-1 where unreachable).
    population, minutes : numpy.ndarray
        People per cell, and minutes to that nearest station.
    threshold : float
        Coverage threshold in minutes.
    prefix : str
        Put before the column names (``"tier_"`` for catchments within a tier).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``stations``: ``catchment_population`` (all residents whose nearest
        station it is) and ``catchment_covered`` (those of them within the threshold).
    """
    n = len(stations)
    ok = station_of_cell >= 0
    catch = np.bincount(station_of_cell[ok], weights=population[ok], minlength=n)
    within = ok & (minutes <= threshold)
    covered = np.bincount(station_of_cell[within], weights=population[within], minlength=n)
    return pd.DataFrame(
        {f"{prefix}catchment_population": catch, f"{prefix}catchment_covered": covered},
        index=stations.index,
    )


def tier_catchments(
    search: SubsetSearch,
    stations: gpd.GeoDataFrame,
    population: np.ndarray,
    threshold: float,
) -> tuple[pd.DataFrame, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Catchments within each tier: every resident's nearest station of every tier.

    One multi-source search per tier (:class:`~coverage.metrics.subsets.SubsetSearch`).

    Parameters
    ----------
    search : SubsetSearch
        The network and the access legs of the stations and demand points.
    stations : geopandas.GeoDataFrame
        Station table with a ``tier`` column.
    population : numpy.ndarray
        People per demand point.
    threshold : float
        Coverage threshold in minutes.

    Returns
    -------
    table : pandas.DataFrame
        Indexed like ``stations``: ``tier_catchment_population`` and
        ``tier_catchment_covered`` (the residents for whom it is the nearest station of
        its own tier, and those of them within the threshold).
    station_by_tier : dict of str to numpy.ndarray
        Tier -> index of each point's nearest station of that tier (-1: none).
    minutes_by_tier : dict of str to numpy.ndarray
        Tier -> minutes of each point to that station (inf: none).
    """
    tiers = stations["tier"].astype(str).to_numpy()
    catch = np.zeros(len(stations))
    covered = np.zeros(len(stations))
    station_by_tier: dict[str, np.ndarray] = {}
    minutes_by_tier: dict[str, np.ndarray] = {}
    for tier in pd.unique(tiers):
        minutes, station = search.minutes(tiers == tier)
        fig = station_figures(stations, station, population, minutes, threshold)
        mine = tiers == tier
        catch[mine] = fig["catchment_population"].to_numpy()[mine]
        covered[mine] = fig["catchment_covered"].to_numpy()[mine]
        station_by_tier[str(tier)] = station
        minutes_by_tier[str(tier)] = minutes
    table = pd.DataFrame(
        {"tier_catchment_population": catch, "tier_catchment_covered": covered},
        index=stations.index,
    )
    return table, station_by_tier, minutes_by_tier


def _staff_column(stations: gpd.GeoDataFrame) -> pd.Series:
    """The ``staff`` column as nullable floats; bad cells raise with their row."""
    raw = stations["staff"]
    text = raw.astype("string").str.strip()
    blank = raw.isna() | (text == "")
    values = pd.to_numeric(text.mask(blank), errors="coerce")
    bad = (~blank & values.isna()) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        source = stations.attrs.get("source", "stations")
        raise InputError(
            f"{source}: row {i + 2}: column 'staff' is {raw.iloc[i]!r}, not a number of "
            "staff >= 0; write the head count or leave it empty"
        )
    return values.astype("Float64")


def staffing_table(
    stations: gpd.GeoDataFrame,
    population_served: np.ndarray,
    *,
    rules: Sequence[StaffRule] = DEFAULT_STAFF_RULES,
    duplicate_of: pd.Series | None = None,
) -> pd.DataFrame:
    """Recommended staff of each station and, with a ``staff`` column, its capacity flag.

    Parameters
    ----------
    stations : geopandas.GeoDataFrame
        Station table with ``tier`` and optionally ``staff`` (numbers or numeric text).
    population_served : numpy.ndarray
        Catchment population of each station (in table order) the rules are applied to.
    rules : sequence of StaffRule
        One rule per tier; tiers without a rule get no recommendation.
    duplicate_of : pandas.Series, optional
        Indexed like ``stations``: the id of the station each one duplicates, ``<NA>``
        for the others (:func:`~coverage.metrics.duplicates.duplicate_stations`). A
        duplicate gets no recommendation, gap or capacity label; the station it
        duplicates is staffed for the catchment of the whole cluster.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``stations``: ``staff_recommended`` (nullable integer). With a
        ``staff`` column also ``staff_gap`` (recommended minus actual) and ``capacity``:
        ``"over"`` (fewer staff than recommended), ``"under"`` (more), ``"ok"``, or
        ``<NA>`` where either number is missing.

    Raises
    ------
    InputError
        If a ``staff`` cell is not a number >= 0 (the row is named).

    Examples
    --------
    >>> import geopandas as gpd
    >>> s = gpd.GeoDataFrame({"tier": ["township", "township"], "staff": ["2", "2"]})
    >>> staffing_table(s, np.array([49_999.0, 50_000.0]))["capacity"].tolist()
    ['ok', 'over']
    """
    population_served = np.asarray(population_served, dtype=float)
    tiers = stations["tier"].astype(str).str.strip().str.lower().to_numpy()
    duplicate = np.zeros(len(stations), dtype=bool)
    if duplicate_of is not None:
        lead_id = duplicate_of.reindex(stations.index)
        duplicate = lead_id.notna().to_numpy()
        position = {sid: i for i, sid in enumerate(stations["id"].astype(str))}
        lead = np.array([position[str(v)] for v in lead_id[duplicate]], dtype=np.int64)
        population_served = population_served.copy()
        np.add.at(population_served, lead, population_served[duplicate])
    recommended = pd.array([pd.NA] * len(stations), dtype="Int64")
    for rule in rules:
        mine = (tiers == rule.tier.strip().lower()) & ~duplicate
        if mine.any():
            recommended[mine] = rule.staff_for(population_served[mine])
    out = pd.DataFrame({"staff_recommended": recommended}, index=stations.index)
    if "staff" in stations.columns:
        staff = _staff_column(stations)
        gap = pd.Series(recommended, index=stations.index).astype("Float64") - staff.set_axis(
            stations.index
        )
        capacity = pd.Series(pd.NA, index=stations.index, dtype="string")
        known = gap.notna().to_numpy()
        values = gap.to_numpy(dtype=float, na_value=np.nan)
        capacity[known] = np.select(
            [values[known] > 0, values[known] < 0], ["over", "under"], default="ok"
        )
        out["staff_gap"] = gap
        out["capacity"] = capacity
    return out
