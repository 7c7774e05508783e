"""Population coverage from per-cell travel times.

All functions take flat arrays over the populated cells: ``population`` (people per
cell) and ``minutes`` (travel time to the nearest station; ``inf`` where no station
is reachable). A cell is covered at threshold T when ``minutes <= T``.

Figures per unit are in :mod:`coverage.metrics.units`, per station in
:mod:`coverage.metrics.catchments`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["coverage_figures"]


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
