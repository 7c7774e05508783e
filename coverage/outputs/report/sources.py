"""The model's assumptions and the data behind a run: speeds as used, input files, credits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..maps import credits_text
from ..webpage import escape
from .text import t

if TYPE_CHECKING:
    from ...results import CoverageResult

__all__ = ["assumptions"]


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


def assumptions(result: CoverageResult, lang: str) -> str:
    """The assumptions table, the speeds as used and the data sources (HTML)."""
    s = result.summary
    minutes = float(s["minutes"])
    rows = [
        (t(lang, "threshold"), f"{minutes:g} min"),
        (t(lang, "mode"), str(s.get("mode", result.network.mode))),
        (
            t(lang, "access"),
            t(
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
        f"<h3>{escape(t(lang, 'speeds'))}</h3><table><thead><tr>"
        f"<th>{escape(t(lang, 'road_class'))}</th><th>{escape(t(lang, 'speed'))}</th>"
        f"<th>{escape(t(lang, 'edges'))}</th></tr></thead><tbody>{speed_rows}</tbody></table>"
        f"<h3>{escape(t(lang, 'sources'))}</h3><table><thead><tr><th></th>"
        f"<th>{escape(t(lang, 'file'))}</th><th>{escape(t(lang, 'modified'))}</th></tr>"
        f"</thead><tbody>{source_rows}</tbody></table>"
        f"<p class='note'>{escape(credits_text(result, lang))}</p>"
    )
