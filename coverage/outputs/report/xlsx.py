"""``units.xlsx``: the report's tables as a typed Excel workbook."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..labels import tier_label
from ..writers import atomic_path
from .tables import cell, header, is_missing, kind_of, report_tables
from .text import t

if TYPE_CHECKING:
    from ...results import CoverageResult

__all__ = ["sheet_title", "write_units_xlsx"]


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "sheet"
    base, i = clean, 1
    while clean.lower() in used:
        i += 1
        clean = f"{base[: 31 - len(str(i)) - 1]}_{i}"
    used.add(clean.lower())
    return clean


#: Chinese sheet names of the report's tables (other keys keep their name).
_SHEETS_ZH = {
    "units": "单元",
    "targets": "目标完成情况",
    "stations": "服务点与人员配置",
    "services": "服务事项",
    "gaps": "服务空白区",
    "windows": "分时段覆盖",
    "windows_by_unit": "分时段单元覆盖",
    "service_rules": "清单未达标服务点",
    "home_service": "上门服务清单",
}


def sheet_title(key: str, lang: str) -> str:
    """The sheet name of a report table: the key in English, a Chinese name for ``zh``.

    Examples
    --------
    >>> sheet_title("units_village", "zh"), sheet_title("stations", "zh")
    ('村（社区）', '服务点与人员配置')
    >>> sheet_title("units_village", "en")
    'units_village'
    """
    if lang != "zh":
        return key
    if key.startswith("units_"):
        return tier_label(lang, key.removeprefix("units_"))
    return _SHEETS_ZH.get(key, key)


def write_units_xlsx(
    result: CoverageResult, path: str | os.PathLike[str], *, lang: str = "en"
) -> Path:
    """Write the report's tables as an Excel workbook for officials, atomically.

    One sheet of headline figures, then one per table of :func:`report_tables`
    (units per level, targets, stations, services, gaps), with translated headers,
    frozen header rows and number formats. Text from the inputs is always stored as
    text, never as a formula.

    Parameters
    ----------
    result : CoverageResult
        The result.
    path : path-like
        The ``.xlsx`` file.
    lang : {"en", "zh"}
        Language of the headers.

    Returns
    -------
    pathlib.Path
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    s = result.summary
    headline = float(s["minutes"])
    wb = Workbook()
    ws = wb.active
    used: set[str] = set()
    ws.title = _sheet_name(t(lang, "summary_sheet"), used)
    ws.append([t(lang, "figure"), t(lang, "value")])
    summary_rows: list[tuple[str, Any, str | None]] = [
        (t(lang, "residents"), s["population_total"], "#,##0"),
        (t(lang, "covered_pop", minutes=headline), s["population_covered"], "#,##0"),
        (t(lang, "covered_share", minutes=headline), s["coverage_share"], "0.0%"),
        (t(lang, "mean_minutes"), s.get("mean_minutes"), "0.0"),
        (t(lang, "unreachable"), s["unreachable_population"], "#,##0"),
        (t(lang, "stations_count"), s["stations"], "0"),
    ]
    for i, (name, value, fmt) in enumerate(summary_rows, start=2):
        ws.append([name, value])
        if fmt:
            ws.cell(row=i, column=2).number_format = fmt
    _style_sheet(ws, Font)
    formats = {"int": "#,##0", "share": "0.0%", "min": "0.0", "km2": "#,##0.00", "coord": "0.00000"}
    for key, table in report_tables(result, lang=lang).items():
        ws = wb.create_sheet(_sheet_name(sheet_title(key, lang), used))
        columns = list(table.columns)
        ws.append([header(c, lang, headline) for c in columns])
        kinds = [kind_of(c, table) for c in columns]
        subtotal = table.attrs.get("subtotal_rows") or [False] * len(table)
        # rows are counted here: ``ws.max_row`` scans every cell, quadratic over a sheet
        for i, values in enumerate(table.itertuples(index=False), start=2):
            row: list[Any] = []
            for value, kind in zip(values, kinds, strict=True):
                if is_missing(value):
                    row.append(None)
                elif kind in formats:
                    number = float(value)
                    row.append(number if np.isfinite(number) else None)
                elif kind in ("bool", "tier", "capacity", "hours"):
                    row.append(cell(value, kind, lang))
                else:
                    row.append(str(value))
            ws.append(row)
            for j, kind in enumerate(kinds, start=1):
                target = ws.cell(row=i, column=j)
                if subtotal[i - 2]:
                    target.font = Font(bold=True)
                if kind in formats:
                    target.number_format = formats[kind]
                elif target.value is not None:
                    target.data_type = "s"  # "=..." from an input stays text, not a formula
        _style_sheet(ws, Font)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


def _style_sheet(ws: Any, font: Any) -> None:
    for first in ws[1]:
        first.font = font(bold=True)
    ws.freeze_panes = "A2"
    for column in ws.columns:
        width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 50)
