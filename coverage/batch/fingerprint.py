"""What a region's outputs depend on: every input file with its sidecars, and the settings.

A region's inputs are every path in its configuration, nested mappings included
(``boundaries: {township: ...}``, ``population: {raster: ..., groups: {...}}``). A
file is read together with its sidecars, and a change to any of them changes the
outputs: a shapefile's ``.shx .dbf .prj .cpg``, a raster's ``.aux.xml``, and a VRT's
source rasters (followed through nested VRTs).
"""

from __future__ import annotations

import dataclasses
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import RunConfig
from ..paths import file_hash, iter_paths

__all__ = ["fingerprint", "input_problems", "region_inputs", "sidecars"]

_SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg")
_SHAPEFILE_REQUIRED = (".shx", ".dbf")
_NOT_INPUTS = ("out", "cache_dir")


def region_inputs(config: RunConfig) -> list[tuple[str, Path]]:
    """Every input path of a configuration, nested mappings included, with its key.

    Parameters
    ----------
    config : RunConfig

    Returns
    -------
    list of (str, pathlib.Path)
        E.g. ``("boundaries.township", Path(".../township.shp"))``; the output and
        cache folders are not inputs.
    """
    return [(n, p) for n, p in iter_paths(config) if n.split(".")[0] not in _NOT_INPUTS]


def _sibling(path: Path, suffix: str) -> Path | None:
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None


def _vrt_sources(vrt: Path) -> list[Path]:
    """The files a VRT reads (``SourceFilename`` elements; ``/vsi...`` paths left out)."""
    try:
        root = ET.parse(vrt).getroot()
    except (OSError, ET.ParseError):
        return []
    found = []
    for element in root.iter("SourceFilename"):
        text = (element.text or "").strip()
        if not text or text.startswith("/vsi"):
            continue
        relative = element.get("relativeToVRT", "0") == "1"
        found.append(vrt.parent / text if relative else Path(text))
    return found


def sidecars(path: Path, *, _seen: set[Path] | None = None) -> list[Path]:
    """The files read together with ``path`` that exist (a VRT's sources even if missing).

    Parameters
    ----------
    path : pathlib.Path
        An input file.

    Returns
    -------
    list of pathlib.Path
        A shapefile's ``.shx .dbf .prj .cpg``; ``<file>.aux.xml``; a VRT's source
        files and their own sidecars, recursively.
    """
    seen = _seen if _seen is not None else {path}
    found: list[Path] = []
    if path.suffix.lower() == ".shp":
        found += [s for s in (_sibling(path, ext) for ext in _SHAPEFILE_SIDECARS) if s]
    aux = path.with_name(path.name + ".aux.xml")
    if aux.is_file():
        found.append(aux)
    if path.suffix.lower() == ".vrt":
        for source in _vrt_sources(path):
            if source in seen:
                continue
            seen.add(source)
            found.append(source)
            found += sidecars(source, _seen=seen)
    return found


def _file_digest(path: Path) -> dict[str, Any] | None:
    """SHA-256 and size of a file (None if it is not a file: the run will say why)."""
    if not path.is_file():
        return None
    return {"sha256": file_hash(path), "bytes": path.stat().st_size}


def _input_digest(path: Path) -> dict[str, Any] | None:
    main = _file_digest(path)
    if main is None:
        return None
    extra = {os.path.relpath(s, path.parent): _file_digest(s) for s in sidecars(path)}
    return {**main, "sidecars": extra} if extra else main


def _settings_value(value: Any) -> Any:
    """A setting with its paths blanked (paths are hashed as inputs, by content)."""
    if isinstance(value, Path):
        return "<file>"
    if isinstance(value, Mapping):
        return {str(k): _settings_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_settings_value(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _settings_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def fingerprint(config: RunConfig) -> dict[str, Any]:
    """What a region's outputs depend on: input contents, settings, coverage15 version.

    Paths themselves are left out, so moving a batch folder does not re-run it; the
    output and cache folders are left out too.

    Parameters
    ----------
    config : RunConfig

    Returns
    -------
    dict
        ``inputs`` (key -> SHA-256, size and sidecars' digests), ``settings`` (every
        other value, JSON-ready) and ``coverage15_version``.
    """
    inputs = {name: _input_digest(path) for name, path in region_inputs(config)}
    settings = {
        f.name: _settings_value(getattr(config, f.name))
        for f in dataclasses.fields(config)
        if f.name not in _NOT_INPUTS
    }
    settings = json.loads(json.dumps(settings, default=str, sort_keys=True))
    return {"inputs": inputs, "settings": settings, "coverage15_version": __version__}


def input_problems(config: RunConfig) -> list[str]:
    """What keeps a region's inputs from being read: missing or unreadable files.

    Parameters
    ----------
    config : RunConfig

    Returns
    -------
    list of str
        One entry per problem, naming the key and the file (empty when all is well).
    """
    problems = []
    for name, path in region_inputs(config):
        if not path.exists():
            problems.append(f"{name}: {path} not found")
            continue
        if not path.is_file():
            problems.append(f"{name}: {path} is not a file")
            continue
        files = [path, *sidecars(path)]
        if path.suffix.lower() == ".shp":
            for ext in _SHAPEFILE_REQUIRED:
                if _sibling(path, ext) is None:
                    problems.append(f"{name}: {path} needs its {ext} file beside it")
        for file in files:
            try:
                with open(file, "rb") as handle:
                    handle.read(1)
            except OSError as exc:
                reason = "not found" if not file.exists() else exc.strerror
                problems.append(f"{name}: {file} cannot be read ({reason})")
    return problems
