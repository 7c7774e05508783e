"""Road networks as images: hundreds of thousands of segments drawn in milliseconds.

A print map at 150 dpi has about 1,200 pixels a side; a county network can have a
million segments. Drawn as matplotlib paths they take tens of seconds, so the static
maps draw the roads as one image instead: every segment is sampled at sub-pixel steps
with numpy and the pixels it crosses are marked.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..inputs.network_cache import hash_array, save_npy

__all__ = [
    "indexed_over",
    "line_pixels",
    "network_pixels",
    "one_way_of_each_pair",
    "over",
    "pixel_image",
]

#: Version of the stored road images; part of every key.
ROADS_CACHE_VERSION = 1


def one_way_of_each_pair(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Mask of directed edges to draw: one of each ``u -> v`` / ``v -> u`` pair, and every
    edge whose reverse is absent (one-way streets).

    Examples
    --------
    >>> one_way_of_each_pair(np.array([0, 1, 1, 3]), np.array([1, 0, 2, 2])).tolist()
    [True, False, True, True]
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    if u.size == 0:
        return np.zeros(0, dtype=bool)
    n = int(max(u.max(), v.max())) + 1
    keys = np.sort(u * n + v)
    reverse = v * n + u
    at = np.minimum(np.searchsorted(keys, reverse), keys.size - 1)
    return (u <= v) | (keys[at] != reverse)


def line_pixels(
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    bounds: tuple[float, float, float, float],
    shape: tuple[int, int],
) -> np.ndarray:
    """Which pixels of an image a segment crosses.

    Parameters
    ----------
    x0, y0, x1, y1 : numpy.ndarray
        Segment ends in map coordinates.
    bounds : tuple of float
        ``(left, right, bottom, top)`` of the image in map coordinates.
    shape : tuple of int
        ``(rows, cols)`` of the image; row 0 is the top.

    Returns
    -------
    numpy.ndarray
        Boolean ``shape`` array, True where a segment passes.

    Examples
    --------
    >>> line_pixels(np.array([0.5]), np.array([0.5]), np.array([3.5]), np.array([0.5]),
    ...             (0, 4, 0, 2), (2, 4)).tolist()
    [[False, False, False, False], [True, True, True, True]]
    """
    left, right, bottom, top = bounds
    rows, cols = shape
    sx, sy = cols / (right - left), rows / (top - bottom)
    c0, c1 = (np.asarray(x0) - left) * sx, (np.asarray(x1) - left) * sx
    r0, r1 = (top - np.asarray(y0)) * sy, (top - np.asarray(y1)) * sy
    # segments wholly off the image on one side are skipped
    keep = ~(
        (np.maximum(c0, c1) < 0)
        | (np.minimum(c0, c1) >= cols)
        | (np.maximum(r0, r1) < 0)
        | (np.minimum(r0, r1) >= rows)
    )
    c0, c1, r0, r1 = c0[keep], c1[keep], r0[keep], r1[keep]
    # half-pixel steps: every pixel a segment crosses gets at least one sample
    steps = np.ceil(2 * np.maximum(np.abs(c1 - c0), np.abs(r1 - r0))).astype(np.int64) + 1
    steps = np.minimum(steps, 4 * (rows + cols))  # a segment longer than the image
    hit = np.zeros((rows, cols), dtype=bool)
    chunk = 4_000_000  # samples per pass, bounding memory on huge networks
    ends = np.cumsum(steps)
    start = 0
    while start < steps.size:
        base = ends[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, base + chunk, side="right")))
        n = steps[start:stop]
        seg = np.repeat(np.arange(start, stop), n)
        first = np.repeat(np.cumsum(n) - n, n)
        t = (np.arange(seg.size) - first) / np.maximum(steps[seg] - 1, 1)
        c = np.floor(c0[seg] + t * (c1[seg] - c0[seg])).astype(np.int64)
        r = np.floor(r0[seg] + t * (r1[seg] - r0[seg])).astype(np.int64)
        inside = (c >= 0) & (c < cols) & (r >= 0) & (r < rows)
        hit[r[inside], c[inside]] = True
        start = stop
    return hit


def network_pixels(
    x: np.ndarray,
    y: np.ndarray,
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    bounds: tuple[float, float, float, float],
    shape: tuple[int, int],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> np.ndarray:
    """Which pixels a network's streets cross, each two-way street drawn once.

    Parameters
    ----------
    x, y : numpy.ndarray
        Node coordinates (map coordinates).
    edge_u, edge_v : numpy.ndarray
        Directed edges (node indices).
    bounds, shape
        As for :func:`line_pixels`.
    cache_dir : path-like, optional
        Keep the image there (``roads-<key>.npy``, one bit a pixel), keyed by the
        content of the nodes and edges, the frame and the size, so a re-run with the
        same network and frame reads it instead of drawing a million segments again.

    Returns
    -------
    numpy.ndarray
        Boolean ``shape`` array.
    """
    entry = None
    if cache_dir is not None:
        h = hashlib.sha256()
        head = [ROADS_CACHE_VERSION, __version__, [float(b) for b in bounds], list(shape)]
        h.update(json.dumps(head).encode())
        for array in (x, y, edge_u, edge_v):
            hash_array(h, array)
        entry = Path(cache_dir) / f"roads-{h.hexdigest()}.npy"
        try:
            packed = np.load(entry, allow_pickle=False)
            if packed.dtype == np.uint8 and packed.shape == (shape[0], -(-shape[1] // 8)):
                return np.unpackbits(packed, axis=1, count=shape[1]).astype(bool)
        except (OSError, ValueError):  # absent, cut short or unreadable: drawn again
            pass
    draw = one_way_of_each_pair(edge_u, edge_v)
    u, v = np.asarray(edge_u)[draw], np.asarray(edge_v)[draw]
    hit = line_pixels(x[u], y[u], x[v], y[v], bounds, shape)
    if entry is not None:
        save_npy(entry, np.packbits(hit, axis=1))
    return hit


def over(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """RGBA ``top`` laid over ``bottom`` (uint8, straight alpha), as the renderer would.

    Examples
    --------
    >>> over(np.array([[0, 0, 0, 51]], np.uint8), np.array([[255, 255, 255, 255]], np.uint8))
    array([[204, 204, 204, 255]], dtype=uint8)
    """
    out = bottom.copy()
    at = top[..., 3] > 0  # only where the top shows (streets are a few pixels in ten)
    t, b = top[at].astype(float), bottom[at].astype(float)
    ta, ba = t[:, 3:] / 255.0, b[:, 3:] / 255.0
    alpha = ta + ba * (1.0 - ta)
    rgb = (t[:, :3] * ta + b[:, :3] * ba * (1.0 - ta)) / alpha
    out[at] = np.round(np.concatenate([rgb, alpha * 255.0], axis=1)).astype(np.uint8)
    return out


def indexed_over(
    page: np.ndarray, table: np.ndarray, hit: np.ndarray, colour: np.ndarray
) -> np.ndarray:
    """An indexed image with one colour laid over some of its pixels (RGBA uint8).

    ``page`` indexes ``table`` (one RGBA colour per class); where ``hit``, the pixel
    takes its class's colour with ``colour`` laid over it (:func:`over`), worked out
    once per class, so the whole image is coloured by one lookup.

    Parameters
    ----------
    page : numpy.ndarray
        ``(rows, cols)`` uint8 indices into ``table``.
    table : numpy.ndarray
        ``(classes, 4)`` uint8 RGBA; at most 127 classes.
    hit : numpy.ndarray
        ``(rows, cols)`` bool: where ``colour`` lies on top (a street).
    colour : numpy.ndarray
        RGBA uint8 of what lies on top.

    Returns
    -------
    numpy.ndarray
        ``(rows, cols, 4)`` uint8.
    """
    under = over(np.broadcast_to(colour, table.shape), table)
    lookup = np.concatenate([table, under])
    return lookup[page + hit.astype(np.uint8) * np.uint8(len(table))]


def pixel_image(ax: Any, rgba: np.ndarray, **kwargs: Any) -> Any:
    """Add an RGBA image made for the axes' pixels over its current view.

    ``rgba`` (uint8, row 0 at the top) covers the axes' limits at their size in
    pixels. When the figure is saved at that size it is handed to the renderer as
    it is; matplotlib's own path resamples every image through masked arrays, the
    slowest step of saving a print map. At any other size (another dpi, a vector
    format) the image is drawn the ordinary way.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Target axes, its limits set.
    rgba : numpy.ndarray
        ``(rows, cols, 4)`` uint8.
    **kwargs
        ``zorder`` and other :class:`~matplotlib.image.AxesImage` settings.

    Returns
    -------
    matplotlib.image.AxesImage
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    image = _pixel_image_class()(ax, origin="upper", interpolation="nearest", **kwargs)
    image.set_data(np.asarray(rgba, dtype=np.uint8))
    image.set_extent((x0, x1, y0, y1))
    ax.add_image(image)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return image


@functools.cache
def _pixel_image_class() -> type:
    """:class:`~matplotlib.image.AxesImage` drawn as is at its own size (matplotlib is
    imported on first use, not with the package)."""
    from matplotlib.image import AxesImage
    from matplotlib.transforms import IdentityTransform

    class PixelImage(AxesImage):
        def make_image(self, renderer: Any, magnification: float = 1.0, unsampled: bool = False):
            bbox = self.axes.bbox
            data = self.get_array()
            rows, cols = (-1, -1) if data is None else data.shape[:2]
            if (
                data is not None
                and magnification == 1.0
                and not unsampled
                and abs(rows - bbox.height) <= 1
                and abs(cols - bbox.width) <= 1
                and tuple(self.get_extent()) == (*self.axes.get_xlim(), *self.axes.get_ylim())
            ):
                # the renderer takes row 0 as the bottom
                return np.asarray(data)[::-1], bbox.x0, bbox.y0, IdentityTransform()
            return super().make_image(renderer, magnification, unsampled)

    return PixelImage
