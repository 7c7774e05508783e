"""Names a planner can find on the ground: the village of a site and its nearest place.

A gap candidate is a raster cell ("gap cell 189236 (37 people)") and an unnamed OSM
point is only a type and an id; neither tells an official where to go. Each
proposed site gets the unit it lies in (finest level first) and the nearest named
OpenStreetMap place (``place=city|town|village|hamlet|suburb|neighbourhood|...``)
with its distance; a site without a real name is named from these, e.g.
``"Mitsamiouli / Bangoi 0.8 km"``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
from scipy.spatial import cKDTree

from ..inputs.crs import local_metric_crs

__all__ = ["PLACE_VALUES", "name_sites", "osm_places"]

#: ``place=*`` values whose named points name a site's surroundings.
PLACE_VALUES = (
    "city",
    "town",
    "village",
    "hamlet",
    "suburb",
    "neighbourhood",
    "quarter",
    "locality",
    "isolated_dwelling",
)


def osm_places(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Named places of an OSM extract (WGS84 points with ``name``).

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` extract.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name``, ``place`` and ``geometry`` of the named place nodes (read with
        pyosmium); empty when the extract has none or cannot be read.
    """
    empty = gpd.GeoDataFrame({"name": [], "place": []}, geometry=[], crs="EPSG:4326")
    if not str(path).lower().endswith((".pbf", ".osm")):
        return empty
    import osmium

    wanted = set(PLACE_VALUES)
    rows: list[tuple[str, str, float, float]] = []

    class _Places(osmium.SimpleHandler):  # type: ignore[misc]
        def node(self, n: object) -> None:
            tags = n.tags  # type: ignore[attr-defined]
            place, name = tags.get("place"), tags.get("name")
            if place in wanted and name and n.location.valid():  # type: ignore[attr-defined]
                loc = n.location  # type: ignore[attr-defined]
                rows.append((str(name), str(place), float(loc.lon), float(loc.lat)))

    try:
        _Places().apply_file(str(path))
    except (RuntimeError, OSError):
        return empty
    if not rows:
        return empty
    return gpd.GeoDataFrame(
        {"name": [r[0] for r in rows], "place": [r[1] for r in rows]},
        geometry=gpd.points_from_xy([r[2] for r in rows], [r[3] for r in rows]),
        crs="EPSG:4326",
    )


def _generated(name: str, kind: str, ident: str) -> bool:
    """Whether a candidate's name was made up from its type and id or its cell."""
    text = name.strip()
    return not text or text.startswith("gap cell ") or text == f"{kind} {ident}"


def name_sites(
    sites: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame,
    *,
    units: Mapping[str, gpd.GeoDataFrame] | None = None,
) -> gpd.GeoDataFrame:
    """Add the nearest named place to proposed sites, and name the nameless ones.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Proposed sites (WGS84) with ``id``, ``name``, ``type`` and, per unit level,
        a column with the unit each lies in (see :func:`~coverage.siting.policy.unit_columns`).
    places : geopandas.GeoDataFrame
        Named places (:func:`osm_places`).
    units : mapping, optional
        Unit levels, coarse to fine (their names are the site columns used; the
        finest non-empty one names the site).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``near_place`` and ``near_place_m`` (metres), and ``name``
        rewritten as ``"<unit> / <place> <km> km"`` where it was generated.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> s = gpd.GeoDataFrame({"id": ["gap/1"], "name": ["gap cell 1 (3 people)"],
    ...                       "type": ["gap"], "village": ["V1"]},
    ...                      geometry=[Point(43.25, -11.70)], crs="EPSG:4326")
    >>> p = gpd.GeoDataFrame({"name": ["Bangoi"], "place": ["village"]},
    ...                      geometry=[Point(43.255, -11.70)], crs="EPSG:4326")
    >>> name_sites(s, p, units={"village": None})["name"].item()
    'V1 / Bangoi 0.5 km'
    """
    out = sites.copy()
    n = len(out)
    near = np.full(n, "", dtype=object)
    dist = np.full(n, np.nan)
    if n and len(places):
        crs = local_metric_crs(float(out.geometry.x.mean()), float(out.geometry.y.mean()))
        p = places.to_crs(crs).geometry
        s = out.to_crs(crs).geometry
        tree = cKDTree(np.column_stack([p.x.to_numpy(), p.y.to_numpy()]))
        d, i = tree.query(np.column_stack([s.x.to_numpy(), s.y.to_numpy()]))
        near = places["name"].to_numpy()[i]
        dist = np.round(d, 0)
    out["near_place"] = near
    out["near_place_m"] = dist
    levels = [lv for lv in (units or {}) if lv in out]
    names = []
    for k in range(n):
        row = out.iloc[k]
        if not _generated(str(row["name"]), str(row["type"]), str(row["id"])):
            names.append(str(row["name"]))
            continue
        unit = next((str(row[lv]) for lv in reversed(levels) if str(row[lv])), "")
        where = f"{near[k]} {dist[k] / 1000:.1f} km" if near[k] else ""
        names.append(" / ".join(part for part in (unit, where) if part) or str(row["name"]))
    out["name"] = names
    return out
