"""Basemaps of the interactive map, and the display shift their datum needs.

``osm`` is OpenStreetMap's standard layer; ``tianditu`` is 天地图, China's official
map service (CGCS2000, which equals WGS84 at map scale), and needs a user key;
``amap`` is 高德 (AMap/Gaode), drawn in GCJ-02; ``none`` draws no tiles (the map then
carries its own light vector background). A custom layer is a mapping
``{url, attribution, datum}`` with a Leaflet URL template.

Data files always stay in WGS84. Only what is drawn on a GCJ-02 basemap is shifted,
by :func:`display_shift`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from ..inputs.crs import wgs84_to_gcj02

__all__ = [
    "BASEMAPS",
    "Basemap",
    "basemap_from_spec",
    "display_shift",
    "resolve_tianditu_key",
]

#: Named basemaps of the ``basemap`` configuration key.
BASEMAPS = ("osm", "tianditu", "amap", "none")
DATUMS = ("wgs84", "gcj02")

_TIANDITU = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)


@dataclass(frozen=True)
class Basemap:
    """A basemap: a named one (``osm``, ``tianditu``, ``amap``, ``none``) or custom tiles.

    Attributes
    ----------
    name : str
        One of :data:`BASEMAPS`, or ``"custom"``.
    url : str or None
        Leaflet tile URL template of a custom basemap.
    attribution : str
        Attribution of a custom basemap (plain text).
    datum : {"wgs84", "gcj02"}
        Datum the tiles are drawn in; overlays are shifted to it for display.
    """

    name: str = "osm"
    url: str | None = None
    attribution: str = ""
    datum: str = "wgs84"

    @property
    def gcj02(self) -> bool:
        """Whether overlays must be shifted to GCJ-02 to sit on these tiles."""
        return self.datum == "gcj02"


def basemap_from_spec(spec: str | Mapping[str, Any] | Basemap) -> Basemap:
    """The basemap a configuration value names.

    Parameters
    ----------
    spec : str, mapping or Basemap
        ``"osm"``, ``"tianditu"``, ``"amap"``, ``"none"``, or
        ``{"url": ..., "attribution": ..., "datum": "wgs84" | "gcj02"}``.

    Returns
    -------
    Basemap

    Raises
    ------
    ValueError
        With the accepted forms, if ``spec`` is none of them.

    Examples
    --------
    >>> basemap_from_spec("amap").datum
    'gcj02'
    >>> basemap_from_spec({"url": "tiles/{z}/{x}/{y}.png", "attribution": "county"}).name
    'custom'
    """
    if isinstance(spec, Basemap):
        return spec
    if isinstance(spec, str):
        name = spec.strip().lower()
        if name not in BASEMAPS:
            raise ValueError(
                f"must be one of {', '.join(BASEMAPS)} or a mapping "
                f"{{url, attribution, datum}}, got {spec!r}"
            )
        return Basemap(name=name, datum="gcj02" if name == "amap" else "wgs84")
    if isinstance(spec, Mapping):
        unknown = sorted(set(map(str, spec)) - {"url", "attribution", "datum"})
        if unknown:
            raise ValueError(f"a custom basemap takes url, attribution and datum, not {unknown}")
        url = spec.get("url")
        if not isinstance(url, str) or not all(k in url for k in ("{z}", "{x}", "{y}")):
            raise ValueError(
                f"a custom basemap needs a tile url with {{z}}, {{x}} and {{y}}, got {url!r}"
            )
        datum = str(spec.get("datum", "wgs84")).lower().replace("-", "")
        if datum not in DATUMS:
            raise ValueError(f"a custom basemap's datum must be wgs84 or gcj02, got {datum!r}")
        attribution = spec.get("attribution") or ""
        return Basemap(name="custom", url=url, attribution=str(attribution), datum=datum)
    raise ValueError(f"must be a basemap name or a mapping, got {type(spec).__name__}")


def resolve_tianditu_key(key: str | None = None) -> str:
    """The Tianditu key: ``key`` if given, else the ``TIANDITU_KEY`` environment variable.

    Raises
    ------
    InputError
        If neither is set.
    """
    key = key or os.environ.get("TIANDITU_KEY", "").strip()
    if not key:
        raise InputError(
            "basemap 'tianditu' needs a Tianditu key: set the TIANDITU_KEY environment "
            "variable or 'tianditu_key' in the configuration (or use basemap: osm, amap or none)"
        )
    return key


def tile_layers(basemap: Basemap, *, lang: str, tianditu_key: str | None = None) -> list[dict]:
    """Leaflet tile layers (url, attribution, subdomains, name) of a basemap, bottom first."""
    if basemap.name == "osm":
        return [
            {
                "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                "attr": "© OpenStreetMap contributors",
                "subdomains": "abc",
                "name": "OpenStreetMap",
                "max_zoom": 19,
            }
        ]
    if basemap.name == "tianditu":
        key = resolve_tianditu_key(tianditu_key)
        attr = "© 天地图 Tianditu"
        # vec: vector map; cva/eva: Chinese/English place-name annotation on top of it
        notes = "cva" if lang == "zh" else "eva"
        return [
            {
                "url": _TIANDITU.format(layer=layer, key=key),
                "attr": attr,
                "subdomains": "01234567",
                "name": f"天地图 Tianditu ({layer})",
                "max_zoom": 18,
                "overlay": layer != "vec",
            }
            for layer in ("vec", notes)
        ]
    if basemap.name == "amap":
        amap_lang = "zh_cn" if lang == "zh" else "en"
        return [
            {
                "url": "https://webrd0{s}.is.autonavi.com/appmaptile?"
                f"lang={amap_lang}&size=1&scale=1&style=8&x={{x}}&y={{y}}&z={{z}}",
                "attr": "© 高德地图 AMap (GCJ-02)",
                "subdomains": "1234",
                "name": "高德地图 AMap",
                "max_zoom": 18,
            }
        ]
    if basemap.name == "custom":
        return [
            {
                "url": basemap.url,
                "attr": basemap.attribution or "custom tiles",
                "subdomains": "abc",
                "name": basemap.attribution or "custom tiles",
                "max_zoom": 19,
            }
        ]
    return []


def display_shift(basemap: Basemap) -> Callable[[np.ndarray, np.ndarray], tuple]:
    """The function that moves WGS84 lon/lat to where the basemap draws them.

    Identity for WGS84 basemaps; :func:`coverage.inputs.crs.wgs84_to_gcj02` for GCJ-02
    ones (AMap), which leaves points outside China where they are, as the tiles do.
    Used for display only: data files are never shifted.
    """
    if basemap.gcj02:
        return lambda lon, lat: wgs84_to_gcj02(lon, lat, outside_china="keep")
    return lambda lon, lat: (np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
