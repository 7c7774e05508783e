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
import geopandas as gpd
import numpy as np
from branca.element import Template

from ..inputs.crs import transform_xy
from .background import add_background, road_lines, water_features
from .basemaps import Basemap, basemap_from_spec, display_shift, tile_layers
from .labels import label
from .map_home import add_home_service
from .map_layers import (
    add_gaps,
    add_isochrones,
    add_population_points,
    add_stations,
    add_units,
    mark_unreachable,
    reproject_surface,
    surface_grid,
    surface_png,
    trace_isochrones,
)
from .map_legend import FONT_CSS, legend_html, tile_notice, title_html
from .style import map_title, tier_styles, time_classes
from .webpage import ASSETS, Verbatim, VerbatimMacro, escape, map_html, offline_map, save_map

if TYPE_CHECKING:
    from ..results import CoverageResult

__all__ = [
    "ASSETS",
    "MapScript",
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
    """Data attribution (plain text): OpenStreetMap roads, the population and terrain sources.

    The population source is the result's, or else the population file the summary
    names; WorldPop (CC BY 4.0) and SRTM elevation are credited by name.
    """
    inputs = result.summary.get("inputs") or {}
    population = inputs.get("population")
    if isinstance(population, Mapping):
        population = population.get("raster") or population.get("points")
    sources = [str(getattr(result.demand, "source", "") or ""), str(population or "")]
    parts = [label(lang, "roads_credit")]
    if any(re.search(r"worldpop|_ppp_|_pd_", s, flags=re.IGNORECASE) for s in sources):
        parts.append(label(lang, "worldpop_credit"))
    elif sources[0] or sources[1]:
        parts.append(label(lang, "population_credit", source=Path(sources[0] or sources[1]).name))
    if re.search(r"srtm", str(inputs.get("dem") or ""), flags=re.IGNORECASE):
        parts.append(label(lang, "srtm_credit"))
    return " | ".join(parts)


class MapScript(VerbatimMacro):
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
    surface: np.ndarray | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """An interactive map of a coverage result.

    The map opens with the stations, the travel-time surface (in the discrete classes
    of :func:`~coverage.outputs.style.time_classes`, the headline threshold's boundary
    drawn as a line) and the boundaries of the first unit level; the isochrones, the
    gap areas (outlined), the other levels and each level's covered-share choropleth
    are a toggle away in the layer control. A title box names the place, the travel
    mode and the threshold.

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
    surface : numpy.ndarray, optional
        Minutes on the population grid (NaN: nothing, inf: unreachable), as handed to
        every writer of a run; default: from the result.
    isochrones : geopandas.GeoDataFrame, optional
        One polygon per threshold (column ``minutes``), as written to
        ``isochrones.geojson``; default: traced from the result's surface.

    Returns
    -------
    folium.Map
        Layers: travel-time surface, threshold boundary, one isochrone per threshold,
        gap areas, per unit level its boundaries and its choropleth, one layer of
        stations per tier; legend, title, layer control, OpenStreetMap and population
        attribution. Save it with :func:`save_map` for a page that works offline.

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
    classes = time_classes(headline)
    lon, lat = shift(*_study_lonlat(result))
    fmap = offline_map(location=[float(np.median(lat)), float(np.median(lon))], tiles=None)
    fmap.get_root().header.add_child(Verbatim(FONT_CSS))  # type: ignore[attr-defined]
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
    grid = result.demand.grid
    if grid is not None:
        minutes = surface_grid(result) if surface is None else mark_unreachable(surface, result)
        url, bounds = surface_png(minutes, grid, classes, shift)
        folium.raster_layers.ImageOverlay(
            url,
            bounds=bounds,
            name=escape(label(lang, "travel_time")),
            mercator_project=False,
            interactive=False,
            zindex=1,
        ).add_to(fmap)
    iso = trace_isochrones(result) if isochrones is None else isochrones
    # a point population: its points as symbols coloured by time class; the isochrones
    # stay a toggle away (shown when there are no points to draw either)
    symbols = add_population_points(fmap, result, shift, classes, lang)
    add_isochrones(fmap, iso, shift, classes, lang, show=grid is None and not symbols)
    levels = list(result.unit_polygons)
    choropleth = add_units(
        fmap, result, shift, lang, headline, shown_level=levels[0] if levels else None
    )
    gaps = add_gaps(fmap, result, shift, lang)
    add_home_service(fmap, result, shift, lang)
    styles = tier_styles(result.stations["tier"].astype(str))
    add_stations(fmap, result, shift, lang, headline, styles)
    folium.LayerControl(collapsed=False).add_to(fmap)
    MapScript(escape(credits_text(result, lang))).add_to(fmap)
    root = fmap.get_root()
    thresholds = [] if iso is None else sorted(float(m) for m in iso["minutes"])
    legend = legend_html(
        classes if grid is not None or symbols else None,
        styles,
        thresholds,
        lang,
        choropleth=choropleth,
        gaps=gaps,
        note=note,
        headline=headline,
    )
    mode = str(result.summary.get("mode", result.network.mode))
    title = map_title(lang, place=result.name, mode=mode, minutes=headline)
    share = result.summary.get("coverage_share")
    subtitle = (
        ""
        if share is None
        else f"{label(lang, 'covered_share', minutes=headline)}{label(lang, 'colon')}{share:.1%}"
    )
    root.html.add_child(Verbatim(legend))  # type: ignore[attr-defined]
    root.html.add_child(Verbatim(title_html(title, subtitle)))  # type: ignore[attr-defined]
    root.html.add_child(Verbatim(tile_notice(lang)))  # type: ignore[attr-defined]
    return fmap
