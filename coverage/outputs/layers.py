"""GIS layers staff can open: ``outputs.gpkg`` and, on request, Shapefiles.

One GeoPackage holds every vector layer of a run: ``stations`` (points with the
columns of ``stations.csv``), ``units_<level>`` (the unit polygons with the columns of
their table), ``gaps``, ``isochrones`` and, when siting writes them, ``sites``; in
``output_crs`` (WGS84 by default, CGCS2000 ``EPSG:4490`` or a Gauss-Krüger zone such as
``EPSG:4549``). The GeoJSON files of a run stay WGS84, as RFC 7946 requires.

With ``shapefile=True`` the same layers are written as Shapefiles into ``shapefile/``,
each with a ``.cpg`` naming its text encoding (UTF-8, or GBK for older desktop GIS).
A dBase field name holds at most 10 characters: long column names get the short
names of :data:`SHAPEFILE_FIELDS` (else a truncated, numbered name), and
``shapefile/fields.csv`` lists every layer's short name beside the full one.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from .writers import write_csv

if TYPE_CHECKING:
    from ..results import CoverageResult

__all__ = [
    "SHAPEFILE_FIELDS",
    "gis_layers",
    "read_layers",
    "shapefile_names",
    "write_gis_layers",
    "write_layers",
]

#: Short dBase names of the long columns of the layers (documented in the README).
SHAPEFILE_FIELDS = {
    "population": "pop",
    "population_covered": "pop_cov",
    "coverage_share": "cov_share",
    "unreachable_population": "pop_unreach",
    "mean_minutes": "mean_min",
    "p90_minutes": "p90_min",
    "nearest_station": "near_id",
    "nearest_station_name": "near_name",
    "catchment_population": "catch_pop",
    "catchment_covered": "catch_cov",
    "tier_catchment_population": "tier_catch",
    "staff_recommended": "staff_rec",
    "snap_distance_m": "snap_m",
    "services_count": "n_services",
    "duplicate_of": "dup_of",
    "mean_extra_minutes": "mean_extra",
    "max_extra_minutes": "max_extra",
    "unreachable_minutes": "unr_min",
}


def _stations_layer(result: CoverageResult) -> gpd.GeoDataFrame:
    stations = result.stations
    return gpd.GeoDataFrame(stations, geometry=stations.geometry.name, crs=stations.crs)


def _units_layer(result: CoverageResult, level: str) -> gpd.GeoDataFrame:
    polygons = result.unit_polygons[level]
    table = result.units.get(level)
    geometry = polygons.geometry.to_numpy()
    frame = pd.DataFrame(table).reset_index(drop=True) if table is not None else polygons[["unit"]]
    return gpd.GeoDataFrame(frame, geometry=list(geometry), crs=polygons.crs)


def gis_layers(
    result: CoverageResult,
    *,
    isochrones: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """The vector layers of a result, by layer name, in their own CRS.

    Parameters
    ----------
    result : CoverageResult
        The result.
    isochrones : geopandas.GeoDataFrame, optional
        The run's isochrones (one polygon per threshold), as in ``isochrones.geojson``.
    sites : geopandas.GeoDataFrame, optional
        New sites proposed by siting.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        ``stations``, ``units_<level>`` per level (``units`` for a single set of
        units), ``gaps``, ``isochrones`` and ``sites``, those the run has.
    """
    layers = {"stations": _stations_layer(result)}
    for level in result.unit_polygons:
        name = "units" if level == "unit" else f"units_{level}"
        layers[name] = _units_layer(result, level)
    if result.gaps is not None and len(result.gaps):
        layers["gaps"] = result.gaps
    if isochrones is not None and len(isochrones):
        layers["isochrones"] = isochrones
    if sites is not None and len(sites):
        layers["sites"] = sites
    return layers


def _fit(text: str, size: int, encoding: str) -> str:
    """The longest start of ``text`` whose encoding takes at most ``size`` bytes."""
    while len(text.encode(encoding, errors="replace")) > size:
        text = text[:-1]
    return text


def shapefile_names(columns: list[str], encoding: str = "utf-8") -> dict[str, str]:
    """Column -> dBase field name (at most 10 bytes in ``encoding``, unique ignoring case).

    Examples
    --------
    >>> shapefile_names(["id", "catchment_population", "window_morning_coverage_share",
    ...                  "window_morning_population_covered", "input_服务电话"])
    ... # doctest: +NORMALIZE_WHITESPACE
    {'id': 'id', 'catchment_population': 'catch_pop',
     'window_morning_coverage_share': 'window_mor',
     'window_morning_population_covered': 'window_m_1', 'input_服务电话': 'input_服'}
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        full = SHAPEFILE_FIELDS.get(column, column)
        short = _fit(full, 10, encoding)
        i = 1
        while short.lower() in used:
            tail = f"_{i}"
            short = _fit(full, 10 - len(tail), encoding) + tail
            i += 1
        used.add(short.lower())
        out[column] = short
    return out


def _plain(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns a GIS driver can store: lists and mappings as text, booleans kept."""
    out = frame.copy()
    for column in out.columns:
        if column == out.geometry.name:
            continue
        values = out[column]
        if values.dtype == object and values.map(lambda v: isinstance(v, (list, dict))).any():
            out[column] = values.map(lambda v: str(v) if isinstance(v, (list, dict)) else v)
    return out


def _to_gbk(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Text GBK cannot hold replaced by ``?``; the frame and how many characters were."""
    lost = 0
    out = frame.copy()
    for column in out.columns:
        if column == out.geometry.name:
            continue
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):

            def fit(value: object) -> object:
                nonlocal lost
                if not isinstance(value, str):
                    return value
                kept = value.encode("gbk", errors="replace").decode("gbk")
                lost += sum(a != b for a, b in zip(value, kept, strict=False))
                return kept

            out[column] = values.map(fit)
    return out, lost


def write_gis_layers(
    result: CoverageResult,
    folder: str | os.PathLike[str],
    *,
    isochrones: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    output_crs: str = "EPSG:4326",
    shapefile: bool = False,
    shapefile_encoding: str = "utf-8",
) -> dict[str, Path]:
    """Write ``outputs.gpkg`` (and with ``shapefile`` the ``shapefile/`` folder) into ``folder``.

    Parameters
    ----------
    result : CoverageResult
        The result.
    folder : path-like
        The output (or staging) folder.
    isochrones, sites : geopandas.GeoDataFrame, optional
        As for :func:`gis_layers`.
    output_crs : str
        CRS of every layer written (e.g. ``EPSG:4490``).
    shapefile : bool
        Also write one Shapefile per layer, with ``.cpg`` and ``fields.csv``.
    shapefile_encoding : {"utf-8", "gbk"}
        Encoding of the Shapefiles' text; characters GBK lacks are written as ``?``
        (with a warning counting them).

    Returns
    -------
    dict
        File kind -> path: ``gpkg``, and ``shapefile_<layer>`` and ``shapefile_fields``.
    """
    return write_layers(
        gis_layers(result, isochrones=isochrones, sites=sites),
        folder,
        output_crs=output_crs,
        shapefile=shapefile,
        shapefile_encoding=shapefile_encoding,
    )


def write_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    folder: str | os.PathLike[str],
    *,
    output_crs: str = "EPSG:4326",
    shapefile: bool = False,
    shapefile_encoding: str = "utf-8",
) -> dict[str, Path]:
    """Write named layers into ``outputs.gpkg`` (and Shapefiles) in ``folder``.

    Parameters
    ----------
    layers : mapping of str to geopandas.GeoDataFrame
        Layer name -> features (any CRS; empty layers are left out).
    folder : path-like
        The output (or staging) folder.
    output_crs, shapefile, shapefile_encoding
        As for :func:`write_gis_layers`.

    Returns
    -------
    dict
        File kind -> path.
    """
    import pyogrio

    out = Path(folder)
    plain = {
        name: _plain(layer.to_crs(output_crs))
        for name, layer in layers.items()
        if layer is not None and len(layer)
    }
    paths: dict[str, Path] = {}
    paths["gpkg"] = out / "outputs.gpkg"
    tmp = out / f".outputs-{os.getpid()}.tmp.gpkg"  # GDAL wants the .gpkg extension
    try:
        for name, layer in plain.items():
            pyogrio.write_dataframe(layer, tmp, layer=name, driver="GPKG", append=tmp.exists())
        os.replace(tmp, paths["gpkg"])
    finally:
        tmp.unlink(missing_ok=True)
    if shapefile:
        paths.update(_write_shapefiles(plain, out / "shapefile", shapefile_encoding))
    return paths


def _write_shapefiles(
    layers: Mapping[str, gpd.GeoDataFrame], folder: Path, encoding: str
) -> dict[str, Path]:
    """One Shapefile per layer, ``fields.csv`` beside them; GBK losses warned about."""
    import pyogrio

    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    rows = []
    lost = 0
    for name, layer in layers.items():
        columns = [c for c in layer.columns if c != layer.geometry.name]
        names = shapefile_names(columns, encoding)
        renamed = layer.rename(columns=names)
        if encoding == "gbk":
            renamed, n = _to_gbk(renamed)
            lost += n
        target = folder / f"{name}.shp"
        pyogrio.write_dataframe(renamed, target, driver="ESRI Shapefile", encoding=encoding.upper())
        paths[f"shapefile_{name}"] = target
        rows += [{"layer": name, "field": names[c], "column": c} for c in columns]
    write_csv(pd.DataFrame(rows), folder / "fields.csv")
    paths["shapefile_fields"] = folder / "fields.csv"
    if lost:
        warnings.warn(
            f"{lost} characters that GBK cannot hold were written as '?' in the Shapefiles; "
            "use shapefile_encoding: utf-8 to keep them",
            UserWarning,
            stacklevel=3,
        )
    return paths


def read_layers(path: str | os.PathLike[str]) -> Mapping[str, gpd.GeoDataFrame]:
    """Every layer of a GeoPackage, by name (for checks and notebooks)."""
    import pyogrio

    return {name: gpd.read_file(path, layer=name) for name, _ in pyogrio.list_layers(path)}
