"""Residents' access legs kept in the cache folder, for the re-runs of a county.

Linking a county's population cells to its roads is the costliest step of a run once
the graph and the water mask come from the cache: every leg is checked against the
water (on Comoros about a third of a second of a half-second run). The legs depend
only on the points, the network's geometry and weights, the water and the linking
rule, none of which a change of stations touches; so :func:`cached_snap` keeps them
in ``snap-<key>.npz`` beside the graph cache and a re-run reads them back.

The key hashes the *content* of everything :func:`~coverage.engine.snapping.snap_points`
reads: the points' coordinates, the network's node coordinates, edges, lengths,
seconds and linkable flags, the water mask's cells and grid, and the linking settings
(with the package's and this module's versions). Any change of any of them is a
different key, so a stale entry can never be read; entries are written atomically
and one that does not read back whole is computed again. Legs over terrain (a DEM)
are not kept: their slopes would need the DEM's content in the key too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..inputs.graph import Network
from ..inputs.network_cache import hash_array, save_npz
from .barriers import WaterMask
from .snapping import SegmentEntry, Snap

__all__ = ["MIN_POINTS", "SNAP_CACHE_VERSION", "cached_snap", "read_snap", "snap_key"]

#: Version of the stored layout and of the snapping rules; part of every key.
SNAP_CACHE_VERSION = 1
#: Fewer points than this are snapped afresh (faster than hashing the network).
MIN_POINTS = 20_000

_ENTRY_FIELDS = [f.name for f in dataclasses.fields(SegmentEntry)]


def snap_key(
    network: Network,
    x: np.ndarray,
    y: np.ndarray,
    *,
    settings: dict[str, Any],
    barrier: WaterMask | None = None,
) -> str:
    """The cache key of the access legs of points to a network.

    Parameters
    ----------
    network : Network
        The road network (its geometry, weights and linkable edges are hashed).
    x, y : numpy.ndarray
        The points, in ``network.crs``.
    settings : dict
        The linking settings (JSON values): candidates, reach, rule, direction, steps.
    barrier : WaterMask, optional
        The water the legs may not cross (its cells and grid are hashed).

    Returns
    -------
    str
        ``snap-`` and a SHA-256 hex digest.
    """
    h = hashlib.sha256()
    head = {
        "version": SNAP_CACHE_VERSION,
        "package": __version__,
        "settings": settings,
        "crs": network.crs.to_wkt(),
    }
    if barrier is not None:
        head["barrier"] = [
            barrier.x0,
            barrier.y1,
            barrier.cell_m,
            barrier.tolerance_m,
            barrier.crs.to_wkt(),
        ]
    h.update(json.dumps(head, sort_keys=True).encode())
    for array in (
        np.asarray(x, dtype=float),
        np.asarray(y, dtype=float),
        network.x,
        network.y,
        network.edge_u,
        network.edge_v,
        network.edge_length_m,
        network.edge_seconds,
        network.edge_linkable,
        None if barrier is None else barrier.water,
    ):
        hash_array(h, array)
    if not settings.get("link_steps", True):  # which edges are steps matters then
        hash_array(h, np.asarray(network.edge_highway, dtype=object) == "steps")
    return "snap-" + h.hexdigest()


def _entry(cache_dir: str | os.PathLike[str], key: str) -> Path:
    return Path(cache_dir) / f"{key}.npz"


def read_snap(cache_dir: str | os.PathLike[str], key: str, n_points: int) -> Snap | None:
    """The legs stored under a key, or None when absent, unreadable or not for
    ``n_points`` points."""
    path = _entry(cache_dir, key)
    if not path.is_file():
        return None
    try:
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        entry = None
        if "entry_segment" in arrays:
            entry = SegmentEntry(**{f: arrays[f"entry_{f}"] for f in _ENTRY_FIELDS})
        snap = Snap(
            arrays["nodes"],
            arrays["distance_m"],
            arrays.get("network_s"),
            arrays.get("climb_factor"),
            entry,
        )
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        return None
    if snap.nodes.shape[0] != n_points or snap.distance_m.shape != snap.nodes.shape:
        return None
    return snap


def write_snap(cache_dir: str | os.PathLike[str], key: str, snap: Snap) -> Path | None:
    """Store legs under a key, atomically; None when the folder is not writable."""
    arrays: dict[str, np.ndarray] = {"nodes": snap.nodes, "distance_m": snap.distance_m}
    if snap.network_s is not None:
        arrays["network_s"] = snap.network_s
    if snap.climb_factor is not None:
        arrays["climb_factor"] = snap.climb_factor
    if snap.entry is not None:
        for f in _ENTRY_FIELDS:
            arrays[f"entry_{f}"] = getattr(snap.entry, f)
    return save_npz(_entry(cache_dir, key), arrays)


def cached_snap(
    cache_dir: str | os.PathLike[str] | None,
    network: Network,
    x: np.ndarray,
    y: np.ndarray,
    compute: Callable[[], Snap],
    *,
    settings: dict[str, Any],
    barrier: WaterMask | None = None,
) -> Snap:
    """``compute()``'s legs, read from ``cache_dir`` when stored there, else computed
    and stored.

    Parameters
    ----------
    cache_dir : path-like, optional
        The cache folder; None, or fewer than :data:`MIN_POINTS` points: computed.
    network, x, y, settings, barrier
        As for :func:`snap_key`.
    compute : callable
        Snaps the points (:func:`~coverage.engine.snapping.snap_points`).

    Returns
    -------
    Snap
    """
    if cache_dir is None or np.size(x) < MIN_POINTS:
        return compute()
    key = snap_key(network, x, y, settings=settings, barrier=barrier)
    hit = read_snap(cache_dir, key, int(np.size(x)))
    if hit is not None:
        return hit
    snap = compute()
    write_snap(cache_dir, key, snap)
    return snap
