"""The run configuration: YAML in, a frozen and validated :class:`RunConfig` out.

Paths in a configuration file are relative to that file. Every problem found is
collected and reported in one message, so a planner fixes a file in one pass.

Examples
--------
>>> from coverage.config import config_from_dict
>>> cfg = config_from_dict({"stations": "s.csv", "population": "p.tif",
...                         "network": "n.osm.pbf"}, base_dir="/data")
>>> cfg.threshold_minutes, cfg.mode
(15.0, 'walk')
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

__all__ = ["MODES", "RunConfig", "config_from_dict", "load_config"]

#: Travel modes the engine knows (see :mod:`coverage.inputs.network` for the speeds).
MODES = ("walk",)


class _Invalid(Exception):
    """Raised by a field parser; collected into one :class:`ConfigError`."""


def _str(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"must be a non-empty text, got {value!r}")
    return value.strip()


def _name(value: Any) -> str:
    text = _str(value)
    if any(ch in text for ch in '/\\:*?"<>|') or text in {".", ".."} or text.startswith("."):
        raise _Invalid(
            f'must be a plain name usable as a folder name (no / \\ : * ? " < > | and not '
            f"starting with a dot), got {value!r}"
        )
    return text


def _opt_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _path(value: Any) -> Path:
    if isinstance(value, Path):
        return value
    return Path(_str(value))


def _opt_path(value: Any) -> Path | None:
    return None if value is None else _path(value)


def _positive(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(f"must be a number, got {value!r}")
    if not value > 0 or value != value or value == float("inf"):
        raise _Invalid(f"must be a positive finite number, got {value!r}")
    return float(value)


def _opt_positive(value: Any) -> float | None:
    return None if value is None else _positive(value)


def _minutes(value: Any) -> tuple[float, ...]:
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise _Invalid("must be a number of minutes or a list of them, e.g. 15 or [5, 10, 15]")
    parsed = tuple(sorted({_positive(v) for v in values}))
    return parsed


def _mode(value: Any) -> str:
    text = _str(value).lower()
    if text not in MODES:
        raise _Invalid(f"must be one of {', '.join(MODES)}, got {value!r}")
    return text


def _crs(value: Any) -> str:
    text = _str(str(value) if isinstance(value, int) else value)
    if text.isdigit():
        text = f"EPSG:{text}"
    if text.upper().replace("_", "-") in {"GCJ-02", "GCJ02", "BD-09", "BD09"}:
        return text.upper().replace("_", "-").replace("GCJ02", "GCJ-02").replace("BD09", "BD-09")
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(text)
    except CRSError:
        raise _Invalid(
            f"is not a coordinate reference system pyproj knows: {text!r} "
            "(use e.g. EPSG:4326, GCJ-02 or BD-09)"
        ) from None
    return text


def _opt_crs(value: Any) -> str | None:
    return None if value is None else _crs(value)


def _spec(parse: Callable[[Any], Any], help: str, *, default: Any = dataclasses.MISSING) -> Any:
    """A configuration field: its parser, one line of help, and its default."""
    meta = {"parse": parse, "help": help}
    if default is dataclasses.MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class RunConfig:
    """A validated run configuration. Build it with :func:`load_config`.

    Every field is documented by its ``help`` metadata; ``coverage15 run --help``
    and the README list them.
    """

    stations: Path = _spec(_path, "station points: CSV (lon/lat columns), GeoJSON or GeoPackage")
    population: Path = _spec(_path, "GeoTIFF of people per cell, any CRS, nodata honoured")
    network: Path = _spec(_path, "OpenStreetMap extract: .osm.pbf or .osm XML")
    name: str = _spec(_name, "name of the region, used in outputs", default="region")
    stations_crs: str = _spec(_crs, "CRS of CSV coordinates", default="EPSG:4326")
    boundaries: Path | None = _spec(_opt_path, "optional unit polygons", default=None)
    boundaries_name: str = _spec(_str, "attribute naming each unit", default="name")
    mode: str = _spec(_mode, "travel mode (walk)", default="walk")
    speed_kmh: float | None = _spec(
        _opt_positive, "one speed for every edge, overriding the mode's speeds", default=None
    )
    minutes: tuple[float, ...] = _spec(
        _minutes, "coverage threshold(s) in minutes", default=(15.0,)
    )
    access_speed_kmh: float = _spec(
        _positive, "speed of the straight-line leg between a point and the road", default=5.0
    )
    max_access_m: float = _spec(
        _positive,
        "longest straight-line access leg; farther points are unreachable",
        default=5000.0,
    )
    metric_crs: str | None = _spec(
        _opt_crs, "projected CRS for distances (default: local UTM zone)", default=None
    )
    out: Path | None = _spec(_opt_path, "output folder (default out/<name>)", default=None)

    @property
    def threshold_minutes(self) -> float:
        """The headline threshold: 15 if listed in ``minutes``, else the largest listed."""
        return 15.0 if 15.0 in self.minutes else max(self.minutes)

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed, validated like the original.

        Parameters
        ----------
        **changes
            Field names and raw values, e.g. ``minutes=10``.

        Returns
        -------
        RunConfig
        """
        raw = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        raw.update(changes)
        return config_from_dict(raw, base_dir=None)


_FIELDS = {f.name: f for f in dataclasses.fields(RunConfig)}
_REQUIRED = [n for n, f in _FIELDS.items() if f.default is dataclasses.MISSING]
_PATH_FIELDS = {n for n, f in _FIELDS.items() if f.metadata["parse"] in (_path, _opt_path)}


def config_from_dict(
    data: Mapping[str, Any], *, base_dir: str | os.PathLike[str] | None, source: str = "config"
) -> RunConfig:
    """Validate a mapping of configuration keys into a :class:`RunConfig`.

    Parameters
    ----------
    data : mapping
        Raw keys and values, as read from YAML.
    base_dir : path-like or None
        Folder that relative paths are resolved against (None leaves them as given).
    source : str
        Name used in error messages (the configuration file).

    Returns
    -------
    RunConfig

    Raises
    ------
    ConfigError
        Listing every unknown key (with a "did you mean"), missing key and bad value.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{source}: expected a mapping of keys to values (e.g. 'stations: stations.csv'), "
            f"got {type(data).__name__}"
        )
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key not in _FIELDS:
            guess = difflib.get_close_matches(str(key), list(_FIELDS), n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            problems.append(f"unknown key '{key}'{hint}")
            continue
        if raw is None and _FIELDS[key].default is not dataclasses.MISSING:
            values[key] = _FIELDS[key].default
            continue
        try:
            values[key] = _FIELDS[key].metadata["parse"](raw)
        except _Invalid as exc:
            problems.append(f"'{key}' {exc}")
    for key in _REQUIRED:
        if key not in data:
            problems.append(f"missing key '{key}' ({_FIELDS[key].metadata['help']})")
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    if base_dir is not None:
        base = Path(base_dir)
        for key in _PATH_FIELDS:
            if isinstance(values.get(key), Path):
                values[key] = (base / values[key].expanduser()).resolve()
    if "name" not in values and source != "config":
        values["name"] = Path(source).stem
    return RunConfig(**values)


def load_config(path: str | os.PathLike[str], **overrides: Any) -> RunConfig:
    """Read and validate a YAML run configuration.

    Parameters
    ----------
    path : path-like
        The YAML file. Relative paths inside it are resolved against its folder.
    **overrides
        Keys that replace the file's values (e.g. ``minutes=10`` from the command line);
        ``None`` values are ignored.

    Returns
    -------
    RunConfig

    Raises
    ------
    ConfigError
        If the file cannot be read, is not YAML, or has invalid keys or values.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration file ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            f"{path}: not valid YAML{where}; write one 'key: value' per line"
        ) from None
    if data is None:
        data = {}
    if isinstance(data, dict):
        data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    return config_from_dict(data, base_dir=path.parent, source=str(path))
