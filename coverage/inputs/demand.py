"""Demand: people on a raster grid (:class:`PopulationGrid`) and demand points (:class:`Demand`).

A grid is never resampled for the engine: it works on the centres of the raster's own
cells, transformed to the metric CRS, so every person in the file is counted exactly
once. Nodata cells hold no people.

Clipping to the study area (:func:`clip_population`) keeps the cells whose centre
lies inside it, so the people kept plus the people left out equal the grid's total
exactly. Putting a grid on another grid (:func:`reproject_population`) moves every
source cell's people to the target cell containing its centre: the total is conserved
exactly (never bilinear interpolation of counts, which creates and destroys people).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import CRS

from ..errors import InputError

__all__ = [
    "Demand",
    "PopulationGrid",
    "clip_population",
    "demand_from_grid",
    "reproject_population",
]


@dataclass(frozen=True)
class PopulationGrid:
    """People per cell on a raster grid.

    Attributes
    ----------
    counts : numpy.ndarray
        2-D float64 array of people per cell; 0 where ``valid`` is False.
    valid : numpy.ndarray
        2-D bool array, False on nodata cells.
    transform : affine.Affine
        Pixel -> CRS transform of the grid.
    crs : pyproj.CRS
        CRS of the grid.
    source : str
        The file it was read from.
    """

    counts: np.ndarray
    valid: np.ndarray
    transform: Affine
    crs: CRS
    source: str = ""

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the grid."""
        return (int(self.counts.shape[0]), int(self.counts.shape[1]))

    @property
    def total(self) -> float:
        """Total population of the grid."""
        return float(self.counts.sum(dtype=np.float64))

    def cell_centres(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates (in ``crs``) of the centres of the given cells."""
        t = self.transform
        c = np.asarray(cols, dtype=float) + 0.5
        r = np.asarray(rows, dtype=float) + 0.5
        return t.a * c + t.b * r + t.c, t.d * c + t.e * r + t.f

    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in ``crs``."""
        west, south, east, north = rasterio.transform.array_bounds(*self.shape, self.transform)
        return (float(west), float(south), float(east), float(north))

    def same_grid(self, other: PopulationGrid) -> bool:
        """Whether ``other`` has the same shape, transform and CRS (cell for cell)."""
        return (
            self.shape == other.shape
            and self.transform.almost_equals(other.transform, precision=1e-9)
            and self.crs.equals(other.crs)
        )

    def __repr__(self) -> str:
        rows, cols = self.shape
        return (
            f"PopulationGrid({rows}x{cols} cells, population={self.total:,.0f}, "
            f"crs={self.crs.to_string()})"
        )


@dataclass(frozen=True)
class Demand:
    """Where residents are: demand points with people, from a raster or a table.

    Attributes
    ----------
    x, y : numpy.ndarray
        Point coordinates in ``crs`` (cell centres for a raster).
    population : numpy.ndarray
        People per point.
    crs : pyproj.CRS
        CRS of ``x`` and ``y``.
    groups : dict of str to numpy.ndarray
        Optional population groups (e.g. ``"age_65_plus"``), people per point.
    grid : PopulationGrid or None
        The raster the points come from, if any.
    rows, cols : numpy.ndarray or None
        Raster cell of each point, when ``grid`` is set.
    labels : numpy.ndarray or None
        Optional names of the points (e.g. villages of a population table).
    source : str
        Where the data came from.
    """

    x: np.ndarray
    y: np.ndarray
    population: np.ndarray
    crs: CRS
    groups: dict[str, np.ndarray]
    grid: PopulationGrid | None = None
    rows: np.ndarray | None = None
    cols: np.ndarray | None = None
    labels: np.ndarray | None = None
    source: str = ""

    @property
    def total(self) -> float:
        """Total population."""
        return float(self.population.sum(dtype=np.float64))

    def __len__(self) -> int:
        return int(self.population.size)

    def __repr__(self) -> str:
        kind = f"{self.grid.shape[0]}x{self.grid.shape[1]} grid" if self.grid else "points"
        return f"Demand({len(self):,} points from {kind}, population={self.total:,.0f})"


def demand_from_grid(
    grid: PopulationGrid, *, groups: Mapping[str, PopulationGrid] | None = None
) -> Demand:
    """Demand points at the centres of every valid (non-nodata) cell of a grid.

    Parameters
    ----------
    grid : PopulationGrid
        People per cell.
    groups : mapping of str to PopulationGrid, optional
        Population groups (e.g. ``{"age_65_plus": grid65}``) on the same grid.

    Returns
    -------
    Demand
        One point per valid cell, in the grid's CRS, with its row and column.

    Raises
    ------
    InputError
        If a group raster is not on the same grid.
    """
    rows, cols = np.nonzero(grid.valid)
    x, y = grid.cell_centres(rows, cols)
    group_values = {}
    for name, group in (groups or {}).items():
        if not grid.same_grid(group):
            raise InputError(
                f"{group.source or name}: the population group '{name}' is on another grid "
                f"({group.shape[0]}x{group.shape[1]} cells, {group.crs.to_string()}) than the "
                f"population ({grid.shape[0]}x{grid.shape[1]}, {grid.crs.to_string()}); give "
                "rasters of the same grid (e.g. WorldPop age structures of the same year)"
            )
        group_values[name] = group.counts[rows, cols]
    return Demand(
        x=x,
        y=y,
        population=grid.counts[rows, cols],
        crs=grid.crs,
        groups=group_values,
        grid=grid,
        rows=rows,
        cols=cols,
        source=grid.source,
    )


def clip_population(
    grid: PopulationGrid, area: shapely.Geometry, *, crs: CRS | str
) -> PopulationGrid:
    """The part of a grid whose cell centres lie inside an area, cropped to it.

    A cell is kept whole or left out whole (by its centre, the same rule that places a
    cell in a unit), so the clipped total plus the people left out equal the grid's
    total exactly.

    Parameters
    ----------
    grid : PopulationGrid
        People per cell.
    area : shapely geometry
        The study area (e.g. the union of the unit polygons).
    crs : pyproj.CRS or str
        CRS of ``area``.

    Returns
    -------
    PopulationGrid
        Cropped to the rows and columns holding kept cells; cells outside the area are
        invalid (no people).

    Raises
    ------
    InputError
        If no valid cell lies inside the area.

    Examples
    --------
    >>> import shapely
    >>> g = PopulationGrid(np.ones((4, 4)), np.ones((4, 4), bool), Affine(1, 0, 0, 0, -1, 4),
    ...                    CRS.from_epsg(32650))
    >>> clip_population(g, shapely.box(0, 0, 2, 2), crs=g.crs).total
    4.0
    """
    from .crs import transform_xy

    rows, cols = np.nonzero(grid.valid)
    x, y = grid.cell_centres(rows, cols)
    if not CRS.from_user_input(crs).equals(grid.crs):
        x, y = transform_xy(x, y, grid.crs, crs)
    shapely.prepare(area)
    inside = shapely.contains_xy(area, x, y)
    if not inside.any():
        raise InputError(
            f"{grid.source or 'population'}: no populated cell of the raster lies inside the "
            "study area; the population and the boundaries/network cover different areas"
        )
    r, c = rows[inside], cols[inside]
    r0, r1, c0, c1 = int(r.min()), int(r.max()) + 1, int(c.min()), int(c.max()) + 1
    valid = np.zeros((r1 - r0, c1 - c0), dtype=bool)
    valid[r - r0, c - c0] = True
    counts = np.where(valid, grid.counts[r0:r1, c0:c1], 0.0)
    return PopulationGrid(
        counts=counts,
        valid=valid,
        transform=grid.transform * Affine.translation(c0, r0),
        crs=grid.crs,
        source=grid.source,
    )


def reproject_population(
    grid: PopulationGrid, *, crs: CRS | str, cell_size_m: float
) -> PopulationGrid:
    """Put a population grid on a north-up grid of another CRS, conserving people exactly.

    Every source cell's people go to the target cell containing the source cell's
    centre (mass-conserving "nearest cell" aggregation), so the target total equals the
    source total. It suits coarser targets (e.g. WorldPop 100 m -> a 1 km planning
    grid); on finer targets the people stay in blocks. Counts are never interpolated.

    Parameters
    ----------
    grid : PopulationGrid
        People per cell.
    crs : pyproj.CRS or str
        Target CRS (projected, in metres).
    cell_size_m : float
        Target cell size.

    Returns
    -------
    PopulationGrid
        Target cells that received no source cell hold 0 people and are valid when
        inside the covered rows and columns.
    """
    from .crs import transform_xy

    dst = CRS.from_user_input(crs)
    rows, cols = np.nonzero(grid.valid)
    x, y = grid.cell_centres(rows, cols)
    tx, ty = transform_xy(x, y, grid.crs, dst)
    size = float(cell_size_m)
    left = np.floor(tx.min() / size) * size
    top = np.ceil(ty.max() / size) * size
    if top == ty.max():
        top += size
    tc = ((tx - left) // size).astype(np.int64)
    tr = ((top - ty) // size).astype(np.int64)
    shape = (int(tr.max()) + 1, int(tc.max()) + 1)
    counts = np.zeros(shape, dtype=np.float64)
    np.add.at(counts, (tr, tc), grid.counts[rows, cols])
    return PopulationGrid(
        counts=counts,
        valid=np.ones(shape, dtype=bool),
        transform=Affine(size, 0.0, left, 0.0, -size, top),
        crs=dst,
        source=grid.source,
    )
