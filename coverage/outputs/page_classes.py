"""The travel-time classes of a print map on the page's own pixels.

A raster population's cells are classified (the time classes of
:mod:`coverage.outputs.style`) and warped straight onto the page's pixels, one
indexed image; the threshold line is drawn only where those classes are, the box of
the populated cells (beyond it the page shows no class to divide).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

if TYPE_CHECKING:
    from ..results import CoverageResult
    from .style import TimeClasses

__all__ = ["classes_on_page", "point_surface", "populated_box", "threshold_line"]


def populated_box(result: CoverageResult) -> tuple[float, float, float, float] | None:
    """The box (metric CRS of the network) of a raster population's populated cells.

    The outline of the cells' box, densified, is projected (a million cell centres
    need not be); None for a population of points or with nobody in it.

    Returns
    -------
    tuple of float or None
        ``(left, right, bottom, top)``.
    """
    from ..inputs.crs import transform_xy

    d = result.demand
    people = d.population > 0
    px, py = d.x[people], d.y[people]
    if d.grid is None or not px.size:
        return None
    t = np.linspace(0.0, 1.0, 65)
    x0, x1, y0, y1 = px.min(), px.max(), py.min(), py.max()
    bx = np.concatenate([x0 + t * (x1 - x0), np.full(65, x1), x1 - t * (x1 - x0), np.full(65, x0)])
    by = np.concatenate([np.full(65, y0), y0 + t * (y1 - y0), np.full(65, y1), y1 - t * (y1 - y0)])
    x, y = transform_xy(bx, by, d.crs, result.network.crs)
    return float(x.min()), float(x.max()), float(y.min()), float(y.max())


def threshold_line(isochrone: Any, result: CoverageResult) -> Any:
    """The headline isochrone's boundary where the page shows classes.

    Parameters
    ----------
    isochrone : geopandas.GeoDataFrame
        The headline isochrone, in the network's CRS.
    result : CoverageResult
        For the box of the populated cells (:func:`populated_box`).

    Returns
    -------
    numpy.ndarray of shapely geometries
        The boundary lines cut to that box (all of them for a population of points,
        drawn over the whole map).
    """
    lines = shapely.boundary(np.asarray(isochrone.geometry.array))
    box = populated_box(result)
    if box is None:
        return lines
    left, right, bottom, top = box
    cell = _cell_m(result)  # the classes cover whole cells, half a cell beyond the centres
    cut = shapely.clip_by_rect(lines, left - cell, bottom - cell, right + cell, top + cell)
    return cut[~shapely.is_empty(cut)]


def _cell_m(result: CoverageResult) -> float:
    grid = result.demand.grid
    if grid is None:
        return 0.0
    cell = float(abs(grid.transform.a)) / 2
    return cell * 111_320.0 if grid.crs.is_geographic else cell


def point_surface(result: CoverageResult) -> np.ndarray:
    """Minutes on the population grid: NaN where nobody lives, -1 where unreachable."""
    grid = result.demand.grid
    if grid is None or result.demand.rows is None or result.demand.cols is None:
        raise ValueError("this result's population is a point table, not a raster")
    surface = np.full(grid.shape, np.nan, dtype=np.float32)
    m = result.point_minutes
    surface[result.demand.rows, result.demand.cols] = np.where(np.isfinite(m), m, -1.0)
    return surface


def classes_on_page(
    result: CoverageResult,
    classes: TimeClasses,
    surface: np.ndarray | None,
    bounds: tuple[float, float, float, float],
    shape: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """The travel-time classes of the raster cells on the map's pixels.

    Each pixel takes the class of the cell under its centre (the grid warped straight
    onto the page's pixels, nearest neighbour): cells keep their shape at any scale.
    Returns the page (uint8 indices into the table) and the table (RGBA uint8 per
    class; the last entry, transparent, where nobody lives).
    """
    import rasterio.warp
    from affine import Affine
    from rasterio.enums import Resampling

    grid = result.demand.grid
    if grid is None:
        return np.zeros(shape, dtype=np.uint8), np.zeros((1, 4), dtype=np.uint8)
    if surface is None:
        values = point_surface(result)
    else:  # a surface handed in (NaN: nobody or unreachable, inf: unreachable)
        values = np.where(np.isinf(surface), -1.0, surface).astype(np.float32)
        d = result.demand
        if d.rows is not None and d.cols is not None:  # populated, no station reachable
            gone = ~np.isfinite(result.point_minutes)
            values[d.rows[gone], d.cols[gone]] = -1.0
    none = classes.n + 1  # nobody lives there: transparent
    index = classes.classify(np.where(values < 0, np.inf, values), dtype=np.uint8)
    index[np.isnan(values)] = none
    left, right, bottom, top = bounds
    page = np.full(shape, none, dtype=np.uint8)
    rasterio.warp.reproject(
        index,
        page,
        src_transform=grid.transform,
        src_crs=grid.crs.to_wkt(),
        dst_transform=Affine(
            (right - left) / shape[1], 0.0, left, 0.0, -(top - bottom) / shape[0], top
        ),
        dst_crs=result.network.crs.to_wkt(),
        resampling=Resampling.nearest,
        src_nodata=none,
        dst_nodata=none,
    )
    # 8-bit RGBA: a county raster has millions of cells
    table = [(*_rgb(c), 0.85) for c in classes.palette()] + [(0.0, 0.0, 0.0, 0.0)]
    return page, np.round(np.array(table) * 255).astype(np.uint8)


def _rgb(colour: str) -> tuple[float, float, float]:
    from matplotlib import colors

    return colors.to_rgb(colour)
