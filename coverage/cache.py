"""The cache folder: what is in it, and clearing what can be computed again.

Runs keep what they computed in the cache folder (:func:`~coverage.paths.default_cache_dir`,
or ``cache_dir``): parsed graphs (``network-<mode>-<key>.npz``), water masks
(``water-<key>.npz`` and ``.land.npy``), the residents' access legs
(``snap-<key>.npz``), the data dates of OSM files (``osm-date-<key>.json``) and the
print maps' road images (``roads-<key>.npy``). Each is
keyed by the content of what it was made from, so an entry of an input that changed is
never read again, and the folder grows with every new input. :func:`clear_cache`
deletes these computed entries (a run makes them again); downloads (``<host>/...``,
``clipped/``) and the demo's inputs are listed but left alone, and no file that does
not match an entry's name is ever touched.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .paths import default_cache_dir

__all__ = ["CacheEntry", "add_cache_parser", "cache_command", "cache_entries", "clear_cache"]

_KEY = r"[0-9a-f]{64}"
#: kind -> name pattern of the computed entries (files at the top of the folder)
COMPUTED = {
    "graphs": re.compile(rf"network-[a-z]+-{_KEY}\.npz"),
    "water masks": re.compile(rf"water-{_KEY}(\.npz|\.land\.npy)"),
    "access legs": re.compile(rf"snap-{_KEY}\.npz"),
    "data dates": re.compile(rf"osm-date-{_KEY}\.json"),
    "map roads": re.compile(rf"roads-{_KEY}\.npy"),
    # left by a write cut short (atomic writes go through ".<name>.<random>.tmp")
    "unfinished writes": re.compile(
        rf"\.(network-[a-z]+|water|snap|osm-date|roads)-{_KEY}\..+\.tmp"
    ),
}
#: an unfinished write younger than this may still be under way in another run
_UNFINISHED_AGE_S = 3600.0


@dataclass(frozen=True)
class CacheEntry:
    """One file of the cache folder.

    Attributes
    ----------
    path : pathlib.Path
    kind : str
        A key of :data:`COMPUTED`, or ``"downloads"`` / ``"demo inputs"`` (kept).
    size : int
        Bytes.
    modified : float
        When it was written (seconds since the epoch).
    """

    path: Path
    kind: str
    size: int
    modified: float

    @property
    def computed(self) -> bool:
        """Whether a run makes it again when it is gone."""
        return self.kind in COMPUTED


def _kind(name: str) -> str | None:
    return next((kind for kind, p in COMPUTED.items() if p.fullmatch(name)), None)


def cache_entries(folder: str | os.PathLike[str] | None = None) -> list[CacheEntry]:
    """Every file of the cache folder, by kind (an empty list when there is no folder).

    Parameters
    ----------
    folder : path-like, optional
        The cache folder (default: :func:`~coverage.paths.default_cache_dir`).

    Returns
    -------
    list of CacheEntry
        Computed entries at the top of the folder; files below it are downloads
        (``demo/``: the demo's generated inputs). Other top-level files are not listed.
    """
    root = Path(folder) if folder is not None else default_cache_dir()
    if not root.is_dir():
        return []
    entries = []
    for item in sorted(root.iterdir()):
        if item.is_symlink():
            continue
        if item.is_file():
            kind = _kind(item.name)
            if kind is not None:
                stat = item.stat()
                entries.append(CacheEntry(item, kind, stat.st_size, stat.st_mtime))
        elif item.is_dir():
            kind = "demo inputs" if item.name == "demo" else "downloads"
            for path in sorted(p for p in item.rglob("*") if p.is_file() and not p.is_symlink()):
                stat = path.stat()
                entries.append(CacheEntry(path, kind, stat.st_size, stat.st_mtime))
    return entries


def clear_cache(
    folder: str | os.PathLike[str] | None = None, *, older_than_days: float | None = None
) -> list[CacheEntry]:
    """Delete the computed entries of the cache folder (downloads are kept).

    Parameters
    ----------
    folder : path-like, optional
        The cache folder (default: :func:`~coverage.paths.default_cache_dir`).
    older_than_days : float, optional
        Only entries written at least this many days ago. Files of unfinished writes
        go only when an hour old (another run may be writing them).

    Returns
    -------
    list of CacheEntry
        The entries deleted.
    """
    now = time.time()
    cutoff = now if older_than_days is None else now - older_than_days * 86_400
    gone = []
    for entry in cache_entries(folder):
        if entry.kind == "unfinished writes":  # another run may be writing it now
            due = entry.modified <= min(cutoff, now - _UNFINISHED_AGE_S)
        else:
            due = entry.modified <= cutoff
        if entry.computed and due:
            entry.path.unlink(missing_ok=True)
            gone.append(entry)
    return gone


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GB"  # pragma: no cover - the loop returns


def add_cache_parser(sub: Any) -> None:
    """The ``cache`` command: list the cache folder, or clear its computed entries."""
    cache = sub.add_parser(
        "cache",
        help="show the cache folder, or clear what runs computed (--clear)",
        description="Show what the cache folder holds, by kind. --clear deletes the "
        "computed entries (graphs, water masks, access legs, data dates, map roads), which "
        "the next run makes again; downloads and the demo's inputs are never deleted.",
    )
    cache.add_argument("--cache-dir", type=Path, help="the cache folder (default: the user's)")
    cache.add_argument("--clear", action="store_true", help="delete the computed entries")
    cache.add_argument(
        "--older-than",
        type=float,
        metavar="DAYS",
        help="with --clear: only entries written at least DAYS days ago",
    )


def cache_command(args: argparse.Namespace) -> int:
    """Run ``coverage15 cache``; returns the exit status.

    Raises
    ------
    InputError
        If ``--older-than`` is negative or given without ``--clear``.
    """
    folder = args.cache_dir if args.cache_dir is not None else default_cache_dir()
    if args.older_than is not None and (not args.clear or args.older_than < 0):
        raise InputError("--older-than takes a number of days >= 0 and goes with --clear")
    if args.clear:
        gone = clear_cache(folder, older_than_days=args.older_than)
        print(f"{folder}: deleted {len(gone)} computed entries, {_size(sum(e.size for e in gone))}")
    entries = cache_entries(folder)
    print(f"cache folder: {folder}" + ("" if folder.is_dir() else " (none yet)"))
    kinds = [*COMPUTED, "downloads", "demo inputs"]
    for kind in kinds:
        mine = [e for e in entries if e.kind == kind]
        if mine:
            when = time.strftime("%Y-%m-%d", time.localtime(max(e.modified for e in mine)))
            files = f"{len(mine):6d} file" + ("" if len(mine) == 1 else "s")
            print(f"  {kind:18s} {files:12s} {_size(sum(e.size for e in mine)):>10s}"
                  f"  newest {when}")  # fmt: skip
    total = sum(e.size for e in entries if e.computed)
    print(f"  computed entries (coverage15 cache --clear deletes them): {_size(total)}")
    return 0
