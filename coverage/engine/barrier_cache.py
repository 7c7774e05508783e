"""On-disk cache of water masks, beside the graph cache (``.npz``, never pickle).

Building a :class:`~coverage.engine.barriers.WaterMask` reads the water of the OSM
file again and burns it into a grid of up to 25 million cells; on a county by the
sea that is most of a re-run's time once the graph itself comes from the cache. An
entry keeps the burnt mask (one bit a cell) and the shore cells in
``water-<key>.npz``, and the pieces of land (a label a cell) in
``water-<key>.land.npy``, read memory-mapped: a re-run touches only the pages of
the cells its legs start and end in. The key hashes what the mask depends on: the
content of the OSM file (when its water is read) and of the ``barriers:`` layer
with its sidecars, the grid (bounds, cell size, CRS), the tolerance and
:data:`BARRIER_CACHE_VERSION`. "No water here" is cached too. Both files are
written atomically, the labels first; an entry with a damaged or missing part is
ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import numpy as np
from pyproj import CRS
from scipy.spatial import cKDTree

from ..inputs.graph import Network
from ..inputs.network_cache import save_npy, save_npz
from ..inputs.road_layer import layer_files
from ..inputs.water import WaterFeatures
from ..paths import file_hash
from .barriers import (
    TOLERANCE_M,
    WaterMask,
    barrier_bounds,
    barrier_for_network,
    water_source,
)

__all__ = [
    "BARRIER_CACHE_VERSION",
    "NO_WATER",
    "barrier_key",
    "cached_barrier",
    "read_barrier",
    "write_barrier",
]

#: Version of the mask-building rules; part of every key.
BARRIER_CACHE_VERSION = 2
#: What :func:`read_barrier` returns for a cached "no water within the bounds".
NO_WATER = "no water"


def barrier_key(
    *,
    osm: str | os.PathLike[str] | None,
    layer: str | os.PathLike[str] | None,
    bounds: tuple[float, float, float, float],
    crs: CRS,
    cell_m: float,
    tolerance_m: float,
) -> str:
    """The cache key of a water mask: a hash of its inputs' content and its grid.

    Parameters
    ----------
    osm : path-like, optional
        The OSM file whose water is read (None: not read).
    layer : path-like, optional
        The ``barriers:`` polygon layer (all of a Shapefile's files are hashed).
    bounds : tuple of float
        (xmin, ymin, xmax, ymax) of the grid, in ``crs``.
    crs : pyproj.CRS
        The metric CRS of the grid.
    cell_m, tolerance_m : float
        As for :func:`~coverage.engine.barriers.water_mask`.

    Returns
    -------
    str
        ``water-<64 hex digits>``.
    """
    parts = {
        "version": BARRIER_CACHE_VERSION,
        "osm": None if osm is None else file_hash(osm),
        "layer": None if layer is None else [file_hash(f) for f in layer_files(layer)],
        "bounds": [round(float(b), 3) for b in bounds],
        "crs": crs.to_wkt(),
        "cell_m": float(cell_m),
        "tolerance_m": float(tolerance_m),
    }
    text = json.dumps(parts, sort_keys=True)
    return f"water-{hashlib.sha256(text.encode()).hexdigest()}"


def _entry(cache_dir: str | os.PathLike[str], key: str) -> Path:
    return Path(cache_dir) / f"{key}.npz"


def _land_entry(cache_dir: str | os.PathLike[str], key: str) -> Path:
    return Path(cache_dir) / f"{key}.land.npy"


def read_barrier(cache_dir: str | os.PathLike[str], key: str) -> WaterMask | str | None:
    """The cached mask of a key, :data:`NO_WATER`, or None when absent or unreadable."""
    path = _entry(cache_dir, key)
    if not path.is_file():
        return None
    try:
        # the file is opened here so that it is closed even when numpy cannot read it
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
            if bool(data["no_water"]):
                return NO_WATER
            rows, cols = (int(v) for v in data["shape"])
            bits = np.unpackbits(data["water_bits"], count=rows * cols)
            water = bits.astype(bool).reshape(rows, cols)
            x0, y1, cell, tolerance = (float(v) for v in data["grid"])
            crs = CRS.from_wkt(str(data["crs_wkt"]))
            wet, dry = data["wet_shore"], data["dry_shore"]
        land = np.load(_land_entry(cache_dir, key), mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        return None  # damaged or from an incompatible version: rebuilt by the caller
    if land.shape != water.shape or land.dtype.kind != "u":
        return None
    return WaterMask(
        water, land, x0, y1, cell, crs, tolerance, wet_shore=cKDTree(wet), dry_shore=cKDTree(dry)
    )


def write_barrier(
    cache_dir: str | os.PathLike[str], key: str, mask: WaterMask | None
) -> Path | None:
    """Store a mask (or "no water" for None) under a key, atomically; None if not writable."""
    if mask is None:
        return save_npz(_entry(cache_dir, key), {"no_water": np.asarray(True)})
    pieces = int(mask.land.max()) if mask.land.size else 0
    dtype = np.uint8 if pieces <= np.iinfo(np.uint8).max else np.uint32
    if save_npy(_land_entry(cache_dir, key), np.asarray(mask.land, dtype=dtype)) is None:
        return None
    arrays = {
        "no_water": np.asarray(False),
        "shape": np.asarray(mask.water.shape, dtype=np.int64),
        "water_bits": np.packbits(mask.water.ravel()),
        "grid": np.asarray([mask.x0, mask.y1, mask.cell_m, mask.tolerance_m]),
        "crs_wkt": np.asarray(mask.crs.to_wkt()),
        "wet_shore": np.asarray(mask.wet_shore.data, dtype=np.int32),
        "dry_shore": np.asarray(mask.dry_shore.data, dtype=np.int32),
    }
    return save_npz(_entry(cache_dir, key), arrays)


def cached_barrier(
    network: Network,
    *,
    osm_water: bool = True,
    layer: str | os.PathLike[str] | None = None,
    max_access_m: float = 5000.0,
    cell_m: float = 10.0,
    cache_dir: str | os.PathLike[str] | None = None,
    features: WaterFeatures | None = None,
) -> WaterMask | None:
    """:func:`~coverage.engine.barriers.barrier_for_network`, kept in ``cache_dir``.

    Parameters
    ----------
    network, osm_water, layer, max_access_m, cell_m, features
        As for :func:`~coverage.engine.barriers.barrier_for_network`.
    cache_dir : path-like, optional
        The cache folder (the graph cache's); None: built every time.

    Returns
    -------
    WaterMask or None
        None when there is no water.
    """

    def build() -> WaterMask | None:
        return barrier_for_network(
            network,
            osm_water=osm_water,
            layer=layer,
            max_access_m=max_access_m,
            cell_m=cell_m,
            features=features,
        )

    if cache_dir is None:
        return build()
    key = barrier_key(
        osm=water_source(network) if osm_water else None,
        layer=layer,
        bounds=barrier_bounds(network, max_access_m),
        crs=network.crs,
        cell_m=cell_m,
        tolerance_m=TOLERANCE_M,
    )
    hit = read_barrier(cache_dir, key)
    if isinstance(hit, WaterMask):
        return hit
    if hit == NO_WATER:
        return None
    mask = build()
    write_barrier(cache_dir, key, mask)
    return mask
