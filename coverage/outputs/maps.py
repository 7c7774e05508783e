"""Interactive coverage maps (folium / Leaflet).

The map shows the travel-time surface, the area within the headline threshold,
the unit boundaries and the stations coloured by tier, with a legend and a layer
control. Every text that comes from an input file is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING

import folium
import matplotlib
import numpy as np
import rasterio.warp
from matplotlib import colormaps
from matplotlib import image as mpimg
from rasterio.enums import Resampling

from ..inputs.crs import transform_xy

if TYPE_CHECKING:
    from ..results import CoverageResult

__all__ = ["TIER_COLOURS", "coverage_map"]

#: Marker colour per station tier; other tiers get a neutral colour.
TIER_COLOURS = {
    "county": "#b2182b",
    "township": "#ef8a62",
    "village": "#2166ac",
    "partner-bank": "#1b7837",
    "partner-hospital": "#762a83",
    "partner-pharmacy": "#e08214",
    "partner-insurer": "#4d4d4d",
}
_OTHER_COLOUR = "#878787"
_CMAP = "RdYlGn_r"
ATTRIBUTION = "Roads © OpenStreetMap contributors (ODbL)"


def _surface_png(result: CoverageResult, vmax: float) -> tuple[str, list[list[float]]]:
    """The travel-time surface reprojected to Web Mercator, coloured, as a PNG data URL.

    Leaflet stretches an image overlay linearly in Web Mercator between its corners,
    so the surface is reprojected to EPSG:3857 (nearest neighbour) to sit exactly.
    """
    grid = result.demand.grid
    if grid is None:
        raise ValueError("a travel-time surface needs population from a raster")
    src = result.minutes_grid()
    dst_transform, width, height = rasterio.warp.calculate_default_transform(
        grid.crs.to_wkt(),
        "EPSG:3857",
        grid.shape[1],
        grid.shape[0],
        *grid.bounds(),
    )
    dst = np.full((height, width), np.nan, dtype=np.float32)
    rasterio.warp.reproject(
        src,
        dst,
        src_transform=grid.transform,
        src_crs=grid.crs.to_wkt(),
        dst_transform=dst_transform,
        dst_crs="EPSG:3857",
        resampling=Resampling.nearest,
        src_nodata=np.nan,
        dst_nodata=np.nan,
    )
    rgba = colormaps[_CMAP](np.clip(dst / vmax, 0, 1))
    rgba[..., 3] = np.where(np.isfinite(dst), 0.65, 0.0)
    buf = io.BytesIO()
    mpimg.imsave(buf, rgba, format="png")
    left, top = dst_transform @ (0, 0)
    right, bottom = dst_transform @ (width, height)
    (west, east), (south, north) = transform_xy(
        np.array([left, right]), np.array([bottom, top]), "EPSG:3857", "EPSG:4326"
    )
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return url, [[south, west], [north, east]]


def _legend(vmax: float, tiers: list[str], headline: float) -> str:
    stops = ", ".join(matplotlib.colors.to_hex(colormaps[_CMAP](i / 4)) for i in range(5))
    tier_rows = "".join(
        f"<div><span style='display:inline-block;width:10px;height:10px;border-radius:5px;"
        f"background:{TIER_COLOURS.get(t, _OTHER_COLOUR)};margin-right:4px'></span>"
        f"{html.escape(t or 'station')}</div>"
        for t in tiers
    )
    return (
        "<div id='coverage15-legend' style='position:fixed;bottom:24px;left:12px;z-index:9999;"
        "background:rgba(255,255,255,.92);padding:8px 10px;border-radius:4px;font:12px sans-serif;"
        "box-shadow:0 1px 4px rgba(0,0,0,.3)'>"
        "<b>Minutes to nearest station</b>"
        f"<div style='height:10px;width:180px;background:linear-gradient(to right, {stops})'></div>"
        f"<div style='display:flex;justify-content:space-between;width:180px'><span>0</span>"
        f"<span>{vmax / 2:g}</span><span>≥{vmax:g}</span></div>"
        f"<div style='margin-top:4px'><span style='display:inline-block;width:10px;height:10px;"
        f"border:2px solid #08519c;margin-right:4px'></span>within {headline:g} min</div>"
        f"<div style='margin-top:4px'><b>Stations</b>{tier_rows}</div></div>"
    )


def coverage_map(result: CoverageResult, *, tiles: str | None = "OpenStreetMap") -> folium.Map:
    """An interactive map of a coverage result.

    Parameters
    ----------
    result : CoverageResult
        The result to draw.
    tiles : str or None
        folium basemap name, or None for no basemap.

    Returns
    -------
    folium.Map
        Layers: travel-time surface, the headline-threshold area, units (if any) and one
        layer of stations per tier; a legend and a layer control.
    """
    from ..engine.isochrones import isochrone_polygons

    headline = float(result.summary["minutes"])
    stations = result.stations.to_crs("EPSG:4326")
    lon = result.network.lon
    lat = result.network.lat
    fmap = folium.Map(
        location=[float(np.median(lat)), float(np.median(lon))],
        tiles=tiles,
        attr=ATTRIBUTION if tiles else None,
        control_scale=True,
    )
    fmap.fit_bounds([[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]])
    vmax = 2 * headline
    grid = result.demand.grid
    if grid is not None:
        url, bounds = _surface_png(result, vmax)
        folium.raster_layers.ImageOverlay(
            url,
            bounds=bounds,
            name="Travel time (minutes)",
            mercator_project=False,
            interactive=False,
            zindex=1,
        ).add_to(fmap)
        iso = isochrone_polygons(
            result.minutes_grid(), grid.transform, grid.crs, [headline]
        ).to_crs("EPSG:4326")
    if grid is not None and iso.geometry.iloc[0] is not None:
        folium.GeoJson(
            iso.__geo_interface__,
            name=f"Within {headline:g} min",
            style_function=lambda _: {
                "color": "#08519c",
                "weight": 2,
                "fillColor": "#6baed6",
                "fillOpacity": 0.15,
            },
        ).add_to(fmap)
    for level, polygons in result.unit_polygons.items():
        units = polygons.to_crs("EPSG:4326").copy()
        units["unit"] = units["unit"].map(lambda s: html.escape(str(s)))
        share = result.units[level]["coverage_share"].to_numpy()
        units["share"] = [("-" if np.isnan(v) else f"{v:.1%}") for v in share]
        folium.GeoJson(
            units.__geo_interface__,
            name=f"Units: {html.escape(level)}",
            style_function=lambda _: {"color": "#333333", "weight": 1, "fillOpacity": 0},
            tooltip=folium.GeoJsonTooltip(
                fields=[c for c in ("unit", "share") if c in units.columns]
            ),
        ).add_to(fmap)
    tiers = sorted({str(t) for t in stations["tier"]})
    for tier in tiers:
        group = folium.FeatureGroup(name=f"Stations: {html.escape(tier or 'station')}")
        colour = TIER_COLOURS.get(tier, _OTHER_COLOUR)
        for _, row in stations[stations["tier"].astype(str) == tier].iterrows():
            popup = (
                f"<b>{html.escape(str(row['name']))}</b><br>{html.escape(tier)}"
                f"<br>id {html.escape(str(row['id']))}"
                f"<br>catchment {row['catchment_population']:,.0f}"
                f"<br>within {headline:g} min {row['catchment_covered']:,.0f}"
            )
            folium.CircleMarker(
                location=[row.geometry.y, row.geometry.x],
                radius=6,
                color="#ffffff",
                weight=1.5,
                fill=True,
                fill_color=colour,
                fill_opacity=0.95,
                popup=folium.Popup(popup, max_width=300),
                tooltip=html.escape(str(row["name"])),
                class_name="coverage15-station",
            ).add_to(group)
        group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.get_root().html.add_child(  # type: ignore[attr-defined]
        folium.Element(_legend(vmax, tiers, headline))
    )
    return fmap
