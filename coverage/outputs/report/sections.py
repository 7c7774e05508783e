"""The sections of ``report.html``, one function each.

A section is a function ``section(ctx) -> str`` returning its HTML (heading
included, or ``""`` when the result has nothing for it). :data:`SECTIONS` and
:data:`SECTIONS_AFTER_MAPS` list them in page order, the maps (:func:`maps_section`)
between them; a new section is a new function (in its own module when it is large)
and one entry in a list.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...metrics.left_out import LEFT_OUT, WARN_SHARE, left_out
from ..labels import tier_label
from ..webpage import escape
from .modes import modes_section
from .service import SERVICE_SECTIONS
from .sources import assumptions
from .tables import html_table
from .text import t

if TYPE_CHECKING:
    from ...results import CoverageResult

__all__ = ["SECTIONS", "SECTIONS_AFTER_MAPS", "ReportContext", "Section", "maps_section"]


@dataclass(frozen=True)
class ReportContext:
    """What every section reads: the result, the language and the prepared tables.

    Attributes
    ----------
    result : CoverageResult
        The result reported.
    lang : {"en", "zh"}
        Language.
    tables : dict of str to pandas.DataFrame
        :func:`~coverage.outputs.report.report_tables` of the result.
    max_gaps : int
        Most gap areas listed.
    modes : mapping
        Mode -> summary of every mode of a multi-mode run (empty otherwise).
    """

    result: CoverageResult
    lang: str
    tables: Mapping[str, pd.DataFrame]
    max_gaps: int = 30
    modes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def headline(self) -> float:
        """The headline threshold in minutes."""
        return float(self.result.summary["minutes"])

    def heading(self, key: str, **values: object) -> str:
        """An ``<h2>`` with the translated label ``key``."""
        return f"<h2>{escape(t(self.lang, key, **values))}</h2>"

    def table(self, name: str) -> str:
        """The prepared table ``name`` as HTML (all its columns)."""
        frame = self.tables[name]
        return html_table(frame, list(frame.columns), self.lang, self.headline)


Section = Callable[[ReportContext], str]


def headline_section(ctx: ReportContext) -> str:
    """Headline figures: residents, covered, mean minutes, unreachable, stations, gaps."""
    lang, s = ctx.lang, ctx.result.summary
    minutes = ctx.headline
    figures = [
        (t(lang, "residents"), f"{s['population_total']:,.0f}"),
        (
            t(lang, "covered_pop", minutes=minutes),
            f"{s['population_covered']:,.0f} ({s['coverage_share']:.1%})",
        ),
        (
            t(lang, "mean_minutes"),
            "-" if s.get("mean_minutes") is None else f"{s['mean_minutes']:.1f}",
        ),
        (t(lang, "unreachable"), f"{s['unreachable_population']:,.0f}"),
        (t(lang, "stations_count"), f"{s['stations']}"),
    ]
    gaps = s.get("gaps")
    if isinstance(gaps, Mapping):
        figures.append((t(lang, "gaps"), f"{gaps['areas']} · {gaps['population']:,.0f}"))
    boxes = "".join(
        f"<div class='figure'>{escape(name)}<b>{escape(value)}</b></div>" for name, value in figures
    )
    by = s.get("coverage_by_minutes") or {}
    shares = " · ".join(
        f"{escape(t(lang, 'within', minutes=float(k)) + t(lang, 'colon'))}{float(v):.1%}"
        for k, v in by.items()
    )
    parts = [
        f"<h2 class='first'>{escape(t(lang, 'headline'))}</h2>",
        f"<div class='figures'>{boxes}</div>",
        f"<p>{escape(t(lang, 'by_minutes') + t(lang, 'colon'))}{shares}</p>",
    ]
    parts += _left_out_line(ctx)
    levels = s.get("units_by_level") or {}
    for level, info in levels.items():
        share = info.get("share_units_covered")
        line = t(
            lang,
            "units_covered_line",
            level=tier_label(lang, level),
            covered=info.get("units_covered", "-"),
            populated=info.get("units_populated", "-"),
            share="-" if share is None else f"{share:.1%}",
        )
        parts.append(f"<p>{escape(line)}</p>")
    if levels:
        rule = next(iter(levels.values())).get("unit_covered_share")
        if rule is not None:
            note = t(lang, "unit_rule", share=rule, minutes=minutes)
            parts.append(f"<p class='note'>{escape(note)}</p>")
    return "".join(parts)


def _left_out_line(ctx: ReportContext) -> list[str]:
    """The people outside the study area and beyond the roads' reach, with their shares
    (highlighted when either passes the warning share)."""
    s = ctx.result.summary
    if not s.get("population_input"):
        return []
    shares = left_out(s)
    outside, beyond = (float(s.get(key) or 0.0) for key in LEFT_OUT)
    water = float(s.get("population_beyond_network_reach_by_water") or 0.0)
    line = t(
        ctx.lang,
        "left_out_water" if water > 0 else "left_out",
        total=f"{float(s['population_input']):,.0f}",
        outside=f"{outside:,.0f}",
        outside_share=f"{shares['population_outside_study_area_share'] or 0.0:.1%}",
        beyond=f"{beyond:,.0f}",
        beyond_share=f"{shares['population_beyond_network_reach_share'] or 0.0:.1%}",
        max_m=float(s.get("max_access_m") or 0.0),
        water=f"{water:,.0f}",
    )
    loud = any((v or 0.0) > WARN_SHARE for v in shares.values())
    return [f"<p class='{'warn' if loud else 'note'}'>{escape(line)}</p>"]


def targets_section(ctx: ReportContext) -> str:
    """The policy targets, or a note that none were set."""
    if "targets" in ctx.tables:
        return ctx.heading("targets") + ctx.table("targets")
    return ctx.heading("targets") + f"<p class='note'>{escape(t(ctx.lang, 'no_targets'))}</p>"


def official_totals_section(ctx: ReportContext) -> str:
    """Model and official population side by side per unit of the totals level.

    Empty when the run had no ``population: {totals: ...}``.
    """
    info = ctx.result.summary.get("official_totals")
    if not isinstance(info, dict) or info.get("level") not in ctx.result.units:
        return ""
    lang, s = ctx.lang, ctx.result.summary
    table = ctx.result.units[info["level"]]
    if not {"population_model", "population_official"} <= set(table.columns):
        return ""
    frame = table[["unit", "population_model", "population_official"]].copy()
    model = frame["population_model"].to_numpy(dtype=float)
    official = frame["population_official"].to_numpy(dtype=float)
    frame["official_difference"] = official - model
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["official_change"] = np.where(model > 0, official / model - 1.0, np.nan)
    intro = t(
        lang,
        "totals_intro",
        level=tier_label(lang, info["level"]),
        file=Path(str(info.get("file", ""))).name,
        column=info.get("column", ""),
        model=f"{float(s.get('population_model_total', 0.0)):,.0f}",
        official=f"{float(s.get('population_official_total', 0.0)):,.0f}",
    )
    parts = [ctx.heading("official_totals"), f"<p>{escape(intro)}</p>"]
    for key, names in (
        ("totals_units_unmatched", info.get("units_unmatched")),
        ("totals_rows_unmatched", info.get("rows_unmatched")),
        ("totals_units_empty", info.get("units_without_population")),
    ):
        if names:
            parts.append(f"<p class='warn'>{escape(t(lang, key, names='、'.join(names)))}</p>")
    parts.append(html_table(frame, list(frame.columns), lang, ctx.headline))
    return "".join(parts)


def units_section(ctx: ReportContext) -> str:
    """One table per unit level."""
    keys = [k for k in ctx.tables if k.startswith("units")]
    if not keys:
        return ""
    parts = [ctx.heading("unit_tables")]
    for key, level in zip(keys, ctx.result.units, strict=True):
        parts.append(f"<h3>{escape(tier_label(ctx.lang, level))}</h3>")
        parts.append(ctx.table(key))
    return "".join(parts)


def stations_section(ctx: ReportContext) -> str:
    """The station table with catchments and staffing."""
    return ctx.heading("station_table") + ctx.table("stations")


def services_section(ctx: ReportContext) -> str:
    """Coverage per service item (when stations list services)."""
    if "services" not in ctx.tables:
        return ""
    return ctx.heading("services") + ctx.table("services")


def gaps_section(ctx: ReportContext) -> str:
    """The largest gap areas by population, with a line on all of them."""
    if "gaps" not in ctx.tables:
        return ""
    lang = ctx.lang
    frame = ctx.tables["gaps"].sort_values("population", ascending=False, kind="stable")
    total = t(
        lang,
        "gap_total",
        n=len(frame),
        population=f"{frame['population'].sum():,.0f}",
        minutes=ctx.headline,
    )
    more = " " + t(lang, "gap_more", n=ctx.max_gaps) if len(frame) > ctx.max_gaps else ""
    return (
        ctx.heading("gap_list")
        + f"<p>{escape(total + more)}</p>"
        + html_table(frame.head(ctx.max_gaps), list(frame.columns), lang, ctx.headline)
    )


def maps_section(images: Mapping[str, bytes], lang: str) -> str:
    """The maps (caption -> PNG bytes), embedded as PNG data URLs ("" without maps)."""
    if not images:
        return ""
    parts = [f"<h2>{escape(t(lang, 'maps'))}</h2>"]
    for caption, png in images.items():
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f"<figure><img alt='{escape(caption)}' src='data:image/png;base64,{data}'>"
            f"<figcaption class='note'>{escape(caption)}</figcaption></figure>"
        )
    return "".join(parts)


def assumptions_section(ctx: ReportContext) -> str:
    """The model's assumptions, speeds and data sources."""
    return ctx.heading("assumptions") + assumptions(ctx.result, ctx.lang)


#: The report's sections in page order before the maps (:func:`maps_section`, added
#: when the maps are drawn) ...
SECTIONS: tuple[Section, ...] = (
    headline_section,
    modes_section,
    targets_section,
    official_totals_section,
    units_section,
    stations_section,
    services_section,
    *SERVICE_SECTIONS,
    gaps_section,
)
#: ... and after them.
SECTIONS_AFTER_MAPS: tuple[Section, ...] = (assumptions_section,)
