"""The siting section for officials: ``siting_report.html`` and ``sites.xlsx`` (zh / en).

Before and after per level and target, the tier rules, and each proposed site with
the township and village it lies in, its nearest named place, the units it brings
over the line and the residents it adds. The print map (``sites.png``) is embedded
in the page, so the one file can be mailed or printed.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pandas as pd

from ..outputs.style import mode_name
from ..outputs.webpage import escape
from ..outputs.writers import atomic_path, safe_table
from .result import SitingResult
from .text import level_name, site_text

__all__ = ["level_table", "site_table", "siting_report_html", "target_table", "write_sites_xlsx"]


def _share(value: Any) -> str:
    return "" if value is None else f"{float(value):.1%}"


def level_table(result: SitingResult, lang: str = "en") -> pd.DataFrame:
    """Units covered before and after, per level (column names in ``lang``)."""
    t = site_text(lang)
    rows = [
        {
            t["level"]: level_name(level, lang),
            t["units"]: u["units_populated"],
            t["covered_before"]: u["units_covered_before"],
            t["covered_after"]: u["units_covered_after"],
            t["share_before"]: _share(u["share_units_covered_before"]),
            t["share_after"]: _share(u["share_units_covered_after"]),
        }
        for level, u in result.summary.get("units", {}).items()
    ]
    return pd.DataFrame(rows)


def target_table(result: SitingResult, lang: str = "en") -> pd.DataFrame:
    """Each configured target before and after (column names in ``lang``)."""
    t = site_text(lang)
    rows = [
        {
            t["level"]: level_name(x["level"], lang),
            t["year"]: x["year"],
            t["target"]: _share(x["target_share"]),
            t["required"]: x["units_required"],
            t["covered_before"]: x["units_covered_before"],
            t["covered_after"]: x["units_covered_after"],
            t["met"]: t["yes"] if x["met_after"] else t["no"],
        }
        for x in result.summary.get("targets", [])
    ]
    return pd.DataFrame(rows)


def _rule_table(result: SitingResult, lang: str) -> pd.DataFrame:
    t = site_text(lang)
    return pd.DataFrame(
        [
            {
                t["rule"]: t["rule_text"].format(**{**r, "level": level_name(r["level"], lang)}),
                t["short_before"]: r["units_short_before"],
                t["short_after"]: r["units_short_after"],
            }
            for r in result.summary.get("require", [])
        ]
    )


def site_table(result: SitingResult, lang: str = "en") -> pd.DataFrame:
    """The proposed sites for officials: rank, name, units, place, what each brings."""
    t = site_text(lang)
    sites = result.sites
    levels = list(result.summary.get("units", {}))
    out = pd.DataFrame(
        {t["rank"]: sites["rank"], t["name"]: sites["name"], t["type"]: sites["type"]}
    )
    for level in levels:
        if level in sites:
            out[level_name(level, lang)] = sites[level].to_numpy()
    if "near_place" in sites:
        out[t["near"]] = [
            f"{p} ({m / 1000:.1f} km)" if p else ""
            for p, m in zip(sites["near_place"], sites["near_place_m"], strict=True)
        ]
    over = [
        "; ".join(str(v) for v in (sites[f"{lv}_over_line"].iloc[k] for lv in levels) if v)
        if levels and all(f"{lv}_over_line" in sites for lv in levels)
        else ""
        for k in range(len(sites))
    ]
    out[t["over_line"]] = over
    out[t["people"]] = sites["newly_covered_population"].round(0).astype("int64").to_numpy()
    out[t["cumulative"]] = [_share(v) for v in sites["cumulative_share"]]
    out["lon"], out["lat"] = sites["lon"].to_numpy(), sites["lat"].to_numpy()
    return out


def _html_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return ""
    head = "".join(f"<th>{escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _method(result: SitingResult, lang: str) -> str:
    t = site_text(lang)
    s = result.summary
    gap = "" if s.get("mip_gap") is None else t["gap"].format(gap=s["mip_gap"])
    if s.get("meet_targets") is not None:
        objective = t["objective_targets"].format(year=s["meet_targets"])
    elif s.get("add") is not None:
        kind = "units" if str(s.get("objective", "people")).startswith("units") else "people"
        objective = t[f"objective_{kind}"].format(k=s["add"])
    else:
        objective = t["objective_share"]
    return t["method"].format(
        objective=objective, solver=s["solver"],
        status=s["status"], gap=gap, share=s.get("unit_covered_share", 0.9),
        minutes=s["minutes"], mode=mode_name(lang, s["mode"]),
        snap_to=t["snap_" + s.get("snap_to", "node")],
        terrain=t["terrain"] if s.get("terrain") else "",
    )  # fmt: skip


def siting_report_html(result: SitingResult, lang: str = "en", *, png: Path | None = None) -> str:
    """The siting report page (self-contained HTML).

    Parameters
    ----------
    result : SitingResult
        The siting.
    lang : {"en", "zh"}
        Language.
    png : pathlib.Path, optional
        The print map to embed.

    Returns
    -------
    str
    """
    t = site_text(lang)
    s = result.summary
    headline = t["headline"].format(
        sites=s["sites_added"], before=s["before"]["coverage_share"],
        after=s["after"]["coverage_share"], minutes=s["minutes"],
    )  # fmt: skip
    parts = [
        f"<h1>{escape(t['report_title'].format(name=result.name))}</h1>",
        f"<p>{escape(headline)}</p>",
    ]
    if png is not None and png.is_file():
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        parts.append(f"<img alt='' src='data:image/png;base64,{data}'>")
    for key, frame in (
        ("before_after", level_table(result, lang)),
        ("targets", target_table(result, lang)),
        ("rules", _rule_table(result, lang)),
        ("sites", site_table(result, lang)),
    ):
        if not frame.empty:
            parts.append(f"<h2>{escape(t[key])}</h2>{_html_table(frame)}")
    parts.append(f"<p class='method'>{escape(_method(result, lang))}</p>")
    style = (
        "body{font:14px/1.5 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:24px;"
        "max-width:1100px}table{border-collapse:collapse;margin:8px 0 16px}"
        "th,td{border:1px solid #bbb;padding:3px 8px;text-align:left}th{background:#f0f0f0}"
        "img{max-width:100%;border:1px solid #ddd}.method{color:#555;font-size:12px}"
        "@media print{body{margin:0}}"
    )
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f"<!DOCTYPE html><html lang='{html_lang}'><head><meta charset='utf-8'>"
        f"<title>{escape(t['report_title'].format(name=result.name))}</title>"
        f"<style>{style}</style></head><body>{''.join(parts)}</body></html>"
    )


def write_sites_xlsx(
    result: SitingResult, path: str | os.PathLike[str], *, lang: str = "en"
) -> Path:
    """``sites.xlsx``: a summary sheet, the proposed sites, targets and per-level units."""
    t = site_text(lang)
    s = result.summary
    summary = pd.DataFrame(
        {
            t["summary"]: [t["sites_added"], t["share_before"], t["share_after"]],
            "": [s["sites_added"], _share(s["before"]["coverage_share"]),
                 _share(s["after"]["coverage_share"])],
        }
    )  # fmt: skip
    sheets = {
        t["summary"]: summary,
        t["sites"]: site_table(result, lang),
        t["before_after"][:31]: level_table(result, lang),
        t["targets"][:31]: target_table(result, lang),
        t["rules"][:31]: _rule_table(result, lang),
    }
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as book:
            for name, frame in sheets.items():
                if not frame.empty or name == t["summary"]:
                    safe_table(frame).to_excel(book, sheet_name=name, index=False)
    return Path(path)
