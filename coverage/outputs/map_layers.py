"""The overlays of the interactive map: surface, isochrones, units, gaps, stations, legend.

Each ``add_*`` function draws one kind of layer onto a folium map; every overlay is
moved to the basemap's datum by ``shift`` (GCJ-02 on AMap) for display only.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.warp
import shapely
from affine import Affine
from matplotlib import image as mpimg
from pyproj import CRS
from rasterio.enums import Resampling

from ..inputs.crs import transform_xy
from .labels import label, tier_label
from .style import (
    SHARE_BINS,
    SHARE_COLOURS,
    minutes_colours,
    minutes_gradient,
    share_colour,
)
from .webpage import escape, fmt

if TYPE_CHECKING:
    from ..inputs.population import PopulationGrid
    from ..results import CoverageResult

__all__ = [
    "add_gaps",
    "add_isochrones",
    "add_stations",
    "add_units",
    "legend_html",
    "reproject_surface",
    "shape_svg",
    "shift_geoms",
    "surface_png",
    "tile_notice",
]

Shift = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

_ISO_COLOURS = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef")


def shift_geoms(frame: gpd.GeoDataFrame, shift: Shift) -> gpd.GeoDataFrame:
    """The frame in lon/lat, moved to the basemap's datum and rounded to ~1 m."""
    out = frame.to_crs("EPSG:4326")

    def move(xy: np.ndarray) -> np.ndarray:
        x, y = shift(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([x, y]), 6)

    return out.set_geometry(shapely.transform(out.geometry.to_numpy(), move), crs="EPSG:4326")


def reproject_surface(
    surface: np.ndarray, grid: PopulationGrid, crs: CRS | str, *, max_finer: int = 1
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A surface on ``grid`` in another CRS (nearest neighbour), and its bounds.

    Parameters
    ----------
    surface : numpy.ndarray
        Values on the grid (NaN: none).
    grid : PopulationGrid
        The grid the surface lies on.
    crs : pyproj.CRS or str
        Target CRS.
    max_finer : int
        Up to this many times finer than the cells (at most 2048 px a side), so that
        cells rotated by the projection keep their shape instead of becoming staircases
        of whole pixels.

    Returns
    -------
    tuple
        The reprojected array and its ``(left, right, bottom, top)`` in ``crs``.
    """
    dst_crs = CRS.from_user_input(crs)
    if dst_crs == CRS.from_user_input(grid.crs) and max_finer == 1:
        west, south, east, north = grid.bounds()
        return surface, (west, east, south, north)
    args = (grid.crs.to_wkt(), dst_crs.to_wkt(), grid.shape[1], grid.shape[0], *grid.bounds())
    transform, width, height = rasterio.warp.calculate_default_transform(*args)
    finer = int(min(max_finer, max(1, 2048 // max(width, height))))
    if finer > 1:
        transform = transform @ Affine.scale(1.0 / finer)
        width, height = width * finer, height * finer
    dst = np.full((height, width), np.nan, dtype=np.float32)
    rasterio.warp.reproject(
        surface,
        dst,
        src_transform=grid.transform,
        src_crs=grid.crs.to_wkt(),
        dst_transform=transform,
        dst_crs=dst_crs.to_wkt(),
        resampling=Resampling.nearest,
        src_nodata=np.nan,
        dst_nodata=np.nan,
    )
    left, top = transform @ (0, 0)
    right, bottom = transform @ (width, height)
    return dst, (left, right, bottom, top)


def surface_png(
    result: CoverageResult, minutes_grid: np.ndarray, vmax: float, shift: Shift
) -> tuple[str, list[list[float]]]:
    """The travel-time surface reprojected to Web Mercator, coloured, as a PNG data URL.

    Leaflet stretches an image overlay linearly in Web Mercator between its corners,
    so the surface is reprojected to EPSG:3857 (nearest neighbour) to sit exactly. On a
    GCJ-02 basemap the corners are shifted; the offset varies by well under a metre
    across a county, so shifting the corners moves every cell.
    """
    grid = result.demand.grid
    if grid is None:
        raise ValueError("a travel-time surface needs population from a raster")
    dst, (left, right, bottom, top) = reproject_surface(
        minutes_grid, grid, "EPSG:3857", max_finer=4
    )
    rgba = minutes_colours(np.nan_to_num(dst, nan=0.0), vmax)
    rgba[..., 3] = np.where(np.isfinite(dst), 0.65, 0.0)
    buf = io.BytesIO()
    mpimg.imsave(buf, rgba, format="png")
    lon, lat = transform_xy(
        np.array([left, right]), np.array([bottom, top]), "EPSG:3857", "EPSG:4326"
    )
    lon, lat = shift(lon, lat)
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return url, [[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]]


def shape_svg(shape: str, colour: str, size: int) -> str:
    """An SVG marker of a tier shape, white-edged so it reads on any background."""
    c = size / 2
    r = size / 2 - 1.5
    if shape == "circle":
        body = f"<circle cx='{c}' cy='{c}' r='{r}'/>"
    elif shape == "square":
        body = f"<rect x='2' y='2' width='{size - 4}' height='{size - 4}'/>"
    else:
        n, start, inner = {
            "triangle": (3, -90, None),
            "triangle-down": (3, 90, None),
            "diamond": (4, -90, None),
            "hexagon": (6, 0, None),
            "star": (5, -90, 0.45),
        }[shape]
        pts = []
        for i in range(n * (2 if inner else 1)):
            radius = r * (inner if inner and i % 2 else 1.0)
            angle = np.radians(start + i * 360.0 / (n * (2 if inner else 1)))
            pts.append(f"{c + radius * np.cos(angle):.1f},{c + radius * np.sin(angle):.1f}")
        body = f"<polygon points='{' '.join(pts)}'/>"
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{size}' height='{size}' "
        f"style='display:block'><g fill='{colour}' stroke='#ffffff' stroke-width='1.5'>"
        f"{body}</g></svg>"
    )


def legend_html(
    vmax: float,
    styles: Mapping[str, tuple[str, str]],
    thresholds: tuple[float, ...],
    lang: str,
    *,
    choropleth: bool,
    gaps: bool,
    note: str | None,
    headline: float,
) -> str:
    """The legend box: minutes ramp, thresholds, unit shares, station tiers (HTML)."""
    stops = ", ".join(minutes_gradient())
    rows = [
        f"<b>{escape(label(lang, 'minutes_legend'))}</b>",
        f"<div style='height:10px;width:180px;background:linear-gradient(to right, {stops})'>"
        "</div><div style='display:flex;justify-content:space-between;width:180px'>"
        f"<span>0</span><span>{vmax / 2:g}</span><span>≥{vmax:g}</span></div>",
    ]
    for i, t in enumerate(sorted(thresholds, reverse=True)):
        colour = _ISO_COLOURS[min(i, len(_ISO_COLOURS) - 1)]
        rows.append(
            f"<div><span style='display:inline-block;width:10px;height:10px;"
            f"border:2px solid {colour};margin-right:4px'></span>"
            f"{escape(label(lang, 'within', minutes=t))}</div>"
        )
    if choropleth:
        share_title = label(lang, "covered_share", minutes=headline)
        edges = [*SHARE_BINS, 1.0]
        cells = "".join(
            f"<span title='{edges[i]:.0%}–{edges[i + 1]:.0%}' style='display:inline-block;"
            f"width:36px;height:10px;background:{c}'></span>"
            for i, c in enumerate(SHARE_COLOURS)
        )
        ticks = "".join(f"<span style='width:36px'>{e:.0%}</span>" for e in edges[:-1])
        rows.append(
            f"<div style='margin-top:4px'><b>{escape(share_title)}</b>"
            f"</div><div>{cells}</div><div style='display:flex;font-size:10px'>{ticks}</div>"
        )
    if gaps:
        rows.append(
            "<div style='margin-top:4px'><span style='display:inline-block;width:10px;"
            "height:10px;background:rgba(203,24,29,.45);border:1px dashed #67000d;"
            f"margin-right:4px'></span>{escape(label(lang, 'gaps'))}</div>"
        )
    rows.append(f"<div style='margin-top:4px'><b>{escape(label(lang, 'stations_heading'))}</b>")
    for tier, (colour, shape) in styles.items():
        rows.append(
            f"<div style='display:flex;align-items:center;gap:4px'>{shape_svg(shape, colour, 14)}"
            f"{escape(tier_label(lang, tier) or label(lang, 'station'))}</div>"
        )
    rows.append("</div>")
    if note:
        rows.append(f"<div style='margin-top:4px;color:#555;max-width:200px'>{escape(note)}</div>")
    return (
        "<div id='coverage15-legend' style='position:fixed;bottom:40px;left:10px;z-index:9999;"
        "background:rgba(255,255,255,.92);padding:8px 10px;border-radius:4px;"
        "font:12px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)'>" + "".join(rows) + "</div>"
    )


def tile_notice(lang: str) -> str:
    return (
        "<div id='coverage15-tile-notice' style='display:none;position:fixed;top:10px;"
        "left:50%;transform:translateX(-50%);z-index:9999;background:rgba(255,255,255,.9);"
        "color:#444;font:12px sans-serif;padding:3px 8px;border-radius:3px;"
        f"box-shadow:0 1px 3px rgba(0,0,0,.25)'>{escape(label(lang, 'tiles_failed'))}</div>"
    )


def add_units(
    fmap: folium.Map, result: CoverageResult, shift: Shift, lang: str, headline: float
) -> bool:
    """One choropleth layer per unit level, with tooltips; True if any was drawn."""
    drawn = False
    for level, polygons in result.unit_polygons.items():
        table = result.units.get(level)
        frame = shift_geoms(polygons[["geometry"]], shift)
        share = (
            table["coverage_share"].to_numpy(dtype=float)
            if table is not None and "coverage_share" in table
            else np.full(len(frame), np.nan)
        )
        props: dict[str, list[str]] = {
            label(lang, "unit"): [escape(u) for u in polygons["unit"]],
            label(lang, "covered_share", minutes=headline): [fmt(s, ".1%") for s in share],
        }
        optional = {
            "population": ("population", ",.0f"),
            "mean_minutes": ("mean_minutes", ".1f"),
            "p90_minutes": ("p90_minutes", ".1f"),
            "nearest_station_name": ("nearest_station", ""),
        }
        for column, (key, spec) in optional.items():
            if table is not None and column in table:
                props[label(lang, key)] = [
                    fmt(v, spec) if spec else escape(v) for v in table[column]
                ]
        if table is not None and "covered" in table:
            props[label(lang, "covered")] = [
                "-" if pd.isna(v) else label(lang, "yes" if bool(v) else "no")
                for v in table["covered"]
            ]
        for key, values in props.items():
            frame[key] = values
        frame["_fill"] = [share_colour(s) for s in share]
        folium.GeoJson(
            frame.__geo_interface__,
            name=escape(label(lang, "units", level=tier_label(lang, level))),
            style_function=lambda f: {
                "color": "#333333",
                "weight": 1,
                "fillColor": f["properties"]["_fill"],
                "fillOpacity": 0.35,
            },
            highlight_function=lambda _: {"weight": 3},
            tooltip=folium.GeoJsonTooltip(fields=list(props), sticky=True),
        ).add_to(fmap)
        drawn = True
    return drawn


def add_gaps(fmap: folium.Map, result: CoverageResult, shift: Shift, lang: str) -> bool:
    """The gap areas with their figures as tooltips; True if there are any."""
    gaps = getattr(result, "gaps", None)
    if gaps is None or len(gaps) == 0:
        return False
    frame = shift_geoms(gaps[["geometry"]], shift)
    fields: list[str] = []
    for column in gaps.columns:
        if column == "geometry":
            continue
        values = gaps[column]
        if column == "population":
            key = label(lang, "population")
        elif column.endswith("extra_minutes") and column.startswith("mean"):
            key = label(lang, "extra_minutes")
        elif values.dtype == object or column in ("gap_id",):
            key = column
        else:
            continue
        frame[key] = [
            fmt(v, ",.0f" if column == "population" else ".1f")
            if values.dtype != object
            else escape(v)
            for v in values
        ]
        fields.append(key)
    folium.GeoJson(
        frame.__geo_interface__,
        name=escape(label(lang, "gaps")),
        style_function=lambda _: {
            "color": "#67000d",
            "weight": 1.5,
            "fillColor": "#cb181d",
            "fillOpacity": 0.45,
            "dashArray": "4 3",
        },
        tooltip=folium.GeoJsonTooltip(fields=fields) if fields else None,
    ).add_to(fmap)
    return True


def add_isochrones(
    fmap: folium.Map, isochrones: gpd.GeoDataFrame, shift: Shift, lang: str, headline: float
) -> None:
    """The isochrone layers (one per threshold), from the result's products."""
    if isochrones.crs is None:
        return
    iso = isochrones[isochrones.geometry.notna() & ~isochrones.geometry.is_empty]
    if iso.empty:
        return
    iso = shift_geoms(iso, shift)
    for i, (_, row) in enumerate(iso.sort_values("minutes", ascending=False).iterrows()):
        colour = _ISO_COLOURS[min(i, len(_ISO_COLOURS) - 1)]
        minutes = float(row["minutes"])
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": row.geometry.__geo_interface__},
            name=escape(label(lang, "within", minutes=minutes)),
            show=minutes == headline,
            style_function=lambda _, c=colour: {
                "color": c,
                "weight": 2,
                "fillColor": c,
                "fillOpacity": 0.08,
            },
        ).add_to(fmap)


def add_stations(
    fmap: folium.Map,
    result: CoverageResult,
    shift: Shift,
    lang: str,
    headline: float,
    styles: Mapping[str, tuple[str, str]],
) -> None:
    stations = result.stations
    lon, lat = shift(stations["lon"].to_numpy(float), stations["lat"].to_numpy(float))
    tiers = stations["tier"].astype(str).to_numpy()
    details = [
        ("catchment_population", "catchment", ",.0f"),
        ("catchment_covered", "population_covered", ",.0f"),
        ("staff_recommended", "staff", ",.0f"),
    ]
    for tier, (colour, shape) in styles.items():
        name = escape(
            label(lang, "stations", tier=tier_label(lang, tier) or label(lang, "station"))
        )
        group = folium.FeatureGroup(name=name)
        size = 20 if shape == "star" else 16
        icon_html = shape_svg(shape, colour, size)
        for i in np.flatnonzero(tiers == tier):
            row = stations.iloc[i]
            lines = [
                f"<b>{escape(row['name'])}</b>",
                f"{escape(label(lang, 'tier'))}: {escape(tier_label(lang, tier))}",
                f"{escape(label(lang, 'id'))}: {escape(row['id'])}",
            ]
            for column, key, spec in details:
                if column in stations.columns:
                    lines.append(
                        f"{escape(label(lang, key, minutes=headline))}: {fmt(row[column], spec)}"
                    )
            folium.Marker(
                location=[float(lat[i]), float(lon[i])],
                icon=folium.DivIcon(
                    html=icon_html,
                    icon_size=(size, size),
                    icon_anchor=(size // 2, size // 2),
                    class_name="coverage15-station",
                ),
                popup=folium.Popup("<br>".join(lines), max_width=300),
                tooltip=escape(row["name"]),
            ).add_to(group)
        group.add_to(fmap)
