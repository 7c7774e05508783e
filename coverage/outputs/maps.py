"""Interactive coverage maps (folium / Leaflet) that work offline.

The map shows the travel-time surface with a legend in minutes, the area within each
threshold, the gap areas, a choropleth of each unit level, and the stations by tier
(each tier its own colour and shape), with a layer control and bilingual labels.

:func:`save_map` writes a self-contained page: Leaflet and jQuery (vendored in
``coverage/outputs/assets`` with their licences) are inlined, folium's other CDN
links (Bootstrap, Font Awesome; unused here) are dropped, so nothing but basemap
tiles is fetched at view time, and a discreet notice appears when tiles fail.

Every text that comes from an input file (names, tiers, unit names) is escaped for
HTML and for the JavaScript template strings folium puts popups and tooltips in.
On a GCJ-02 basemap (AMap) every overlay is shifted to GCJ-02 for display only.
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.warp
import shapely
from affine import Affine
from branca.element import MacroElement, Template
from matplotlib import image as mpimg
from pyproj import CRS
from rasterio.enums import Resampling

from ..errors import CoverageError
from ..inputs.crs import transform_xy
from .basemaps import Basemap, basemap_from_spec, display_shift, tile_layers
from .labels import label, tier_label
from .products import Products, make_products
from .style import (
    SHARE_BINS,
    SHARE_COLOURS,
    minutes_colours,
    minutes_gradient,
    share_colour,
    tier_styles,
)
from .writers import atomic_path

if TYPE_CHECKING:
    from ..inputs.network import Network
    from ..inputs.population import PopulationGrid
    from ..results import CoverageResult

__all__ = [
    "coverage_map",
    "credits_text",
    "escape",
    "map_html",
    "reproject_surface",
    "road_lines",
    "save_map",
]

ASSETS = Path(__file__).with_name("assets")
Shift = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

_ISO_COLOURS = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef")
#: Road classes from the most to the least important, for the no-tile background.
_ROAD_RANK = (
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "track",
)


def escape(value: object) -> str:
    """Text made safe for HTML and for a JavaScript template string.

    folium puts popups and tooltips inside JavaScript template literals, where a
    backtick, ``${`` or a backslash would end or change the string; they become
    character references too.

    Examples
    --------
    >>> escape('<script>alert("x")</script>`${1}`')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#96;&#36;{1}&#96;'
    """
    text = html.escape(str(value), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def _fmt(value: object, spec: str = ",.0f") -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "-" if value is None else escape(value)
    return "-" if not np.isfinite(number) else format(number, spec)


def _shift_geoms(frame: gpd.GeoDataFrame, shift: Shift) -> gpd.GeoDataFrame:
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


def _surface_png(
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


def _shape_svg(shape: str, colour: str, size: int) -> str:
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


def road_lines(network: Network, *, max_segments: int = 40_000) -> shapely.Geometry:
    """The network's roads as simplified lon/lat lines, for a light vector background.

    Each undirected road segment is kept once; when there are more than
    ``max_segments``, the least important road classes are dropped first. Lines are
    merged and simplified to about 10 m.

    Parameters
    ----------
    network : Network
        The road network of a result.
    max_segments : int
        Most node-to-node segments to draw.

    Returns
    -------
    shapely.Geometry
        A (multi)line string in WGS84 lon/lat.
    """
    u = network.edge_u.astype(np.int64)
    v = network.edge_v.astype(np.int64)
    keep = u != v
    a, b = np.minimum(u, v)[keep], np.maximum(u, v)[keep]
    rank_of = {h: i for i, h in enumerate(_ROAD_RANK)}
    edge_rank = (
        pd.Series(network.edge_highway[keep]).astype(str).map(rank_of).fillna(len(_ROAD_RANK))
    ).to_numpy(dtype=np.int64)
    keys, inverse = np.unique(a * network.n_nodes + b, return_inverse=True)
    ranks = np.full(keys.size, len(_ROAD_RANK), dtype=np.int64)
    np.minimum.at(ranks, inverse, edge_rank)
    if keys.size > max_segments:
        keys = keys[np.argsort(ranks, kind="stable")[:max_segments]]
    pairs = np.column_stack([keys // network.n_nodes, keys % network.n_nodes])
    coords = np.stack(
        [
            np.column_stack([network.lon[pairs[:, 0]], network.lat[pairs[:, 0]]]),
            np.column_stack([network.lon[pairs[:, 1]], network.lat[pairs[:, 1]]]),
        ],
        axis=1,
    )
    lines = shapely.linestrings(coords)
    merged = shapely.line_merge(shapely.multilinestrings(lines))
    return shapely.simplify(merged, 1e-4)


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


def _legend(
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
            f"<div style='display:flex;align-items:center;gap:4px'>{_shape_svg(shape, colour, 14)}"
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


def _tile_notice(lang: str) -> str:
    return (
        "<div id='coverage15-tile-notice' style='display:none;position:fixed;top:10px;"
        "left:50%;transform:translateX(-50%);z-index:9999;background:rgba(255,255,255,.9);"
        "color:#444;font:12px sans-serif;padding:3px 8px;border-radius:3px;"
        f"box-shadow:0 1px 3px rgba(0,0,0,.25)'>{escape(label(lang, 'tiles_failed'))}</div>"
    )


def _add_units(
    fmap: folium.Map, result: CoverageResult, shift: Shift, lang: str, headline: float
) -> bool:
    """One choropleth layer per unit level, with tooltips; True if any was drawn."""
    drawn = False
    for level, polygons in result.unit_polygons.items():
        table = result.units.get(level)
        frame = _shift_geoms(polygons[["geometry"]], shift)
        share = (
            table["coverage_share"].to_numpy(dtype=float)
            if table is not None and "coverage_share" in table
            else np.full(len(frame), np.nan)
        )
        props: dict[str, list[str]] = {
            label(lang, "unit"): [escape(u) for u in polygons["unit"]],
            label(lang, "covered_share", minutes=headline): [_fmt(s, ".1%") for s in share],
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
                    _fmt(v, spec) if spec else escape(v) for v in table[column]
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


def _add_gaps(fmap: folium.Map, result: CoverageResult, shift: Shift, lang: str) -> bool:
    """The gap areas with their figures as tooltips; True if there are any."""
    gaps = getattr(result, "gaps", None)
    if gaps is None or len(gaps) == 0:
        return False
    frame = _shift_geoms(gaps[["geometry"]], shift)
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
            _fmt(v, ",.0f" if column == "population" else ".1f")
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


def _add_isochrones(
    fmap: folium.Map, products: Products, shift: Shift, lang: str, headline: float
) -> None:
    iso = products.isochrones
    if iso.crs is None:
        return
    iso = iso[iso.geometry.notna() & ~iso.geometry.is_empty]
    if iso.empty:
        return
    iso = _shift_geoms(iso, shift)
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


def _add_stations(
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
        icon_html = _shape_svg(shape, colour, size)
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
                        f"{escape(label(lang, key, minutes=headline))}: {_fmt(row[column], spec)}"
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


#: OSM tags of the water drawn in the no-tile background.
WATER_TAGS: dict[str, bool | str | list[str]] = {
    "natural": ["water", "coastline"],
    "waterway": ["riverbank", "river", "canal"],
}


def water_features(source: str | os.PathLike[str]) -> gpd.GeoDataFrame | None:
    """Water (lakes, rivers, coastlines) of an OSM file, in lon/lat; None when unreadable.

    A second, cheap pass over the file the network came from (about two seconds for a
    county-sized ``.osm.pbf``). Water is decoration: a file that cannot be read again
    (moved, or an XML file osmnx finds no water in) gives None and the map says so.

    Parameters
    ----------
    source : path-like
        The ``.osm.pbf`` or ``.osm`` XML file.

    Returns
    -------
    geopandas.GeoDataFrame or None
        Only the geometry column.
    """
    import warnings

    path = Path(source)
    if not path.is_file():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm and osmnx deprecation chatter
        try:
            if path.name.endswith(".pbf"):
                import pyrosm

                frame = pyrosm.OSM(str(path)).get_data_by_custom_criteria(
                    custom_filter=WATER_TAGS,
                    osm_keys_to_keep=list(WATER_TAGS),
                    filter_type="keep",
                    keep_nodes=False,
                    keep_relations=True,
                )
            else:
                import osmnx

                frame = osmnx.features_from_xml(path, tags=WATER_TAGS)
        except Exception:  # pyrosm and osmnx raise bare Exceptions; water is optional
            return None
    if frame is None or len(frame) == 0:
        return None
    geoms = frame.geometry
    keep = geoms.notna() & geoms.geom_type.isin(
        ["Polygon", "MultiPolygon", "LineString", "MultiLineString"]
    )
    return gpd.GeoDataFrame(geometry=geoms[keep].to_numpy(), crs="EPSG:4326")


def _add_background(fmap: folium.Map, result: CoverageResult, lang: str, shift: Shift) -> bool:
    """The light vector background of a map without tiles: water and the network's roads.

    Returns whether water could be drawn.
    """
    water = water_features(result.network.source)
    if water is not None:
        water = _shift_geoms(water, shift)
        water["geometry"] = water.geometry.simplify(1e-4)
        folium.GeoJson(
            water.__geo_interface__,
            name=escape(label(lang, "water")),
            style_function=lambda _: {
                "color": "#74a9cf",
                "weight": 1,
                "fillColor": "#c6dbef",
                "fillOpacity": 0.8,
            },
            interactive=False,
        ).add_to(fmap)
    roads = _shift_geoms(gpd.GeoDataFrame(geometry=[road_lines(result.network)], crs=4326), shift)
    folium.GeoJson(
        {"type": "Feature", "properties": {}, "geometry": roads.geometry.iloc[0].__geo_interface__},
        name=escape(label(lang, "roads")),
        style_function=lambda _: {"color": "#9e9e9e", "weight": 1, "opacity": 0.8},
        interactive=False,
    ).add_to(fmap)
    fmap.get_root().header.add_child(  # type: ignore[attr-defined]
        folium.Element("<style>.folium-map.leaflet-container{background:#f4f2ee}</style>")
    )
    return water is not None


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
        has_water = _add_background(fmap, result, lang, shift)
        note = label(lang, "background" if has_water else "no_water")
    vmax = 2 * headline
    if result.demand.grid is not None and products.minutes_grid is not None:
        url, bounds = _surface_png(result, products.minutes_grid, vmax, shift)
        folium.raster_layers.ImageOverlay(
            url,
            bounds=bounds,
            name=escape(label(lang, "travel_time")),
            mercator_project=False,
            interactive=False,
            zindex=1,
        ).add_to(fmap)
    _add_isochrones(fmap, products, shift, lang, headline)
    choropleth = _add_units(fmap, result, shift, lang, headline)
    gaps = _add_gaps(fmap, result, shift, lang)
    styles = tier_styles(result.stations["tier"].astype(str))
    _add_stations(fmap, result, shift, lang, headline, styles)
    folium.LayerControl(collapsed=False).add_to(fmap)
    _MapScript(escape(credits_text(result, lang))).add_to(fmap)
    root = fmap.get_root()
    root.html.add_child(  # type: ignore[attr-defined]
        folium.Element(
            _legend(
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
    root.html.add_child(folium.Element(_tile_notice(lang)))  # type: ignore[attr-defined]
    return fmap


# --- self-contained pages ---------------------------------------------------------------

#: folium's CDN files -> the vendored file that replaces them (None: unused, dropped).
_CDN_FILES: dict[str, str | None] = {
    "leaflet.js": "leaflet.js",
    "leaflet.css": "leaflet.css",
    "jquery-3.7.1.min.js": "jquery.min.js",
    "bootstrap.bundle.min.js": None,
    "bootstrap.min.css": None,
    "bootstrap-glyphicons.css": None,
    "all.min.css": None,
    "leaflet.awesome-markers.js": None,
    "leaflet.awesome-markers.css": None,
    "leaflet.awesome.rotate.min.css": None,
}
_TAG = re.compile(
    r'<script src="(?P<js>[^"]+)"></script>|<link rel="stylesheet" href="(?P<css>[^"]+)"\s*/?>'
)


def _asset_text(name: str) -> str:
    text = (ASSETS / name).read_text(encoding="utf-8")
    if name.endswith(".css"):

        def inline(match: re.Match[str]) -> str:
            data = (ASSETS / match.group(1)).read_bytes()
            return "url(data:image/png;base64," + base64.b64encode(data).decode("ascii") + ")"

        text = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, text)
    return text


def map_html(fmap: folium.Map) -> str:
    """The map as one self-contained HTML page (scripts and styles inline).

    Raises
    ------
    CoverageError
        If the page would still load a script or style sheet from the network (a
        folium element whose library is not vendored).
    """
    page = fmap.get_root().render()

    def replace(match: re.Match[str]) -> str:
        url = match.group("js") or match.group("css")
        name = url.rsplit("/", 1)[-1]
        if name not in _CDN_FILES:
            raise CoverageError(
                f"map element needs {url}, which coverage15 does not vendor; "
                "add it to coverage/outputs/assets"
            )
        asset = _CDN_FILES[name]
        if asset is None:
            return ""
        text = _asset_text(asset)
        if match.group("js"):
            return f"<script>{text}</script>"
        return f"<style>{text}</style>"

    return _TAG.sub(replace, page)


def save_map(fmap: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write the map as a self-contained HTML page, atomically.

    Parameters
    ----------
    fmap : folium.Map
        From :func:`coverage_map`.
    path : path-like
        The ``.html`` file.

    Returns
    -------
    pathlib.Path
    """
    with atomic_path(path) as tmp:
        tmp.write_text(map_html(fmap), encoding="utf-8")
    return Path(path)
