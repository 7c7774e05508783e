"""The roll-up of a batch: ``index.html`` and ``batch_summary.csv``."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
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
    "units",
    "units_covered",
    "targets",
    "targets_met",
    "duration_s",
    "cpu_s",
    "outputs_from",
    "folder",
    "message",
)


def _rows(batch: Batch, outcomes: Sequence[RegionOutcome]) -> list[dict[str, Any]]:
    rows = []
    for o in outcomes:
        figures = dict(o.figures)
        rows.append(
            {
                "region": o.name,
                "status": o.status,
                **{k: figures.get(k) for k in _COLUMNS[2:10]},
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


def _index_html(batch: Batch, rows: Sequence[Mapping[str, Any]]) -> str:
    body = []
    for row in rows:
        folder = batch.out / row["folder"]
        href = quote(str(row["folder"]))
        links = []
        if (folder / "map.html").is_file():
            links.append(f'<a href="{html.escape(href)}/map.html">map</a>')
        report = "report.html" if (folder / "report.html").is_file() else "summary.json"
        if (folder / report).is_file():
            label = "report" if report == "report.html" else "summary"
            links.append(f'<a href="{html.escape(href)}/{report}">{label}</a>')
        if row["status"] == "failed" and links:
            links.append("(earlier outputs)")
        units = f"{row['units_covered']} / {row['units']}" if row["units"] is not None else "–"
        targets = f"{row['targets_met']} / {row['targets']}" if row["targets"] is not None else "–"
        body.append(
            f'<tr class="{html.escape(row["status"])}"><td>{_cell(row["region"])}</td>'
            f"<td>{_cell(row['status'])}</td><td class=n>{_cell(row['population'], 'int')}</td>"
            f"<td class=n>{_cell(row['coverage_share'], 'share')}</td>"
            f"<td class=n>{units}</td><td class=n>{targets}</td>"
            f"<td class=n>{row['duration_s']:.1f}</td><td>{' '.join(links) or '–'}</td>"
            f"<td>{_cell(row['message'])}</td></tr>"
        )
    counts = {s: sum(r["status"] == s for r in rows) for s in ("ok", "skipped", "failed")}
    title = f"coverage15 batch: {Path(batch.source).name or 'batch'}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }}
td.n {{ text-align: right; }}
tr.failed td {{ background: #fde0dd; }}
tr.skipped td {{ color: #555; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{len(rows)} regions 地区: {counts["ok"]} run, {counts["skipped"]} unchanged (skipped),
{counts["failed"]} failed. Written {html.escape(utc_now())} by coverage15 {__version__}.</p>
<table><thead><tr><th>region 地区</th><th>status</th><th>residents 人口</th>
<th>covered 覆盖率</th><th>units covered</th><th>targets met</th><th>seconds</th>
<th>outputs</th><th>message</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table>
<p>Roads © OpenStreetMap contributors (ODbL).</p>
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
    columns = {c: pd.Series([row[c] for row in rows], dtype=object) for c in _COLUMNS}
    write_csv(pd.DataFrame(columns), table)  # object columns: integers stay integers
    return index, table
