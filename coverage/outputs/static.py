"""Static maps for print (matplotlib): travel times, gaps, units, stations.

Drawn in the result's metric CRS (so the scale bar is true to scale), with a legend,
a scale bar and a north arrow, and no internet tiles. ``map.png`` shows the
travel-time classes of :func:`coverage.outputs.style.time_classes` (a raster surface,
or proportional symbols for a population given as points), the headline isochrone,
the gap areas (outlined) and the stations; one map per unit level shows each unit's
covered share, with the unit names that fit and numbers keyed to a table for the rest.

Every text is drawn in the Chinese font of :mod:`coverage.outputs.fonts` (bundled, or
a system font when present), and the roads as one image
(:mod:`coverage.outputs.rasterize`), so a map of a million road segments takes a
second, not a minute.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .fonts import drawable, figure_fonts
from .labels import label, tier_label
from .map_furniture import (
    GAP_COLOUR,
    ISO_COLOUR,
    ISO_HALO,
    class_handles,
    key_table,
    legends,
    north_arrow,
    round_values,
    scale_bar,
    station_boxes,
    station_markers,
)
from .maps import credits_text
from .mpl_paths import fill, outline
from .page_classes import classes_on_page, populated_box, threshold_line
from .placement import place_labels
from .png import encode_png
from .rasterize import indexed_over, network_pixels, pixel_image
from .style import (
    NO_DATA_COLOUR,
    SHARE_BINS,
    SHARE_COLOURS,
    TimeClasses,
    map_title,
    share_colour,
    time_classes,
)
from .writers import atomic_path

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..results import CoverageResult

__all__ = [
    "level_map_figure",
    "map_figure",
    "page_figure",
    "prepare_drawing",
    "save_figure",
    "static_maps",
]

_A4 = 8.27  # inches, the width of A4 portrait
_ROAD_RGB = (0.25, 0.25, 0.25)


@lru_cache(maxsize=1)
def prepare_drawing() -> None:
    """Load what drawing a map needs into this process, once: matplotlib's figure and
    Agg renderer, the fonts and their glyph tables.

    The first map of a process pays for it (about a third of a second); a child
    forked to draw (:func:`coverage.outputs.presentation.printing`) starts from its
    parent's memory, so a parent that has prepared hands every child a warm start.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with figure_fonts():  # a thumbnail with text in both fonts loads them for the renderer
        fig, ax = page_figure(dpi=10)
        ax.set_title(drawable("步行 15 min"), fontsize=12)
        fig.text(0.0, 0.0, "0123456789 %", fontsize=6)
        FigureCanvasAgg(fig).draw()


def page_figure(dpi: float, width: float = _A4) -> tuple[Figure, Axes]:
    """An A4-high page with one map axes (no frame) and room for legends below.

    Parameters
    ----------
    dpi : float
        Resolution of the saved image.
    width : float
        Page width in inches (A4 portrait by default; wider pages keep the map's
        width and add room on the right for a key).

    Returns
    -------
    (matplotlib.figure.Figure, matplotlib.axes.Axes)
        Not attached to pyplot; save it with :func:`save_figure`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, _A4), dpi=dpi)
    FigureCanvasAgg(fig)  # labels are measured before saving
    ax = fig.add_axes((0.02, 0.15, 0.96 * _A4 / width, 0.78))
    ax.set_axis_off()
    return fig, ax


def _extent(result: CoverageResult) -> tuple[float, float, float, float]:
    """Bounds (metric CRS) of the populated places and the stations, padded by 3 %.

    The network is left out: an OSM extract often reaches far beyond the study area.
    For a raster, the box of its populated cells is projected (:func:`populated_box`).
    """
    from ..inputs.crs import transform_xy

    crs = result.network.crs
    box = populated_box(result)
    if box is not None:
        x, y = np.array(box[:2]), np.array(box[2:])
    else:
        people = result.demand.population > 0
        x, y = transform_xy(
            result.demand.x[people], result.demand.y[people], result.demand.crs, crs
        )
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


def _figure_inches(ax: Axes) -> tuple[float, float]:
    w, h = ax.figure.get_size_inches()  # type: ignore[union-attr]
    return float(w), float(h)


def _frame(ax: Axes, result: CoverageResult) -> None:
    """Set the map's limits: true to scale, the shorter side grown to fill the frame."""
    x0, x1, y0, y1 = _extent(result)
    pos = ax.get_position()
    fig_w, fig_h = _figure_inches(ax)
    box = (pos.height * fig_h) / (pos.width * fig_w)
    cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
    w, h = max(w, h / box), max(h, w * box)
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    ax.set_aspect("equal", adjustable="box")


def _pixels(ax: Axes, dpi: float) -> tuple[tuple[float, float, float, float], tuple[int, int]]:
    """The axes' view ``(left, right, bottom, top)`` and its size in pixels at ``dpi``."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width_px = max(round(ax.get_position().width * _figure_inches(ax)[0] * dpi), 16)
    height_px = max(round(width_px * (y1 - y0) / (x1 - x0)), 16)
    return (x0, x1, y0, y1), (height_px, width_px)


class RoadImages(dict[Any, np.ndarray]):
    """The roads of a result's maps per frame and size, drawn once for all its figures.

    With ``cache_dir`` they are also kept there for the next run
    (:func:`~coverage.outputs.rasterize.network_pixels`).
    """

    def __init__(self, cache_dir: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        self.cache_dir = cache_dir


def _road_pixels(
    ax: Axes, result: CoverageResult, dpi: float, images: dict[Any, np.ndarray] | None
) -> np.ndarray:
    """Which pixels of the map's frame a road crosses (boolean, row 0 at the top).

    ``images`` keeps them per frame and size, for the next figure of the result.
    """
    net = result.network
    bounds, shape = _pixels(ax, dpi)
    key = (*bounds, *shape)
    hit = None if images is None else images.get(key)
    if hit is None:
        cache_dir = getattr(images, "cache_dir", None)
        hit = network_pixels(
            net.x, net.y, net.edge_u, net.edge_v, bounds, shape, cache_dir=cache_dir
        )
        if images is not None:
            images[key] = hit
    return hit


def _road_rgba() -> np.ndarray:
    """The streets' colour: grey at 30 % opacity (RGBA uint8)."""
    return np.array([*np.round(np.array(_ROAD_RGB) * 255), round(0.3 * 255)], dtype=np.uint8)


def _roads(
    ax: Axes, result: CoverageResult, dpi: float, images: dict[Any, np.ndarray] | None
) -> np.ndarray:
    """Road pixels over the map's frame (RGBA uint8, grey where a road passes)."""
    hit = _road_pixels(ax, result, dpi, images)
    return hit[..., None] * _road_rgba()  # 0 or the colour: twice as fast as np.where


def _points(ax: Axes, result: CoverageResult, classes: TimeClasses, lang: str) -> list:
    """Population points as circles of area proportional to their residents."""
    from matplotlib.lines import Line2D

    from ..inputs.crs import transform_xy

    d = result.demand
    pop = np.asarray(d.population, dtype=float)
    people = pop > 0
    x, y = transform_xy(d.x[people], d.y[people], d.crs, result.network.crs)
    pop = pop[people]
    biggest = float(pop.max()) if pop.size else 1.0

    def area(p: np.ndarray | float) -> np.ndarray:  # points^2, growing with the residents
        return 4.0 + 140.0 * np.asarray(p, dtype=float) / biggest

    order = np.argsort(-pop, kind="stable")  # small circles on top of large ones
    ax.scatter(
        x[order],
        y[order],
        s=area(pop[order]),
        c=classes.rgba(result.point_minutes[people][order]),
        edgecolors="#333333",
        linewidths=0.2,
        zorder=3,
    )
    unit = " 人" if lang == "zh" else " residents"
    return [
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            markerfacecolor="white",
            markeredgecolor="#333333",
            markersize=float(np.sqrt(area(k))),
            label=f"{k:,.0f}{unit}",
        )
        for k in round_values(biggest)
    ]


def _finish(fig: Figure, ax: Axes, result: CoverageResult, lang: str) -> None:
    scale_bar(ax, lang)
    north_arrow(ax, lang)
    credit = drawable(credits_text(result, lang), label(lang, "roads_credit"))
    fig.text(0.01, 0.005, credit, fontsize=6, color="#555555")


def _title(result: CoverageResult, lang: str) -> str:
    mode = str(result.summary.get("mode", result.network.mode))
    name = drawable(str(result.name))
    return map_title(lang, place=name, mode=mode, minutes=float(result.summary["minutes"]))


def _isochrone(
    result: CoverageResult, surface: np.ndarray | None, isochrones: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame | None:
    """The headline isochrone: the one handed in, else traced as every output traces it."""
    headline = float(result.summary["minutes"])
    if isochrones is None:  # the one rule every output shares
        from .products import make_products

        isochrones = make_products(result).isochrones
        if isochrones.crs is None:
            return None
    if "minutes" in isochrones.columns:
        isochrones = isochrones[np.isclose(isochrones["minutes"].astype(float), headline)]
    return isochrones[isochrones.geometry.notna() & ~isochrones.geometry.is_empty]


def map_figure(
    result: CoverageResult,
    *,
    lang: str = "en",
    dpi: float = 150,
    surface: np.ndarray | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    road_images: dict[Any, np.ndarray] | None = None,
) -> Figure:
    """The overview map: travel-time classes, headline isochrone, gap areas and stations.

    Parameters
    ----------
    result : CoverageResult
        The result to draw.
    lang : {"en", "zh"}
        Language of the labels.
    dpi : float
        Resolution; the figure is A4-wide (8.27 in) and square.
    surface : numpy.ndarray, optional
        Minutes on the population grid (NaN: nobody lives there, inf: unreachable), as
        computed once for every output; built from the result when absent.
    isochrones : geopandas.GeoDataFrame, optional
        Isochrone polygons with a ``minutes`` column (the headline one is drawn);
        traced from the surface when absent.
    road_images : dict, optional
        Shared by the figures of one result (:func:`static_maps` passes one), so the
        roads are drawn once for all of them.

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot (no global state); save it with :func:`save_figure`.
    """
    from matplotlib.lines import Line2D

    with figure_fonts():
        fig, ax = page_figure(dpi)
        classes = time_classes(float(result.summary["minutes"]))
        _frame(ax, result)
        bounds, shape = _pixels(ax, dpi)
        page, table = classes_on_page(result, classes, surface, bounds, shape)
        roads = _road_pixels(ax, result, dpi, road_images)
        # the classes with the streets over them, one image on the page's pixels
        # (above the travel-time colours the streets stay readable; below every outline)
        pixel_image(ax, indexed_over(page, table, roads, _road_rgba()), zorder=2)
        size_keys: list = []
        if result.demand.grid is None:
            size_keys = _points(ax, result, classes, lang)
        iso = _isochrone(result, surface, isochrones)
        line = (
            threshold_line(iso.to_crs(result.network.crs), result)
            if iso is not None and not iso.empty
            else np.empty(0, dtype=object)
        )
        drawn_iso = len(line) > 0  # the legend names the line only where it is drawn
        if drawn_iso:
            outline(
                ax,
                line,
                color=ISO_COLOUR,
                linewidth=1.0,
                zorder=4,
                path_effects=ISO_HALO(),
            )
        symbols: list = []
        gaps = getattr(result, "gaps", None)
        if gaps is not None and len(gaps):
            outline(
                ax,
                gaps.to_crs(result.network.crs),
                color=GAP_COLOUR,
                linewidth=0.9,
                linestyle="--",
                zorder=5,
            )
            symbols.append(
                Line2D([], [], color=GAP_COLOUR, linestyle="--", label=label(lang, "gaps"))
            )
        for polygons in list(result.unit_polygons.values())[:1]:  # the first level only
            outline(
                ax, polygons.to_crs(result.network.crs), color="#333333", linewidth=0.6, zorder=3
            )
        symbols += size_keys + station_markers(ax, result, lang, edge="#111111")
        ax.set_title(_title(result, lang), fontsize=12)
        legends(
            ax,
            class_handles(classes, lang, line=drawn_iso),
            symbols,
            left_title=label(lang, "minutes_legend"),
        )
        _finish(fig, ax, result, lang)
    return fig


def level_map_figure(
    result: CoverageResult,
    level: str,
    *,
    lang: str = "en",
    dpi: float = 150,
    road_images: dict[Any, np.ndarray] | None = None,
) -> Figure:
    """A choropleth of one unit level's covered share, with the stations.

    Unit names (with their share) are drawn where they fit without overlapping; the
    other units get a number, keyed to a table beside the map.

    Parameters
    ----------
    result : CoverageResult
        A result with units.
    level : str
        The unit level (a key of ``result.units``).
    lang : {"en", "zh"}
        Language of the labels.
    dpi : float
        Resolution; the figure is A4-high (8.27 in), wider when it holds a key table.
    road_images : dict, optional
        As in :func:`map_figure`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import Patch

    headline = float(result.summary["minutes"])
    table = result.units[level]
    polygons = result.unit_polygons[level].to_crs(result.network.crs)
    share = table["coverage_share"].to_numpy(dtype=float)
    with figure_fonts():
        fig, ax = page_figure(dpi, width=_A4 * 1.45)
        _frame(ax, result)
        pixel_image(ax, _roads(ax, result, dpi, road_images), zorder=2.5)
        fill(
            ax,
            polygons,
            [share_colour(s) for s in share],
            edgecolor="#333333",
            linewidth=0.6,
            alpha=0.8,
            zorder=2,
        )
        names = [drawable(str(u)) for u in table["unit"]]
        texts = [
            f"{n}\n{s:.0%}" if n and np.isfinite(s) else n
            for n, s in zip(names, share, strict=True)
        ]
        points = polygons.geometry.representative_point()
        xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
        order = np.argsort(-table["population"].to_numpy(dtype=float), kind="stable")
        scale_bar(ax, lang)
        north_arrow(ax, lang)
        placed = place_labels(
            ax,
            xy,
            texts,
            list(order),
            fontsize=6,
            obstacles=station_boxes(ax, result),
            color="#111111",
            zorder=7,
        )
        header = "  ".join(
            (label(lang, "id"), label(lang, "name"), label(lang, "covered_share", minutes=headline))
        )
        left = ax.get_position().x1 + 0.01
        key_table(fig, placed.numbers, table, names, share, left=left, header=header)
        edges = [*SHARE_BINS, 1.0]
        shares: list = [
            Patch(color=c, label=f"{edges[i]:.0%}–{edges[i + 1]:.0%}")
            for i, c in enumerate(SHARE_COLOURS)
        ]
        shares.append(Patch(color=NO_DATA_COLOUR, label=label(lang, "no_residents")))
        symbols = station_markers(ax, result, lang, edge="#222222")  # on coloured units
        level_name = drawable(tier_label(lang, level), level)
        title = f"{_title(result, lang)}\n{level_name} · " + label(
            lang, "covered_share", minutes=headline
        )
        ax.set_title(title, fontsize=12)
        legends(ax, shares, symbols, left_title=label(lang, "covered_share", minutes=headline))
        credit = drawable(credits_text(result, lang), label(lang, "roads_credit"))
        fig.text(0.01, 0.005, credit, fontsize=6, color="#555555")
    return fig


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write a figure as a PNG at its own dpi, atomically.

    A page is opaque (white paper), so it is written as RGB, a quarter less to
    compress than matplotlib's RGBA, by :func:`coverage.outputs.png.encode_png`
    (rows unfiltered, zlib level 3: under half the time of Pillow's writer and a
    smaller file, for a map's flat colours). The resolution is recorded.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with figure_fonts(), atomic_path(path) as tmp:
        canvas = fig.canvas
        if not isinstance(canvas, FigureCanvasAgg):
            canvas = FigureCanvasAgg(fig)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        opaque = bool((rgba[..., 3] == 255).all())
        tmp.write_bytes(encode_png(rgba[..., :3] if opaque else rgba, dpi=fig.dpi))
    return Path(path)


def static_maps(
    result: CoverageResult,
    folder: str | os.PathLike[str],
    *,
    lang: str = "en",
    dpi: float = 150,
    surface: np.ndarray | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
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
    surface, isochrones : optional
        The travel-time surface and isochrones computed once for every output (see
        :func:`map_figure`).
    cache_dir : path-like, optional
        The run's cache folder: the roads' images are kept there for the next run.

    Returns
    -------
    dict
        ``"map_png"`` and ``"map_<level>_png"`` -> path.
    """
    out = Path(folder)
    images = RoadImages(cache_dir)  # the roads, drawn once for every map
    fig = map_figure(
        result, lang=lang, dpi=dpi, surface=surface, isochrones=isochrones, road_images=images
    )
    paths = {"map_png": save_figure(fig, out / "map.png")}
    for level in result.unit_polygons:
        if level in result.units:
            fig = level_map_figure(result, level, lang=lang, dpi=dpi, road_images=images)
            paths[f"map_{level}_png"] = save_figure(fig, out / f"map_{level}.png")
    return paths
