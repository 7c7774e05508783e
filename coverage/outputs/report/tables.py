"""The report's tables: which columns, their headers, and their cells as text or HTML."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...inputs.hours import hours_in_chinese
from ..labels import group_label, tier_label
from ..webpage import escape
from .service_tables import group_column, service_tables, window_column
from .subtotals import with_subtotals
from .text import t

if TYPE_CHECKING:
    from ...results import CoverageResult

__all__ = ["cell", "header", "html_table", "is_missing", "is_text", "kind_of", "report_tables"]

# column -> (label key, number format); formats: "int", "share", "min", "text", "bool"
_COLUMNS: dict[str, tuple[str, str]] = {
    "unit": ("unit", "text"),
    "population": ("population", "int"),
    "population_model": ("population_model", "int"),
    "population_official": ("population_official", "int"),
    "official_difference": ("official_difference", "int"),
    "official_change": ("official_change", "share"),
    "population_covered": ("population_covered", "int"),
    "coverage_share": ("covered_share", "share"),
    "unreachable_population": ("unreachable", "int"),
    "mean_minutes": ("mean_minutes", "min"),
    "p90_minutes": ("p90_minutes", "min"),
    "nearest_station": ("nearest_station_id", "text"),
    "nearest_station_name": ("nearest_station", "text"),
    "covered": ("covered", "bool"),
    "id": ("id", "text"),
    "name": ("name", "text"),
    "tier": ("tier", "tier"),
    "catchment_population": ("catchment", "int"),
    "catchment_covered": ("population_covered", "int"),
    "tier_catchment_population": ("tier_catchment", "int"),
    "staff": ("staff_now", "int"),
    "staff_recommended": ("staff", "int"),
    "staff_gap": ("staff_gap", "int"),
    "capacity": ("capacity", "capacity"),
    "duplicate_of": ("duplicate_of", "text"),
    "snap_distance_m": ("snap_distance", "int"),
    "level": ("level", "tier"),
    "year": ("year", "text"),
    "target_share": ("target_share", "share"),
    "units": ("units_n", "int"),
    "units_covered": ("units_covered", "int"),
    "share_units_covered": ("share_units_covered", "share"),
    "units_to_cover": ("units_to_cover", "int"),
    "met": ("met", "bool"),
    "service": ("service", "text"),
    "stations": ("stations_n", "int"),
    "gap_id": ("gap_id", "text"),
    "area_km2": ("area_km2", "km2"),
    "mean_extra_minutes": ("extra_minutes", "min"),
    "max_extra_minutes": ("max_extra_minutes", "min"),
    "window": ("window", "text"),
    "hours": ("hours", "hours"),
    "stations_open": ("stations_open", "int"),
    "service_list": ("service_list", "text"),
    "service_handled": ("service_handled", "int"),
    "service_required": ("service_required", "int"),
    "service_share": ("service_share", "share"),
    "service_missing": ("service_missing", "text"),
    "service_rule_pass": ("service_rule_pass", "bool"),
    "rank": ("rank", "text"),
    "place": ("place", "text"),
    "people": ("people", "int"),
    "max_minutes": ("max_minutes", "min"),
    "unreachable": ("unreachable", "int"),
    "lon": ("lon", "coord"),
    "lat": ("lat", "coord"),
}
_UNIT_COLUMNS = [
    "unit",
    "population",
    "population_model",
    "population_official",
    "population_covered",
    "coverage_share",
    "mean_minutes",
    "p90_minutes",
    "nearest_station_name",
    "covered",
]
_STATION_COLUMNS = [
    "id",
    "name",
    "tier",
    "hours",
    "catchment_population",
    "catchment_covered",
    "tier_catchment_population",
    "staff",
    "staff_recommended",
    "staff_gap",
    "capacity",
    "duplicate_of",
    "service_rule_pass",
]
_TARGET_COLUMNS = [
    "level",
    "year",
    "target_share",
    "units",
    "units_covered",
    "share_units_covered",
    "units_to_cover",
    "met",
]
_SERVICE_COLUMNS = ["service", "stations", "population_covered", "coverage_share", "mean_minutes"]
_GAP_COLUMNS = ["gap_id", "population", "area_km2", "mean_extra_minutes", "max_extra_minutes"]


def is_missing(value: Any) -> bool:
    """True for None, NaN and NA (and False for anything pandas cannot judge)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def cell(value: Any, kind: str, lang: str) -> str:
    """A value formatted for display (plain text)."""
    if is_missing(value):
        return "-"
    if kind == "int":
        return f"{float(value):,.0f}"
    if kind == "share":
        return f"{float(value):.1%}"
    if kind == "min":
        return "-" if not np.isfinite(float(value)) else f"{float(value):.1f}"
    if kind == "km2":
        return f"{float(value):,.2f}"
    if kind == "hours":
        return hours_in_chinese(str(value)) if lang == "zh" else str(value)
    if kind == "coord":
        return f"{float(value):.5f}"
    if kind == "bool":
        return t(lang, "yes" if bool(value) else "no")
    if kind == "tier":
        return tier_label(lang, str(value))
    if kind == "capacity":
        try:
            return t(lang, f"capacity_{value}")
        except KeyError:
            return str(value)
    return str(value)


def is_text(values: pd.Series) -> bool:
    """True for a column of text (object or string dtype)."""
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)


def _columns(
    frame: pd.DataFrame, wanted: Sequence[str], extra_prefixes: Sequence[str] = ()
) -> list[str]:
    cols = [c for c in wanted if c in frame.columns]
    cols += [
        c for c in frame.columns if c not in cols and any(c.startswith(p) for p in extra_prefixes)
    ]
    return cols


def header(column: str, lang: str, headline: float) -> str:
    """The translated header of a column (the column name when it has no label)."""
    window = window_column(column)
    if window is not None:
        return t(lang, f"window_{window[1]}", window=window[0], minutes=headline)
    group = group_column(column)
    if group is not None:
        return t(lang, "window_coverage_share", window=group_label(lang, group), minutes=headline)
    key = _COLUMNS.get(column, (column, "text"))[0]
    try:
        return t(lang, key, minutes=headline)
    except KeyError:
        return tier_label(lang, column)  # a unit level (the gaps' township, village)


def kind_of(column: str, frame: pd.DataFrame) -> str:
    """The display kind of a column: ``int``, ``share``, ``min``, ``km2``, ``bool``, ``tier``
    or ``text``."""
    if column in _COLUMNS:
        return _COLUMNS[column][1]
    window = window_column(column)
    if window is not None:
        return "share" if window[1] == "coverage_share" else "int"
    if group_column(column) is not None:
        return "share"
    return "text" if is_text(frame[column]) else "min"


def html_table(frame: pd.DataFrame, columns: Sequence[str], lang: str, headline: float) -> str:
    """An HTML table of ``columns`` of ``frame`` with translated headers and escaped cells."""
    head = "".join(f"<th>{escape(header(c, lang, headline))}</th>" for c in columns)
    rows = []
    kinds = [kind_of(c, frame) for c in columns]
    subtotal = frame.attrs.get("subtotal_rows") or [False] * len(frame)
    for values, total in zip(
        frame[list(columns)].itertuples(index=False), subtotal, strict=True
    ):  # itertuples keeps each column's type
        cells = []
        for value, kind in zip(values, kinds, strict=True):
            text = escape(cell(value, kind, lang))
            if kind == "bool" and not is_missing(value):
                cls = "yes" if bool(value) else "no"
            else:
                cls = "n" if kind in ("int", "share", "min", "km2", "coord") else ""
            cells.append(f"<td class='{cls}'>{text}</td>" if cls else f"<td>{text}</td>")
        rows.append(("<tr class='subtotal'>" if total else "<tr>") + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def report_tables(result: CoverageResult, *, lang: str = "en") -> dict[str, pd.DataFrame]:
    """The report's tables, by sheet name: units per level, targets, stations, services, gaps.

    A lower level's units (villages) come grouped under their unit of the level above,
    each group closed by a subtotal row (:func:`.subtotals.with_subtotals`).

    Parameters
    ----------
    result : CoverageResult
        The result.
    lang : {"en", "zh"}
        Language of the subtotal rows' labels.

    Returns
    -------
    dict of str to pandas.DataFrame
        Only the tables the result has; columns as in the report.
    """
    tables: dict[str, pd.DataFrame] = {}
    for level, table in result.units.items():
        above = next((c for c in table.columns if c in result.units and c != level), None)
        columns = _columns(table, _UNIT_COLUMNS)
        if above is not None:
            columns.insert(1, above)
        frame = table[columns]
        if above is not None:  # subtotals from every column (mean minutes need unreachable)
            full = with_subtotals(table, above, lambda name: t(lang, "subtotal", name=name))
            frame = full[columns]
            frame.attrs["subtotal_rows"] = full.attrs["subtotal_rows"]
        tables[f"units_{level}" if level != "unit" else "units"] = frame
    targets = getattr(result, "targets", None)
    if isinstance(targets, pd.DataFrame) and not targets.empty:
        tables["targets"] = targets[_columns(targets, _TARGET_COLUMNS)]
    stations = result.stations_table()
    columns = _columns(stations, _STATION_COLUMNS, ("staff",))
    if "duplicate_of" in columns and stations["duplicate_of"].isna().all():
        columns.remove("duplicate_of")  # shown only when some site is listed twice
    tables["stations"] = stations[columns]
    services = getattr(result, "services", None)
    if isinstance(services, pd.DataFrame) and not services.empty:
        tables["services"] = services[_columns(services, _SERVICE_COLUMNS)]
    gaps = getattr(result, "gaps", None)
    if gaps is not None and len(gaps):
        frame = pd.DataFrame(gaps.drop(columns="geometry"))
        extra = [c for c in frame.columns if c not in _GAP_COLUMNS and is_text(frame[c])]
        tables["gaps"] = frame[[*_columns(frame, _GAP_COLUMNS), *extra]]
    tables.update(service_tables(result))
    return tables
