"""Reading the highway and ferry ways of OpenStreetMap extracts, from PBF or XML.

An ``.osm.pbf`` file is parsed with pyrosm (compiled, vectorised; the ways' node
references, which find gaps in clipped extracts, and the ferry ways with osmium's
compiled filters); an ``.osm`` XML
file (optionally ``.gz``/``.bz2``) with the standard library's streaming XML
parser. Both return the same nodes and the same tags (:data:`OSM_TAGS`) per
segment between consecutive way nodes, so the same data in either format gives
the same graph in :mod:`coverage.inputs.network`.

Data quality
------------
- A node with a coordinate that is not a finite number within ±180° longitude and
  ±90° latitude stops the run (:class:`~coverage.errors.InputError`).
- A way that references nodes missing from the file (an extract clipped without
  complete ways) keeps only its segments between consecutive nodes that are
  present: a gap is never bridged by a straight line, which could cut across the
  area outside the extract. When gaps inside ways lose at least
  :data:`GAP_WARN_SHARE` of the way length (a gap's length is the straight line
  across it), an :class:`IncompleteWaysWarning` counts the ways and gives the
  share lost. Ways only cut at their ends (the edge of an extract) are normal.
"""

from __future__ import annotations

import bz2
import gzip
import os
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from pyproj import Geod

from ..errors import InputError

__all__ = ["GAP_WARN_SHARE", "OSM_TAGS", "IncompleteWaysWarning", "read_osm_ways"]

#: OSM way tags read from either file format and passed to :func:`network_from_edges`.
OSM_TAGS = (
    "highway",
    "access",
    "foot",
    "bicycle",
    "vehicle",
    "motor_vehicle",
    "motorcar",
    "area",
    "oneway",
    "oneway:bicycle",
    "junction",
    "maxspeed",
    "route",
    "tunnel",
    "indoor",
    "layer",
    "level",
    "location",
)


#: Gaps inside ways are warned of from this share of the way length lost.
GAP_WARN_SHARE = 0.001


class IncompleteWaysWarning(UserWarning):
    """Ways of an OSM file reference nodes the file does not hold (a clipped extract)."""


def _check_coordinates(path: Path, ids: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> None:
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        more = f" (and {int(bad.sum()) - 1:,} more)" if bad.sum() > 1 else ""
        raise InputError(
            f"{path}: node {ids[i]} has an invalid coordinate (lon {lon[i]}, lat {lat[i]}){more}; "
            "coordinates must be finite degrees within ±180 longitude and ±90 latitude: "
            "fix the node or export the extract again"
        )


def _gaps(
    way_of_ref: np.ndarray, refs: np.ndarray, present: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Segments and gaps of ways given as consecutive node references.

    Returns
    -------
    starts : numpy.ndarray
        Positions ``i`` in ``refs`` where ``refs[i] -> refs[i + 1]`` is a segment of
        one way with both nodes present.
    gap_from, gap_to : numpy.ndarray
        Positions of consecutive *present* nodes of one way with missing nodes between.
    """
    same = way_of_ref[1:] == way_of_ref[:-1]
    starts = np.flatnonzero(same & present[:-1] & present[1:])
    p = np.flatnonzero(present)
    gap = (way_of_ref[p[1:]] == way_of_ref[p[:-1]]) & (np.diff(p) > 1)
    return starts, p[:-1][gap], p[1:][gap]


def _warn_gaps(
    path: Path,
    ways_missing: int,
    ways_with_gaps: int,
    n_ways: int,
    gap_m: float,
    kept_m: float,
) -> None:
    """Warn of gaps inside ways; ways only cut at their ends (an extract's edge) are normal."""
    share = gap_m / (gap_m + kept_m) if gap_m + kept_m > 0 else 1.0
    if ways_with_gaps == 0 or share < GAP_WARN_SHARE:
        return
    warnings.warn(
        f"{path}: {ways_missing:,} of {n_ways:,} ways reference nodes missing from the file, "
        f"{ways_with_gaps:,} of them with gaps inside (a badly clipped extract); {share:.1%} of "
        f"the way length ({gap_m / 1000:,.1f} km) is left out of the network. Export the "
        "extract with complete ways (e.g. osmium extract --strategy complete_ways) to keep them",
        IncompleteWaysWarning,
        stacklevel=4,
    )


def _lengths(
    ids: np.ndarray, lon: np.ndarray, lat: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    order = np.argsort(ids, kind="stable")
    ia = order[np.searchsorted(ids, a, sorter=order)]
    ib = order[np.searchsorted(ids, b, sorter=order)]
    return np.asarray(Geod(ellps="WGS84").inv(lon[ia], lat[ia], lon[ib], lat[ib])[2], dtype=float)


def _pbf_way_refs(
    path: Path, highway_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, list[int], tuple[Any, ...]]]]:
    """Each kept highway way's node references, and the ferry ways, read with osmium.

    pyrosm's network frame has no node lists unless asked to build one per segment
    row (slow on long ways), so the references that find gaps in clipped ways are
    read here in one pass over the file's ways (compiled tag filters; one Python
    step per kept way). Ferry ways (``route=ferry`` without a ``highway`` tag)
    come with their tags.

    Returns
    -------
    way_of_ref, refs : numpy.ndarray
        The highway ways in ``highway_ids`` as consecutive node references.
    ferries : list of (way id, refs, tags)
    """
    import osmium

    keep = set(highway_ids.tolist())
    counts: list[int] = []
    ways: list[int] = []
    refs: list[int] = []
    ferries = []
    processor = osmium.FileProcessor(str(path), osmium.osm.WAY)
    # one pass for both: the ways with a highway or a route key (a third faster than two)
    for way in processor.with_filter(osmium.filter.KeyFilter("highway", "route")):
        if not isinstance(way, osmium.osm.Way):
            continue
        if "highway" in way.tags:
            if way.id in keep:
                way_refs = [n.ref for n in way.nodes]
                refs.extend(way_refs)
                counts.append(len(way_refs))
                ways.append(way.id)
        elif way.tags.get("route") == "ferry":
            tags = tuple(way.tags.get(k) for k in OSM_TAGS)
            ferries.append((int(way.id), [n.ref for n in way.nodes], tags))
    way_of_ref = np.repeat(np.asarray(ways, dtype=np.int64), counts)
    return way_of_ref, np.asarray(refs, dtype=np.int64), ferries


def _pbf_nodes(path: Path, ids: set[int]) -> pd.DataFrame:
    """The nodes ``ids`` of a PBF file (those present), as ``id``, ``lon``, ``lat``."""
    import osmium

    rows = []
    if ids:
        processor = osmium.FileProcessor(str(path), osmium.osm.NODE)
        for node in processor.with_filter(osmium.filter.IdFilter(ids)):
            if not isinstance(node, osmium.osm.Node):
                continue
            loc = node.location
            rows.append(
                (node.id, loc.lon if loc.valid() else np.nan, loc.lat if loc.valid() else np.nan)
            )
    return pd.DataFrame(rows, columns=["id", "lon", "lat"]).astype({"id": np.int64})


def _read_pbf(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    import pyrosm

    extra = [t for t in OSM_TAGS if t not in ("highway", "maxspeed", "oneway")]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            osm = pyrosm.OSM(str(path), keep_metadata=False)
            result = osm.get_network(network_type="all", nodes=True, extra_attributes=extra)
        if result is None or result[0] is None:
            raise InputError(
                f"{path}: the OSM file has no highway ways; use an extract that covers the "
                "study area"
            )
        nodes, edges = result
        edges = edges.reset_index(drop=True)
        highway_ids = np.unique(edges["id"].to_numpy(np.int64))
        way_of_ref, refs, ferry_ways = _pbf_way_refs(path, highway_ids)
        ferry_nodes = _pbf_nodes(path, {r for _, fr, _ in ferry_ways for r in fr})
    except InputError:
        raise
    except Exception as exc:  # pyrosm and osmium raise bare Exceptions on bad files
        raise InputError(
            f"{path}: cannot read this OSM PBF file ({type(exc).__name__}: {exc}); "
            "it may be truncated or corrupt, download it again"
        ) from None
    if len(ferry_nodes):
        nodes = pd.concat([nodes, ferry_nodes], ignore_index=True).drop_duplicates("id")
    ids = nodes["id"].to_numpy(dtype=np.int64)
    lon = nodes["lon"].to_numpy(dtype=float)
    lat = nodes["lat"].to_numpy(dtype=float)
    _check_coordinates(path, ids, lon, lat)
    # pyrosm joins the nodes either side of a missing node; find those gaps from
    # each way's full node list and leave them out, as the XML reader does
    present = np.isin(refs, ids)
    _, gap_from, gap_to = _gaps(way_of_ref, refs, present)
    gap_rows = np.zeros(len(edges), dtype=bool)
    f_way = np.repeat(
        np.asarray([w for w, _, _ in ferry_ways], dtype=np.int64),
        [len(fr) for _, fr, _ in ferry_ways],
    )
    f_refs = np.asarray([r for _, fr, _ in ferry_ways for r in fr], dtype=np.int64)
    f_present = np.isin(f_refs, ids)
    f_starts, f_gap_from, f_gap_to = _gaps(f_way, f_refs, f_present)
    if gap_from.size or f_gap_from.size:
        gap_keys = pd.MultiIndex.from_arrays([way_of_ref[gap_from], refs[gap_from], refs[gap_to]])
        row_keys = pd.MultiIndex.from_arrays(
            [
                edges["id"].to_numpy(np.int64),
                edges["u"].to_numpy(np.int64),
                edges["v"].to_numpy(np.int64),
            ]
        )
        gap_rows = row_keys.isin(gap_keys)
        u, v = edges["u"].to_numpy(np.int64), edges["v"].to_numpy(np.int64)
        seg_m = _lengths(ids, lon, lat, u, v)
        f_gap_m = _lengths(ids, lon, lat, f_refs[f_gap_from], f_refs[f_gap_to]).sum()
        f_kept_m = _lengths(ids, lon, lat, f_refs[f_starts], f_refs[f_starts + 1]).sum()
        _warn_gaps(
            path,
            int(np.unique(way_of_ref[~present]).size + np.unique(f_way[~f_present]).size),
            int(np.unique(way_of_ref[gap_from]).size + np.unique(f_way[f_gap_from]).size),
            int(highway_ids.size + len(ferry_ways)),
            float(seg_m[gap_rows].sum() + f_gap_m),
            float(seg_m[~gap_rows].sum() + f_kept_m),
        )
    edges = edges.loc[~gap_rows]
    ways = pd.DataFrame(
        {c: edges[c] if c in edges.columns else None for c in ("u", "v", *OSM_TAGS)}
    ).reset_index(drop=True)
    if f_starts.size:
        tags_of = {w: t for w, _, t in ferry_ways}
        ferry = pd.DataFrame([tags_of[w] for w in f_way[f_starts]], columns=list(OSM_TAGS))
        ferry.insert(0, "v", f_refs[f_starts + 1])
        ferry.insert(0, "u", f_refs[f_starts])
        ways = pd.concat([ways, ferry], ignore_index=True)
    return ids, lon, lat, ways


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
    refs: list[int] = []
    way_of_ref: list[int] = []
    way_tags: list[tuple[Any, ...]] = []
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
                    if "highway" in tags or tags.get("route") == "ferry":
                        way_refs = [int(nd.attrib["ref"]) for nd in elem.iter("nd")]
                        refs.extend(way_refs)
                        way_of_ref.extend([len(way_tags)] * len(way_refs))
                        way_tags.append(tuple(tags.get(k) for k in OSM_TAGS))
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
    node_ids = np.asarray(ids, dtype=np.int64)
    lon = np.asarray(lons, dtype=float)
    lat = np.asarray(lats, dtype=float)
    _check_coordinates(path, node_ids, lon, lat)
    ref_arr = np.asarray(refs, dtype=np.int64)
    way_arr = np.asarray(way_of_ref, dtype=np.int64)
    present = np.isin(ref_arr, node_ids)
    starts, gap_from, gap_to = _gaps(way_arr, ref_arr, present)
    if gap_from.size:
        kept_m = _lengths(node_ids, lon, lat, ref_arr[starts], ref_arr[starts + 1]).sum()
        gap_m = _lengths(node_ids, lon, lat, ref_arr[gap_from], ref_arr[gap_to]).sum()
        _warn_gaps(
            path,
            int(np.unique(way_arr[~present]).size),
            int(np.unique(way_arr[gap_from]).size),
            len(way_tags),
            float(gap_m),
            float(kept_m),
        )
    ways = pd.DataFrame(
        [way_tags[w] for w in way_arr[starts]] if starts.size else None,
        columns=list(OSM_TAGS),
    )
    ways.insert(0, "v", ref_arr[starts + 1])
    ways.insert(0, "u", ref_arr[starts])
    return node_ids, lon, lat, ways


def read_osm_ways(
    path: str | os.PathLike[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Parse the highway and ferry ways of an OSM extract into nodes and tagged segments.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` (parsed with pyrosm) or ``.osm`` / ``.osm.gz`` / ``.osm.bz2`` XML.

    Returns
    -------
    node_ids, lon, lat : numpy.ndarray
        Nodes (at least those of the ways) and their coordinates in degrees.
    ways : pandas.DataFrame
        One row per segment between consecutive way nodes that are both in the
        file: ``u``, ``v`` and the tags of :data:`OSM_TAGS` (None where unset),
        ready for :func:`network_from_edges`.

    Raises
    ------
    InputError
        If the file is missing, of an unknown format or corrupt, or a node has an
        invalid coordinate.

    Warns
    -----
    IncompleteWaysWarning
        When ways reference nodes missing from the file (see the module docstring).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: network file not found; check the 'network' path")
    name = path.name.lower()
    if name.endswith(".pbf"):
        return _read_pbf(path)
    if name.endswith((".osm", ".osm.gz", ".osm.bz2", ".xml")):
        return _read_xml(path)
    raise InputError(
        f"{path}: unknown network format; give an OpenStreetMap .osm.pbf or .osm file, "
        "or a road line layer (.gpkg, .shp, .geojson)"
    )
