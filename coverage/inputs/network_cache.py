"""On-disk cache of parsed, weighted networks (``.npz``, never pickle).

A cache entry is one uncompressed ``.npz`` file of the :class:`~coverage.inputs.network.Network`
arrays, named by a key that hashes everything the graph depends on: the OSM file's
content (SHA-256 of its bytes, so a renamed or touched file still hits and an edited
one misses), the mode, the full speed table, a single-speed override, the metric
CRS, the DEM file's content, the ferry settings, and :data:`CACHE_VERSION`
(bumped whenever the way a graph is built changes). Entries are written to a
temporary file and renamed, so a crash never leaves a half-written entry, and two
runs writing the same entry both leave a complete file. A damaged entry is ignored and rebuilt.

The cache folder is the configuration's ``cache_dir``; by default the
``COVERAGE15_CACHE_DIR`` environment variable, else the user cache folder
(``$XDG_CACHE_HOME/coverage15``, ``~/.cache/coverage15``, or ``%LOCALAPPDATA%\\coverage15``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from pyproj import CRS

from ..paths import default_cache_dir, file_hash
from .graph import Network
from .road_layer import layer_files

__all__ = [
    "CACHE_VERSION",
    "cache_key",
    "default_cache_dir",
    "hash_array",
    "read_cached",
    "save_npy",
    "save_npz",
    "write_cached",
]

#: Version of the graph-building rules and of the entries' layout; part of every key.
CACHE_VERSION = 4

_ARRAYS = (
    "node_ids",
    "lon",
    "lat",
    "x",
    "y",
    "edge_u",
    "edge_v",
    "edge_length_m",
    "edge_seconds",
)


def cache_key(
    path: str | os.PathLike[str],
    *,
    mode: str,
    speeds: Mapping[str, float],
    speed_kmh: float | None = None,
    metric_crs: str | None = None,
    dem: str | os.PathLike[str] | None = None,
    ferry: tuple[float, float] | None = None,
    layer: Mapping[str, object] | None = None,
) -> str:
    """The cache key of a network: a hash of its inputs' content and settings.

    Parameters
    ----------
    path : path-like
        The OSM file.
    mode : str
        Travel mode.
    speeds : mapping of str to float
        The full speed table used (defaults with overrides applied).
    speed_kmh : float, optional
        Single-speed override.
    metric_crs : str, optional
        WKT of the metric CRS asked for (None: automatic).
    dem : path-like, optional
        DEM file (its content is hashed).
    ferry : tuple of float, optional
        Ferry speed (km/h) and boarding wait (minutes); None: no ferries.
    layer : mapping, optional
        How a road layer is read (its columns and snap distance); the content of all
        of its files (a Shapefile's sidecars) is hashed.

    Returns
    -------
    str
        ``<mode>-<64 hex digits>``.
    """
    parts = {
        "version": CACHE_VERSION,
        "osm": [file_hash(f) for f in layer_files(path)],
        "layer": None if layer is None else {str(k): str(v) for k, v in layer.items()},
        "mode": mode,
        "speeds": sorted((str(k), float(v)) for k, v in speeds.items()),
        "speed_kmh": speed_kmh,
        "metric_crs": metric_crs,
        "dem": None if dem is None else file_hash(dem),
        "ferry": None if ferry is None else [float(f) for f in ferry],
    }
    text = json.dumps(parts, sort_keys=True)
    return f"{mode}-{hashlib.sha256(text.encode()).hexdigest()}"


def _entry(cache_dir: str | os.PathLike[str], key: str) -> Path:
    return Path(cache_dir) / f"network-{key}.npz"


def read_cached(cache_dir: str | os.PathLike[str], key: str) -> Network | None:
    """The cached network of a key, or None if absent or unreadable.

    Parameters
    ----------
    cache_dir : path-like
        Cache folder.
    key : str
        From :func:`cache_key`.

    Returns
    -------
    Network or None
    """
    path = _entry(cache_dir, key)
    if not path.is_file():
        return None
    try:
        # the file is opened here so that it is closed even when numpy cannot read it
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
            arrays = {name: data[name] for name in _ARRAYS}
            # a dozen classes, one string object each, indexed by a code per edge
            highway = data["edge_highway_classes"].astype(object)[data["edge_highway_codes"]]
            elevation = data["node_elevation_m"] if "node_elevation_m" in data.files else None
            linkable = data["edge_linkable"] if "edge_linkable" in data.files else None
            crs = CRS.from_wkt(str(data["crs_wkt"]))
            mode = str(data["mode"])
            source = str(data["source"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        return None  # damaged or from an incompatible version: rebuilt by the caller
    return Network(
        crs=crs,
        edge_highway=highway,
        mode=mode,
        source=source,
        node_elevation_m=elevation,
        edge_linkable=linkable,
        **arrays,
    )


def write_cached(cache_dir: str | os.PathLike[str], key: str, network: Network) -> Path | None:
    """Store a network under a key, atomically.

    Parameters
    ----------
    cache_dir : path-like
        Cache folder (created if missing).
    key : str
        From :func:`cache_key`.
    network : Network
        The network to store.

    Returns
    -------
    pathlib.Path or None
        The entry written, or None if the folder is not writable (caching is an
        optimisation; a read-only cache never fails a run).
    """
    final = _entry(cache_dir, key)
    arrays = {name: getattr(network, name) for name in _ARRAYS}
    # the classes as codes: read back ten times faster than a million strings
    codes, classes = pd.factorize(
        np.asarray(network.edge_highway, dtype=object), use_na_sentinel=False
    )
    arrays["edge_highway_codes"] = codes.astype(np.int32)
    arrays["edge_highway_classes"] = np.asarray(classes, dtype=str)
    if network.node_elevation_m is not None:
        arrays["node_elevation_m"] = network.node_elevation_m
    if network.edge_linkable is not None:
        arrays["edge_linkable"] = network.edge_linkable
    arrays["crs_wkt"] = np.asarray(network.crs.to_wkt())
    arrays["mode"] = np.asarray(network.mode)
    arrays["source"] = np.asarray(network.source)
    return save_npz(final, arrays)


def hash_array(h: Any, array: np.ndarray | None) -> None:
    """Feed an array's dtype, shape and bytes (or "none") to a hash: the part of a cache
    key that follows computed data rather than files."""
    if array is None:
        h.update(b"none")
        return
    a = np.ascontiguousarray(array)
    h.update(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.data.cast("B"))


def save_npz(final: Path, arrays: Mapping[str, np.ndarray]) -> Path | None:
    """Write arrays as one ``.npz`` file, atomically (a temporary file renamed).

    Returns
    -------
    pathlib.Path or None
        ``final``, or None if its folder is not writable (caching is an
        optimisation; a read-only cache never fails a run).
    """
    return _save_atomic(final, lambda handle: np.savez(handle, **arrays))  # type: ignore[arg-type]


def save_npy(final: Path, array: np.ndarray) -> Path | None:
    """Write one array as a ``.npy`` file (readable memory-mapped), atomically.

    Returns
    -------
    pathlib.Path or None
        As for :func:`save_npz`.
    """
    return _save_atomic(final, lambda handle: np.save(handle, array, allow_pickle=False))


def _save_atomic(final: Path, write: Callable[[IO[bytes]], object]) -> Path | None:
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, final)
    except OSError:
        return None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return final
