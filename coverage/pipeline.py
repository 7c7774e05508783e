"""The main job: inputs -> network -> engine -> metrics, as plain functions.

:func:`compute_coverage` works on objects already in memory (for notebooks);
:func:`run_coverage` reads everything a configuration names and calls it;
:func:`write_outputs` writes a result's files atomically.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
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
from .engine.snapping import Snap, snap_points
from .engine.travel_times import NodeTimes, node_times, point_times
from .errors import InputError
from .inputs.crs import transform_xy
from .inputs.network import Network
from .inputs.population import Demand, PopulationGrid, demand_from_grid
from .inputs.read import read_inputs
from .metrics.catchments import (
    DEFAULT_STAFF_RULES,
    StaffRule,
    staffing_table,
    station_figures,
    tier_catchments,
)
from .metrics.coverage import coverage_figures
from .metrics.gaps import gap_areas
from .metrics.services import service_coverage
from .metrics.subsets import SubsetSearch
from .metrics.targets import Target, target_verdicts
from .metrics.units import DEFAULT_UNIT_COVERED_SHARE, level_summary, unit_figures
from .results import CoverageResult

__all__ = ["compute_coverage", "run_coverage", "write_outputs"]

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


#: Demand points snapped and timed at once; a larger raster goes window by window.
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


def _demand_times(
    network: Network,
    times: NodeTimes,
    demand: Demand,
    *,
    access_speed_kmh: float,
    max_access_m: float,
) -> tuple[np.ndarray, np.ndarray, Snap]:
    """Snap and time the demand points window by window (bounded memory on big rasters).

    :func:`snap_points` and :func:`point_times` build several temporary arrays of
    ``SNAP_CANDIDATES`` values per point (KD-tree query, candidate times); for 10
    million cells those reach gigabytes, so they are built for one window of at most
    :data:`DEMAND_WINDOW_CELLS` points at a time. Only the results are kept for
    every point. Results are identical to one call over all points.

    Returns
    -------
    seconds : numpy.ndarray
        Seconds per point to the nearest station (inf: unreachable).
    nearest : numpy.ndarray
        Index of the nearest station per point (-1: none).
    snap : Snap
        The candidate access legs of every point.
    """
    n = len(demand)
    seconds = np.full(n, np.inf)
    nearest = np.full(n, -1, dtype=np.int64)
    nodes = distance_m = None
    for part in _demand_windows(demand, DEMAND_WINDOW_CELLS):
        mx, my = transform_xy(demand.x[part], demand.y[part], demand.crs, network.crs)
        snap = snap_points(network, mx, my, k=SNAP_CANDIDATES, max_distance_m=max_access_m)
        seconds[part], nearest[part] = point_times(times, snap, access_speed_kmh=access_speed_kmh)
        if nodes is None or distance_m is None:
            nodes = np.empty((n, snap.nodes.shape[1]), dtype=snap.nodes.dtype)
            distance_m = np.empty((n, snap.nodes.shape[1]), dtype=snap.distance_m.dtype)
        nodes[part], distance_m[part] = snap.nodes, snap.distance_m
    if nodes is None or distance_m is None:  # no demand point at all
        return seconds, nearest, snap_points(network, demand.x[:0], demand.y[:0])
    return seconds, nearest, Snap(nodes, distance_m)


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
    headline = 15.0 if 15.0 in thresholds else max(thresholds)
    demand = demand_from_grid(population) if isinstance(population, PopulationGrid) else population
    if stations.crs is None:
        raise InputError("stations: the station table has no CRS; read it with read_stations")
    steps = tqdm(total=4, desc="engine", unit="step", disable=not progress, leave=False)
    with steps:
        steps.set_postfix_str("snapping stations")
        pts = stations.to_crs(network.crs).geometry
        sx, sy = pts.x.to_numpy(), pts.y.to_numpy()
        _check_station_extent(stations, sx, sy, network, max_access_m)
        station_snap = snap_points(network, sx, sy, k=SNAP_CANDIDATES, max_distance_m=max_access_m)
        steps.update()
        steps.set_postfix_str("shortest paths")
        times = node_times(network, station_snap, access_speed_kmh=access_speed_kmh)
        steps.update()
        steps.set_postfix_str("population")
        seconds, nearest, point_snap = _demand_times(
            network, times, demand, access_speed_kmh=access_speed_kmh, max_access_m=max_access_m
        )
        steps.update()
        steps.set_postfix_str("figures")
        pop = demand.population
        if pop.sum() > 0 and not (np.isfinite(point_snap.nearest_m) & (pop > 0)).any():
            raise InputError(
                f"{demand.source or 'population'}: no populated place lies within "
                f"{max_access_m:,.0f} m of the road network of {network.source or 'the network'}; "
                "the population and the network cover different areas, use data of the same region"
            )
        point_minutes = seconds / 60.0
        figures = coverage_figures(pop, point_minutes, thresholds)
        groups = {
            group: coverage_figures(values, point_minutes, thresholds)
            for group, values in demand.groups.items()
        }

        reachable = np.isfinite(station_snap.nearest_m)
        if not reachable.all():
            bad = stations["id"].to_numpy()[~reachable]
            warnings.warn(
                f"{len(bad)} station(s) lie more than {max_access_m:,.0f} m from any road and "
                f"reach no one: {', '.join(map(str, bad[:5]))}",
                stacklevel=2,
            )
        table = stations.copy()
        wgs = stations.to_crs("EPSG:4326").geometry
        table["lon"] = wgs.x.to_numpy()
        table["lat"] = wgs.y.to_numpy()
        table["snap_distance_m"] = np.where(reachable, station_snap.nearest_m, np.nan)
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
        table = table.join(staffing_table(stations, served, rules=staffing))
        services = service_coverage(search, stations, pop, headline)

        levels: dict[str, gpd.GeoDataFrame] = {}
        if isinstance(units, gpd.GeoDataFrame):
            levels = {"unit": units}
        elif units is not None:
            levels = dict(units)
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
            for group, values in demand.groups.items():  # e.g. age_65_plus_population
                per_group = unit_figures(
                    unit_of_point, polygons["unit"].tolist(), values, point_minutes, headline
                )
                for col in ("population", "population_covered", "coverage_share"):
                    unit_tables[level][f"{group}_{col}"] = per_group[col].to_numpy()
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
        steps.update()

    covered = figures["covered_by_minutes"]
    shares = figures["coverage_by_minutes"]
    key = f"{headline:g}"
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
        # residents farther than max_access_m from every road (part of the unreachable)
        "population_beyond_network_reach": float(pop[~np.isfinite(point_snap.nearest_m)].sum()),
        "stations": len(stations),
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
        tier_point_station=tier_station,
        tier_point_minutes=tier_minutes,
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


def run_coverage(config: RunConfig, *, progress: bool = False) -> CoverageResult:
    """Run the whole coverage job a configuration describes (without writing files).

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
    inputs = read_inputs(config, progress=progress)
    result = compute_coverage(
        inputs.network,
        inputs.stations,
        inputs.demand,
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
    )
    summary = dict(result.summary)
    summary.update(inputs.summary())
    boundaries = config.boundaries
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
    }
    return result.with_summary(summary)


def write_outputs(result: CoverageResult, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write a result's files into ``out_dir``, all or nothing.

    Files: ``summary.json``, ``stations.csv``, ``units.csv`` (one set of units) or
    ``units_<level>.csv`` (one per level), ``travel_time.tif``, ``isochrones.geojson``
    and ``gaps.geojson`` (population from a raster), ``targets.csv`` (with targets),
    ``services.csv`` (when stations list services), and ``map.html``.

    Parameters
    ----------
    result : CoverageResult
        From :func:`compute_coverage` or :func:`run_coverage`.
    out_dir : path-like
        Output folder (created if missing).

    Returns
    -------
    dict
        File kind -> final path.
    """
    from .engine.isochrones import isochrone_polygons
    from .outputs.maps import coverage_map
    from .outputs.writers import staged_outputs, write_csv, write_geotiff, write_json

    out = Path(out_dir)
    names = {
        "summary": "summary.json",
        "stations": "stations.csv",
        "travel_time": "travel_time.tif",
        "isochrones": "isochrones.geojson",
        "gaps": "gaps.geojson",
        "targets": "targets.csv",
        "services": "services.csv",
        "map": "map.html",
    }
    if result.targets.empty:
        del names["targets"]
    if result.services.empty:
        del names["services"]
    for level in result.units:
        names[f"units_{level}"] = "units.csv" if level == "unit" else f"units_{level}.csv"
    with staged_outputs(out) as stage:
        write_json(result.summary, stage / names["summary"])
        write_csv(result.stations_table(), stage / names["stations"])
        for level, table in result.units.items():
            write_csv(table, stage / names[f"units_{level}"])
        grid = result.demand.grid
        if grid is not None:
            surface = result.minutes_grid()
            write_geotiff(surface, grid.transform, grid.crs, stage / names["travel_time"])
            iso = isochrone_polygons(surface, grid.transform, grid.crs, result.thresholds)
            iso.to_crs("EPSG:4326").to_file(stage / names["isochrones"], driver="GeoJSON")
        else:
            del names["travel_time"], names["isochrones"]
        if result.gaps is not None:
            result.gaps.to_crs("EPSG:4326").to_file(stage / names["gaps"], driver="GeoJSON")
        else:
            del names["gaps"]
        for kind in ("targets", "services"):
            if kind in names:
                write_csv(getattr(result, kind), stage / names[kind])
        coverage_map(result).save(str(stage / names["map"]))
    return {kind: out / name for kind, name in names.items()}
