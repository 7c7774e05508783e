"""The home-service list on the interactive map: the places to visit, with their figures.

One overlay (off until ticked in the layer control): each place of the home-service
list (:mod:`coverage.metrics.home_service`) outlined, its rank, people, minutes and
nearest station in the tooltip, the most populous drawn boldest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import folium

from .labels import group_label
from .map_layers import Shift, feature_collection, shift_geoms
from .webpage import escape, fmt

if TYPE_CHECKING:
    from ..results import CoverageResult

__all__ = ["HOME_COLOUR", "add_home_service"]

#: Outline colour of the home-service places (purple: apart from gaps and units).
HOME_COLOUR = "#6a3d9a"

_LABELS = {
    "en": {
        "layer": "Home-service list ({group})",
        "rank": "Rank",
        "place": "Place",
        "people": "People",
        "mean_minutes": "Mean minutes",
        "nearest_station_name": "Nearest station",
    },
    "zh": {
        "layer": "上门服务清单（{group}）",
        "rank": "序号",
        "place": "地点",
        "people": "人数",
        "mean_minutes": "平均用时（分钟）",
        "nearest_station_name": "最近服务点",
    },
}


def add_home_service(
    fmap: folium.Map,
    result: CoverageResult,
    shift: Shift,
    lang: str,
) -> bool:
    """Draw the home-service places; True if there are any.

    Parameters
    ----------
    fmap : folium.Map
        The map.
    result : CoverageResult
        The result, with ``home_service``.
    shift : callable
        Lon/lat to the basemap's datum (display only).
    lang : {"en", "zh"}
        Language of the layer name and tooltip.

    Returns
    -------
    bool
    """
    home = getattr(result, "home_service", None)
    if home is None or len(home) == 0:
        return False
    names = _LABELS["zh" if lang == "zh" else "en"]
    frame = shift_geoms(home[["geometry"]].to_crs("EPSG:4326"), shift)
    fields = []
    for column in ("rank", "place", "people", "mean_minutes", "nearest_station_name"):
        values = home[column]
        key = names[column]
        if column == "people":
            frame[key] = [fmt(v, ",.0f") for v in values]
        elif column == "mean_minutes":
            frame[key] = [fmt(v, ".1f") for v in values]
        else:
            frame[key] = [escape("-" if v is None or v != v else str(v)) for v in values]
        fields.append(key)
    top = float(home["people"].max()) or 1.0
    frame["_weight"] = 1.0 + 3.0 * home["people"].to_numpy() / top
    group = group_label(lang, str(result.summary.get("home_service", {}).get("group", "")))
    folium.GeoJson(
        feature_collection(frame),
        name=escape(names["layer"].format(group=group)),
        show=False,
        style_function=lambda feature: {
            "color": HOME_COLOUR,
            "weight": feature["properties"]["_weight"],
            "fill": True,
            "fillColor": HOME_COLOUR,
            "fillOpacity": 0.15,
        },
        highlight_function=lambda _: {"weight": 5},
        tooltip=folium.GeoJsonTooltip(fields=fields),
    ).add_to(fmap)
    return True
