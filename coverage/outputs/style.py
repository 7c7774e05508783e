"""One visual language for the interactive map, the static maps and the report.

Tiers get a colour and a shape (so they stay distinct in black-and-white print), unit
shares a five-step red-to-green scale, travel times the ``RdYlGn_r`` colour map up to
twice the headline threshold.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from matplotlib import colormaps, colors

__all__ = [
    "MINUTES_CMAP",
    "SHARE_BINS",
    "SHARE_COLOURS",
    "TIER_COLOURS",
    "share_colour",
    "tier_styles",
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
_OTHER_COLOURS = ("#878787", "#35978f", "#c51b7d", "#8c510a", "#01665e", "#542788")

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

#: Colour map of travel times (green near, red far).
MINUTES_CMAP = "RdYlGn_r"

#: Lower edges of the share classes of the unit choropleth, and their colours.
SHARE_BINS = (0.0, 0.25, 0.5, 0.75, 0.9)
SHARE_COLOURS = ("#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850")
NO_DATA_COLOUR = "#bdbdbd"


def tier_styles(tiers: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Colour and shape of each tier: fixed for known tiers, cycled for the others.

    Examples
    --------
    >>> tier_styles(["village", "post office"])
    {'post office': ('#878787', 'circle'), 'village': ('#2166ac', 'circle')}
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
    """RGBA (0..1) of travel times on :data:`MINUTES_CMAP`, saturating at ``vmax``."""
    return colormaps[MINUTES_CMAP](np.clip(np.asarray(minutes, dtype=float) / vmax, 0.0, 1.0))


def minutes_gradient(stops: int = 5) -> list[str]:
    """Hex colours of evenly spaced stops of the travel-time colour map, for legends."""
    return [colors.to_hex(colormaps[MINUTES_CMAP](i / (stops - 1))) for i in range(stops)]
