"""Static maps for print (matplotlib): travel times, gaps, units, stations.

Drawn in the result's metric CRS (so the scale bar is true to scale), with a legend,
a scale bar and a north arrow, and no internet tiles. ``map.png`` shows the
travel-time surface, the headline isochrone, the gap areas and the stations;
one map per unit level shows each unit's covered share.

Chinese labels need a CJK font; when none is installed, the labels fall back to
English with a warning (names from the inputs are then left off the maps).
"""

from __future__ import annotations

import os
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .labels import label, tier_label
from .maps import credits_text, reproject_surface
from .products import Products, make_products
from .style import (
    MINUTES_CMAP,
    MPL_MARKERS,
    NO_DATA_COLOUR,
    SHARE_BINS,
    SHARE_COLOURS,
    share_colour,
    tier_styles,
)
from .writers import atomic_path

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..results import CoverageResult

__all__ = ["level_map_figure", "map_figure", "save_figure", "static_maps"]

_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "STHeiti",
    "Arial Unicode MS",
)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first installed font that draws Chinese, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FONTS if name in installed), None)


@lru_cache(maxsize=1)
def _plain_glyphs() -> frozenset[int]:
    """Code points the default font (DejaVu Sans) can draw."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(font_manager.findfont("DejaVu Sans")).get_charmap())


def drawable(text: str, fallback: str = "") -> str:
    """``text`` if the installed fonts can draw it, else ``fallback``.

    Names from the inputs are often Chinese; without a Chinese font matplotlib would
    draw empty boxes, so such a text is replaced (e.g. a title without the region name).

    Examples
    --------
    >>> drawable("Comoros")
    'Comoros'
    """
    if cjk_font() is not None:
        return text
    glyphs = _plain_glyphs()
    return text if all(ord(c) in glyphs or c in "\n\t" for c in text) else fallback


def _text_lang(lang: str) -> str:
    if lang == "zh" and cjk_font() is None:
        warnings.warn(
            "no Chinese font is installed for the static maps (e.g. Noto Sans CJK SC or "
            "WenQuanYi Micro Hei); their labels are in English",
            stacklevel=3,
        )
        return "en"
    return lang


def _nice_length(width_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 x 10^k m) near a fifth of the map width."""
    target = max(width_m / 5.0, 1.0)
    power = 10 ** np.floor(np.log10(target))
    return float(max(s * power for s in (1, 2, 5) if s * power <= target))


def _scale_bar(ax: Axes, lang: str) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    left, bottom = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    height = 0.012 * (y1 - y0)
    from matplotlib.patches import Rectangle

    for i in range(2):
        ax.add_patch(
            Rectangle(
                (left + i * length / 2, bottom),
                length / 2,
                height,
                facecolor="black" if i == 0 else "white",
                edgecolor="black",
                linewidth=0.8,
                zorder=10,
            )
        )
    text = (
        label(lang, "scale_km", km=length / 1000)
        if length >= 1000
        else label(lang, "scale", metres=length)
    )
    ax.text(
        left + length / 2,
        bottom + 1.8 * height,
        text,
        ha="center",
        va="bottom",
        fontsize=8,
        zorder=10,
    )


def _north_arrow(ax: Axes, lang: str) -> None:
    ax.annotate(
        label(lang, "north"),
        xy=(0.95, 0.95),
        xytext=(0.95, 0.85),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=11,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 11, "headlength": 9},
        zorder=10,
    )


def _figure(dpi: float) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.27, 8.27), dpi=dpi)  # A4 width
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig, ax


def _font_kwargs() -> dict[str, Any]:
    font = cjk_font()
    return {} if font is None else {"fontfamily": [font, "DejaVu Sans"]}


def _extent(result: CoverageResult) -> tuple[float, float, float, float]:
    """Bounds (metric CRS) of the populated places and the stations, padded by 3 %.

    The network is left out: an OSM extract often reaches far beyond the study area.
    """
    from ..inputs.crs import transform_xy

    crs = result.network.crs
    people = result.demand.population > 0
    x, y = transform_xy(result.demand.x[people], result.demand.y[people], result.demand.crs, crs)
    pts = result.stations.to_crs(crs).geometry
    xs = np.concatenate([x, pts.x.to_numpy()])
    ys = np.concatenate([y, pts.y.to_numpy()])
    if xs.size == 0:
        xs, ys = result.network.x, result.network.y
    cell = 0.0
    if result.demand.grid is not None:
        cell = float(abs(result.demand.grid.transform.a))
        if result.demand.grid.crs.is_geographic:
            cell *= 111_320.0
    pad = 0.03 * max(np.ptp(xs), np.ptp(ys), 1.0) + cell
    return xs.min() - pad, xs.max() + pad, ys.min() - pad, ys.max() + pad


def _stations(ax: Axes, result: CoverageResult, lang: str, *, edge: str = "white") -> list:
    from matplotlib.lines import Line2D

    crs = result.network.crs
    pts = result.stations.to_crs(crs).geometry
    tiers = result.stations["tier"].astype(str).to_numpy()
    handles: list = []
    for tier, (colour, shape) in tier_styles(tiers).items():
        mine = tiers == tier
        marker = MPL_MARKERS[shape]
        size = 80 if shape == "star" else 40
        ax.scatter(
            pts.x.to_numpy()[mine],
            pts.y.to_numpy()[mine],
            s=size,
            c=colour,
            marker=marker,
            edgecolors=edge,
            linewidths=0.8,
            zorder=6,
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=marker,
                color=colour,
                markeredgecolor=edge,
                markersize=8,
                label=drawable(tier_label(lang, tier), f"tier {len(handles) + 1}")
                or label(lang, "station"),
            )
        )
    return handles


def _roads(ax: Axes, result: CoverageResult) -> None:
    from matplotlib.collections import LineCollection

    net = result.network
    segs = np.stack(
        [
            np.column_stack([net.x[net.edge_u], net.y[net.edge_u]]),
            np.column_stack([net.x[net.edge_v], net.y[net.edge_v]]),
        ],
        axis=1,
    )
    ax.add_collection(LineCollection(list(segs), colors="#b0b0b0", linewidths=0.3, zorder=1))


def _finish(
    ax: Axes, fig: Figure, result: CoverageResult, lang: str, handles: list, title: str
) -> None:
    x0, x1, y0, y1 = _extent(result)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    _scale_bar(ax, lang)
    _north_arrow(ax, lang)
    fk = _font_kwargs()
    ax.set_title(drawable(title), fontsize=12, **fk)  # type: ignore[arg-type]
    legend = ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.01),
        ncol=min(4, max(1, len(handles))),
        fontsize=7,
        framealpha=0.9,
        prop={"family": fk["fontfamily"], "size": 7} if fk else None,
    )
    legend.set_zorder(12)
    credit = drawable(credits_text(result, lang), label(lang, "roads_credit"))
    fig.text(0.01, 0.005, credit, fontsize=6, color="#555555", **fk)
    fig.tight_layout()


def map_figure(
    result: CoverageResult,
    *,
    lang: str = "en",
    dpi: float = 150,
    products: Products | None = None,
) -> Figure:
    """The overview map: travel times, headline isochrone, gap areas and stations.

    Parameters
    ----------
    result : CoverageResult
        The result to draw.
    lang : {"en", "zh"}
        Language of the labels.
    dpi : float
        Resolution; the figure is A4-wide (8.27 in) and square.
    products : Products, optional
        The result's surfaces and isochrones, computed once
        (:func:`~coverage.outputs.products.make_products`; default: computed here).

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot (no global state); save it with :func:`save_figure`.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    lang = _text_lang(lang)
    fig, ax = _figure(dpi)
    headline = float(result.summary["minutes"])
    vmax = 2 * headline
    _roads(ax, result)
    handles: list = []
    products = products or make_products(result)
    grid = result.demand.grid
    if grid is not None and products.minutes_grid is not None:
        surface = products.minutes_grid
        surface_m, extent = reproject_surface(surface, grid, result.network.crs)
        image = ax.imshow(
            np.ma.masked_invalid(surface_m),
            extent=extent,
            origin="upper",
            cmap=MINUTES_CMAP,
            vmin=0,
            vmax=vmax,
            alpha=0.75,
            interpolation="nearest",
            zorder=2,
        )
        bar = fig.colorbar(image, ax=ax, shrink=0.6, pad=0.01, extend="max")
        bar.set_label(label(lang, "minutes_legend"), **_font_kwargs())  # type: ignore[arg-type]
        iso = products.isochrones
        iso = iso[(iso["minutes"] == headline) & iso.geometry.notna()]
        iso = iso.set_crs(iso.crs or grid.crs).to_crs(result.network.crs)
        if not iso.empty:
            iso.boundary.plot(ax=ax, color="#08519c", linewidth=1.2, zorder=4)
            handles.append(
                Line2D([], [], color="#08519c", label=label(lang, "within", minutes=headline))
            )
    gaps = getattr(result, "gaps", None)
    if gaps is not None and len(gaps):
        gaps.to_crs(result.network.crs).plot(
            ax=ax, facecolor="none", edgecolor="#67000d", hatch="////", linewidth=0.8, zorder=5
        )
        handles.append(
            Patch(facecolor="none", edgecolor="#67000d", hatch="////", label=label(lang, "gaps"))
        )
    for polygons in result.unit_polygons.values():
        polygons.to_crs(result.network.crs).boundary.plot(
            ax=ax, color="#333333", linewidth=0.6, zorder=3
        )
    handles += _stations(ax, result, lang)
    _finish(
        ax,
        fig,
        result,
        lang,
        handles,
        label(lang, "title", minutes=headline, name=drawable(result.name)),
    )
    return fig


def level_map_figure(
    result: CoverageResult, level: str, *, lang: str = "en", dpi: float = 150
) -> Figure:
    """A choropleth of one unit level's covered share, with the stations.

    Parameters
    ----------
    result : CoverageResult
        A result with units.
    level : str
        The unit level (a key of ``result.units``).
    lang : {"en", "zh"}
        Language of the labels.
    dpi : float
        Resolution; the figure is A4-wide (8.27 in) and square.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import Patch

    lang = _text_lang(lang)
    fig, ax = _figure(dpi)
    headline = float(result.summary["minutes"])
    _roads(ax, result)
    polygons = result.unit_polygons[level].to_crs(result.network.crs)
    share = result.units[level]["coverage_share"].to_numpy(dtype=float)
    polygons.plot(
        ax=ax,
        color=[share_colour(s) for s in share],
        edgecolor="#333333",
        linewidth=0.7,
        alpha=0.8,
        zorder=2,
    )
    names = [drawable(str(u)) for u in result.units[level]["unit"]]
    points = polygons.geometry.representative_point()
    for name, pt, s in zip(names, points, share, strict=True):
        text = name if not np.isfinite(s) else f"{name}\n{s:.0%}".strip()
        if text:
            ax.text(
                pt.x, pt.y, text, ha="center", va="center", fontsize=6, zorder=7, **_font_kwargs()
            )  # type: ignore[arg-type]
    edges = [*SHARE_BINS, 1.0]
    handles: list = [
        Patch(color=c, label=f"{edges[i]:.0%}–{edges[i + 1]:.0%}")
        for i, c in enumerate(SHARE_COLOURS)
    ]
    handles.append(Patch(color=NO_DATA_COLOUR, label="-"))
    handles += _stations(ax, result, lang, edge="#222222")  # on coloured units
    title = (
        label(lang, "title", minutes=headline, name=drawable(result.name))
        + " · "
        + label(lang, "covered_share", minutes=headline)
        + f" ({tier_label(lang, level)})"
    )
    _finish(ax, fig, result, lang, handles, title)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write a figure as a PNG, atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=fig.dpi)
    return Path(path)


def static_maps(
    result: CoverageResult,
    folder: str | os.PathLike[str],
    *,
    lang: str = "en",
    dpi: float = 150,
    products: Products | None = None,
) -> dict[str, Path]:
    """Write ``map.png`` and ``map_<level>.png`` for each unit level into ``folder``.

    Parameters
    ----------
    result : CoverageResult
        The result to draw.
    folder : path-like
        Output folder.
    lang : {"en", "zh"}
        Language of the labels.
    dpi : float
        Resolution (150: 1240 px, sharp on A4).
    products : Products, optional
        The result's surfaces and isochrones, computed once.

    Returns
    -------
    dict
        ``"map_png"`` and ``"map_<level>_png"`` -> path.
    """
    out = Path(folder)
    fig = map_figure(result, lang=lang, dpi=dpi, products=products)
    paths = {"map_png": save_figure(fig, out / "map.png")}
    for level in result.unit_polygons:
        if level in result.units:
            fig = level_map_figure(result, level, lang=lang, dpi=dpi)
            paths[f"map_{level}_png"] = save_figure(fig, out / f"map_{level}.png")
    return paths
