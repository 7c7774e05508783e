"""The road network as a compact weighted graph: one directed edge per direction of travel.

:class:`Network` holds node coordinates (lon/lat and a metric CRS), directed edges
weighted by seconds, and what each edge is (road class, ferry, whether points may
join it). :func:`network_from_edges` builds one from edge arrays; the readers of
OpenStreetMap files and county road layers (:mod:`coverage.inputs.network`) and the
terrain and cache modules all work on it, and none of them is imported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyproj import CRS

from ..errors import InputError
from .crs import geodesic_m, local_metric_crs, transform_xy
from .osm_ways import OSM_TAGS
from .speeds import (
    parse_maxspeed,
    speed_table,
)
from .way_rules import allowed, directions, is_ferry, linkable, tag

__all__ = ["Network", "network_from_edges"]


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

    @property
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
    # one sort on the (u, v) pair as one integer, then the least weight of each run of
    # equal pairs: half the time of a three-key lexsort on a million edges
    key = np.asarray(u, dtype=np.int64) * n + np.asarray(v, dtype=np.int64)
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else key
    w = np.fmin.reduceat(np.asarray(w)[order], first) if key.size else np.asarray(w)
    u, v = np.asarray(u)[order][first], np.asarray(v)[order][first]
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
        (missing tags may be absent or NaN). With a ``way`` column (the OSM readers
        give one), consecutive rows of the same way share its tags, and the tag
        rules run once per way.
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
    run = ways["way"].to_numpy(dtype=np.int64) if "way" in ways.columns else None
    ways = ways.reindex(columns=["u", "v", *OSM_TAGS])
    # the tag rules on one row per run of a way's segments (they share its tags)
    if run is None:
        per = np.arange(len(ways))
        rules = ways
    else:
        new_run = np.ones(run.size, dtype=bool)
        new_run[1:] = run[1:] != run[:-1]
        per = np.cumsum(new_run) - 1
        rules = ways.iloc[np.flatnonzero(new_run)]
    ferry_way = is_ferry(rules) & ferry
    usable_way = (
        (rules["highway"].astype("string").fillna("").isin(list(speeds)).to_numpy() | ferry_way)
        & (tag(rules, "area") != "yes").to_numpy()
        & allowed(rules, mode)
    )
    rows = np.flatnonzero(usable_way[per])
    if rows.size == 0:
        raise InputError(
            f"{source or 'network'}: no road usable for mode '{mode}' was found; "
            "check that the file is an OpenStreetMap extract of the study area with highway ways"
        )
    node_ids = np.asarray(node_ids, dtype=np.int64)
    order = np.argsort(node_ids, kind="stable")
    sorted_ids = node_ids[order]
    u_osm = ways["u"].to_numpy(dtype=np.int64)[rows]
    v_osm = ways["v"].to_numpy(dtype=np.int64)[rows]
    pos_u = np.searchsorted(sorted_ids, u_osm).clip(0, max(sorted_ids.size - 1, 0))
    pos_v = np.searchsorted(sorted_ids, v_osm).clip(0, max(sorted_ids.size - 1, 0))
    found = (sorted_ids[pos_u] == u_osm) & (sorted_ids[pos_v] == v_osm) & (u_osm != v_osm)
    if not found.any():
        raise InputError(
            f"{source or 'network'}: the usable roads for mode '{mode}' reference no node "
            "of the file; the extract may be clipped badly, download or export it again"
        )
    seg_u, seg_v = order[pos_u[found]], order[pos_v[found]]
    way = per[rows[found]]  # each segment's row of ``rules``
    ferry_row = ferry_way[way]
    fwd_way, bwd_way = directions(rules, mode)
    class_way = np.where(ferry_way, "ferry", rules["highway"].astype(str).to_numpy(dtype=object))
    hw = class_way[way]
    fwd, bwd, link = fwd_way[way], bwd_way[way], linkable(rules, mode)[way]
    if speed_kmh is not None:
        kmh = np.full(seg_u.size, float(speed_kmh))
    else:
        kmh = pd.Series(class_way).map(speeds).to_numpy(dtype=float, copy=True)[way]
        if mode != "walk":
            limit = np.array(
                [parse_maxspeed(v) for v in rules["maxspeed"].to_numpy(dtype=object)], dtype=float
            )[way]
            has = np.isfinite(limit) & ~ferry_row
            kmh[has] = limit[has] if mode == "drive" else np.minimum(kmh[has], limit[has])
    kmh[ferry_row] = ferry_speed_kmh
    # keep only the nodes that some usable segment touches, renumbered 0..n-1
    used, inverse = np.unique(np.concatenate([seg_u, seg_v]), return_inverse=True)
    seg_u, seg_v = inverse[: seg_u.size], inverse[seg_u.size :]
    lon = np.asarray(lon, dtype=float)[used]
    lat = np.asarray(lat, dtype=float)[used]
    ids = node_ids[used]
    length = geodesic_m(lon[seg_u], lat[seg_u], lon[seg_v], lat[seg_v])
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
