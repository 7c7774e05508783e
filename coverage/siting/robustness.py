"""What if a station closed: coverage after closures and each station's criticality.

Both come from the stations' own coverage sets
(:func:`~coverage.siting.coverage_sets.site_coverage`): a resident loses access
within the threshold when a station closes exactly when that station is the only
one reaching them, so the figures are exact (no re-routing approximation).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["coverage_without", "station_criticality"]


def _counts(station_sets: sp.csr_matrix) -> np.ndarray:
    """Number of stations reaching each demand point."""
    csr = sp.csr_matrix(station_sets)
    return np.bincount(csr.indices, minlength=csr.shape[1])


def station_criticality(
    station_sets: sp.spmatrix, population: np.ndarray, *, ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """People who would lose access within the threshold if each station closed alone.

    Parameters
    ----------
    station_sets : scipy.sparse matrix
        ``(stations, demand points)`` coverage of the existing stations.
    population : numpy.ndarray
        People per demand point.
    ids : sequence of str, optional
        Station ids (default ``0 .. n-1``).

    Returns
    -------
    pandas.DataFrame
        One row per station, in input order: ``id``, ``population_reached`` (within
        the threshold), ``population_critical`` (reached by no other station) and
        ``critical_share`` of those it reaches.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> sets = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1]]))
    >>> station_criticality(sets, np.array([10.0, 20.0, 30.0]))["population_critical"].tolist()
    [10.0, 30.0]
    """
    csr = sp.csr_matrix(station_sets)
    pop = np.asarray(population, dtype=np.float64)
    sole = _counts(csr) == 1
    row = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    reached = np.bincount(row, weights=pop[csr.indices], minlength=csr.shape[0])
    critical = np.bincount(
        row, weights=np.where(sole[csr.indices], pop[csr.indices], 0.0), minlength=csr.shape[0]
    )
    share = np.divide(critical, reached, out=np.zeros_like(critical), where=reached > 0)
    return pd.DataFrame(
        {
            "id": list(ids) if ids is not None else [str(i) for i in range(csr.shape[0])],
            "population_reached": reached,
            "population_critical": critical,
            "critical_share": share,
        }
    )


def coverage_without(
    station_sets: sp.spmatrix, population: np.ndarray, closed: Sequence[int]
) -> float:
    """People still reached within the threshold after closing some stations.

    Parameters
    ----------
    station_sets : scipy.sparse matrix
        ``(stations, demand points)`` coverage of the existing stations.
    population : numpy.ndarray
        People per demand point.
    closed : sequence of int
        Indices of the stations that close.

    Returns
    -------
    float
        Population reached by at least one station left open.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> sets = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1]]))
    >>> coverage_without(sets, np.array([10.0, 20.0, 30.0]), [0])
    50.0
    """
    csr = sp.csr_matrix(station_sets)
    keep = np.ones(csr.shape[0], dtype=bool)
    keep[np.asarray(list(closed), dtype=np.int64)] = False
    reached = _counts(csr[keep]) > 0
    return float(np.asarray(population, dtype=np.float64)[reached].sum())
