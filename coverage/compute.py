"""Coverage from objects in memory: network, stations, population and an access model.

:func:`compute_coverage` takes objects, never a configuration or a file, and returns
a :class:`~coverage.results.CoverageResult`; :func:`assemble_result` turns a computed
engine state into figures and tables (also used by the what-if updates). Reading a
configuration's inputs is :mod:`coverage.pipeline`; writing a result's folder is
:mod:`coverage.outputs.write`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from . import __version__
from .engine.access import AccessModel
from .engine.demand import snap_demand
from .engine.groups import group_point_seconds
from .engine.whatif import EngineState, engine_state
from .errors import InputError
from .inputs.network import Network
from .inputs.population import Demand, PopulationGrid, demand_from_grid
from .inputs.terrain import Dem
from .metrics.catchments import staffing_table, station_figures, tier_catchments
from .metrics.coverage import coverage_figures
from .metrics.duplicates import duplicate_stations
from .metrics.gaps import gap_areas
from .metrics.membership import units_of_demand
from .metrics.options import MetricOptions
from .metrics.service_plan import service_plan
from .metrics.services import service_coverage
from .metrics.subsets import SubsetSearch, group_searches
from .metrics.targets import target_verdicts
from .metrics.units import level_summary, unit_figures
from .results import CoverageResult

__all__ = ["assemble_result", "compute_coverage", "read_terrain"]

#: Keyword arguments of the first API, before the access model; still accepted with a
#: DeprecationWarning and turned into an AccessModel / MetricOptions.
_LEGACY_ACCESS = (
    "minutes",
    "access_speed_kmh",
    "max_access_m",
    "snap_to",
    "dem",
    "barrier",
    "link_steps",
    "group_speed_factor",
)
_LEGACY_METRICS = (
    "unit_covered_share",
    "targets",
    "catchment_by_tier",
    "staffing",
    "gap_min_population",
    "duplicate_m",
    "service",
)


def compute_coverage(
    network: Network,
    stations: gpd.GeoDataFrame,
    population: PopulationGrid | Demand,
    access: AccessModel | None = None,
    *,
    units: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame] | None = None,
    options: MetricOptions | None = None,
    name: str = "region",
    progress: bool = False,
    **legacy: Any,
) -> CoverageResult:
    """Travel time from every resident to the nearest station, and the coverage it gives.

    Parameters
    ----------
    network : Network
        Weighted road network (:func:`~coverage.load_network`), of ``access.mode``.
    stations : geopandas.GeoDataFrame
        Station points (:func:`~coverage.read_stations`); any CRS.
    population : PopulationGrid or Demand
        People per cell (:func:`~coverage.read_population`) or demand points.
    access : AccessModel, optional
        How journeys are timed: thresholds, access legs, linking rule, terrain
        (:class:`~coverage.engine.access.AccessModel`; default: walking, 15 minutes,
        the network's own mode).
    units : geopandas.GeoDataFrame or dict of them, optional
        Unit polygons with a ``unit`` column (:func:`~coverage.read_boundaries`), or
        one such frame per level (e.g. ``{"township": ..., "village": ...}``). A point
        (cell centre) counts in the unit containing it.
    options : MetricOptions, optional
        Unit verdicts, targets, catchments, staffing and gaps
        (:class:`~coverage.metrics.options.MetricOptions`).
    name : str
        Name of the region.
    progress : bool
        Show progress bars.
    **legacy
        The keyword arguments of the first API (``minutes``, ``access_speed_kmh``,
        ``max_access_m``, ``snap_to``, ``dem``, ``barrier``, ``link_steps``,
        ``group_speed_factor``, ``unit_covered_share``, ``targets``,
        ``catchment_by_tier``, ``staffing``, ``gap_min_population``, ``duplicate_m``,
        ``service``): deprecated, turned into ``access`` and ``options`` with a warning.

    Returns
    -------
    CoverageResult

    Raises
    ------
    InputError
        If a target names a unit level without units, a ``staff`` cell is not a number,
        a station lies outside the network's area (beyond ``max_access_m``), or the
        population does not overlap the network.

    Examples
    --------
    >>> import coverage
    >>> from coverage.engine.access import AccessModel
    >>> demo = coverage.prepare_demo()  # doctest: +SKIP
    >>> access = AccessModel(mode="walk", minutes=(5, 10, 15))
    >>> result = coverage.compute_coverage(  # doctest: +SKIP
    ...     demo.network, demo.stations, demo.population, access
    ... )
    """
    access, options = _from_legacy(network, access, options, legacy)
    if access.mode != network.mode:
        raise InputError(
            f"the access model is for {access.mode!r} but the network was weighted for "
            f"{network.mode!r}; load the network with mode={access.mode!r}"
        )
    demand = demand_from_grid(population) if isinstance(population, PopulationGrid) else population
    if stations.crs is None:
        raise InputError("stations: the station table has no CRS; read it with read_stations")

    steps = tqdm(total=4, desc="engine", unit="step", disable=not progress, leave=False)
    with steps:
        steps.set_postfix_str("snapping stations")
        pts = stations.to_crs(network.crs).geometry
        sx, sy = pts.x.to_numpy(), pts.y.to_numpy()
        _check_station_extent(stations, sx, sy, network, access.max_access_m)
        index = access.road_index(network)  # built once, kept in the engine state
        station_snap = access.snap(network, sx, sy, direction="to_point", index=index)
        steps.update()
        steps.set_postfix_str("population")
        point_snap = snap_demand(
            demand,
            network.crs,
            lambda x, y: access.snap(network, x, y, direction="from_point", index=index),
        )
        pop = demand.population
        if pop.sum() > 0 and not (np.isfinite(point_snap.nearest_m) & (pop > 0)).any():
            raise InputError(
                f"{demand.source or 'population'}: no populated place lies within "
                f"{access.max_access_m:,.0f} m of the road network of "
                f"{network.source or 'the network'}; the population and the network cover "
                "different areas, use data of the same region"
            )
        steps.update()
        steps.set_postfix_str("shortest paths")
        state = engine_state(network, station_snap, point_snap, access, index=index)
        group_seconds = group_point_seconds(state, access.group_speed_factor, demand.groups)
        steps.update()
        steps.set_postfix_str("figures")
        levels: dict[str, gpd.GeoDataFrame] = {}
        if isinstance(units, gpd.GeoDataFrame):
            levels = {"unit": units}
        elif units is not None:
            levels = dict(units)
        result = assemble_result(
            state,
            stations,
            demand,
            levels,
            name=name,
            options=options,
            group_minutes={g: (secs / 60.0, st) for g, (secs, st) in group_seconds.items()},
        )
        steps.update()
    return result


def _from_legacy(
    network: Network,
    access: AccessModel | None,
    options: MetricOptions | None,
    legacy: Mapping[str, Any],
) -> tuple[AccessModel, MetricOptions]:
    """The access model and metric options, from the deprecated keywords where given."""
    unknown = sorted(set(legacy) - set(_LEGACY_ACCESS) - set(_LEGACY_METRICS))
    if unknown:
        raise TypeError(f"compute_coverage() got unexpected keyword arguments: {unknown}")
    old_access = {k: legacy[k] for k in _LEGACY_ACCESS if k in legacy}
    old_metrics = {k: legacy[k] for k in _LEGACY_METRICS if k in legacy}
    if old_access and access is not None:
        raise TypeError(f"give either access or {sorted(old_access)}, not both")
    if old_metrics and options is not None:
        raise TypeError(f"give either options or {sorted(old_metrics)}, not both")
    if old_access or old_metrics:
        warnings.warn(
            "compute_coverage: the keywords "
            f"{', '.join(sorted({**old_access, **old_metrics}))} are deprecated; pass "
            "access=AccessModel(...) and options=MetricOptions(...) instead",
            DeprecationWarning,
            stacklevel=3,
        )
    if access is None:
        dem = old_access.pop("dem", None)
        if "minutes" in old_access:
            old_access["minutes"] = tuple(old_access["minutes"])
        if old_access.get("group_speed_factor") is None:
            old_access.pop("group_speed_factor", None)
        access = AccessModel(
            mode=network.mode,
            terrain=None if dem is None else read_terrain(network, dem),
            **old_access,
        )
    if options is None:
        options = MetricOptions(**old_metrics)
    return access, options


def read_terrain(network: Network, dem: str | os.PathLike[str] | Dem | None) -> Dem | None:
    """The DEM over a network's extent (with a margin), for the access model's legs.

    Parameters
    ----------
    network : Network
        The road network (its lon/lat extent is read).
    dem : path-like, Dem or None
        A DEM file (any CRS) or one already read; None gives None (flat ground).

    Returns
    -------
    Dem or None
    """
    if dem is None or isinstance(dem, Dem):
        return dem
    from .inputs.terrain import read_dem

    return read_dem(
        dem,
        lonlat_bounds=(
            float(network.lon.min()),
            float(network.lat.min()),
            float(network.lon.max()),
            float(network.lat.max()),
        ),
        margin_pixels=200,
    )


def _check_station_extent(
    stations: gpd.GeoDataFrame, sx: np.ndarray, sy: np.ndarray, network: Network, margin_m: float
) -> None:
    xmin, xmax = network.x.min() - margin_m, network.x.max() + margin_m
    ymin, ymax = network.y.min() - margin_m, network.y.max() + margin_m
    outside = ~((sx >= xmin) & (sx <= xmax) & (sy >= ymin) & (sy <= ymax))
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        dx = max(xmin - sx[i], 0.0, sx[i] - xmax)
        dy = max(ymin - sy[i], 0.0, sy[i] - ymax)
        far = np.hypot(dx, dy) / 1000
        how_far = f"{far:,.1f} km" if np.isfinite(far) else "far"
        source = stations.attrs.get("source", "stations")
        pt = stations.to_crs("EPSG:4326").geometry.iloc[i]
        more = f" (and {int(outside.sum()) - 1} more)" if outside.sum() > 1 else ""
        swapped = (
            network.lon.min() <= pt.y <= network.lon.max()
            and network.lat.min() <= pt.x <= network.lat.max()
        )
        fix = (
            "its latitude and longitude look swapped: exchange the two columns"
            if swapped
            else "check its coordinates and stations_crs, or use a network extract that covers it"
        )
        raise InputError(
            f"{source}: station {stations['id'].iloc[i]!r} (row {i + 2}) at lon {pt.x:.5f}, "
            f"lat {pt.y:.5f} lies {how_far} outside the road network "
            f"of {network.source or 'the network'}{more}; {fix}"
        )


def _behind_water(state: EngineState, demand: Demand, cut_off: np.ndarray) -> float:
    """Residents joined to no road who have one within ``max_access_m`` across water."""
    access = state.access
    if access.barrier is None or not cut_off.any():
        return 0.0
    from .inputs.crs import transform_xy

    x, y = transform_xy(demand.x[cut_off], demand.y[cut_off], demand.crs, state.network.crs)
    d, _ = state.index.access_tree.query(
        np.column_stack([x, y]), k=1, distance_upper_bound=access.max_access_m
    )
    return float(np.asarray(demand.population)[cut_off][np.isfinite(d)].sum())


def assemble_result(
    state: EngineState,
    stations: gpd.GeoDataFrame,
    demand: Demand,
    levels: Mapping[str, gpd.GeoDataFrame],
    *,
    name: str,
    options: MetricOptions | None = None,
    extra: Mapping[str, Any] | None = None,
    input_columns: Sequence[str] | None = None,
    group_minutes: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    unit_of_point: Mapping[str, np.ndarray] | None = None,
) -> CoverageResult:
    """Figures, tables and the result of a computed engine state.

    Used by :func:`compute_coverage` and by the what-if functions of
    :mod:`coverage.whatif`, which change the state and rebuild the figures.

    Parameters
    ----------
    state : EngineState
        Snaps and travel times of stations and demand points.
    stations : geopandas.GeoDataFrame
        The stations, one row per station of the state, in the same order.
    demand : Demand
        The demand points of the state.
    levels : mapping of str to geopandas.GeoDataFrame
        Unit polygons per level (may be empty).
    name : str
        Name of the region.
    options : MetricOptions, optional
        Metric settings (defaults if None).
    extra : mapping, optional
        More summary keys.
    input_columns : sequence of str, optional
        The columns of the station table as given (default: all of ``stations``);
        what-if updates rebuild the table from them.
    group_minutes : mapping, optional
        Group -> (minutes, station) per point at the group's own speed
        (``group_speed_factor``); other groups use everyone's times.
    unit_of_point : mapping, optional
        Level -> unit index of each demand point, as a previous result of the same
        demand and units holds it (``CoverageResult.unit_of_point``); what-if updates
        pass it so the points are not placed in their units again.

    Returns
    -------
    CoverageResult
    """
    options = options or MetricOptions()
    access = state.access
    unit_covered_share = options.unit_covered_share
    targets = options.targets
    catchment_by_tier = options.catchment_by_tier
    staffing = options.staffing
    gap_min_population = options.gap_min_population
    network = state.network
    station_snap, point_snap = state.station_snap, state.point_snap
    access_speed_kmh = access.access_speed_kmh
    max_access_m = access.max_access_m
    seconds, nearest = state.point_seconds, state.point_station
    thresholds = access.minutes
    headline = access.headline_minutes
    pop = demand.population
    point_minutes = seconds / 60.0
    figures = coverage_figures(pop, point_minutes, thresholds)
    own = {g: (group_minutes or {}).get(g, (point_minutes, nearest)) for g in demand.groups}
    own_minutes = {g: minutes for g, (minutes, _) in own.items()}
    groups = {
        group: coverage_figures(values, own_minutes[group], thresholds)
        for group, values in demand.groups.items()
    }

    reachable = np.isfinite(station_snap.nearest_m)
    if not reachable.all():
        bad = stations["id"].to_numpy()[~reachable]
        warnings.warn(
            f"{len(bad)} station(s) lie more than {max_access_m:,.0f} m from any road and "
            f"reach no one: {', '.join(map(str, bad[:5]))}",
            stacklevel=3,
        )
    table = stations.copy()
    wgs = stations.to_crs("EPSG:4326").geometry
    table["lon"] = wgs.x.to_numpy()
    table["lat"] = wgs.y.to_numpy()
    table["snap_distance_m"] = np.where(reachable, station_snap.nearest_m, np.nan)
    duplicates = duplicate_stations(stations, within_m=options.duplicate_m)
    table["duplicate_of"] = duplicates["duplicate_of"]
    table["reachable"] = reachable
    table = table.join(station_figures(stations, nearest, pop, point_minutes, headline))
    tier_station: dict[str, np.ndarray] = {}
    tier_minutes: dict[str, np.ndarray] = {}
    served = table["catchment_population"].to_numpy()
    search = SubsetSearch(
        network, station_snap, point_snap, access_speed_kmh, reverse=state.index.reverse
    )
    if catchment_by_tier:
        by_tier, tier_station, tier_minutes = tier_catchments(search, stations, pop, headline)
        table = table.join(by_tier)
        served = table["tier_catchment_population"].to_numpy()
    table = table.join(
        staffing_table(stations, served, rules=staffing, duplicate_of=duplicates["duplicate_of"])
    )
    services = service_coverage(search, stations, pop, headline)

    unit_tables: dict[str, pd.DataFrame] = {}
    unit_polygons: dict[str, gpd.GeoDataFrame] = {}
    points_in: dict[str, tuple[np.ndarray, list[str]]] = {}
    for level, polygons in levels.items():
        polygons = polygons.reset_index(drop=True)
        in_unit = (unit_of_point or {}).get(level)
        if in_unit is None or len(in_unit) != len(demand):
            in_unit = units_of_demand(polygons, demand)
        if (in_unit < 0).all():
            raise InputError(
                f"{polygons.attrs.get('source', 'boundaries')}: no population lies inside "
                f"any '{level}' unit; the boundaries and the population cover different "
                "areas (check the file and its CRS)"
            )
        unit_polygons[level] = polygons
        points_in[level] = (in_unit, polygons["unit"].tolist())
        unit_tables[level] = unit_figures(
            in_unit,
            polygons["unit"].tolist(),
            pop,
            point_minutes,
            headline,
            station_of_cell=nearest,
            station_ids=stations["id"].tolist(),
            station_names=stations["name"].tolist(),
            covered_share=unit_covered_share,
        )
        above = levels[level].attrs.get("parent_level")
        if above is not None and "parent" in polygons:  # the village's township
            unit_tables[level].insert(1, str(above), polygons["parent"].to_numpy())
        for group, values in demand.groups.items():  # e.g. age_65_plus_population
            per_group = unit_figures(
                in_unit, polygons["unit"].tolist(), values, own_minutes[group], headline
            )
            for col in ("population", "population_covered", "coverage_share"):
                unit_tables[level][f"{group}_{col}"] = per_group[col].to_numpy()
    plan = service_plan(
        search,
        stations,
        demand,
        point_minutes,
        nearest,
        headline,
        points_in,
        options.service,
        group_times=own,
        group_search=group_searches(state, list(demand.groups))
        if options.service.time_windows and group_minutes
        else None,
    )
    table = table.join(plan.station_columns)
    for level, columns in plan.unit_columns.items():
        for col in columns.columns:
            unit_tables[level][col] = columns[col].to_numpy()
    unit_levels = {
        level: level_summary(t, covered_share=unit_covered_share)
        for level, t in unit_tables.items()
    }
    verdicts = target_verdicts(unit_levels, targets)
    gaps = (
        gap_areas(
            demand, point_minutes, headline, units=points_in, min_population=gap_min_population
        )
        if demand.grid is not None
        else None
    )

    covered = figures["covered_by_minutes"]
    shares = figures["coverage_by_minutes"]
    key = f"{headline:g}"
    cut_off = ~np.isfinite(point_snap.nearest_m)
    too_far = float(pop[cut_off].sum())
    behind_water = _behind_water(state, demand, cut_off)
    summary: dict[str, Any] = {
        "name": name,
        "mode": network.mode,
        "minutes": headline,
        "thresholds": list(thresholds),
        "population_total": figures["population_total"],
        "population_covered": covered[key],  # type: ignore[index]
        "coverage_share": shares[key],  # type: ignore[index]
        "coverage_by_minutes": shares,
        "population_by_minutes": covered,
        "mean_minutes": figures["mean_minutes"],
        "unreachable_population": figures["unreachable_population"],
        # unreachable = too far from any road (beyond max_access_m) + on a road that
        # leads to no station (a disconnected part of the network, or one-way traps)
        "population_beyond_network_reach": too_far,
        # of them, those with a road within max_access_m, but only across water
        "population_beyond_network_reach_by_water": behind_water,
        "unreachable_too_far_from_roads": too_far,
        "unreachable_no_station_reachable": float(figures["unreachable_population"]) - too_far,  # type: ignore[arg-type]
        "stations": len(stations),
        "stations_duplicate": int(duplicates["duplicate_of"].notna().sum()),
        "stations_unreachable": int((~reachable).sum()),
        "groups": groups,
        "network_nodes": network.n_nodes,
        "network_edges": network.n_edges,
        "metric_crs": network.crs.to_string(),
        "access_speed_kmh": access_speed_kmh,
        "max_access_m": max_access_m,
        "snap_to": access.snap_to,
        "terrain": access.terrain is not None,
        "group_speed_factor": dict(access.group_speed_factor),
        "units_by_level": unit_levels,
        "targets": _records(verdicts),
        "catchment_by_tier": catchment_by_tier,
        "services": _records(services),
        "gaps": None
        if gaps is None
        else {"areas": len(gaps), "population": float(gaps["population"].sum())},
        **plan.summary,
        **dict(extra or {}),
        "coverage15_version": __version__,
    }
    return CoverageResult(
        name=name,
        summary=summary,
        stations=table,
        units=unit_tables,
        unit_polygons=unit_polygons,
        demand=demand,
        point_minutes=point_minutes,
        point_station=nearest,
        network=network,
        thresholds=thresholds,
        targets=verdicts,
        services=services,
        gaps=gaps,
        windows=plan.windows,
        home_service=plan.home_service,
        tier_point_station=tier_station,
        tier_point_minutes=tier_minutes,
        engine=state,
        metric_options=options,
        station_input_columns=tuple(stations.columns if input_columns is None else input_columns),
        unit_of_point={level: points_in[level][0] for level in points_in},
    )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a small table as JSON-ready dicts (NaN -> None, numpy -> Python)."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append(
            {
                k: None
                if isinstance(v, float) and not np.isfinite(v)
                else (v.item() if isinstance(v, np.generic) else v)
                for k, v in row.items()
            }
        )
    return out
