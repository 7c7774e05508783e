"""Polygons and their outlines as matplotlib paths, built from shapely's arrays.

geopandas' ``plot`` draws the whole figure after every call (``draw_idle``) and
builds one artist part per geometry in Python; a print map with a raster surface
and a few layers paid for several full renders before it was saved. These helpers
turn a layer into compiled paths in one go and add them without drawing:
:func:`outline` is one compound path (one stroke for every ring of every
geometry), :func:`fill` one path per geometry (holes cut out) in one collection.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.path import Path


def _array(layer: Any) -> np.ndarray:
    """The geometries of a GeoSeries, GeoDataFrame or array, as an object array."""
    values = getattr(layer, "geometry", layer)
    return np.asarray(getattr(values, "values", values), dtype=object)


def _geometries(layer: Any) -> np.ndarray:
    """The geometries of a layer, missing and empty ones dropped."""
    geoms = _array(layer)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return geoms[keep]


def _ring_codes(ring_of: np.ndarray) -> np.ndarray:
    """Path codes for the vertices of rings (``ring_of``: each vertex's ring, sorted)."""
    from matplotlib.path import Path

    codes = np.full(ring_of.size, Path.LINETO, dtype=Path.code_type)
    if ring_of.size:
        starts = np.flatnonzero(np.r_[True, ring_of[1:] != ring_of[:-1]])
        codes[starts] = Path.MOVETO
    return codes


def outline_path(layer: Any) -> Path:
    """Every boundary of a layer's geometries (lines as they are) as one path.

    Parameters
    ----------
    layer : geopandas.GeoSeries, geopandas.GeoDataFrame or array of shapely geometries
        Polygons (their rings are drawn) or lines, in the axes' coordinates.

    Returns
    -------
    matplotlib.path.Path
        One sub-path per ring or line part.
    """
    from matplotlib.path import Path

    geoms = _geometries(layer)
    # polygons and multipolygons (a multi-line string, id 5, is drawn as it is)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    geoms = np.where(polygonal, shapely.boundary(geoms), geoms)
    parts = shapely.get_parts(geoms)
    parts = parts[shapely.get_type_id(parts) != 0]  # points have no outline
    coords, which = shapely.get_coordinates(parts, return_index=True)
    return Path(coords, _ring_codes(which))


def polygon_paths(layer: Any) -> list[Path]:
    """One path per geometry: every ring of every part, holes included.

    Parameters
    ----------
    layer : geopandas.GeoSeries, geopandas.GeoDataFrame or array of shapely geometries
        Polygons or multipolygons; missing or empty ones give an empty path.

    Returns
    -------
    list of matplotlib.path.Path
        In the layer's order; filled with the even-odd rule, holes stay open.
    """
    from matplotlib.path import Path

    geoms = _array(layer)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    rings, part = shapely.get_rings(parts, return_index=True)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    codes = _ring_codes(ring)
    vertex_owner = owner[part[ring]] if coords.size else np.zeros(0, dtype=np.int64)
    bounds = np.searchsorted(vertex_owner, np.arange(geoms.size + 1))
    return [Path(coords[a:b], codes[a:b]) for a, b in itertools.pairwise(bounds)]


def outline(ax: Axes, layer: Any, **style: Any) -> Any:
    """Stroke every boundary of a layer as one compound path, without drawing the figure.

    The axes' data limits are not grown to the layer (set them, as a map's frame does).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Target axes (the layer is in its data coordinates).
    layer : geopandas.GeoSeries, geopandas.GeoDataFrame or array of shapely geometries
        Polygons or lines.
    **style
        Passed to :class:`matplotlib.patches.PathPatch` (``color``, ``linewidth``,
        ``linestyle``, ``zorder``, ``path_effects``).

    Returns
    -------
    matplotlib.patches.PathPatch
        The artist added.
    """
    from matplotlib.patches import PathPatch

    colour = style.pop("color", None)
    if colour is not None:
        style.setdefault("edgecolor", colour)
    patch = PathPatch(outline_path(layer), fill=False, **style)
    # add_patch walks every segment in Python to grow the data limits; the limits
    # of a map are set by its frame, so the patch is added as a plain artist
    patch.set_clip_path(ax.patch)
    ax.add_artist(patch)
    return patch


def fill(ax: Axes, layer: Any, facecolors: Any, **style: Any) -> Any:
    """Fill each polygon of a layer with its colour, in one collection, without drawing.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Target axes.
    layer : geopandas.GeoSeries, geopandas.GeoDataFrame or array of shapely geometries
        Polygons or multipolygons.
    facecolors : colour or sequence of colours
        One per geometry, or one for all.
    **style
        Passed to :class:`matplotlib.collections.PathCollection` (``edgecolor``,
        ``linewidth``, ``alpha``, ``zorder``).

    Returns
    -------
    matplotlib.collections.PathCollection
        The artist added.
    """
    from matplotlib.collections import PathCollection

    paths = polygon_paths(layer)
    collection = PathCollection(paths, facecolors=facecolors, **style)
    ax.add_collection(collection, autolim=True)
    ax.autoscale_view()
    return collection
