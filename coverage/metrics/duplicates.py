"""Duplicate stations: the same site listed twice, a few metres apart.

Station lists assembled from several sources (OSM, a health register, a bank's branch
list) often hold one facility twice, 1-20 m apart. Counted twice, the second copy gets
no residents of its own (they all lie nearer the first, or are split between the two at
random) but a staffing recommendation and an "over"/"under" capacity label all the same.

Two stations are taken as one site when they lie within ``within_m`` of each other
(:data:`DEFAULT_DUPLICATE_M`, the configuration key ``duplicate_m``), have the same tier,
and their names do not disagree (equal ignoring case and spaces, or one of them has no
name): a bank beside a pharmacy, or two banks' branches in one street, stay two sites.
Such pairs form clusters (single linkage: a chain of near pairs is one cluster). The
first station of a cluster in table order stands for the site; the others are marked
``duplicate_of`` = its id. A duplicate keeps its row and its catchment but gets no
staffing recommendation or capacity label: the first station's recommendation is made
for the whole cluster's catchment (see :func:`~coverage.metrics.catchments.staffing_table`).

Distances are geodesic (WGS84 ellipsoid), so the result does not depend on the CRS of
the table.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

__all__ = ["DEFAULT_DUPLICATE_M", "DuplicateStationWarning", "duplicate_stations"]

#: Stations nearer than this to another are taken as one site (metres).
DEFAULT_DUPLICATE_M = 25.0

_GEOD = Geod(ellps="WGS84")


class DuplicateStationWarning(UserWarning):
    """Stations lie within ``duplicate_m`` of another and are taken as one site."""


def _labels(stations: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Tier and name of each station, normalised; "" for a missing name (or the id as name)."""

    def norm(column: str) -> np.ndarray:
        if column not in stations:
            return np.full(len(stations), "", dtype=object)
        values = stations[column].astype("string").fillna("").str.strip().str.casefold()
        text = values.str.replace(r"\s+", " ", regex=True).to_numpy(dtype=object)
        text[np.isin(text, ["nan", "none", "<na>"])] = ""
        return text

    name = norm("name")
    ids = stations["id"].astype(str).str.strip().str.casefold().to_numpy(dtype=object)
    name[name == ids] = ""  # a table without names repeats the id
    return norm("tier"), name


def duplicate_stations(
    stations: gpd.GeoDataFrame, *, within_m: float = DEFAULT_DUPLICATE_M, warn: bool = True
) -> pd.DataFrame:
    """Mark the stations that lie within ``within_m`` of another as duplicates.

    Parameters
    ----------
    stations : geopandas.GeoDataFrame
        Points with an ``id`` column and optionally ``tier`` and ``name``, in any CRS.
    within_m : float
        Geodesic distance in metres at or below which two stations of the same tier
        and compatible names are one site; 0 turns the check off.
    warn : bool
        Warn (:class:`DuplicateStationWarning`) listing the duplicates.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``stations``: ``duplicate_of`` (the id of the first station of
        the cluster in table order; ``<NA>`` for that station and for stations on
        their own) and ``duplicate_distance_m`` (geodesic distance to that station).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> s = gpd.GeoDataFrame({"id": ["A", "B", "C"]}, crs=4326,
    ...     geometry=[Point(43.25, -11.7), Point(43.25005, -11.7), Point(43.3, -11.7)])
    >>> duplicate_stations(s, warn=False)["duplicate_of"].tolist()
    [<NA>, 'A', <NA>]
    """
    n = len(stations)
    out = pd.DataFrame(
        {
            "duplicate_of": pd.array([pd.NA] * n, dtype="string"),
            "duplicate_distance_m": np.full(n, np.nan),
        },
        index=stations.index,
    )
    if n < 2 or within_m <= 0:
        return out
    wgs = stations.geometry.to_crs(4326) if stations.crs is not None else stations.geometry
    lon, lat = wgs.x.to_numpy(), wgs.y.to_numpy()
    # candidate pairs on a local equirectangular plane (1 % slack), confirmed geodesically
    scale = np.cos(np.radians(np.clip(lat, -89.0, 89.0)))
    xy = np.column_stack([np.radians(lon) * scale, np.radians(lat)]) * 6_378_137.0
    pairs = np.array(sorted(cKDTree(xy).query_pairs(within_m * 1.01 + 1.0)), dtype=np.int64)
    if pairs.size == 0:
        return out
    _, _, dist = _GEOD.inv(lon[pairs[:, 0]], lat[pairs[:, 0]], lon[pairs[:, 1]], lat[pairs[:, 1]])
    tier, name = _labels(stations)
    a, b = pairs[:, 0], pairs[:, 1]
    same = (tier[a] == tier[b]) & ((name[a] == name[b]) | (name[a] == "") | (name[b] == ""))
    near = pairs[(np.asarray(dist) <= within_m) & same]
    if near.size == 0:
        return out
    graph = coo_matrix((np.ones(len(near)), (near[:, 0], near[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    ids = stations["id"].astype(str).to_numpy()
    first: dict[int, int] = {}
    for i, lab in enumerate(label):  # table order: the first met stands for the cluster
        first.setdefault(int(lab), i)
    lead = np.array([first[int(lab)] for lab in label])
    dup = lead != np.arange(n)
    if not dup.any():
        return out
    _, _, to_lead = _GEOD.inv(lon[dup], lat[dup], lon[lead[dup]], lat[lead[dup]])
    out.loc[out.index[dup], "duplicate_of"] = ids[lead[dup]]
    out.loc[out.index[dup], "duplicate_distance_m"] = np.asarray(to_lead, dtype=float)
    if warn:
        listed = [
            f"{ids[i]} ({d:.0f} m from {ids[lead[i]]})"
            for i, d in zip(np.flatnonzero(dup), np.atleast_1d(to_lead), strict=True)
        ]
        more = f" and {len(listed) - 10} more" if len(listed) > 10 else ""
        warnings.warn(
            DuplicateStationWarning(
                f"{stations.attrs.get('source', 'stations')}: {len(listed)} station(s) lie "
                f"within {within_m:g} m of another of the same tier and name and are taken as the "
                f"same site: "
                f"{', '.join(listed[:10])}{more}; marked duplicate_of in stations.csv, with no "
                "staffing of their own (set duplicate_m: 0 to keep them apart)"
            ),
            stacklevel=2,
        )
    return out
