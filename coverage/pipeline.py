"""The main job: inputs -> network -> engine -> metrics, as plain functions.

:func:`compute_coverage` works on objects already in memory (for notebooks);
:func:`run_coverage` reads everything a configuration names and calls it;
:func:`write_outputs` writes a result's files atomically.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.windows
import shapely
from tqdm.auto import tqdm

from . import __version__
from .config import RunConfig
from .engine.barriers import WaterMask, barrier_for_network
from .engine.groups import group_point_seconds
from .engine.snapping import Snap, snap_points
from .engine.whatif import EngineState, engine_state
from .errors import InputError
from .inputs.crs import transform_xy
from .inputs.network import Network
from .inputs.population import Demand, PopulationGrid, demand_from_grid
from .inputs.read import InputData, read_inputs
from .inputs.terrain import Dem
from .metrics.catchments import (
    DEFAULT_STAFF_RULES,
    StaffRule,
    staffing_table,
    station_figures,
    tier_catchments,
)
from .metrics.coverage import coverage_figures
from .metrics.duplicates import DEFAULT_DUPLICATE_M, duplicate_stations
from .metrics.gaps import gap_areas
from .metrics.left_out import left_out, warn_left_out
from .metrics.official_totals import TotalsScaling, scale_to_totals, totals_columns, warn_totals
from .metrics.service_plan import ServiceOptions, service_plan
from .metrics.services import service_coverage
from .metrics.subsets import SubsetSearch
from .metrics.targets import Target, target_verdicts
from .metrics.units import DEFAULT_UNIT_COVERED_SHARE, level_summary, unit_figures
from .results import CoverageResult

__all__ = [
    "assemble_result",
    "compute_coverage",
    "run_coverage",
    "run_coverage_modes",
    "write_mode_outputs",
    "write_outputs",
]

#: Road nodes a point may join (see :mod:`coverage.engine.snapping`). One: the nearest,
#: as the access model documents; more would let access legs cut across city blocks.
SNAP_CANDIDATES = 1


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


def _units_of_points(
    units: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray, crs: object
) -> np.ndarray:
    """Index of the unit containing each point (-1: none; the first unit wins on overlaps)."""
    polys = units.to_crs(crs).geometry.to_numpy()
    # a tree of the points queried with each polygon: shapely prepares each (large,
    # detailed) polygon once, instead of testing every point against the raw polygon
    # (20x faster on island coastlines); "contains" is "within" seen from the polygon
    tree = shapely.STRtree(shapely.points(x, y))
    poly_idx, point_idx = tree.query(polys, predicate="contains")
    out = np.full(x.size, -1, dtype=np.int64)
    order = np.lexsort((poly_idx, point_idx))[::-1]  # keep the lowest unit index per point
    out[point_idx[order]] = poly_idx[order]
    return out


#: Demand points snapped at once; a larger raster goes window by window.
DEMAND_WINDOW_CELLS = 1_000_000


def _demand_windows(demand: Demand, max_cells: int) -> Iterator[slice]:
    """Consecutive slices of the demand points, each of at most about ``max_cells`` points.

    A raster's points (row-major, from :func:`demand_from_grid`) are cut into windows
    of whole raster rows (:class:`rasterio.windows.Window` strips), so each window is a
    compact block of the grid; a point table is cut into runs of ``max_cells`` points.
    """
    n = len(demand)
    grid, rows = demand.grid, demand.rows
    if grid is None or rows is None or n == 0 or np.any(rows[1:] < rows[:-1]):
        for start in range(0, n, max_cells):
            yield slice(start, min(start + max_cells, n))
        return
    height, width = grid.shape
    strip = max(1, max_cells // max(width, 1))
    for row_off in range(0, height, strip):
        window = rasterio.windows.Window(0, row_off, width, min(strip, height - row_off))
        (r0, r1), _ = window.toranges()
        lo, hi = np.searchsorted(rows, [r0, r1])
        if hi > lo:
            yield slice(int(lo), int(hi))


def _snap_demand(demand: Demand, crs: Any, snap: Callable[[np.ndarray, np.ndarray], Snap]) -> Snap:
    """Snap the demand points window by window (bounded memory on big rasters).

    The KD-tree query behind ``snap`` builds temporary arrays of several values per
    point; for 10 million cells those reach gigabytes, so they are built for one
    window of at most :data:`DEMAND_WINDOW_CELLS` points at a time and only the
    candidate legs are kept. The result is identical to one call over all points.
    """
    parts = [
        snap(*transform_xy(demand.x[part], demand.y[part], demand.crs, crs))
        for part in _demand_windows(demand, DEMAND_WINDOW_CELLS)
    ]
    if not parts:
        return snap(demand.x[:0], demand.y[:0])
    if len(parts) == 1:
        return parts[0]
    return _concat_rows(parts)


def _concat_rows(parts: Sequence[Any]) -> Any:
    """Stack per-window results row-wise: arrays are joined, dataclasses field by field."""
    first = parts[0]
    if isinstance(first, np.ndarray):
        return np.concatenate(parts)
    if dataclasses.is_dataclass(first) and not isinstance(first, type):
        return dataclasses.replace(
            first,
            **{
                f.name: _concat_rows([getattr(p, f.name) for p in parts])
                for f in dataclasses.fields(first)
                if f.init and getattr(first, f.name) is not None
            },
        )
    return first  # scalars and settings are the same in every window


def _units_of_demand(units: gpd.GeoDataFrame, demand: Demand) -> np.ndarray:
    """:func:`_units_of_points` window by window: one window's shapely points at a time."""
    out = np.empty(len(demand), dtype=np.int64)
    for part in _demand_windows(demand, DEMAND_WINDOW_CELLS):
        out[part] = _units_of_points(units, demand.x[part], demand.y[part], demand.crs)
    return out


def compute_coverage(
    network: Network,
    stations: gpd.GeoDataFrame,
    population: PopulationGrid | Demand,
    *,
    units: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame] | None = None,
    minutes: Sequence[float] = (15.0,),
    access_speed_kmh: float = 5.0,
    max_access_m: float = 5000.0,
    name: str = "region",
    progress: bool = False,
    unit_covered_share: float = DEFAULT_UNIT_COVERED_SHARE,
    targets: Sequence[Target] = (),
    catchment_by_tier: bool = False,
    staffing: Sequence[StaffRule] = DEFAULT_STAFF_RULES,
    gap_min_population: float = 0.0,
    duplicate_m: float = DEFAULT_DUPLICATE_M,
    snap_to: str = "node",
    dem: str | os.PathLike[str] | Dem | None = None,
    service: ServiceOptions | None = None,
    barrier: WaterMask | None = None,
    group_speed_factor: Mapping[str, float] | None = None,
    link_steps: bool = True,
) -> CoverageResult:
    """Travel time from every resident to the nearest station, and the coverage it gives.

    Parameters
    ----------
    network : Network
        Weighted road network (:func:`~coverage.load_network`).
    stations : geopandas.GeoDataFrame
        Station points (:func:`~coverage.read_stations`); any CRS.
    population : PopulationGrid or Demand
        People per cell (:func:`~coverage.read_population`) or demand points.
    units : geopandas.GeoDataFrame or dict of them, optional
        Unit polygons with a ``unit`` column (:func:`~coverage.read_boundaries`), or
        one such frame per level (e.g. ``{"township": ..., "village": ...}``). A point
        (cell centre) counts in the unit containing it.
    minutes : sequence of float
        Thresholds; the headline is 15 if listed, else the largest.
    access_speed_kmh : float
        Speed of the straight-line legs between points and the road.
    max_access_m : float
        Longest access leg; points farther from any road node are unreachable.
    name : str
        Name of the region.
    progress : bool
        Show progress bars.
    unit_covered_share : float
        A unit counts as covered when this share of its residents is within the headline
        threshold (:mod:`coverage.metrics.units`).
    targets : sequence of Target
        Policy targets per unit level and year (:mod:`coverage.metrics.targets`).
    catchment_by_tier : bool
        Also assign each resident to the nearest station of every tier; staffing then
        uses each station's catchment within its tier (:mod:`coverage.metrics.catchments`).
    staffing : sequence of StaffRule
        Recommended staff by tier and catchment population.
    gap_min_population : float
        Gap areas with fewer residents are left out (:mod:`coverage.metrics.gaps`).
    duplicate_m : float
        Stations within this many metres of another are one site: marked
        ``duplicate_of``, with no staffing of their own
        (:mod:`coverage.metrics.duplicates`; 0 turns this off).
    snap_to : str
        ``"node"``: join the road at the nearest node; ``"edge"``: also at the
        nearest point of the nearest segment, best where rural roads have long
        segments (see :mod:`coverage.engine.snapping`).
    dem : path-like or Dem, optional
        Elevations for slope-dependent off-road legs (the network's own edges carry
        terrain when it was loaded with a DEM).
    service : ServiceOptions, optional
        Time windows, service-item rules and the home-service list
        (:mod:`coverage.metrics.service_plan`).
    barrier : WaterMask, optional
        Water the off-road legs may not cross (:mod:`coverage.engine.barriers`).
    group_speed_factor : mapping of str to float, optional
        Population group -> speed multiplier (e.g. ``{"age_65_plus": 0.75}``): the
        group's figures use its own, slower journeys (:mod:`coverage.engine.groups`).
    link_steps : bool
        Whether points may join ``highway=steps`` (the linking rule,
        :mod:`coverage.inputs.way_rules`).

    Returns
    -------
    CoverageResult

    Raises
    ------
    InputError
        If a target names a unit level without units, a ``staff`` cell is not a number,
        or a station lies outside the network's area (beyond ``max_access_m``), or the
        population does not overlap the network.
    """
    thresholds = tuple(sorted({float(m) for m in minutes}))
    demand = demand_from_grid(population) if isinstance(population, PopulationGrid) else population
    if stations.crs is None:
        raise InputError("stations: the station table has no CRS; read it with read_stations")
    if snap_to not in ("edge", "node"):
        raise InputError(f"snap_to must be 'edge' or 'node', got {snap_to!r}")
    terrain = _terrain_for(network, dem)

    def snap(x: np.ndarray, y: np.ndarray, direction: str) -> Snap:
        return snap_points(
            network,
            x,
            y,
            k=SNAP_CANDIDATES,
            max_distance_m=max_access_m,
            edges=snap_to == "edge",
            direction=direction,
            dem=terrain,
            barrier=barrier,
            link_steps=link_steps,
        )

    steps = tqdm(total=4, desc="engine", unit="step", disable=not progress, leave=False)
    with steps:
        steps.set_postfix_str("snapping stations")
        pts = stations.to_crs(network.crs).geometry
        sx, sy = pts.x.to_numpy(), pts.y.to_numpy()
        _check_station_extent(stations, sx, sy, network, max_access_m)
        station_snap = snap(sx, sy, "to_point")
        steps.update()
        steps.set_postfix_str("population")
        point_snap = _snap_demand(demand, network.crs, lambda x, y: snap(x, y, "from_point"))
        pop = demand.population
        if pop.sum() > 0 and not (np.isfinite(point_snap.nearest_m) & (pop > 0)).any():
            raise InputError(
                f"{demand.source or 'population'}: no populated place lies within "
                f"{max_access_m:,.0f} m of the road network of {network.source or 'the network'}; "
                "the population and the network cover different areas, use data of the same region"
            )
        steps.update()
        steps.set_postfix_str("shortest paths")
        state = engine_state(
            network,
            station_snap,
            point_snap,
            access_speed_kmh=access_speed_kmh,
            max_access_m=max_access_m,
            snap_edges=snap_to == "edge",
            dem=terrain,
            snap_candidates=SNAP_CANDIDATES,
            barrier=barrier,
            link_steps=link_steps,
        )
        group_seconds = group_point_seconds(state, group_speed_factor or {}, demand.groups)
        steps.update()
        steps.set_postfix_str("figures")
        levels: dict[str, gpd.GeoDataFrame] = {}
        if isinstance(units, gpd.GeoDataFrame):
            levels = {"unit": units}
        elif units is not None:
            levels = dict(units)
        options = MetricOptions(
            unit_covered_share=unit_covered_share,
            targets=tuple(targets),
            catchment_by_tier=catchment_by_tier,
            staffing=tuple(staffing),
            gap_min_population=gap_min_population,
            duplicate_m=duplicate_m,
            service=service or ServiceOptions(),
        )
        result = assemble_result(
            state,
            stations,
            demand,
            levels,
            thresholds,
            name=name,
            max_access_m=max_access_m,
            options=options,
            extra={
                "snap_to": snap_to,
                "terrain": terrain is not None,
                "group_speed_factor": dict(group_speed_factor or {}),
            },
            group_minutes={g: (secs / 60.0, st) for g, (secs, st) in group_seconds.items()},
        )
        steps.update()
    return result


def _terrain_for(network: Network, dem: str | os.PathLike[str] | Dem | None) -> Dem | None:
    if dem is None:
        return None
    if isinstance(dem, Dem):
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


@dataclass(frozen=True)
class MetricOptions:
    """The metric settings of a run, kept so what-if updates rebuild the same figures.

    See :func:`compute_coverage` for each.
    """

    unit_covered_share: float = DEFAULT_UNIT_COVERED_SHARE
    targets: tuple[Target, ...] = ()
    catchment_by_tier: bool = False
    staffing: tuple[StaffRule, ...] = tuple(DEFAULT_STAFF_RULES)
    gap_min_population: float = 0.0
    duplicate_m: float = DEFAULT_DUPLICATE_M
    service: ServiceOptions = dataclasses.field(default_factory=ServiceOptions)


def assemble_result(
    state: EngineState,
    stations: gpd.GeoDataFrame,
    demand: Demand,
    levels: Mapping[str, gpd.GeoDataFrame],
    thresholds: tuple[float, ...],
    *,
    name: str,
    max_access_m: float,
    options: MetricOptions | None = None,
    extra: Mapping[str, Any] | None = None,
    group_minutes: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
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
    thresholds : tuple of float
        Thresholds in minutes, ascending.
    name : str
        Name of the region.
    max_access_m : float
        Longest off-road leg (for messages and the summary).
    options : MetricOptions, optional
        Metric settings (defaults if None).
    extra : mapping, optional
        More summary keys.
    group_minutes : mapping of str to (numpy.ndarray, numpy.ndarray), optional
        Minutes per point, and nearest station, of the groups timed at their own
        speeds (``group_speed_factor``, :mod:`coverage.engine.groups`); other groups
        use everyone's.

    Returns
    -------
    CoverageResult
    """
    options = options or MetricOptions()
    unit_covered_share = options.unit_covered_share
    targets = options.targets
    catchment_by_tier = options.catchment_by_tier
    staffing = options.staffing
    gap_min_population = options.gap_min_population
    network = state.network
    station_snap, point_snap = state.station_snap, state.point_snap
    access_speed_kmh = state.access_speed_kmh
    seconds, nearest = state.point_seconds, state.point_station
    headline = 15.0 if 15.0 in thresholds else max(thresholds)
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
    search = SubsetSearch(network, station_snap, point_snap, access_speed_kmh)
    if catchment_by_tier:
        by_tier, tier_station, tier_minutes = tier_catchments(search, stations, pop, headline)
        table = table.join(by_tier)
        served = table["tier_catchment_population"].to_numpy()
    table = table.join(
        staffing_table(stations, served, rules=staffing, duplicate_of=duplicates["duplicate_of"])
    )
    table.attrs["input_columns"] = list(stations.columns)  # for what-if rebuilds
    services = service_coverage(search, stations, pop, headline)

    unit_tables: dict[str, pd.DataFrame] = {}
    unit_polygons: dict[str, gpd.GeoDataFrame] = {}
    points_in: dict[str, tuple[np.ndarray, list[str]]] = {}
    for level, polygons in levels.items():
        polygons = polygons.reset_index(drop=True)
        unit_of_point = _units_of_demand(polygons, demand)
        if (unit_of_point < 0).all():
            raise InputError(
                f"{polygons.attrs.get('source', 'boundaries')}: no population lies inside "
                f"any '{level}' unit; the boundaries and the population cover different "
                "areas (check the file and its CRS)"
            )
        unit_polygons[level] = polygons
        points_in[level] = (unit_of_point, polygons["unit"].tolist())
        unit_tables[level] = unit_figures(
            unit_of_point,
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
                unit_of_point, polygons["unit"].tolist(), values, own_minutes[group], headline
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
    )
    attrs = dict(table.attrs)  # a join with a frame without attrs drops them
    table = table.join(plan.station_columns)
    table.attrs.update(attrs)
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
    too_far = float(pop[~np.isfinite(point_snap.nearest_m)].sum())
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


def service_options(config: RunConfig) -> ServiceOptions:
    """The time windows, item rules and home service of a configuration.

    Parameters
    ----------
    config : RunConfig
        From :func:`~coverage.load_config`; ``service_lists`` may name a file, read here.

    Returns
    -------
    ServiceOptions

    Raises
    ------
    InputError
        If the list file is unreadable or a rule names a list it does not hold.
    """
    lists = config.service_lists
    if isinstance(lists, Path):
        from .inputs.service_lists import read_service_lists

        lists = read_service_lists(lists)
    try:
        return ServiceOptions(
            time_windows=dict(config.time_windows or {}),
            hours_default=config.hours_default,
            service_lists=dict(lists or {}),
            service_rules=config.service_rules,
            home_service=config.home_service,
        )
    except InputError as exc:
        raise InputError(f"{config.service_lists}: {exc}") from None


def run_coverage(config: RunConfig, *, progress: bool = False) -> CoverageResult:
    """Run the whole coverage job a configuration describes (without writing files).

    With several ``modes``, this is the first mode's result; see
    :func:`run_coverage_modes` for all of them.

    Parameters
    ----------
    config : RunConfig
        From :func:`~coverage.load_config`.
    progress : bool
        Show progress bars.

    Returns
    -------
    CoverageResult

    Raises
    ------
    InputError
        On any unusable input; nothing has been written.
    """
    return next(
        iter(run_coverage_modes(config, progress=progress, modes=config.run_modes[:1]).values())
    )


def run_coverage_modes(
    config: RunConfig, *, progress: bool = False, modes: Sequence[str] | None = None
) -> dict[str, CoverageResult]:
    """Run the job once per travel mode of a configuration (the OSM file is parsed once).

    Parameters
    ----------
    config : RunConfig
        From :func:`~coverage.load_config`.
    progress : bool
        Show progress bars.
    modes : sequence of str, optional
        The modes to run (default ``config.run_modes``).

    Returns
    -------
    dict of str to CoverageResult
        One result per mode, in order.

    Raises
    ------
    InputError
        On any unusable input; nothing has been written.
    """
    inputs = read_inputs(config, progress=progress)
    demand, scaling = scaled_to_totals(inputs, config)
    service = service_options(config)
    networks = inputs.networks or {inputs.network.mode: inputs.network}
    terrain = None
    barrier = None
    boundaries = config.boundaries
    results: dict[str, CoverageResult] = {}
    for mode in modes or config.run_modes:
        network = networks[mode]
        if config.dem is not None and terrain is None:
            terrain = _terrain_for(network, config.dem)
        if (config.water_barriers or config.barriers) and (
            barrier is None or barrier.crs != network.crs
        ):
            barrier = barrier_for_network(
                network,
                osm_water=config.water_barriers,
                layer=config.barriers,
                max_access_m=config.max_access_m,
            )
        result = compute_coverage(
            network,
            inputs.stations,
            demand,
            units=inputs.units,
            minutes=config.minutes,
            access_speed_kmh=config.access_speed_kmh,
            max_access_m=config.max_access_m,
            name=config.name,
            progress=progress,
            unit_covered_share=config.unit_covered_share,
            targets=config.targets,
            catchment_by_tier=config.catchment_by_tier,
            staffing=config.staffing,
            gap_min_population=config.gap_min_population,
            duplicate_m=config.duplicate_m,
            snap_to=config.snap_to,
            service=service,
            dem=terrain,
            barrier=barrier,
            group_speed_factor=config.group_speed_factor,
            link_steps=config.link_to_steps,
        )
        summary = dict(result.summary)
        summary.update(inputs.summary())
        summary.update(left_out(summary))
        warn_left_out(summary, source=inputs.demand.source or "population")
        if scaling is not None:
            summary.update(scaling.summary())
            table = totals_columns(result.units[scaling.level], scaling)
            result = dataclasses.replace(result, units={**result.units, scaling.level: table})
        summary["inputs"] = {
            "stations": str(config.stations),
            "population": str(config.population),
            "network": str(config.network),
            "boundaries": (
                None
                if boundaries is None
                else {k: str(v) for k, v in boundaries.items()}
                if isinstance(boundaries, dict)
                else str(boundaries)
            ),
            "dem": None if config.dem is None else str(config.dem),
        }
        results[mode] = result.with_summary(summary)
    return results


def scaled_to_totals(inputs: InputData, config: RunConfig) -> tuple[Demand, TotalsScaling | None]:
    """The run's demand: scaled to the official totals of ``population: {totals: ...}``.

    ``run`` and ``site`` both start from it, so they count the same people.

    Parameters
    ----------
    inputs : InputData
        From :func:`~coverage.inputs.read.read_inputs`.
    config : RunConfig
        The configuration the inputs were read from.

    Returns
    -------
    (Demand, TotalsScaling or None)
        The demand (``inputs.demand`` itself without totals) and what the scaling did.

    Warns
    -----
    OfficialTotalsWarning
        Unmatched names either way, units without populated cells.
    """
    totals = getattr(config.population, "totals", None)
    if inputs.official_totals is None or totals is None:
        return inputs.demand, None
    polygons = (inputs.units or {})[totals.level]
    demand, scaling = scale_to_totals(
        inputs.demand,
        _units_of_demand(polygons, inputs.demand),
        polygons["unit"].astype(str).tolist(),
        inputs.official_totals,
        level=totals.level,
    )
    warn_totals(scaling)
    return demand, scaling


def _write_result(
    result: CoverageResult,
    stage: Path,
    *,
    isochrone_cell_m: float,
    isochrones_per_station: bool,
    presentation: Mapping[str, Any],
) -> dict[str, str]:
    """Write one result's files into a staging folder; file kind -> relative name.

    ``presentation`` holds the keyword arguments of
    :func:`coverage.outputs.presentation.write_presentation` (basemap, lang, key).
    """
    from .engine.isochrones import isochrone_polygons, travel_time_surface
    from .outputs.presentation import write_presentation
    from .outputs.writers import write_csv, write_geotiff, write_json

    names = {"summary": "summary.json", "stations": "stations.csv"}
    for level in result.units:
        names[f"units_{level}"] = "units.csv" if level == "unit" else f"units_{level}.csv"
    write_json(result.summary, stage / names["summary"])
    write_csv(result.stations_table(), stage / names["stations"])
    for level, table in result.units.items():
        write_csv(table, stage / names[f"units_{level}"])
    if result.gaps is not None:
        names["gaps"] = "gaps.geojson"
        result.gaps.to_crs("EPSG:4326").to_file(stage / names["gaps"], driver="GeoJSON")
    if result.home_service is not None:
        names["home_service"] = "home_service.csv"
        names["home_service_layer"] = "home_service.geojson"
        home = result.home_service
        write_csv(pd.DataFrame(home.drop(columns="geometry")), stage / names["home_service"])
        if len(home):
            home.to_crs("EPSG:4326").to_file(stage / names["home_service_layer"], driver="GeoJSON")
        else:  # an empty layer still opens in GIS software
            write_json(
                {"type": "FeatureCollection", "features": []}, stage / "home_service.geojson"
            )
    for kind in ("targets", "services"):
        if not getattr(result, kind).empty:
            names[kind] = f"{kind}.csv"
            write_csv(getattr(result, kind), stage / names[kind])
    grid = result.demand.grid
    if grid is not None:
        names["travel_time"] = "travel_time.tif"
        write_geotiff(result.minutes_grid(), grid.transform, grid.crs, stage / names["travel_time"])
    iso = None
    if result.engine is not None:
        surface = travel_time_surface(
            result.engine, cell_m=isochrone_cell_m, max_minutes=max(result.thresholds)
        )
        iso = isochrone_polygons(surface.minutes, surface.transform, surface.crs, result.thresholds)
        names["isochrones"] = "isochrones.geojson"
        iso.to_crs("EPSG:4326").to_file(stage / names["isochrones"], driver="GeoJSON")
        if isochrones_per_station:
            names["isochrones_stations"] = "isochrones_stations.geojson"
            per = isochrone_polygons(
                surface.minutes,
                surface.transform,
                surface.crs,
                result.thresholds,
                station=surface.station,
                station_ids=result.stations["id"].astype(str).tolist(),
            )
            per.to_crs("EPSG:4326").to_file(stage / names["isochrones_stations"], driver="GeoJSON")
    shown = write_presentation(result, stage, isochrones=iso, **presentation)
    names.update({kind: path.relative_to(stage).as_posix() for kind, path in shown.items()})
    return names


def write_outputs(
    result: CoverageResult,
    out_dir: str | os.PathLike[str],
    *,
    isochrone_cell_m: float = 100.0,
    isochrones_per_station: bool = False,
    basemap: Any = "osm",
    lang: str = "en",
    tianditu_key: str | None = None,
    package: bool = False,
    gis: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write a result's files into ``out_dir``, all or nothing.

    Files: ``summary.json``, ``stations.csv``, ``units.csv`` (one set of units) or
    ``units_<level>.csv`` (one per level), ``travel_time.tif`` and ``gaps.geojson``
    (population from a raster), ``targets.csv`` (with targets), ``services.csv`` (when
    stations list services), ``home_service.csv`` and ``home_service.geojson`` (with a
    ``home_service`` group), ``isochrones.geojson`` (one polygon per threshold, traced on a metric
    grid of ``isochrone_cell_m``, written in WGS84), ``isochrones_stations.geojson``
    (with ``isochrones_per_station``), and what officials read: ``map.html`` (works
    offline), ``map.png`` and ``map_<level>.png``, ``report.html``, ``units.xlsx`` and
    ``assets/`` (see :mod:`coverage.outputs.presentation`).

    Parameters
    ----------
    result : CoverageResult
        From :func:`compute_coverage` or :func:`run_coverage`.
    out_dir : path-like
        Output folder: new, empty or an earlier coverage15 output; it is built beside
        and swapped in whole (:func:`coverage.outputs.folder.publish_folder`), and a
        folder holding other files or an input is refused with :class:`InputError`.
    isochrone_cell_m : float
        Cell size of the isochrone grid in metres.
    isochrones_per_station : bool
        Also write each station's part of every isochrone.
    basemap : str or mapping
        Basemap of ``map.html``: ``osm``, ``tianditu``, ``amap``, ``none`` or a custom
        ``{url, attribution, datum}``.
    lang : {"en", "zh"}
        Language of the maps and the report.
    tianditu_key : str, optional
        Key of the Tianditu basemap (default: ``$TIANDITU_KEY``).
    package : bool
        Also zip every file into ``<name>.zip``, one archive to share.
    gis : mapping, optional
        Options of ``outputs.gpkg`` and the Shapefiles: ``output_crs``, ``shapefile``,
        ``shapefile_encoding`` (see :func:`coverage.outputs.layers.write_gis_layers`).

    Returns
    -------
    dict
        File kind -> final path.
    """
    from .outputs.folder import publish_folder, summary_inputs

    out = Path(out_dir)
    with publish_folder(out, inputs=summary_inputs(result.summary), kind="run") as stage:
        names = write_output_files(
            result,
            stage,
            isochrone_cell_m=isochrone_cell_m,
            isochrones_per_station=isochrones_per_station,
            basemap=basemap,
            lang=lang,
            tianditu_key=tianditu_key,
            package=package,
            gis=gis,
        )
    return {kind: out / name for kind, name in names.items()}


def write_output_files(
    result: CoverageResult,
    folder: Path,
    *,
    isochrone_cell_m: float = 100.0,
    isochrones_per_station: bool = False,
    basemap: Any = "osm",
    lang: str = "en",
    tianditu_key: str | None = None,
    package: bool = False,
    gis: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """Write a result's files into a folder being built (no publishing; see write_outputs).

    Parameters
    ----------
    result : CoverageResult
    folder : pathlib.Path
        A staging folder from :func:`coverage.outputs.folder.publish_folder`.
    isochrone_cell_m, isochrones_per_station, basemap, lang, tianditu_key, package, gis
        As for :func:`write_outputs`.

    Returns
    -------
    dict
        File kind -> name relative to ``folder``.
    """
    from .outputs.presentation import package_name, write_package

    shown = {"basemap": basemap, "lang": lang, "tianditu_key": tianditu_key, **(gis or {})}
    names = _write_result(
        result,
        folder,
        isochrone_cell_m=isochrone_cell_m,
        isochrones_per_station=isochrones_per_station,
        presentation=shown,
    )
    if package:
        names["package"] = write_package(folder, folder / package_name(result.name), lang=lang).name
    return names


def write_mode_outputs(
    results: Mapping[str, CoverageResult],
    out_dir: str | os.PathLike[str],
    *,
    isochrone_cell_m: float = 100.0,
    isochrones_per_station: bool = False,
    basemap: Any = "osm",
    lang: str = "en",
    tianditu_key: str | None = None,
    package: bool = False,
    gis: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write the results of several modes: ``<out>/<mode>/...`` and a combined summary.

    Each mode's folder holds the files of :func:`write_outputs`; ``modes_summary.csv``
    (one row per mode: coverage share per threshold, mean minutes, unreachable
    population) and ``modes_summary.json`` (every mode's summary) sit in ``out_dir``.
    Everything is written all or nothing.

    Parameters
    ----------
    results : mapping of str to CoverageResult
        From :func:`run_coverage_modes`.
    out_dir : path-like
        Output folder, as for :func:`write_outputs`.
    isochrone_cell_m, isochrones_per_station, basemap, lang, tianditu_key, package, gis
        As for :func:`write_outputs` (the package holds every mode's folder).

    Returns
    -------
    dict
        File kind (``<mode>/<kind>`` for a mode's files) -> final path.
    """
    from .outputs.folder import publish_folder, summary_inputs
    from .outputs.presentation import package_name, write_package
    from .outputs.writers import write_csv, write_json

    out = Path(out_dir)
    paths: dict[str, Path] = {}
    inputs = [p for r in results.values() for p in summary_inputs(r.summary)]
    with publish_folder(out, inputs=inputs, kind="modes") as stage:
        rows = []
        for mode, result in results.items():
            (stage / mode).mkdir()
            names = _write_result(
                result,
                stage / mode,
                isochrone_cell_m=isochrone_cell_m,
                isochrones_per_station=isochrones_per_station,
                presentation={
                    "basemap": basemap,
                    "lang": lang,
                    "tianditu_key": tianditu_key,
                    "modes": {m: r.summary for m, r in results.items()},
                    **(gis or {}),
                },
            )
            paths.update({f"{mode}/{kind}": out / mode / name for kind, name in names.items()})
            s = result.summary
            row = {"mode": mode, "population_total": s["population_total"]}
            row.update({f"coverage_{k}min": v for k, v in s["coverage_by_minutes"].items()})
            row.update(
                {
                    "mean_minutes": s["mean_minutes"],
                    "unreachable_population": s["unreachable_population"],
                    "unreachable_too_far_from_roads": s["unreachable_too_far_from_roads"],
                    "unreachable_no_station_reachable": s["unreachable_no_station_reachable"],
                }
            )
            rows.append(row)
        write_csv(pd.DataFrame(rows), stage / "modes_summary.csv")
        write_json({m: r.summary for m, r in results.items()}, stage / "modes_summary.json")
        if package:
            name = package_name(next(iter(results.values())).name) if results else "modes.zip"
            paths["package"] = out / write_package(stage, stage / name, lang=lang).name
    paths["modes_summary"] = out / "modes_summary.csv"
    paths["modes_summary_json"] = out / "modes_summary.json"
    return paths
