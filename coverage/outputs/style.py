"""One visual language for the interactive map, the static maps and the report.

Travel times are drawn in discrete classes (<=5, 5-10, 10-15, 15-30, 30-60, >60 min and
unreachable) whose boundaries include the headline threshold (:func:`time_classes`),
coloured from two perceptually uniform, colour-blind-safe maps: the classes within
the threshold from viridis' bright half (yellow to green), the classes beyond it from
inferno's dark half (crimson, purple, deep indigo), so the threshold is a change of hue
and the largest step in lightness, and every class beyond it stays distinct (30-60 and
over 60 minutes, the usual picture of a rural county, no longer share one purple);
lightness falls class by class, so the order reads in grey print too. Unreachable
places are grey. Tiers get a colour and a shape (so they stay distinct in black-and-white print),
unit shares a five-step red-to-green scale. Titles name the place, the travel mode and
the threshold (:func:`map_title`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from matplotlib import colormaps, colors

__all__ = [
    "BEYOND_CMAP",
    "MINUTES_CMAP",
    "MODE_NAMES",
    "SHARE_BINS",
    "SHARE_COLOURS",
    "TIER_COLOURS",
    "TIME_BREAKS",
    "UNREACHABLE_COLOUR",
    "TimeClasses",
    "map_title",
    "mode_name",
    "share_colour",
    "tier_styles",
    "time_classes",
]

#: Marker colour per known station tier.
TIER_COLOURS = {
    "county": "#b2182b",
    "township": "#ef8a62",
    "village": "#2166ac",
    "partner-bank": "#1b7837",
    "partner-hospital": "#762a83",
    "partner-pharmacy": "#e08214",
    "partner-insurer": "#4d4d4d",
}
_KNOWN_SHAPES = {
    "county": "star",
    "township": "square",
    "village": "circle",
    "partner-bank": "diamond",
    "partner-hospital": "triangle",
    "partner-pharmacy": "hexagon",
    "partner-insurer": "triangle-down",
}
_SHAPES = ("circle", "square", "triangle", "diamond", "hexagon", "triangle-down", "star")
# no grey (unreachable places), no yellow-green-teal (the classes a station sits in) and
# none of the crimson-purple-indigo beyond the threshold
_OTHER_COLOURS = ("#e7298a", "#8c510a", "#d95f02", "#35978f", "#f781bf", "#1f78b4")

#: Matplotlib marker of each shape (the static maps use the same shapes as the web map).
MPL_MARKERS = {
    "circle": "o",
    "square": "s",
    "triangle": "^",
    "diamond": "D",
    "hexagon": "h",
    "triangle-down": "v",
    "star": "*",
}

#: Colour map of the travel-time classes within the threshold (perceptually uniform,
#: colour-blind safe).
MINUTES_CMAP = "viridis"
#: Colour map of the classes beyond the threshold.
BEYOND_CMAP = "inferno"

_RAMP_CMAP = "RdYlGn_r"

#: Upper edges (minutes) of the travel-time classes before the headline threshold is added.
TIME_BREAKS = (5.0, 10.0, 15.0, 30.0, 60.0)

#: Colour of places no station can be reached from.
UNREACHABLE_COLOUR = "#bdbdbd"

#: Lower edges of the share classes of the unit choropleth, and their colours.
SHARE_BINS = (0.0, 0.25, 0.5, 0.75, 0.9)
SHARE_COLOURS = ("#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850")
NO_DATA_COLOUR = "#bdbdbd"

#: Display name of each travel mode: mode -> (Chinese, English).
MODE_NAMES = {
    "walk": ("步行", "walk"),
    "bike": ("自行车", "bike"),
    "ebike": ("电动自行车", "e-bike"),
    "drive": ("驾车", "drive"),
}

_CLASS_TEXT = {
    "en": {"first": "≤ {hi:g} min", "mid": "{lo:g}–{hi:g} min", "last": "> {lo:g} min"},
    "zh": {"first": "≤{hi:g} 分钟", "mid": "{lo:g}–{hi:g} 分钟", "last": ">{lo:g} 分钟"},
}
_UNREACHABLE_TEXT = {"en": "Unreachable", "zh": "无法到达"}
_THRESHOLD_TEXT = {"en": "{minutes:g}-min threshold", "zh": "{minutes:g} 分钟服务圈边界"}
_TITLE = {
    "en": "{place} · {minutes:g}-min {mode} coverage of service points",
    "zh": "{place} · {mode} {minutes:g} 分钟医保服务圈",
}


def _lang(lang: str) -> str:
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be one of en, zh, got {lang!r}")
    return lang


def mode_name(lang: str, mode: str) -> str:
    """Display name of a travel mode (the mode itself if unknown).

    Examples
    --------
    >>> mode_name("zh", "ebike"), mode_name("en", "ebike"), mode_name("zh", "boat")
    ('电动自行车', 'e-bike', 'boat')
    """
    names = MODE_NAMES.get(mode)
    if names is None:
        return mode
    return names[0] if _lang(lang) == "zh" else names[1]


def map_title(lang: str, *, place: str, mode: str, minutes: float) -> str:
    """Title of a map or report: the place, the travel mode and the threshold.

    Examples
    --------
    >>> map_title("zh", place="Comoros", mode="walk", minutes=15)
    'Comoros · 步行 15 分钟医保服务圈'
    >>> map_title("en", place="Comoros", mode="ebike", minutes=15)
    'Comoros · 15-min e-bike coverage of service points'
    """
    text = _TITLE[_lang(lang)].format(place=place, mode=mode_name(lang, mode), minutes=minutes)
    return text.removeprefix(" · ") if not place else text


@dataclass(frozen=True)
class TimeClasses:
    """Discrete travel-time classes with the headline threshold as one boundary.

    Attributes
    ----------
    breaks : tuple of float
        Upper edges of the finite classes but the last (minutes, increasing); class ``i``
        holds ``breaks[i-1] < minutes <= breaks[i]``, the last finite class everything
        above ``breaks[-1]``.
    threshold : float
        The headline threshold, one of ``breaks``.
    colours : tuple of str
        Hex colour of each finite class (``len(breaks) + 1``).
    unreachable_colour : str
        Hex colour of unreachable places (minutes infinite or NaN).
    """

    breaks: tuple[float, ...]
    threshold: float
    colours: tuple[str, ...]
    unreachable_colour: str = UNREACHABLE_COLOUR

    @property
    def n(self) -> int:
        """Number of finite classes (the unreachable class not counted)."""
        return len(self.breaks) + 1

    @property
    def threshold_index(self) -> int:
        """Index of the last class within the threshold."""
        return self.breaks.index(self.threshold)

    def classify(
        self, minutes: Sequence[float] | np.ndarray, *, dtype: type = np.int64
    ) -> np.ndarray:
        """Class of each travel time: ``0 .. n-1``, ``n`` when unreachable (inf or NaN).

        A time on a break belongs to the class below it. Float32 surfaces are compared
        with the breaks in double precision, element by element (no float64 copy of a
        page-sized grid is made); ``dtype=np.uint8`` gives a byte a cell.

        Examples
        --------
        >>> time_classes(15).classify([0, 5, 5.01, 15, 15.5, 61, float("inf")]).tolist()
        [0, 0, 1, 2, 3, 5, 6]
        """
        m = np.asarray(minutes)
        if m.dtype.kind != "f":
            m = m.astype(float)
        out: np.ndarray = np.zeros(m.shape, dtype=dtype)
        for b in self.breaks:  # the number of breaks below each time
            out += m > np.float64(b)
        out[~np.isfinite(m)] = self.n
        return out

    def palette(self) -> list[str]:
        """Colours of the classes ``0 .. n``, the unreachable class last."""
        return [*self.colours, self.unreachable_colour]

    def rgba(self, minutes: Sequence[float] | np.ndarray) -> np.ndarray:
        """RGBA (0..1, shape ``(..., 4)``) of each travel time."""
        table = np.array([colors.to_rgba(c) for c in self.palette()])
        return table[self.classify(minutes)]

    def labels(self, lang: str) -> list[str]:
        """Legend text of the classes ``0 .. n``, the unreachable class last.

        Examples
        --------
        >>> time_classes(20).labels("en")[:5]
        ['≤ 5 min', '5–10 min', '10–15 min', '15–20 min', '20–30 min']
        >>> time_classes(15).labels("zh")[-2:]
        ['>60 分钟', '无法到达']
        """
        text = _CLASS_TEXT[_lang(lang)]
        edges = self.breaks
        out = [text["first"].format(hi=edges[0])]
        out += [text["mid"].format(lo=lo, hi=hi) for lo, hi in pairwise(edges)]
        out.append(text["last"].format(lo=edges[-1]))
        return [*out, _UNREACHABLE_TEXT[lang]]

    def threshold_label(self, lang: str) -> str:
        """Legend text of the threshold boundary (``"15 分钟服务圈边界"``)."""
        return _THRESHOLD_TEXT[_lang(lang)].format(minutes=self.threshold)


def time_classes(threshold: float, breaks: Iterable[float] = TIME_BREAKS) -> TimeClasses:
    """The travel-time classes of a map whose headline threshold is ``threshold`` minutes.

    The threshold is added to ``breaks`` when it is not one of them; breaks within a
    minute of it are dropped (no sliver classes): 10.5 replaces 10, while 12 is added
    between 10 and 15.

    Parameters
    ----------
    threshold : float
        Headline threshold in minutes (positive).
    breaks : iterable of float
        Class edges to start from.

    Returns
    -------
    TimeClasses

    Raises
    ------
    ValueError
        If ``threshold`` is not positive and finite.

    Examples
    --------
    >>> time_classes(15).breaks
    (5.0, 10.0, 15.0, 30.0, 60.0)
    >>> time_classes(20).breaks, time_classes(10.5).breaks
    ((5.0, 10.0, 15.0, 20.0, 30.0, 60.0), (5.0, 10.5, 15.0, 30.0, 60.0))
    >>> time_classes(90).breaks
    (5.0, 10.0, 15.0, 30.0, 60.0, 90.0)
    """
    t = float(threshold)
    if not (np.isfinite(t) and t > 0):
        raise ValueError(f"threshold must be a positive number of minutes, got {threshold!r}")
    kept = sorted({float(b) for b in breaks if b > 0 and abs(float(b) - t) >= 1.0} | {t})
    edges = tuple(kept)
    k = edges.index(t) + 1  # classes within the threshold
    m = len(edges) + 1 - k  # classes beyond it
    # within: viridis from its yellow end, steps of at most 0.18; beyond: inferno from
    # its crimson (0.45) down to deep indigo (0.08), steps of at most 0.2, so the step
    # across the threshold is also the largest in lightness (grey print)
    near = 1.0 - np.arange(k) * min(0.18, 0.4 / max(k - 1, 1))
    far = 0.45 - np.arange(m) * min(0.2, 0.37 / max(m - 1, 1))
    hexes = tuple(colors.to_hex(colormaps[MINUTES_CMAP](float(v))) for v in near) + tuple(
        colors.to_hex(colormaps[BEYOND_CMAP](float(v))) for v in far
    )
    return TimeClasses(breaks=edges, threshold=t, colours=hexes)


def tier_styles(tiers: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Colour and shape of each tier: fixed for known tiers, cycled for the others.

    Examples
    --------
    >>> tier_styles(["village", "post office"])
    {'post office': ('#e7298a', 'circle'), 'village': ('#2166ac', 'circle')}
    """
    out: dict[str, tuple[str, str]] = {}
    others = 0
    for tier in sorted(set(tiers)):
        if tier in TIER_COLOURS:
            out[tier] = (TIER_COLOURS[tier], _KNOWN_SHAPES[tier])
        else:
            out[tier] = (
                _OTHER_COLOURS[others % len(_OTHER_COLOURS)],
                _SHAPES[others % len(_SHAPES)],
            )
            others += 1
    return out


def share_colour(share: float | None) -> str:
    """Fill colour of a unit with this covered share (grey when unknown).

    Examples
    --------
    >>> share_colour(0.95), share_colour(0.1), share_colour(float("nan"))
    ('#1a9850', '#d73027', '#bdbdbd')
    """
    if share is None or not np.isfinite(share):
        return NO_DATA_COLOUR
    i = int(np.searchsorted(SHARE_BINS, float(share), side="right")) - 1
    return SHARE_COLOURS[max(i, 0)]


def minutes_colours(minutes: np.ndarray, vmax: float) -> np.ndarray:
    """RGBA (0..1) of travel times on a continuous green-to-red ramp, saturating at ``vmax``.

    The ramp of the interactive map until it draws :func:`time_classes`; new code uses
    :meth:`TimeClasses.rgba`.
    """
    ramp = colormaps[_RAMP_CMAP]
    return ramp(np.clip(np.asarray(minutes, dtype=float) / vmax, 0.0, 1.0))


def minutes_gradient(stops: int = 5) -> list[str]:
    """Hex colours of evenly spaced stops of :func:`minutes_colours`' ramp, for legends."""
    return [colors.to_hex(colormaps[_RAMP_CMAP](i / (stops - 1))) for i in range(stops)]
