"""The comparison of travel modes in the report of a multi-mode run (``modes: [...]``).

A table (one row per mode: the share within each threshold, mean minutes, unreachable
residents, units covered per level) and a chart drawn as inline SVG (no script, no
network): the share within each threshold by mode, and the units covered by mode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ..labels import tier_label
from ..style import mode_name
from ..webpage import escape
from .text import t

__all__ = ["modes_chart_svg", "modes_section"]

#: Bar colour of each mode, in run order (colour-blind safe, distinct in grey print).
MODE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e")


class ReportContext(Protocol):
    """What this section reads (:class:`.sections.ReportContext` provides it)."""

    @property
    def lang(self) -> str: ...
    @property
    def modes(self) -> Mapping[str, Mapping[str, Any]]: ...
    def heading(self, key: str, **values: object) -> str: ...


def _bars(
    groups: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    values: Sequence[Sequence[str]],
    top: float,
    x0: float,
) -> str:
    """One grouped bar chart: a bar per series in each group, its value above it."""
    width, base = 340.0, 170.0
    n = max(len(series), 1)
    slot = (width - 40) / max(len(groups), 1)
    bar = min(28.0, (slot - 10) / n)
    out = [
        f"<text x='{x0 + width / 2:.1f}' y='14' text-anchor='middle' font-weight='bold'>"
        f"{escape(title)}</text>",
        f"<line x1='{x0 + 30:.1f}' y1='{base}' x2='{x0 + width:.1f}' y2='{base}' stroke='#555'/>",
    ]
    for g, group in enumerate(groups):
        left = x0 + 35 + g * slot + (slot - n * bar) / 2
        for s, (name, numbers) in enumerate(series.items()):
            value = numbers[g]
            h = 0.0 if top <= 0 else max(value, 0.0) / top * (base - 30)
            x = left + s * bar
            colour = MODE_COLOURS[s % len(MODE_COLOURS)]
            out.append(
                f"<rect x='{x:.1f}' y='{base - h:.1f}' width='{bar - 2:.1f}' height='{h:.1f}' "
                f"fill='{colour}'><title>{escape(name)}: {escape(values[s][g])}</title></rect>"
                f"<text x='{x + (bar - 2) / 2:.1f}' y='{base - h - 3:.1f}' font-size='9' "
                f"text-anchor='middle'>{escape(values[s][g])}</text>"
            )
        out.append(
            f"<text x='{left + n * bar / 2:.1f}' y='{base + 14}' text-anchor='middle'>"
            f"{escape(group)}</text>"
        )
    return "".join(out)


def modes_chart_svg(modes: Mapping[str, Mapping[str, Any]], lang: str) -> str:
    """The chart of a multi-mode run as one inline ``<svg>``.

    Left: the share of residents within each threshold, one bar per mode. Right: the
    share of each level's populated units covered at the headline threshold, one bar
    per mode, labelled ``covered/populated`` (left out when the run has no units).

    Parameters
    ----------
    modes : mapping
        Mode -> its ``summary.json`` dictionary.
    lang : {"en", "zh"}
        Language of the labels.

    Returns
    -------
    str
    """
    names = [mode_name(lang, m) for m in modes]
    first = next(iter(modes.values()))
    thresholds = list((first.get("coverage_by_minutes") or {}).keys())
    shares = {
        name: [float((s.get("coverage_by_minutes") or {}).get(k, 0.0)) for k in thresholds]
        for name, s in zip(names, modes.values(), strict=True)
    }
    left = _bars(
        [t(lang, "minutes_value", minutes=float(k)) for k in thresholds],
        shares,
        title=t(lang, "modes_share_chart"),
        values=[[f"{v:.0%}" for v in numbers] for numbers in shares.values()],
        top=1.0,
        x0=0.0,
    )
    levels = list((first.get("units_by_level") or {}).keys())
    right = ""
    if levels:

        def counts(summary: Mapping[str, Any], level: str) -> tuple[float, float]:
            info = (summary.get("units_by_level") or {}).get(level) or {}
            return float(info.get("units_covered", 0)), float(info.get("units_populated", 0))

        covered = {
            name: [counts(s, level) for level in levels]
            for name, s in zip(names, modes.values(), strict=True)
        }
        right = _bars(
            [tier_label(lang, level) for level in levels],
            {name: [c / p if p else 0.0 for c, p in pairs] for name, pairs in covered.items()},
            title=t(lang, "modes_units_chart"),
            values=[[f"{c:.0f}/{p:.0f}" for c, p in pairs] for pairs in covered.values()],
            top=1.0,
            x0=360.0,
        )
    legend = "".join(
        f"<rect x='{40 + i * 110}' y='196' width='12' height='12' "
        f"fill='{MODE_COLOURS[i % len(MODE_COLOURS)]}'/>"
        f"<text x='{56 + i * 110}' y='206'>{escape(name)}</text>"
        for i, name in enumerate(names)
    )
    total_width = 710 if right else 350
    return (
        f"<svg class='modes-chart' xmlns='http://www.w3.org/2000/svg' width='{total_width}' "
        f"height='214' viewBox='0 0 {total_width} 214' font-size='11' "
        "font-family='Noto Sans CJK SC, Microsoft YaHei, sans-serif' role='img'>"
        f"{left}{right}{legend}</svg>"
    )


def modes_section(ctx: ReportContext) -> str:
    """The comparison of the modes of a multi-mode run (empty for a single mode)."""
    modes = ctx.modes
    if len(modes) < 2:
        return ""
    lang = ctx.lang
    first = next(iter(modes.values()))
    thresholds = list((first.get("coverage_by_minutes") or {}).keys())
    levels = list((first.get("units_by_level") or {}).keys())
    heads = [t(lang, "mode")]
    heads += [t(lang, "within", minutes=float(k)) for k in thresholds]
    heads += [t(lang, "mean_minutes"), t(lang, "unreachable")]
    heads += [t(lang, "modes_units_level", level=tier_label(lang, level)) for level in levels]
    rows = []
    for mode, s in modes.items():
        by = s.get("coverage_by_minutes") or {}
        cells = [f"<td>{escape(mode_name(lang, mode))}</td>"]
        cells += [f"<td class='n'>{float(by.get(k, 0.0)):.1%}</td>" for k in thresholds]
        mean = s.get("mean_minutes")
        cells.append(f"<td class='n'>{'-' if mean is None else f'{float(mean):.1f}'}</td>")
        cells.append(f"<td class='n'>{float(s.get('unreachable_population', 0.0)):,.0f}</td>")
        for level in levels:
            info = (s.get("units_by_level") or {}).get(level) or {}
            cells.append(
                f"<td class='n'>{info.get('units_covered', '-')} / "
                f"{info.get('units_populated', '-')}</td>"
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    return (
        ctx.heading("modes_heading")
        + f"<p class='note'>{escape(t(lang, 'modes_note'))}</p>"
        + f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        + f"<figure>{modes_chart_svg(modes, lang)}</figure>"
    )
