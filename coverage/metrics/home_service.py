"""The home-service list: where the uncovered residents of a group live, place by place.

Counties send staff to the homes of older and disabled residents who live beyond the
service circle (上门服务). For a population group (e.g. ``age_65_plus``, from
``population: {raster: ..., groups: {...}}``; or ``population`` for all residents),
every demand point with people of the group and beyond the threshold is placed:

- in the unit of the chosen level containing it (a village, usually);
- else, on a raster, in a **gap area**: uncovered group cells outside every unit that
  share an edge (4-connectivity), as in :mod:`coverage.metrics.gaps`;
- else (a population table without units) at its own point.

Each place gets the group's uncovered people, the population-weighted mean and the
largest minutes to the nearest station (over those who reach one), the people who
reach no station, and the station nearest for most of them: the one that could
serve them. Places are ranked by people, most first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio.features import shapes
from scipy import ndimage
from shapely.geometry import shape

from ..inputs.population import Demand
from .units import largest_by_group

__all__ = ["HOME_SERVICE_COLUMNS", "group_values", "home_service_list"]

#: Columns of the home-service table, in order (``geometry`` follows).
HOME_SERVICE_COLUMNS = [
    "rank",
    "place",
    "kind",
    "people",
    "cells",
    "mean_minutes",
    "max_minutes",
    "unreachable",
    "nearest_station",
    "nearest_station_name",
    "lon",
    "lat",
]


def group_values(demand: Demand, group: str) -> np.ndarray:
    """People of a group per demand point (``"population"``: every resident).

    Raises
    ------
    KeyError
        If the demand has no such group.
    """
    if group == "population":
        return np.asarray(demand.population, dtype=float)
    return np.asarray(demand.groups[group], dtype=float)


def _gap_labels(demand: Demand, points: np.ndarray) -> np.ndarray:
    """4-connected components of some raster points (0-based label per point)."""
    grid, rows, cols = demand.grid, demand.rows, demand.cols
    if grid is None or rows is None or cols is None:
        raise ValueError("gap areas need population from a raster")
    mask = np.zeros(grid.shape, dtype=bool)
    mask[rows[points], cols[points]] = True
    labels, _ = ndimage.label(mask)
    return labels[rows[points], cols[points]] - 1


def home_service_list(
    demand: Demand,
    group: str,
    minutes: np.ndarray,
    station: np.ndarray,
    threshold: float,
    *,
    units: tuple[np.ndarray, Sequence[str]] | None = None,
    station_ids: Sequence[Any] = (),
    station_names: Sequence[Any] = (),
) -> gpd.GeoDataFrame:
    """The places where a group's residents beyond the threshold live, most people first.

    Parameters
    ----------
    demand : Demand
        Demand points, with the group in ``demand.groups``.
    group : str
        The group (``"population"`` for every resident).
    minutes : numpy.ndarray
        Minutes per demand point to the nearest station (inf: none reachable).
    station : numpy.ndarray
        Index of that station (-1: none).
    threshold : float
        Coverage threshold in minutes.
    units : tuple, optional
        ``(unit_of_point, unit_names)`` of one unit level (-1: outside every unit).
    station_ids, station_names : sequence
        Id and name of each station, indexed like ``station``.

    Returns
    -------
    geopandas.GeoDataFrame
        In the demand's CRS, one row per place (:data:`HOME_SERVICE_COLUMNS`):

        - ``rank``: 1 = most people (ties: units in their order, then gap areas in the
          raster's row-major order, then points);
        - ``place``: unit name, ``gap <k>`` (numbered by rank among gaps) or the point's
          label; ``kind``: ``unit``, ``gap`` or ``point``;
        - ``people`` (of the group, beyond the threshold), ``cells`` (demand points);
        - ``mean_minutes`` and ``max_minutes``: population-weighted mean and largest
          minutes over those who reach a station (NaN if none); ``unreachable``: people
          who reach no station;
        - ``nearest_station`` / ``nearest_station_name``: the station nearest for most
          of them (None if none reaches a station);
        - ``lon`` / ``lat``: their people-weighted centre (WGS84);
        - ``geometry``: the union of their raster cells, or their points.

    Raises
    ------
    KeyError
        If the demand has no such group.
    """
    values = group_values(demand, group)
    minutes = np.asarray(minutes, dtype=float)
    station = np.asarray(station, dtype=np.int64)
    points = np.flatnonzero((values > 0) & ~(minutes <= threshold))
    unit = np.full(points.size, -1, dtype=np.int64)
    names: list[str] = []
    if units is not None:
        unit = np.asarray(units[0], dtype=np.int64)[points]
        names = [str(n) for n in units[1]]
    place = unit.copy()
    kind = np.where(unit >= 0, "unit", "gap").astype(object)
    outside = unit < 0
    if outside.any():
        if demand.grid is not None:
            place[outside] = len(names) + _gap_labels(demand, points[outside])
        else:
            place[outside] = len(names) + np.arange(int(outside.sum()))
            kind[outside] = "point"
    n = int(place.max()) + 1 if place.size else 0
    pop, mins = values[points], minutes[points]
    reach = np.isfinite(mins)
    people = np.bincount(place, weights=pop, minlength=n)
    reach_pop = np.bincount(place, weights=np.where(reach, pop, 0.0), minlength=n)
    weighted = np.bincount(place, weights=np.where(reach, pop * mins, 0.0), minlength=n)
    longest = np.full(n, -np.inf)
    np.maximum.at(longest, place[reach], mins[reach])
    which, _ = largest_by_group(place, station[points], np.where(reach, pop, 0.0), n)
    lon, lat = _wgs84(demand, points)
    used = people > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame(
            {
                "label": np.arange(n),
                "kind": pd.Series(kind).groupby(place).first().reindex(range(n)).to_numpy(),
                "people": people,
                "cells": np.bincount(place, minlength=n),
                "mean_minutes": np.where(reach_pop > 0, weighted / reach_pop, np.nan),
                "max_minutes": np.where(np.isfinite(longest), longest, np.nan),
                "unreachable": people - reach_pop,
                "nearest_station": _pick(station_ids, which),
                "nearest_station_name": _pick(station_names, which),
                "lon": np.bincount(place, weights=pop * lon, minlength=n) / people,
                "lat": np.bincount(place, weights=pop * lat, minlength=n) / people,
            }
        )[used]
    table = table.sort_values(["people", "label"], ascending=[False, True], kind="stable")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    gap_rank = (table["kind"] != "unit").cumsum()
    point_labels = demand.labels
    table.insert(
        1,
        "place",
        [
            names[label]
            if k == "unit"
            else f"gap {g}"
            if k == "gap"
            else _point_label(point_labels, points[outside], label - len(names))
            for label, k, g in zip(table["label"], table["kind"], gap_rank, strict=True)
        ],
    )
    geometry = _geometries(demand, points, place, table["label"].tolist())
    out = gpd.GeoDataFrame(
        table.drop(columns="label").reset_index(drop=True), geometry=geometry, crs=demand.crs
    )
    return out[[*HOME_SERVICE_COLUMNS, "geometry"]]


def _pick(values: Sequence[Any], which: np.ndarray) -> np.ndarray:
    pool = np.asarray(list(values), dtype=object)
    out = np.full(which.size, None, dtype=object)
    ok = (which >= 0) & (which < pool.size)
    out[ok] = pool[which[ok]]
    return out


def _point_label(labels: np.ndarray | None, outside: np.ndarray, k: int) -> str:
    i = int(outside[k])
    if labels is not None and str(labels[i]).strip():
        return str(labels[i])
    return f"point {i + 1}"


def _wgs84(demand: Demand, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from ..inputs.crs import transform_xy

    lon, lat = transform_xy(demand.x[points], demand.y[points], demand.crs, "EPSG:4326")
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _geometries(
    demand: Demand, points: np.ndarray, place: np.ndarray, wanted: list[int]
) -> list[Any]:
    """The union of each place's cells (raster) or its points (table), in ``wanted`` order."""
    grid, rows, cols = demand.grid, demand.rows, demand.cols
    if grid is None or rows is None or cols is None:
        return [
            shapely.multipoints(
                np.column_stack([demand.x[points[place == k]], demand.y[points[place == k]]])
            )
            for k in wanted
        ]
    labels = np.zeros(grid.shape, dtype=np.int32)
    labels[rows[points], cols[points]] = place + 1
    pieces: dict[int, list[Any]] = {}
    for geom, value in shapes(labels, mask=labels > 0, connectivity=4, transform=grid.transform):
        pieces.setdefault(int(value) - 1, []).append(shape(geom))
    return [shapely.union_all(pieces[k]) if len(pieces[k]) > 1 else pieces[k][0] for k in wanted]
