"""``report.html``: the sections of :mod:`.sections` in one self-contained, printable page."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ... import __version__
from ..style import map_title
from ..webpage import escape
from ..writers import atomic_path
from .sections import SECTIONS, ReportContext
from .tables import report_tables
from .text import t

if TYPE_CHECKING:
    from ...results import CoverageResult

__all__ = ["CHINA_TIME", "report_html", "report_time", "write_report"]

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
.note{color:#555;font-size:12px}tr.subtotal td{font-weight:bold;background:#f2f2f2}
.warn{color:#b42318;font-size:13px;border-left:3px solid #b42318;padding-left:8px}
@media print{body{margin:0;max-width:none}h2{break-before:page}
h2.first{break-before:avoid}table{break-inside:auto}tr{break-inside:avoid}
img{max-height:24cm}}
@page{size:A4;margin:15mm}
"""


#: China Standard Time (Asia/Shanghai: UTC+8 all year, no daylight saving since 1991).
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def report_time(lang: str, when: dt.datetime | None = None) -> str:
    """The report's time stamp: Beijing time for ``zh``, UTC for ``en``.

    Examples
    --------
    >>> moment = dt.datetime(2026, 11, 30, 17, 5, tzinfo=dt.timezone.utc)
    >>> report_time("zh", moment), report_time("en", moment)
    ('2026-12-01 01:05 北京时间', '2026-11-30 17:05 UTC')
    """
    moment = when or dt.datetime.now(tz=dt.timezone.utc)
    zone = CHINA_TIME if lang == "zh" else dt.timezone.utc
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {t(lang, 'timezone')}"


def report_html(
    result: CoverageResult,
    *,
    lang: str = "en",
    images: Mapping[str, bytes] | None = None,
    max_gaps: int = 30,
    modes: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """The report as one self-contained HTML page (inline styles, data-URL images).

    Parameters
    ----------
    result : CoverageResult
        The result to report.
    lang : {"en", "zh"}
        Language.
    images : mapping of str to bytes, optional
        Caption -> PNG bytes of the maps to embed (e.g. from :mod:`..static`).
    max_gaps : int
        Most gap areas listed (the largest by population).
    modes : mapping, optional
        Mode -> summary of every mode of a multi-mode run: a section compares them.

    Returns
    -------
    str
    """
    ctx = ReportContext(
        result=result,
        lang=lang,
        tables=report_tables(result, lang=lang),
        images=dict(images or {}),
        max_gaps=max_gaps,
        modes=dict(modes or {}),
    )
    mode = str(result.summary.get("mode", result.network.mode))
    title = map_title(lang, place=result.name, mode=mode, minutes=ctx.headline)
    now = report_time(lang)
    body = [
        f"<h1>{escape(t(lang, 'report') + t(lang, 'colon') + title)}</h1>",
        f"<p class='meta'>{escape(t(lang, 'generated', date=now, version=__version__))}</p>",
    ]
    body += [html for html in (section(ctx) for section in SECTIONS) if html]
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
    modes: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Write :func:`report_html` to ``path``, atomically."""
    with atomic_path(path) as tmp:
        page = report_html(result, lang=lang, images=images, modes=modes)
        tmp.write_text(page, encoding="utf-8")
    return Path(path)
