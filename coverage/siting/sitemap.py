"""The siting map for officials: ``sites.html`` (offline page) and ``sites.png`` (print).

Both show the units of each level (covered already, brought over the line by a
proposed site, still not covered), the existing stations, and the proposed sites
numbered in their rank order. The page reuses the coverage map's machinery (basemaps,
self-contained Leaflet, escaping, the tile notice); the print map reuses the static
map's frame, scale bar, north arrow and fonts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import folium
import numpy as np

from ..inputs.crs import local_metric_crs
from ..outputs.basemaps import basemap_from_spec, display_shift, tile_layers
from ..outputs.fonts import drawable, figure_fonts
from ..outputs.labels import label
from ..outputs.map_furniture import north_arrow, scale_bar
from ..outputs.map_layers import shift_geoms
from ..outputs.map_legend import tile_notice
from ..outputs.maps import MapScript
from ..outputs.static import page_figure, save_figure
from ..outputs.webpage import Verbatim, escape, offline_map, save_map
from .result import SitingResult
from .text import level_name, site_text

__all__ = ["SITE_COLOUR", "UNIT_COLOURS", "sites_figure", "sites_map", "write_site_maps"]

#: Fill of a unit: covered before, brought over the line by a site, still not covered.
UNIT_COLOURS = {"before": "#c7e9c0", "brought": "#fd8d3c", "not": "#f7f7f7"}
#: Colour of the proposed sites' numbered markers.
SITE_COLOUR = "#08519c"
_STATION_COLOUR = "#252525"


def _unit_state(frame: Any) -> np.ndarray:
    brought = frame["brought_by"].to_numpy() > 0
    before = frame["covered_before"].to_numpy(dtype=bool)
    return np.where(brought, "brought", np.where(before, "before", "not"))


def _site_icon(rank: int) -> folium.DivIcon:
    return folium.DivIcon(
        html=(
            f"<div style='width:24px;height:24px;border-radius:12px;background:{SITE_COLOUR};"
            "color:#fff;font:bold 12px/24px sans-serif;text-align:center;"
            f"border:2px solid #fff;box-shadow:0 0 3px #000'>{rank}</div>"
        ),
        icon_size=(24, 24),
        icon_anchor=(12, 12),
        class_name="coverage15-site",
    )


def sites_map(
    result: SitingResult,
    *,
    basemap: str | Mapping[str, Any] = "osm",
    lang: str = "en",
    tianditu_key: str | None = None,
) -> folium.Map:
    """An interactive map of a siting: units, existing stations and numbered new sites.

    Parameters
    ----------
    result : SitingResult
        From :func:`~coverage.siting.plan.run_siting`.
    basemap : str or mapping
        As for the coverage map (:mod:`coverage.outputs.basemaps`).
    lang : {"en", "zh"}
        Language of the labels.
    tianditu_key : str, optional
        Tianditu key.

    Returns
    -------
    folium.Map
        Save it with :func:`coverage.outputs.webpage.save_map` (self-contained, offline).
    """
    t = site_text(lang)
    base = basemap_from_spec(basemap)
    shift = display_shift(base)
    sites = result.sites
    stations = result.stations
    lon = np.concatenate(
        [sites["lon"].to_numpy(float)]
        + ([stations.geometry.x.to_numpy()] if stations is not None else [])
    )
    lat = np.concatenate(
        [sites["lat"].to_numpy(float)]
        + ([stations.geometry.y.to_numpy()] if stations is not None else [])
    )
    for frame in result.units.values():
        x0, y0, x1, y1 = frame.total_bounds
        lon, lat = np.append(lon, [x0, x1]), np.append(lat, [y0, y1])
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = shift(lon[ok], lat[ok]) if ok.any() else (np.array([0.0]), np.array([0.0]))
    fmap = offline_map(location=[float(np.median(lat)), float(np.median(lon))], tiles=None)
    for layer in tile_layers(base, lang=lang, tianditu_key=tianditu_key):
        folium.TileLayer(
            tiles=layer["url"], attr=escape(layer["attr"]), name=escape(layer["name"]),
            subdomains=layer["subdomains"], max_zoom=layer["max_zoom"],
            overlay=layer.get("overlay", False), control=layer.get("overlay", False),
        ).add_to(fmap)  # fmt: skip
    fmap.fit_bounds([[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]])
    finest = list(result.units)[-1] if result.units else None
    for level, frame in result.units.items():
        fill = level == finest
        shown = shift_geoms(frame, shift).copy()
        shown["state"] = _unit_state(frame)
        shown["label"] = [
            escape(f"{u}: {t['state_' + s]}" + (f" ({t['by_site']} {r})" if r else ""))
            for u, s, r in zip(shown["unit"], shown["state"], shown["brought_by"], strict=True)
        ]
        group = folium.FeatureGroup(
            name=escape(t["units_layer"].format(level=level_name(level, lang)))
        )
        folium.GeoJson(
            shown[["label", "state", "geometry"]].to_json(drop_id=True),
            style_function=lambda f, fill=fill: {
                "fillColor": UNIT_COLOURS[f["properties"]["state"]],
                "color": "#636363" if fill else "#000000",
                "weight": 1 if fill else 2.5,
                "fillOpacity": 0.8 if fill else 0.0,
            },
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(group)
        group.add_to(fmap)
    if stations is not None and len(stations):
        group = folium.FeatureGroup(name=escape(t["stations_layer"]))
        sx, sy = shift(stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy())
        for x, y, name, tier, open_ in zip(
            sx, sy, stations["name"], stations["tier"], stations["open"], strict=True
        ):
            folium.CircleMarker(
                [float(y), float(x)], radius=4, color=_STATION_COLOUR, weight=1,
                fill=True, fill_color=_STATION_COLOUR if open_ else "#ffffff", fill_opacity=0.9,
                tooltip=escape(f"{name} ({tier})" + ("" if open_ else f" – {t['closed']}")),
            ).add_to(group)  # fmt: skip
        group.add_to(fmap)
    group = folium.FeatureGroup(name=escape(t["sites_layer"]))
    px, py = shift(sites["lon"].to_numpy(float), sites["lat"].to_numpy(float))
    for x, y, row in zip(px, py, sites.itertuples(index=False), strict=True):
        text = t["site_tip"].format(
            rank=row.rank, name=row.name, people=row.newly_covered_population,
            units=getattr(row, "units_over_line", 0),
        )  # fmt: skip
        folium.Marker(
            [float(y), float(x)], icon=_site_icon(int(row.rank)), tooltip=escape(text)
        ).add_to(group)
    group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    MapScript(escape(label(lang, "roads_credit"))).add_to(fmap)  # credits, tile notice
    root = fmap.get_root()
    root.html.add_child(Verbatim(_legend(result, lang)))  # type: ignore[attr-defined]
    root.html.add_child(Verbatim(tile_notice(lang)))  # type: ignore[attr-defined]
    return fmap


def _legend(result: SitingResult, lang: str) -> str:
    t = site_text(lang)
    s = result.summary
    rows = [
        f"<b>{escape(t['title'].format(name=result.name))}</b>",
        escape(
            t["headline"].format(
                sites=s["sites_added"], before=s["before"]["coverage_share"],
                after=s["after"]["coverage_share"], minutes=s["minutes"],
            )
        ),
    ]  # fmt: skip
    for level, u in s.get("units", {}).items():
        rows.append(
            escape(
                t["units_line"].format(
                    level=level_name(level, lang), before=u["units_covered_before"],
                    after=u["units_covered_after"], total=u["units_populated"],
                )
            )
        )  # fmt: skip
    swatch = (
        "<span style='display:inline-block;width:12px;height:12px;margin-right:4px;"
        "border:1px solid #636363;background:{}'></span>"
    )
    keys = [
        swatch.format(UNIT_COLOURS["brought"]) + escape(t["state_brought"]),
        swatch.format(UNIT_COLOURS["before"]) + escape(t["state_before"]),
        swatch.format(UNIT_COLOURS["not"]) + escape(t["state_not"]),
        f"<span style='color:{SITE_COLOUR}'>&#9679;</span> " + escape(t["sites_layer"]),
        f"<span style='color:{_STATION_COLOUR}'>&#9679;</span> " + escape(t["stations_layer"]),
    ]
    return (
        "<div id='coverage15-legend' style='position:fixed;bottom:24px;left:10px;z-index:9999;"
        "background:rgba(255,255,255,.92);padding:8px 10px;font:12px/1.5 sans-serif;"
        "border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:360px'>"
        + "<br>".join(rows + keys)
        + "</div>"
    )


def sites_figure(result: SitingResult, *, lang: str = "en", dpi: float = 150) -> Any:
    """A print map of a siting (matplotlib figure, A4 landscape, metric CRS).

    Parameters
    ----------
    result : SitingResult
        The siting.
    lang : {"en", "zh"}
        Language of the labels.
    dpi : float
        Resolution.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with figure_fonts():
        return _sites_figure(result, lang, dpi)


def _sites_figure(result: SitingResult, lang: str, dpi: float) -> Any:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    t = site_text(lang)
    sites = result.sites
    lon0 = float(np.nanmean(sites["lon"])) if len(sites) else 0.0
    lat0 = float(np.nanmean(sites["lat"])) if len(sites) else 0.0
    if result.units:
        first = next(iter(result.units.values()))
        c = first.geometry.union_all().centroid
        lon0, lat0 = float(c.x), float(c.y)
    crs = local_metric_crs(lon0, lat0)
    fig, ax = page_figure(dpi, width=11.69)
    levels = list(result.units.items())
    for k, (_level, frame) in enumerate(levels):
        shown = frame.to_crs(crs)
        fine = k == len(levels) - 1
        colours = [UNIT_COLOURS[s] for s in _unit_state(frame)]
        shown.plot(
            ax=ax, color=colours if fine else "none", edgecolor="#636363" if fine else "#000000",
            linewidth=0.4 if fine else 1.4, zorder=2 if fine else 4,
        )  # fmt: skip
    if result.stations is not None and len(result.stations):
        st = result.stations.to_crs(crs)
        ax.scatter(st.geometry.x, st.geometry.y, s=10, c=_STATION_COLOUR, zorder=5, linewidths=0)
    pts = sites.to_crs(crs)
    ax.scatter(pts.geometry.x, pts.geometry.y, s=150, c=SITE_COLOUR, edgecolors="white",
               linewidths=1.2, zorder=6)  # fmt: skip
    for x, y, rank in zip(pts.geometry.x, pts.geometry.y, sites["rank"], strict=True):
        ax.text(x, y, str(rank), color="white", ha="center", va="center", fontsize=7,
                zorder=7)  # fmt: skip
    if result.units or len(sites):
        ax.set_aspect("equal")
        ax.autoscale()
    scale_bar(ax, lang)
    north_arrow(ax, lang)
    s = result.summary
    ax.set_title(
        drawable(t["title"].format(name=result.name), result.name), fontsize=13, loc="left"
    )
    handles = [
        Patch(facecolor=UNIT_COLOURS["brought"], edgecolor="#636363", label=t["state_brought"]),
        Patch(facecolor=UNIT_COLOURS["before"], edgecolor="#636363", label=t["state_before"]),
        Patch(facecolor=UNIT_COLOURS["not"], edgecolor="#636363", label=t["state_not"]),
        Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=SITE_COLOUR,
               markeredgecolor="white", label=t["sites_layer"]),
        Line2D([], [], marker="o", linestyle="", markersize=4, markerfacecolor=_STATION_COLOUR,
               markeredgecolor=_STATION_COLOUR, label=t["stations_layer"]),
    ]  # fmt: skip
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.66, 0.93), fontsize=8,
               frameon=False)  # fmt: skip
    _site_list(fig, result, lang)
    lines = [
        t["headline"].format(
            sites=s["sites_added"], before=s["before"]["coverage_share"],
            after=s["after"]["coverage_share"], minutes=s["minutes"],
        )
    ] + [
        t["units_line"].format(level=level_name(level, lang), before=u["units_covered_before"],
                               after=u["units_covered_after"], total=u["units_populated"])
        for level, u in s.get("units", {}).items()
    ]  # fmt: skip
    fig.text(0.02, 0.03, drawable("\n".join(lines), ""), fontsize=9, va="bottom")
    return fig


def _site_list(fig: Any, result: SitingResult, lang: str, rows: int = 28) -> None:
    """The numbered sites beside the print map: name, unit, residents and units added."""
    t = site_text(lang)
    sites = result.sites
    levels = list(result.units)
    lines = []
    for row in sites.head(rows).itertuples(index=False):
        where = str(getattr(row, levels[-1], "")) if levels else ""
        units = int(getattr(row, "units_over_line", 0))
        name = str(row.name)
        name = name if len(name) <= 28 else name[:27] + "…"
        what = t["list_line"].format(people=row.newly_covered_population, units=units)
        lines.append(f"{row.rank:>2}. {name}" + (f" [{where}]" if where else "") + f"  {what}")
    if len(sites) > rows:
        lines.append("…")
    fig.text(0.66, 0.70, drawable(t["sites"], "Proposed sites"), fontsize=11,
             va="top")  # fmt: skip
    fig.text(0.66, 0.67, drawable("\n".join(lines), ""), fontsize=7.5, va="top", linespacing=1.5)


def write_site_maps(
    result: SitingResult,
    folder: str | os.PathLike[str],
    *,
    lang: str = "en",
    basemap: str | Mapping[str, Any] = "osm",
    tianditu_key: str | None = None,
) -> dict[str, Path]:
    """Write ``sites.html`` and ``sites.png`` into ``folder``."""
    out = Path(folder)
    page = save_map(
        sites_map(result, basemap=basemap, lang=lang, tianditu_key=tianditu_key),
        out / "sites.html",
    )
    png = save_figure(sites_figure(result, lang=lang), out / "sites.png")
    return {"sites_html": page, "sites_png": png}
