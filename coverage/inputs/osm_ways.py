"""Reading the highway ways of OpenStreetMap extracts, from PBF or XML.

An ``.osm.pbf`` file is parsed with pyrosm (compiled, vectorised); an ``.osm`` XML
file (optionally ``.gz``/``.bz2``) with the standard library's streaming XML
parser. Both return the same nodes and the same tags (:data:`OSM_TAGS`) per
segment between consecutive way nodes, so the same data in either format gives
the same graph in :mod:`coverage.inputs.network`.
"""

from __future__ import annotations

import bz2
import gzip
import itertools
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["OSM_TAGS", "read_osm_ways"]

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
)


def _read_pbf(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    import warnings

    import pyrosm

    extra = [t for t in OSM_TAGS if t not in ("highway", "maxspeed", "oneway")]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            osm = pyrosm.OSM(str(path), keep_metadata=False)
            result = osm.get_network(network_type="all", nodes=True, extra_attributes=extra)
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
    ways = pd.DataFrame(
        {c: edges[c] if c in edges.columns else None for c in ("u", "v", *OSM_TAGS)}
    )
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
                        row = tuple(tags.get(k) for k in OSM_TAGS)
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
    ways = pd.DataFrame(seg_tags, columns=list(OSM_TAGS))
    ways.insert(0, "v", np.asarray(seg_v, dtype=np.int64))
    ways.insert(0, "u", np.asarray(seg_u, dtype=np.int64))
    return (
        np.asarray(ids, dtype=np.int64),
        np.asarray(lons, dtype=float),
        np.asarray(lats, dtype=float),
        ways,
    )


def read_osm_ways(
    path: str | os.PathLike[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Parse the highway ways of an OSM extract into nodes and tagged segments.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` (parsed with pyrosm) or ``.osm`` / ``.osm.gz`` / ``.osm.bz2`` XML.

    Returns
    -------
    node_ids, lon, lat : numpy.ndarray
        Nodes (at least those of the highway ways) and their coordinates in degrees.
    ways : pandas.DataFrame
        One row per segment between consecutive way nodes: ``u``, ``v`` and the tags
        of :data:`OSM_TAGS` (None where unset), ready for :func:`network_from_edges`.

    Raises
    ------
    InputError
        If the file is missing, of an unknown format or corrupt.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: network file not found; check the 'network' path")
    name = path.name.lower()
    if name.endswith(".pbf"):
        return _read_pbf(path)
    if name.endswith((".osm", ".osm.gz", ".osm.bz2", ".xml")):
        return _read_xml(path)
    raise InputError(f"{path}: unknown network format; give an OpenStreetMap .osm.pbf or .osm file")
