"""The report for officials: ``report.html`` (self-contained, printable) and ``units.xlsx``.

The report gives the headline figures, the policy targets, the unit tables, the
station table with staffing, the gap list, the maps (embedded PNG) and the model's
assumptions (speeds, access legs, data sources and their dates), in Chinese or
English. It needs nothing from the network: styles are inline, images are data URLs.

Tables show the columns a result has: those the metrics add (verdicts, targets,
staffing, services, gaps) appear when present.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import __version__
from .labels import label, tier_label
from .maps import credits_text, escape
from .writers import atomic_path

if TYPE_CHECKING:
    from ..results import CoverageResult

__all__ = ["report_html", "report_tables", "write_report", "write_units_xlsx"]

# column -> (label key, number format); formats: "int", "share", "min", "text", "bool"
_COLUMNS: dict[str, tuple[str, str]] = {
    "unit": ("unit", "text"),
    "population": ("population", "int"),
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
    "capacity": ("capacity", "text"),
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
}
_UNIT_COLUMNS = [
    "unit",
    "population",
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
    "catchment_population",
    "catchment_covered",
    "tier_catchment_population",
    "staff",
    "staff_recommended",
    "staff_gap",
    "capacity",
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

_CSS = """
body{font:14px/1.45 "Noto Sans CJK SC","Microsoft YaHei","PingFang SC",system-ui,sans-serif;
color:#222;max-width:1000px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin-bottom:2px}h2{font-size:17px;border-bottom:2px solid #08519c;
padding-bottom:2px;margin-top:28px}h3{font-size:15px}
.meta{color:#666;font-size:12px}
.figures{display:flex;flex-wrap:wrap;gap:10px}
.figure{border:1px solid #ddd;border-radius:4px;padding:8px 12px;min-width:150px}
.figure b{display:block;font-size:20px;color:#08519c}
table{border-collapse:collapse;margin:8px 0;font-size:12px;width:100%}
th,td{border:1px solid #ccc;padding:3px 6px}th{background:#f0f4f8;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.yes{color:#1a7f37;font-weight:bold}.no{color:#b42318;font-weight:bold}
img{max-width:100%;border:1px solid #ddd}
.note{color:#555;font-size:12px}
@media print{body{margin:0;max-width:none}h2{break-before:page}
h2.first{break-before:avoid}table{break-inside:auto}tr{break-inside:avoid}
img{max-height:24cm}}
@page{size:A4;margin:15mm}
"""

_EXTRA_EN = {
    "report": "Coverage report",
    "generated": "Generated {date} by coverage15 {version}",
    "headline": "Headline figures",
    "residents": "Residents",
    "covered_pop": "Residents within {minutes:g} min",
    "unreachable": "Unreachable residents",
    "stations_count": "Stations",
    "by_minutes": "Share within each threshold",
    "units_covered_line": "{level}: {covered} of {populated} populated units covered ({share})",
    "unit_rule": "A unit counts as covered when at least {share:.0%} of its residents are "
    "within {minutes:g} minutes of a station.",
    "targets": "Targets",
    "no_targets": "No targets were set in the configuration.",
    "unit_tables": "Units",
    "station_table": "Stations and staffing",
    "services": "Service items",
    "gap_list": "Gap areas",
    "gap_total": "{n} gap areas with {population} residents beyond {minutes:g} minutes.",
    "gap_more": "The {n} largest are listed; all are in gaps.geojson.",
    "maps": "Maps",
    "assumptions": "Assumptions and data",
    "threshold": "Threshold",
    "mode": "Travel mode",
    "access": "Access legs",
    "access_text": "Residents (cell centres) and stations walk in a straight line at "
    "{speed:g} km/h to the road network, up to {max_m:,.0f} m; farther is unreachable.",
    "speeds": "Speeds on the network (km/h, by road class, as used)",
    "sources": "Data sources",
    "file": "File",
    "modified": "Modified",
    "road_class": "Road class",
    "speed": "km/h",
    "edges": "Edges",
    "nearest_station_id": "Nearest station ID",
    "tier_catchment": "Catchment within tier",
    "staff_now": "Current staff",
    "staff_gap": "Staff to add",
    "capacity": "Capacity",
    "snap_distance": "Distance to road (m)",
    "target_share": "Target share",
    "units_n": "Units",
    "units_covered": "Units covered",
    "share_units_covered": "Share covered",
    "units_to_cover": "Units still to cover",
    "met": "Met",
    "service": "Service",
    "stations_n": "Stations",
    "gap_id": "Gap",
    "area_km2": "Area (km²)",
    "max_extra_minutes": "Max extra minutes",
    "nearest_station_name": "Nearest station",
    "year": "Year",
    "summary_sheet": "Summary",
    "figure": "Figure",
    "value": "Value",
}
_EXTRA_ZH = {
    "report": "服务圈覆盖评估报告",
    "generated": "生成时间 {date}，coverage15 {version}",
    "headline": "主要指标",
    "residents": "常住人口",
    "covered_pop": "{minutes:g}分钟内可达人口",
    "unreachable": "无法到达人口",
    "stations_count": "服务点数量",
    "by_minutes": "各时间阈值覆盖率",
    "units_covered_line": "{level}：{populated}个有人口单元中{covered}个达标（{share}）",
    "unit_rule": "单元内至少{share:.0%}的常住人口可在{minutes:g}分钟内到达服务点，"
    "即视为该单元已覆盖。",
    "targets": "目标完成情况",
    "no_targets": "配置中未设定目标。",
    "unit_tables": "行政单元",
    "station_table": "服务点与人员配置",
    "services": "服务事项",
    "gap_list": "服务空白区",
    "gap_total": "共{n}个空白区，{population}名居民超出{minutes:g}分钟。",
    "gap_more": "下表列出人口最多的{n}个，全部见 gaps.geojson。",
    "maps": "地图",
    "assumptions": "模型假设与数据",
    "threshold": "时间阈值",
    "mode": "出行方式",
    "access": "接驳步行",
    "access_text": "居民（栅格中心）与服务点以{speed:g}公里/小时直线步行接入路网，"
    "最远{max_m:,.0f}米；更远视为无法到达。",
    "speeds": "路网速度（公里/小时，按道路等级）",
    "sources": "数据来源",
    "file": "文件",
    "modified": "修改日期",
    "road_class": "道路等级",
    "speed": "公里/小时",
    "edges": "路段数",
    "nearest_station_id": "最近服务点编号",
    "tier_catchment": "同层级服务人口",
    "staff_now": "现有人员",
    "staff_gap": "需增加人员",
    "capacity": "负荷",
    "snap_distance": "距道路（米）",
    "target_share": "目标覆盖率",
    "units_n": "单元数",
    "units_covered": "已覆盖单元",
    "share_units_covered": "单元覆盖率",
    "units_to_cover": "尚需覆盖单元",
    "met": "是否达标",
    "service": "服务事项",
    "stations_n": "服务点数",
    "gap_id": "空白区",
    "area_km2": "面积（平方公里）",
    "max_extra_minutes": "最多超出分钟数",
    "nearest_station_name": "最近服务点",
    "year": "年份",
    "summary_sheet": "汇总",
    "figure": "指标",
    "value": "数值",
}


def _t(lang: str, key: str, **values: Any) -> str:
    """A report label: from this module's table, else from :mod:`.labels`."""
    table = _EXTRA_ZH if lang == "zh" else _EXTRA_EN
    if key in table:
        return table[key].format(**values)
    return label(lang, key, **values)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _cell(value: Any, kind: str, lang: str) -> str:
    """A value formatted for display (plain text)."""
    if _missing(value):
        return "-"
    if kind == "int":
        return f"{float(value):,.0f}"
    if kind == "share":
        return f"{float(value):.1%}"
    if kind == "min":
        return "-" if not np.isfinite(float(value)) else f"{float(value):.1f}"
    if kind == "km2":
        return f"{float(value):,.2f}"
    if kind == "bool":
        return _t(lang, "yes" if bool(value) else "no")
    if kind == "tier":
        return tier_label(lang, str(value))
    return str(value)


def _columns(frame: pd.DataFrame, wanted: Sequence[str], extra_prefixes: Sequence[str] = ()):
    cols = [c for c in wanted if c in frame.columns]
    cols += [
        c for c in frame.columns if c not in cols and any(c.startswith(p) for p in extra_prefixes)
    ]
    return cols


def _header(column: str, lang: str, headline: float) -> str:
    key = _COLUMNS.get(column, (column, "text"))[0]
    try:
        return _t(lang, key, minutes=headline)
    except KeyError:
        return column


def _kind(column: str, frame: pd.DataFrame) -> str:
    if column in _COLUMNS:
        return _COLUMNS[column][1]
    return "text" if frame[column].dtype == object else "min"


def _html_table(frame: pd.DataFrame, columns: Sequence[str], lang: str, headline: float) -> str:
    head = "".join(f"<th>{escape(_header(c, lang, headline))}</th>" for c in columns)
    rows = []
    kinds = [_kind(c, frame) for c in columns]
    for values in frame[list(columns)].itertuples(index=False):  # keeps each column's type
        cells = []
        for value, kind in zip(values, kinds, strict=True):
            text = escape(_cell(value, kind, lang))
            if kind == "bool" and not _missing(value):
                cls = "yes" if bool(value) else "no"
            else:
                cls = "n" if kind in ("int", "share", "min", "km2") else ""
            cells.append(f"<td class='{cls}'>{text}</td>" if cls else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _speeds(result: CoverageResult) -> pd.DataFrame:
    """Median speed per road class, from the network's lengths and times."""
    net = result.network
    with np.errstate(divide="ignore", invalid="ignore"):
        kmh = net.edge_length_m / net.edge_seconds * 3.6
    frame = pd.DataFrame({"road_class": net.edge_highway.astype(str), "kmh": kmh})
    frame = frame[np.isfinite(frame["kmh"])]
    out = frame.groupby("road_class")["kmh"].agg(["median", "size"]).reset_index()
    return out.sort_values("size", ascending=False)


def _sources(result: CoverageResult) -> list[tuple[str, str, str]]:
    """(kind, file name, modification date) of each input file named in the summary."""
    inputs = result.summary.get("inputs") or {}
    rows = []
    for kind, path in inputs.items():
        if not path:
            continue
        p = Path(str(path))
        try:
            mtime = dt.datetime.fromtimestamp(p.stat().st_mtime, tz=dt.timezone.utc)
            date = mtime.strftime("%Y-%m-%d")
        except OSError:
            date = "-"
        rows.append((str(kind), p.name, date))
    if not rows:
        rows.append(("network", Path(result.network.source).name or "-", "-"))
    return rows


def report_tables(result: CoverageResult) -> dict[str, pd.DataFrame]:
    """The report's tables, by sheet name: units per level, targets, stations, services, gaps.

    Returns
    -------
    dict of str to pandas.DataFrame
        Only the tables the result has; columns as in the report.
    """
    tables: dict[str, pd.DataFrame] = {}
    for level, table in result.units.items():
        tables[f"units_{level}" if level != "unit" else "units"] = table[
            _columns(table, _UNIT_COLUMNS)
        ]
    targets = getattr(result, "targets", None)
    if isinstance(targets, pd.DataFrame) and not targets.empty:
        tables["targets"] = targets[_columns(targets, _TARGET_COLUMNS)]
    stations = result.stations_table()
    tables["stations"] = stations[_columns(stations, _STATION_COLUMNS, ("staff",))]
    services = getattr(result, "services", None)
    if isinstance(services, pd.DataFrame) and not services.empty:
        tables["services"] = services[_columns(services, _SERVICE_COLUMNS)]
    gaps = getattr(result, "gaps", None)
    if gaps is not None and len(gaps):
        frame = pd.DataFrame(gaps.drop(columns="geometry"))
        extra = [c for c in frame.columns if c not in _GAP_COLUMNS and frame[c].dtype == object]
        tables["gaps"] = frame[[*_columns(frame, _GAP_COLUMNS), *extra]]
    return tables


def _headline(result: CoverageResult, lang: str) -> str:
    s = result.summary
    minutes = float(s["minutes"])
    figures = [
        (_t(lang, "residents"), f"{s['population_total']:,.0f}"),
        (
            _t(lang, "covered_pop", minutes=minutes),
            f"{s['population_covered']:,.0f} ({s['coverage_share']:.1%})",
        ),
        (
            _t(lang, "mean_minutes"),
            "-" if s.get("mean_minutes") is None else f"{s['mean_minutes']:.1f}",
        ),
        (_t(lang, "unreachable"), f"{s['unreachable_population']:,.0f}"),
        (_t(lang, "stations_count"), f"{s['stations']}"),
    ]
    gaps = s.get("gaps")
    if isinstance(gaps, Mapping):
        figures.append((_t(lang, "gaps"), f"{gaps['areas']} · {gaps['population']:,.0f}"))
    boxes = "".join(
        f"<div class='figure'>{escape(name)}<b>{escape(value)}</b></div>" for name, value in figures
    )
    by = s.get("coverage_by_minutes") or {}
    shares = " · ".join(
        f"{escape(_t(lang, 'within', minutes=float(k)))}: {float(v):.1%}" for k, v in by.items()
    )
    parts = [
        f"<div class='figures'>{boxes}</div>",
        f"<p>{escape(_t(lang, 'by_minutes'))}: {shares}</p>",
    ]
    levels = s.get("units_by_level") or {}
    for level, info in levels.items():
        share = info.get("share_units_covered")
        parts.append(
            "<p>"
            + escape(
                _t(
                    lang,
                    "units_covered_line",
                    level=tier_label(lang, level),
                    covered=info.get("units_covered", "-"),
                    populated=info.get("units_populated", "-"),
                    share="-" if share is None else f"{share:.1%}",
                )
            )
            + "</p>"
        )
    if levels:
        rule = next(iter(levels.values())).get("unit_covered_share")
        if rule is not None:
            parts.append(
                f"<p class='note'>{escape(_t(lang, 'unit_rule', share=rule, minutes=minutes))}</p>"
            )
    return "".join(parts)


def _assumptions(result: CoverageResult, lang: str) -> str:
    s = result.summary
    minutes = float(s["minutes"])
    rows = [
        (_t(lang, "threshold"), f"{minutes:g} min"),
        (_t(lang, "mode"), str(s.get("mode", result.network.mode))),
        (
            _t(lang, "access"),
            _t(
                lang,
                "access_text",
                speed=float(s.get("access_speed_kmh", 5.0)),
                max_m=float(s.get("max_access_m", 5000.0)),
            ),
        ),
    ]
    info = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    speeds = _speeds(result)
    speed_rows = "".join(
        f"<tr><td>{escape(r.road_class)}</td><td class='n'>{r.median:.1f}</td>"
        f"<td class='n'>{r.size:,}</td></tr>"
        for r in speeds.itertuples()
    )
    source_rows = "".join(
        f"<tr><td>{escape(kind)}</td><td>{escape(name)}</td><td>{escape(date)}</td></tr>"
        for kind, name, date in _sources(result)
    )
    return (
        f"<table>{info}</table>"
        f"<h3>{escape(_t(lang, 'speeds'))}</h3><table><thead><tr>"
        f"<th>{escape(_t(lang, 'road_class'))}</th><th>{escape(_t(lang, 'speed'))}</th>"
        f"<th>{escape(_t(lang, 'edges'))}</th></tr></thead><tbody>{speed_rows}</tbody></table>"
        f"<h3>{escape(_t(lang, 'sources'))}</h3><table><thead><tr><th></th>"
        f"<th>{escape(_t(lang, 'file'))}</th><th>{escape(_t(lang, 'modified'))}</th></tr>"
        f"</thead><tbody>{source_rows}</tbody></table>"
        f"<p class='note'>{escape(credits_text(result, lang))}</p>"
    )


def report_html(
    result: CoverageResult,
    *,
    lang: str = "en",
    images: Mapping[str, bytes] | None = None,
    max_gaps: int = 30,
) -> str:
    """The report as one self-contained HTML page (inline styles, data-URL images).

    Parameters
    ----------
    result : CoverageResult
        The result to report.
    lang : {"en", "zh"}
        Language.
    images : mapping of str to bytes, optional
        Caption -> PNG bytes of the maps to embed (e.g. from :mod:`.static`).
    max_gaps : int
        Most gap areas listed (the largest by population).

    Returns
    -------
    str
    """
    s = result.summary
    headline = float(s["minutes"])
    tables = report_tables(result)
    title = label(lang, "title", minutes=headline, name=result.name)
    now = dt.datetime.now(tz=dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        f"<h1>{escape(_t(lang, 'report'))}: {escape(title)}</h1>",
        f"<p class='meta'>{escape(_t(lang, 'generated', date=now, version=__version__))}</p>",
        f"<h2 class='first'>{escape(_t(lang, 'headline'))}</h2>",
        _headline(result, lang),
        f"<h2>{escape(_t(lang, 'targets'))}</h2>",
    ]
    if "targets" in tables:
        t = tables["targets"]
        body.append(_html_table(t, list(t.columns), lang, headline))
    else:
        body.append(f"<p class='note'>{escape(_t(lang, 'no_targets'))}</p>")
    unit_keys = [k for k in tables if k.startswith("units")]
    if unit_keys:
        body.append(f"<h2>{escape(_t(lang, 'unit_tables'))}</h2>")
        for key, level in zip(unit_keys, result.units, strict=True):
            t = tables[key]
            body.append(f"<h3>{escape(tier_label(lang, level))}</h3>")
            body.append(_html_table(t, list(t.columns), lang, headline))
    t = tables["stations"]
    body.append(f"<h2>{escape(_t(lang, 'station_table'))}</h2>")
    body.append(_html_table(t, list(t.columns), lang, headline))
    if "services" in tables:
        t = tables["services"]
        body.append(f"<h2>{escape(_t(lang, 'services'))}</h2>")
        body.append(_html_table(t, list(t.columns), lang, headline))
    if "gaps" in tables:
        t = tables["gaps"].sort_values("population", ascending=False, kind="stable")
        body.append(f"<h2>{escape(_t(lang, 'gap_list'))}</h2>")
        body.append(
            "<p>"
            + escape(
                _t(
                    lang,
                    "gap_total",
                    n=len(t),
                    population=f"{t['population'].sum():,.0f}",
                    minutes=headline,
                )
            )
            + (" " + escape(_t(lang, "gap_more", n=max_gaps)) if len(t) > max_gaps else "")
            + "</p>"
        )
        body.append(_html_table(t.head(max_gaps), list(t.columns), lang, headline))
    if images:
        body.append(f"<h2>{escape(_t(lang, 'maps'))}</h2>")
        for caption, png in images.items():
            data = base64.b64encode(png).decode("ascii")
            body.append(
                f"<figure><img alt='{escape(caption)}' src='data:image/png;base64,{data}'>"
                f"<figcaption class='note'>{escape(caption)}</figcaption></figure>"
            )
    body.append(f"<h2>{escape(_t(lang, 'assumptions'))}</h2>")
    body.append(_assumptions(result, lang))
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f"<!DOCTYPE html><html lang='{html_lang}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def write_report(
    result: CoverageResult,
    path: str | os.PathLike[str],
    *,
    lang: str = "en",
    images: Mapping[str, bytes] | None = None,
) -> Path:
    """Write :func:`report_html` to ``path``, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(report_html(result, lang=lang, images=images), encoding="utf-8")
    return Path(path)


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "sheet"
    base, i = clean, 1
    while clean.lower() in used:
        i += 1
        clean = f"{base[: 31 - len(str(i)) - 1]}_{i}"
    used.add(clean.lower())
    return clean


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
    ws.title = _sheet_name(_t(lang, "summary_sheet"), used)
    ws.append([_t(lang, "figure"), _t(lang, "value")])
    summary_rows: list[tuple[str, Any, str | None]] = [
        (_t(lang, "residents"), s["population_total"], "#,##0"),
        (_t(lang, "covered_pop", minutes=headline), s["population_covered"], "#,##0"),
        (_t(lang, "covered_share", minutes=headline), s["coverage_share"], "0.0%"),
        (_t(lang, "mean_minutes"), s.get("mean_minutes"), "0.0"),
        (_t(lang, "unreachable"), s["unreachable_population"], "#,##0"),
        (_t(lang, "stations_count"), s["stations"], "0"),
    ]
    for name, value, fmt in summary_rows:
        ws.append([name, value])
        if fmt:
            ws.cell(row=ws.max_row, column=2).number_format = fmt
    _style_sheet(ws, Font)
    formats = {"int": "#,##0", "share": "0.0%", "min": "0.0", "km2": "#,##0.00"}
    for key, table in report_tables(result).items():
        ws = wb.create_sheet(_sheet_name(key, used))
        columns = list(table.columns)
        ws.append([_header(c, lang, headline) for c in columns])
        kinds = [_kind(c, table) for c in columns]
        for values in table.itertuples(index=False):
            row: list[Any] = []
            for value, kind in zip(values, kinds, strict=True):
                if _missing(value):
                    row.append(None)
                elif kind in formats:
                    number = float(value)
                    row.append(number if np.isfinite(number) else None)
                elif kind in ("bool", "tier"):
                    row.append(_cell(value, kind, lang))
                else:
                    row.append(str(value))
            ws.append(row)
            for j, kind in enumerate(kinds, start=1):
                cell = ws.cell(row=ws.max_row, column=j)
                if kind in formats:
                    cell.number_format = formats[kind]
                elif cell.value is not None:
                    cell.data_type = "s"  # "=..." from an input stays text, not a formula
        _style_sheet(ws, Font)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


def _style_sheet(ws: Any, font: Any) -> None:
    for cell in ws[1]:
        cell.font = font(bold=True)
    ws.freeze_panes = "A2"
    for column in ws.columns:
        width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 50)
