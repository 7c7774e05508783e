"""The roll-up of a batch: ``index.html`` and ``batch_summary.csv``."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..metrics.left_out import LEFT_OUT, WARN_SHARE
from .region import RegionOutcome, utc_now
from .spec import Batch

__all__ = ["INDEX_NAME", "SUMMARY_NAME", "write_rollup"]

#: The roll-up page and table written into the batch output folder.
INDEX_NAME = "index.html"
SUMMARY_NAME = "batch_summary.csv"

# --------------------------------------------------------------------------- roll-up

_COLUMNS = (
    "region",
    "status",
    "population",
    "population_covered",
    "coverage_share",
    "minutes",
    "targets",
    "targets_met",
    "population_outside_study_area",
    "population_outside_study_area_share",
    "population_beyond_network_reach",
    "population_beyond_network_reach_share",
    "population_beyond_network_reach_by_water",
    "duration_s",
    "cpu_s",
    "outputs_from",
    "folder",
    "message",
)


_TEXT = {
    "en": {
        "title": "coverage15 batch: {name}",
        "counts": "{n} regions: {ok} run, {skipped} unchanged (skipped), {failed} failed. "
        "Written {time} by coverage15 {version}.",
        "region": "Region",
        "status": "Status",
        "residents": "Residents",
        "covered": "Share within the threshold",
        "units": "Units covered (per level)",
        "targets": "Targets met",
        "left_out": "Outside study area · beyond roads",
        "seconds": "Seconds",
        "outputs": "Outputs",
        "message": "Message",
        "map": "map",
        "report": "report",
        "summary": "summary",
        "earlier": "(earlier outputs)",
        "ok": "ok",
        "skipped": "skipped",
        "failed": "failed",
        "minutes": "{minutes:g} min",
    },
    "zh": {
        "title": "coverage15 批量评估：{name}",
        "counts": "共{n}个地区：{ok}个已计算，{skipped}个未变化（跳过），{failed}个失败。"
        "生成时间 {time}，coverage15 {version}。",
        "region": "地区",
        "status": "状态",
        "residents": "常住人口",
        "covered": "阈值内覆盖率",
        "units": "已覆盖单元（按层级）",
        "targets": "已达成目标",
        "left_out": "研究区外 · 距道路过远",
        "seconds": "用时（秒）",
        "outputs": "结果",
        "message": "说明",
        "map": "地图",
        "report": "报告",
        "summary": "汇总",
        "earlier": "（此前的结果）",
        "ok": "完成",
        "skipped": "跳过",
        "failed": "失败",
        "minutes": "{minutes:g}分钟",
    },
}


def _level_columns(level: str) -> tuple[str, str]:
    """The CSV columns of a unit level: ``units``/``units_covered`` for the single level
    ``unit`` (as ``units.csv``), else ``units_<level>``/``units_covered_<level>``."""
    if level == "unit":
        return "units", "units_covered"
    return f"units_{level}", f"units_covered_{level}"


def _levels(outcomes: Sequence[RegionOutcome]) -> list[str]:
    """Every unit level of the regions, in the order first met."""
    seen: dict[str, None] = {}
    for o in outcomes:
        for level in (o.figures or {}).get("units_by_level") or {}:
            seen.setdefault(str(level), None)
    return list(seen)


def _columns(levels: Sequence[str]) -> list[str]:
    """The summary table's columns: the fixed ones with two per unit level after ``minutes``."""
    at = _COLUMNS.index("minutes") + 1
    per_level = [c for level in levels for c in _level_columns(level)]
    return [*_COLUMNS[:at], *per_level, *_COLUMNS[at:]]


def _rows(batch: Batch, outcomes: Sequence[RegionOutcome]) -> list[dict[str, Any]]:
    levels = _levels(outcomes)
    rows = []
    for o in outcomes:
        figures = dict(o.figures)
        by_level = figures.get("units_by_level") or {}
        units: dict[str, Any] = {}
        for level in levels:
            total, covered = _level_columns(level)
            info = by_level.get(level) or {}
            units[total], units[covered] = info.get("units"), info.get("units_covered")
        rows.append(
            {
                "region": o.name,
                "status": o.status,
                **{k: figures.get(k) for k in _COLUMNS[2 : _COLUMNS.index("duration_s")]},
                **units,
                "units_by_level": by_level,
                "duration_s": round(o.duration_s, 3),
                "cpu_s": round(o.cpu_s, 3),
                "outputs_from": o.finished,
                "folder": o.folder.relative_to(batch.out).as_posix()
                if o.folder.is_relative_to(batch.out)
                else str(o.folder),
                "message": o.message,
            }
        )
    return rows


def _cell(value: Any, kind: str = "") -> str:
    if value is None or value == "":
        return "–"
    if kind == "share":
        return f"{float(value):.1%}"
    if kind == "int":
        return f"{float(value):,.0f}"
    return html.escape(str(value))


def _credits(batch: Batch, lang: str) -> str:
    """Every data credit of the batch's regions: OSM, and WorldPop, other population
    files and SRTM where a region uses them."""
    from ..outputs.labels import label

    parts = [label(lang, "roads_credit")]
    others: list[str] = []
    for region in batch.regions:
        source = region.config.population
        path = getattr(source, "raster", None) or getattr(source, "points", None) or source
        population = str(path or "")
        dem = str(region.config.dem or "")
        if re.search(r"worldpop|_ppp_|_pd_", population, flags=re.IGNORECASE):
            credit = label(lang, "worldpop_credit")
        elif population:
            credit = label(lang, "population_credit", source=Path(population).name)
        else:
            continue
        if credit not in parts and credit not in others:
            others.append(credit)
        if (
            re.search(r"srtm", dem, flags=re.IGNORECASE)
            and label(lang, "srtm_credit") not in others
        ):
            others.append(label(lang, "srtm_credit"))
    return " | ".join(parts + others)


def _units_cell(row: Mapping[str, Any], lang: str) -> str:
    from ..outputs.labels import tier_label

    lines = [
        f"{html.escape(tier_label(lang, level))}: {info.get('units_covered', '–')} / "
        f"{info.get('units', '–')}"
        for level, info in (row.get("units_by_level") or {}).items()
    ]
    return "<br>".join(lines) or "–"


def _index_html(batch: Batch, rows: Sequence[Mapping[str, Any]]) -> str:
    lang = batch.regions[0].config.lang if batch.regions else "en"
    text = _TEXT.get(lang, _TEXT["en"])
    body = []
    for row in rows:
        folder = batch.out / row["folder"]
        href = quote(str(row["folder"]))
        links = []
        if (folder / "map.html").is_file():
            links.append(f'<a href="{html.escape(href)}/map.html">{text["map"]}</a>')
        report = "report.html" if (folder / "report.html").is_file() else "summary.json"
        if (folder / report).is_file():
            name = text["report"] if report == "report.html" else text["summary"]
            links.append(f'<a href="{html.escape(href)}/{report}">{name}</a>')
        if row["status"] == "failed" and links:
            links.append(text["earlier"])
        targets = f"{row['targets_met']} / {row['targets']}" if row["targets"] is not None else "–"
        left = " · ".join(
            f"{_cell(row[key], 'int')} ({_cell(row[key + '_share'], 'share')})"
            if row[key] is not None
            else "–"
            for key in LEFT_OUT
        )
        loud = any((row[key + "_share"] or 0.0) > WARN_SHARE for key in LEFT_OUT)
        share = _cell(row["coverage_share"], "share")
        if row["minutes"] is not None and row["coverage_share"] is not None:
            share += " · " + text["minutes"].format(minutes=float(row["minutes"]))
        status = text.get(str(row["status"]), str(row["status"]))
        body.append(
            f'<tr class="{html.escape(row["status"])}"><td>{_cell(row["region"])}</td>'
            f"<td>{html.escape(status)}</td><td class=n>{_cell(row['population'], 'int')}</td>"
            f"<td class=n>{share}</td>"
            f"<td class=n>{_units_cell(row, lang)}</td><td class=n>{targets}</td>"
            f"<td class='n{' warn' if loud else ''}'>{left}</td>"
            f"<td class=n>{row['duration_s']:.1f}</td><td>{' '.join(links) or '–'}</td>"
            f"<td>{_cell(row['message'])}</td></tr>"
        )
    counts = {s: sum(r["status"] == s for r in rows) for s in ("ok", "skipped", "failed")}
    title = text["title"].format(name=Path(batch.source).name or "batch")
    summary = text["counts"].format(n=len(rows), time=utc_now(), version=__version__, **counts)
    heads = ("region", "status", "residents", "covered", "units", "targets", "left_out",
             "seconds", "outputs", "message")  # fmt: skip
    header = "".join(f"<th>{html.escape(text[h])}</th>" for h in heads)
    html_lang = "zh-CN" if lang == "zh" else "en"
    return f"""<!DOCTYPE html>
<html lang="{html_lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }}
td.n {{ text-align: right; }}
tr.failed td {{ background: #fde0dd; }}
tr.skipped td {{ color: #555; }}
td.warn {{ color: #b42318; font-weight: bold; }}
.credits {{ color: #555; font-size: 12px; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(summary)}</p>
<table><thead><tr>{header}</tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table>
<p class="credits">{html.escape(_credits(batch, lang))}</p>
</body></html>
"""


def write_rollup(batch: Batch, outcomes: Sequence[RegionOutcome]) -> tuple[Path, Path]:
    """Write ``index.html`` and ``batch_summary.csv`` into the batch output folder.

    Parameters
    ----------
    batch : Batch
    outcomes : sequence of RegionOutcome
        One per region, in batch order.

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        The index page and the summary table.
    """
    import pandas as pd

    from ..outputs.writers import atomic_path, write_csv

    rows = _rows(batch, outcomes)
    index = batch.out / INDEX_NAME
    table = batch.out / SUMMARY_NAME
    with atomic_path(index) as tmp:
        tmp.write_text(_index_html(batch, rows), encoding="utf-8")
    names = _columns(_levels(outcomes))
    columns = {c: pd.Series([row[c] for row in rows], dtype=object) for c in names}
    write_csv(pd.DataFrame(columns), table)  # object columns: integers stay integers
    return index, table
