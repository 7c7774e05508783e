"""Candidate sites for new stations: a planner's file, OSM points of interest, or gaps.

Every source gives the same table: a GeoDataFrame in WGS84 with the columns
``id``, ``name``, ``type``, ``source`` and ``geometry`` (points), then any other
column of the input (a ``capacity`` column, people a site could serve, is used by
the capacitated models).

Partner types and the OpenStreetMap tags that find them (:data:`PARTNER_TAGS`):

=============  ==========================================================
type           OSM tags
=============  ==========================================================
bank           ``amenity=bank``
clinic         ``amenity=clinic|hospital|doctors``,
               ``healthcare=clinic|hospital|doctor|centre``
pharmacy       ``amenity=pharmacy``, ``healthcare=pharmacy``
government     ``amenity=townhall|community_centre``, ``office=government``
post_office    ``amenity=post_office``
=============  ==========================================================

A feature matching several types takes the first in this order. Its ``amenity``
tag decides what it is: a feature whose ``amenity`` names something else (a
``marketplace``, a ``place_of_worship``) is no partner by another key (an
``office=government`` on a market hall does not make it a government office).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from ..errors import InputError
from ..inputs.population import Demand
from ..inputs.stations import STATION_OUTPUT_COLUMNS, read_osm_pois, read_stations

__all__ = [
    "CANDIDATE_COLUMNS",
    "PARTNER_TAGS",
    "candidates_from_file",
    "candidates_from_gaps",
    "candidates_from_osm",
    "prepare_candidates",
]

#: Partner type -> OSM key -> accepted values (see the module docs).
PARTNER_TAGS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "bank": {"amenity": ("bank",)},
    "clinic": {
        "amenity": ("clinic", "hospital", "doctors"),
        "healthcare": ("clinic", "hospital", "doctor", "centre"),
    },
    "pharmacy": {"amenity": ("pharmacy",), "healthcare": ("pharmacy",)},
    "government": {"amenity": ("townhall", "community_centre"), "office": ("government",)},
    "post_office": {"amenity": ("post_office",)},
}

#: The leading columns of every candidate table.
CANDIDATE_COLUMNS = ("id", "name", "type", "source", "geometry")


def _table(frame: pd.DataFrame, geometry: object, *, source: str) -> gpd.GeoDataFrame:
    rest = [c for c in frame.columns if c not in CANDIDATE_COLUMNS]
    out = gpd.GeoDataFrame(
        frame[[*CANDIDATE_COLUMNS[:-1], *rest]].reset_index(drop=True),
        geometry=geometry,
        crs="EPSG:4326",
    )
    out = out[[*CANDIDATE_COLUMNS, *rest]]
    out.attrs["source"] = source
    return out


def candidates_from_file(
    path: str | os.PathLike[str], *, crs: str | CRS = "EPSG:4326"
) -> gpd.GeoDataFrame:
    """Candidate sites from a planner's file (the same formats as station files).

    Parameters
    ----------
    path : path-like
        CSV with coordinate columns, GeoJSON, GeoPackage, ...
        (:func:`~coverage.read_stations`); an optional ``type`` column (else the
        ``tier`` column) names the partner type, and ``capacity`` the people a site
        could serve.
    crs : str or pyproj.CRS
        CRS of CSV coordinates.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id``, ``name``, ``type``, ``source`` ("file"), ``geometry`` and the other columns.

    Raises
    ------
    InputError
        If the file is unusable (see :func:`~coverage.read_stations`) or its capacity
        column holds a negative or non-numeric value.
    """
    # a candidate's 'capacity' is the people it could serve, not a staffing flag
    keep_free = tuple(c for c in STATION_OUTPUT_COLUMNS if c != "capacity")
    stations = read_stations(
        path, crs=crs, what="candidate", option="--candidates", output_columns=keep_free
    )
    frame = pd.DataFrame(stations.drop(columns="geometry"))
    if "type" not in frame:
        frame["type"] = frame["tier"]
    frame["type"] = frame["type"].astype(str)
    frame["source"] = "file"
    if "capacity" in frame:
        values = pd.to_numeric(frame["capacity"], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise InputError(
                f"{path}: row {row}: column 'capacity' must be a number of people >= 0 "
                f"({frame['capacity'].iloc[row - 2]!r}); fix the value or leave the column out"
            )
        frame["capacity"] = values.astype(float)
    return _table(frame, stations.geometry.to_numpy(), source=str(path))


def candidates_from_osm(
    path: str | os.PathLike[str], *, types: Iterable[str] | None = None
) -> gpd.GeoDataFrame:
    """Candidate sites: OSM points of interest of partner types (:data:`PARTNER_TAGS`).

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` extract.
    types : iterable of str, optional
        Partner types to keep (default all of :data:`PARTNER_TAGS`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``id`` (``node/123``, ``way/456``), ``name`` (the OSM name, else type and id),
        ``type``, ``source`` ("osm"), ``geometry`` (polygons become centroids).

    Raises
    ------
    InputError
        On an unknown partner type or an unreadable file.
    """
    wanted = list(PARTNER_TAGS) if types is None else list(types)
    unknown = [t for t in wanted if t not in PARTNER_TAGS]
    if unknown:
        raise InputError(
            f"candidate types: unknown partner type {unknown[0]!r}; use {', '.join(PARTNER_TAGS)}"
        )
    if Path(path).suffix.lower() != ".pbf":
        raise InputError(
            f"{path}: OSM candidates need a .osm.pbf extract; give a candidates file instead"
        )
    tags: dict[str, list[str]] = {}
    for t in wanted:
        for key, values in PARTNER_TAGS[t].items():
            tags.setdefault(key, [])
            tags[key] += [v for v in values if v not in tags[key]]
    pois = read_osm_pois(path, tags)
    kind = pd.Series([None] * len(pois), dtype=object)
    amenity = (
        pois["amenity"].fillna("").astype(str).to_numpy()
        if "amenity" in pois
        else np.full(len(pois), "", dtype=object)
    )
    for t in wanted:
        hit = np.zeros(len(pois), dtype=bool)
        for key, values in PARTNER_TAGS[t].items():
            if key in pois:
                hit |= pois[key].isin(values).to_numpy()
        # the amenity says what a place is: an office=government tag on a market hall
        # (amenity=marketplace) or a mosque does not make it a government office
        clear = (amenity == "") | np.isin(amenity, PARTNER_TAGS[t].get("amenity", ()))
        kind[hit & clear & kind.isna().to_numpy()] = t
    keep = kind.notna().to_numpy()
    pois = pois.loc[keep].reset_index(drop=True)
    kind = kind[keep].reset_index(drop=True)
    ids = [f"{t}/{i}" for t, i in zip(pois["osm_type"], pois["osm_id"], strict=True)]
    names = [
        n if isinstance(n, str) and n.strip() else f"{k} {i}"
        for n, k, i in zip(pois["name"], kind, ids, strict=True)
    ]
    frame = pd.DataFrame({"id": ids, "name": names, "type": kind.to_numpy(), "source": "osm"})
    for key in tags:
        if key in pois:
            frame[key] = pois[key].to_numpy()
    frame["hours"] = pois["hours"].to_numpy() if "hours" in pois else None
    frame = frame.drop_duplicates("id").reset_index(drop=True)
    geometry = pois.geometry.to_numpy()[~pd.Series(ids).duplicated().to_numpy()]
    return _table(frame, geometry, source=str(path))


def candidates_from_gaps(
    demand: Demand,
    minutes: np.ndarray,
    *,
    threshold: float,
    count: int = 200,
    spacing_m: float = 1000.0,
    metric_crs: CRS | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites at the most populated cells not yet covered, spaced apart.

    Cells with more than ``threshold`` minutes to their nearest station are taken
    by decreasing population (ties: lower index first); a cell closer than
    ``spacing_m`` to one already taken is skipped, until ``count`` are taken.

    Parameters
    ----------
    demand : Demand
        Demand points (raster cell centres).
    minutes : numpy.ndarray
        Minutes from each demand point to its nearest existing station (inf: none).
    threshold : float
        Coverage threshold in minutes.
    count : int
        Most candidates returned.
    spacing_m : float
        Least distance between two candidates.
    metric_crs : pyproj.CRS, optional
        CRS in which ``spacing_m`` is measured (default ``demand.crs`` if projected,
        else the local UTM zone).

    Returns
    -------
    geopandas.GeoDataFrame
        ``id`` (``gap/<point index>``), ``name``, ``type`` ("gap"), ``source`` ("gaps"),
        ``population`` (of the cell) and ``geometry``.
    """
    from ..inputs.crs import local_metric_crs, transform_xy

    minutes = np.asarray(minutes, dtype=float)
    pop = demand.population
    open_ = np.flatnonzero((pop > 0) & ~(minutes <= threshold))
    order = open_[np.lexsort((open_, -pop[open_]))]
    if metric_crs is None:
        if demand.crs.is_projected:
            metric_crs = demand.crs
        else:
            lon, lat = transform_xy(demand.x, demand.y, demand.crs, CRS.from_epsg(4326))
            metric_crs = local_metric_crs(float(np.mean(lon)), float(np.mean(lat)))
    x, y = transform_xy(demand.x[order], demand.y[order], demand.crs, metric_crs)
    taken: list[int] = []
    cells: dict[tuple[int, int], list[int]] = {}
    size = max(float(spacing_m), 1e-9)
    for n in range(order.size):
        if len(taken) >= count:
            break
        cx, cy = int(np.floor(x[n] / size)), int(np.floor(y[n] / size))
        near = False
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for m in cells.get((cx + dx, cy + dy), ()):
                    if (x[m] - x[n]) ** 2 + (y[m] - y[n]) ** 2 < spacing_m**2:
                        near = True
                        break
        if near:
            continue
        taken.append(n)
        cells.setdefault((cx, cy), []).append(n)
    picked = order[np.asarray(taken, dtype=np.int64)]
    lon, lat = transform_xy(demand.x[picked], demand.y[picked], demand.crs, CRS.from_epsg(4326))
    frame = pd.DataFrame(
        {
            "id": [f"gap/{i}" for i in picked],
            "name": [
                f"gap cell {i} ({p:,.0f} people)" for i, p in zip(picked, pop[picked], strict=True)
            ],
            "type": "gap",
            "source": "gaps",
            "population": pop[picked],
        }
    )
    return _table(frame, gpd.points_from_xy(lon, lat, crs="EPSG:4326"), source="gaps")


def prepare_candidates(
    candidates: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    *,
    exclude: Sequence[str] = (),
    force: Sequence[str] = (),
    duplicate_m: float = 25.0,
    metric_crs: CRS | str,
) -> gpd.GeoDataFrame:
    """Drop excluded candidates and those that are existing stations; check forced ids.

    A candidate is taken to be an existing station when it has a station's id or lies
    within ``duplicate_m`` of one (existing stations stay as they are). Duplicate
    candidate ids keep their first row. The result has a boolean ``forced`` column.

    Parameters
    ----------
    candidates : geopandas.GeoDataFrame
        From the ``candidates_from_*`` functions (or several of them concatenated).
    stations : geopandas.GeoDataFrame
        The existing stations.
    exclude, force : sequence of str
        Candidate ids to leave out, or that must be chosen.
    duplicate_m : float
        Distance under which a candidate is the station already there.
    metric_crs : pyproj.CRS or str
        CRS in which ``duplicate_m`` is measured.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    InputError
        If an excluded or forced id is not a candidate, a forced one is excluded or is
        an existing station, or no candidate is left.
    """
    from scipy.spatial import cKDTree

    ids = candidates["id"].astype(str)
    known = set(ids)
    for label, wanted in (("exclude", exclude), ("force", force)):
        missing = [i for i in wanted if i not in known]
        if missing:
            raise InputError(
                f"--{label}: {missing[0]!r} is not a candidate id; use an id from the "
                "candidate list (e.g. node/123 for OSM, the id column of a file)"
            )
    both = sorted(set(exclude) & set(force))
    if both:
        raise InputError(f"--force and --exclude both name {both[0]!r}; keep it in one of them")
    keep = ~ids.duplicated().to_numpy() & ~ids.isin(list(exclude)).to_numpy()
    station_ids = set(stations["id"].astype(str)) if len(stations) else set()
    is_station = ids.isin(list(station_ids)).to_numpy().copy()
    if len(stations) and duplicate_m > 0 and len(candidates):
        cp = candidates.to_crs(metric_crs).geometry
        sp_ = stations.to_crs(metric_crs).geometry
        tree = cKDTree(np.column_stack([sp_.x.to_numpy(), sp_.y.to_numpy()]))
        dist, _ = tree.query(np.column_stack([cp.x.to_numpy(), cp.y.to_numpy()]), k=1)
        is_station |= dist <= duplicate_m
    clash = [i for i in force if is_station[int(np.flatnonzero(ids.to_numpy() == i)[0])]]
    if clash:
        raise InputError(
            f"--force: candidate {clash[0]!r} is an existing station (same id or within "
            f"{duplicate_m:g} m of one); it is already counted"
        )
    out = candidates.loc[keep & ~is_station].reset_index(drop=True)
    if out.empty:
        raise InputError(
            "candidates: no candidate site is left after removing existing stations and "
            "exclusions; give more candidates (--candidates FILE, osm or gaps)"
        )
    out["forced"] = out["id"].astype(str).isin(list(force)).to_numpy()
    return out
