"""Where residents are: population rasters, population tables and modelled grids.

Rasters (WorldPop in EPSG:4326, WorldPop constrained, GHS-POP in Mollweide ESRI:54009
at 100 m or 1 km, any CRS GDAL reads) are never resampled for the engine: it works on
the centres of the raster's own cells, transformed to the metric CRS, so every person
in the file is counted exactly once. Nodata cells hold no people.

Clipping to the study area (:func:`clip_population`) keeps the cells whose centre
lies inside it, so the people kept plus the people left out equal the raster's total
exactly. Putting a grid on another grid (:func:`reproject_population`) moves every
source cell's people to the target cell containing its centre: the total is conserved
exactly (never bilinear interpolation of counts, which creates and destroys people).

Without a raster, demand comes from a table of points with populations
(:func:`read_population_points`, e.g. villages) or is modelled from OSM buildings
(:func:`population_from_buildings`). Population groups (e.g. people aged 65+) ride
along as :attr:`Demand.groups`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import CRS
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from ..errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "POINT_COLUMNS",
    "RESIDENTIAL_BUILDINGS",
    "Demand",
    "PopulationGrid",
    "clip_population",
    "demand_from_grid",
    "population_from_buildings",
    "read_osm_buildings",
    "read_population",
    "read_population_points",
    "reproject_population",
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


#: Columns of a population table and the headers recognised for each.
POINT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "name": ("name", "名称", "村名", "村庄", "村", "行政村", "社区", "地名", "village"),
    "lon": ("lon", "lng", "long", "longitude", "x", "经度"),
    "lat": ("lat", "latitude", "y", "纬度"),
    "population": ("population", "pop", "人口", "人口数", "常住人口", "户籍人口", "总人口"),
}


def read_population_points(
    path: str | os.PathLike[str],
    *,
    crs: str | CRS = "EPSG:4326",
    columns: Mapping[str, str] | None = None,
    groups: Mapping[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    outside_china: str = "keep",
) -> Demand:
    """Demand points from a table of places with populations (e.g. villages).

    Parameters
    ----------
    path : path-like
        CSV (any Chinese encoding, detected) or ``.xlsx`` with a name, longitude,
        latitude and population column (:data:`POINT_COLUMNS`, or ``columns``).
    crs : str or pyproj.CRS
        CRS of the coordinates, including ``"GCJ-02"`` and ``"BD-09"``.
    columns : mapping, optional
        ``{standard name: header in the file}``.
    groups : mapping, optional
        ``{group: header}`` of columns counting a population group (e.g. people 65+).
    encoding, sheet
        As in :func:`coverage.inputs.tables.read_table`.
    outside_china : {"keep", "shift"}
        GCJ-02/BD-09 handling of points outside China.

    Returns
    -------
    Demand
        Points in WGS84 with ``labels`` (the names) and ``groups``.

    Raises
    ------
    InputError
        Naming the file row of an empty, non-numeric or negative value, or a missing
        column.
    """
    from .crs import WGS84, to_wgs84
    from .tables import find_column, find_columns, read_table, rename_columns

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: population table not found; check the 'population' path")
    required = [
        [columns[k]] if columns and k in columns else POINT_COLUMNS[k]
        for k in ("lon", "lat", "population")
    ]
    table = read_table(path, encoding=encoding, sheet=sheet, required=required,
                       what="population table")  # fmt: skip
    rows = table.attrs.get("file_rows") or [i + 2 for i in range(len(table))]
    table = rename_columns(table, columns, source=str(path))
    if table.empty:
        raise InputError(f"{path}: the population table has no rows; add one row per place")
    found = find_columns(
        list(table.columns),
        POINT_COLUMNS,
        source=str(path),
        exclusive=("lon", "lat", "population"),
        mapping="population: columns",
    )
    missing = [k for k in ("lon", "lat", "population") if found[k] is None]
    if missing:
        raise InputError(
            f"{path}: no {', '.join(missing)} column (columns are "
            f"{', '.join(map(str, table.columns))}); name them lon, lat, population (or 经度, "
            "纬度, 人口) or map them with population: {columns: {...}}"
        )

    def numbers(col: str, what: str, *, nonnegative: bool) -> np.ndarray:
        import pandas as pd

        text = table[col].astype(str).str.strip().str.replace(",", "", regex=False)
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | ((values < 0) if nonnegative else False)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{path}: row {rows[i]}: column '{col}' ({what}) is {text.iloc[i]!r}, not a "
                f"{'non-negative ' if nonnegative else ''}number; fix it or remove the row"
            )
        return values

    lon = numbers(str(found["lon"]), "longitude", nonnegative=False)
    lat = numbers(str(found["lat"]), "latitude", nonnegative=False)
    population = numbers(str(found["population"]), "population", nonnegative=True)
    group_values = {}
    for group, header in (groups or {}).items():
        col = find_column(list(table.columns), [header])
        if col is None:
            raise InputError(
                f"{path}: no column {header!r} for population group '{group}' (columns are "
                f"{', '.join(map(str, table.columns))}); fix population: groups"
            )
        group_values[group] = numbers(col, f"group {group}", nonnegative=True)
    if (np.abs(lat) > 90).any() or (np.abs(lon) > 180).any():
        raise InputError(
            f"{path}: coordinates such as {lon[0]:g}, {lat[0]:g} are not degrees (or longitude "
            "and latitude are swapped); fix the columns or set the table's crs"
        )
    x, y = to_wgs84(lon, lat, crs, outside_china=outside_china)
    labels = (
        table[found["name"]].astype(str).to_numpy()
        if found["name"]
        else np.array([str(r) for r in rows])
    )
    return Demand(
        x=x,
        y=y,
        population=population,
        crs=WGS84,
        groups=group_values,
        labels=labels,
        source=str(path),
    )
