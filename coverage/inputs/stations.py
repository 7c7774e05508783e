"""Station points: the service points whose reach is measured.

A station table is a CSV (UTF-8, UTF-8 with BOM, GBK or GB18030, detected), an Excel
``.xlsx`` sheet, or a GeoJSON / GeoPackage / Shapefile / FlatGeobuf of points. The
result is always a GeoDataFrame in WGS84 with the columns ``id``, ``name``, ``tier``
and ``geometry`` first, then the optional standard columns and every other input
column.

Headers are recognised in English or Chinese (:data:`STATION_COLUMNS`); anything else
is named with a ``columns`` mapping ``{standard name: header in the file}``. Tiers
are normalised to the vocabulary of :mod:`coverage.inputs.tiers` (the text as written
is kept in ``tier_original``). Coordinates may be in any CRS pyproj knows or in the
Chinese web-map systems GCJ-02 and BD-09 (:mod:`coverage.inputs.crs`). Obvious mistakes
(latitude and longitude swapped, projected metres given as degrees, degrees given for
a projected CRS) are explained with the file rows concerned.

Optional columns carried through to ``stations.csv``:

``address``
    Text.
``services``
    Service items (服务事项), split on 、，,;；| and joined again with ``|`` so that
    ``table["services"].str.split("|")`` gives the list; ``services_count`` counts them.
``staff``
    Staff (人员): a number of people where every row is a number, else text (names).
``hours``
    Opening hours (营业时间, 办公时间, ``opening_hours``) in OSM syntax; Chinese forms
    such as ``周一至周五 8:30-17:00`` are converted (:mod:`coverage.inputs.hours`), the
    text as written kept in ``hours_original``; unreadable hours stop with the row.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from ..errors import InputError
from .crs import chinese_crs_name, in_china, to_wgs84
from .hours import HoursError, hours_to_osm, station_hours
from .tables import (
    EXCEL_SUFFIXES,
    TEXT_SUFFIXES,
    TableWarning,
    find_column,
    find_columns,
    read_table,
    read_vector,
    rename_columns,
    strip_control_characters,
)
from .tiers import normalise_tiers

__all__ = [
    "LAT_NAMES",
    "LON_NAMES",
    "STATION_COLUMNS",
    "STATION_OUTPUT_COLUMNS",
    "check_station_extent",
    "read_osm_pois",
    "read_stations",
    "stations_from_frame",
]

#: Column names recognised as longitude / easting (case-insensitive).
LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "东经")
#: Column names recognised as latitude / northing (case-insensitive).
LAT_NAMES = ("lat", "latitude", "y", "纬度", "北纬")

#: Standard station columns and the headers recognised for each, in order of preference.
STATION_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "id": ("id", "编号", "站点编号", "网点编号", "代码", "编码", "序号"),
    "name": ("name", "名称", "站点名称", "网点名称", "机构名称", "服务站名称", "服务点名称",
             "单位名称"),
    "tier": ("tier", "层级", "类型", "级别", "站点类型", "网点类型", "类别", "合作类型"),
    "lon": LON_NAMES,
    "lat": LAT_NAMES,
    "address": ("address", "地址", "详细地址", "站点地址"),
    "services": ("services", "服务事项", "服务内容", "可办事项", "经办事项", "服务项目"),
    "staff": ("staff", "人员", "工作人员", "人员数", "工作人员数", "经办人员"),
    "hours": ("hours", "opening_hours", "营业时间", "开放时间", "办公时间", "服务时间",
              "工作时间", "办理时间"),
}  # fmt: skip

#: Columns the reader or a run adds to the station table (``stations.csv``). An input
#: column of one of these names is kept as ``input_<name>``, with a warning.
STATION_OUTPUT_COLUMNS = (
    "tier_original", "services_count", "snap_distance_m", "reachable",
    "catchment_population", "catchment_covered", "tier_catchment_population",
    "tier_catchment_covered", "staff_recommended", "staff_gap", "capacity", "duplicate_of",
)  # fmt: skip

_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb")
_SERVICE_SPLIT = re.compile(r"[、，,;；|]+")


def _file_rows(frame: pd.DataFrame) -> list[int]:
    rows = frame.attrs.get("file_rows")
    if rows is not None and len(rows) == len(frame):
        return [int(r) for r in rows]
    return [i + 2 for i in range(len(frame))]


def _rows_text(rows: Sequence[int], mask: np.ndarray) -> str:
    """``row 3`` or ``rows 3, 4, 9 and 2 more``: the file rows where ``mask`` is True."""
    picked = [rows[int(i)] for i in np.flatnonzero(mask)]
    more = f" and {len(picked) - 5} more" if len(picked) > 5 else ""
    return ("row " if len(picked) == 1 else "rows ") + ", ".join(map(str, picked[:5])) + more


def _is_geographic(crs: str | CRS) -> bool:
    return chinese_crs_name(crs) is not None or CRS.from_user_input(crs).is_geographic


def _check_coordinates(
    lon: np.ndarray, lat: np.ndarray, crs: str | CRS, rows: list[int], source: str
) -> None:
    """Explain swapped, projected-as-degrees and degrees-as-projected coordinates."""
    name = chinese_crs_name(crs) or CRS.from_user_input(crs).to_string()
    if _is_geographic(crs):
        bad = (np.abs(lon) > 180) | (np.abs(lat) > 90)
        if bad.any():
            if (np.abs(lon[bad]) > 1000).any() or (np.abs(lat[bad]) > 1000).any():
                raise InputError(
                    f"{source}: {_rows_text(rows, bad)}: coordinates such as "
                    f"{lon[bad][0]:.0f}, {lat[bad][0]:.0f} look like projected metres, but "
                    f"stations_crs is {name} (degrees); set stations_crs to their projected "
                    "CRS (e.g. EPSG:4549 for CGCS2000 / 3-degree Gauss-Kruger CM 120E)"
                )
            if (np.abs(lat[bad]) <= 180).all() and (np.abs(lon[bad]) <= 90).all():
                raise InputError(
                    f"{source}: {_rows_text(rows, bad)}: latitude {lat[bad][0]:g} is "
                    "beyond 90 degrees; latitude and longitude look swapped: exchange the two "
                    "columns"
                )
            raise InputError(
                f"{source}: {_rows_text(rows, bad)}: coordinates {lon[bad][0]:g}, "
                f"{lat[bad][0]:g} are not longitude/latitude degrees; fix them or stations_crs"
            )
        if chinese_crs_name(crs) is not None:
            outside = ~in_china(lon, lat)
            if outside.all() and in_china(lat, lon).all():
                raise InputError(
                    f"{source}: {_rows_text(rows, outside)}: the {name} coordinates lie "
                    f"outside China but would lie inside it with longitude and latitude "
                    "swapped; swap the two column headers"
                )
    elif (np.abs(lon) <= 180).all() and (np.abs(lat) <= 90).all():
        raise InputError(
            f"{source}: every coordinate is within ±180/±90 (e.g. {lon[0]:g}, {lat[0]:g}), "
            f"which looks like degrees, but stations_crs is the projected {name}; set "
            "stations_crs to EPSG:4326 (or GCJ-02 / BD-09 for Chinese web maps)"
        )


def _services(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    items = values.astype(str).map(
        lambda text: [s.strip() for s in _SERVICE_SPLIT.split(text) if s.strip()]
    )
    return items.map("|".join), items.map(len).astype(np.int64)


def _staff(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip()
    numbers = pd.to_numeric(text.where(text != "", None), errors="coerce")
    if numbers.notna().sum() == (text != "").sum() and (text != "").any():
        if (numbers.dropna() == numbers.dropna().round()).all():
            return numbers.astype("Int64")
        return numbers
    return text


def stations_from_frame(
    frame: pd.DataFrame,
    *,
    crs: str | CRS = "EPSG:4326",
    source: str = "stations",
    columns: Mapping[str, str] | None = None,
    outside_china: str = "keep",
    what: str = "station",
    output_columns: Sequence[str] = STATION_OUTPUT_COLUMNS,
) -> gpd.GeoDataFrame:
    """Turn a table of stations with coordinate columns into a station GeoDataFrame.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per station; coordinates under a name in :data:`LON_NAMES` /
        :data:`LAT_NAMES`; optional columns of :data:`STATION_COLUMNS`.
    crs : str or pyproj.CRS
        CRS of the coordinates: anything pyproj reads, or ``"GCJ-02"`` / ``"BD-09"``.
    source : str
        Name of the file, for messages.
    columns : mapping, optional
        ``{standard name: header in the table}`` for headers not recognised.
    outside_china : {"keep", "shift"}
        For GCJ-02/BD-09: leave points outside China unshifted (the convention of
        Chinese web maps), or convert them anyway (see :mod:`coverage.inputs.crs`).
    what : str
        What a row is, for messages (``"candidate"`` for candidate sites).
    output_columns : sequence of str
        Names an input column may not keep (:data:`STATION_OUTPUT_COLUMNS`): such a
        column is renamed ``input_<name>``, with a warning.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, columns ``id``, ``name``, ``tier``, ``geometry`` and the rest.
        ``attrs``: ``source``, ``file_rows`` (file row of each station) and ``crs``.

    Raises
    ------
    InputError
        On missing coordinate columns, empty or non-numeric coordinates, swapped or
        wrong-CRS coordinates (the file rows are named, counting the header as row 1)
        and duplicate ids.

    Warns
    -----
    UnknownTierWarning
        For tiers outside the vocabulary (the stations are kept).
    """
    if frame.empty:
        raise InputError(f"{source}: the {what} table has no rows; add one row per {what}")
    rows = _file_rows(frame)
    frame = rename_columns(frame, columns, source=source).reset_index(drop=True)
    frame = strip_control_characters(frame, source=source)
    names = list(frame.columns)
    found = find_columns(
        names,
        STATION_COLUMNS,
        source=source,
        exclusive=("lon", "lat"),
        mapping="stations_columns",
        chosen=list(columns or {}),
    )
    lon_col, lat_col = found["lon"], found["lat"]
    if lon_col is None or lat_col is None:
        raise InputError(
            f"{source}: no coordinate columns found (columns are {', '.join(map(str, names))}); "
            "name them lon and lat (or longitude/latitude, x/y, 经度/纬度), or map them with "
            "stations_columns: {lon: ..., lat: ...}"
        )
    coords = {}
    for col in (lon_col, lat_col):
        text = frame[col].astype("string").str.strip()
        values = pd.to_numeric(text, errors="coerce")
        bad = (values.isna() | ~np.isfinite(values.astype(float).fillna(np.nan))).to_numpy()
        if bad.any():
            raise InputError(
                f"{source}: {_rows_text(rows, bad)}: column '{col}' is empty or not a "
                f"number ({text[bad].iloc[0]!r}); fill in the coordinate or remove the row"
            )
        coords[col] = values.astype(float).to_numpy()
    _check_coordinates(coords[lon_col], coords[lat_col], crs, rows, source)
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    id_col = found["id"]
    ids = (
        frame[id_col].astype(str).str.strip()
        if id_col
        else pd.Series([str(i + 1) for i in range(len(frame))])
    )
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        first = ids[dup].iloc[0]
        raise InputError(
            f"{source}: {_rows_text(rows, (ids == first).to_numpy())}: duplicate {what} "
            f"id {first!r}; give every {what} its own id"
        )
    out["id"] = ids
    name_col = found["name"]
    out["name"] = frame[name_col].astype(str).str.strip() if name_col else out["id"].copy()
    tier_col = found["tier"]
    if tier_col:
        out["tier"] = normalise_tiers(frame[tier_col], source=source, first_row=rows[0]).to_numpy()
        out["tier_original"] = frame[tier_col].astype(str).str.strip()
    else:
        out["tier"] = ""
    if found["address"]:
        out["address"] = frame[found["address"]].astype(str).str.strip()
    if found["services"]:
        out["services"], out["services_count"] = _services(frame[found["services"]])
    if found["staff"]:
        out["staff"] = _staff(frame[found["staff"]])
    if found["hours"]:
        written = frame[found["hours"]]
        hours = station_hours(written.tolist(), source=source, rows=rows, ids=out["id"].tolist())
        out["hours"] = pd.Series(hours, dtype=object)
        if any(h is not None and h != str(w).strip() for h, w in zip(hours, written, strict=True)):
            out["hours_original"] = written.astype(str).str.strip()
    used = {*(c for c in found.values() if c), "geometry"}
    renamed = {}
    for col in names:
        if col in used:
            continue
        keep = col
        while keep in out or keep in output_columns or (keep in names and keep != col):
            keep = f"input_{keep}"
        if keep != col:
            renamed[col] = keep
        out[keep] = frame[col]
    if renamed:
        warnings.warn(
            f"{source}: column(s) {', '.join(map(repr, renamed))} have the name of a column "
            f"this tool writes; kept as {', '.join(map(repr, renamed.values()))}",
            TableWarning,
            stacklevel=2,
        )
    lon, lat = to_wgs84(coords[lon_col], coords[lat_col], crs, outside_china=outside_china)
    gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    gdf.attrs.update({"source": source, "file_rows": rows, "crs": str(crs)})
    return gdf


def _vector_frame(path: Path, crs: str | CRS, what: str) -> tuple[pd.DataFrame, str | CRS]:
    gdf = read_vector(path, f"{what} file")
    if gdf.empty:
        raise InputError(f"{path}: the {what} file has no features; add {what} points")
    chinese = chinese_crs_name(crs)
    if gdf.crs is None and chinese is None and CRS.from_user_input(crs).equals(CRS(4326)):
        raise InputError(
            f"{path}: the {what} file has no CRS; save it with one (e.g. EPSG:4326) or set "
            "stations_crs"
        )
    geom_types = set(gdf.geometry.geom_type.dropna())
    if geom_types - {"Point"}:
        raise InputError(
            f"{path}: {what}s must be points, found {', '.join(sorted(geom_types))}; "
            "convert them to points (e.g. centroids)"
        )
    empty = (gdf.geometry.is_empty | gdf.geometry.isna()).to_numpy()
    if empty.any():
        row = int(np.flatnonzero(empty)[0]) + 1
        raise InputError(f"{path}: feature {row} has no geometry; give it a point or drop it")
    if chinese is not None:
        # A GCJ-02/BD-09 layer is stored as lon/lat labelled WGS84: take the numbers as they are.
        if gdf.crs is not None and not gdf.crs.is_geographic:
            raise InputError(
                f"{path}: stations_crs is {chinese} but the file is in the projected "
                f"{gdf.crs.to_string()}; remove stations_crs or export the layer as lon/lat"
            )
        use: str | CRS = chinese
    elif gdf.crs is None:
        use = crs
    else:
        use = gdf.crs
    frame = pd.DataFrame(gdf.drop(columns="geometry"))
    frame = frame.drop(columns=[c for c in frame if find_column([c], LON_NAMES + LAT_NAMES)])
    frame["lon"] = gdf.geometry.x.to_numpy()
    frame["lat"] = gdf.geometry.y.to_numpy()
    frame.attrs["file_rows"] = list(range(1, len(frame) + 1))
    return frame, use


def read_stations(
    path: str | os.PathLike[str],
    *,
    crs: str | CRS = "EPSG:4326",
    encoding: str | None = None,
    sheet: str | int | None = None,
    columns: Mapping[str, str] | None = None,
    outside_china: str = "keep",
    what: str = "station",
    option: str = "'stations'",
    output_columns: Sequence[str] = STATION_OUTPUT_COLUMNS,
) -> gpd.GeoDataFrame:
    """Read a station table.

    Parameters
    ----------
    path : path-like
        CSV (UTF-8 with or without BOM, GBK, GB18030; detected) or ``.xlsx`` with
        coordinate columns, or a GeoJSON, GeoPackage, Shapefile or FlatGeobuf of points.
    crs : str or pyproj.CRS
        CRS of table coordinates: e.g. ``"EPSG:4326"``, ``"GCJ-02"``, ``"BD-09"``. For a
        vector file, ``"GCJ-02"``/``"BD-09"`` mean its lon/lat are in that system; any
        other value is used only when the file has no CRS.
    encoding : str, optional
        Text encoding of a CSV (detected when None).
    sheet : str or int, optional
        Excel sheet (default: the first).
    columns : mapping, optional
        ``{standard name: header in the file}`` (see :data:`STATION_COLUMNS`).
    outside_china : {"keep", "shift"}
        GCJ-02/BD-09 handling of points outside China (see :mod:`coverage.inputs.crs`).
    what : str
        What a row is, for messages (``"candidate"`` for candidate sites).
    option : str
        The setting that named the file, for messages (``"--candidates"``).
    output_columns : sequence of str
        See :func:`stations_from_frame`.

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
    >>> text = "编号,站点名称,层级,经度,纬度\\nA,城关镇医保服务站,乡镇医保服务站,118.1,28.2\\n"
    >>> _ = p.write_text(text, encoding="gbk")
    >>> read_stations(p)[["id", "tier"]].values.tolist()
    [['A', 'township']]
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: {what} file not found; check the {option} path")
    suffix = path.suffix.lower()
    if suffix in _VECTOR_SUFFIXES:
        frame, use = _vector_frame(path, crs, what)
        return stations_from_frame(
            frame, crs=use, source=str(path), columns=columns, outside_china=outside_china,
            what=what, output_columns=output_columns,
        )  # fmt: skip
    if suffix in TEXT_SUFFIXES + EXCEL_SUFFIXES or suffix == ".xls":
        required = [
            [columns["lon"]] if columns and "lon" in columns else LON_NAMES,
            [columns["lat"]] if columns and "lat" in columns else LAT_NAMES,
        ]
        table = read_table(path, encoding=encoding, sheet=sheet, required=required,
                           what=f"{what} table")  # fmt: skip
        return stations_from_frame(
            table, crs=crs, source=str(path), columns=columns, outside_china=outside_china,
            what=what, output_columns=output_columns,
        )  # fmt: skip
    raise InputError(
        f"{path}: unknown {what} file type '{suffix}'; use CSV, .xlsx, GeoJSON, GeoPackage "
        "or Shapefile"
    )


def check_station_extent(
    stations: gpd.GeoDataFrame,
    bounds: tuple[float, float, float, float],
    *,
    margin_m: float,
    what: str,
) -> None:
    """Stop with a clear message when stations lie far outside an area (e.g. the network).

    Parameters
    ----------
    stations : geopandas.GeoDataFrame
        From :func:`read_stations` (WGS84).
    bounds : tuple of float
        (west, south, east, north) in WGS84 degrees.
    margin_m : float
        Distance allowed beyond the bounds.
    what : str
        What the bounds are, for the message (e.g. ``"the road network of x.osm.pbf"``).

    Raises
    ------
    InputError
        Naming the file rows of the stations outside, and saying when swapping longitude
        and latitude would bring them inside.
    """
    pts = stations.to_crs("EPSG:4326").geometry
    lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    w, s, e, n = bounds
    dlat = margin_m / 111_320.0
    dlon = dlat / max(np.cos(np.radians(max(abs(s), abs(n)))), 0.01)

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (x >= w - dlon) & (x <= e + dlon) & (y >= s - dlat) & (y <= n + dlat)

    outside = ~inside(lon, lat)
    if not outside.any():
        return
    rows = stations.attrs.get("file_rows") or [i + 2 for i in range(len(stations))]
    source = stations.attrs.get("source", "stations")
    i = int(np.flatnonzero(outside)[0])
    km = np.hypot(
        max(w - lon[i], 0.0, lon[i] - e) * 111.32 * np.cos(np.radians(lat[i])),
        max(s - lat[i], 0.0, lat[i] - n) * 111.32,
    )
    if inside(lat[outside], lon[outside]).all():
        hint = "latitude and longitude look swapped: exchange the two columns"
    elif outside.all():
        hint = "check stations_crs, or use inputs that cover the same area"
    else:
        hint = "check their coordinates, or use inputs that cover them"
    ids = stations["id"].astype(str).to_numpy() if "id" in stations else None
    first = f"station {ids[i]!r}" if ids is not None else "the first"
    raise InputError(
        f"{source}: {_rows_text(rows, outside)}: {int(outside.sum())} station(s) lie "
        f"outside {what} ({first}, row {rows[i]}, at lon {lon[i]:.5f}, lat {lat[i]:.5f}, "
        f"{km:,.1f} km away); {hint}"
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
        Columns ``osm_id``, ``osm_type``, ``name``, one column per key in ``tags``,
        ``hours`` (the ``opening_hours`` tag; None where absent or not valid OSM syntax)
        and ``geometry`` (points).

    Warns
    -----
    UserWarning
        Naming the points whose ``opening_hours`` tag does not parse (left out).

    Raises
    ------
    InputError
        If the file cannot be read.
    """
    import pyrosm

    from .crs import local_metric_crs

    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pois = pyrosm.OSM(str(path), keep_metadata=False).get_pois(custom_filter=dict(tags))
    except Exception as exc:  # pyrosm raises bare Exceptions on bad files
        raise InputError(f"{path}: cannot read points of interest ({exc})") from None
    columns = ["osm_id", "osm_type", "name", *tags, "hours"]
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
    frame["hours"] = _osm_hours(
        pois["opening_hours"].tolist() if "opening_hours" in pois else [None] * len(frame),
        frame,
        path,
    )
    out = gpd.GeoDataFrame(frame, geometry=points.to_numpy(), crs=4326)
    return out.sort_values(["osm_type", "osm_id"]).reset_index(drop=True)


def _osm_hours(tags: list[object], frame: pd.DataFrame, path: Path) -> list[str | None]:
    """The ``opening_hours`` tags that parse; the others are left out with a warning."""

    out: list[str | None] = []
    bad: list[str] = []
    for value, kind, osm_id in zip(tags, frame["osm_type"], frame["osm_id"], strict=True):
        text = None if value is None or value != value else str(value).strip()
        if not text:
            out.append(None)
            continue
        try:
            out.append(hours_to_osm(text))
        except HoursError:
            out.append(None)
            bad.append(f"{kind}/{osm_id} ({text!r})")
    if bad:
        warnings.warn(
            f"{path}: {len(bad)} point(s) of interest have an opening_hours tag that is not "
            f"valid OSM syntax and count as having no hours: {', '.join(bad[:3])}",
            stacklevel=3,
        )
    return out
