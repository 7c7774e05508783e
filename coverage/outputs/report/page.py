"""``report.html``: the sections of :mod:`.sections` in one self-contained, printable page."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ... import __version__
from ..style import map_title
from ..webpage import escape
from ..writers import atomic_path
from .sections import SECTIONS, SECTIONS_AFTER_MAPS, ReportContext, maps_section
from .tables import report_tables
from .text import t

if TYPE_CHECKING:
    from ...results import CoverageResult

__all__ = ["CHINA_TIME", "ReportPage", "report_html", "report_page", "report_time", "write_report"]

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


@dataclass(frozen=True)
class ReportPage:
    """The report without its maps: the HTML before and after the maps section.

    The tables and text of a county report take a while (tens of milliseconds to a
    tenth of a second); splitting it lets them be written while the maps are drawn
    elsewhere (:func:`coverage.outputs.presentation.printing`).
    """

    before: str  # from the doctype to the section before the maps
    after: str  # the sections after the maps, without the closing tags
    lang: str

    def html(self, images: Mapping[str, bytes] | None = None) -> str:
        """The whole page with ``images`` (caption -> PNG bytes) as its maps section."""
        rest = (maps_section(dict(images or {}), self.lang), self.after)
        return self.before + "".join("\n" + part for part in rest if part) + "</body></html>\n"


def report_page(
    result: CoverageResult,
    *,
    lang: str = "en",
    max_gaps: int = 30,
    modes: Mapping[str, Mapping[str, Any]] | None = None,
) -> ReportPage:
    """The report as a :class:`ReportPage`, to which the maps are added later.

    Parameters
    ----------
    result, lang, max_gaps, modes
        As for :func:`report_html`.

    Returns
    -------
    ReportPage
    """
    ctx = ReportContext(
        result=result,
        lang=lang,
        tables=report_tables(result, lang=lang),
        max_gaps=max_gaps,
        modes=dict(modes or {}),
    )
    mode = str(result.summary.get("mode", result.network.mode))
    title = map_title(lang, place=result.name, mode=mode, minutes=ctx.headline)
    now = report_time(lang)
    parts = [
        [html for html in (section(ctx) for section in sections) if html]
        for sections in (SECTIONS, SECTIONS_AFTER_MAPS)
    ]
    html_lang = "zh-CN" if lang == "zh" else "en"
    head = [
        f"<!DOCTYPE html><html lang='{html_lang}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(t(lang, 'report') + t(lang, 'colon') + title)}</h1>",
        f"<p class='meta'>{escape(t(lang, 'generated', date=now, version=__version__))}</p>",
    ]
    return ReportPage(before="\n".join(head + parts[0]), after="\n".join(parts[1]), lang=lang)


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
    return report_page(result, lang=lang, max_gaps=max_gaps, modes=modes).html(images)


def write_report(
    result: CoverageResult,
    path: str | os.PathLike[str],
    *,
    lang: str = "en",
    images: Mapping[str, bytes] | None = None,
    modes: Mapping[str, Mapping[str, Any]] | None = None,
    page: ReportPage | None = None,
) -> Path:
    """Write :func:`report_html` to ``path``, atomically (``page``: made already)."""
    if page is None:
        page = report_page(result, lang=lang, modes=modes)
    with atomic_path(path) as tmp:
        tmp.write_text(page.html(images), encoding="utf-8")
    return Path(path)
