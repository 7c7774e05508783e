"""The light vector background of a map without basemap tiles: water and roads.

Water comes from a second, cheap pass over the OSM file the network was read from;
roads are the network's own segments, the least important classes dropped first
when there are too many.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .labels import label
from .map_layers import Shift, shift_geoms
from .webpage import Verbatim, escape

if TYPE_CHECKING:
    from ..inputs.network import Network
    from ..results import CoverageResult

__all__ = ["WATER_TAGS", "add_background", "road_lines", "water_features"]

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
    from ..inputs.water import osm_features

    path = Path(source)
    if not path.is_file():
        return None
    try:
        frame = osm_features(path, WATER_TAGS)
    except Exception:  # pyrosm and osmnx raise bare Exceptions; water is optional
        return None
    if frame is None or len(frame) == 0:
        return None
    geoms = frame.geometry
    keep = geoms.notna() & geoms.geom_type.isin(
        ["Polygon", "MultiPolygon", "LineString", "MultiLineString"]
    )
    return gpd.GeoDataFrame(geometry=geoms[keep].to_numpy(), crs="EPSG:4326")


def add_background(fmap: folium.Map, result: CoverageResult, lang: str, shift: Shift) -> bool:
    """The light vector background of a map without tiles: water and the network's roads.

    Returns whether water could be drawn.
    """
    water = water_features(result.network.source)
    if water is not None:
        water = shift_geoms(water, shift)
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
    roads = shift_geoms(gpd.GeoDataFrame(geometry=[road_lines(result.network)], crs=4326), shift)
    folium.GeoJson(
        {"type": "Feature", "properties": {}, "geometry": roads.geometry.iloc[0].__geo_interface__},
        name=escape(label(lang, "roads")),
        style_function=lambda _: {"color": "#9e9e9e", "weight": 1, "opacity": 0.8},
        interactive=False,
    ).add_to(fmap)
    fmap.get_root().header.add_child(  # type: ignore[attr-defined]
        Verbatim("<style>.folium-map.leaflet-container{background:#f4f2ee}</style>")
    )
    return water is not None
