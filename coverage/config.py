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
from .metrics.catchments import DEFAULT_STAFF_RULES, StaffRule, staff_rules_from_mapping
from .metrics.targets import Target, targets_from_mapping
from .metrics.units import DEFAULT_UNIT_COVERED_SHARE
from .paths import resolve_paths

__all__ = ["MODES", "PopulationSource", "RunConfig", "config_from_dict", "load_config"]

#: Travel modes the engine knows (see :mod:`coverage.inputs.network` for the speeds).
MODES = ("walk", "bike", "ebike", "drive")


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


def _opt_modes(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise _Invalid(f"must list one or more of {', '.join(MODES)}, e.g. [walk, ebike]")
    return tuple(dict.fromkeys(_mode(v) for v in values))


def _speeds(value: Any) -> dict[str, Any] | None:
    """``{class: kmh}`` for every mode, or ``{mode: {class: kmh}}``."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not value:
        raise _Invalid("must map highway classes to km/h, e.g. {residential: 4.5}")
    if all(isinstance(v, Mapping) for v in value.values()):
        return {_mode(m): _speeds(table) for m, table in value.items()}
    out: dict[str, Any] = {}
    for key, kmh in value.items():
        try:
            out[_str(key)] = _positive(kmh)
        except _Invalid as exc:
            raise _Invalid(f"speed of '{key}' {exc}") from None
    return out


def _snap_to(value: Any) -> str:
    text = _str(value).lower()
    if text not in ("edge", "node"):
        raise _Invalid(f"must be 'edge' or 'node', got {value!r}")
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


#: Standard station columns a ``stations_columns`` mapping may name (see
#: :data:`coverage.inputs.stations.STATION_COLUMNS`).
STATION_COLUMN_KEYS = ("id", "name", "tier", "lon", "lat", "address", "services", "staff")
#: Standard columns of a population table (see :data:`coverage.inputs.population.POINT_COLUMNS`).
POINT_COLUMN_KEYS = ("name", "lon", "lat", "population")
_RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".nc", ".asc")


def _opt_encoding(value: Any) -> str | None:
    if value is None:
        return None
    import codecs

    text = _str(value)
    try:
        codecs.lookup(text)
    except LookupError:
        raise _Invalid(
            f"is not a text encoding Python knows: {text!r} (use utf-8, gbk, gb18030)"
        ) from None
    return text


def _opt_sheet(value: Any) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return _str(value)


def _columns(value: Any, allowed: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(value, Mapping) or not value:
        raise _Invalid(
            "must be a mapping of standard names to column headers, e.g. {name: 网点名称}"
        )
    out = {}
    for key, header in value.items():
        if key not in allowed:
            guess = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            raise _Invalid(f"has an unknown name {key!r}{hint}; use {', '.join(allowed)}")
        out[str(key)] = _str(str(header) if isinstance(header, int) else header)
    return out


def _opt_station_columns(value: Any) -> dict[str, str] | None:
    return None if value is None else _columns(value, STATION_COLUMN_KEYS)


def _level_name(key: Any) -> str:
    text = _str(key)
    if not text.replace("_", "").replace("-", "").isalnum():
        raise _Invalid(f"level name {key!r} must be letters, digits, '_' or '-'")
    return text


def _boundaries(value: Any) -> Path | dict[str, Path] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        if not value:
            raise _Invalid("must be a path or a mapping of levels to paths, e.g. {township: t.shp}")
        return {_level_name(k): _path(v) for k, v in value.items()}
    return _path(value)


def _names(value: Any) -> str | dict[str, str]:
    if isinstance(value, Mapping):
        if not value:
            raise _Invalid("must be an attribute name or a mapping of levels to attribute names")
        return {_level_name(k): _str(v) for k, v in value.items()}
    return _str(value)


@dataclass(frozen=True)
class PopulationSource:
    """Population given as a mapping: a raster with groups, a table of points, or buildings.

    Exactly one of ``raster``, ``points`` and ``from_buildings`` is set. Written in the
    configuration as e.g. ``population: {raster: pop.tif, groups: {age_65_plus: p65.tif}}``,
    ``population: {points: villages.xlsx, crs: GCJ-02}`` or
    ``population: {from_buildings: true, total: 248866, cell_size_m: 100}``.
    """

    raster: Path | None = None
    points: Path | None = None
    from_buildings: bool = False
    total: float | None = None
    cell_size_m: float = 100.0
    floor_area_per_person_m2: float = 40.0
    crs: str = "EPSG:4326"
    columns: dict[str, str] | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    groups: dict[str, Path | str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """``"raster"``, ``"points"`` or ``"buildings"``."""
        if self.raster is not None:
            return "raster"
        return "points" if self.points is not None else "buildings"

    def __str__(self) -> str:
        if self.kind == "buildings":
            total = "" if self.total is None else f", total {self.total:,.0f}"
            return f"modelled from OSM buildings ({self.cell_size_m:g} m grid{total})"
        return str(self.raster if self.raster is not None else self.points)


_POPULATION_KEYS = (
    "raster", "points", "from_buildings", "total", "cell_size_m", "floor_area_per_person_m2",
    "crs", "columns", "encoding", "sheet", "groups",
)  # fmt: skip


def _population(value: Any) -> Path | PopulationSource:
    if isinstance(value, PopulationSource):
        return value
    if not isinstance(value, Mapping):
        return _path(value)
    unknown = [k for k in value if k not in _POPULATION_KEYS]
    if unknown:
        guess = difflib.get_close_matches(str(unknown[0]), _POPULATION_KEYS, n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        raise _Invalid(
            f"has an unknown key {unknown[0]!r}{hint}; use {', '.join(_POPULATION_KEYS)}"
        )
    from_buildings = value.get("from_buildings", False)
    if not isinstance(from_buildings, bool):
        raise _Invalid(f"from_buildings must be true or false, got {from_buildings!r}")
    given = [k for k in ("raster", "points") if value.get(k) is not None]
    if from_buildings:
        given.append("from_buildings")
    if len(given) != 1:
        raise _Invalid(
            "must name exactly one source: raster: <file>, points: <table> or "
            f"from_buildings: true (got {', '.join(given) or 'none'})"
        )
    kind = given[0]
    if "total" in value and kind != "from_buildings":
        raise _Invalid("total applies only with from_buildings: true")
    raw_groups = value.get("groups") or {}
    if not isinstance(raw_groups, Mapping):
        raise _Invalid("groups must be a mapping of group names to rasters or columns")
    if raw_groups and kind == "from_buildings":
        raise _Invalid("groups need a population raster or table, not from_buildings")
    groups: dict[str, Path | str] = {}
    for name, src in raw_groups.items():
        group = _level_name(name)
        if kind == "raster":
            groups[group] = _path(src)
        else:
            groups[group] = src if isinstance(src, Path) else _str(src)
    try:
        return PopulationSource(
            raster=_opt_path(value.get("raster")),
            points=_opt_path(value.get("points")),
            from_buildings=from_buildings,
            total=_opt_positive(value.get("total")),
            cell_size_m=_positive(value.get("cell_size_m", 100.0)),
            floor_area_per_person_m2=_positive(value.get("floor_area_per_person_m2", 40.0)),
            crs=_crs(value.get("crs", "EPSG:4326")),
            columns=(
                None if value.get("columns") is None
                else _columns(value["columns"], POINT_COLUMN_KEYS)
            ),
            encoding=_opt_encoding(value.get("encoding")),
            sheet=_opt_sheet(value.get("sheet")),
            groups=groups,
        )  # fmt: skip
    except _Invalid as exc:
        raise _Invalid(f"(mapping) {exc}") from None


def _unit_share(value: Any) -> float:
    share = _positive(value)
    if share > 1:
        raise _Invalid(f"must be a share in (0, 1], e.g. 0.9 for 90%, got {value!r}")
    return share


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false, got {value!r}")
    return value


def _non_negative(value: Any) -> float:
    return 0.0 if value == 0 and not isinstance(value, bool) else _positive(value)


def _targets(value: Any) -> tuple[Target, ...]:
    try:
        return targets_from_mapping(value)
    except ValueError as exc:
        raise _Invalid(str(exc)) from None


def _staffing(value: Any) -> tuple[StaffRule, ...]:
    try:
        return staff_rules_from_mapping(value)
    except ValueError as exc:
        raise _Invalid(str(exc)) from None


def _basemap(value: Any) -> Any:
    from .outputs.basemaps import basemap_from_spec

    try:
        return basemap_from_spec(value)
    except ValueError as exc:
        raise _Invalid(str(exc)) from None


def _lang(value: Any) -> str:
    text = _str(value).lower()
    if text not in ("en", "zh"):
        raise _Invalid(f"must be zh (Chinese) or en (English), got {value!r}")
    return text


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

    stations: Path = _spec(
        _path, "station points: CSV or .xlsx (lon/lat or 经度/纬度), GeoJSON, GeoPackage, Shapefile"
    )
    population: Path | PopulationSource = _spec(
        _population,
        "GeoTIFF of people per cell (any CRS, nodata honoured), or a mapping: "
        "{raster: ..., groups: {...}}, {points: table, crs: ...} or "
        "{from_buildings: true, total: N, cell_size_m: 100}",
    )
    network: Path = _spec(_path, "OpenStreetMap extract: .osm.pbf or .osm XML")
    name: str = _spec(_name, "name of the region, used in outputs", default="region")
    stations_crs: str = _spec(
        _crs, "CRS of table coordinates: EPSG:xxxx, GCJ-02 or BD-09", default="EPSG:4326"
    )
    boundaries: Path | dict[str, Path] | None = _spec(
        _boundaries,
        "optional unit polygons: a file, or one per level, e.g. {township: t.shp, village: v.shp}",
        default=None,
    )
    boundaries_name: str | dict[str, str] = _spec(
        _names, "attribute naming each unit, or one per level", default="name"
    )
    mode: str = _spec(_mode, "travel mode: walk, bike, ebike or drive", default="walk")
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
    stations_encoding: str | None = _spec(
        _opt_encoding, "text encoding of a station CSV (default: detect UTF-8/GBK)", default=None
    )
    stations_sheet: str | int | None = _spec(
        _opt_sheet, "sheet of a station .xlsx (name or 0-based number; default first)", default=None
    )
    stations_columns: dict[str, str] | None = _spec(
        _opt_station_columns,
        "headers of the station columns when not recognised, e.g. {name: 网点, tier: 性质}",
        default=None,
    )
    boundaries_crs: str | None = _spec(
        _opt_crs, "CRS of the boundaries when GCJ-02/BD-09 or missing from the file", default=None
    )
    unit_covered_share: float = _spec(
        _unit_share,
        "a unit counts as covered when this share of its residents is within the threshold",
        default=DEFAULT_UNIT_COVERED_SHARE,
    )
    targets: tuple[Target, ...] = _spec(
        _targets,
        "share of units to cover by year, e.g. {township: {2023: 0.4, 2024: 1.0}}",
        default=(),
    )
    catchment_by_tier: bool = _spec(
        _flag, "also assign residents to the nearest station of each tier", default=False
    )
    staffing: tuple[StaffRule, ...] = _spec(
        _staffing,
        "recommended staff by tier and catchment, e.g. {township: {0: 2, 50000: 3}}",
        default=DEFAULT_STAFF_RULES,
    )
    gap_min_population: float = _spec(
        _non_negative, "gap areas with fewer residents are left out", default=0.0
    )
    modes: tuple[str, ...] | None = _spec(
        _opt_modes,
        "several travel modes in one run, e.g. [walk, ebike]: one result per mode in "
        "out/<mode>/ and modes_summary.csv (overrides mode)",
        default=None,
    )
    speeds_kmh: dict[str, Any] | None = _spec(
        _speeds,
        "per-class speed overrides, {residential: 4.5} or per mode {ebike: {track: 12}}",
        default=None,
    )
    dem: Path | None = _spec(
        _opt_path, "elevation raster (e.g. SRTM GeoTIFF) for slope-dependent speeds", default=None
    )
    snap_to: str = _spec(
        _snap_to,
        "where off-road legs join the road: 'node' (the nearest node) or 'edge' (also the "
        "nearest point of the nearest segment; for rural roads with long segments)",
        default="node",
    )
    isochrone_cell_m: float = _spec(
        _positive, "cell size of the metric grid isochrones are traced on", default=100.0
    )
    isochrones_per_station: bool = _spec(
        _flag, "also write isochrones_stations.geojson (each station's share)", default=False
    )
    cache: bool = _spec(_flag, "keep parsed, weighted road graphs in a cache", default=True)
    cache_dir: Path | None = _spec(
        _opt_path,
        "graph cache folder (default: COVERAGE15_CACHE_DIR or the user cache folder)",
        default=None,
    )
    basemap: Any = _spec(
        _basemap,
        "map tiles: osm, tianditu, amap (GCJ-02), none, or {url, attribution, datum}",
        default=_basemap("osm"),
    )
    tianditu_key: str | None = _spec(
        _opt_str, "Tianditu key for basemap: tianditu (default: $TIANDITU_KEY)", default=None
    )
    lang: str = _spec(_lang, "language of maps and report: zh or en", default="en")

    @property
    def threshold_minutes(self) -> float:
        """The headline threshold: 15 if listed in ``minutes``, else the largest listed."""
        return 15.0 if 15.0 in self.minutes else max(self.minutes)

    @property
    def run_modes(self) -> tuple[str, ...]:
        """The modes of this run: ``modes`` if given, else ``(mode,)``."""
        return self.modes or (self.mode,)

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
        for key in values:
            values[key] = resolve_paths(values[key], base)
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
