"""County road layers (GeoPackage, Shapefile, GeoJSON) as road networks.

Chinese counties keep their roads as line layers from the transport bureau or
the land survey, classed 国道 / 省道 / 县道 / 乡道 / 村道 or by technical grade
(一级 … 四级公路, 等外公路), often more complete than OpenStreetMap in rural areas.
Such a layer becomes the same per-mode :class:`~coverage.inputs.network.Network`
as an OSM file: each class is read as the OSM ``highway`` class of the same role
(:data:`CLASS_TO_HIGHWAY`), so the speed table, access, one-way and linking rules
are the same (an expressway is a motorway: drivers never join it). OSM ``highway``
values (``fclass`` of a Geofabrik shapefile) work too.

Columns are found by their header, or named with ``network_columns``:

- ``class``: 道路等级, 公路等级, 技术等级, 等级, class, fclass, highway;
- ``speed``: km/h, 设计速度, 限速, 速度, speed, maxspeed (drive: the edge's
  speed; bike and e-bike: a cap, as OSM ``maxspeed``);
- ``oneway``: 单向, oneway (``yes``, ``1``, ``是``, ``单向``: along the line;
  ``-1``: against it);
- ``name``: 名称, 道路名称, name (kept for messages).

Topology: lines join where their vertices coincide within ``network_snap_m``
(default 0.5 m); lines that cross without a shared vertex do not join (bridges,
overpasses). Line ends that stop within :data:`DANGLE_M` of another line without
joining it are counted in a :class:`DanglingEndsWarning` (a topology hint).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ..errors import InputError
from .crs import local_metric_crs
from .tables import find_column, read_vector, rename_columns

__all__ = [
    "CLASS_COLUMNS",
    "CLASS_TO_HIGHWAY",
    "DANGLE_M",
    "LAYER_SUFFIXES",
    "DanglingEndsWarning",
    "road_layer_ways",
]

#: Files read as road layers instead of OSM extracts.
LAYER_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json")

#: Headers of the road class column, in order of preference.
CLASS_COLUMNS = ("道路等级", "公路等级", "技术等级", "等级", "class", "fclass", "highway")
_SPEED_COLUMNS = ("设计速度", "限速", "速度", "speed", "maxspeed", "speed_kmh")
_ONEWAY_COLUMNS = ("单向", "oneway")
_NAME_COLUMNS = ("道路名称", "名称", "name")

#: Chinese road classes and technical grades -> the OSM ``highway`` class of the same role.
CLASS_TO_HIGHWAY: Mapping[str, str] = {
    # administrative classes (公路行政等级)
    "高速公路": "motorway",
    "国道": "trunk",
    "省道": "primary",
    "县道": "secondary",
    "乡道": "tertiary",
    "村道": "unclassified",
    "专用公路": "service",
    # urban roads (城市道路)
    "城市快速路": "motorway",
    "快速路": "motorway",
    "主干路": "primary",
    "次干路": "secondary",
    "支路": "residential",
    # technical grades (公路技术等级, JTG B01)
    "一级公路": "trunk",
    "二级公路": "primary",
    "三级公路": "tertiary",
    "四级公路": "unclassified",
    "等外公路": "track",
    # paths
    "机耕路": "track",
    "步行道": "footway",
    "人行道": "footway",
    "小路": "path",
}

#: Line ends within this distance of another line they do not join are reported.
DANGLE_M = 5.0

_YES = {"yes", "true", "1", "是", "单向", "y"}
_REVERSE = {"-1", "reverse", "反向"}


def _oneway(value: object) -> str | None:
    """An OSM ``oneway`` value for a layer's one-way cell."""
    if value is None or pd.isna(value):
        return None
    text = str(value).strip().lower()
    return "yes" if text in _YES else "-1" if text in _REVERSE else "no"


class DanglingEndsWarning(UserWarning):
    """Line ends of a road layer stop just short of (or just past) another line."""


def _highway_of(values: pd.Series) -> pd.Series:
    """The OSM class of each road class value (unknown: '')."""
    from .speeds import SPEEDS_KMH

    osm = set().union(*(SPEEDS_KMH[m] for m in SPEEDS_KMH))
    out = {}
    for value in values.dropna().unique():
        text = str(value).strip()
        key = text.replace(" ", "")
        if key in CLASS_TO_HIGHWAY:
            out[value] = CLASS_TO_HIGHWAY[key]
        elif text.lower() in osm:
            out[value] = text.lower()
        elif key + "公路" in CLASS_TO_HIGHWAY:  # 一级 -> 一级公路
            out[value] = CLASS_TO_HIGHWAY[key + "公路"]
        else:  # e.g. 县道X205: the class named inside a longer value
            found = [hw for name, hw in CLASS_TO_HIGHWAY.items() if name in key]
            out[value] = found[0] if found else ""
    return values.map(out).fillna("")


def _columns(
    frame: gpd.GeoDataFrame, mapping: Mapping[str, str] | None, source: str
) -> dict[str, Any]:
    frame = rename_columns(frame, mapping, source=source)
    headers = {
        "class": CLASS_COLUMNS,
        "speed": _SPEED_COLUMNS,
        "oneway": _ONEWAY_COLUMNS,
        "name": _NAME_COLUMNS,
    }
    found: dict[str, Any] = {
        key: key if mapping and key in mapping else find_column(frame.columns, names)
        for key, names in headers.items()
    }
    if found["class"] is None:
        raise InputError(
            f"{source}: no road class column found (looked for {', '.join(CLASS_COLUMNS)}; "
            f"columns are {', '.join(map(str, frame.columns.drop('geometry')))}); name it with "
            "network_columns: {class: <header>}"
        )
    found["frame"] = frame
    return found


def road_layer_ways(
    path: str | os.PathLike[str],
    *,
    columns: Mapping[str, str] | None = None,
    snap_m: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Read a road line layer into nodes and tagged segments, like an OSM file.

    Parameters
    ----------
    path : path-like
        GeoPackage, Shapefile (its ``.cpg`` gives the attribute encoding; GBK
        without one is detected) or GeoJSON, in any CRS (CGCS2000 and its
        Gauss-Krüger zones included).
    columns : mapping, optional
        ``{class: ..., speed: ..., oneway: ..., name: ...}`` headers when not found.
    snap_m : float
        Vertices closer than this join into one node.

    Returns
    -------
    node_ids, lon, lat : numpy.ndarray
        Nodes (ids from 1) and their WGS84 coordinates.
    ways : pandas.DataFrame
        One row per segment: ``u``, ``v``, ``highway`` (the OSM class of the road
        class), ``maxspeed`` and ``oneway``, ready for
        :func:`~coverage.inputs.network.network_from_edges`.

    Raises
    ------
    InputError
        If the file cannot be read, has no CRS, no line or no class column, or no
        class is recognised.

    Warns
    -----
    DanglingEndsWarning
        When line ends stop within :data:`DANGLE_M` of another line without joining it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: network file not found; check the 'network' path")
    frame = read_vector(path, "road layer")
    if frame.crs is None:
        raise InputError(f"{path}: the road layer has no CRS; save it with one (e.g. a .prj file)")
    found = _columns(frame, columns, str(path))
    frame = found["frame"]
    frame = frame[
        frame.geometry.notna() & frame.geometry.geom_type.isin(["LineString", "MultiLineString"])
    ]
    if frame.empty:
        raise InputError(f"{path}: the road layer has no lines")
    highway = _highway_of(frame[found["class"]])
    if (highway == "").all():
        values = ", ".join(map(str, frame[found["class"]].dropna().unique()[:8]))
        raise InputError(
            f"{path}: no road class of column '{found['class']}' is known ({values}); use "
            "国道/省道/县道/乡道/村道, 一级…四级公路, 等外公路 or OSM highway values"
        )
    unknown = frame[found["class"]][highway == ""]
    if len(unknown):
        warnings.warn(
            f"{path}: {len(unknown):,} lines of unknown class (e.g. "
            f"{', '.join(map(str, unknown.dropna().unique()[:5]))}) are left out",
            UserWarning,
            stacklevel=3,
        )
    # lines of WGS84 coordinates, and metric ones to join vertices
    wgs = frame.to_crs("EPSG:4326")
    centre = wgs.geometry.union_all().centroid
    metric = frame.to_crs(local_metric_crs(centre.x, centre.y))
    parts = metric.geometry.explode(index_parts=False)
    row_of_part = parts.index.to_numpy()
    coords, part_of_vertex = shapely.get_coordinates(parts.to_numpy(), return_index=True)
    wgs_coords = shapely.get_coordinates(wgs.geometry.explode(index_parts=False).to_numpy())
    # vertices within snap_m of each other become one node
    n = coords.shape[0]
    pairs = cKDTree(coords).query_pairs(max(snap_m, 1e-9), output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, node_of_vertex = connected_components(graph, directed=False)
    first = np.unique(node_of_vertex, return_index=True)[1]
    lon, lat = wgs_coords[first, 0], wgs_coords[first, 1]
    same = part_of_vertex[1:] == part_of_vertex[:-1]
    a, b = np.flatnonzero(same), np.flatnonzero(same) + 1
    row = frame.index.get_indexer(row_of_part[part_of_vertex[a]])
    pick = frame.iloc[row]

    def column(name: str) -> np.ndarray:
        key = found[name]
        return pick[key].to_numpy(dtype=object) if key is not None else np.full(a.size, None)

    oneway = pd.Series(column("oneway"), dtype=object).map(_oneway)
    ways = pd.DataFrame(
        {
            "u": node_of_vertex[a] + 1,
            "v": node_of_vertex[b] + 1,
            "highway": highway.to_numpy(dtype=object)[row],
            "maxspeed": column("speed"),
            "oneway": oneway.to_numpy(dtype=object),
        }
    )
    ways = ways[ways["highway"] != ""]
    _warn_dangling(path, coords, part_of_vertex, node_of_vertex, parts.to_numpy())
    return np.arange(1, first.size + 1, dtype=np.int64), lon, lat, ways.reset_index(drop=True)


def _warn_dangling(
    path: Path,
    coords: np.ndarray,
    part_of_vertex: np.ndarray,
    node_of_vertex: np.ndarray,
    lines: np.ndarray,
) -> None:
    """Count line ends of degree 1 lying within DANGLE_M of another line."""
    starts = np.flatnonzero(np.r_[True, part_of_vertex[1:] != part_of_vertex[:-1]])
    ends = np.r_[starts[1:] - 1, part_of_vertex.size - 1]
    tips = np.concatenate([starts, ends])
    nodes = node_of_vertex[tips]
    # a node's degree: how many line pieces touch it at an end or through it
    degree = np.bincount(node_of_vertex, minlength=node_of_vertex.max() + 1)
    loose = tips[degree[nodes] == 1]
    if loose.size == 0:
        return
    tree = shapely.STRtree(lines)
    pts = shapely.points(coords[loose])
    idx_pt, idx_line = tree.query(pts, predicate="dwithin", distance=DANGLE_M)
    other = idx_line != part_of_vertex[loose][idx_pt]
    count = np.unique(idx_pt[other]).size
    if count:
        warnings.warn(
            f"{path}: {count:,} line ends stop within {DANGLE_M:g} m of another line without "
            "joining it; check the layer's topology (snap the ends to the lines, or raise "
            "network_snap_m)",
            DanglingEndsWarning,
            stacklevel=3,
        )


def layer_files(path: str | os.PathLike[str]) -> list[Path]:
    """The files of a layer whose content the graph depends on (a Shapefile's sidecars)."""
    path = Path(path)
    if path.suffix.lower() != ".shp":
        return [path]
    return [
        p
        for p in (path.with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj", ".cpg"))
        if p.is_file()
    ]
