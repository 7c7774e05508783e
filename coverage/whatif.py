"""What-if: coverage after opening or closing one station, without a full recompute.

>>> import coverage  # doctest: +SKIP
>>> result = coverage.run_coverage(coverage.load_config("county.yaml"))  # doctest: +SKIP
>>> more = add_station(result, (118.91, 28.07), station_id="new-1")  # doctest: +SKIP
>>> less = remove_station(result, "S12")  # doctest: +SKIP
>>> moved = move_station(result, "S12", (118.92, 28.07))  # doctest: +SKIP
>>> more.coverage_share - result.coverage_share  # doctest: +SKIP

The travel times are updated exactly (identical to a full recompute over the new
station set, see :mod:`coverage.engine.whatif`); the figures and tables are then
rebuilt from them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from shapely.geometry import Point

from .compute import assemble_result
from .engine.groups import group_point_seconds
from .engine.whatif import EngineState, add_source, remove_source, snap_for_state
from .errors import InputError
from .results import CoverageResult

__all__ = ["add_station", "move_station", "remove_station"]


def _state(result: CoverageResult) -> EngineState:
    if result.engine is None:
        raise InputError(
            "this result keeps no engine state; compute it with compute_coverage or run_coverage"
        )
    return result.engine


def _input_columns(result: CoverageResult) -> gpd.GeoDataFrame:
    """The station table as it was given, without the columns the pipeline adds."""
    columns = result.station_input_columns
    if not columns:
        raise InputError(
            "this result's station table lost its column list; compute the result again"
        )
    return result.stations[list(columns)]


def _rebuild(
    result: CoverageResult, state: EngineState, stations: gpd.GeoDataFrame
) -> CoverageResult:
    group_seconds = group_point_seconds(
        state, state.access.group_speed_factor, result.demand.groups
    )
    new = assemble_result(
        state,
        stations,
        result.demand,
        result.unit_polygons,
        name=result.name,
        options=result.metric_options,
        group_minutes={g: (secs / 60.0, st) for g, (secs, st) in group_seconds.items()},
        unit_of_point=result.unit_of_point,
    )
    # what the run added about its inputs (files, population outside the area) stays
    kept = {k: v for k, v in result.summary.items() if k not in new.summary}
    return new.with_summary({**new.summary, **kept})


def add_station(
    result: CoverageResult,
    point: tuple[float, float] | Point,
    *,
    station_id: object = None,
    crs: CRS | str = "EPSG:4326",
    name: str | None = None,
    tier: str | None = None,
) -> CoverageResult:
    """The result with one more station, updated by a bounded search from it.

    Parameters
    ----------
    result : CoverageResult
        From :func:`~coverage.compute_coverage` or :func:`~coverage.run_coverage`.
    point : (x, y) or shapely Point
        Where the new station is, in ``crs``.
    station_id : optional
        Its identifier (default ``new-<n>``); must not exist yet.
    crs : pyproj.CRS or str
        CRS of ``point`` (default lon/lat WGS84).
    name, tier : str, optional
        Attributes for the station table.

    Returns
    -------
    CoverageResult
        The new station is the last row of ``stations``.

    Raises
    ------
    InputError
        If the result has no engine state or the identifier exists.
    """
    state = _state(result)
    pt = point if isinstance(point, Point) else Point(float(point[0]), float(point[1]))
    sid = station_id if station_id is not None else f"new-{len(result.stations) + 1}"
    if (result.stations["id"].astype(str) == str(sid)).any():
        raise InputError(f"add_station: a station with id {sid!r} exists; give another station_id")
    net = state.network
    metric = gpd.GeoSeries([pt], crs=crs).to_crs(net.crs).iloc[0]
    x, y = np.array([metric.x]), np.array([metric.y])
    new_state = add_source(state, snap_for_state(state, x, y, direction="to_point"))
    base = _input_columns(result)
    row = {"id": sid, "name": name if name is not None else str(sid), "tier": tier}
    new = gpd.GeoDataFrame(
        [row], geometry=[gpd.GeoSeries([pt], crs=crs).to_crs(base.crs).iloc[0]], crs=base.crs
    )
    stations = gpd.GeoDataFrame(pd.concat([base, new], ignore_index=True), crs=base.crs)
    return _rebuild(result, new_state, stations)


def _index(result: CoverageResult, station_id: object, caller: str) -> int:
    ids = result.stations["id"].astype(str).to_numpy()
    where = np.flatnonzero(ids == str(station_id))
    if where.size == 0:
        raise InputError(f"{caller}: no station with id {station_id!r}")
    return int(where[0])


def remove_station(result: CoverageResult, station_id: object) -> CoverageResult:
    """The result without one station, updated by recomputing its catchment only.

    Parameters
    ----------
    result : CoverageResult
        From :func:`~coverage.compute_coverage` or :func:`~coverage.run_coverage`.
    station_id : object
        The ``id`` of the station to close.

    Returns
    -------
    CoverageResult

    Raises
    ------
    InputError
        If the result has no engine state or no station has that id.
    """
    state = _state(result)
    index = _index(result, station_id, "remove_station")
    new_state = remove_source(state, index)
    base = _input_columns(result)
    stations = base.drop(index=base.index[index]).reset_index(drop=True)
    return _rebuild(result, new_state, stations)


def move_station(
    result: CoverageResult,
    station_id: object,
    point: tuple[float, float] | Point,
    *,
    crs: CRS | str = "EPSG:4326",
) -> CoverageResult:
    """The result with one station moved: closed, then opened at ``point``, in one update.

    Identical to :func:`remove_station` followed by :func:`add_station` with the same
    id, but the figures are rebuilt once, and the station keeps every column of its row.

    Parameters
    ----------
    result : CoverageResult
        From :func:`~coverage.compute_coverage` or :func:`~coverage.run_coverage`.
    station_id : object
        The ``id`` of the station to move.
    point : (x, y) or shapely Point
        Its new position, in ``crs``.
    crs : pyproj.CRS or str
        CRS of ``point`` (default lon/lat WGS84).

    Returns
    -------
    CoverageResult
        The moved station is the last row of ``stations``.

    Raises
    ------
    InputError
        If the result has no engine state or no station has that id.
    """
    state = _state(result)
    index = _index(result, station_id, "move_station")
    pt = point if isinstance(point, Point) else Point(float(point[0]), float(point[1]))
    metric = gpd.GeoSeries([pt], crs=crs).to_crs(state.network.crs).iloc[0]
    snap = snap_for_state(state, np.array([metric.x]), np.array([metric.y]), direction="to_point")
    new_state = add_source(remove_source(state, index), snap)
    base = _input_columns(result)
    row = base.iloc[[index]].set_geometry(
        [gpd.GeoSeries([pt], crs=crs).to_crs(base.crs).iloc[0]], crs=base.crs
    )
    rest = base.drop(index=base.index[index])
    stations = gpd.GeoDataFrame(pd.concat([rest, row], ignore_index=True), crs=base.crs)
    return _rebuild(result, new_state, stations)
