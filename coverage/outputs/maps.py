"""Interactive coverage maps (folium / Leaflet) that work offline.

The map shows the travel-time surface with a legend in minutes, the area within each
threshold, the gap areas, a choropleth of each unit level, and the stations by tier
(each tier its own colour and shape), with a layer control and bilingual labels.
The layers are drawn by :mod:`.map_layers`, the no-tile background by
:mod:`.background`; :func:`save_map` (in :mod:`.webpage`) writes a self-contained
page, so nothing but basemap tiles is fetched at view time, and a discreet notice
appears when tiles fail.

On a GCJ-02 basemap (AMap) every overlay is shifted to GCJ-02 for display only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import numpy as np
from branca.element import MacroElement, Template

from ..inputs.crs import transform_xy
from .background import add_background, road_lines, water_features
from .basemaps import Basemap, basemap_from_spec, display_shift, tile_layers
from .labels import label
from .map_layers import (
    add_gaps,
    add_isochrones,
    add_stations,
    add_units,
    legend_html,
    reproject_surface,
    surface_png,
    tile_notice,
)
from .products import Products, make_products
from .style import tier_styles
from .webpage import ASSETS, escape, map_html, save_map

if TYPE_CHECKING:
    from ..results import CoverageResult

__all__ = [
    "ASSETS",
    "coverage_map",
    "credits_text",
    "escape",
    "map_html",
    "reproject_surface",
    "road_lines",
    "save_map",
    "water_features",
]


def credits_text(result: CoverageResult, lang: str) -> str:
    """Data attribution (plain text): OpenStreetMap roads and the population source."""
    source = str(getattr(result.demand, "source", "") or "")
    parts = [label(lang, "roads_credit")]
    if re.search(r"worldpop|_ppp_|_pd_", source, flags=re.IGNORECASE):
        parts.append(label(lang, "worldpop_credit"))
    elif source:
        parts.append(label(lang, "population_credit", source=Path(source).name))
    return " | ".join(parts)


class _MapScript(MacroElement):
    """Attribution of the data, and the notice shown when basemap tiles fail to load."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            map.attributionControl.addAttribution({{ this.credits|tojson }});
            L.control.scale({imperial: false}).addTo(map);
            var notice = document.getElementById("coverage15-tile-notice");
            map.eachLayer(function (layer) {
                if (layer instanceof L.TileLayer) {
                    layer.on("tileerror", function () {
                        if (notice) { notice.style.display = "block"; }
                    });
                }
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, credits: str) -> None:
        super().__init__()
        self._name = "Coverage15Script"
        self.credits = credits


def _study_lonlat(result: CoverageResult) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of the populated places and the stations (the area the map is about).

    The network is only a fallback: an OSM extract often reaches far beyond the area.
    """
    people = result.demand.population > 0
    lon, lat = transform_xy(
        result.demand.x[people], result.demand.y[people], result.demand.crs, "EPSG:4326"
    )
    lon = np.concatenate([lon, result.stations["lon"].to_numpy(dtype=float)])
    lat = np.concatenate([lat, result.stations["lat"].to_numpy(dtype=float)])
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return result.network.lon, result.network.lat
    return lon[ok], lat[ok]


def coverage_map(
    result: CoverageResult,
    *,
    basemap: str | Mapping[str, Any] | Basemap = "osm",
    lang: str = "en",
    tianditu_key: str | None = None,
    products: Products | None = None,
) -> folium.Map:
    """An interactive map of a coverage result.

    Parameters
    ----------
    result : CoverageResult
        The result to draw.
    basemap : str, mapping or Basemap
        ``"osm"``, ``"tianditu"``, ``"amap"``, ``"none"`` or a custom
        ``{url, attribution, datum}`` (see :mod:`coverage.outputs.basemaps`). On a
        GCJ-02 basemap every overlay is shifted to GCJ-02 for display.
    lang : {"en", "zh"}
        Language of the labels.
    tianditu_key : str, optional
        Tianditu key (default: the ``TIANDITU_KEY`` environment variable).
    products : Products, optional
        The result's surfaces and isochrones, computed once
        (:func:`~coverage.outputs.products.make_products`; default: computed here).

    Returns
    -------
    folium.Map
        Layers: travel-time surface, one isochrone per threshold, gap areas, a unit
        choropleth per level and one layer of stations per tier; legend, layer control,
        OpenStreetMap and population attribution. Save it with :func:`save_map` for a
        page that works offline.

    Raises
    ------
    InputError
        If the basemap is Tianditu and no key is set.
    """
    base = basemap_from_spec(basemap)
    label(lang, "title", minutes=15, name="")  # validates lang early
    layers = tile_layers(base, lang=lang, tianditu_key=tianditu_key)
    shift = display_shift(base)
    headline = float(result.summary["minutes"])
    products = products or make_products(result)
    lon, lat = shift(*_study_lonlat(result))
    fmap = folium.Map(location=[float(np.median(lat)), float(np.median(lon))], tiles=None)
    fmap.get_root().header.add_child(  # type: ignore[attr-defined]
        folium.Element(
            "<style>.leaflet-control-layers{font:13px/1.4 sans-serif}"
            ".leaflet-div-icon.coverage15-station{background:none;border:none}</style>"
        )
    )
    for layer in layers:
        folium.TileLayer(
            tiles=layer["url"],
            attr=escape(layer["attr"]),
            name=escape(layer["name"]),
            subdomains=layer["subdomains"],
            max_zoom=layer["max_zoom"],
            overlay=layer.get("overlay", False),
            control=layer.get("overlay", False),
        ).add_to(fmap)
    fmap.fit_bounds([[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]])
    note = None
    if base.name == "none":
        has_water = add_background(fmap, result, lang, shift)
        note = label(lang, "background" if has_water else "no_water")
    vmax = 2 * headline
    if result.demand.grid is not None and products.minutes_grid is not None:
        url, bounds = surface_png(result, products.minutes_grid, vmax, shift)
        folium.raster_layers.ImageOverlay(
            url,
            bounds=bounds,
            name=escape(label(lang, "travel_time")),
            mercator_project=False,
            interactive=False,
            zindex=1,
        ).add_to(fmap)
    add_isochrones(fmap, products.isochrones, shift, lang, headline)
    choropleth = add_units(fmap, result, shift, lang, headline)
    gaps = add_gaps(fmap, result, shift, lang)
    styles = tier_styles(result.stations["tier"].astype(str))
    add_stations(fmap, result, shift, lang, headline, styles)
    folium.LayerControl(collapsed=False).add_to(fmap)
    _MapScript(escape(credits_text(result, lang))).add_to(fmap)
    root = fmap.get_root()
    root.html.add_child(  # type: ignore[attr-defined]
        folium.Element(
            legend_html(
                vmax,
                styles,
                result.thresholds,
                lang,
                choropleth=choropleth,
                gaps=gaps,
                note=note,
                headline=headline,
            )
        )
    )
    root.html.add_child(folium.Element(tile_notice(lang)))  # type: ignore[attr-defined]
    return fmap
