"""Administrative units (township, village) as polygons, one or several levels.

A boundaries file is a GeoJSON, GeoPackage or Shapefile of polygons in any CRS. Files
traced from Chinese web maps hold GCJ-02 (or BD-09) lon/lat labelled as WGS84; name
that with ``crs="GCJ-02"`` and the vertices are converted to WGS84. Invalid geometries
(self-intersections, bow-ties) are repaired with ``make_valid`` and reported; a unit
whose repair leaves no area is an error.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import InputError
from .crs import chinese_crs_name, to_wgs84
from .tables import read_vector, strip_control_characters
from .unit_parents import assign_parents

__all__ = ["RepairedGeometryWarning", "read_boundaries", "read_boundary_levels"]


class RepairedGeometryWarning(UserWarning):
    """Some unit polygons were invalid and have been repaired with ``make_valid``."""


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a repaired geometry (make_valid can add lines or points)."""
    if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _convert_chinese(geometry: gpd.GeoSeries, name: str, outside_china: str) -> np.ndarray:
    def convert(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs84(coords[:, 0], coords[:, 1], name, outside_china=outside_china)
        return np.column_stack([lon, lat])

    return shapely.transform(geometry.to_numpy(), convert)


def read_boundaries(
    path: str | os.PathLike[str],
    *,
    name: str = "name",
    crs: str | CRS | None = None,
    outside_china: str = "keep",
    parent: str | None = None,
) -> gpd.GeoDataFrame:
    """Read unit polygons and name them.

    Parameters
    ----------
    path : path-like
        GeoJSON, GeoPackage or Shapefile of polygons, in any CRS.
    name : str
        Attribute that names each unit.
    crs : str or pyproj.CRS, optional
        ``"GCJ-02"`` or ``"BD-09"`` when the file's lon/lat come from a Chinese web map
        (converted to WGS84); any other CRS replaces the file's (for files without one).
    outside_china : {"keep", "shift"}
        GCJ-02/BD-09 handling of points outside China (see :mod:`coverage.inputs.crs`).
    parent : str, optional
        Attribute naming each unit's parent unit (e.g. a village's township), kept as
        the column ``parent`` (see :mod:`coverage.inputs.unit_parents`).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``unit`` (the name, as text), ``parent`` (with ``parent``) and
        ``geometry``, in the file's CRS (WGS84 after a GCJ-02/BD-09 conversion);
        invalid geometries repaired.

    Raises
    ------
    InputError
        If the file is missing or unreadable, has no CRS, no polygons, no ``name``
        column, or a polygon that cannot be repaired.

    Warns
    -----
    RepairedGeometryWarning
        Naming the units whose geometry was repaired.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: boundaries file not found; check the 'boundaries' path")
    gdf = read_vector(path, "boundaries")
    if gdf.empty:
        raise InputError(f"{path}: the boundaries file has no features; add unit polygons")
    chinese = chinese_crs_name(crs) if crs is not None else None
    if crs is not None and chinese is None:
        gdf = gdf.set_crs(crs, allow_override=True)
    if gdf.crs is None and chinese is None:
        raise InputError(
            f"{path}: the boundaries have no CRS; save them with one (e.g. EPSG:4326) or set "
            "boundaries_crs"
        )
    if name not in gdf.columns:
        raise InputError(
            f"{path}: no column '{name}' to name the units (columns are "
            f"{', '.join(c for c in gdf.columns if c != 'geometry')}); set 'boundaries_name'"
        )
    if parent is not None and parent not in gdf.columns:
        raise InputError(
            f"{path}: no column '{parent}' naming each unit's parent (columns are "
            f"{', '.join(c for c in gdf.columns if c != 'geometry')}); fix boundaries_parent"
        )
    kept = [name] if parent is None or parent == name else [name, parent]
    labels = pd.DataFrame({c: gdf[c].where(gdf[c].notna(), "").astype(str) for c in kept})
    if parent is None or parent != name:
        labels[name] = gdf[name].astype(str)  # an unnamed unit shows as 'nan', as before
    labels.attrs["file_rows"] = list(range(1, len(gdf) + 1))
    labels = strip_control_characters(labels, source=str(path), row_word="feature")
    for c in kept:
        gdf[c] = labels[c].to_numpy()
    missing = (gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
    if missing.any():
        raise InputError(
            f"{path}: feature {int(np.flatnonzero(missing)[0]) + 1} "
            f"({gdf[name].iloc[int(np.flatnonzero(missing)[0])]!s}) has no geometry; draw it "
            "or remove it"
        )
    kinds = set(gdf.geometry.geom_type.dropna())
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise InputError(
            f"{path}: units must be polygons, found {', '.join(sorted(kinds))}; "
            "give the unit areas, not points or lines"
        )
    geometry = gdf.geometry.to_numpy()
    out_crs = gdf.crs
    if chinese is not None:
        if gdf.crs is not None and not gdf.crs.is_geographic:
            raise InputError(
                f"{path}: boundaries_crs is {chinese} but the file is in the projected "
                f"{gdf.crs.to_string()}; remove boundaries_crs or export the layer as lon/lat"
            )
        geometry = _convert_chinese(gdf.geometry, chinese, outside_china)
        out_crs = CRS.from_epsg(4326)
    invalid = ~shapely.is_valid(geometry)
    if invalid.any():
        repaired = np.array([_polygonal(g) for g in shapely.make_valid(geometry[invalid])])
        lost = shapely.is_empty(repaired) | (shapely.area(repaired) <= 0)
        names = gdf[name].astype(str).to_numpy()
        if lost.any():
            bad = names[invalid][lost][0]
            raise InputError(
                f"{path}: unit {bad!r} has an invalid polygon that has no area once repaired; "
                "redraw it"
            )
        geometry = geometry.copy()
        geometry[invalid] = repaired
        shown = ", ".join(names[invalid][:5])
        warnings.warn(
            RepairedGeometryWarning(
                f"{path}: {int(invalid.sum())} invalid unit polygon(s) repaired with "
                f"make_valid ({shown}); check them in a GIS"
            ),
            stacklevel=2,
        )
    columns = {"unit": gdf[name].astype(str).to_numpy()}
    if parent is not None:
        columns["parent"] = gdf[parent].astype(str).to_numpy()
    units = gpd.GeoDataFrame(columns, geometry=geometry, crs=out_crs)
    units.attrs["source"] = str(path)
    return units


def read_boundary_levels(
    paths: str | os.PathLike[str] | Mapping[str, str | os.PathLike[str]],
    *,
    name: str | Mapping[str, str] = "name",
    crs: str | CRS | None = None,
    outside_china: str = "keep",
    parent: Mapping[str, str] | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Read one or several levels of units (e.g. township and village).

    With several levels, each unit of a lower level gets its unit of the level above in
    the column ``parent``, and the lower level's units are grouped under their parent
    (:func:`~coverage.inputs.unit_parents.assign_parents`).

    Parameters
    ----------
    paths : path-like or mapping
        One file (its level is called ``"unit"``) or ``{level: file}``.
    name : str or mapping
        The naming attribute, for every level or ``{level: attribute}`` (levels not
        listed use ``"name"``).
    crs, outside_china
        As in :func:`read_boundaries`, for every level.
    parent : mapping of str to str, optional
        Level -> the attribute of its file naming each unit's parent unit
        (``{"village": "乡镇名称"}``); levels not listed are placed by containment.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        Level -> units, in the order given; lower levels with ``parent``.

    Raises
    ------
    InputError
        As :func:`read_boundaries`, when ``name`` or ``parent`` names a level that has
        no file, or a parent column names a unit the level above does not have.

    Warns
    -----
    UnitParentWarning
        Naming lower units that overlap no unit above.
    """
    levels = {"unit": paths} if isinstance(paths, (str, os.PathLike)) else dict(paths)
    if isinstance(name, Mapping):
        extra = set(name) - set(levels)
        if extra:
            raise InputError(
                f"boundaries_name: level(s) {', '.join(sorted(extra))} have no boundaries file "
                f"(levels are {', '.join(levels)}); use the same level names in both keys"
            )
    parent = dict(parent or {})
    extra = set(parent) - set(levels)
    if extra:
        raise InputError(
            f"boundaries_parent: level(s) {', '.join(sorted(extra))} have no boundaries file "
            f"(levels are {', '.join(levels)}); use the same level names in both keys"
        )
    out = {}
    for level, path in levels.items():
        label = name.get(level, "name") if isinstance(name, Mapping) else name
        out[level] = read_boundaries(
            path, name=label, crs=crs, outside_china=outside_china, parent=parent.get(level)
        )
    return assign_parents(out, parent)
