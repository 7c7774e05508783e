"""The main job: inputs -> network -> engine -> metrics, as plain functions.

:func:`compute_coverage` works on objects already in memory (for notebooks);
:func:`run_coverage` reads everything a configuration names and calls it;
:func:`write_outputs` writes a result's files atomically.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tqdm.auto import tqdm

from . import __version__
from .config import RunConfig
from .engine.snapping import Snap, snap_points
from .engine.whatif import EngineState, engine_state
from .errors import InputError
from .inputs.crs import transform_xy
from .inputs.network import Network
from .inputs.population import Demand, PopulationGrid, demand_from_grid
from .inputs.read import read_inputs
from .inputs.terrain import Dem
from .metrics.coverage import coverage_figures, station_figures, unit_figures
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
    tree = shapely.STRtree(polys)
    pts = shapely.points(x, y)
    point_idx, poly_idx = tree.query(pts, predicate="within")
    out = np.full(x.size, -1, dtype=np.int64)
    order = np.lexsort((poly_idx, point_idx))[::-1]  # keep the lowest unit index per point
    out[point_idx[order]] = poly_idx[order]
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
    snap_to: str = "node",
    dem: str | os.PathLike[str] | Dem | None = None,
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
        Off-road speed of the straight-line legs between points and the road.
    max_access_m : float
        Longest off-road leg; points farther from any road are unreachable.
    name : str
        Name of the region.
    progress : bool
        Show progress bars.
    snap_to : str
        ``"node"``: join the road at the nearest node; ``"edge"``: also at the
        nearest point of the nearest segment, best where rural roads have long
        segments (see :mod:`coverage.engine.snapping`).
    dem : path-like or Dem, optional
        Elevations for slope-dependent off-road legs (the network's own edges carry
        terrain when it was loaded with a DEM).

    Returns
    -------
    CoverageResult

    Raises
    ------
    InputError
        If a station lies outside the network's area (beyond ``max_access_m``), or the
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
        mx, my = transform_xy(demand.x, demand.y, demand.crs, network.crs)
        point_snap = snap(mx, my, "from_point")
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
        )
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
            thresholds,
            name=name,
            max_access_m=max_access_m,
            extra={"snap_to": snap_to, "terrain": terrain is not None},
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


def assemble_result(
    state: EngineState,
    stations: gpd.GeoDataFrame,
    demand: Demand,
    levels: Mapping[str, gpd.GeoDataFrame],
    thresholds: tuple[float, ...],
    *,
    name: str,
    max_access_m: float,
    extra: Mapping[str, Any] | None = None,
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
    extra : mapping, optional
        More summary keys.

    Returns
    -------
    CoverageResult
    """
    network = state.network
    headline = 15.0 if 15.0 in thresholds else max(thresholds)
    pop = demand.population
    point_minutes = state.point_seconds / 60.0
    nearest = state.point_station
    figures = coverage_figures(pop, point_minutes, thresholds)
    groups = {
        group: coverage_figures(values, point_minutes, thresholds)
        for group, values in demand.groups.items()
    }
    station_snap = state.station_snap
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
    table["reachable"] = reachable
    table = table.join(station_figures(stations, nearest, pop, point_minutes, headline))

    unit_tables: dict[str, pd.DataFrame] = {}
    unit_polygons: dict[str, gpd.GeoDataFrame] = {}
    for level, polygons in levels.items():
        polygons = polygons.reset_index(drop=True)
        unit_of_point = _units_of_points(polygons, demand.x, demand.y, demand.crs)
        if (unit_of_point < 0).all():
            raise InputError(
                f"{polygons.attrs.get('source', 'boundaries')}: no population lies inside "
                f"any '{level}' unit; the boundaries and the population cover different "
                "areas (check the file and its CRS)"
            )
        unit_polygons[level] = polygons
        unit_tables[level] = unit_figures(
            unit_of_point, polygons["unit"].tolist(), pop, point_minutes, headline
        )
        for group, values in demand.groups.items():  # e.g. age_65_plus_population
            per_group = unit_figures(
                unit_of_point, polygons["unit"].tolist(), values, point_minutes, headline
            )
            for col in ("population", "population_covered", "coverage_share"):
                unit_tables[level][f"{group}_{col}"] = per_group[col].to_numpy()

    covered = figures["covered_by_minutes"]
    shares = figures["coverage_by_minutes"]
    key = f"{headline:g}"
    off_road = ~np.isfinite(state.point_snap.nearest_m)
    too_far = float(pop[off_road].sum())
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
        "unreachable_too_far_from_roads": too_far,
        "unreachable_no_station_reachable": float(figures["unreachable_population"]) - too_far,  # type: ignore[arg-type]
        # the same figure under the name the inputs checks use
        "population_beyond_network_reach": too_far,
        "stations": len(stations),
        "stations_unreachable": int((~reachable).sum()),
        "groups": groups,
        "network_nodes": network.n_nodes,
        "network_edges": network.n_edges,
        "metric_crs": network.crs.to_string(),
        "access_speed_kmh": state.access_speed_kmh,
        "max_access_m": max_access_m,
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
        engine=state,
    )


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
    networks = inputs.networks or {inputs.network.mode: inputs.network}
    terrain = None
    boundaries = config.boundaries
    results: dict[str, CoverageResult] = {}
    for mode in modes or config.run_modes:
        network = networks[mode]
        if config.dem is not None and terrain is None:
            terrain = _terrain_for(network, config.dem)
        result = compute_coverage(
            network,
            inputs.stations,
            inputs.demand,
            units=inputs.units,
            minutes=config.minutes,
            access_speed_kmh=config.access_speed_kmh,
            max_access_m=config.max_access_m,
            name=config.name,
            progress=progress,
            snap_to=config.snap_to,
            dem=terrain,
        )
        summary = dict(result.summary)
        summary.update(inputs.summary())
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


def _write_result(
    result: CoverageResult,
    stage: Path,
    *,
    isochrone_cell_m: float,
    isochrones_per_station: bool,
) -> dict[str, str]:
    """Write one result's files into a staging folder; file kind -> relative name."""
    from .engine.isochrones import isochrone_polygons, travel_time_surface
    from .outputs.maps import coverage_map
    from .outputs.writers import write_csv, write_geotiff, write_json

    names = {"summary": "summary.json", "stations": "stations.csv", "map": "map.html"}
    for level in result.units:
        names[f"units_{level}"] = "units.csv" if level == "unit" else f"units_{level}.csv"
    write_json(result.summary, stage / names["summary"])
    write_csv(result.stations_table(), stage / names["stations"])
    for level, table in result.units.items():
        write_csv(table, stage / names[f"units_{level}"])
    grid = result.demand.grid
    if grid is not None:
        names["travel_time"] = "travel_time.tif"
        write_geotiff(result.minutes_grid(), grid.transform, grid.crs, stage / names["travel_time"])
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
    coverage_map(result).save(str(stage / names["map"]))
    return names


def write_outputs(
    result: CoverageResult,
    out_dir: str | os.PathLike[str],
    *,
    isochrone_cell_m: float = 100.0,
    isochrones_per_station: bool = False,
) -> dict[str, Path]:
    """Write a result's files into ``out_dir``, all or nothing.

    Files: ``summary.json``, ``stations.csv``, ``units.csv`` (one set of units) or
    ``units_<level>.csv`` (one per level), ``travel_time.tif`` (population from a
    raster), ``isochrones.geojson`` (one polygon per threshold, traced on a metric
    grid of ``isochrone_cell_m``, written in WGS84), ``isochrones_stations.geojson``
    (with ``isochrones_per_station``) and ``map.html``.

    Parameters
    ----------
    result : CoverageResult
        From :func:`compute_coverage` or :func:`run_coverage`.
    out_dir : path-like
        Output folder (created if missing).
    isochrone_cell_m : float
        Cell size of the isochrone grid in metres.
    isochrones_per_station : bool
        Also write each station's part of every isochrone.

    Returns
    -------
    dict
        File kind -> final path.
    """
    from .outputs.writers import staged_outputs

    out = Path(out_dir)
    with staged_outputs(out) as stage:
        names = _write_result(
            result,
            stage,
            isochrone_cell_m=isochrone_cell_m,
            isochrones_per_station=isochrones_per_station,
        )
    return {kind: out / name for kind, name in names.items()}


def write_mode_outputs(
    results: Mapping[str, CoverageResult],
    out_dir: str | os.PathLike[str],
    *,
    isochrone_cell_m: float = 100.0,
    isochrones_per_station: bool = False,
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
        Output folder.
    isochrone_cell_m, isochrones_per_station
        As for :func:`write_outputs`.

    Returns
    -------
    dict
        File kind (``<mode>/<kind>`` for a mode's files) -> final path.
    """
    from .outputs.writers import staged_outputs, write_csv, write_json

    out = Path(out_dir)
    paths: dict[str, Path] = {}
    with staged_outputs(out) as stage:
        rows = []
        for mode, result in results.items():
            (stage / mode).mkdir()
            names = _write_result(
                result,
                stage / mode,
                isochrone_cell_m=isochrone_cell_m,
                isochrones_per_station=isochrones_per_station,
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
    paths["modes_summary"] = out / "modes_summary.csv"
    paths["modes_summary_json"] = out / "modes_summary.json"
    return paths
