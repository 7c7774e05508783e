"""Administrative units (township, village) as polygons."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd

from ..errors import InputError

__all__ = ["read_boundaries"]


def read_boundaries(path: str | os.PathLike[str], *, name: str = "name") -> gpd.GeoDataFrame:
    """Read unit polygons and name them.

    Parameters
    ----------
    path : path-like
        GeoJSON, GeoPackage or Shapefile of polygons, in any CRS.
    name : str
        Attribute that names each unit.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``unit`` (the name, as text) and ``geometry``, in the file's CRS; invalid
        geometries are repaired with ``make_valid``.

    Raises
    ------
    InputError
        If the file is missing or unreadable, has no CRS, no polygons, or no ``name`` column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: boundaries file not found; check the 'boundaries' path")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio's DataSourceError family
        raise InputError(f"{path}: cannot read the boundaries ({exc})") from None
    if gdf.empty:
        raise InputError(f"{path}: the boundaries file has no features; add unit polygons")
    if gdf.crs is None:
        raise InputError(f"{path}: the boundaries have no CRS; save them with one (e.g. EPSG:4326)")
    if name not in gdf.columns:
        raise InputError(
            f"{path}: no column '{name}' to name the units (columns are "
            f"{', '.join(c for c in gdf.columns if c != 'geometry')}); set 'boundaries_name'"
        )
    kinds = set(gdf.geometry.geom_type.dropna())
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise InputError(
            f"{path}: units must be polygons, found {', '.join(sorted(kinds))}; "
            "give the unit areas, not points or lines"
        )
    geometry = gdf.geometry.make_valid()
    units = gpd.GeoDataFrame(
        {"unit": gdf[name].astype(str).to_numpy()}, geometry=geometry.to_numpy(), crs=gdf.crs
    )
    units.attrs["source"] = str(path)
    return units
