"""Batch files: shared defaults plus a list of regions, validated into a :class:`Batch`."""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import RunConfig, config_from_dict
from ..config_yaml import read_yaml
from ..errors import ConfigError, one_line
from ..paths import iter_paths, resolve_path, resolve_paths

__all__ = ["Batch", "BatchRegion", "batch_from_dict", "batch_inputs", "load_batch"]

_TOP_KEYS = ("out", "defaults", "regions")
_PARSERS = {f.name: f.metadata["parse"] for f in dataclasses.fields(RunConfig)}


@dataclass(frozen=True)
class BatchRegion:
    """One region of a batch: its validated configuration and output folder.

    Attributes
    ----------
    name : str
        Region name (unique in the batch).
    config : RunConfig
        The layered, validated run configuration.
    out : pathlib.Path
        The region's output folder, ``<batch out>/<name>``.
    files : tuple of pathlib.Path
        The files its keys were read from (the batch file, the region's own file).
    """

    name: str
    config: RunConfig
    out: Path
    files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Batch:
    """A validated batch: its regions and the folder that holds their outputs.

    Attributes
    ----------
    regions : tuple of BatchRegion
        In the order of the batch file.
    out : pathlib.Path
        Output folder of the batch (region folders, ``index.html``, ``batch_summary.csv``).
    source : str
        The batch file.
    """

    regions: tuple[BatchRegion, ...]
    out: Path
    source: str = ""

    def __len__(self) -> int:
        return len(self.regions)


# --------------------------------------------------------------------------- loading


def _resolved(layer: Mapping[str, Any], base: Path) -> dict[str, Any]:
    """A layer of keys with every path in it made absolute against ``base``.

    Each value is parsed as the configuration parses it, so paths inside mappings
    (``boundaries: {township: ...}``, ``population: {raster: ..., groups: ...}``) are
    found as well as plain ones; a value that does not parse is left for the final
    validation to report with its region.
    """
    out = dict(layer)
    for key, raw in layer.items():
        parse = _PARSERS.get(str(key))
        if parse is None or raw is None:
            continue
        try:
            parsed = parse(raw)
        except Exception:  # reported, with its region, by config_from_dict
            continue
        if any(True for _ in iter_paths(parsed)):
            out[key] = resolve_paths(parsed, base)
    return out


def _read_yaml(path: Path, what: str) -> Any:
    """The parsed YAML of a file, or a one-line :class:`ConfigError` naming it."""
    return read_yaml(path, what)


def _read_mapping(path: Path) -> dict[str, Any]:
    """The raw keys of a configuration file (validated later, with the layers)."""
    data = _read_yaml(path, "configuration file")
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path} must hold 'key: value' lines, not a {type(data).__name__}")
    return dict(data)


def _region(
    entry: Any, i: int, defaults: Mapping[str, Any], base: Path, source: str, out: Path
) -> BatchRegion:
    where = f"{source}: region {i}"
    if isinstance(entry, (str, os.PathLike)):
        entry = {"config": entry}
    if not isinstance(entry, Mapping):
        raise ConfigError(
            f"{where}: give a configuration file path or a mapping of keys, "
            f"not {type(entry).__name__}"
        )
    inline = dict(entry)
    layers = [_resolved(defaults, base)]
    files = [resolve_path(source)] if Path(source).is_file() else []
    name = inline.get("name")
    config_file = inline.pop("config", None)
    if config_file is not None:
        if not isinstance(config_file, (str, os.PathLike)) or not str(config_file).strip():
            raise ConfigError(f"{where}: 'config' must be the path of a configuration file")
        path = resolve_path(config_file, base)
        files.append(path)
        file_keys = _read_mapping(path)
        layers.append(_resolved(file_keys, path.parent))
        name = name or file_keys.get("name") or path.stem
        if isinstance(name, str) and name.strip():
            where = f"{source}: region {i} ({name.strip()})"
    elif not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: an inline region needs a 'name'")
    else:
        where = f"{source}: region {i} ({name.strip()})"
    layers.append(_resolved(inline, base))
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer)
    merged["name"] = name
    config = config_from_dict(merged, base_dir=None, source=where)
    # the configuration allows only names that are plain folder names
    return BatchRegion(name=config.name, config=config, out=out / config.name, files=tuple(files))


def batch_from_dict(
    data: Mapping[str, Any],
    *,
    base_dir: str | os.PathLike[str],
    source: str = "batch",
    out: str | os.PathLike[str] | None = None,
) -> Batch:
    """Validate the keys of a batch file into a :class:`Batch`.

    Parameters
    ----------
    data : mapping
        ``out`` (optional), ``defaults`` (optional mapping) and ``regions`` (list).
    base_dir : path-like
        Folder the batch file's relative paths are resolved against.
    source : str
        Name used in error messages (the batch file).
    out : path-like, optional
        Output folder, overriding the file's ``out`` (default ``out/<source stem>``).

    Returns
    -------
    Batch

    Raises
    ------
    ConfigError
        One line listing every problem: unknown keys, bad regions (with their number and
        name), duplicate region names.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected the keys 'defaults' and 'regions'")
    base = resolve_path(base_dir)
    problems: list[str] = []
    for key in data:
        if key not in _TOP_KEYS:
            guess = difflib.get_close_matches(str(key), _TOP_KEYS, n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            problems.append(f"unknown key '{key}'{hint}; a batch file has {', '.join(_TOP_KEYS)}")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        problems.append("'defaults' must be a mapping of configuration keys")
        defaults = {}
    regions = data.get("regions")
    if not isinstance(regions, list) or not regions:
        problems.append("'regions' must be a non-empty list of configuration files or mappings")
        regions = []
    if out is not None:
        out_dir = resolve_path(out)
    elif isinstance(data.get("out"), str) and data["out"].strip():
        out_dir = resolve_path(data["out"], base)
    elif data.get("out") is not None:
        problems.append("'out' must be the path of the output folder")
        out_dir = Path()
    else:
        out_dir = resolve_path(Path("out") / Path(source).stem)
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    built: list[BatchRegion] = []
    for i, entry in enumerate(regions, start=1):
        try:
            built.append(_region(entry, i, defaults, base, source, out_dir))
        except ConfigError as exc:
            problems.append(one_line(str(exc)))
    seen: dict[str, str] = {}
    for region in built:
        folder = region.out.name.casefold()
        if folder in seen:
            problems.append(
                f"{source}: regions '{seen[folder]}' and '{region.name}' would share the output "
                f"folder {region.out.name}; give them different names"
            )
        seen[folder] = region.name
    if problems:
        raise ConfigError("; ".join(problems))
    return Batch(regions=tuple(built), out=out_dir, source=source)


def batch_inputs(batch: Batch) -> list[Path]:
    """Every input of a batch: its files and each path in every region's configuration.

    Parameters
    ----------
    batch : Batch

    Returns
    -------
    list of pathlib.Path
        The output folder of the batch must hold none of them.
    """
    found: dict[Path, None] = {}
    for region in batch.regions:
        found.update(dict.fromkeys(region.files))
        found.update(dict.fromkeys(p for n, p in iter_paths(region.config) if n != "out"))
    return list(found)


def load_batch(path: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None) -> Batch:
    """Read and validate a batch file.

    Parameters
    ----------
    path : path-like
        The YAML batch file.
    out : path-like, optional
        Output folder, overriding the file's ``out``.

    Returns
    -------
    Batch

    Raises
    ------
    ConfigError
        If the file or any region is invalid (one line naming each problem).

    Examples
    --------
    >>> batch = load_batch("data/sample_batch/batch.yaml")  # doctest: +SKIP
    >>> [r.name for r in batch.regions]  # doctest: +SKIP
    ['north-county', 'river-county', 'hill-county']
    """
    path = Path(path)
    data = _read_yaml(path, "batch file")
    return batch_from_dict(data or {}, base_dir=path.parent, source=str(path), out=out)
