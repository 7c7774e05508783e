"""Per-unit verdicts: how well each township or village is served.

Every function takes flat arrays over the demand points (raster cell centres or a
population table): ``unit_of_cell`` (index of the unit containing the point, -1 for
none), ``population``, ``minutes`` (to the nearest station, ``inf`` where none is
reachable) and ``station_of_cell`` (index of that station, -1 where none).

A unit counts as **covered** when the share of its residents within the headline
threshold is at least ``covered_share`` (the ``unit_covered_share`` configuration key,
default 0.9). A unit with no residents has no verdict (``covered`` is ``<NA>``) and is
left out of the share of units covered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_UNIT_COVERED_SHARE",
    "largest_by_group",
    "level_summary",
    "unit_figures",
    "weighted_quantile_by_group",
]

#: Share of a unit's residents within the threshold for the unit to count as covered.
DEFAULT_UNIT_COVERED_SHARE = 0.9

# relative slack when comparing cumulative population with a quantile's share of it, so
# that sums of floats (e.g. 0.1 + 0.2) do not push an exact boundary to the next point
_REL_TOL = 1e-9


def weighted_quantile_by_group(
    group: np.ndarray, values: np.ndarray, weights: np.ndarray, q: float, n_groups: int
) -> np.ndarray:
    """Population-weighted quantile of ``values`` within each group.

    The weighted ``q``-quantile of a group is the smallest value ``v`` such that the
    points with ``values <= v`` hold at least ``q`` of the group's weight: the inverse
    of the weighted empirical distribution function, without interpolation. With equal
    weights it is numpy's ``method="inverted_cdf"``. Infinite values (unreachable
    residents) take part, so the quantile is ``inf`` when more than ``1 - q`` of the
    group's people cannot reach any station.

    Parameters
    ----------
    group : numpy.ndarray
        Group index of each point in ``0..n_groups-1`` (points with -1 are ignored).
    values : numpy.ndarray
        The value of each point (may be ``inf``).
    weights : numpy.ndarray
        Non-negative weight (people) of each point; points of weight 0 are ignored.
    q : float
        Quantile in (0, 1].
    n_groups : int
        Number of groups.

    Returns
    -------
    numpy.ndarray
        One quantile per group (NaN for a group with no weight).

    Examples
    --------
    >>> weighted_quantile_by_group(np.array([0, 0, 0]), np.array([3.0, 1.0, 2.0]),
    ...                            np.array([1.0, 8.0, 1.0]), 0.9, 1)
    array([2.])
    """
    keep = (group >= 0) & (weights > 0)
    g, v, w = group[keep], values[keep], weights[keep]
    out = np.full(n_groups, np.nan)
    if g.size == 0:
        return out
    order = np.lexsort((v, g))
    g, v, w = g[order], v[order], w[order]
    cum = np.cumsum(w)
    start = np.searchsorted(g, np.arange(n_groups), side="left")
    end = np.searchsorted(g, np.arange(n_groups), side="right") - 1
    before = np.concatenate([[0.0], cum])[start]  # cumulative weight before each group
    within = cum - before[g]
    # each group's total taken from the same differences, so that its last point always
    # reaches q <= 1 even where float cancellation shaves off a tiny weight
    total = np.where(end >= start, within[np.maximum(end, 0)], 0.0)
    reached = within >= q * total[g] * (1.0 - _REL_TOL)
    first = np.flatnonzero(reached)
    groups, where = np.unique(g[first], return_index=True)
    out[groups] = v[first[where]]
    return out


def unit_figures(
    unit_of_cell: np.ndarray,
    unit_names: Sequence[str],
    population: np.ndarray,
    minutes: np.ndarray,
    threshold: float,
    *,
    station_of_cell: np.ndarray | None = None,
    station_ids: Sequence[Any] | None = None,
    station_names: Sequence[Any] | None = None,
    covered_share: float = DEFAULT_UNIT_COVERED_SHARE,
) -> pd.DataFrame:
    """Coverage and travel times per administrative unit, with its verdict.

    Parameters
    ----------
    unit_of_cell : numpy.ndarray
        Index into ``unit_names`` of the unit containing each point (-1: none).
    unit_names : sequence of str
        The units, in order.
    population, minutes : numpy.ndarray
        People and minutes to the nearest station per point (``inf``: unreachable).
    threshold : float
        Coverage threshold in minutes (a point is covered when ``minutes <= threshold``).
    station_of_cell : numpy.ndarray, optional
        Index of each point's nearest station (-1: none); needed for the station columns.
    station_ids, station_names : sequence, optional
        Id and name of each station, indexed like ``station_of_cell``.
    covered_share : float
        A unit is covered when ``coverage_share >= covered_share``.

    Returns
    -------
    pandas.DataFrame
        One row per unit, in input order:

        - ``unit``, ``population``, ``population_covered`` (within the threshold),
          ``coverage_share`` (NaN for a unit with no people);
        - ``unreachable_population``: residents who reach no station at all;
        - ``mean_minutes``: population-weighted mean minutes of the residents who reach
          a station (NaN if none does);
        - ``p90_minutes``: population-weighted 90th percentile of minutes over all
          residents, unreachable ones counting as ``inf`` (see
          :func:`weighted_quantile_by_group`): 90% of the unit's people are at most this
          far from a station;
        - ``nearest_station``, ``nearest_station_name``: the station that is the nearest
          one for the most residents of the unit (ties: the earlier station in the table);
          ``nearest_station_population``: how many residents that is (only with
          ``station_of_cell``);
        - ``covered``: ``coverage_share >= covered_share`` (nullable boolean, ``<NA>`` for
          a unit with no people).

    Examples
    --------
    >>> t = unit_figures(np.array([0, 0, 1]), ["a", "b"], np.array([90.0, 10.0, 5.0]),
    ...                  np.array([5.0, 20.0, np.inf]), 15)
    >>> t[["unit", "coverage_share", "p90_minutes", "covered"]].values.tolist()
    [['a', 0.9, 5.0, True], ['b', 0.0, inf, False]]
    """
    unit_of_cell = np.asarray(unit_of_cell, dtype=np.int64)
    population = np.asarray(population, dtype=np.float64)
    minutes = np.asarray(minutes, dtype=np.float64)
    n = len(unit_names)
    inside = unit_of_cell >= 0
    idx = unit_of_cell[inside]
    pop_in = population[inside]
    min_in = minutes[inside]
    reach = np.isfinite(min_in)
    pop = np.bincount(idx, weights=pop_in, minlength=n)
    cov = np.bincount(idx, weights=np.where(min_in <= threshold, pop_in, 0.0), minlength=n)
    reach_pop = np.bincount(idx, weights=np.where(reach, pop_in, 0.0), minlength=n)
    weighted = np.bincount(idx, weights=pop_in * np.where(reach, min_in, 0.0), minlength=n)
    has_people = pop > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(has_people, cov / np.where(has_people, pop, 1.0), np.nan)
        mean = np.where(reach_pop > 0, weighted / np.where(reach_pop > 0, reach_pop, 1.0), np.nan)
    table = pd.DataFrame(
        {
            "unit": list(unit_names),
            "population": pop,
            "population_covered": cov,
            "coverage_share": share,
            "unreachable_population": pop - reach_pop,
            "mean_minutes": mean,
            "p90_minutes": weighted_quantile_by_group(idx, min_in, pop_in, 0.9, n),
        }
    )
    if station_of_cell is not None:
        table = table.join(
            _main_station(idx, np.asarray(station_of_cell)[inside], pop_in, n, station_ids)
        )
        if station_names is not None:
            names = np.asarray(list(station_names), dtype=object)
            pos = table.pop("_station").to_numpy()
            table.insert(
                table.columns.get_loc("nearest_station") + 1,
                "nearest_station_name",
                np.where(pos >= 0, names[np.maximum(pos, 0)], None),
            )
        else:
            table = table.drop(columns="_station")
    covered = pd.array(share >= covered_share * (1.0 - _REL_TOL), dtype="boolean")
    covered[~has_people] = pd.NA
    table["covered"] = covered
    return table


def largest_by_group(
    group: np.ndarray, category: np.ndarray, weights: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per group, the category holding the most weight, and that weight.

    Parameters
    ----------
    group : numpy.ndarray
        Group index of each point in ``0..n_groups-1``.
    category : numpy.ndarray
        Category index of each point (-1: none; ignored).
    weights : numpy.ndarray
        Weight (people) of each point; points of weight 0 are ignored.
    n_groups : int
        Number of groups.

    Returns
    -------
    category : numpy.ndarray
        The heaviest category of each group (ties: the lowest index; -1 if none).
    weight : numpy.ndarray
        Its summed weight in the group (0 if none).

    Examples
    --------
    >>> largest_by_group(np.array([0, 0, 0, 1]), np.array([2, 1, 1, -1]),
    ...                  np.array([5.0, 3.0, 3.0, 9.0]), 2)
    (array([ 1, -1]), array([6., 0.]))
    """
    ok = (category >= 0) & (weights > 0) & (group >= 0)
    best = (
        pd.DataFrame({"group": group[ok], "category": category[ok], "weight": weights[ok]})
        .groupby(["group", "category"], sort=True)["weight"]
        .sum()
        .reset_index()
        .sort_values(["group", "weight", "category"], ascending=[True, False, True], kind="stable")
        .drop_duplicates("group")
    )
    which = np.full(n_groups, -1, dtype=np.int64)
    weight = np.zeros(n_groups)
    which[best["group"].to_numpy()] = best["category"].to_numpy()
    weight[best["group"].to_numpy()] = best["weight"].to_numpy()
    return which, weight


def _main_station(
    unit: np.ndarray,
    station: np.ndarray,
    population: np.ndarray,
    n_units: int,
    station_ids: Sequence[Any] | None,
) -> pd.DataFrame:
    """Per unit, the station that is nearest for the most residents, and how many."""
    pos, people = largest_by_group(unit, station, population, n_units)
    if station_ids is None:
        ids = np.arange(int(pos.max(initial=-1)) + 1, dtype=object)
    else:
        ids = np.asarray(list(station_ids), dtype=object)
    nearest = np.full(n_units, None, dtype=object)
    nearest[pos >= 0] = ids[pos[pos >= 0]]
    return pd.DataFrame(
        {
            "nearest_station": nearest,
            "nearest_station_population": people,
            "_station": pos,
        }
    )


def level_summary(table: pd.DataFrame, *, covered_share: float) -> dict[str, Any]:
    """How many units of one level are covered.

    Parameters
    ----------
    table : pandas.DataFrame
        A table from :func:`unit_figures`.
    covered_share : float
        The rule the ``covered`` column was computed with (recorded in the summary).

    Returns
    -------
    dict
        ``units`` (all units), ``units_populated`` (units with residents),
        ``units_covered``, ``share_units_covered`` (covered / populated; None if no unit
        has residents) and ``unit_covered_share`` (the rule).

    Examples
    --------
    >>> t = unit_figures(np.array([0, 1]), ["a", "b", "c"], np.array([1.0, 1.0]),
    ...                  np.array([5.0, 50.0]), 15)
    >>> level_summary(t, covered_share=0.9)["share_units_covered"]
    0.5
    """
    covered = table["covered"]
    populated = int(covered.notna().sum())
    n_covered = int(covered.fillna(False).astype(bool).sum())
    return {
        "units": len(table),
        "units_populated": populated,
        "units_covered": n_covered,
        "share_units_covered": n_covered / populated if populated else None,
        "unit_covered_share": float(covered_share),
    }
