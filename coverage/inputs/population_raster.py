"""Reading population rasters (WorldPop, GHS-POP, any raster GDAL reads with a CRS).

Only the window of the raster that covers the study area is read (with a margin), and
nodata, float conversion and the sanity checks work on that window alone, so a
national-extent raster costs about what a raster cut to the county costs.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import rasterio
import rasterio.windows
from affine import Affine
from pyproj import CRS, Transformer
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from ..errors import InputError
from .demand import PopulationGrid

__all__ = ["MAX_PEOPLE_PER_CELL", "RasterOutsideAreaError", "read_population"]


class RasterOutsideAreaError(InputError):
    """The population raster does not overlap the area it was read for."""


#: More people than this in one cell is taken as a broken raster, not a population.
MAX_PEOPLE_PER_CELL = 1.0e6


def read_population(
    path: str | os.PathLike[str],
    *,
    band: int | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    bounds_crs: CRS | str | None = None,
    margin_cells: int = 1,
) -> PopulationGrid:
    """Read a population raster (people per cell), optionally only the window of an area.

    Parameters
    ----------
    path : path-like
        GeoTIFF, VRT or any raster GDAL reads, with a CRS; nodata honoured.
    band : int, optional
        Band holding people per cell (1-based). Required when the file has several
        bands; a single-band file uses its band.
    bounds : tuple of float, optional
        ``(west, south, east, north)`` of the study area in ``bounds_crs``. Only the
        cells touching that box (plus ``margin_cells``) are read, so the memory used is
        proportional to the area, not to the file.
    bounds_crs : pyproj.CRS or str, optional
        CRS of ``bounds`` (default: the raster's).
    margin_cells : int
        Extra cells read around the window.

    Returns
    -------
    PopulationGrid
        The window read (the whole raster without ``bounds``), in the raster's CRS.

    Raises
    ------
    InputError
        If the file is missing or unreadable, has no CRS, has several bands and no
        ``band``, does not overlap ``bounds``, holds no population, or holds infinite,
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
            crs = CRS.from_user_input(src.crs.to_wkt())
            band = _band(path, src.count, band)
            window = None
            if bounds is not None:
                window = _window(path, src, crs, bounds, bounds_crs, margin_cells)
            data = src.read(band, window=window, masked=True)
            transform = src.window_transform(window) if window is not None else src.transform
    except (RasterioError, MemoryError) as exc:
        raise InputError(
            f"{path}: cannot read the population raster ({exc}); give a GeoTIFF, "
            "and download it again if it is truncated"
        ) from None
    offset = (int(window.row_off), int(window.col_off)) if window is not None else (0, 0)
    counts, valid = _people(path, data, transform, crs, offset)
    return PopulationGrid(
        counts=counts, valid=valid, transform=transform, crs=crs, source=str(path)
    )


def _band(path: Path, count: int, band: int | None) -> int:
    """The 1-based band to read, refusing a multi-band image without ``band``."""
    if band is None:
        if count > 1:
            raise InputError(
                f"{path}: the population raster has {count} bands (an image, not people per "
                f"cell?); name the band of people per cell with population: "
                f"{{raster: {path.name}, band: 1}}"
            )
        return 1
    if not 1 <= band <= count:
        raise InputError(
            f"{path}: the population raster has {count} band{'s' if count > 1 else ''}, "
            f"no band {band}; set population: band to a number from 1 to {count}"
        )
    return band


def _window(
    path: Path,
    src: rasterio.io.DatasetReader,
    crs: CRS,
    bounds: tuple[float, float, float, float],
    bounds_crs: CRS | str | None,
    margin_cells: int,
) -> rasterio.windows.Window | None:
    """The window of cells touching ``bounds`` (plus a margin); None for a rotated grid."""
    t = src.transform
    if t.b != 0 or t.d != 0:  # a rotated grid: no rectangular window, read it whole
        return None
    west, south, east, north = bounds
    if bounds_crs is not None and not CRS.from_user_input(bounds_crs).equals(crs):
        to_raster = Transformer.from_crs(bounds_crs, crs, always_xy=True)
        west, south, east, north = to_raster.transform_bounds(
            west, south, east, north, densify_pts=21
        )
    win = rasterio.windows.from_bounds(west, south, east, north, transform=t)
    col0 = max(int(np.floor(win.col_off)) - margin_cells, 0)
    row0 = max(int(np.floor(win.row_off)) - margin_cells, 0)
    col1 = min(int(np.ceil(win.col_off + win.width)) + margin_cells, src.width)
    row1 = min(int(np.ceil(win.row_off + win.height)) + margin_cells, src.height)
    if not (np.isfinite([west, south, east, north]).all() and col1 > col0 and row1 > row0):
        raise RasterOutsideAreaError(
            f"{path}: the population raster does not overlap the study area; the "
            "population and the study area cover different areas, check the files and "
            "their CRS"
        )
    return rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)


def _people(
    path: Path,
    data: np.ma.MaskedArray,
    transform: Affine,
    crs: CRS,
    offset: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """People per cell (0 on nodata) and the valid mask, checked, of one window.

    ``offset`` is the window's first (row, column) in the file, to name a cell.
    """
    values = np.ma.filled(data.astype(np.float64), np.nan)
    infinite = np.isinf(values)
    if infinite.any():
        r, c = (int(i[0]) for i in np.nonzero(infinite))
        x = transform.c + transform.a * (c + 0.5) + transform.b * (r + 0.5)
        y = transform.f + transform.d * (c + 0.5) + transform.e * (r + 0.5)
        where = f"lon {x:.5f}, lat {y:.5f}" if crs.is_geographic else f"x {x:.1f}, y {y:.1f}"
        raise InputError(
            f"{path}: {int(infinite.sum()):,} cell(s) hold an infinite population (the first "
            f"at row {r + offset[0] + 1}, column {c + offset[1] + 1}: {where}); fix the cells "
            "or set the raster's nodata value to that number"
        )
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
    values[~valid] = 0.0
    return values, valid
