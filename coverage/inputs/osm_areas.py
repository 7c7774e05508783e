"""Tagged features of a PBF file (water, coastlines) as shapes, from its decoded blocks.

:func:`pbf_features` gives the ways and relations with some tags as pyrosm's
``get_data_by_custom_criteria`` gives them (the same shapes, built by the same rules,
checked against pyrosm on real extracts by the tests), from one pass of
:func:`coverage.inputs.osm_blocks.tagged_elements`: no node, way or relation is turned
into a Python object unless it is one of the features or a member of one.

- A way is a polygon when it is closed (its first and last node are one) and its tags
  make it an area (:func:`is_area`, the OSM wiki's polygon features), else a line;
  nodes missing from the file are left out of its shape.
- A relation's member ways are merged into lines and each closed line is a ring; the
  rings are overlaid even-odd (a point is inside when an odd number of rings hold it),
  which gives outers, holes and islands in holes whatever the members' roles say.
  A relation whose tags make it linear (a waterway relation of a river) is its merged
  lines.
- Unlike pyrosm, a way with the tags that is also a member of such a relation stays a
  feature of its own: its shape is in the union either way, and a relation that cannot
  be assembled (cut by the extract's edge) does not take its tagged ways with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely import GEOSException

from .osm_blocks import Tagged, node_positions, tagged_elements

__all__ = ["POLYGON_FEATURES", "features_of", "is_area", "pbf_features"]

_ALL, _PASS, _BLOCK = "all", "passlist", "blocklist"

#: Which closed ways are areas: per key, every value (``all``), only the listed values
#: (``passlist``) or every value but the listed ones (``blocklist``); the OSM wiki's
#: polygon features, as osmnx and pyrosm read them.
POLYGON_FEATURES: dict[str, tuple[str, frozenset[str]]] = {
    "aeroway": (_BLOCK, frozenset({"taxiway"})),
    "amenity": (_ALL, frozenset()),
    "area": (_ALL, frozenset()),
    "area:highway": (_ALL, frozenset()),
    "barrier": (_PASS, frozenset({"city_wall", "ditch", "hedge", "retaining_wall", "spikes"})),
    "boundary": (_ALL, frozenset()),
    "building": (_ALL, frozenset()),
    "building:part": (_ALL, frozenset()),
    "craft": (_ALL, frozenset()),
    "golf": (_ALL, frozenset()),
    "highway": (_PASS, frozenset({"elevator", "escape", "rest_area", "services"})),
    "historic": (_ALL, frozenset()),
    "indoor": (_ALL, frozenset()),
    "landuse": (_ALL, frozenset()),
    "leisure": (_ALL, frozenset()),
    "man_made": (_BLOCK, frozenset({"cutline", "embankment", "pipeline"})),
    "military": (_ALL, frozenset()),
    "natural": (_BLOCK, frozenset({"arete", "cliff", "coastline", "ridge", "tree_row"})),
    "office": (_ALL, frozenset()),
    "place": (_ALL, frozenset()),
    "power": (_PASS, frozenset({"generator", "plant", "substation", "transformer"})),
    "public_transport": (_ALL, frozenset()),
    "railway": (_PASS, frozenset({"platform", "roundhouse", "station", "turntable"})),
    "ruins": (_ALL, frozenset()),
    "shop": (_ALL, frozenset()),
    "tourism": (_ALL, frozenset()),
    "waterway": (_PASS, frozenset({"boatyard", "dam", "dock", "riverbank"})),
}


def is_area(tags: Mapping[str, str]) -> bool:
    """Whether a closed way with these tags is an area.

    Not when tagged ``area=no``; else when one of its tags is a polygon feature
    (:data:`POLYGON_FEATURES`).

    Examples
    --------
    >>> is_area({"natural": "water"}), is_area({"natural": "coastline"})
    (True, False)
    >>> is_area({"natural": "coastline", "place": "island"})
    True
    >>> is_area({"landuse": "basin", "area": "no"})
    False
    """
    if tags.get("area") == "no":
        return False
    for key, value in tags.items():
        feature = POLYGON_FEATURES.get(key)
        if feature is None:
            continue
        rule, values = feature
        if rule == _ALL or (rule == _PASS) == (value in values):
            return True
    return False


def _linear_relation(tags: Mapping[str, str]) -> bool:
    """Whether a relation's tags make it lines, not an area (pyrosm's rule)."""
    linear = False
    for key in ("barrier", "route", "railway", "highway", "waterway"):
        if key not in tags:
            continue
        value = tags[key]
        if key == "railway":
            if value not in {"platform", "station", "turntable", "roundhouse", "traverser", "wash"}:
                linear = True
                break
        elif key == "highway":
            if value == "pedestrian":
                if "area" in tags:
                    linear = tags["area"] != "yes"
                    break
            elif value not in {"platform", "rest_area", "services"}:
                linear = True
                break
        elif key == "waterway":
            if value not in {"riverbank", "dock", "boatyard", "dam", "fuel"}:
                linear = True
                break
        else:
            linear = True
            break
    if tags.get("area") == "no":
        linear = True
    if tags.get("type") in {"multipolygon", "boundary"}:
        linear = False
    return linear


def _coordinates(elements: Tagged, refs: np.ndarray) -> np.ndarray:
    """(n, 2) lon/lat of the nodes of ``refs`` that are in the file with valid
    coordinates, in order."""
    at, found = node_positions(elements.node_ids, refs)
    lon, lat = elements.lon[at[found]], elements.lat[at[found]]
    valid = (np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0)
    return np.column_stack([lon[valid], lat[valid]])


def _way_shape(refs: np.ndarray, xy: np.ndarray, area: bool) -> Any:
    """One way's shape: a polygon when closed and an area, else a line; None when too few
    of its nodes remain."""
    if refs.size and refs[0] == refs[-1] and area:
        if len(xy) <= 2:
            return None
        try:
            return shapely.polygons(xy)
        except (GEOSException, ValueError):
            return None
    if len(xy) < 2:
        return None
    return shapely.linestrings(xy)


def _fix(geometry: Any, diff_threshold: float = 20) -> Any:
    """An invalid polygon mended: ``buffer(0)``, else a bow-tie split, when either keeps
    about its area (pyrosm's ``fix_geometry``); else as it was."""

    def keeps_area(candidate: Any) -> bool:
        return bool(
            candidate.is_valid
            and candidate.area
            and abs(1 - geometry.area / candidate.area) < diff_threshold
        )

    candidate = geometry.buffer(0)
    if keeps_area(candidate):
        return candidate
    if geometry.geom_type == "MultiPolygon":
        return geometry
    ring = geometry.exterior
    candidate = shapely.MultiPolygon(
        list(shapely.get_parts(shapely.polygonize([ring.intersection(ring)])))
    )
    return candidate if keeps_area(candidate) else geometry


def _polygonal(geometry: Any) -> Any:
    """The polygons of an overlay's result (stray lines and points dropped), or None."""
    if geometry is None or geometry.is_empty:
        return None
    kind = geometry.geom_type
    if kind in ("Polygon", "MultiPolygon"):
        return geometry
    if kind != "GeometryCollection":
        return None
    parts = [
        p
        for part in geometry.geoms
        if not part.is_empty and part.geom_type in ("Polygon", "MultiPolygon")
        for p in (part.geoms if part.geom_type == "MultiPolygon" else [part])
        if not p.is_empty
    ]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _ring_polygon(xy: np.ndarray) -> Any:
    try:
        polygon = shapely.polygons(shapely.linearrings(xy))
        if not polygon.is_valid:
            polygon = polygon.buffer(0)
    except (GEOSException, ValueError):
        return None
    return polygon


def _relation_shape(lines: Sequence[Any], linear: bool) -> Any:
    """A relation's shape from its member ways' lines (see the module docstring)."""
    if linear:
        return lines[0] if len(lines) == 1 else shapely.line_merge(shapely.multilinestrings(lines))
    merged = shapely.line_merge(shapely.multilinestrings(lines))
    rings = []
    for line in shapely.get_parts(merged):
        if line.geom_type != "LineString":
            continue
        xy = shapely.get_coordinates(line)
        if len(xy) < 4 or not (xy[0] == xy[-1]).all():
            continue  # an open ring is left out, not closed with an edge of its own
        polygon = _ring_polygon(xy)
        if polygon is not None and not polygon.is_empty:
            rings.append(polygon)
    if not rings:
        return None
    try:
        parts = np.asarray(rings, dtype=object)
        while len(parts) > 1:  # even-odd, in pairs round by round
            paired = len(parts) // 2 * 2
            merged_parts = shapely.symmetric_difference(parts[0:paired:2], parts[1:paired:2])
            parts = np.concatenate([merged_parts, parts[paired:]])
        area = _polygonal(parts[0])
    except GEOSException:
        return None
    if area is not None and not area.is_valid:
        area = _polygonal(_fix(area))
    if area is not None and not area.is_valid:
        area = _fix(area)
    return area


def pbf_features(
    path: str | Path, tags: Mapping[str, list[str] | str | bool]
) -> gpd.GeoDataFrame | None:
    """The ways and relations of a PBF file with some tags, as shapes in WGS84.

    Parameters
    ----------
    path : path-like
        An OSM PBF file.
    tags : mapping
        OSM key -> values to keep (a list, one value, or True for any), as osmnx takes them.

    Returns
    -------
    geopandas.GeoDataFrame or None
        ``osm_type`` (``way``, ``relation``), ``id``, one column per key of ``tags``
        (None where unset) and the geometry, in file order, ways first; None when no
        feature has a shape.

    Raises
    ------
    Exception
        The block reader's errors on a file it cannot decode (the caller names the file).
    """
    return features_of(tagged_elements(Path(path), tags))


def features_of(elements: Tagged) -> gpd.GeoDataFrame | None:
    """The features of :func:`pbf_features` from elements already collected (a
    :class:`~coverage.inputs.osm_blocks.TaggedCollector` fed by the roads' pass).

    Parameters
    ----------
    elements : Tagged
        The file's elements with the wanted tags (their keys are the frame's columns).

    Returns
    -------
    geopandas.GeoDataFrame or None
        As for :func:`pbf_features`.
    """
    rows: list[tuple[str, int, dict[str, str], Any]] = []
    for way_id, way_tags, refs in elements.ways:
        if refs.size:
            shape = _way_shape(refs, _coordinates(elements, refs), is_area(way_tags))
            if shape is not None:
                rows.append(("way", way_id, way_tags, shape))
    for rel_id, rel_tags, members in elements.relations:
        lines = []
        for way_id in np.unique(members):  # each member once, by id, as pyrosm takes them
            member = elements.member_refs.get(int(way_id))
            if member is not None:
                xy = _coordinates(elements, member)
                if len(xy) >= 2:
                    lines.append(shapely.linestrings(xy))
        if lines:
            shape = _relation_shape(lines, _linear_relation(rel_tags))
            if shape is not None:
                rows.append(("relation", rel_id, rel_tags, shape))
    if not rows:
        return None
    columns: dict[str, list[Any]] = {
        "osm_type": [r[0] for r in rows],
        "id": [r[1] for r in rows],
    }
    for key in elements.keys:
        columns[key] = [r[2].get(key) for r in rows]
    return gpd.GeoDataFrame(columns, geometry=[r[3] for r in rows], crs="EPSG:4326")
