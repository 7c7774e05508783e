"""Terrain: elevations from a DEM and slope-dependent walking and cycling speeds.

With ``dem: srtm.tif`` in the configuration, every node gets its elevation by
bilinear interpolation of the DEM (any CRS; nodata and points off the raster give
NaN, taken as flat). Each directed edge is cut into pieces no longer than the
DEM's pixel size, and each piece is travelled at the edge's table speed times a
slope factor of its grade ``s = rise / run`` in the direction of travel:

- **walk** — Tobler's hiking function, relative to flat ground::

      v(s) = 6 exp(-3.5 |s + 0.05|) km/h,   factor = v(s) / v(0)

  so a 5 km/h table speed stays 5 km/h on the flat, is fastest (5.95 km/h) on a
  gentle 5 % descent, and halves on a 15 % climb (factor 0.497).
- **bike** — climbing costs power: ``factor = 1 / (1 + 10 s)`` uphill (a 10 %
  climb halves the speed); downhill ``factor = min(1 + 5 |s|, 1.25)`` (a 5 %
  descent gives the cap of 1.25 times the table speed; braking on rural roads
  limits more).
- **ebike** — the motor carries most of the climb: ``factor = 1 / (1 + 4 s)``
  uphill (a 10 % climb costs 29 %); downhill ``factor = 1`` (e-bikes are
  limited to 25 km/h by law, GB 17761-2018, so a descent gains nothing).
- **drive** — no slope effect.

The off-road access legs (straight lines between a point and the road) are walked
and use Tobler's factor of their own grade (see :mod:`coverage.engine.snapping`).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.windows
from affine import Affine
from pyproj import CRS
from rasterio.errors import RasterioIOError

from ..errors import InputError
from .crs import transform_xy
from .graph import Network

__all__ = [
    "Dem",
    "apply_terrain",
    "read_dem",
    "slope_factor",
    "tobler_kmh",
]


@dataclass(frozen=True)
class Dem:
    """Elevations on a raster grid.

    Attributes
    ----------
    elevation_m : numpy.ndarray
        2-D float64 heights in metres, NaN on nodata.
    transform : affine.Affine
        Pixel -> CRS transform (of the window read).
    crs : pyproj.CRS
        CRS of the raster.
    pixel_m : float
        Approximate pixel size in metres (for cutting edges into pieces).
    source : str
        The file it was read from.
    """

    elevation_m: np.ndarray
    transform: Affine
    crs: CRS
    pixel_m: float
    source: str = ""

    def sample(self, x: np.ndarray, y: np.ndarray, crs: CRS | str) -> np.ndarray:
        """Bilinear elevations at points given in ``crs`` (NaN off the raster or on nodata).

        Parameters
        ----------
        x, y : numpy.ndarray
            Point coordinates.
        crs : pyproj.CRS or str
            Their CRS.

        Returns
        -------
        numpy.ndarray
            Metres, NaN where any of the four surrounding pixel centres is missing.
        """
        px, py = transform_xy(np.asarray(x, float), np.asarray(y, float), crs, self.crs)
        col, row = ~self.transform * (px, py)
        col = np.asarray(col, dtype=float) - 0.5  # pixel-centre coordinates
        row = np.asarray(row, dtype=float) - 0.5
        rows, cols = self.elevation_m.shape
        # within the raster's extent; the outer half pixel takes the edge pixels' values
        inside = (col >= -0.5) & (col <= cols - 0.5) & (row >= -0.5) & (row <= rows - 0.5)
        out = np.full(np.shape(px), np.nan)
        if not inside.any():
            return out
        col = np.clip(col[inside], 0, cols - 1)
        row = np.clip(row[inside], 0, rows - 1)
        ci = np.minimum(np.floor(col), max(cols - 2, 0)).astype(np.int64)
        ri = np.minimum(np.floor(row), max(rows - 2, 0)).astype(np.int64)
        ci1 = np.minimum(ci + 1, cols - 1)
        ri1 = np.minimum(ri + 1, rows - 1)
        a, b = col - ci, row - ri
        z = self.elevation_m
        out[inside] = (
            z[ri, ci] * (1 - a) * (1 - b)
            + z[ri, ci1] * a * (1 - b)
            + z[ri1, ci] * (1 - a) * b
            + z[ri1, ci1] * a * b
        )
        return out


def read_dem(
    path: str | os.PathLike[str],
    *,
    lonlat_bounds: tuple[float, float, float, float] | None = None,
    margin_pixels: int = 2,
) -> Dem:
    """Read a DEM (heights in metres), optionally only the window covering some bounds.

    Parameters
    ----------
    path : path-like
        Any single-band raster GDAL reads, with a CRS (e.g. SRTM GeoTIFF).
    lonlat_bounds : tuple of float, optional
        (west, south, east, north) in degrees; only that area (plus a margin) is read.
    margin_pixels : int
        Extra pixels around the window.

    Returns
    -------
    Dem

    Raises
    ------
    InputError
        If the file is missing or unreadable, has no CRS, does not cover the bounds, or
        holds only nodata there.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: DEM file not found; check the 'dem' path")
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise InputError(
                    f"{path}: the DEM has no CRS; save it as a GeoTIFF with its CRS "
                    "(e.g. EPSG:4326)"
                )
            crs = CRS.from_user_input(src.crs.to_wkt())
            window = None
            if lonlat_bounds is not None:
                w, s, e, n = lonlat_bounds
                bx, by = transform_xy(
                    np.array([w, e, w, e]), np.array([s, s, n, n]), "EPSG:4326", crs
                )
                win = rasterio.windows.from_bounds(
                    bx.min(), by.min(), bx.max(), by.max(), transform=src.transform
                )
                col0 = int(np.floor(win.col_off)) - margin_pixels
                row0 = int(np.floor(win.row_off)) - margin_pixels
                col1 = int(np.ceil(win.col_off + win.width)) + margin_pixels
                row1 = int(np.ceil(win.row_off + win.height)) + margin_pixels
                col0, row0 = max(col0, 0), max(row0, 0)
                col1, row1 = min(col1, src.width), min(row1, src.height)
                if col1 <= col0 or row1 <= row0:
                    raise InputError(
                        f"{path}: the DEM does not cover the road network "
                        f"(lon {w:.3f}..{e:.3f}, lat {s:.3f}..{n:.3f}); use a DEM of the study area"
                    )
                window = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
            data = src.read(1, window=window, masked=True)
            transform = src.window_transform(window) if window is not None else src.transform
    except RasterioIOError as exc:
        raise InputError(f"{path}: cannot read the DEM ({exc})") from None
    elevation = np.ma.filled(data.astype(np.float64), np.nan)
    if not np.isfinite(elevation).any():
        raise InputError(
            f"{path}: every cell of the DEM{' over the road network' if window else ''} is "
            "nodata; check the file and its nodata value, or remove the 'dem' key"
        )
    if crs.is_geographic:
        lat = transform.f + transform.e * elevation.shape[0] / 2
        pixel_m = abs(transform.a) * 111_320.0 * max(np.cos(np.radians(lat)), 0.01)
        pixel_m = min(pixel_m, abs(transform.e) * 110_574.0)
    else:
        pixel_m = min(abs(transform.a), abs(transform.e))
    return Dem(elevation, transform, crs, float(pixel_m), str(path))


def tobler_kmh(grade: np.ndarray | float) -> np.ndarray:
    """Tobler's hiking function: walking speed in km/h on a grade (rise / run).

    Examples
    --------
    >>> round(float(tobler_kmh(-0.05)), 3), round(float(tobler_kmh(0.0)), 3)
    (6.0, 5.038)
    """
    return 6.0 * np.exp(-3.5 * np.abs(np.asarray(grade, dtype=float) + 0.05))


def slope_factor(mode: str, grade: np.ndarray | float) -> np.ndarray:
    """Speed multiplier of a mode on a grade (rise / run, in the direction of travel).

    See the module docstring for the rules. NaN grades (no elevation) give 1; grades
    are clipped to +-1 (45 degrees, where DEM noise over a few metres would otherwise
    give absurd factors).

    Parameters
    ----------
    mode : str
        ``walk``, ``bike``, ``ebike`` or ``drive``.
    grade : array-like
        Rise over run.

    Returns
    -------
    numpy.ndarray
        Multiplier of the flat-ground speed.

    Examples
    --------
    >>> float(slope_factor("bike", 0.1)), float(slope_factor("bike", -0.1))
    (0.5, 1.25)
    """
    # grades beyond +-100 % (45 degrees) are DEM noise over short distances
    g = np.clip(np.nan_to_num(np.asarray(grade, dtype=float), nan=0.0), -1.0, 1.0)
    if mode == "walk":
        return tobler_kmh(g) / tobler_kmh(0.0)
    if mode == "bike":
        return np.where(g > 0, 1.0 / (1.0 + 10.0 * np.maximum(g, 0)), np.minimum(1 - 5.0 * g, 1.25))
    if mode == "ebike":
        return np.where(g > 0, 1.0 / (1.0 + 4.0 * np.maximum(g, 0)), 1.0)
    return np.ones_like(g)


def apply_terrain(network: Network, dem: Dem, *, step_m: float | None = None) -> Network:
    """The network with node elevations and slope-dependent edge times.

    Each directed edge is cut into ``ceil(length / step_m)`` equal pieces; the
    elevation at the ends of each piece is sampled from the DEM along the straight
    line between the edge's nodes, and each piece takes ``piece_length / (speed *
    slope_factor(mode, grade))`` seconds, where ``speed`` is the edge's flat speed.

    Parameters
    ----------
    network : Network
        A network without terrain (flat speeds).
    dem : Dem
        Elevations (:func:`read_dem`).
    step_m : float, optional
        Longest piece; default the DEM's pixel size.

    Returns
    -------
    Network
        A copy with ``node_elevation_m`` set and ``edge_seconds`` re-weighted.
    """
    node_z = dem.sample(network.x, network.y, network.crs)
    if network.mode == "drive" or network.n_edges == 0:
        return dataclasses.replace(network, node_elevation_m=node_z)
    step = float(step_m) if step_m else max(dem.pixel_m, 1.0)
    length = network.edge_length_m
    pieces = np.maximum(np.ceil(length / step), 1).astype(np.int64)
    # sample points: for each edge, pieces + 1 fractions 0..1
    counts = pieces + 1
    edge_of = np.repeat(np.arange(network.n_edges), counts)
    start = np.cumsum(counts) - counts
    k = np.arange(edge_of.size) - np.repeat(start, counts)
    frac = k / pieces[edge_of]
    u, v = network.edge_u[edge_of], network.edge_v[edge_of]
    sx = network.x[u] + frac * (network.x[v] - network.x[u])
    sy = network.y[u] + frac * (network.y[v] - network.y[u])
    z = dem.sample(sx, sy, network.crs)
    # the ends are the nodes' own elevations (identical for every edge touching a node)
    z[start] = node_z[network.edge_u]
    z[start + pieces] = node_z[network.edge_v]
    piece_edge = np.repeat(np.arange(network.n_edges), pieces)
    idx = np.arange(piece_edge.size) + np.repeat(np.arange(network.n_edges), pieces)
    rise = z[idx + 1] - z[idx]
    piece_len = (length / pieces)[piece_edge]
    with np.errstate(invalid="ignore", divide="ignore"):
        grade = np.where(piece_len > 0, rise / np.where(piece_len > 0, piece_len, 1.0), 0.0)
    factor = slope_factor(network.mode, grade)
    flat_s = (network.edge_seconds / pieces)[piece_edge]
    seconds = np.bincount(piece_edge, weights=flat_s / factor, minlength=network.n_edges)
    return dataclasses.replace(network, edge_seconds=seconds, node_elevation_m=node_z)
