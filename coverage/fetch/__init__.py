"""Getting real data for a Chinese county: OSM extracts, WorldPop, SRTM.

A package rather than a single ``fetch.py`` because it holds three concepts that
each pass a couple of hundred lines: downloading into the cache
(:mod:`~coverage.fetch.download`), cutting to a county (:mod:`~coverage.fetch.clip`)
and where each source lives (:mod:`~coverage.fetch.sources`, with the province table
in :mod:`~coverage.fetch.provinces`). The demo stays in
:mod:`coverage.datasets`.

>>> from coverage.fetch import fetch_osm  # doctest: +SKIP
>>> fetch_osm("zhejiang", bbox=(119.0, 27.9, 119.5, 28.3))  # doctest: +SKIP
"""

from __future__ import annotations

from .clip import area_geometry, check_bbox, clip_pbf, clip_raster, hgt_to_geotiff, merge_tiles
from .download import CACHE_ENV, Download, cache_path, default_cache_dir, download
from .sources import (
    DEM_URL_TEMPLATE,
    OSM_URL_TEMPLATE,
    PROVINCES,
    WORLDPOP_CONSTRAINED_URL_TEMPLATE,
    WORLDPOP_URL_TEMPLATE,
    FetchResult,
    Province,
    fetch_dem,
    fetch_osm,
    fetch_worldpop,
    find_province,
    osm_url,
    srtm_tiles,
    worldpop_urls,
)

__all__ = [
    "CACHE_ENV",
    "DEM_URL_TEMPLATE",
    "OSM_URL_TEMPLATE",
    "PROVINCES",
    "WORLDPOP_CONSTRAINED_URL_TEMPLATE",
    "WORLDPOP_URL_TEMPLATE",
    "Download",
    "FetchResult",
    "Province",
    "area_geometry",
    "cache_path",
    "check_bbox",
    "clip_pbf",
    "clip_raster",
    "default_cache_dir",
    "download",
    "fetch_dem",
    "fetch_osm",
    "fetch_worldpop",
    "find_province",
    "hgt_to_geotiff",
    "merge_tiles",
    "osm_url",
    "srtm_tiles",
    "worldpop_urls",
]
