"""Where the real data for a Chinese county lives, and fetching it.

Three sources, each behind a URL template that a mirror can replace (argument
``url_template``, or an environment variable, or ``--url-template`` on the command
line):

* **OpenStreetMap** provincial extracts in the Geofabrik layout
  (:data:`OSM_URL_TEMPLATE`, ``{path}`` from :data:`PROVINCES`); env
  ``COVERAGE15_OSM_URL_TEMPLATE``.
* **WorldPop** 100 m people-per-cell rasters, unconstrained
  (:data:`WORLDPOP_URL_TEMPLATE`) or constrained to built-up cells
  (:data:`WORLDPOP_CONSTRAINED_URL_TEMPLATE`); env
  ``COVERAGE15_WORLDPOP_URL_TEMPLATE``.
* **SRTM** 1 arc-second elevation tiles (:data:`DEM_URL_TEMPLATE`, one
  ``N28E119``-style tile per whole degree); env ``COVERAGE15_DEM_URL_TEMPLATE``.

Templates are Python format strings; the placeholders are listed with each one.
"""

from __future__ import annotations

import hashlib
import html
import math
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DownloadError, InputError
from ..outputs.writers import atomic_path
from .clip import (
    Bbox,
    area_geometry,
    check_bbox,
    clip_pbf,
    clip_raster,
    hgt_to_geotiff,
    merge_tiles,
)
from .download import Download, default_cache_dir, download
from .provinces import PROVINCES, Province, find_province

__all__ = [
    "DEM_URL_TEMPLATE",
    "OSM_URL_TEMPLATE",
    "PROVINCES",
    "WORLDPOP_CONSTRAINED_URL_TEMPLATE",
    "WORLDPOP_URL_TEMPLATE",
    "FetchResult",
    "Province",
    "fetch_dem",
    "fetch_osm",
    "fetch_worldpop",
    "find_province",
    "osm_url",
    "srtm_tiles",
    "worldpop_urls",
]

#: Geofabrik layout. Placeholders: ``{path}`` (e.g. ``asia/china/zhejiang``), ``{slug}``
#: (``zhejiang``), ``{key}`` (pinyin, ``zhejiang``).
OSM_URL_TEMPLATE = "https://download.geofabrik.de/{path}-latest.osm.pbf"
_WORLDPOP = "https://data.worldpop.org/GIS/Population"
#: Unconstrained 100 m rasters (2000-2020). Placeholders: ``{year}``, ``{ISO3}``,
#: ``{iso3}``, ``{unadj}`` (``_UNadj`` for the UN-adjusted version, else empty).
WORLDPOP_URL_TEMPLATE = _WORLDPOP + "/Global_2000_2020/{year}/{ISO3}/{iso3}_ppp_{year}{unadj}.tif"
#: Constrained 100 m rasters (2020). Also ``{release}``: the release folder, tried in
#: the order of :data:`WORLDPOP_RELEASES` until one exists.
WORLDPOP_CONSTRAINED_URL_TEMPLATE = (
    _WORLDPOP + "/Global_2000_2020_Constrained/{year}/{release}/{ISO3}/"
    "{iso3}_ppp_{year}{unadj}_constrained.tif"
)
#: Release folders of the constrained rasters (countries are in one or the other).
WORLDPOP_RELEASES = ("BSGM", "maxar_v1")
#: SRTM 1 arc-second tiles, gzipped HGT, in the AWS "skadi" layout. Placeholders:
#: ``{tile}`` (``N28E119``), ``{lat_band}`` (``N28``), ``{lat}``, ``{lon}`` (the
#: south-west corner in whole degrees). ``.hgt``, ``.hgt.gz``, ``.hgt.zip`` and ``.tif``
#: tiles are understood.
DEM_URL_TEMPLATE = "https://s3.amazonaws.com/elevation-tiles-prod/skadi/{lat_band}/{tile}.hgt.gz"

_ENV = {
    "osm": "COVERAGE15_OSM_URL_TEMPLATE",
    "worldpop": "COVERAGE15_WORLDPOP_URL_TEMPLATE",
    "dem": "COVERAGE15_DEM_URL_TEMPLATE",
}


def _template(kind: str, url_template: str | None, default: str) -> str:
    return url_template or os.environ.get(_ENV[kind]) or default


def _format(template: str, kind: str, **values: Any) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(
            f"{kind} URL template {template!r} is not usable ({type(exc).__name__}: {exc}); "
            f"its placeholders can be {', '.join('{' + k + '}' for k in values)}"
        ) from None


def osm_url(region: str, *, url_template: str | None = None) -> str:
    """The download URL of a province's OSM extract.

    Parameters
    ----------
    region : str
        Province name (see :func:`find_province`).
    url_template : str, optional
        Template with ``{path}``, ``{slug}`` or ``{key}``; default
        ``$COVERAGE15_OSM_URL_TEMPLATE`` or :data:`OSM_URL_TEMPLATE`.

    Returns
    -------
    str

    Examples
    --------
    >>> osm_url("zhejiang")
    'https://download.geofabrik.de/asia/china/zhejiang-latest.osm.pbf'
    >>> osm_url("西藏", url_template="https://mirror.example/osm/{slug}.osm.pbf")
    'https://mirror.example/osm/tibet.osm.pbf'
    """
    p = find_province(region)
    template = _template("osm", url_template, OSM_URL_TEMPLATE)
    return _format(template, "OSM", path=p.path, slug=p.slug, key=p.key)


def worldpop_urls(
    iso3: str,
    *,
    year: int = 2020,
    constrained: bool = False,
    un_adjusted: bool = False,
    url_template: str | None = None,
) -> list[str]:
    """Candidate URLs of a WorldPop 100 m population raster, most likely first.

    Parameters
    ----------
    iso3 : str
        Country code (``CHN``).
    year : int
        2000-2020 (unconstrained); 2020 (constrained).
    constrained : bool
        People only on built-up cells (constrained) rather than everywhere.
    un_adjusted : bool
        The version scaled to the UN national total (``_UNadj``).
    url_template : str, optional
        Template (see :data:`WORLDPOP_URL_TEMPLATE`); default
        ``$COVERAGE15_WORLDPOP_URL_TEMPLATE`` or the WorldPop layout.

    Returns
    -------
    list of str
        One URL, or one per release folder when the template has ``{release}``.

    Examples
    --------
    >>> worldpop_urls("chn")[0].rsplit("/", 3)[1:]
    ['2020', 'CHN', 'chn_ppp_2020.tif']
    """
    code = iso3.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InputError(f"ISO3 code {iso3!r} must be three letters, e.g. CHN")
    if not 2000 <= int(year) <= 2020 or (constrained and int(year) != 2020):
        raise InputError(
            f"WorldPop year {year} is not available: unconstrained 2000-2020, constrained 2020"
        )
    default = WORLDPOP_CONSTRAINED_URL_TEMPLATE if constrained else WORLDPOP_URL_TEMPLATE
    template = _template("worldpop", url_template, default)
    values = {
        "ISO3": code,
        "iso3": code.lower(),
        "year": int(year),
        "unadj": "_UNadj" if un_adjusted else "",
    }
    releases = WORLDPOP_RELEASES if "{release}" in template else ("",)
    return [_format(template, "WorldPop", **values, release=r) for r in releases]


def srtm_tiles(bbox: Bbox | str) -> list[str]:
    """Names of the 1-degree SRTM tiles covering a bbox (``N28E119`` = 28..29N, 119..120E).

    Parameters
    ----------
    bbox : tuple of float or str
        ``(west, south, east, north)`` in degrees.

    Returns
    -------
    list of str

    Examples
    --------
    >>> srtm_tiles((119.5, 27.9, 120.2, 28.3))
    ['N27E119', 'N27E120', 'N28E119', 'N28E120']
    >>> srtm_tiles((43.2, -12.4, 43.5, -11.3))
    ['S13E043', 'S12E043']
    """
    west, south, east, north = check_bbox(bbox)
    names = []
    for lat in range(math.floor(south), math.ceil(north)):
        for lon in range(math.floor(west), math.ceil(east)):
            ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
            names.append(f"{ns}{abs(lat):02d}{ew}{abs(lon):03d}")
    return names


@dataclass(frozen=True)
class FetchResult:
    """The file a fetch produced and how it was obtained.

    Attributes
    ----------
    kind : str
        ``"osm"``, ``"worldpop"`` or ``"dem"``.
    name : str
        What was asked for (region, ``CHN 2020``, the bbox).
    path : pathlib.Path
        The file to use (the clipped file when a clip was asked for).
    downloads : tuple of Download
        The files downloaded or found in the cache.
    clip_bounds : tuple of float or None
        ``(west, south, east, north)`` of the clipping area, if any.
    missing : tuple of str
        URLs the server did not have that were skipped (SRTM tiles over the sea).
    """

    kind: str
    name: str
    path: Path
    downloads: tuple[Download, ...]
    clip_bounds: tuple[float, float, float, float] | None = None
    missing: tuple[str, ...] = ()

    @property
    def size_bytes(self) -> int:
        """Size of :attr:`path`."""
        return self.path.stat().st_size

    def bounds(self) -> tuple[float, float, float, float] | None:
        """``(west, south, east, north)`` in degrees of the data in :attr:`path`.

        The clipping area if there was one, else the raster's bounds or the bounding box
        in the OSM file's header (None if the header has none).
        """
        if self.clip_bounds is not None:
            return self.clip_bounds
        if self.kind == "osm":
            import osmium

            reader = osmium.io.Reader(str(self.path), osmium.osm.NOTHING)
            try:
                box = reader.header().box()
            finally:
                reader.close()
            if not box.valid():
                return None
            return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
        import rasterio
        from rasterio.warp import transform_bounds

        with rasterio.open(self.path) as ds:
            return tuple(transform_bounds(ds.crs, "EPSG:4326", *ds.bounds))  # type: ignore[return-value]

    def explore(self) -> Any:
        """A folium map outlining the area of the data (to check it covers the county).

        Returns
        -------
        folium.Map
        """
        import folium

        from ..outputs.webpage import escape

        fmap = folium.Map(tiles="OpenStreetMap", control_scale=True)
        bounds = self.bounds()
        if bounds is not None:
            w, s, e, n = bounds
            folium.Rectangle(
                [[s, w], [n, e]], color="#08519c", weight=2, fill=False, tooltip=escape(repr(self))
            ).add_to(fmap)
            fmap.fit_bounds([[s, w], [n, e]])
        return fmap

    def _facts(self) -> list[tuple[str, str]]:
        cached = sum(d.from_cache for d in self.downloads)
        facts = [
            ("file", str(self.path)),
            ("size", f"{self.size_bytes / 1e6:,.2f} MB"),
            (
                "downloads",
                f"{len(self.downloads)} ({cached} from cache; verified by "
                f"{', '.join(sorted({d.verified for d in self.downloads}))})",
            ),
        ]
        if self.clip_bounds is not None:
            facts.append(("clipped to", ", ".join(f"{b:.5f}" for b in self.clip_bounds)))
        if self.missing:
            facts.append(("not on server", f"{len(self.missing)} (skipped)"))
        return facts

    def __repr__(self) -> str:
        facts = "; ".join(f"{k} {v}" for k, v in self._facts())
        return f"FetchResult({self.kind} {self.name!r}: {facts})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self._facts()
        )
        return (
            f"<table><caption>{html.escape(self.kind)} {html.escape(self.name)}</caption>"
            f"{rows}</table>"
        )


def _area_key(bbox: Bbox | None, boundary: Any) -> tuple[str, tuple[float, float, float, float]]:
    area = area_geometry(bbox=bbox, boundary=boundary)
    key = hashlib.sha256(area.wkb).hexdigest()[:12]
    return key, tuple(float(b) for b in area.bounds)  # type: ignore[return-value]


def _finish(
    source: Path,
    *,
    clip: Any,
    bbox: Bbox | None,
    boundary: Any,
    out: str | os.PathLike[str] | None,
    cache_dir: Path,
    suffix: str,
) -> tuple[Path, tuple[float, float, float, float] | None]:
    """Clip (cached by area) and/or copy the downloaded file to ``out``."""
    if bbox is None and boundary is None:
        if out is None:
            return source, None
        with atomic_path(out) as tmp:
            shutil.copyfile(source, tmp)
        return Path(out), None
    key, bounds = _area_key(bbox, boundary)
    stem = source.name[: -len(suffix)] if source.name.endswith(suffix) else source.stem
    target = Path(out) if out is not None else cache_dir / "clipped" / f"{stem}-{key}{suffix}"
    if out is not None or not target.is_file():
        clip(source, target, bbox=bbox, boundary=boundary)
    return target, bounds


def fetch_osm(
    region: str,
    *,
    bbox: Bbox | str | None = None,
    boundary: Any = None,
    out: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    url_template: str | None = None,
    checksum: str | None = "auto",
    progress: bool = True,
    refresh: bool = False,
) -> FetchResult:
    """Download a province's OpenStreetMap extract, optionally cut to a county.

    Parameters
    ----------
    region : str
        Province name: pinyin (``zhejiang``), Chinese (``浙江``) or English.
    bbox : tuple of float or str, optional
        ``(west, south, east, north)`` to cut the extract to.
    boundary : path-like, GeoDataFrame or shapely geometry, optional
        County polygon(s) to cut the extract to (instead of ``bbox``).
    out : path-like, optional
        Where to write the result; default: keep it in the cache (clips in
        ``<cache>/clipped/``, reused for the same area).
    cache_dir : path-like, optional
        Cache folder (default :func:`~coverage.fetch.default_cache_dir`).
    url_template : str, optional
        See :func:`osm_url`; use it for a mirror.
    checksum : str or None
        See :func:`~coverage.fetch.download`; Geofabrik publishes ``.md5`` files.
    progress : bool
        Show progress bars.
    refresh : bool
        Download again even if the extract is in the cache.

    Returns
    -------
    FetchResult

    Raises
    ------
    InputError
        Unknown region, malformed bbox or boundary, or an area with no OSM node.
    DownloadError
        The download failed (see :func:`~coverage.fetch.download`).
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    bbox = check_bbox(bbox) if bbox is not None else None
    url = osm_url(region, url_template=url_template)
    got = download(url, cache_dir=cache, checksum=checksum, progress=progress, refresh=refresh)
    path, bounds = _finish(
        got.path,
        clip=clip_pbf,
        bbox=bbox,
        boundary=boundary,
        out=out,
        cache_dir=cache,
        suffix=".osm.pbf",
    )
    return FetchResult("osm", find_province(region).key, path, (got,), bounds)


def fetch_worldpop(
    iso3: str = "CHN",
    *,
    year: int = 2020,
    constrained: bool = False,
    un_adjusted: bool = False,
    bbox: Bbox | str | None = None,
    boundary: Any = None,
    out: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    url_template: str | None = None,
    checksum: str | None = "auto",
    progress: bool = True,
    refresh: bool = False,
) -> FetchResult:
    """Download a WorldPop 100 m population raster, optionally cut to a county.

    Clipping keeps the cells touching the area and, with a boundary, blanks those
    whose centre is outside: the people of every kept cell are kept exactly.

    Parameters
    ----------
    iso3 : str
        Country code.
    year : int
        Year of the estimate.
    constrained : bool
        The constrained raster (people on built-up cells only).
    un_adjusted : bool
        The version scaled to UN national totals.
    bbox, boundary, out, cache_dir, checksum, progress, refresh
        As in :func:`fetch_osm`.
    url_template : str, optional
        See :func:`worldpop_urls`.

    Returns
    -------
    FetchResult

    Raises
    ------
    InputError, DownloadError
        As in :func:`fetch_osm`.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    bbox = check_bbox(bbox) if bbox is not None else None
    urls = worldpop_urls(
        iso3, year=year, constrained=constrained, un_adjusted=un_adjusted, url_template=url_template
    )
    got = _first_available(urls, cache, checksum=checksum, progress=progress, refresh=refresh)
    path, bounds = _finish(
        got.path,
        clip=clip_raster,
        bbox=bbox,
        boundary=boundary,
        out=out,
        cache_dir=cache,
        suffix=".tif",
    )
    name = f"{iso3.upper()} {year}{' constrained' if constrained else ''}"
    return FetchResult("worldpop", name, path, (got,), bounds)


def _not_found(exc: DownloadError) -> bool:
    return ": HTTP 404 " in str(exc) or ": HTTP 403 " in str(exc)


def _first_available(
    urls: Sequence[str], cache: Path, *, checksum: str | None, progress: bool, refresh: bool
) -> Download:
    for i, url in enumerate(urls):
        try:
            return download(
                url, cache_dir=cache, checksum=checksum, progress=progress, refresh=refresh
            )
        except DownloadError as exc:
            if i == len(urls) - 1 or not _not_found(exc):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def fetch_dem(
    bbox: Bbox | str,
    *,
    out: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    url_template: str | None = None,
    checksum: str | None = "auto",
    progress: bool = True,
    refresh: bool = False,
) -> FetchResult:
    """Download the SRTM 1 arc-second tiles of a bbox and mosaic them, cut to the bbox.

    Tiles the server does not have (open sea) are skipped and listed in
    :attr:`FetchResult.missing`; their area is nodata (-32768).

    Parameters
    ----------
    bbox : tuple of float or str
        ``(west, south, east, north)`` in degrees.
    out : path-like, optional
        GeoTIFF to write; default ``<cache>/dem/srtm1-<area>.tif``.
    cache_dir, checksum, progress, refresh
        As in :func:`fetch_osm`.
    url_template : str, optional
        Template with ``{tile}``, ``{lat_band}``, ``{lat}``, ``{lon}``; default
        ``$COVERAGE15_DEM_URL_TEMPLATE`` or :data:`DEM_URL_TEMPLATE`.

    Returns
    -------
    FetchResult

    Raises
    ------
    InputError, DownloadError
        As in :func:`fetch_osm`; also when no tile of the bbox exists.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    box = check_bbox(bbox)
    template = _template("dem", url_template, DEM_URL_TEMPLATE)
    downloads: list[Download] = []
    missing: list[str] = []
    tifs: list[Path] = []
    for tile in srtm_tiles(box):
        lat = int(tile[1:3]) * (1 if tile[0] == "N" else -1)
        lon = int(tile[4:7]) * (1 if tile[3] == "E" else -1)
        url = _format(template, "DEM", tile=tile, lat_band=tile[:3], lat=lat, lon=lon)
        try:
            got = download(
                url, cache_dir=cache, checksum=checksum, progress=progress, refresh=refresh
            )
        except DownloadError as exc:
            if not _not_found(exc):
                raise
            missing.append(url)
            continue
        downloads.append(got)
        if got.path.name.lower().endswith((".tif", ".tiff")):
            tifs.append(got.path)
        else:
            tif = got.path.with_name(tile + ".tif")
            if refresh or not tif.is_file() or tif.stat().st_mtime < got.path.stat().st_mtime:
                hgt_to_geotiff(got.path, tif)
            tifs.append(tif)
    if not tifs:
        raise DownloadError(
            f"no SRTM tile of bbox {box} is on the server ({', '.join(missing[:3])} …); "
            "the area may be all sea, or the URL template is wrong"
        )
    key, bounds = _area_key(box, None)
    target = Path(out) if out is not None else cache / "dem" / f"srtm1-{key}.tif"
    merge_tiles(tifs, target, bbox=box)
    name = ",".join(f"{b:g}" for b in box)
    return FetchResult("dem", name, target, tuple(downloads), bounds, tuple(missing))
