"""Station points: the service points whose reach is measured.

A station table is a CSV with coordinate columns, or a GeoJSON / GeoPackage of
points. The result is always a GeoDataFrame in WGS84 with the columns ``id``,
``name``, ``tier`` and ``geometry`` first, then every other input column.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from ..errors import InputError

__all__ = ["LAT_NAMES", "LON_NAMES", "read_osm_pois", "read_stations", "stations_from_frame"]

#: Column names recognised as longitude / easting (case-insensitive).
LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度")
#: Column names recognised as latitude / northing (case-insensitive).
LAT_NAMES = ("lat", "latitude", "y", "纬度")

_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb")


def _find_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {str(c).strip().lower(): c for c in columns}
    for name in names:
        if name in lowered:
            return str(lowered[name])
    return None


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except UnicodeDecodeError:
        raise InputError(
            f"{path}: the station table is not UTF-8 text; save it as CSV UTF-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise InputError(
            f"{path}: the station table is empty; add a header row (id, name, tier, lon, lat) "
            "and one row per station"
        ) from None
    except pd.errors.ParserError as exc:
        raise InputError(
            f"{path}: cannot parse the CSV ({exc}); check separators and quotes"
        ) from None


def stations_from_frame(
    frame: pd.DataFrame, *, crs: str | CRS = "EPSG:4326", source: str = "stations"
) -> gpd.GeoDataFrame:
    """Turn a table of stations with coordinate columns into a station GeoDataFrame.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per station; coordinates under a name in :data:`LON_NAMES` /
        :data:`LAT_NAMES`; optional ``id``, ``name``, ``tier``.
    crs : str or pyproj.CRS
        CRS of the coordinates.
    source : str
        Name of the file, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, columns ``id``, ``name``, ``tier``, ``geometry`` and the rest.

    Raises
    ------
    InputError
        On missing coordinate columns, empty or non-numeric coordinates (the file row
        is named, counting the header as row 1) and duplicate ids.
    """
    if frame.empty:
        raise InputError(f"{source}: the station table has no rows; add one row per station")
    columns = [str(c) for c in frame.columns]
    lon_col = _find_column(columns, LON_NAMES)
    lat_col = _find_column(columns, LAT_NAMES)
    if lon_col is None or lat_col is None:
        raise InputError(
            f"{source}: no coordinate columns found (columns are {', '.join(columns)}); "
            "name them lon and lat (or longitude/latitude, x/y, 经度/纬度)"
        )
    coords = {}
    for col in (lon_col, lat_col):
        text = frame[col].astype("string").str.strip()
        values = pd.to_numeric(text, errors="coerce")
        bad = values.isna() | ~np.isfinite(values.astype(float).fillna(np.nan))
        if bad.any():
            rows = [int(i) + 2 for i in np.flatnonzero(bad.to_numpy())[:5]]
            shown = ", ".join(map(str, rows))
            raise InputError(
                f"{source}: row {shown}: column '{col}' is empty or not a number "
                f"({text[bad].iloc[0]!r}); fill in the coordinate or remove the row"
            )
        coords[col] = values.astype(float).to_numpy()
    crs_obj = CRS.from_user_input(crs)
    if crs_obj.is_geographic:
        lon_v, lat_v = coords[lon_col], coords[lat_col]
        swapped = (np.abs(lat_v) > 90) & (np.abs(lat_v) <= 180) & (np.abs(lon_v) <= 90)
        if swapped.any():
            i = int(np.flatnonzero(swapped)[0])
            raise InputError(
                f"{source}: row {i + 2}: latitude {lat_v[i]:g} is beyond ±90 degrees while "
                f"longitude is {lon_v[i]:g}; latitude and longitude look swapped: exchange the "
                f"'{lon_col}' and '{lat_col}' columns"
            )
        for col, limit in ((lon_col, 180.0), (lat_col, 90.0)):
            bad_range = np.abs(coords[col]) > limit
            if bad_range.any():
                i = int(np.flatnonzero(bad_range)[0])
                raise InputError(
                    f"{source}: row {i + 2}: column '{col}' is {coords[col][i]:g}, beyond "
                    f"±{limit:g} degrees; these look like projected metres: set stations_crs "
                    "to their projected CRS (e.g. EPSG:32650) or convert them to degrees"
                )
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    id_col = _find_column(columns, ("id",))
    ids = (
        frame[id_col].astype(str).str.strip()
        if id_col
        else pd.Series([str(i + 1) for i in range(len(frame))])
    )
    ids = ids.reset_index(drop=True)
    dup = ids.duplicated(keep=False)
    if dup.any():
        first = ids[dup].iloc[0]
        rows = [int(i) + 2 for i in np.flatnonzero((ids == first).to_numpy())]
        raise InputError(
            f"{source}: rows {', '.join(map(str, rows))}: duplicate station id {first!r}; "
            "give every station its own id"
        )
    out["id"] = ids
    name_col = _find_column(columns, ("name",))
    out["name"] = (
        frame[name_col].astype(str).reset_index(drop=True) if name_col else out["id"].copy()
    )
    tier_col = _find_column(columns, ("tier",))
    out["tier"] = frame[tier_col].astype(str).reset_index(drop=True) if tier_col else ""
    used = {lon_col, lat_col, id_col, name_col, tier_col, "geometry"}
    for col in columns:
        if col not in used:
            out[col] = frame[col].reset_index(drop=True)
    geometry = gpd.points_from_xy(coords[lon_col], coords[lat_col], crs=crs)
    gdf = gpd.GeoDataFrame(out, geometry=geometry, crs=crs)
    if not gdf.crs.equals(CRS.from_epsg(4326)):
        gdf = gdf.to_crs("EPSG:4326")
    gdf.attrs["source"] = source
    return gdf


def read_stations(
    path: str | os.PathLike[str], *, crs: str | CRS = "EPSG:4326"
) -> gpd.GeoDataFrame:
    """Read a station table.

    Parameters
    ----------
    path : path-like
        CSV (UTF-8, with or without BOM) with coordinate columns, or a GeoJSON,
        GeoPackage, Shapefile or FlatGeobuf of points.
    crs : str or pyproj.CRS
        CRS of CSV coordinates (vector files carry their own).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326 with ``id``, ``name``, ``tier``, ``geometry`` and other columns.

    Raises
    ------
    InputError
        If the file is missing, unreadable, or a row is unusable.

    Examples
    --------
    >>> import io, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = p.write_text("id,name,tier,lon,lat\\nA,Hall,county,118.1,28.2\\n")
    >>> read_stations(p)[["id", "tier"]].values.tolist()
    [['A', 'county']]
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: station file not found; check the 'stations' path")
    suffix = path.suffix.lower()
    if suffix in _VECTOR_SUFFIXES:
        try:
            gdf = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises its own DataSourceError family
            raise InputError(f"{path}: cannot read the station file ({exc})") from None
        if gdf.empty:
            raise InputError(f"{path}: the station file has no features; add station points")
        if gdf.crs is None:
            raise InputError(
                f"{path}: the station file has no CRS; save it with one (e.g. EPSG:4326)"
            )
        geom_types = set(gdf.geometry.geom_type.dropna())
        if geom_types - {"Point"}:
            raise InputError(
                f"{path}: stations must be points, found {', '.join(sorted(geom_types))}; "
                "convert them to points (e.g. centroids)"
            )
        empty = gdf.geometry.is_empty | gdf.geometry.isna()
        if empty.any():
            row = int(np.flatnonzero(empty.to_numpy())[0]) + 1
            raise InputError(f"{path}: feature {row} has no geometry; give it a point or drop it")
        gdf = gdf.to_crs("EPSG:4326")
        frame = pd.DataFrame(gdf.drop(columns="geometry"))
        frame["lon"] = gdf.geometry.x.to_numpy()
        frame["lat"] = gdf.geometry.y.to_numpy()
        frame = frame.drop(columns=[c for c in ("x", "y", "经度", "纬度") if c in frame])
        return stations_from_frame(frame, crs="EPSG:4326", source=str(path))
    if suffix in (".csv", ".txt"):
        return stations_from_frame(_read_csv(path), crs=crs, source=str(path))
    raise InputError(
        f"{path}: unknown station file type '{suffix}'; use CSV, GeoJSON, GeoPackage or Shapefile"
    )


def read_osm_pois(path: str | os.PathLike[str], tags: dict[str, list[str]]) -> gpd.GeoDataFrame:
    """Points of interest from an OSM PBF extract (pyrosm), as points in WGS84.

    Polygons (e.g. a bank mapped as a building) become their centroid, computed in
    the local metric CRS.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` file.
    tags : dict
        OSM key -> accepted values, e.g. ``{"amenity": ["bank", "pharmacy"]}``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``osm_id``, ``osm_type``, ``name``, one column per key in ``tags`` and
        ``geometry`` (points).

    Raises
    ------
    InputError
        If the file cannot be read.
    """
    import warnings

    import pyrosm

    from .crs import local_metric_crs

    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pois = pyrosm.OSM(str(path), keep_metadata=False).get_pois(custom_filter=dict(tags))
    except Exception as exc:  # pyrosm raises bare Exceptions on bad files
        raise InputError(f"{path}: cannot read points of interest ({exc})") from None
    columns = ["osm_id", "osm_type", "name", *tags]
    if pois is None or len(pois) == 0:
        return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=4326)
    pois = pois[pois.geometry.notna() & ~pois.geometry.is_empty]
    b = pois.total_bounds
    metric = local_metric_crs((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
    points = pois.geometry.to_crs(metric).centroid.to_crs(4326)
    frame = pd.DataFrame(
        {
            "osm_id": pois["id"].to_numpy(),
            "osm_type": pois["osm_type"].to_numpy() if "osm_type" in pois else "",
            "name": pois["name"].to_numpy() if "name" in pois else None,
        }
    )
    for key in tags:
        frame[key] = pois[key].to_numpy() if key in pois else None
    out = gpd.GeoDataFrame(frame, geometry=points.to_numpy(), crs=4326)
    return out.sort_values(["osm_type", "osm_id"]).reset_index(drop=True)
