"""Demand points snapped window by window, so memory stays bounded on large rasters."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import rasterio.windows

from ..inputs.crs import transform_xy
from ..inputs.population import Demand
from .snapping import Snap

__all__ = ["DEMAND_WINDOW_CELLS", "demand_windows", "snap_demand"]


#: Demand points snapped at once; a larger raster goes window by window.
DEMAND_WINDOW_CELLS = 1_000_000


def demand_windows(demand: Demand, max_cells: int) -> Iterator[slice]:
    """Consecutive slices of the demand points, each of at most about ``max_cells`` points.

    A raster's points (row-major, from :func:`demand_from_grid`) are cut into windows
    of whole raster rows (:class:`rasterio.windows.Window` strips), so each window is a
    compact block of the grid; a point table is cut into runs of ``max_cells`` points.
    """
    n = len(demand)
    grid, rows = demand.grid, demand.rows
    if grid is None or rows is None or n == 0 or np.any(rows[1:] < rows[:-1]):
        for start in range(0, n, max_cells):
            yield slice(start, min(start + max_cells, n))
        return
    height, width = grid.shape
    strip = max(1, max_cells // max(width, 1))
    for row_off in range(0, height, strip):
        window = rasterio.windows.Window(0, row_off, width, min(strip, height - row_off))
        (r0, r1), _ = window.toranges()
        lo, hi = np.searchsorted(rows, [r0, r1])
        if hi > lo:
            yield slice(int(lo), int(hi))


def snap_demand(
    demand: Demand,
    crs: Any,
    snap: Callable[[np.ndarray, np.ndarray], Snap],
    *,
    max_cells: int | None = None,
) -> Snap:
    """Snap the demand points window by window (bounded memory on big rasters).

    The KD-tree query behind ``snap`` builds temporary arrays of several values per
    point; for 10 million cells those reach gigabytes, so they are built for one
    window of at most :data:`DEMAND_WINDOW_CELLS` points at a time and only the
    candidate legs are kept. The result is identical to one call over all points.
    """
    parts = [
        snap(*transform_xy(demand.x[part], demand.y[part], demand.crs, crs))
        for part in demand_windows(demand, max_cells or DEMAND_WINDOW_CELLS)
    ]
    if not parts:
        return snap(demand.x[:0], demand.y[:0])
    if len(parts) == 1:
        return parts[0]
    return concat_rows(parts)


def concat_rows(parts: Sequence[Any]) -> Any:
    """Stack per-window results row-wise: arrays are joined, dataclasses field by field."""
    first = parts[0]
    if isinstance(first, np.ndarray):
        return np.concatenate(parts)
    if dataclasses.is_dataclass(first) and not isinstance(first, type):
        return dataclasses.replace(
            first,
            **{
                f.name: concat_rows([getattr(p, f.name) for p in parts])
                for f in dataclasses.fields(first)
                if f.init and getattr(first, f.name) is not None
            },
        )
    return first  # scalars and settings are the same in every window
