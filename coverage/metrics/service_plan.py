"""Service in time and in scope: the figures of opening hours, item rules and home visits.

One call after the engine has run (:func:`service_plan`) turns the settings of
:class:`ServiceOptions` into the columns, tables and summary keys of a result:

- coverage in each time window (:mod:`.windows`): ``open_<window>`` per station,
  ``window_<window>_population_covered`` / ``window_<window>_coverage_share`` per
  unit, ``coverage_by_window`` in the summary (with each population group's figures);
- the service-item rules (:mod:`.service_rules`): ``service_list``,
  ``service_share``, ``service_rule_pass`` ... per station, ``service_rules`` in the
  summary;
- the home-service list (:mod:`.home_service`) of a population group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ..inputs.population import Demand
from .home_service import home_service_list
from .service_rules import ServiceRule, check_rule_lists, station_service_rules
from .subsets import SubsetSearch, reach_figures
from .units import unit_figures
from .windows import HOURS_DEFAULTS, stations_open, window_coverage

__all__ = ["HomeService", "ServiceOptions", "ServicePlan", "service_plan"]


@dataclass(frozen=True)
class HomeService:
    """Whose home visits to plan: a population group, placed in units of one level.

    Attributes
    ----------
    group : str
        A group of the population (``population: {groups: {...}}``), or
        ``"population"`` for every resident.
    level : str or None
        The unit level to place them in (default: the level with the most units).
    """

    group: str
    level: str | None = None


@dataclass(frozen=True)
class ServiceOptions:
    """Opening hours, service-item rules and home service settings of a run.

    Attributes
    ----------
    time_windows : dict of str to str
        Window name -> hours in OSM syntax (or a Chinese form), e.g.
        ``{"周六上午": "Sa 09:00-11:00"}``.
    hours_default : {"open", "closed"}
        A station without hours is always open, or never.
    service_lists : dict of str to tuple of str
        List name -> its service items.
    service_rules : tuple of ServiceRule
        The item rule of each tier.
    home_service : HomeService or None
        The group whose uncovered homes are listed.
    """

    time_windows: dict[str, str] = field(default_factory=dict)
    hours_default: str = "open"
    service_lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    service_rules: tuple[ServiceRule, ...] = ()
    home_service: HomeService | None = None

    def __post_init__(self) -> None:
        if self.hours_default not in HOURS_DEFAULTS:
            raise InputError(
                f"hours_default must be 'open' or 'closed', got {self.hours_default!r}"
            )
        try:
            check_rule_lists(self.service_rules, self.service_lists, source="service_rules")
        except ValueError as exc:
            raise InputError(str(exc)) from None


@dataclass(frozen=True)
class ServicePlan:
    """What :func:`service_plan` adds to a result.

    Attributes
    ----------
    windows : pandas.DataFrame
        Coverage per time window (:func:`~coverage.metrics.windows.window_coverage`),
        with ``group_<group>_coverage_share`` for each population group.
    window_minutes : dict of str to numpy.ndarray
        Window -> minutes per demand point to the nearest station open in it.
    station_columns : pandas.DataFrame
        Columns for the station table (index of the station table).
    unit_columns : dict of str to pandas.DataFrame
        Level -> columns for that unit table (one row per unit, in order).
    home_service : geopandas.GeoDataFrame or None
        The home-service list (:func:`~coverage.metrics.home_service.home_service_list`).
    summary : dict
        ``coverage_by_window``, ``hours_default``, ``service_rules``, ``home_service``.
    """

    windows: pd.DataFrame
    window_minutes: dict[str, np.ndarray]
    station_columns: pd.DataFrame
    unit_columns: dict[str, pd.DataFrame]
    home_service: gpd.GeoDataFrame | None
    summary: dict[str, Any]


def _hours(stations: pd.DataFrame) -> list[str | None]:
    if "hours" not in stations.columns:
        return [None] * len(stations)
    from ..inputs.hours import station_hours

    return station_hours(
        stations["hours"].tolist(),
        source=str(stations.attrs.get("source", "stations")),
        rows=stations.attrs.get("file_rows"),
        ids=stations["id"].tolist() if "id" in stations.columns else None,
    )


def _home_level(
    points_in: Mapping[str, tuple[np.ndarray, Sequence[str]]], wanted: str | None
) -> str | None:
    if wanted is not None:
        if wanted not in points_in:
            known = ", ".join(points_in) or "none"
            raise InputError(
                f"home_service: level {wanted!r} has no units (levels: {known}); name one of "
                "the levels of boundaries"
            )
        return wanted
    if not points_in:
        return None
    return max(points_in, key=lambda level: len(points_in[level][1]))


def service_plan(
    search: SubsetSearch,
    stations: pd.DataFrame,
    demand: Demand,
    point_minutes: np.ndarray,
    point_station: np.ndarray,
    threshold: float,
    points_in: Mapping[str, tuple[np.ndarray, Sequence[str]]],
    options: ServiceOptions,
    group_times: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    group_search: Mapping[str, SubsetSearch] | None = None,
) -> ServicePlan:
    """Coverage per time window, the service-item verdicts and the home-service list.

    Parameters
    ----------
    search : SubsetSearch
        The network and the access legs of the stations and demand points.
    stations : pandas.DataFrame
        The station table (``id``, ``name``, ``tier``, and ``hours`` / ``services``
        when given).
    demand : Demand
        The demand points.
    point_minutes, point_station : numpy.ndarray
        The run's minutes and nearest station per demand point (every station open).
    threshold : float
        Headline threshold in minutes.
    points_in : mapping
        Level -> ``(unit_of_point, unit_names)``.
    options : ServiceOptions
        What to compute.
    group_times : mapping, optional
        Group -> (minutes, nearest station) per point for groups timed at their own
        speeds (``group_speed_factor``); the home-service list of such a group uses them.
    group_search : mapping, optional
        Group -> search at that group's own speed (:func:`.subsets.group_searches`),
        for its figures in each time window; a group timed at its own speed without
        one is left out of the window figures.

    Returns
    -------
    ServicePlan

    Raises
    ------
    InputError
        On unreadable station hours (naming the row), a rule without a ``services``
        column, or a home-service group or level the run does not have.
    """
    station_columns = pd.DataFrame(index=stations.index)
    unit_columns: dict[str, pd.DataFrame] = {
        level: pd.DataFrame(index=range(len(names))) for level, (_, names) in points_in.items()
    }
    summary: dict[str, Any] = {}
    windows = pd.DataFrame()
    window_minutes: dict[str, np.ndarray] = {}
    if options.time_windows:
        masks = stations_open(
            _hours(stations), options.time_windows, hours_default=options.hours_default
        )
        windows, window_minutes, _ = window_coverage(
            search,
            masks,
            options.time_windows,
            demand.population,
            threshold,
            all_open=(point_minutes, point_station),
        )
        for name, mask in masks.items():
            station_columns[f"open_{name}"] = mask
        for level, (unit_of_point, names) in points_in.items():
            for name, minutes in window_minutes.items():
                per_unit = unit_figures(
                    unit_of_point, list(names), demand.population, minutes, threshold
                )
                for col in ("population_covered", "coverage_share"):
                    unit_columns[level][f"window_{name}_{col}"] = per_unit[col].to_numpy()
        summary["hours_default"] = options.hours_default
        summary["coverage_by_window"] = {
            row["window"]: {
                k: _plain(v) for k, v in row.items() if k != "window" and not k.startswith("group_")
            }
            for row in windows.to_dict(orient="records")
        }
        # each group's figures in each window (e.g. residents aged 65+ on Saturday)
        by_group = _group_window_minutes(
            demand, point_minutes, masks, window_minutes, group_times or {}, group_search or {}
        )
        for group, minutes_of in by_group.items():
            values = demand.groups[group]
            figures = {w: reach_figures(values, m, threshold) for w, m in minutes_of.items()}
            windows[f"group_{group}_coverage_share"] = [
                figures[w]["coverage_share"] for w in windows["window"]
            ]
            for w, f in figures.items():
                summary["coverage_by_window"][w].setdefault("groups", {})[group] = {
                    k: _plain(f[k]) for k in ("population_covered", "coverage_share")
                }
        for name in window_minutes:
            summary["coverage_by_window"][name].setdefault("groups", {})
    if options.service_rules:
        if "services" not in stations.columns:
            raise InputError(
                f"{stations.attrs.get('source', 'stations')}: service_rules need the items each "
                "station handles; add a services (服务事项) column to the station table"
            )
        verdicts = station_service_rules(stations, options.service_lists, options.service_rules)
        station_columns = station_columns.join(verdicts)
        ruled = verdicts["service_rule_pass"].notna()
        failing = ruled & ~verdicts["service_rule_pass"].fillna(True)
        summary["service_rules"] = {
            "stations_with_rule": int(ruled.sum()),
            "stations_passing": int((ruled & ~failing).sum()),
            "stations_failing": [str(s) for s in stations.loc[failing, "id"]],
        }
    home = None
    if options.home_service is not None:
        group = options.home_service.group
        if group != "population" and group not in demand.groups:
            known = ", ".join(["population", *demand.groups])
            raise InputError(
                f"home_service: the population has no group {group!r} (groups: {known}); add "
                "it under population: {groups: ...} or name one of these"
            )
        home_level = _home_level(points_in, options.home_service.level)
        own_minutes, own_station = (group_times or {}).get(group, (point_minutes, point_station))
        home = home_service_list(
            demand,
            group,
            own_minutes,
            own_station,
            threshold,
            units=None if home_level is None else points_in[home_level],
            station_ids=stations["id"].tolist(),
            station_names=stations["name"].tolist(),
        )
        summary["home_service"] = {
            "group": group,
            "level": home_level,
            "places": len(home),
            "people": float(home["people"].sum()),
        }
    return ServicePlan(
        windows=windows,
        window_minutes=window_minutes,
        station_columns=station_columns,
        unit_columns=unit_columns,
        home_service=home,
        summary=summary,
    )


def _plain(value: Any) -> Any:
    """A JSON-ready value (NaN -> None, numpy -> Python)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _group_window_minutes(
    demand: Demand,
    point_minutes: np.ndarray,
    masks: Mapping[str, np.ndarray],
    window_minutes: Mapping[str, np.ndarray],
    group_times: Mapping[str, tuple[np.ndarray, np.ndarray]],
    group_search: Mapping[str, SubsetSearch],
) -> dict[str, dict[str, np.ndarray]]:
    """Group -> window -> minutes per point, at the group's own speed where it has one.

    A group at everyone's speed takes the windows' own searches; a slower group one
    search per window from its own search (its own times where every station is open);
    a slower group without a search is left out rather than given everyone's times.
    """
    out: dict[str, dict[str, np.ndarray]] = {}
    for group in demand.groups:
        own = group_times.get(group)
        if own is None or np.array_equal(own[0], point_minutes):
            out[group] = dict(window_minutes)
        elif group in group_search:
            search = group_search[group]
            out[group] = {
                w: own[0] if mask.all() else search.minutes(mask)[0] for w, mask in masks.items()
            }
    return out
