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
from branca.element import Template
from pyproj import CRS
from rasterio.enums import Resampling

from ..inputs.crs import transform_xy
from .geojson_layer import GeoJsonText
from .labels import label, tier_label
from .map_legend import GAP_COLOUR, ISO_COLOURS, THRESHOLD_COLOUR, shape_svg
from .style import TimeClasses, share_colour
from .webpage import VerbatimMacro, escape, fmt
from .writers import feature_collection, geojson_text

#: Opacity of the travel-time surface over a web basemap.
SURFACE_ALPHA = 0.7

if TYPE_CHECKING:
    from ..inputs.population import PopulationGrid
    from ..results import CoverageResult

__all__ = [
    "PopulationSymbols",
    "StationMarkers",
    "add_gaps",
    "add_isochrones",
    "add_population_points",
    "add_stations",
    "add_units",
    "mark_unreachable",
    "reproject_surface",
    "shift_geoms",
    "surface_grid",
    "surface_png",
    "symbol_radius",
    "trace_isochrones",
]

Shift = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


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


def surface_grid(result: CoverageResult) -> np.ndarray:
    """Minutes on the population grid: NaN off the populated cells, inf where unreachable.

    Raises
    ------
    ValueError
        If the population did not come from a raster.
    """
    return result.minutes_grid(unreachable=np.inf)


def mark_unreachable(minutes: np.ndarray, result: CoverageResult) -> np.ndarray:
    """A copy of a surface with its populated cells that reach no station set to inf.

    A surface handed over by a run (``travel_time.tif``'s values) holds NaN both off
    the populated cells and where no station is reached; the map tells them apart.
    """
    out = np.array(minutes, dtype=np.float32, copy=True)
    rows, cols = result.demand.rows, result.demand.cols
    if rows is not None and cols is not None:
        values = out[rows, cols]
        out[rows, cols] = np.where(np.isnan(values), np.inf, values)
    return out


def surface_png(
    minutes: np.ndarray, grid: PopulationGrid, classes: TimeClasses, shift: Shift
) -> tuple[str, list[list[float]]]:
    """The travel-time surface in Web Mercator, coloured by class, as a PNG data URL.

    Leaflet stretches an image overlay linearly in Web Mercator between its corners,
    so the surface is reprojected to EPSG:3857 (nearest neighbour) to sit exactly. On a
    GCJ-02 basemap the corners are shifted; the offset varies by well under a metre
    across a county, so shifting the corners moves every cell.

    Parameters
    ----------
    minutes : numpy.ndarray
        Minutes on ``grid`` (NaN: nothing drawn; inf: unreachable, drawn grey).
    grid : PopulationGrid
        The grid of ``minutes``.
    classes : TimeClasses
        The colour classes.
    shift : callable
        Lon/lat to the basemap's datum.

    Returns
    -------
    (str, list)
        The data URL and the ``[[south, west], [north, east]]`` bounds.
    """
    dst, (left, right, bottom, top) = reproject_surface(minutes, grid, "EPSG:3857", max_finer=4)
    lon, lat = transform_xy(
        np.array([left, right]), np.array([bottom, top]), "EPSG:3857", "EPSG:4326"
    )
    lon, lat = shift(lon, lat)
    return class_png(dst, classes), [[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]]


def class_png(minutes: np.ndarray, classes: TimeClasses, *, alpha: float = SURFACE_ALPHA) -> str:
    """Minutes as a palette PNG data URL: one colour a class, NaN transparent.

    A surface has a handful of classes, so each pixel is a palette index: the
    image is a quarter of an RGBA one and encodes several times faster.

    Parameters
    ----------
    minutes : numpy.ndarray
        2-D minutes (inf: unreachable, drawn in its class; NaN: nothing drawn).
    classes : TimeClasses
        The colour classes.
    alpha : float
        Opacity of every drawn pixel.

    Returns
    -------
    str
        ``data:image/png;base64,...``
    """
    from matplotlib import colors
    from PIL import Image

    palette = classes.palette()
    index = classes.classify(minutes, dtype=np.uint8)
    index[np.isnan(minutes)] = len(palette)  # NaN: nothing (the classes call it unreachable)
    image = Image.fromarray(index, mode="P")
    rgb = [round(255 * v) for c in palette for v in colors.to_rgb(c)]
    image.putpalette([*rgb, 255, 255, 255])
    opacity = bytes([round(255 * alpha)] * len(palette) + [0])
    buf = io.BytesIO()
    image.save(buf, format="PNG", transparency=opacity, compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def add_units(
    fmap: folium.Map,
    result: CoverageResult,
    shift: Shift,
    lang: str,
    headline: float,
    *,
    shown_level: str | None,
) -> bool:
    """One layer per unit level: boundaries with figures as tooltips; True if any was drawn.

    The level ``shown_level`` opens as boundaries only (over the travel-time surface);
    every level also has a choropleth of its covered share, a toggle away.
    """
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
        level_name = tier_label(lang, level)
        folium.GeoJson(
            feature_collection(frame),
            name=escape(label(lang, "units", level=level_name)),
            show=level == shown_level,
            style_function=lambda _: {
                "color": "#222222",
                "weight": 1.2,
                "fill": True,
                "fillOpacity": 0.0,
            },
            highlight_function=lambda _: {"weight": 3},
            tooltip=folium.GeoJsonTooltip(fields=list(props), sticky=True),
        ).add_to(fmap)
        folium.GeoJson(
            feature_collection(frame),
            name=escape(label(lang, "units_share", level=level_name, minutes=headline)),
            show=False,
            style_function=lambda f: {
                "color": "#333333",
                "weight": 1,
                "fillColor": f["properties"]["_fill"],
                "fillOpacity": 0.6,
            },
            highlight_function=lambda _: {"weight": 3},
            tooltip=folium.GeoJsonTooltip(fields=list(props), sticky=True),
        ).add_to(fmap)
        drawn = True
    return drawn


def add_gaps(fmap: folium.Map, result: CoverageResult, shift: Shift, lang: str) -> bool:
    """The gap areas, outlined, with their figures as tooltips; True if there are any."""
    gaps = getattr(result, "gaps", None)
    if gaps is None or len(gaps) == 0:
        return False
    frame = shift_geoms(gaps[["geometry"]], shift)
    fields: list[str] = []
    levels = set(result.units)
    for column in gaps.columns:
        if column == "geometry":
            continue
        values = gaps[column]
        if column == "population":
            key = label(lang, "population")
        elif column.endswith("extra_minutes") and column.startswith("mean"):
            key = label(lang, "extra_minutes")
        elif column == "gap_id":
            key = label(lang, "gap_id")
        elif column in levels:
            key = tier_label(lang, column)
        elif values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            key = column
        else:
            continue
        frame[key] = [
            fmt(v, ",.0f" if column == "population" else ".1f")
            if pd.api.types.is_numeric_dtype(values.dtype) and column != "gap_id"
            else escape(v)
            for v in values
        ]
        fields.append(key)
    # a layer traced from a raster is large: embedded as GEOS wrote it, not re-dumped
    group = folium.FeatureGroup(name=escape(label(lang, "gaps")), show=False)
    GeoJsonText(
        geojson_text(frame[[*fields, "geometry"]]),
        style={"color": GAP_COLOUR, "weight": 2, "fill": True, "fillOpacity": 0.0,
               "dashArray": "5 3"},
        highlight={"weight": 4},
        fields=fields,
    ).add_to(group)  # fmt: skip
    group.add_to(fmap)
    return True


def trace_isochrones(result: CoverageResult) -> gpd.GeoDataFrame | None:
    """The isochrones of a result when none are handed over, by the one rule of
    :func:`coverage.outputs.products.make_products` (None when it has none)."""
    from .products import make_products

    iso = make_products(result).isochrones
    return iso if iso.crs is not None else None


def add_isochrones(
    fmap: folium.Map,
    iso: gpd.GeoDataFrame | None,
    shift: Shift,
    classes: TimeClasses,
    lang: str,
    *,
    show: bool,
) -> bool:
    """One layer per threshold (off unless ``show``) and the headline boundary as a line.

    Returns whether the headline threshold's boundary was drawn.
    """
    if iso is None:
        return False
    iso = iso[iso.geometry.notna() & ~iso.geometry.is_empty]
    if iso.empty:
        return False
    iso = shift_geoms(iso, shift)
    boundary = False
    for i, (_, row) in enumerate(iso.sort_values("minutes", ascending=False).iterrows()):
        colour = ISO_COLOURS[min(i, len(ISO_COLOURS) - 1)]
        minutes = float(row["minutes"])
        geometry = row.geometry.__geo_interface__
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": geometry},
            name=escape(label(lang, "within", minutes=minutes)),
            show=show and minutes == classes.threshold,
            style_function=lambda _, c=colour: {
                "color": c,
                "weight": 2,
                "fillColor": c,
                "fillOpacity": 0.15,
            },
        ).add_to(fmap)
        if minutes == classes.threshold:
            folium.GeoJson(
                {"type": "Feature", "properties": {}, "geometry": geometry},
                name=escape(classes.threshold_label(lang)),
                style_function=lambda _: {
                    "color": THRESHOLD_COLOUR,
                    "weight": 2.5,
                    "fill": False,
                },
                interactive=False,
            ).add_to(fmap)
            boundary = True
    return boundary


class PopulationSymbols(VerbatimMacro):
    """Population points as circles sized by their people and coloured by time class."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var group = {{ this._parent.get_name() }};
            {{ this.points|tojson }}.forEach(function (p) {
                L.circleMarker([p[0], p[1]], {radius: p[2], color: "#333333", weight: 0.6,
                    fillColor: p[3], fillOpacity: 0.85})
                    .bindTooltip(p[4])
                    .addTo(group);
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, points: list[list[float | str]]) -> None:
        super().__init__()
        self._name = "PopulationSymbols"
        self.points = points


def symbol_radius(population: np.ndarray) -> np.ndarray:
    """Circle radius in pixels: area proportional to the people, 3 to 15 px.

    Examples
    --------
    >>> symbol_radius(np.array([0.0, 25.0, 100.0])).round(2).tolist()
    [3.0, 9.0, 15.0]
    """
    people = np.clip(np.asarray(population, dtype=float), 0.0, None)
    top = float(people.max()) if people.size else 0.0
    if top <= 0:
        return np.full(people.shape, 3.0)
    return 3.0 + 12.0 * np.sqrt(people / top)


def add_population_points(
    fmap: folium.Map,
    result: CoverageResult,
    shift: Shift,
    classes: TimeClasses,
    lang: str,
) -> bool:
    """A population given as points: proportional symbols coloured by travel time.

    Returns whether any point was drawn (False for a raster population).
    """
    demand = result.demand
    people = demand.population > 0
    if demand.grid is not None or not people.any():
        return False
    lon, lat = transform_xy(demand.x[people], demand.y[people], demand.crs, "EPSG:4326")
    lon, lat = shift(lon, lat)
    minutes = np.asarray(result.point_minutes, dtype=float)[people]
    palette = classes.palette()
    colour = [palette[k] for k in classes.classify(minutes)]
    radius = symbol_radius(demand.population[people])
    names = demand.labels[people] if demand.labels is not None else [""] * int(people.sum())
    texts = classes.labels(lang)
    population_text = label(lang, "population")
    order = np.argsort(-demand.population[people], kind="stable")  # small circles on top
    points: list[list[float | str]] = []
    for i in order:
        k = classes.classify(minutes[i : i + 1])[0]
        head = f"<b>{escape(names[i])}</b><br>" if names[i] else ""
        tip = (
            f"{head}{escape(population_text)}: {fmt(demand.population[people][i])}"
            f"<br>{escape(texts[k])}"
        )
        points.append(
            [round(float(lat[i]), 6), round(float(lon[i]), 6), round(float(radius[i]), 1),
             colour[i], tip]
        )  # fmt: skip
    group = folium.FeatureGroup(name=escape(label(lang, "population_points")))
    PopulationSymbols(points).add_to(group)
    group.add_to(fmap)
    return True


class StationMarkers(VerbatimMacro):
    """The stations of one tier, added to its layer by one loop in the page's script.

    One folium ``Marker`` per station compiles a template per marker (minutes for
    10,000 stations); here the points, popups and tooltips are one JSON array.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var group = {{ this._parent.get_name() }};
            var icon = L.divIcon({html: {{ this.icon_html|tojson }},
                iconSize: [{{ this.size }}, {{ this.size }}],
                iconAnchor: [{{ this.size // 2 }}, {{ this.size // 2 }}],
                className: "coverage15-station"});
            {{ this.points|tojson }}.forEach(function (p) {
                L.marker([p[0], p[1]], {icon: icon})
                    .bindPopup(p[2], {maxWidth: 300})
                    .bindTooltip(p[3])
                    .addTo(group);
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, points: list[list[float | str]], icon_html: str, size: int) -> None:
        super().__init__()
        self._name = "StationMarkers"
        self.points = points
        self.icon_html = icon_html
        self.size = size


def add_stations(
    fmap: folium.Map,
    result: CoverageResult,
    shift: Shift,
    lang: str,
    headline: float,
    styles: Mapping[str, tuple[str, str]],
) -> None:
    """One layer of stations per tier: marker of the tier's shape, popup and tooltip."""
    stations = result.stations
    lon, lat = shift(stations["lon"].to_numpy(float), stations["lat"].to_numpy(float))
    tiers = stations["tier"].astype(str).to_numpy()
    details = [
        (column, escape(label(lang, key, minutes=headline)), spec)
        for column, key, spec in (
            ("catchment_population", "catchment", ",.0f"),
            ("catchment_covered", "population_covered", ",.0f"),
            ("staff_recommended", "staff", ",.0f"),
        )
        if column in stations.columns
    ]
    names = stations["name"].to_numpy()
    ids = stations["id"].to_numpy()
    columns = {column: stations[column].to_numpy() for column, _, _ in details}
    tier_text, id_text = escape(label(lang, "tier")), escape(label(lang, "id"))
    for tier, (colour, shape) in styles.items():
        shown = tier_label(lang, tier) or label(lang, "station")
        group = folium.FeatureGroup(name=escape(label(lang, "stations", tier=shown)))
        size = 20 if shape == "star" else 16
        points: list[list[float | str]] = []
        for i in np.flatnonzero(tiers == tier):
            lines = [
                f"<b>{escape(names[i])}</b>",
                f"{tier_text}: {escape(tier_label(lang, tier))}",
                f"{id_text}: {escape(ids[i])}",
            ]
            lines += [f"{text}: {fmt(columns[c][i], spec)}" for c, text, spec in details]
            points.append(
                [
                    round(float(lat[i]), 6),
                    round(float(lon[i]), 6),
                    "<br>".join(lines),
                    escape(names[i]),
                ]
            )
        StationMarkers(points, shape_svg(shape, colour, size), size).add_to(group)
        group.add_to(fmap)
