"""Cutting downloaded data to a county: rasters, OSM extracts, SRTM tiles.

Rasters are never resampled. :func:`clip_raster` keeps the source cells that touch
the bounding box (a window, rounded outwards), and with a boundary polygon also
sets the cells whose centre does not lie inside it to nodata (a centre exactly on
the boundary is outside, as ``within`` has it). So the clipped raster's sum
is exactly the sum of the source cells kept (people are conserved; a cell counts in
the polygon holding its centre, as in :func:`coverage.compute_coverage`).

:func:`clip_pbf` keeps the tagged OSM nodes (points of interest) inside the area,
every way whose line touches the area *with all of its nodes* (so roads leaving the
county are not cut at the border), and the relations with a kept member (their other
members are not added): the "complete ways" strategy of ``osmium extract``, except
that a way crossing the area without a node inside is kept too. It reads the file
four times with pyosmium; the per-object work on the whole file runs in C++ (tag
filter, location cache, line building) and the geometry tests are vectorised, so
Python only loops over the ways and the kept objects.
"""

from __future__ import annotations

import gzip
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import shapely
from rasterio.transform import from_origin
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds

from ..errors import InputError, MissingDependencyError
from ..outputs.writers import atomic_path

__all__ = ["area_geometry", "clip_pbf", "clip_raster", "hgt_to_geotiff", "merge_tiles"]

Bbox = tuple[float, float, float, float]
_BATCH = 200_000


def area_geometry(*, bbox: Bbox | None = None, boundary: Any = None) -> shapely.Geometry:
    """The clipping area in WGS84 lon/lat, from a bbox or a boundary.

    Parameters
    ----------
    bbox : tuple of float, optional
        ``(west, south, east, north)`` in degrees.
    boundary : path-like, GeoDataFrame, GeoSeries or shapely geometry, optional
        Polygon(s) of the area; a file or frame is read in its own CRS and
        reprojected; a bare geometry is taken as lon/lat. Several polygons are united.

    Returns
    -------
    shapely.Geometry

    Raises
    ------
    InputError
        If neither or both are given, the bbox is malformed, or the boundary has no
        CRS or no polygon.
    """
    import geopandas as gpd

    if (bbox is None) == (boundary is None):
        raise InputError("give either a bbox (west, south, east, north) or a boundary, not both")
    if bbox is not None:
        west, south, east, north = check_bbox(bbox)
        return shapely.box(west, south, east, north)
    if isinstance(boundary, shapely.Geometry):
        geom = boundary
    else:
        if isinstance(boundary, (str, os.PathLike)):
            path = Path(boundary)
            if not path.is_file():
                raise InputError(f"{path}: boundary file not found; check the path")
            try:
                boundary = gpd.read_file(path)
            except Exception as exc:  # pyogrio's DataSourceError family
                raise InputError(f"{path}: cannot read the boundary ({exc})") from None
        if boundary.crs is None:
            raise InputError("the boundary has no CRS; save it with one (e.g. EPSG:4326)")
        geom = boundary.to_crs("EPSG:4326").geometry.union_all()
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError(
            f"the boundary must be a polygon, got {geom.geom_type}; give the county's area"
        )
    return shapely.make_valid(geom)


def check_bbox(bbox: Any) -> Bbox:
    """Validate ``(west, south, east, north)`` in degrees (also from ``"W,S,E,N"`` text).

    Examples
    --------
    >>> check_bbox("119.1,28.0,119.5,28.3")
    (119.1, 28.0, 119.5, 28.3)
    """
    if isinstance(bbox, str):
        bbox = [p for p in re.split(r"[,\s]+", bbox.strip()) if p]
    try:
        west, south, east, north = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise InputError(
            f"bbox {bbox!r} must be four numbers west,south,east,north in degrees, "
            "e.g. 119.1,28.0,119.5,28.3"
        ) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InputError(
            f"bbox {west},{south},{east},{north} is not west,south,east,north in degrees "
            "(need west < east, south < north, within ±180/±90)"
        )
    return (west, south, east, north)


def _window_outward(src: rasterio.DatasetReader, bounds: Bbox) -> Window:
    west, south, east, north = transform_bounds("EPSG:4326", src.crs, *bounds, densify_pts=21)
    win = from_bounds(west, south, east, north, transform=src.transform)
    col0, row0 = int(np.floor(win.col_off + 1e-9)), int(np.floor(win.row_off + 1e-9))
    col1 = int(np.ceil(win.col_off + win.width - 1e-9))
    row1 = int(np.ceil(win.row_off + win.height - 1e-9))
    col0, row0 = max(col0, 0), max(row0, 0)
    col1, row1 = min(col1, src.width), min(row1, src.height)
    if col1 <= col0 or row1 <= row0:
        raise InputError(
            f"{src.name}: the area {bounds} does not overlap the raster (bounds "
            f"{tuple(round(b, 5) for b in src.bounds)}); check the bbox or boundary"
        )
    return Window(col0, row0, col1 - col0, row1 - row0)


def clip_raster(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    bbox: Bbox | None = None,
    boundary: Any = None,
) -> Path:
    """Cut a raster to a bbox or boundary without resampling.

    Parameters
    ----------
    src, dst : path-like
        Source raster and the GeoTIFF to write (atomically).
    bbox : tuple of float, optional
        ``(west, south, east, north)`` in degrees; cells touching it are kept.
    boundary : path-like, GeoDataFrame or shapely geometry, optional
        Polygon(s); cells whose centre lies outside become nodata.

    Returns
    -------
    pathlib.Path
        ``dst``.

    Raises
    ------
    InputError
        If the area does not overlap the raster.
    """
    area = area_geometry(bbox=bbox, boundary=boundary)
    with rasterio.open(src) as ds:
        window = _window_outward(ds, area.bounds)
        data = ds.read(window=window)
        transform = ds.window_transform(window)
        profile = ds.profile.copy()
        nodata = ds.nodata
        if boundary is not None:
            if nodata is None:
                nodata = -32768 if np.issubdtype(data.dtype, np.integer) else -99999.0
            if ds.crs is not None and not ds.crs.to_string() == "EPSG:4326":
                import geopandas as gpd

                shape = gpd.GeoSeries([area], crs="EPSG:4326").to_crs(ds.crs).iloc[0]
            else:
                shape = area
            shapely.prepare(shape)
            rows, cols = np.mgrid[0 : data.shape[1], 0 : data.shape[2]]
            # centres from the source grid's own transform and indices, so that a centre
            # is computed exactly as when the full raster is read
            cx, cy = ds.transform * (cols + window.col_off + 0.5, rows + window.row_off + 0.5)
            data[:, ~shapely.contains_xy(shape, cx, cy)] = nodata
    profile.update(
        driver="GTiff",
        height=data.shape[1],
        width=data.shape[2],
        transform=transform,
        nodata=nodata,
        compress="deflate",
        tiled=data.shape[1] >= 256 and data.shape[2] >= 256,
    )
    for key in ("blockxsize", "blockysize", "photometric", "interleave"):
        profile.pop(key, None)
    if profile["tiled"]:
        profile.update(blockxsize=256, blockysize=256)
    with atomic_path(dst) as tmp, rasterio.open(tmp, "w", **profile) as out:
        out.write(data)
    return Path(dst)


def hgt_to_geotiff(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> Path:
    """Convert an SRTM tile (``.hgt``, ``.hgt.gz`` or ``.hgt.zip``) to a GeoTIFF.

    The tile's south-west corner comes from its name (``N28E119``); the grid is
    square, big-endian int16, nodata -32768, with pixel centres on the whole-degree
    edges (so 3601 x 3601 pixels for 1 arc-second tiles).

    Parameters
    ----------
    src : path-like
        The tile as downloaded.
    dst : path-like
        The GeoTIFF to write.

    Returns
    -------
    pathlib.Path
        ``dst``.

    Raises
    ------
    InputError
        If the name has no tile code or the size is not that of a square int16 grid.
    """
    src = Path(src)
    match = re.search(r"([NS])(\d{2})([EW])(\d{3})", src.name, flags=re.IGNORECASE)
    if match is None:
        raise InputError(f"{src}: the SRTM tile name has no code like N28E119; keep its name")
    lat = int(match.group(2)) * (1 if match.group(1).upper() == "N" else -1)
    lon = int(match.group(4)) * (1 if match.group(3).upper() == "E" else -1)
    name = src.name.lower()
    if name.endswith(".gz"):
        with gzip.open(src, "rb") as handle:
            raw = handle.read()
    elif name.endswith(".zip"):
        with zipfile.ZipFile(src) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".hgt")]
            if not members:
                raise InputError(f"{src}: the zip archive holds no .hgt file")
            raw = archive.read(members[0])
    else:
        raw = src.read_bytes()
    side = round(float(np.sqrt(len(raw) / 2)))
    if side < 2 or side * side * 2 != len(raw):
        raise InputError(
            f"{src}: {len(raw):,} bytes is not a square grid of 16-bit heights; "
            "the tile is damaged, delete it from the cache and fetch again"
        )
    heights = np.frombuffer(raw, dtype=">i2").reshape(side, side).astype(np.int16)
    res = 1.0 / (side - 1)
    transform = from_origin(lon - res / 2, lat + 1 + res / 2, res, res)
    with (
        atomic_path(dst) as tmp,
        rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            height=side,
            width=side,
            count=1,
            dtype="int16",
            crs="EPSG:4326",
            transform=transform,
            nodata=-32768,
            compress="deflate",
        ) as out,
    ):
        out.write(heights, 1)
    return Path(dst)


def merge_tiles(
    tiles: list[Path], dst: str | os.PathLike[str], *, bbox: Bbox | None = None
) -> Path:
    """Mosaic GeoTIFF tiles of one grid with rasterio, cut to ``bbox`` (outwards).

    Parameters
    ----------
    tiles : list of pathlib.Path
        GeoTIFFs on the same grid (same CRS and resolution, aligned origins).
    dst : path-like
        The GeoTIFF to write.
    bbox : tuple of float, optional
        ``(west, south, east, north)`` in the tiles' CRS; the output covers the cells
        touching it, aligned on the tiles' grid (no resampling).

    Returns
    -------
    pathlib.Path
        ``dst``.
    """
    from rasterio.merge import merge

    datasets = [rasterio.open(t) for t in tiles]
    try:
        first = datasets[0]
        res_x, res_y = first.res
        ox, oy = first.transform.c, first.transform.f
        bounds = None
        if bbox is not None:
            west, south, east, north = bbox
            bounds = (
                ox + np.floor((west - ox) / res_x + 1e-9) * res_x,
                oy - np.ceil((oy - south) / res_y - 1e-9) * res_y,
                ox + np.ceil((east - ox) / res_x - 1e-9) * res_x,
                oy - np.floor((oy - north) / res_y + 1e-9) * res_y,
            )
        mosaic, transform = merge(datasets, bounds=bounds, nodata=first.nodata)
        profile = {
            "driver": "GTiff",
            "height": mosaic.shape[1],
            "width": mosaic.shape[2],
            "count": mosaic.shape[0],
            "dtype": mosaic.dtype,
            "crs": first.crs,
            "transform": transform,
            "nodata": first.nodata,
            "compress": "deflate",
        }
    finally:
        for ds in datasets:
            ds.close()
    with atomic_path(dst) as tmp, rasterio.open(tmp, "w", **profile) as out:
        out.write(mosaic)
    return Path(dst)


def _inside(area: shapely.Geometry, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points in the area or on its boundary."""
    west, south, east, north = area.bounds
    near = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    out = np.zeros(lon.size, dtype=bool)
    out[near] = shapely.intersects_xy(area, lon[near], lat[near])
    return out


#: Header options of an OSM file that date its data, kept by :func:`clip_pbf`.
_DATE_HEADER_KEYS = (
    "osmosis_replication_timestamp",
    "osmosis_replication_sequence_number",
    "osmosis_replication_base_url",
    "timestamp",
)


def clip_pbf(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    bbox: Bbox | None = None,
    boundary: Any = None,
) -> Path:
    """Cut an OSM extract (PBF or XML) to a bbox or boundary, keeping ways whole.

    The cut keeps the source's data date: the replication timestamp (and sequence
    number, base URL) and timestamp of its header, which date the data in reports.

    Parameters
    ----------
    src : path-like
        The OSM file (``.osm.pbf``, ``.osm``).
    dst : path-like
        The ``.osm.pbf`` to write (atomically).
    bbox : tuple of float, optional
        ``(west, south, east, north)`` in degrees.
    boundary : path-like, GeoDataFrame or shapely geometry, optional
        Polygon(s) of the area.

    Returns
    -------
    pathlib.Path
        ``dst``.

    Raises
    ------
    InputError
        If no node of the file lies in the area.
    MissingDependencyError
        If pyosmium is not installed.
    """
    try:
        import osmium
    except ImportError:  # pragma: no cover - osmium is a core dependency
        raise MissingDependencyError(
            "clipping OSM extracts needs pyosmium: pip install osmium"
        ) from None
    area = area_geometry(bbox=bbox, boundary=boundary)
    shapely.prepare(area)
    src = str(src)
    keep = osmium.IdTracker()
    # 1. tagged nodes (points of interest) in the area; untagged nodes only matter as
    #    parts of ways and come with them (the tag filter runs in C++)
    ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    for node in osmium.FileProcessor(src, osmium.osm.NODE).with_filter(
        osmium.filter.EmptyTagFilter()
    ):
        loc = node.location  # type: ignore[union-attr]
        if loc.valid():
            ids.append(node.id)
            lons.append(loc.lon)
            lats.append(loc.lat)
    inside = _inside(area, np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    for node_id in np.asarray(ids, dtype=np.int64)[inside].tolist():
        keep.add_node(node_id)
    kept = int(inside.sum())
    # 2. ways whose line touches the area: the line is built in C++ (node locations
    #    cached by pyosmium) and tested against the area in vectorised batches
    wkb = osmium.geom.WKBFactory()
    way_ids: list[int] = []
    lines: list[str] = []

    def flush() -> int:
        if not lines:
            return 0
        hit = shapely.intersects(area, shapely.from_wkb(lines))
        for way_id in np.asarray(way_ids, dtype=np.int64)[hit].tolist():
            keep.add_way(way_id)
        way_ids.clear()
        lines.clear()
        return int(hit.sum())

    ways = (
        osmium.FileProcessor(src, osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    )
    for way in ways:
        try:
            lines.append(wkb.create_linestring(way))  # type: ignore[arg-type]
            way_ids.append(way.id)
        except (RuntimeError, osmium.InvalidLocationError):  # fewer than two distinct nodes
            xy = [(r.lon, r.lat) for r in way.nodes if r.location.valid()]  # type: ignore[union-attr]
            if xy and _inside(area, *np.asarray(xy, dtype=float).T).any():
                keep.add_way(way.id)
                kept += 1
        if len(lines) >= _BATCH:
            kept += flush()
    kept += flush()
    if kept == 0:
        raise InputError(
            f"{src}: no OSM node or way lies in the area "
            f"{tuple(round(b, 5) for b in area.bounds)}; "
            "check the bbox or boundary and that the extract covers it"
        )
    keep.complete_backward_references(src, relation_depth=0)  # all nodes of the kept ways
    # 3. relations with a kept member (their other members are not added)
    for rel in osmium.FileProcessor(src, osmium.osm.RELATION):
        if keep.contains_any_references(rel):
            keep.add_relation(rel.id)
    header = osmium.io.Header()
    # the cut is as current as the file it was cut from: its data date goes along
    # (read by coverage.inputs.dates; without it every first run scans every object)
    source = osmium.io.Reader(str(src), osmium.osm.osm_entity_bits.NOTHING)
    try:
        found = source.header()
        for key in _DATE_HEADER_KEYS:
            value = found.get(key, "")
            if value:
                header.set(key, value)
    finally:
        source.close()
    west, south, east, north = area.bounds
    header.add_box(
        osmium.osm.Box(osmium.osm.Location(west, south), osmium.osm.Location(east, north))
    )
    header.set("generator", "coverage15 clip_pbf")
    with atomic_path(dst) as tmp:
        tmp.unlink()
        with osmium.SimpleWriter(osmium.io.File(str(tmp), "pbf"), header=header) as writer:
            for obj in osmium.FileProcessor(src).with_filter(keep.id_filter()):
                writer.add(obj)
    return Path(dst)
