"""The furniture of the print maps: scale bar, north arrow, legends, station markers and
the table of numbered units beside a map.

The drawing of :mod:`coverage.outputs.static` is assembled from these; every text goes
through :func:`coverage.outputs.labels.label`, so it is in the map's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .fonts import drawable
from .labels import label, tier_label
from .style import MPL_MARKERS, TimeClasses, tier_styles

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..results import CoverageResult

__all__ = [
    "GAP_COLOUR",
    "ISO_COLOUR",
    "ISO_HALO",
    "class_handles",
    "key_table",
    "legends",
    "nice_length",
    "north_arrow",
    "round_values",
    "scale_bar",
    "station_boxes",
    "station_markers",
]

#: Outline of the headline isochrone, and of the gap areas.
ISO_COLOUR = "#000000"  # drawn over a white halo: clear on yellow and on dark purple
GAP_COLOUR = "#d7301f"


def _halo() -> list:
    from matplotlib.patheffects import withStroke

    return [withStroke(linewidth=3.0, foreground="white")]


#: Path effects of the isochrone outline (and its legend row).
ISO_HALO = _halo
_KEY_ROWS = 60  # rows of the unit-number table per column


def nice_length(width_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 x 10^k m) near a fifth of the map width."""
    target = max(width_m / 5.0, 1.0)
    power = 10 ** np.floor(np.log10(target))
    return float(max(s * power for s in (1, 2, 5) if s * power <= target))


def scale_bar(ax: Axes, lang: str) -> None:
    """A black-and-white scale bar of :func:`nice_length`, bottom left, labelled in ``lang``.

    It sits on a white panel, like the legends, so it reads where the map's data
    reaches the corner (a county filling its frame, dense points).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        A map in a metric CRS with its final limits.
    lang : {"en", "zh"}
        Language of the label (``"5 km"`` or ``"5 公里"``).
    """
    from matplotlib.patches import FancyBboxPatch, Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_length(x1 - x0)
    left, bottom = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    height = 0.012 * (y1 - y0)
    pad_x, pad_y = 0.012 * (x1 - x0), 0.01 * (y1 - y0)
    ax.add_patch(  # the bar, its label (8 pt: ~2 % of the map's height) and a margin
        FancyBboxPatch(
            (left - pad_x, bottom - pad_y),
            length + 2 * pad_x,
            1.8 * height + 0.022 * (y1 - y0) + 2 * pad_y,
            boxstyle="round,pad=0",
            facecolor="white",
            edgecolor="#cccccc",
            linewidth=0.8,
            alpha=0.85,
            zorder=9,
        )
    )
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


def north_arrow(ax: Axes, lang: str) -> None:
    """A north arrow top right, labelled ``N`` or ``北`` (the maps are drawn north up)."""
    ax.annotate(
        label(lang, "north"),
        xy=(0.95, 0.95),
        xytext=(0.95, 0.85),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=12,
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 11, "headlength": 9},
        zorder=10,
    )


def round_values(biggest: float) -> list[float]:
    """Up to three round populations (1, 2 or 5 x 10^k) for the size key of the points.

    Examples
    --------
    >>> round_values(3170.0)
    [100.0, 500.0, 2000.0]
    """
    return sorted({nice_length(5.0 * biggest / f) for f in (1, 4, 20)})


def class_handles(classes: TimeClasses, lang: str, *, line: bool = True) -> list:
    """Legend rows of the classes, the threshold marked between within and beyond.

    The mark is the isochrone's line when the map draws it, else a blank divider row
    with the threshold's name.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    names = classes.labels(lang)
    palette = classes.palette()
    rows: list = [
        Patch(facecolor=palette[i], edgecolor="none", label=names[i]) for i in range(classes.n + 1)
    ]
    mark = Line2D(
        [],
        [],
        color=ISO_COLOUR if line else "none",
        linewidth=1.2,
        path_effects=ISO_HALO() if line else None,
        label=classes.threshold_label(lang) if line else f"—— {classes.threshold_label(lang)}",
    )
    return [*rows[: classes.threshold_index + 1], mark, *rows[classes.threshold_index + 1 :]]


def station_markers(ax: Axes, result: CoverageResult, lang: str, *, edge: str = "white") -> list:
    """Draw the stations, one colour and shape per tier (:func:`~.style.tier_styles`).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The map, in the network's CRS.
    result : CoverageResult
        The result whose stations are drawn.
    lang : {"en", "zh"}
        Language of the tier names.
    edge : str
        Marker edge colour (dark on coloured units, so the markers stand out).

    Returns
    -------
    list
        One legend handle per tier.
    """
    from matplotlib.lines import Line2D

    pts = result.stations.to_crs(result.network.crs).geometry
    tiers = result.stations["tier"].astype(str).to_numpy()
    handles: list = []
    for tier, (colour, shape) in tier_styles(tiers).items():
        mine = tiers == tier
        marker = MPL_MARKERS[shape]
        ax.scatter(
            pts.x.to_numpy()[mine],
            pts.y.to_numpy()[mine],
            s=80 if shape == "star" else 40,
            c=colour,
            marker=marker,
            edgecolors=edge,
            linewidths=0.8,
            zorder=6,
        )
        name = drawable(tier_label(lang, tier), f"tier {len(handles) + 1}") or label(
            lang, "station"
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=marker,
                color=colour,
                markeredgecolor=edge,
                markersize=11 if shape == "star" else 7,
                label=name,
            )
        )
    return handles


def legends(
    ax: Axes, left: list, right: list, *, left_title: str | None = None, left_cols: int = 4
) -> None:
    """Two legends under the map: the colour classes (left) and the symbols (right)."""
    first = ax.legend(
        handles=left,
        title=left_title,
        title_fontsize=7.5,
        loc="upper right",
        bbox_to_anchor=(0.56, -0.005),
        ncol=left_cols,
        fontsize=7,
        framealpha=0.9,
    )
    first.set_zorder(12)
    if right:
        ax.add_artist(first)
        second = ax.legend(
            handles=right,
            loc="upper left",
            bbox_to_anchor=(0.58, -0.005),
            ncol=2 if len(right) > 4 else 1,
            fontsize=7,
            framealpha=0.9,
        )
        second.set_zorder(12)


def station_boxes(ax: Axes, result: CoverageResult, half_px: float = 6.0) -> np.ndarray:
    """Display boxes of the station markers, which unit labels must not cover."""
    pts = result.stations.to_crs(result.network.crs).geometry
    xy = ax.transData.transform(np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()]))
    return np.column_stack([xy - half_px, xy + half_px]).reshape(-1, 4)


def key_table(
    fig: Figure,
    numbers: dict[int, int],
    table: Any,
    names: list[str],
    share: np.ndarray,
    *,
    left: float,
    header: str = "",
) -> None:
    """The units numbered on the map, with their names and shares, right of the map.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    numbers : dict of int to int
        Unit index -> its number on the map (:attr:`PlacedLabels.numbers`).
    table : pandas.DataFrame
        The unit table (``unit`` column).
    names : list of str
        Drawable name of each unit ("" where the fonts cannot draw it).
    share : numpy.ndarray
        Covered share of each unit.
    left : float
        Left edge of the table, in figure fraction (right of the map).
    header : str
        First line of every column (e.g. "编号 名称 覆盖率").
    """
    if not numbers:
        return
    rows = [
        f"{n:>3}  {names[i] or table['unit'].iloc[i]!s:.14}  "
        + (f"{share[i]:.0%}" if np.isfinite(share[i]) else "-")
        for i, n in sorted(numbers.items(), key=lambda kv: kv[1])
    ]
    # as large as the page allows: a column runs from 0.92 down to 0.05 of the height
    # (a line takes about 1.28 times the font size at this line spacing) and is no
    # wider than its share of the room (a character about 0.6 of the size, CJK 1.0);
    # the rows per column (at least _KEY_ROWS) are those giving the largest print
    fig_w, fig_h = (float(v) for v in fig.get_size_inches())
    ems = max(sum(1.0 if ord(ch) > 0x2E80 else 0.6 for ch in row) for row in [header, *rows])

    def print_size(per_column: int) -> float:
        n_columns = -(-len(rows) // per_column)
        lines = min(per_column, len(rows)) + (1 if header else 0)
        tall = (0.87 * fig_h * 72.0) / (lines * 1.28)
        wide = ((1.0 - left) / n_columns * fig_w * 72.0) / (ems + 1.0)
        return min(tall, wide, 8.0)

    per_column = max(range(_KEY_ROWS, max(_KEY_ROWS, len(rows)) + 1), key=print_size)
    size = max(print_size(per_column), 3.5)
    columns = [rows[k : k + per_column] for k in range(0, len(rows), per_column)]
    if header:
        columns = [[header, *column] for column in columns]
    width = (1.0 - left) / len(columns)
    for k, column in enumerate(columns):
        fig.text(
            left + k * width,
            0.92,
            "\n".join(column),
            fontsize=size,
            va="top",
            ha="left",
            linespacing=1.25,
        )
