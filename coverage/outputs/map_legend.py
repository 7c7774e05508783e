"""The legend, title and notices of the interactive map (HTML boxes over the map)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .labels import label, tier_label
from .style import SHARE_BINS, SHARE_COLOURS, TimeClasses
from .webpage import escape

__all__ = [
    "ISO_COLOURS",
    "THRESHOLD_COLOUR",
    "legend_html",
    "shape_svg",
    "tile_notice",
    "title_html",
]

#: Outline colour of each isochrone, the largest first.
ISO_COLOURS = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef")
#: Line colour of the headline threshold's boundary.
THRESHOLD_COLOUR = "#111111"
#: Outline colour of the gap areas.
GAP_COLOUR = "#b2182b"

_BOX = (
    "background:rgba(255,255,255,.93);border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);"
    "font:12px/1.4 sans-serif"
)
#: Fonts of the boxes over the map (in a style sheet: the names need quotes).
FONT_CSS = (
    "<style>#coverage15-legend,#coverage15-title,#coverage15-tile-notice,"
    ".leaflet-control-layers,.leaflet-tooltip,.leaflet-popup-content{font-family:"
    "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif}"
    ".leaflet-div-icon.coverage15-station{background:none;border:none}</style>"
)


def _swatch(style: str) -> str:
    return (
        f"<span style='display:inline-block;width:14px;height:10px;margin-right:5px;"
        f"vertical-align:middle;{style}'></span>"
    )


def shape_svg(shape: str, colour: str, size: int) -> str:
    """An SVG marker of a tier shape, white-edged so it reads on any background."""
    c = size / 2
    r = size / 2 - 1.5
    if shape == "circle":
        body = f"<circle cx='{c}' cy='{c}' r='{r}'/>"
    elif shape == "square":
        body = f"<rect x='2' y='2' width='{size - 4}' height='{size - 4}'/>"
    else:
        n, start, inner = {
            "triangle": (3, -90, None),
            "triangle-down": (3, 90, None),
            "diamond": (4, -90, None),
            "hexagon": (6, 0, None),
            "star": (5, -90, 0.45),
        }[shape]
        pts = []
        for i in range(n * (2 if inner else 1)):
            radius = r * (inner if inner and i % 2 else 1.0)
            angle = np.radians(start + i * 360.0 / (n * (2 if inner else 1)))
            pts.append(f"{c + radius * np.cos(angle):.1f},{c + radius * np.sin(angle):.1f}")
        body = f"<polygon points='{' '.join(pts)}'/>"
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{size}' height='{size}' "
        f"style='display:block'><g fill='{colour}' stroke='#ffffff' stroke-width='1.5'>"
        f"{body}</g></svg>"
    )


def legend_html(
    classes: TimeClasses | None,
    styles: Mapping[str, tuple[str, str]],
    thresholds: Sequence[float],
    lang: str,
    *,
    choropleth: bool,
    gaps: bool,
    note: str | None,
    headline: float,
) -> str:
    """The legend box: time classes and the threshold, isochrones, unit shares, gaps, tiers.

    Parameters
    ----------
    classes : TimeClasses or None
        The classes the surface is drawn in (None: no surface).
    styles : mapping
        Tier -> (colour, shape) of the station markers.
    thresholds : sequence of float
        Every threshold (one isochrone each).
    lang : {"en", "zh"}
        Language.
    choropleth, gaps : bool
        Whether unit choropleths and gap areas are on the map.
    note : str, optional
        A line under the legend (e.g. what the no-tile background shows).
    headline : float
        The headline threshold in minutes.

    Returns
    -------
    str
        One ``<div id='coverage15-legend'>``.
    """
    rows = []
    if classes is not None:
        rows.append(f"<b>{escape(label(lang, 'minutes_legend'))}</b>")
        line = _swatch(f"border-top:3px solid {THRESHOLD_COLOUR};height:0")
        pairs = zip(classes.palette(), classes.labels(lang), strict=True)
        for i, (colour, text) in enumerate(pairs):
            swatch = _swatch("background:" + colour)
            rows.append(f"<div class='coverage15-class'>{swatch}{escape(text)}</div>")
            if i == classes.threshold_index:
                text = classes.threshold_label(lang)
                rows.append(f"<div class='coverage15-threshold'>{line}{escape(text)}</div>")
    iso = []
    for i, minutes in enumerate(sorted(thresholds, reverse=True)):
        colour = ISO_COLOURS[min(i, len(ISO_COLOURS) - 1)]
        swatch = _swatch(f"border:2px solid {colour};height:6px;width:10px")
        iso.append(f"<div>{swatch}{escape(label(lang, 'within', minutes=minutes))}</div>")
    if iso:
        rows.append(f"<div style='margin-top:4px'><b>{escape(label(lang, 'isochrones'))}</b></div>")
        rows += iso
    if choropleth:
        share_title = label(lang, "covered_share", minutes=headline)
        edges = [*SHARE_BINS, 1.0]
        cells = "".join(
            f"<span title='{edges[i]:.0%}–{edges[i + 1]:.0%}' style='display:inline-block;"
            f"width:36px;height:10px;background:{c}'></span>"
            for i, c in enumerate(SHARE_COLOURS)
        )
        ticks = "".join(f"<span style='width:36px'>{e:.0%}</span>" for e in edges[:-1])
        rows.append(
            f"<div style='margin-top:4px'><b>{escape(share_title)}</b>"
            f"</div><div>{cells}</div><div style='display:flex;font-size:10px'>{ticks}</div>"
        )
    if gaps:
        swatch = _swatch(f"border:2px dashed {GAP_COLOUR};height:6px;width:10px")
        rows.append(f"<div style='margin-top:4px'>{swatch}{escape(label(lang, 'gaps'))}</div>")
    rows.append(f"<div style='margin-top:4px'><b>{escape(label(lang, 'stations_heading'))}</b>")
    for tier, (colour, shape) in styles.items():
        rows.append(
            f"<div style='display:flex;align-items:center;gap:4px'>{shape_svg(shape, colour, 14)}"
            f"{escape(tier_label(lang, tier) or label(lang, 'station'))}</div>"
        )
    rows.append("</div>")
    if note:
        rows.append(f"<div style='margin-top:4px;color:#555;max-width:200px'>{escape(note)}</div>")
    return (
        "<div id='coverage15-legend' style='position:fixed;bottom:30px;left:10px;z-index:9999;"
        f"padding:8px 10px;max-height:70vh;overflow:auto;{_BOX}'>" + "".join(rows) + "</div>"
    )


def title_html(title: str, subtitle: str = "") -> str:
    """The title box at the top of the map: place, mode and threshold (and a second line)."""
    sub = f"<div style='font-size:12px;color:#444'>{escape(subtitle)}</div>" if subtitle else ""
    return (
        "<div id='coverage15-title' style='position:fixed;top:10px;left:60px;z-index:9999;"
        f"padding:6px 12px;max-width:60vw;{_BOX}'><div style='font-size:16px;font-weight:bold'>"
        f"{escape(title)}</div>{sub}</div>"
    )


def tile_notice(lang: str) -> str:
    """The notice shown (by the page's script) when basemap tiles fail to load."""
    return (
        "<div id='coverage15-tile-notice' style='display:none;position:fixed;bottom:28px;"
        "left:50%;transform:translateX(-50%);z-index:9999;background:rgba(255,255,255,.9);"
        "color:#444;font:12px sans-serif;padding:3px 8px;border-radius:3px;"
        f"box-shadow:0 1px 3px rgba(0,0,0,.25)'>{escape(label(lang, 'tiles_failed'))}</div>"
    )
