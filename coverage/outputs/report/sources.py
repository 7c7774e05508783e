"""The model's assumptions and the data behind a run: speeds as used, input files, credits."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ...inputs.dates import DataDate, data_date, input_files
from ..labels import tier_label
from ..maps import credits_text
from ..style import mode_name
from ..webpage import escape
from .text import t

if TYPE_CHECKING:
    from ...results import CoverageResult

__all__ = ["ROAD_CLASSES_ZH", "assumptions", "road_class_label", "source_rows"]


def _speeds(result: CoverageResult) -> pd.DataFrame:
    """Median speed per road class, from the network's lengths and times."""
    net = result.network
    with np.errstate(divide="ignore", invalid="ignore"):
        kmh = net.edge_length_m / net.edge_seconds * 3.6
    # grouped by integer codes: a county network has a million edges and a dozen classes,
    # in runs (a way's segments one after another): the runs' first edges are hashed
    highway = np.asarray(net.edge_highway, dtype=object)
    heads = np.flatnonzero(np.r_[True, highway[1:] != highway[:-1]])
    head_codes, classes = pd.factorize(highway[heads], use_na_sentinel=False)
    codes = np.repeat(head_codes, np.diff(np.r_[heads, highway.size]))
    ok = np.isfinite(kmh)
    frame = pd.DataFrame({"code": codes[ok], "kmh": kmh[ok]})
    out = frame.groupby("code")["kmh"].agg(["median", "size"]).reset_index()
    names = np.asarray([str(c) for c in classes], dtype=object)
    out.insert(0, "road_class", names[out.pop("code").to_numpy()])
    return out.sort_values("size", ascending=False)


#: Chinese names of OSM road classes (the speed table's rows).
ROAD_CLASSES_ZH = {
    "motorway": "高速公路",
    "motorway_link": "高速公路匝道",
    "trunk": "干线公路",
    "trunk_link": "干线公路匝道",
    "primary": "一级道路",
    "primary_link": "一级道路连接线",
    "secondary": "二级道路",
    "secondary_link": "二级道路连接线",
    "tertiary": "三级道路",
    "tertiary_link": "三级道路连接线",
    "unclassified": "乡村道路",
    "residential": "居住区道路",
    "living_street": "生活街道",
    "service": "服务道路",
    "track": "机耕路",
    "path": "小路",
    "footway": "人行道",
    "pedestrian": "步行街",
    "cycleway": "自行车道",
    "bridleway": "马道",
    "steps": "台阶",
    "ferry": "轮渡",
    "road": "道路",
}


def road_class_label(lang: str, road_class: str) -> str:
    """The display name of an OSM road class (the class itself in English or if unknown).

    Examples
    --------
    >>> road_class_label("zh", "residential"), road_class_label("en", "residential")
    ('居住区道路', 'residential')
    """
    return ROAD_CLASSES_ZH.get(road_class, road_class) if lang == "zh" else road_class


def _kind_label(lang: str, kind: str) -> str:
    """``boundaries/township`` -> ``行政边界（乡镇（街道））``."""
    head, _, rest = kind.partition("/")
    try:
        text = t(lang, f"input_{head}")
    except KeyError:
        text = head
    if rest:
        parts = [tier_label(lang, part) for part in rest.split("/")]
        text += t(lang, "input_part", part=" / ".join(parts))
    return text


def source_rows(result: CoverageResult, lang: str) -> list[tuple[str, str, str, str]]:
    """(kind, file name, data date, where the date comes from) of every input file.

    Every file the summary's ``inputs`` names is listed, each file of a mapping
    (boundaries per level, population groups) on its own row; without ``inputs``, the
    network's file.
    """
    inputs = result.summary.get("inputs") or {}
    dated = result.summary.get("input_dates") or {}  # dated once by the pipeline
    pairs = input_files(inputs)
    if not pairs and result.network.source:
        pairs = [("network", str(result.network.source))]
    rows = []
    for kind, path in pairs:
        known = dated.get(path)
        found = DataDate(*known) if known else data_date(path)
        rows.append(
            (
                _kind_label(lang, kind),
                Path(path).name,
                found.date or "-",
                t(lang, f"date_{found.basis}"),
            )
        )
    return rows


def assumptions(result: CoverageResult, lang: str) -> str:
    """The assumptions table, the speeds as used and the data sources (HTML)."""
    s = result.summary
    minutes = float(s["minutes"])
    points = result.demand.grid is None
    rows = [
        (t(lang, "threshold"), t(lang, "minutes_value", minutes=minutes)),
        (t(lang, "mode"), mode_name(lang, str(s.get("mode", result.network.mode)))),
        (
            t(lang, "access"),
            t(
                lang,
                "access_text_points" if points else "access_text",
                speed=float(s.get("access_speed_kmh", 5.0)),
                max_m=float(s.get("max_access_m", 5000.0)),
            ),
        ),
    ]
    info = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    speeds = _speeds(result)
    speed_rows = "".join(
        f"<tr><td>{escape(road_class_label(lang, r.road_class))}</td>"
        f"<td class='n'>{r.median:.1f}</td><td class='n'>{r.size:,}</td></tr>"
        for r in speeds.itertuples()
    )
    source_rows_html = "".join(
        f"<tr><td>{escape(kind)}</td><td>{escape(name)}</td><td>{escape(date)}</td>"
        f"<td>{escape(basis)}</td></tr>"
        for kind, name, date, basis in source_rows(result, lang)
    )
    return (
        f"<table>{info}</table>"
        f"<h3>{escape(t(lang, 'speeds'))}</h3><table><thead><tr>"
        f"<th>{escape(t(lang, 'road_class'))}</th><th>{escape(t(lang, 'speed'))}</th>"
        f"<th>{escape(t(lang, 'edges'))}</th></tr></thead><tbody>{speed_rows}</tbody></table>"
        f"<h3>{escape(t(lang, 'sources'))}</h3><table><thead><tr>"
        f"<th>{escape(t(lang, 'input_kind'))}</th><th>{escape(t(lang, 'file'))}</th>"
        f"<th>{escape(t(lang, 'data_date'))}</th><th>{escape(t(lang, 'date_basis'))}</th></tr>"
        f"</thead><tbody>{source_rows_html}</tbody></table>"
        f"<p class='note'>{escape(credits_text(result, lang))}</p>"
    )
