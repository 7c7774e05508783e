"""Reading the highway and ferry ways of OpenStreetMap extracts, from PBF or XML.

An ``.osm.pbf`` file is decoded block by block into arrays by pyrosm's compiled
decoder (:mod:`coverage.inputs.osm_blocks`: no Python step per node), or, for
very large files and header features only it knows, by osmium (libosmium's C++
reader, every node's location kept in its index); an ``.osm`` XML file
(optionally ``.gz``/``.bz2``) with the standard library's streaming XML parser.
All return the same nodes and the same tags (:data:`OSM_TAGS`) per segment
between consecutive way nodes, so the same data in either format gives the same
graph in :mod:`coverage.inputs.network`.

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
from array import array
from functools import partial
from itertools import chain
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from ..errors import InputError
from . import osm_blocks
from .crs import geodesic_m
from .osm_blocks import UNDEFINED, TaggedCollector, UnknownFeature, decoder_available

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
    return geodesic_m(lon[ia], lat[ia], lon[ib], lat[ib])


#: ``highway`` values of no road at all (planned, gone, platforms, rest areas): OSMnx's
#: and pyrosm's network filters leave these ways out, as both readers do here.
NOT_ROADS = frozenset(
    {
        "abandoned",
        "construction",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "services",
    }
)


def _is_road(highway: str | None, area: str | None) -> bool:
    """Whether a way's tags make it a road of the network: a ``highway`` that is not
    one of :data:`NOT_ROADS` and no ``area=yes`` (a pedestrian square); a value with
    several parts (``construction;footway``) counts when any part does."""
    if highway is None:
        return False
    if area is not None and "yes" in (a.strip() for a in area.split(";")):
        return False
    return not any(h.strip() in NOT_ROADS for h in highway.split(";"))


def _keep(highway: str | None, area: str | None, route: str | None) -> int:
    """2 for a road (:func:`_is_road`), 1 for a ferry route, 0 for a way left out."""
    return 2 if _is_road(highway, area) else int(route == "ferry")


def _read_pbf(
    path: Path, collect: TaggedCollector | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """The highway and ferry ways of a PBF file, read in one pass.

    Through pyrosm's compiled block decoder where it serves
    (:mod:`coverage.inputs.osm_blocks`), else with osmium; both give the same ways,
    nodes and coordinates. ``collect`` is given the blocks by the decoder only (it
    stays incomplete when osmium reads the file).
    """
    read: Any = partial(road_ways, collect=collect) if decoder_available(path) else _read_pbf_osmium
    try:
        try:
            refs, x, y, counts, way_tags, roads = read(path)
        except UnknownFeature:  # a header feature only osmium knows
            refs, x, y, counts, way_tags, roads = _read_pbf_osmium(path)
    except Exception as exc:  # pyrosm and osmium raise their own errors on bad files
        raise InputError(
            f"{path}: cannot read this OSM PBF file ({type(exc).__name__}: {exc}); "
            "it may be truncated or corrupt, download it again"
        ) from None
    if not roads:
        raise InputError(
            f"{path}: the OSM file has no highway ways; use an extract that covers the study area"
        )
    placed = x != UNDEFINED
    node_ids, first = np.unique(refs[placed], return_index=True)
    lon = x[placed][first] / 1e7
    lat = y[placed][first] / 1e7
    way_of_ref = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    return _segments(path, node_ids, lon, lat, refs, way_of_ref, way_tags, placed)


def road_ways(
    path: Path, collect: TaggedCollector | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """The road and ferry ways of a PBF file through the block decoder
    (:func:`coverage.inputs.osm_blocks.road_ways`; ``collect`` as there)."""
    return osm_blocks.road_ways(path, OSM_TAGS, _keep, collect)


def _read_pbf_osmium(
    path: Path,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[tuple[Any, ...]], int]:
    """:func:`coverage.inputs.osm_blocks.road_ways`, read with osmium.

    osmium decodes the file in C++ threads and keeps every node's location in its
    index, so each kept way arrives with its node references and their
    coordinates (undefined for a node missing from a clipped extract); compiled
    tag filters pass on only the ways with a ``highway`` or ``route`` key.
    """
    import osmium

    # per way node: reference, x, y (osmium's fixed-point degrees, 1e-7)
    points = array("q")
    counts: list[int] = []
    way_tags: list[tuple[Any, ...]] = []
    roads = 0
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway", "route"))
    )
    for way in processor:
        tags = way.tags
        verdict = _keep(tags.get("highway"), tags.get("area"), tags.get("route"))
        if not verdict:
            continue
        roads += verdict == 2
        nodes = way.nodes  # type: ignore[union-attr]  # only ways pass the filter
        points.extend(chain.from_iterable([(n.ref, n.x, n.y) for n in nodes]))
        counts.append(len(nodes))
        way_tags.append(tuple(tags.get(k) for k in OSM_TAGS))
    table = np.frombuffer(points, dtype=np.int64).reshape(-1, 3)
    return (
        table[:, 0],
        table[:, 1],
        table[:, 2],
        np.asarray(counts, dtype=np.int64),
        way_tags,
        roads,
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
                    road = _is_road(tags.get("highway"), tags.get("area"))
                    if road or tags.get("route") == "ferry":
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
    return _segments(
        path,
        np.asarray(ids, dtype=np.int64),
        np.asarray(lons, dtype=float),
        np.asarray(lats, dtype=float),
        np.asarray(refs, dtype=np.int64),
        np.asarray(way_of_ref, dtype=np.int64),
        way_tags,
    )


def _segments(
    path: Path,
    node_ids: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    ref_arr: np.ndarray,
    way_arr: np.ndarray,
    way_tags: list[tuple[Any, ...]] | np.ndarray,
    present: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """The segments of ways between consecutive nodes both in the file, with tags.

    ``ref_arr`` holds every way's node references in order and ``way_arr`` the way
    (an index into ``way_tags``) of each; a node is in the file when it is among
    ``node_ids`` (``present``, when given, says so per reference). Checks the
    coordinates and warns of gaps (module docstring).
    """
    _check_coordinates(path, node_ids, lon, lat)
    if present is None:
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
    # a row per way, then one per segment (a way's tags shared by its segments)
    by_way = pd.DataFrame(way_tags if len(way_tags) else None, columns=list(OSM_TAGS), dtype=object)
    ways = by_way.take(way_arr[starts]).reset_index(drop=True)
    ways.insert(0, "v", ref_arr[starts + 1])
    ways.insert(0, "u", ref_arr[starts])
    ways["way"] = way_arr[starts]  # segments of one way follow each other
    return node_ids, lon, lat, ways


def read_osm_ways(
    path: str | os.PathLike[str], *, collect: TaggedCollector | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Parse the highway and ferry ways of an OSM extract into nodes and tagged segments.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` (decoded in blocks, or by osmium) or ``.osm`` / ``.osm.gz`` / ``.osm.bz2`` XML.
    collect : TaggedCollector, optional
        Given the blocks of a PBF read through the block decoder, for other features
        from the same pass (:class:`~coverage.inputs.osm_blocks.TaggedCollector`: the
        water); left incomplete otherwise.

    Returns
    -------
    node_ids, lon, lat : numpy.ndarray
        Nodes (at least those of the ways) and their coordinates in degrees.
    ways : pandas.DataFrame
        One row per segment between consecutive way nodes that are both in the
        file: ``u``, ``v``, the tags of :data:`OSM_TAGS` (None where unset) and
        ``way`` (the way's position in the file: a way's segments follow each
        other), ready for :func:`network_from_edges`.

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
        return _read_pbf(path, collect)
    if name.endswith((".osm", ".osm.gz", ".osm.bz2", ".xml")):
        return _read_xml(path)
    raise InputError(
        f"{path}: unknown network format; give an OpenStreetMap .osm.pbf or .osm file, "
        "or a road line layer (.gpkg, .shp, .geojson)"
    )
