"""The water mask's grid: water polygons burnt into cells, the pieces of land, the shores.

Used by :mod:`coverage.engine.barriers`, which builds its
:class:`~coverage.engine.barriers.WaterMask` from these.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["BAND_ROWS", "burn", "land_pieces", "shore_trees"]

#: Rows of the mask burnt at once (see :func:`burn`).
BAND_ROWS = 128


def burn(geoms: np.ndarray, rows: int, cols: int, x0: float, y1: float, cell: float) -> np.ndarray:
    """Cells whose centre lies in one of the polygons ``geoms``: (rows, cols) bool.

    GDAL fills a polygon scanline by scanline, each against every edge of the
    polygon, so a sea with long coasts costs rows x coast vertices. Burnt in bands
    of :data:`BAND_ROWS` rows, each band sees only the edges in it (the polygons
    are cut to the band's rectangle), with the same cells: a band's edges lie on
    cell edges, never on the cell centres that decide (5x faster on Comoros; a
    centre exactly on a polygon's edge is a tie, which either burn may decide
    either way).
    """
    import shapely
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    geoms = geoms[~shapely.is_empty(geoms)]
    out = np.zeros((rows, cols), dtype=np.uint8)
    for r0 in range(0, rows, BAND_ROWS):
        r1 = min(rows, r0 + BAND_ROWS)
        top, bottom = y1 - r0 * cell, y1 - r1 * cell
        parts = shapely.clip_by_rect(geoms, x0, bottom, x0 + cols * cell, top)
        parts = parts[~shapely.is_empty(parts)]
        if parts.size:
            band = out[r0:r1]
            rasterize(((g, 1) for g in parts), out=band, transform=from_origin(x0, top, cell, cell))
    return out.view(bool)


def land_pieces(water: np.ndarray) -> np.ndarray:
    """A label per piece of land (8-connected), 0 in water: (rows, cols) int32."""
    from scipy.ndimage import label

    land, _ = label(~water, structure=np.ones((3, 3), dtype=bool))
    return np.asarray(land, dtype=np.int32)


def shore_trees(water: np.ndarray) -> tuple[Any, Any]:
    """KD-trees of (row, col) of the water cells next to land and the land cells next to water.

    The nearest water cell of a land cell is next to land (a step from it towards
    the land cell is closer, so it is land), and the other way round: the two
    trees give the exact distance transform of each side.
    """
    from scipy.spatial import cKDTree

    differs = np.zeros(water.shape, dtype=bool)
    across_rows = water[1:, :] != water[:-1, :]
    across_cols = water[:, 1:] != water[:, :-1]
    differs[1:, :] = across_rows
    differs[:-1, :] |= across_rows
    differs[:, 1:] |= across_cols
    differs[:, :-1] |= across_cols
    # one scan for both sides (np.argwhere scans the whole grid, and slowly, per side)
    flat = np.flatnonzero(differs)
    cells = np.column_stack(np.divmod(flat, water.shape[1])).reshape(-1, 2)
    wet = water.ravel()[flat]
    return cKDTree(cells[wet]), cKDTree(cells[~wet])
