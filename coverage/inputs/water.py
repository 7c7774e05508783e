"""Water areas that off-road access legs may not cross, from an OSM file or a polygon layer.

Read from the OSM file the network came from: ``natural=water``,
``waterway=riverbank``, ``landuse=reservoir|basin`` (ways and multipolygon
relations), and the sea side of ``natural=coastline``. Coastline ways have the
land on their left; the study area's box is cut by the coastlines into faces and
each face lies on the sea side when it is right of its nearest coastline segment
(so islands, whose coastlines close, and a clipped mainland coast both work).
A ``barriers:`` layer (GeoPackage, Shapefile, GeoJSON; any CRS) adds polygons.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ..errors import InputError

__all__ = [
    "WATER_BARRIER_TAGS",
    "osm_features",
    "read_barrier_layer",
    "read_osm_water",
    "sea_faces",
]

#: OSM tags of the water areas that block access legs.
WATER_BARRIER_TAGS: dict[str, bool | str | list[str]] = {
    "natural": ["water", "coastline"],
    "waterway": ["riverbank"],
    "landuse": ["reservoir", "basin"],
}


def sea_faces(coastlines: shapely.Geometry, box: shapely.Geometry) -> shapely.Geometry:
    """The parts of ``box`` on the sea side of coastlines.

    Open coastline lines have the land on their left, as OSM draws them; closed
    coastlines (given as polygons, or as closed lines) enclose land: islands.

    Parameters
    ----------
    coastlines : shapely.Geometry
        Coastline lines and island polygons, in the coordinates of ``box``.
    box : shapely.Geometry
        The area of interest, a polygon.

    Returns
    -------
    shapely.Geometry
        The sea, a (possibly empty) polygon or multipolygon.

    Examples
    --------
    >>> from shapely.geometry import LineString, Polygon, box
    >>> sea = sea_faces(LineString([(0, 5), (10, 5)]), box(0, 0, 10, 10))
    >>> sea.bounds  # land left of west -> east is north; the sea is the south half
    (0.0, 0.0, 10.0, 5.0)
    >>> sea_faces(Polygon([(3, 3), (7, 3), (7, 7), (3, 7)]), box(0, 0, 10, 10)).area
    84.0
    """
    parts = shapely.get_parts(coastlines)
    kind = shapely.get_type_id(parts)
    islands = list(parts[kind == 3])  # Polygon
    lines = list(parts[(kind == 1) | (kind == 2)])
    for line in list(lines):
        if shapely.is_closed(line) and shapely.get_num_coordinates(line) >= 4:
            islands.append(shapely.Polygon(shapely.get_coordinates(line)))
            lines.remove(line)
    land = shapely.union_all(islands) if islands else shapely.Polygon()
    open_lines = shapely.intersection(shapely.union_all(lines), box) if lines else None
    if open_lines is None or open_lines.is_empty:
        return shapely.difference(box, land)
    merged = shapely.get_parts(shapely.line_merge(open_lines))
    merged = merged[shapely.get_type_id(merged) == 1]
    faces = shapely.get_parts(shapely.polygonize([shapely.union_all([*merged, box.boundary])]))
    seg = np.concatenate(
        [
            np.column_stack([xy[:-1], xy[1:]])
            for xy in (shapely.get_coordinates(line) for line in merged)
        ]
    )
    ax, ay, bx, by = seg.T
    dx, dy = bx - ax, by - ay
    len2 = np.where(dx * dx + dy * dy > 0, dx * dx + dy * dy, 1.0)
    sea = []
    for face in faces:
        px, py = shapely.get_coordinates(shapely.point_on_surface(face))[0]
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / len2, 0, 1)
        i = int(np.argmin(np.hypot(px - ax - t * dx, py - ay - t * dy)))
        if dx[i] * (py - ay[i]) - dy[i] * (px - ax[i]) < 0:  # right of the segment
            sea.append(face)
    return shapely.difference(shapely.union_all(sea), land) if sea else shapely.Polygon()


def osm_features(
    path: str | os.PathLike[str], tags: dict[str, bool | str | list[str]]
) -> gpd.GeoDataFrame | None:
    """The features of an OSM file with some tags (ways and multipolygon relations).

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` (read with pyrosm) or ``.osm`` XML (read with osmnx).
    tags : dict
        OSM key -> values to keep, as osmnx takes them.

    Returns
    -------
    geopandas.GeoDataFrame or None
        In WGS84; None when pyrosm finds nothing.

    Raises
    ------
    Exception
        Whatever pyrosm or osmnx raise on a file they cannot read.
    """
    path = Path(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm and osmnx chatter
        if path.name.lower().endswith(".pbf"):
            import pyrosm

            return pyrosm.OSM(str(path)).get_data_by_custom_criteria(
                custom_filter=tags,
                osm_keys_to_keep=list(tags),
                filter_type="keep",
                keep_nodes=False,
                keep_relations=True,
            )
        import osmnx

        return osmnx.features_from_xml(path, tags=tags)


def read_osm_water(
    path: str | os.PathLike[str], lonlat_bounds: tuple[float, float, float, float]
) -> gpd.GeoSeries:
    """Water polygons (and the sea) of an OSM file, in WGS84.

    Parameters
    ----------
    path : path-like
        The ``.osm.pbf`` or ``.osm`` XML file of the network.
    lonlat_bounds : tuple of float
        (west, south, east, north) of the study area; the sea is cut to it.

    Returns
    -------
    geopandas.GeoSeries
        Polygons in EPSG:4326 (empty when the file has no water).

    Raises
    ------
    InputError
        If the file cannot be read.
    """
    path = Path(path)
    try:
        frame = osm_features(path, WATER_BARRIER_TAGS)
    except Exception as exc:  # pyrosm and osmnx raise bare Exceptions
        if "No matching features" not in str(exc) and "no data" not in str(exc).lower():
            raise InputError(
                f"{path}: cannot read the water areas of this OSM file "
                f"({type(exc).__name__}: {exc}); set water_barriers: false to go without"
            ) from None
        frame = None
    if frame is None or len(frame) == 0:
        return gpd.GeoSeries([], crs="EPSG:4326")
    frame = frame.reset_index(drop=True)
    geoms = frame.geometry
    natural = frame["natural"] if "natural" in frame else None
    is_coast = (
        (natural == "coastline").to_numpy() if natural is not None else np.zeros(len(frame), bool)
    )
    polys = geoms[~is_coast & geoms.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    out = list(polys.to_numpy())
    if is_coast.any():
        box = shapely.box(*lonlat_bounds)
        sea = sea_faces(shapely.union_all(geoms[is_coast].to_numpy()), box)
        if not sea.is_empty:
            out.append(sea)
    return gpd.GeoSeries(out, crs="EPSG:4326")


def read_barrier_layer(path: str | os.PathLike[str]) -> gpd.GeoSeries:
    """The polygons of a ``barriers:`` layer (GeoPackage, Shapefile, GeoJSON).

    Parameters
    ----------
    path : path-like
        The layer; it must have a CRS.

    Returns
    -------
    geopandas.GeoSeries
        Its polygons, in the layer's CRS.

    Raises
    ------
    InputError
        If the file is missing or unreadable, has no CRS or no polygon.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: barriers file not found; check the 'barriers' path")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError and others
        raise InputError(f"{path}: cannot read this barriers layer ({exc})") from None
    if frame.crs is None:
        raise InputError(f"{path}: the barriers layer has no CRS; save it with one (e.g. .prj)")
    polys = frame.geometry[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty:
        raise InputError(
            f"{path}: the barriers layer has no polygons; give water areas as polygons"
        )
    return polys.reset_index(drop=True)
