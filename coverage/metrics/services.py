"""Coverage per service item: who reaches a station that handles a given service.

A station table may list the services each station handles in a ``services`` column,
either as a list per station or as text separated by commas, semicolons, the Chinese
enumeration comma or ``|`` (``"异地就医备案、医保关系转移"``). For each service item one
multi-source search runs from the stations offering it
(:class:`~coverage.metrics.subsets.SubsetSearch`), and the share of residents
within the threshold of such a station is that item's coverage.
"""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .subsets import SubsetSearch, reach_figures

__all__ = ["service_coverage", "service_items", "station_services"]

_SEPARATORS = re.compile(r"[,;，；、|\n]")


def service_items(value: Any) -> list[str]:
    """The service items of one station's ``services`` cell.

    Parameters
    ----------
    value : list, str or None
        A list (or tuple, set, array) of items, or text separated by ``,`` ``;`` ``，``
        ``；`` ``、`` ``|`` or new lines. Items are stripped; empty ones are dropped and
        repeats kept once.

    Returns
    -------
    list of str

    Examples
    --------
    >>> service_items("参保登记、 异地就医备案;;缴费")
    ['参保登记', '异地就医备案', '缴费']
    >>> service_items(["a", " b ", "a"])
    ['a', 'b']
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        parts: list[Any] = _SEPARATORS.split(value)
    elif isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
        parts = list(value)
    else:
        parts = [value]
    items = [str(p).strip() for p in parts if p is not None and str(p).strip()]
    return list(dict.fromkeys(items))


def station_services(stations: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Which stations offer each service item.

    Parameters
    ----------
    stations : geopandas.GeoDataFrame
        Station table, with or without a ``services`` column.

    Returns
    -------
    dict of str to numpy.ndarray
        Service item -> boolean mask over the stations, items in order of first
        appearance; empty without a ``services`` column.
    """
    if "services" not in stations.columns:
        return {}
    per_station = [service_items(v) for v in stations["services"].tolist()]
    items = list(dict.fromkeys(item for items in per_station for item in items))
    return {
        item: np.array([item in offered for offered in per_station], dtype=bool) for item in items
    }


def service_coverage(
    search: SubsetSearch,
    stations: gpd.GeoDataFrame,
    population: np.ndarray,
    threshold: float,
) -> pd.DataFrame:
    """Share of residents within ``threshold`` of a station offering each service item.

    Parameters
    ----------
    search : SubsetSearch
        The network and the access legs of the stations and demand points.
    stations : geopandas.GeoDataFrame
        Station table; its ``services`` column lists what each station handles.
    population : numpy.ndarray
        People per demand point.
    threshold : float
        Coverage threshold in minutes.

    Returns
    -------
    pandas.DataFrame
        One row per service item: ``service``, ``stations`` (how many offer it),
        ``population_covered``, ``coverage_share`` (of all residents),
        ``mean_minutes`` (population-weighted, residents who reach such a station;
        NaN if none) and ``unreachable_population``. Empty (with these columns) when no
        station lists services.
    """
    rows = []
    for item, offers in station_services(stations).items():
        minutes, _ = search.minutes(offers)
        figures = reach_figures(population, minutes, threshold)
        rows.append({"service": item, "stations": int(offers.sum()), **figures})
    columns = [
        "service",
        "stations",
        "population_covered",
        "coverage_share",
        "mean_minutes",
        "unreachable_population",
    ]
    return pd.DataFrame(rows, columns=columns)
