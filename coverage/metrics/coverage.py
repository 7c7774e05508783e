"""Population coverage from per-cell travel times.

All functions take flat arrays over the populated cells: ``population`` (people per
cell) and ``minutes`` (travel time to the nearest station; ``inf`` where no station
is reachable). A cell is covered at threshold T when ``minutes <= T``.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["coverage_figures", "station_figures", "unit_figures"]


def _key(minutes: float) -> str:
    return f"{minutes:g}"


def coverage_figures(
    population: np.ndarray, minutes: np.ndarray, thresholds: Sequence[float]
) -> dict[str, object]:
    """Headline coverage figures.

    Parameters
    ----------
    population : numpy.ndarray
        People per cell.
    minutes : numpy.ndarray
        Minutes to the nearest station per cell (inf if unreachable).
    thresholds : sequence of float
        Thresholds in minutes.

    Returns
    -------
    dict
        ``population_total``, ``population_reachable``, ``unreachable_population``,
        ``mean_minutes`` (population-weighted, reachable residents only; None if none),
        ``covered_by_minutes`` and ``coverage_by_minutes`` (keyed by threshold as text).

    Examples
    --------
    >>> f = coverage_figures(np.array([10.0, 30.0, 60.0]), np.array([5.0, 20.0, np.inf]), [15])
    >>> f["population_total"], f["covered_by_minutes"]["15"], f["coverage_by_minutes"]["15"]
    (100.0, 10.0, 0.1)
    """
    population = np.asarray(population, dtype=np.float64)
    minutes = np.asarray(minutes, dtype=np.float64)
    total = float(population.sum())
    reach = np.isfinite(minutes)
    reachable = float(population[reach].sum())
    mean = float((population[reach] * minutes[reach]).sum() / reachable) if reachable > 0 else None
    covered = {_key(t): float(population[minutes <= t].sum()) for t in thresholds}
    share = {k: (v / total if total > 0 else 0.0) for k, v in covered.items()}
    return {
        "population_total": total,
        "population_reachable": reachable,
        "unreachable_population": total - reachable,
        "mean_minutes": mean,
        "covered_by_minutes": covered,
        "coverage_by_minutes": share,
    }


def unit_figures(
    unit_of_cell: np.ndarray,
    unit_names: Sequence[str],
    population: np.ndarray,
    minutes: np.ndarray,
    threshold: float,
) -> pd.DataFrame:
    """Coverage per administrative unit.

    Parameters
    ----------
    unit_of_cell : numpy.ndarray
        Index into ``unit_names`` of the unit containing each cell's centre (-1: none).
    unit_names : sequence of str
        The units, in order.
    population, minutes : numpy.ndarray
        People and minutes per cell.
    threshold : float
        Coverage threshold in minutes.

    Returns
    -------
    pandas.DataFrame
        One row per unit (in input order): ``unit``, ``population``,
        ``population_covered``, ``coverage_share`` (NaN for a unit with no people).
    """
    n = len(unit_names)
    inside = unit_of_cell >= 0
    idx = unit_of_cell[inside]
    pop = np.bincount(idx, weights=population[inside], minlength=n)
    cov = np.bincount(
        idx, weights=np.where(minutes[inside] <= threshold, population[inside], 0.0), minlength=n
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(pop > 0, cov / np.where(pop > 0, pop, 1.0), np.nan)
    return pd.DataFrame(
        {
            "unit": list(unit_names),
            "population": pop,
            "population_covered": cov,
            "coverage_share": share,
        }
    )


def station_figures(
    stations: gpd.GeoDataFrame,
    station_of_cell: np.ndarray,
    population: np.ndarray,
    minutes: np.ndarray,
    threshold: float,
) -> pd.DataFrame:
    """Catchment of each station: the residents for whom it is the nearest.

    Parameters
    ----------
    stations : geopandas.GeoDataFrame
        The station table (its row order defines station indices).
    station_of_cell : numpy.ndarray
        Index of the nearest station per cell (-1 where unreachable).
    population, minutes : numpy.ndarray
        People and minutes per cell.
    threshold : float
        Coverage threshold in minutes.

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
        {"catchment_population": catch, "catchment_covered": covered}, index=stations.index
    )
