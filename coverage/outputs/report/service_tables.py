"""The report's tables of service in time and scope: windows, failing stations, home visits.

Kept apart from :mod:`.tables` (which adds them to :func:`~.tables.report_tables`, and
so to the workbook) and from :mod:`.service` (the page sections that show them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ...results import CoverageResult

__all__ = ["WINDOW_PREFIX", "group_column", "service_tables", "window_column"]

#: Unit-table columns of a time window: ``window_<name>_<figure>``.
WINDOW_PREFIX = "window_"

_WINDOW_COLUMNS = ["window", "hours", "stations_open", "population_covered", "coverage_share",
                   "mean_minutes", "unreachable_population"]  # fmt: skip
_RULE_COLUMNS = ["id", "name", "tier", "service_list", "service_handled", "service_required",
                 "service_share", "service_missing"]  # fmt: skip
_HOME_COLUMNS = ["rank", "place", "people", "mean_minutes", "max_minutes", "unreachable",
                 "nearest_station", "nearest_station_name", "lon", "lat"]  # fmt: skip


def window_column(column: str) -> tuple[str, str] | None:
    """``(window, figure)`` of a unit-table window column, else None.

    Examples
    --------
    >>> window_column("window_周六上午_coverage_share")
    ('周六上午', 'coverage_share')
    >>> window_column("coverage_share") is None
    True
    """
    if not column.startswith(WINDOW_PREFIX):
        return None
    for figure in ("coverage_share", "population_covered"):
        if column.endswith(f"_{figure}"):
            return column[len(WINDOW_PREFIX) : -len(figure) - 1], figure
    return None


def group_column(column: str) -> str | None:
    """The group of a window-table column ``group_<group>_coverage_share``, else None.

    Examples
    --------
    >>> group_column("group_age_65_plus_coverage_share")
    'age_65_plus'
    """
    prefix, suffix = "group_", "_coverage_share"
    if column.startswith(prefix) and column.endswith(suffix) and len(column) > 21:
        return column[len(prefix) : -len(suffix)]
    return None


def service_tables(result: CoverageResult) -> dict[str, pd.DataFrame]:
    """``windows``, ``windows_by_<level>``, ``service_rules`` and ``home_service`` tables.

    Parameters
    ----------
    result : CoverageResult
        The result.

    Returns
    -------
    dict of str to pandas.DataFrame
        Only the tables the result has: coverage per time window, and per unit of each
        level (the unit's share within the threshold in each window); the stations that
        fail their service-item rule, with the items they miss; the home-service list.
    """
    tables: dict[str, pd.DataFrame] = {}
    windows = getattr(result, "windows", None)
    if isinstance(windows, pd.DataFrame) and not windows.empty:
        groups = [c for c in windows.columns if group_column(c) is not None]
        tables["windows"] = windows[[c for c in _WINDOW_COLUMNS if c in windows.columns] + groups]
        for level, table in result.units.items():
            shares = [c for c in table if (window_column(c) or ("", ""))[1] == "coverage_share"]
            if shares:
                tables[f"windows_by_{level}"] = table[["unit", "population", "coverage_share",
                                                       *shares]]  # fmt: skip
    stations = result.stations
    if "service_rule_pass" in stations.columns:
        verdict = stations["service_rule_pass"]
        failing = verdict.notna() & ~verdict.fillna(True).astype(bool)
        frame = pd.DataFrame(stations.loc[failing, [c for c in _RULE_COLUMNS if c in stations]])
        tables["service_rules"] = frame.reset_index(drop=True)
    home = getattr(result, "home_service", None)
    if home is not None:
        tables["home_service"] = pd.DataFrame(home[[c for c in _HOME_COLUMNS if c in home]])
    return tables
