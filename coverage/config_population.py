"""The ``population:`` mapping of a run configuration: a raster, a table of points or buildings.

Examples
--------
>>> from coverage.config_population import parse_population
>>> parse_population({"points": "villages.xlsx", "crs": "GCJ-02"}).kind
'points'
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import config_fields as cf

__all__ = [
    "POINT_COLUMN_KEYS",
    "POPULATION_KEYS",
    "TOTALS_KEYS",
    "OfficialTotalsSource",
    "PopulationSource",
    "parse_population",
]

#: Standard columns of a population table (see :data:`coverage.inputs.population.POINT_COLUMNS`).
POINT_COLUMN_KEYS = ("name", "lon", "lat", "population")


@dataclass(frozen=True)
class OfficialTotalsSource:
    """Official population per unit (e.g. census 常住人口 by township) to scale the model to.

    Written as ``totals: {file: 七普.xlsx, level: township, column: 常住人口,
    unit_column: 乡镇}`` inside ``population``. The people of each unit of ``level``
    are rescaled so that they sum to the table's figure for that unit.
    """

    file: Path
    level: str
    column: str
    unit_column: str | None = None
    sheet: str | int | None = None
    encoding: str | None = None


#: Keys of the ``totals`` mapping.
TOTALS_KEYS = ("file", "level", "column", "unit_column", "sheet", "encoding")


def _totals(value: Any) -> OfficialTotalsSource | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise cf.Invalid(
            "must be a mapping such as {file: 七普.xlsx, level: township, column: 常住人口, "
            f"unit_column: 乡镇}}, got {value!r}"
        )
    unknown = [k for k in value if k not in TOTALS_KEYS]
    if unknown:
        guess = difflib.get_close_matches(str(unknown[0]), TOTALS_KEYS, n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        raise cf.Invalid(f"has an unknown key {unknown[0]!r}{hint}; use {', '.join(TOTALS_KEYS)}")
    missing = [k for k in ("file", "level", "column") if value.get(k) is None]
    if missing:
        raise cf.Invalid(
            f"needs {', '.join(missing)}: e.g. {{file: 七普.xlsx, level: township, "
            "column: 常住人口, unit_column: 乡镇}"
        )
    return OfficialTotalsSource(
        file=cf.path(value["file"]),
        level=cf.level_name(value["level"]),
        column=cf.nonempty_text(value["column"]),
        unit_column=cf.opt_text(value.get("unit_column")),
        sheet=cf.opt_sheet(value.get("sheet")),
        encoding=cf.opt_encoding(value.get("encoding")),
    )


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
    band: int | None = None
    totals: OfficialTotalsSource | None = None

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


POPULATION_KEYS = (
    "raster", "points", "from_buildings", "total", "cell_size_m", "floor_area_per_person_m2",
    "crs", "columns", "encoding", "sheet", "groups", "band", "totals",
)  # fmt: skip


def parse_population(value: Any) -> Path | PopulationSource:
    if isinstance(value, PopulationSource):
        return value
    if not isinstance(value, Mapping):
        return cf.path(value)
    unknown = [k for k in value if k not in POPULATION_KEYS]
    if unknown:
        guess = difflib.get_close_matches(str(unknown[0]), POPULATION_KEYS, n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        raise cf.Invalid(
            f"has an unknown key {unknown[0]!r}{hint}; use {', '.join(POPULATION_KEYS)}"
        )
    from_buildings = value.get("from_buildings", False)
    if not isinstance(from_buildings, bool):
        raise cf.Invalid(f"from_buildings must be true or false, got {from_buildings!r}")
    given = [k for k in ("raster", "points") if value.get(k) is not None]
    if from_buildings:
        given.append("from_buildings")
    if len(given) != 1:
        raise cf.Invalid(
            "must name exactly one source: raster: <file>, points: <table> or "
            f"from_buildings: true (got {', '.join(given) or 'none'})"
        )
    kind = given[0]
    if "total" in value and kind != "from_buildings":
        raise cf.Invalid("total applies only with from_buildings: true")
    if value.get("totals") is not None and kind == "from_buildings":
        raise cf.Invalid(
            "totals scale a raster or a table of points; with from_buildings use total"
        )
    band = value.get("band")
    if band is not None and kind != "raster":
        raise cf.Invalid("band applies only to a population raster")
    if band is not None and (isinstance(band, bool) or not isinstance(band, int) or band < 1):
        raise cf.Invalid(f"band must be a band number from 1 (the first band), got {band!r}")
    raw_groups = value.get("groups") or {}
    if not isinstance(raw_groups, Mapping):
        raise cf.Invalid("groups must be a mapping of group names to rasters or columns")
    if raw_groups and kind == "from_buildings":
        raise cf.Invalid("groups need a population raster or table, not from_buildings")
    groups: dict[str, Path | str] = {}
    for name, src in raw_groups.items():
        group = cf.level_name(name)
        if kind == "raster":
            groups[group] = cf.path(src)
        else:
            groups[group] = src if isinstance(src, Path) else cf.nonempty_text(src)

    def part(key: str, parse: Callable[[Any], Any], default: Any = None) -> Any:
        try:
            return parse(value.get(key, default))
        except cf.Invalid as exc:
            raise cf.Invalid(f"(mapping) {key} {exc}") from None

    return PopulationSource(
        raster=part("raster", cf.opt_path),
        points=part("points", cf.opt_path),
        from_buildings=from_buildings,
        total=part("total", cf.optional(cf.bounded(0, 1e10))),
        cell_size_m=part("cell_size_m", cf.cell_m, 100.0),
        floor_area_per_person_m2=part(
            "floor_area_per_person_m2", cf.bounded(0, 1000, unit=" m²"), 40.0
        ),
        crs=part("crs", cf.crs, "EPSG:4326"),
        columns=part("columns", cf.optional(lambda v: cf.columns(v, POINT_COLUMN_KEYS))),
        encoding=part("encoding", cf.opt_encoding),
        sheet=part("sheet", cf.opt_sheet),
        groups=groups,
        band=band,
        totals=part("totals", _totals),
    )
