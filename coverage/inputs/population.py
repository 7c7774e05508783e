"""Gridded population: people per raster cell, read with rasterio.

The grid is never resampled: the engine works on the centres of the raster's own
cells, transformed to the metric CRS, so every person in the file is counted
exactly once. Nodata cells hold no people.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from ..errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "RESIDENTIAL_BUILDINGS",
    "Demand",
    "PopulationGrid",
    "demand_from_grid",
    "population_from_buildings",
    "read_osm_buildings",
    "read_population",
]

#: More people than this in one cell is taken as a broken raster, not a population.
MAX_PEOPLE_PER_CELL = 1.0e6


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

    def __repr__(self) -> str:
        rows, cols = self.shape
        return (
            f"PopulationGrid({rows}x{cols} cells, population={self.total:,.0f}, "
            f"crs={self.crs.to_string()})"
        )


def read_population(path: str | os.PathLike[str], *, band: int = 1) -> PopulationGrid:
    """Read a population raster (people per cell).

    Parameters
    ----------
    path : path-like
        GeoTIFF (or any raster GDAL reads) with a CRS; nodata honoured.
    band : int
        Band holding people per cell.

    Returns
    -------
    PopulationGrid

    Raises
    ------
    InputError
        If the file is missing or unreadable, has no CRS, holds no population, or holds
        negative or absurd values.

    Examples
    --------
    >>> grid = read_population("population.tif")  # doctest: +SKIP
    >>> round(grid.total)  # doctest: +SKIP
    869595
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: population raster not found; check the 'population' path")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            src = rasterio.open(path)
        with src:
            if src.transform.is_identity and not src.gcps[0]:
                raise InputError(
                    f"{path}: the population raster has no georeferencing (no geotransform); "
                    "export it again as a GeoTIFF with its transform and CRS"
                )
            if src.crs is None:
                raise InputError(
                    f"{path}: the population raster has no CRS; assign one "
                    "(e.g. gdal_edit.py -a_srs EPSG:4326) or export it again with its CRS"
                )
            data = src.read(band, masked=True)
            transform = src.transform
            crs = CRS.from_user_input(src.crs.to_wkt())
    except (RasterioError, MemoryError) as exc:
        raise InputError(
            f"{path}: cannot read the population raster ({exc}); give a GeoTIFF, "
            "and download it again if it is truncated"
        ) from None
    values = np.ma.filled(data.astype(np.float64), np.nan)
    valid = np.isfinite(values)
    if not valid.any():
        raise InputError(
            f"{path}: every cell of the population raster is nodata; check the file and its "
            "nodata value"
        )
    finite = values[valid]
    negative = finite < 0
    if negative.any():
        raise InputError(
            f"{path}: {int(negative.sum()):,} cells hold negative population (min "
            f"{finite.min():g}); set the raster's nodata value to that number or fix the cells"
        )
    if finite.max() > MAX_PEOPLE_PER_CELL:
        raise InputError(
            f"{path}: a cell holds {finite.max():,.0f} people, more than "
            f"{MAX_PEOPLE_PER_CELL:,.0f}; this is not a people-per-cell raster (or its nodata "
            "value is unset)"
        )
    counts = np.where(valid, values, 0.0)
    return PopulationGrid(
        counts=counts, valid=valid, transform=transform, crs=crs, source=str(path)
    )


#: Building types counted as homes when population is modelled from buildings.
RESIDENTIAL_BUILDINGS = frozenset(
    {"residential", "apartments", "house", "detached", "semidetached_house", "terrace",
     "dormitory", "bungalow", "farm", "hut", "cabin"}
)  # fmt: skip
_SMALL_HOMES = frozenset(
    {"house", "detached", "semidetached_house", "bungalow", "hut", "cabin", "farm"}
)
_NON_HOME_TAGS = ("amenity", "shop", "office", "tourism", "leisure", "craft")


def read_osm_buildings(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Building footprints from an OSM PBF extract (pyrosm), in WGS84.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` file.

    Returns
    -------
    geopandas.GeoDataFrame
        Polygons with the columns ``building``, ``building:levels`` and the tags that
        mark non-residential use (``amenity``, ``shop``, ``office``, …) where present.

    Raises
    ------
    InputError
        If the file cannot be read or holds no buildings.
    """
    import warnings

    import geopandas as gpd
    import pyrosm

    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            buildings = pyrosm.OSM(str(path), keep_metadata=False).get_buildings()
    except Exception as exc:  # pyrosm raises bare Exceptions on bad files
        raise InputError(f"{path}: cannot read buildings from this OSM file ({exc})") from None
    if buildings is None or len(buildings) == 0:
        raise InputError(f"{path}: the OSM file has no buildings; give a population raster instead")
    keep = [c for c in ("building", "building:levels", *_NON_HOME_TAGS) if c in buildings]
    return gpd.GeoDataFrame(buildings[keep], geometry=buildings.geometry, crs="EPSG:4326")


def population_from_buildings(
    buildings: gpd.GeoDataFrame,
    *,
    crs: CRS | str,
    cell_size_m: float = 100.0,
    floor_area_per_person_m2: float = 40.0,
    total: float | None = None,
) -> PopulationGrid:
    """Model residents from building footprints and rasterise them to a grid.

    Model: residential buildings are those whose ``building`` tag is in
    :data:`RESIDENTIAL_BUILDINGS`, or ``building=yes`` with no ``amenity``, ``shop``,
    ``office``, ``tourism``, ``leisure`` or ``craft`` tag. Residents of a building =
    footprint area x levels / ``floor_area_per_person_m2``; levels come from
    ``building:levels``, else 1 for houses and 4 for other homes. Each building's
    residents go to the grid cell containing its footprint's centroid, so the grid
    holds exactly the modelled total. With ``total`` the grid is scaled to that sum.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Footprints with a ``building`` column (e.g. :func:`read_osm_buildings`).
    crs : pyproj.CRS or str
        Projected metric CRS of the output grid.
    cell_size_m : float
        Grid cell size in metres.
    floor_area_per_person_m2 : float
        Residential floor area per person.
    total : float, optional
        Scale the modelled residents to this total.

    Returns
    -------
    PopulationGrid

    Raises
    ------
    InputError
        If no residential building is found.
    """
    import pandas as pd

    crs = CRS.from_user_input(crs)
    kind = buildings["building"].astype("string").fillna("").str.lower()
    other_use = np.zeros(len(buildings), dtype=bool)
    for tag in _NON_HOME_TAGS:
        if tag in buildings:
            other_use |= buildings[tag].notna().to_numpy()
    homes = kind.isin(list(RESIDENTIAL_BUILDINGS)).to_numpy() | (
        (kind == "yes").to_numpy() & ~other_use
    )
    homes &= buildings.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not homes.any():
        raise InputError(
            "buildings: no residential building found; give a population raster instead"
        )
    sel = buildings.loc[homes].to_crs(crs)
    levels_raw = (
        pd.to_numeric(sel["building:levels"], errors="coerce")
        if "building:levels" in sel
        else pd.Series(np.nan, index=sel.index)
    )
    default_levels = np.where(kind[homes].isin(list(_SMALL_HOMES)).to_numpy(), 1.0, 4.0)
    levels = np.where(levels_raw.notna() & (levels_raw > 0), levels_raw, default_levels)
    people = sel.geometry.area.to_numpy() * levels / floor_area_per_person_m2
    centroids = sel.geometry.centroid
    cx, cy = centroids.x.to_numpy(), centroids.y.to_numpy()
    left = np.floor(cx.min() / cell_size_m) * cell_size_m - cell_size_m
    top = np.ceil(cy.max() / cell_size_m) * cell_size_m + cell_size_m
    cols = ((cx - left) // cell_size_m).astype(np.int64)
    rows = ((top - cy) // cell_size_m).astype(np.int64)
    shape = (int(rows.max()) + 2, int(cols.max()) + 2)
    counts = np.zeros(shape, dtype=np.float64)
    np.add.at(counts, (rows, cols), people)
    if total is not None:
        counts *= float(total) / counts.sum()
    transform = Affine(cell_size_m, 0.0, left, 0.0, -cell_size_m, top)
    return PopulationGrid(
        counts=counts,
        valid=np.ones(shape, dtype=bool),
        transform=transform,
        crs=crs,
        source="modelled from OSM buildings",
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


def demand_from_grid(grid: PopulationGrid) -> Demand:
    """Demand points at the centres of every valid (non-nodata) cell of a grid.

    Parameters
    ----------
    grid : PopulationGrid
        People per cell.

    Returns
    -------
    Demand
        One point per valid cell, in the grid's CRS, with its row and column.
    """
    rows, cols = np.nonzero(grid.valid)
    x, y = grid.cell_centres(rows, cols)
    return Demand(
        x=x,
        y=y,
        population=grid.counts[rows, cols],
        crs=grid.crs,
        groups={},
        grid=grid,
        rows=rows,
        cols=cols,
        source=grid.source,
    )
