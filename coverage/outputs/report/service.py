"""Report sections of service in time and scope: time windows, item rules, home visits.

Three sections (:data:`SERVICE_SECTIONS`), each empty when the run has nothing for it:
coverage in each time window with the per-unit shares, the stations that fail their
service-item rule with the items they miss, and the home-service list of a group.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from ..labels import group_label, tier_label
from ..webpage import escape
from .tables import html_table
from .text import t

if TYPE_CHECKING:
    from ...results import CoverageResult


class ReportContext(Protocol):
    """What these sections read (:class:`.sections.ReportContext` provides it)."""

    @property
    def result(self) -> CoverageResult: ...
    @property
    def lang(self) -> str: ...
    @property
    def tables(self) -> Mapping[str, pd.DataFrame]: ...
    @property
    def headline(self) -> float: ...
    def heading(self, key: str, **values: object) -> str: ...
    def table(self, name: str) -> str: ...


__all__ = [
    "SERVICE_SECTIONS",
    "home_service_section",
    "rules_section",
    "windows_section",
]


def _note(text: str) -> str:
    return f"<p class='note'>{escape(text)}</p>"


def windows_section(ctx: ReportContext) -> str:
    """Coverage per time window, overall and per unit, with the counting rule."""
    if "windows" not in ctx.tables:
        return ""
    lang, s = ctx.lang, ctx.result.summary
    default = t(lang, "hours_" + str(s.get("hours_default", "open")))
    parts = [ctx.heading("time_windows"), ctx.table("windows")]
    parts.append(_note(t(lang, "windows_rule", default=default)))
    for level in ctx.result.units:
        if f"windows_by_{level}" in ctx.tables:
            name = tier_label(lang, level)
            name = name[:1].upper() + name[1:]
            heading = t(lang, "window_units", level=name, minutes=ctx.headline)
            parts.append(f"<h3>{escape(heading)}</h3>" + ctx.table(f"windows_by_{level}"))
    return "".join(parts)


def rules_section(ctx: ReportContext) -> str:
    """The stations that fail their service-item rule, with the items they miss."""
    rules = ctx.result.summary.get("service_rules")
    if not isinstance(rules, dict):
        return ""
    lang = ctx.lang
    failing = len(rules.get("stations_failing", []))
    parts = [ctx.heading("service_rules")]
    if failing == 0:
        parts.append(f"<p>{escape(t(lang, 'rules_all_pass'))}</p>")
        return "".join(parts)
    line = t(
        lang,
        "rules_line",
        ruled=rules["stations_with_rule"],
        passing=rules["stations_passing"],
        failing=failing,
    )
    frame = ctx.tables["service_rules"].copy()
    if "service_missing" in frame:
        frame["service_missing"] = frame["service_missing"].str.replace("|", "、", regex=False)
    parts.append(f"<p>{escape(line)}</p>")
    parts.append(html_table(frame, list(frame.columns), lang, ctx.headline))
    return "".join(parts)


def home_service_section(ctx: ReportContext, *, most: int = 30) -> str:
    """The home-service list: the places of a group's uncovered residents, most first."""
    info = ctx.result.summary.get("home_service")
    if not isinstance(info, dict) or "home_service" not in ctx.tables:
        return ""
    lang = ctx.lang
    frame = ctx.tables["home_service"].drop(columns=["lon", "lat"], errors="ignore").copy()
    frame["place"] = [
        t(lang, "gap_place", k=p[4:]) if isinstance(p, str) and p.startswith("gap ") else p
        for p in frame["place"]
    ]
    line = t(
        lang,
        "home_line",
        group=group_label(lang, str(info["group"])),
        people=f"{info['people']:,.0f}",
        minutes=ctx.headline,
        places=info["places"],
    )
    if info["places"] > most:
        line += " " + t(lang, "home_more", n=most)
    parts = [ctx.heading("home_service"), f"<p>{escape(line)}</p>"]
    if len(frame):
        parts.append(html_table(frame.head(most), list(frame.columns), lang, ctx.headline))
    return "".join(parts)


#: The sections, in page order (after the service items in :data:`.sections.SECTIONS`).
SERVICE_SECTIONS = (windows_section, rules_section, home_service_section)
