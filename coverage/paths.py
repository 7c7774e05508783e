"""Paths inside configurations: found wherever they sit, resolved against their file.

A configuration holds paths at the top (``stations: stations.csv``) and inside
mappings (``boundaries: {township: t.shp}``, ``population: {raster: p.tif, groups:
{...}}``). These helpers walk any parsed value (a path, a mapping, a list, a
dataclass such as :class:`~coverage.config.PopulationSource`), so a key added later
with a path in it is found and resolved with no change here.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = [
    "CACHE_ENV",
    "default_cache_dir",
    "file_hash",
    "iter_paths",
    "resolve_path",
    "resolve_paths",
]

#: Environment variable naming the cache folder (downloads, graph cache, demo inputs).
CACHE_ENV = "COVERAGE15_CACHE_DIR"


def file_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) of a file's content: caches and freshness checks follow content,
    not names or dates (a renamed or touched file is the same, an edited one is not)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def default_cache_dir() -> Path:
    """The one cache folder of coverage15: ``$COVERAGE15_CACHE_DIR``, else the user's.

    The user cache folder is ``$XDG_CACHE_HOME/coverage15`` or ``~/.cache/coverage15``
    on Linux, ``~/Library/Caches/coverage15`` on macOS and
    ``%LOCALAPPDATA%\\coverage15\\Cache`` on Windows (the locations ``platformdirs``
    gives, computed here without the dependency). Downloads and the graph cache both
    live below it.

    Returns
    -------
    pathlib.Path
    """
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":  # pragma: no cover - platform specific
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "coverage15" / "Cache"
    if sys.platform == "darwin":  # pragma: no cover - platform specific
        return Path.home() / "Library" / "Caches" / "coverage15"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "coverage15"


def _loop(path: Path | str) -> InputError:
    return InputError(
        f"{path}: the path is a loop of symbolic links; point it at the real file or folder"
    )


def resolve_path(path: str | os.PathLike[str], base: str | os.PathLike[str] | None = None) -> Path:
    """The absolute path of ``path`` (relative paths against ``base``), symlinks followed.

    Parameters
    ----------
    path : path-like
        The path; ``~`` is expanded.
    base : path-like, optional
        Folder a relative ``path`` is relative to (default: the current folder).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputError
        If the path is a loop of symbolic links (one line naming it).
    """
    given = Path(path).expanduser()
    if base is not None:
        given = Path(base) / given
    try:
        resolved = given.resolve()
    except RuntimeError:  # Python < 3.13 raises on a loop
        raise _loop(given) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _loop(given) from None
        raise
    try:
        os.stat(resolved)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # Python >= 3.13 resolves loops without raising
            raise _loop(given) from None
    return resolved


def iter_paths(value: Any, prefix: str = "") -> Iterator[tuple[str, Path]]:
    """Every path inside a parsed value, with a dotted name saying where it sits.

    Parameters
    ----------
    value : Any
        A path, a mapping, a list or tuple, or a dataclass instance, nested freely.
    prefix : str
        Name of ``value`` itself (e.g. ``"population"``).

    Yields
    ------
    (str, pathlib.Path)
        E.g. ``("population.groups.age_65_plus", Path(...))``; strings are not paths.
    """
    if isinstance(value, Path):
        yield prefix, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from iter_paths(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from iter_paths(item, f"{prefix}[{i}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            name = f"{prefix}.{f.name}" if prefix else f.name
            yield from iter_paths(getattr(value, f.name), name)


def resolve_paths(value: Any, base: str | os.PathLike[str]) -> Any:
    """``value`` with every path inside it made absolute against ``base``.

    Parameters
    ----------
    value : Any
        As for :func:`iter_paths`; dataclasses are copied with
        :func:`dataclasses.replace`, mappings become dicts.
    base : path-like
        The folder of the file the value was written in.

    Returns
    -------
    Any
        The same shape, paths resolved (see :func:`resolve_path`).
    """
    if isinstance(value, Path):
        return resolve_path(value, base)
    if isinstance(value, Mapping):
        return {k: resolve_paths(v, base) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(resolve_paths(v, base) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: resolve_paths(getattr(value, f.name), base)
            for f in dataclasses.fields(value)
            if f.init and any(True for _ in iter_paths(getattr(value, f.name)))
        }
        return dataclasses.replace(value, **changes) if changes else value
    return value
