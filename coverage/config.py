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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import config_fields as cf
from .config_fields import MODES, spec
from .config_population import PopulationSource, parse_population
from .config_service import (
    parse_home_service,
    parse_hours_default,
    parse_service_lists,
    parse_service_rules,
    parse_time_windows,
)
from .config_yaml import read_yaml
from .errors import ConfigError
from .metrics.catchments import DEFAULT_STAFF_RULES, StaffRule
from .metrics.duplicates import DEFAULT_DUPLICATE_M
from .metrics.requirements import TierRule
from .metrics.service_plan import HomeService
from .metrics.service_rules import ServiceRule, check_rule_lists
from .metrics.targets import Target
from .metrics.units import DEFAULT_UNIT_COVERED_SHARE
from .paths import default_cache_dir, resolve_paths

__all__ = [
    "MODES",
    "PopulationSource",
    "RunConfig",
    "config_from_dict",
    "config_keys_help",
    "load_config",
]


@dataclass(frozen=True)
class RunConfig:
    """A validated run configuration. Build it with :func:`load_config`.

    Every field is documented by its ``help`` metadata; ``coverage15 run --help``
    and the README list them.
    """

    stations: Path = spec(
        cf.path,
        "station points: CSV or .xlsx (lon/lat or 经度/纬度), GeoJSON, GeoPackage, Shapefile",
    )
    population: Path | PopulationSource = spec(
        parse_population,
        "GeoTIFF of people per cell (any CRS, nodata honoured), or a mapping: "
        "{raster: ..., band: N, groups: {...}, totals: {file, level, column, unit_column}}, "
        "{points: table, crs: ..., totals: {...}} or "
        "{from_buildings: true, total: N, cell_size_m: 100}",
    )
    network: Path = spec(
        cf.path,
        "OpenStreetMap extract (.osm.pbf or .osm XML), or a road line layer "
        "(.gpkg, .shp, .geojson; any CRS) classed 国道/省道/县道/乡道/村道 or by grade",
    )
    name: str = spec(cf.plain_name, "name of the region, used in outputs", default="region")
    stations_crs: str = spec(
        cf.crs, "CRS of table coordinates: EPSG:xxxx, GCJ-02 or BD-09", default="EPSG:4326"
    )
    boundaries: Path | dict[str, Path] | None = spec(
        cf.boundaries,
        "optional unit polygons: a file, or one per level, e.g. {township: t.shp, village: v.shp}",
        default=None,
    )
    boundaries_name: str | dict[str, str] = spec(
        cf.names, "attribute naming each unit, or one per level", default="name"
    )
    boundaries_parent: dict[str, str] | None = spec(
        cf.opt_parent_columns,
        "column of a lower level's file naming its unit of the level above, e.g. "
        "{village: 乡镇名称} (default: by containment, the unit holding most of its area)",
        default=None,
    )
    mode: str = spec(cf.mode, "travel mode: walk, bike, ebike or drive", default="walk")
    speed_kmh: float | None = spec(
        cf.optional(cf.speed),
        "one speed for every edge, overriding the mode's speeds (0 < km/h <= 200)",
        default=None,
    )
    minutes: tuple[float, ...] = spec(
        cf.minutes_list, "coverage threshold(s) in minutes (0 < m <= 1440)", default=(15.0,)
    )
    access_speed_kmh: float = spec(
        cf.speed,
        "speed of the straight-line leg between a point and the road (0 < km/h <= 200)",
        default=5.0,
    )
    max_access_m: float = spec(
        cf.access_m,
        "longest straight-line access leg (0 < m <= 100000); farther points are unreachable",
        default=5000.0,
    )
    metric_crs: str | None = spec(
        cf.opt_metric_crs,
        "projected CRS in metres for distances (default: local UTM zone)",
        default=None,
    )
    out: Path | None = spec(cf.opt_path, "output folder (default out/<name>)", default=None)
    stations_encoding: str | None = spec(
        cf.opt_encoding, "text encoding of a station CSV (default: detect UTF-8/GBK)", default=None
    )
    stations_sheet: str | int | None = spec(
        cf.opt_sheet,
        "sheet of a station .xlsx (name or 0-based number; default first)",
        default=None,
    )
    stations_columns: dict[str, str] | None = spec(
        cf.opt_station_columns,
        "headers of the station columns when not recognised, e.g. {name: 网点, tier: 性质}",
        default=None,
    )
    boundaries_crs: str | None = spec(
        cf.opt_crs, "CRS of the boundaries when GCJ-02/BD-09 or missing from the file", default=None
    )
    unit_covered_share: float = spec(
        cf.share,
        "a unit counts as covered when this share of its residents is within the threshold",
        default=DEFAULT_UNIT_COVERED_SHARE,
    )
    targets: tuple[Target, ...] = spec(
        cf.targets,
        "share of units to cover by year, e.g. {township: {2023: 0.4, 2024: 1.0}}",
        default=(),
    )
    require: tuple[TierRule, ...] = spec(
        cf.require,
        "stations of a tier each populated unit must hold (siting keeps to it), e.g. "
        "{township: {tier: township, at_least: 1}}",
        default=(),
    )
    catchment_by_tier: bool = spec(
        cf.flag, "also assign residents to the nearest station of each tier", default=False
    )
    staffing: tuple[StaffRule, ...] = spec(
        cf.staffing,
        "recommended staff by tier and catchment, e.g. {township: {0: 2, 50000: 3}}",
        default=DEFAULT_STAFF_RULES,
    )
    gap_min_population: float = spec(
        cf.non_negative, "gap areas with fewer residents are left out", default=0.0
    )
    time_windows: dict[str, str] | None = spec(
        parse_time_windows,
        "coverage counting only stations open for the whole window, e.g. "
        '{工作日午间: "Mo-Fr 12:00-13:00", 周六上午: "Sa 09:00-11:00"} (OSM opening_hours)',
        default=None,
    )
    hours_default: str = spec(
        parse_hours_default,
        "stations without hours are always open (open) or never (closed) in time windows",
        default="open",
    )
    service_lists: dict[str, tuple[str, ...]] | Path | None = spec(
        parse_service_lists,
        "service-item lists, {省级清单: [...], 村级清单: [...]}, or a YAML, CSV or .xlsx file",
        default=None,
    )
    service_rules: tuple[ServiceRule, ...] = spec(
        parse_service_rules,
        "share of a list each tier handles, e.g. {township: {list: 省级清单, at_least: 0.3}}",
        default=(),
    )
    home_service: HomeService | None = spec(
        parse_home_service,
        "list the places where a group's uncovered residents live, e.g. age_65_plus or "
        "{group: age_65_plus, level: village} (home_service.csv, home_service.geojson)",
        default=None,
    )
    modes: tuple[str, ...] | None = spec(
        cf.opt_modes,
        "several travel modes in one run, e.g. [walk, ebike]: one result per mode in "
        "out/<mode>/ and modes_summary.csv (overrides mode)",
        default=None,
    )
    speeds_kmh: dict[str, Any] | None = spec(
        cf.speeds,
        "per-class speed overrides, {residential: 4.5} or per mode {ebike: {track: 12}}",
        default=None,
    )
    dem: Path | None = spec(
        cf.opt_path, "elevation raster (e.g. SRTM GeoTIFF) for slope-dependent speeds", default=None
    )
    snap_to: str = spec(
        cf.snap_to,
        "where off-road legs join the road: 'node' (the nearest node) or 'edge' (also the "
        "nearest point of the nearest segment; for rural roads with long segments)",
        default="node",
    )
    network_columns: dict[str, str] | None = spec(
        cf.opt_network_columns,
        "headers of a road layer's columns when not recognised, e.g. {class: 路线等级, "
        "speed: 设计时速}",
        default=None,
    )
    network_snap_m: float = spec(
        cf.positive, "road layer: line vertices this close join into one node", default=0.5
    )
    group_speed_factor: dict[str, float] | None = spec(
        cf.opt_group_factors,
        "slower groups, e.g. {age_65_plus: 0.75}: the group's walking, cycling and e-bike "
        "speeds (road and access legs) times the factor; driving unchanged",
        default=None,
    )
    link_to_steps: bool = spec(
        cf.flag,
        "whether residents and stations may join the road at steps (highway=steps); "
        "tunnels, indoor and underground ways never",
        default=True,
    )
    water_barriers: bool = spec(
        cf.flag,
        "access legs never cross water read from the OSM file (lakes, riverbanks, "
        "reservoirs, the sea side of coastlines)",
        default=True,
    )
    barriers: Path | None = spec(
        cf.opt_path,
        "optional polygon layer of more water areas legs may not cross (GeoPackage, "
        "Shapefile, GeoJSON; any CRS)",
        default=None,
    )
    ferry: bool = spec(
        cf.flag,
        "OSM ferries (route=ferry) as edges for the modes their tags allow; false leaves them out",
        default=True,
    )
    ferry_speed_kmh: float = spec(cf.speed, "speed on a ferry (0 < km/h <= 200)", default=10.0)
    ferry_wait_minutes: float = spec(
        cf.bounded(0, cf.MAX_MINUTES, low_open=False, unit=" min", note=" (a day)"),
        "wait when boarding a ferry at a landing (0 <= min <= 1440)",
        default=10.0,
    )
    duplicate_m: float = spec(
        cf.duplicate_m,
        "stations within this many metres of another are one site: marked duplicate_of, "
        "no staffing of their own (0 <= m <= 1000; 0 turns this off)",
        default=DEFAULT_DUPLICATE_M,
    )
    isochrone_cell_m: float = spec(
        cf.cell_m,
        "cell size of the metric grid isochrones are traced on (1 <= m <= 10000)",
        default=100.0,
    )
    isochrones_per_station: bool = spec(
        cf.flag, "also write isochrones_stations.geojson (each station's share)", default=False
    )
    cache: bool = spec(cf.flag, "keep parsed, weighted road graphs in a cache", default=True)
    cache_dir: Path | None = spec(
        cf.opt_path,
        "graph cache folder (default: COVERAGE15_CACHE_DIR or the user cache folder)",
        default=None,
    )
    basemap: Any = spec(
        cf.basemap,
        "map tiles: osm, tianditu, amap (GCJ-02), none, or {url, attribution, datum}",
        default=cf.basemap("osm"),
    )
    tianditu_key: str | None = spec(
        cf.opt_text, "Tianditu key for basemap: tianditu (default: $TIANDITU_KEY)", default=None
    )
    lang: str = spec(cf.lang, "language of maps and report: zh or en", default="en")
    output_crs: str = spec(
        cf.output_crs,
        "CRS of outputs.gpkg and the Shapefiles: EPSG:4326 (WGS84), EPSG:4490 (CGCS2000) or a "
        "Gauss-Krüger zone such as EPSG:4549 (GeoJSON files stay WGS84)",
        default="EPSG:4326",
    )
    shapefile: bool = spec(
        cf.flag, "also write the GIS layers as Shapefiles (shapefile/ folder)", default=False
    )
    shapefile_encoding: str = spec(
        cf.shapefile_encoding,
        "text encoding of the Shapefiles' attributes, named in each .cpg: utf-8 or gbk",
        default="utf-8",
    )
    parallel_outputs: bool = spec(
        cf.flag,
        "draw the print maps in a second process while the rest is written "
        "(Linux, two or more cores)",
        default=True,
    )

    @property
    def threshold_minutes(self) -> float:
        """The headline threshold: 15 if listed in ``minutes``, else the largest listed."""
        return 15.0 if 15.0 in self.minutes else max(self.minutes)

    @property
    def cache_folder(self) -> Path | None:
        """Where this run keeps its caches (graphs, water masks), or None with ``cache: false``."""
        return (self.cache_dir or default_cache_dir()) if self.cache else None

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


def config_keys_help(width: int = 100) -> str:
    """Every configuration key with its one line of help (required keys first), as text.

    Parameters
    ----------
    width : int
        Line width to wrap the help at.

    Returns
    -------
    str
        One entry per key, ``key`` then its help indented below it; used by
        ``coverage15 run --help``.
    """
    import textwrap

    def required(f: dataclasses.Field[Any]) -> bool:
        return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING

    fields = sorted(_FIELDS.values(), key=lambda f: not required(f))
    lines = ["configuration keys (YAML; * required):"]
    for f in fields:
        lines.append(f"  {f.name}{' *' if required(f) else ''}")
        lines += textwrap.wrap(
            str(f.metadata["help"]), width, initial_indent=" " * 6, subsequent_indent=" " * 6
        )
    return "\n".join(lines)


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
        except cf.Invalid as exc:
            problems.append(f"'{key}' {exc}")
    for key in _REQUIRED:
        if key not in data:
            problems.append(f"missing key '{key}' ({_FIELDS[key].metadata['help']})")
    rules, lists = values.get("service_rules"), values.get("service_lists")
    if rules and isinstance(lists, dict):
        try:
            check_rule_lists(rules, lists, source="'service_rules'")
        except ValueError as exc:
            problems.append(str(exc))
    problems += _totals_level_problems(values)
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    if base_dir is not None:
        base = Path(base_dir)
        for key in values:
            values[key] = resolve_paths(values[key], base)
    if "name" not in values and source != "config":
        values["name"] = Path(source).stem
    return RunConfig(**values)


def _totals_level_problems(values: Mapping[str, Any]) -> list[str]:
    """Official totals need boundaries with their level (one file is level ``unit``)."""
    population = values.get("population")
    totals = population.totals if isinstance(population, PopulationSource) else None
    if totals is None:
        return []
    boundaries = values.get("boundaries")
    if boundaries is None:
        return [
            "'population' totals are given per unit of a boundary level; add boundaries: "
            f"{{{totals.level}: <file>}} with the units the table names"
        ]
    levels = list(boundaries) if isinstance(boundaries, Mapping) else ["unit"]
    if totals.level not in levels:
        return [
            f"'population' totals level {totals.level!r} is not a boundaries level; use one of "
            f"{', '.join(levels)}"
        ]
    return []


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
    data = read_yaml(path, "configuration file")
    if data is None:
        data = {}
    if isinstance(data, dict):
        data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    return config_from_dict(data, base_dir=path.parent, source=str(path))
