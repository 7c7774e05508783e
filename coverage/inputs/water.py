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
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from ..errors import InputError
from ..fork import Pending, forked
from .osm_areas import features_of, pbf_features
from .osm_blocks import TaggedCollector, UnknownFeature, decoder_available

__all__ = [
    "WATER_BARRIER_TAGS",
    "WaterParts",
    "WaterReader",
    "osm_features",
    "osm_water_reader",
    "read_barrier_layer",
    "read_osm_water",
    "sea_faces",
    "warm_reader",
    "water_features",
    "water_parts",
]

#: Reads the water of an OSM file: ``(path) -> GeoDataFrame (its features), WaterParts
#: (made from them already) or None``.
WaterFeatures = Callable[[Path], "gpd.GeoDataFrame | WaterParts | None"]

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
    land, lines = coast_parts(coastlines)
    return _sea(land, lines, box)


def coast_parts(coastlines: shapely.Geometry) -> tuple[shapely.Geometry, list[shapely.Geometry]]:
    """What the sea is made from, whatever the box: the land the closed coastlines
    enclose (islands, one geometry) and the open coastline lines.

    A closed coastline way is an island. Coastline ways that join end to end into a
    closed ring drawn counter-clockwise (land on the left, as OSM draws it) are one
    too: the sea of :func:`sea_faces` is the same (the inside of such a ring is on its
    land side, whatever the box), without cutting the box into faces for it.

    Parameters
    ----------
    coastlines : shapely.Geometry
        Coastline lines and island polygons.

    Returns
    -------
    (shapely.Geometry, list of shapely.Geometry)
        The islands' land (empty without islands) and the open lines.
    """
    parts = shapely.get_parts(coastlines)
    kind = shapely.get_type_id(parts)
    islands = list(parts[kind == 3])  # Polygon
    lines = list(parts[(kind == 1) | (kind == 2)])
    for line in list(lines):
        if shapely.is_closed(line) and shapely.get_num_coordinates(line) >= 4:
            islands.append(shapely.Polygon(shapely.get_coordinates(line)))
            lines.remove(line)
    if lines:
        merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines)))
        ring = (
            shapely.is_closed(merged)
            & (shapely.get_num_coordinates(merged) >= 4)
            & shapely.is_ccw(merged)
        )
        if ring.any():
            islands += [shapely.Polygon(shapely.get_coordinates(m)) for m in merged[ring]]
            lines = list(merged[~ring])
    land = shapely.union_all(islands) if islands else shapely.Polygon()
    return land, lines


def _sea(
    land: shapely.Geometry, lines: list[shapely.Geometry], box: shapely.Geometry
) -> shapely.Geometry:
    """The sea of :func:`sea_faces` from the parts of :func:`coast_parts`."""
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
        ``.osm.pbf`` (read through the block decoder,
        :func:`~coverage.inputs.osm_areas.pbf_features`, else pyrosm) or ``.osm`` XML
        (read with osmnx).
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
    if path.name.lower().endswith(".pbf") and decoder_available(path):
        try:
            return pbf_features(path, tags)
        except UnknownFeature:
            pass  # a header feature the block reader does not know: pyrosm reads it
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


def water_features(path: Path) -> gpd.GeoDataFrame | None:
    """The water features (:data:`WATER_BARRIER_TAGS`) of an OSM file, read here."""
    return osm_features(path, WATER_BARRIER_TAGS)


class WaterReader:
    """Reads an OSM file's water while the roads are parsed.

    Made by :func:`osm_water_reader`. :meth:`start` is called as the roads' parse
    begins. A PBF read through the block decoder gives its water in the same pass:
    :meth:`start` returns a :class:`~coverage.inputs.osm_blocks.TaggedCollector` for
    the parse to feed (the file is decoded once, and no second process holds its
    nodes). Any other file (XML, a PBF osmium reads) is read in a forked child
    meanwhile (:func:`water_features`), which also makes of the features what does
    not depend on the study area (:func:`water_parts`). :meth:`features` is a
    :data:`WaterFeatures`: the water of the pass or of the child for that file, or
    the file read here when neither has it (a network from the cache, a parse that
    went to osmium).
    """

    def __init__(self, stack: ExitStack, enabled: bool) -> None:
        self._stack = stack
        self._enabled = enabled
        self._path: Path | None = None
        self._pending: Pending[dict[str, Any]] | None = None
        self._collected: TaggedCollector | None = None

    def start(self, path: str | os.PathLike[str]) -> TaggedCollector | None:
        """Start reading the water of ``path`` (once): the collector the roads' parse
        feeds, or a second process (where forking is sound; else nothing happens and
        :meth:`features` reads it when asked)."""
        if not self._enabled or self._path is not None:
            return None
        self._path = Path(path)
        if self._path.name.lower().endswith(".pbf") and decoder_available(self._path):
            self._collected = TaggedCollector(WATER_BARRIER_TAGS)
            return self._collected
        task = partial(_parts_json, self._path)
        self._pending = self._stack.enter_context(
            forked(task, name="the process reading the OSM water areas")
        )
        if self._pending.pid is None:  # not forked: read when asked, as without a start
            self._pending = None
        return None

    def features(self, path: Path) -> gpd.GeoDataFrame | WaterParts | None:
        """The water of ``path`` (a :data:`WaterFeatures`): the :class:`WaterParts` of
        the roads' pass or of the child, or the features read here."""
        if Path(path) == self._path:
            collected, self._collected = self._collected, None
            if collected is not None and collected.elements is not None:
                return water_parts(features_of(collected.elements))
            if self._pending is not None:
                pending, self._pending = self._pending, None
                if _warm_now(pending, Path(path)):
                    warm_reader()  # while the child reads, this process would only wait
                return _parts_from_json(pending.result())
        return water_features(Path(path))


#: Water reads this process has forked (a process-wide count for :func:`_warm_now`).
_FORKED_READS = [0]


def _warm_now(pending: Pending[Any], path: Path) -> bool:
    """Whether to load pyrosm here while the child reads ``path``.

    Not in a process's first run (a command line run is the only one: loading would
    make it wait longer than the child), nor once the child has answered, nor for an
    XML file (read with osmnx); from a process's second run on, while the child works
    (a PBF read in a child is one the block reader does not read: pyrosm's).
    """
    _FORKED_READS[0] += 1
    if "pyrosm.pyrosm" in sys.modules or _FORKED_READS[0] < 2:
        return False
    return path.name.lower().endswith(".pbf") and not pending.ready()


def warm_reader() -> None:
    """Load pyrosm's reader into this process (once; a second call costs nothing).

    Loading it takes longer than a county's water read (pyrosm loads its optional
    graph back-ends with it: 0.2-0.8 s), and a forked child loads it afresh each run
    unless its parent has it: from a process's second run on,
    :meth:`WaterReader.features` loads it while the child reads, so the children of
    its next runs (a script over many counties) start with it.
    """
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm's import-time deprecation chatter
        importlib.import_module("pyrosm.pyrosm")


@contextmanager
def osm_water_reader(enabled: bool = True) -> Iterator[WaterReader]:
    """A :class:`WaterReader` whose child, if any, is gone when the block is left.

    Parameters
    ----------
    enabled : bool
        False: nothing is read in a second process (no water is wanted).

    Yields
    ------
    WaterReader
    """
    with ExitStack() as stack:
        yield WaterReader(stack, enabled)


def _parts_json(path: Path) -> dict[str, Any]:
    """The water of ``path`` (:func:`water_parts` of its features) as JSON, in WKB (hex)."""
    parts = water_parts(water_features(path))

    def hexes(geoms: Any) -> list[str]:
        return [str(g) for g in shapely.to_wkb(np.asarray(geoms, dtype=object), hex=True)]

    coast = None
    if parts.coast is not None:
        land, lines = parts.coast
        coast = {"land": shapely.to_wkb(land, hex=True), "lines": hexes(lines)}
    return {"polygons": hexes(parts.polygons), "coast": coast}


def _parts_from_json(answer: dict[str, Any]) -> WaterParts:
    """The :class:`WaterParts` :func:`_parts_json` described (their coordinates exactly)."""

    def geoms(hexes: list[str]) -> np.ndarray:
        return shapely.from_wkb(np.asarray(hexes, dtype=object))

    coast = answer["coast"]
    return WaterParts(
        geoms(answer["polygons"]),
        None if coast is None else (shapely.from_wkb(coast["land"]), list(geoms(coast["lines"]))),
    )


@dataclass(frozen=True)
class WaterParts:
    """An OSM file's water, as far as it does not depend on the study area.

    Made by :func:`water_parts`; :func:`read_osm_water` adds the sea of its box.

    Attributes
    ----------
    polygons : numpy.ndarray
        The water polygons (lakes, riverbanks, reservoirs), WGS84 shapely geometries.
    coast : tuple or None
        The islands' land and the open coastline lines (:func:`coast_parts`), None
        without a coastline.
    """

    polygons: np.ndarray
    coast: tuple[shapely.Geometry, list[shapely.Geometry]] | None


def water_parts(frame: gpd.GeoDataFrame | None) -> WaterParts:
    """The water of an OSM file's features, whatever the study area.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame or None
        Water features (:func:`water_features`): polygons are water; features tagged
        ``natural=coastline`` make the sea (:func:`coast_parts`); lines of other
        features are left out.

    Returns
    -------
    WaterParts
    """
    if frame is None or len(frame) == 0:
        return WaterParts(np.empty(0, dtype=object), None)
    frame = frame.reset_index(drop=True)
    geoms = frame.geometry
    natural = frame["natural"] if "natural" in frame else None
    is_coast = (
        (natural == "coastline").to_numpy() if natural is not None else np.zeros(len(frame), bool)
    )
    polys = geoms[~is_coast & geoms.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    coast = None
    if is_coast.any():
        coast = coast_parts(shapely.union_all(geoms[is_coast].to_numpy()))
    return WaterParts(polys.to_numpy(), coast)


def read_osm_water(
    path: str | os.PathLike[str],
    lonlat_bounds: tuple[float, float, float, float],
    *,
    features: WaterFeatures = water_features,
) -> gpd.GeoSeries:
    """Water polygons (and the sea) of an OSM file, in WGS84.

    Parameters
    ----------
    path : path-like
        The ``.osm.pbf`` or ``.osm`` XML file of the network.
    lonlat_bounds : tuple of float
        (west, south, east, north) of the study area; the sea is cut to it.
    features : callable
        Reads the file's water features (default :func:`water_features`), or their
        :class:`WaterParts` (a :meth:`WaterReader.features` takes them from the roads'
        pass or a second process).

    Returns
    -------
    geopandas.GeoSeries
        Polygons in EPSG:4326 (empty when the file has no water): the water polygons,
        then the sea.

    Raises
    ------
    InputError
        If the file cannot be read.
    """
    path = Path(path)
    try:
        found = features(path)
    except Exception as exc:  # pyrosm and osmnx raise bare Exceptions
        if "No matching features" not in str(exc) and "no data" not in str(exc).lower():
            raise InputError(
                f"{path}: cannot read the water areas of this OSM file "
                f"({type(exc).__name__}: {exc}); set water_barriers: false to go without"
            ) from None
        found = None
    parts = found if isinstance(found, WaterParts) else water_parts(found)
    out = list(parts.polygons)
    if parts.coast is not None:
        sea = _sea(*parts.coast, shapely.box(*lonlat_bounds))
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
