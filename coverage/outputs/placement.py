"""Collision-free label placement for the static maps.

Labels are tried in order of importance (e.g. most residents first); a label is kept
only when its drawn box overlaps no label kept before it and lies inside the map.
A unit whose name does not fit gets a number instead, keyed to a table beside the
map; a number that does not fit either is left to the table alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.text import Text

__all__ = ["PlacedLabels", "boxes_overlap", "place_labels"]

#: Identifier of the drawn labels (``Text.get_gid()``), so tests and callers find them.
LABEL_GID = "unit-label"


def boxes_overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether box ``a`` overlaps each box of ``b`` (boxes as ``x0, y0, x1, y1``).

    Boxes that only touch do not overlap.

    Examples
    --------
    >>> boxes_overlap(np.array([0, 0, 2, 2]), np.array([[1, 1, 3, 3], [2, 0, 4, 2]])).tolist()
    [True, False]
    """
    b = np.atleast_2d(b)
    return (a[0] < b[:, 2]) & (b[:, 0] < a[2]) & (a[1] < b[:, 3]) & (b[:, 1] < a[3])


@dataclass(frozen=True)
class PlacedLabels:
    """What :func:`place_labels` drew.

    Attributes
    ----------
    named : list of int
        Indices of the items labelled with their full text.
    numbered : list of int
        Indices of the items labelled with their number (``numbers[i]``).
    numbers : dict of int to int
        Number of each item that did not get its full text (1, 2, ... in order of
        importance), for the key table.
    texts : list of matplotlib.text.Text
        The labels drawn.
    """

    named: list[int]
    numbered: list[int]
    numbers: dict[int, int]
    texts: list[Text]


def place_labels(
    ax: Axes,
    xy: np.ndarray,
    texts: Sequence[str],
    order: Sequence[int],
    *,
    fontsize: float = 6.0,
    pad_px: float = 2.0,
    obstacles: np.ndarray | None = None,
    **text_kwargs: Any,
) -> PlacedLabels:
    """Draw the labels that fit, then numbers for the others, without any overlap.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The map; its limits must be final (labels are measured in display space).
    xy : numpy.ndarray
        ``(n, 2)`` anchor of each label in data coordinates (centred on it).
    texts : sequence of str
        Full text of each label; an empty text gets a number at once.
    order : sequence of int
        Indices in order of importance (the first ones win a contested place).
    fontsize : float
        Size of the full labels (numbers are drawn at the same size).
    pad_px : float
        Clear space kept around each label, in pixels.
    obstacles : numpy.ndarray, optional
        ``(m, 4)`` boxes (display pixels, ``x0, y0, x1, y1``) no label may cover, e.g.
        the station markers.
    **text_kwargs
        Passed to :meth:`matplotlib.axes.Axes.text` (colour, font, halo).

    Returns
    -------
    PlacedLabels
    """
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    kept: list[np.ndarray] = [] if obstacles is None else list(np.asarray(obstacles, float))
    drawn: list[Text] = []
    named: list[int] = []
    numbered: list[int] = []
    numbers: dict[int, int] = {}

    def fits(text: Text) -> bool:
        box = text.get_window_extent(renderer)
        b = np.array([box.x0 - pad_px, box.y0 - pad_px, box.x1 + pad_px, box.y1 + pad_px])
        inside = b[0] >= frame.x0 and b[1] >= frame.y0 and b[2] <= frame.x1 and b[3] <= frame.y1
        if not inside or (kept and boxes_overlap(b, np.array(kept)).any()):
            return False
        kept.append(b)
        return True

    def attempt(i: int, content: str) -> bool:
        text = ax.text(
            xy[i, 0],
            xy[i, 1],
            content,
            ha="center",
            va="center",
            fontsize=fontsize,
            gid=LABEL_GID,
            **text_kwargs,
        )
        if fits(text):
            drawn.append(text)
            return True
        text.remove()
        return False

    for i in order:
        if texts[i] and attempt(i, texts[i]):
            named.append(i)
        else:
            numbers[i] = len(numbers) + 1
    for i, number in numbers.items():
        if attempt(i, str(number)):
            numbered.append(i)
    return PlacedLabels(named=named, numbered=numbered, numbers=numbers, texts=drawn)
