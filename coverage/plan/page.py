"""The planning page: one HTML document, its script (``page.js``) and its settings.

The page loads Leaflet from the local server (``/assets/``, the vendored copy of
:mod:`coverage.outputs`), so it works with no network but for the basemap tiles. The
settings the script needs (texts in Chinese or English, tile layers, tier styles,
unit polygons, the session token) are one JSON block in the page, never executed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..inputs.tiers import TIERS
from ..outputs.basemaps import Basemap, tile_layers
from ..outputs.labels import label, tier_label
from ..outputs.map_layers import feature_collection, shift_geoms
from ..outputs.map_legend import shape_svg
from ..outputs.style import map_title, tier_styles, time_classes
from ..outputs.webpage import escape
from ..results import CoverageResult

__all__ = ["PAGE_SCRIPT", "page_html", "page_text"]

#: The page's script, served at ``/plan.js``.
PAGE_SCRIPT = Path(__file__).with_name("page.js")

_TEXT = {
    "en": {
        "heading": "Station planning",
        "share_of": "Share within {minutes:g} min",
        "covered": "{covered} of {total} residents",
        "station_count": "{n} stations",
        "stations": "Stations",
        "surface": "Travel time (minutes)",
        "level_units": "{level}: {covered} of {total} units covered",
        "target": "{year} target {share} ({required} units)",
        "met": "met",
        "not_met": "not met, {n} more to cover",
        "no_units": "No unit boundaries in this configuration.",
        "changed_heading": "Units changed by the last edit",
        "none_changed": "No unit changed its verdict.",
        "gained": "now covered",
        "lost": "no longer covered",
        "scenarios": "Scenarios",
        "undo": "Undo",
        "rename": "Rename",
        "export_heading": "Export this scenario",
        "folder": "Output folder",
        "export": "Export",
        "add_heading": "New station",
        "new_tier": "Tier",
        "new_name": "Name (optional)",
        "hint": "Click the map or a candidate site to add a station; drag a station to move "
        "it; click a station to close it.",
        "close": "Close this station",
        "catchment": "Catchment residents",
        "tier": "Tier",
        "id": "ID",
        "colon": ": ",
        "updated": "Updated in {ms} ms",
        "working": "Computing…",
        "failed": "The request failed; is coverage15 plan still running?",
        "edit_add": "added",
        "edit_move": "moved",
        "edit_close": "closed",
        "tiles_failed": "Basemap tiles could not be loaded (offline?); the overlays still work.",
        "exported": "Exported to {folder}",
        "legend_minutes": "Minutes to the nearest station",
        "legend_units": "Units",
        "unit_covered": "covered",
        "unit_not_covered": "not covered",
        "unit_changed": "changed by the last edit",
        "legend_stations": "Stations",
        "candidates": "Candidate sites (most people not covered)",
        "candidate": "Candidate site: {n} residents not covered in this cell; click to add",
        "bad_request": "The request was not understood; reload the page.",
        "unexpected": "Unexpected failure ({error}); nothing was changed.",
    },
    "zh": {
        "heading": "服务点布局规划",
        "share_of": "{minutes:g}分钟覆盖率",
        "covered": "覆盖 {covered} / {total} 人",
        "station_count": "共 {n} 个服务点",
        "stations": "服务点",
        "surface": "出行时间（分钟）",
        "level_units": "{level}：已覆盖 {covered} / {total} 个",
        "target": "{year}年目标 {share}（{required} 个）",
        "met": "已达标",
        "not_met": "未达标，还需覆盖 {n} 个",
        "no_units": "本配置未提供行政区划边界。",
        "changed_heading": "本次调整改变覆盖结论的单元",
        "none_changed": "没有单元的覆盖结论发生变化。",
        "gained": "变为已覆盖",
        "lost": "不再覆盖",
        "scenarios": "方案",
        "undo": "撤销",
        "rename": "重命名",
        "export_heading": "导出当前方案",
        "folder": "输出文件夹",
        "export": "导出",
        "add_heading": "新增服务点",
        "new_tier": "层级",
        "new_name": "名称（可选）",
        "hint": "点击地图或候选点新增服务点；拖动服务点可移动；点击服务点可关闭。",
        "close": "关闭此服务点",
        "catchment": "服务人口",
        "tier": "层级",
        "id": "编号",
        "colon": "：",
        "updated": "已更新，用时 {ms} 毫秒",
        "working": "计算中…",
        "failed": "请求失败，请确认 coverage15 plan 仍在运行",
        "edit_add": "新增",
        "edit_move": "移动",
        "edit_close": "关闭",
        "tiles_failed": "底图瓦片无法加载（可能离线），叠加图层仍可使用。",
        "exported": "已导出至 {folder}",
        "legend_minutes": "到最近服务点的时间（分钟）",
        "legend_units": "行政单元",
        "unit_covered": "已覆盖",
        "unit_not_covered": "未覆盖",
        "unit_changed": "本次调整改变结论",
        "legend_stations": "服务点",
        "candidates": "候选点（未覆盖人口最多处）",
        "candidate": "候选点：该格网 {n} 人未覆盖，点击新增服务点",
        "bad_request": "无法识别该请求，请刷新页面。",
        "unexpected": "意外错误（{error}），方案未作更改。",
    },
}


def page_text(lang: str, key: str, **values: object) -> str:
    """A text of the planning page in ``lang`` (``zh`` or ``en``), formatted with ``values``."""
    return _TEXT["zh" if lang == "zh" else "en"][key].format(**values)


def _tiers(result: CoverageResult, lang: str) -> dict[str, Any]:
    present = set(result.stations["tier"].dropna().astype(str))
    styles = tier_styles([*TIERS, *present])
    out: dict[str, Any] = {}
    for tier, (colour, shape) in styles.items():
        size = 20 if shape == "star" else 16
        out[tier] = {"svg": shape_svg(shape, colour, size), "size": size, "colour": colour}
        out[tier]["label"] = tier_label(lang, tier)
    out[""] = {"svg": shape_svg("circle", "#555555", 14), "size": 14, "colour": "#555555"}
    return out


def _legend(result: CoverageResult, lang: str, tiers: dict[str, Any]) -> dict[str, Any]:
    """Legend entries: the surface's time classes, the unit verdicts and the tiers shown."""
    classes = time_classes(float(result.summary["minutes"]))
    shown = sorted(set(result.stations["tier"].dropna().astype(str)) | {"village"})
    return {
        "classes": [
            {"colour": c, "label": t}
            for c, t in zip(classes.palette(), classes.labels(lang), strict=True)
        ],
        "tiers": [{"tier": t, "svg": tiers[t]["svg"], "label": tier_label(lang, t)} for t in shown],
    }


def _levels(result: CoverageResult, shift: Callable[..., Any], lang: str) -> list[dict]:
    out = []
    for level, polygons in result.unit_polygons.items():
        frame = shift_geoms(polygons[["geometry"]].reset_index(drop=True), shift)
        frame["unit"] = polygons["unit"].astype(str).to_numpy()
        frame["index"] = np.arange(len(frame))
        out.append(
            {"level": level, "label": tier_label(lang, level), "geojson": feature_collection(frame)}
        )
    return out


def _bounds(result: CoverageResult, shift: Callable[..., Any]) -> list[list[float]]:
    from ..inputs.crs import transform_xy

    demand = result.demand
    people = demand.population > 0
    x, y = (demand.x[people], demand.y[people]) if people.any() else (demand.x, demand.y)
    lon, lat = transform_xy(x, y, demand.crs, "EPSG:4326")
    lon, lat = shift(lon, lat)
    return [[float(np.min(lat)), float(np.min(lon))], [float(np.max(lat)), float(np.max(lon))]]


def page_html(
    result: CoverageResult,
    *,
    token: str,
    basemap: Basemap,
    shift: Callable[..., Any],
    lang: str = "en",
    tianditu_key: str | None = None,
    default_folder: str = "",
) -> str:
    """The planning page for a session that started from ``result``.

    Parameters
    ----------
    result : CoverageResult
        The run (its units, stations and study area set up the page).
    token : str
        The session token the page sends with every edit.
    basemap : Basemap
        The configured basemap; ``shift`` moves overlays to its datum.
    shift : callable
        Lon/lat to the basemap's datum.
    lang : {"en", "zh"}
        Language of the page.
    tianditu_key : str, optional
        Key of the Tianditu basemap.
    default_folder : str
        Pre-filled export folder.

    Returns
    -------
    str
        The HTML document.
    """
    zh = lang == "zh"
    texts = dict(_TEXT["zh" if zh else "en"])
    headline = float(result.summary["minutes"])
    texts["share_of"] = page_text(lang, "share_of", minutes=headline)
    present = set(result.stations["tier"].dropna().astype(str))
    tiers = _tiers(result, lang)
    choices = [t for t in TIERS if t in tiers] + sorted(present - set(TIERS))
    default = next((t for t in ("village", *TIERS) if t in choices), choices[0])
    config = {
        "lang": "zh" if zh else "en",
        "token": token,
        "text": texts,
        "tiles": tile_layers(basemap, lang=lang, tianditu_key=tianditu_key),
        "tiers": tiers,
        "levels": _levels(result, shift, lang),
        "bounds": _bounds(result, shift),
        "legend": _legend(result, lang, tiers),
    }
    blob = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
    options = "".join(
        f'<option value="{escape(t)}"{" selected" if t == default else ""}>'
        f"{escape(tier_label(lang, t))}</option>"
        for t in choices
    )
    mode = str(result.summary.get("mode", "walk"))
    title = map_title(lang, place=result.name, mode=mode, minutes=headline)
    t = texts
    return _TEMPLATE.format(
        lang="zh-CN" if zh else "en",
        title=escape(f"{t['heading']} · {title}"),
        heading=escape(t["heading"]),
        place=escape(title),
        share_of=escape(t["share_of"]),
        add_heading=escape(t["add_heading"]),
        new_tier=escape(t["new_tier"]),
        new_name=escape(t["new_name"]),
        options=options,
        changed_heading=escape(t["changed_heading"]),
        scenarios=escape(t["scenarios"]),
        undo=escape(t["undo"]),
        rename=escape(t["rename"]),
        export_heading=escape(t["export_heading"]),
        folder=escape(t["folder"]),
        folder_value=escape(default_folder),
        export=escape(t["export"]),
        tiles_failed=escape(t["tiles_failed"]),
        credits=escape(label(lang, "roads_credit")),
        config=blob,
    )


_TEMPLATE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/assets/leaflet.css">
<style>
html, body {{ margin: 0; height: 100%; font-family: "Noto Sans CJK SC", "Source Han Sans SC",
  "Microsoft YaHei", "PingFang SC", sans-serif; font-size: 14px; color: #222; }}
#app {{ display: flex; height: 100%; }}
#map {{ flex: 1; height: 100%; background: #eef0f2; }}
#panel {{ width: 360px; overflow-y: auto; padding: 12px 14px; box-sizing: border-box;
  border-left: 1px solid #ccc; background: #fafafa; }}
h1 {{ font-size: 17px; margin: 0 0 2px; }}
h2 {{ font-size: 14px; margin: 14px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }}
h3 {{ font-size: 13px; margin: 8px 0 3px; }}
.place {{ color: #555; font-size: 12px; margin-bottom: 8px; }}
#share {{ font-size: 34px; font-weight: bold; color: #1a5490; }}
.muted {{ color: #777; }}
.target {{ font-size: 13px; padding: 2px 0 2px 8px; border-left: 4px solid #999; margin: 2px 0; }}
.target.met {{ border-color: #1a9850; }}
.target.not-met {{ border-color: #d73027; }}
#changed li.gained {{ color: #1a7a40; }}
#changed li.lost {{ color: #b2182b; }}
#changed {{ padding-left: 18px; margin: 4px 0; }}
#scenarios {{ padding-left: 0; list-style: none; margin: 4px 0; }}
#scenarios li {{ padding: 3px 6px; border-radius: 3px; display: flex; gap: 6px; }}
#scenarios li.current {{ background: #dbe9f6; font-weight: bold; }}
#scenarios .name {{ flex: 1; }}
#scenarios .edit {{ color: #666; font-weight: normal; font-size: 12px; }}
label {{ display: block; margin: 4px 0 2px; font-size: 12px; color: #444; }}
input[type=text], select {{ width: 100%; box-sizing: border-box; padding: 3px; }}
button {{ margin-top: 5px; padding: 4px 10px; cursor: pointer; }}
.row {{ display: flex; gap: 6px; align-items: flex-end; }}
.row > * {{ flex: 1; }}
#message {{ margin: 8px 0; padding: 6px 8px; border-radius: 3px; background: #eef3f8;
  min-height: 1.2em; }}
#message.error {{ background: #fbe3e1; color: #8b1a10; }}
#message.ok {{ background: #e3f3e6; }}
body.busy #map {{ cursor: progress; }}
.plan-station {{ background: none; border: none; }}
.leaflet-image-layer {{ image-rendering: pixelated; }}
#tile-notice {{ display: none; position: absolute; bottom: 22px; left: 8px; z-index: 1000;
  background: rgba(255,255,255,.85); padding: 2px 6px; font-size: 11px; color: #555; }}
.popup button {{ display: block; }}
.plan-legend {{ background: rgba(255,255,255,.92); padding: 6px 8px; font-size: 12px;
  line-height: 1.35; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.3); }}
.plan-legend b {{ display: block; margin-top: 3px; }}
.plan-legend i {{ display: inline-block; width: 14px; height: 10px; margin-right: 5px;
  vertical-align: middle; }}
.plan-legend .marker {{ display: inline-block; vertical-align: middle; margin-right: 5px; }}
</style>
</head>
<body>
<div id="app">
<div id="map"></div>
<div id="panel">
<h1>{heading}</h1>
<div class="place">{place}</div>
<div>{share_of}</div>
<div id="share">–</div>
<div id="covered" class="muted"></div>
<div id="station-count" class="muted"></div>
<div id="message" role="status"></div>
<h2>{add_heading}</h2>
<div class="row">
<div><label for="tier">{new_tier}</label><select id="tier">{options}</select></div>
<div><label for="new-name">{new_name}</label><input type="text" id="new-name" maxlength="80"></div>
</div>
<div id="levels"></div>
<h2>{changed_heading}</h2>
<ul id="changed"></ul>
<h2>{scenarios}</h2>
<ol id="scenarios"></ol>
<div class="row">
<input type="text" id="scenario-name" maxlength="80">
<button id="rename" type="button">{rename}</button>
<button id="undo" type="button">{undo}</button>
</div>
<h2>{export_heading}</h2>
<label for="folder">{folder}</label>
<input type="text" id="folder" value="{folder_value}">
<button id="export" type="button">{export}</button>
<p class="muted" style="font-size:11px">{credits}</p>
</div>
</div>
<div id="tile-notice">{tiles_failed}</div>
<script type="application/json" id="plan-config">{config}</script>
<script src="/assets/leaflet.js"></script>
<script src="/plan.js"></script>
</body>
</html>
"""
