"""Residents modelled from OSM building footprints (when no population raster is given)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from affine import Affine
from pyproj import CRS

from ..errors import InputError
from .demand import PopulationGrid

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["RESIDENTIAL_BUILDINGS", "population_from_buildings", "read_osm_buildings"]


#: Building types counted as homes when population is modelled from buildings.
RESIDENTIAL_BUILDINGS = frozenset(
    {"residential", "apartments", "house", "detached", "semidetached_house", "terrace",
     "dormitory", "bungalow", "farm", "hut", "cabin"}
)  # fmt: skip
_SMALL_HOMES = frozenset(
    {"house", "detached", "semidetached_house", "bungalow", "hut", "cabin", "farm"}
)
_NON_HOME_TAGS = ("amenity", "shop", "office", "tourism", "leisure", "craft")


def read_osm_buildings(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Building footprints from an OSM PBF extract (pyrosm), in WGS84.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` file.

    Returns
    -------
    geopandas.GeoDataFrame
        Polygons with the columns ``building``, ``building:levels`` and the tags that
        mark non-residential use (``amenity``, ``shop``, ``office``, …) where present.

    Raises
    ------
    InputError
        If the file cannot be read or holds no buildings.
    """

    import geopandas as gpd
    import pyrosm

    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            buildings = pyrosm.OSM(str(path), keep_metadata=False).get_buildings()
    except Exception as exc:  # pyrosm raises bare Exceptions on bad files
        raise InputError(f"{path}: cannot read buildings from this OSM file ({exc})") from None
    if buildings is None or len(buildings) == 0:
        raise InputError(f"{path}: the OSM file has no buildings; give a population raster instead")
    keep = [c for c in ("building", "building:levels", *_NON_HOME_TAGS) if c in buildings]
    return gpd.GeoDataFrame(buildings[keep], geometry=buildings.geometry, crs="EPSG:4326")


def population_from_buildings(
    buildings: gpd.GeoDataFrame,
    *,
    crs: CRS | str,
    cell_size_m: float = 100.0,
    floor_area_per_person_m2: float = 40.0,
    total: float | None = None,
) -> PopulationGrid:
    """Model residents from building footprints and rasterise them to a grid.

    Model: residential buildings are those whose ``building`` tag is in
    :data:`RESIDENTIAL_BUILDINGS`, or ``building=yes`` with no ``amenity``, ``shop``,
    ``office``, ``tourism``, ``leisure`` or ``craft`` tag. Residents of a building =
    footprint area x levels / ``floor_area_per_person_m2``; levels come from
    ``building:levels``, else 1 for houses and 4 for other homes. Each building's
    residents go to the grid cell containing its footprint's centroid, so the grid
    holds exactly the modelled total. With ``total`` the grid is scaled to that sum.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Footprints with a ``building`` column (e.g. :func:`read_osm_buildings`).
    crs : pyproj.CRS or str
        Projected metric CRS of the output grid.
    cell_size_m : float
        Grid cell size in metres.
    floor_area_per_person_m2 : float
        Residential floor area per person.
    total : float, optional
        Scale the modelled residents to this total.

    Returns
    -------
    PopulationGrid

    Raises
    ------
    InputError
        If no residential building is found.
    """
    import pandas as pd

    crs = CRS.from_user_input(crs)
    kind = buildings["building"].astype("string").fillna("").str.lower()
    other_use = np.zeros(len(buildings), dtype=bool)
    for tag in _NON_HOME_TAGS:
        if tag in buildings:
            other_use |= buildings[tag].notna().to_numpy()
    homes = kind.isin(list(RESIDENTIAL_BUILDINGS)).to_numpy() | (
        (kind == "yes").to_numpy() & ~other_use
    )
    homes &= buildings.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not homes.any():
        raise InputError(
            "buildings: no residential building found; give a population raster instead"
        )
    sel = buildings.loc[homes].to_crs(crs)
    levels_raw = (
        pd.to_numeric(sel["building:levels"], errors="coerce")
        if "building:levels" in sel
        else pd.Series(np.nan, index=sel.index)
    )
    default_levels = np.where(kind[homes].isin(list(_SMALL_HOMES)).to_numpy(), 1.0, 4.0)
    levels = np.where(levels_raw.notna() & (levels_raw > 0), levels_raw, default_levels)
    people = sel.geometry.area.to_numpy() * levels / floor_area_per_person_m2
    centroids = sel.geometry.centroid
    cx, cy = centroids.x.to_numpy(), centroids.y.to_numpy()
    left = np.floor(cx.min() / cell_size_m) * cell_size_m - cell_size_m
    top = np.ceil(cy.max() / cell_size_m) * cell_size_m + cell_size_m
    cols = ((cx - left) // cell_size_m).astype(np.int64)
    rows = ((top - cy) // cell_size_m).astype(np.int64)
    shape = (int(rows.max()) + 2, int(cols.max()) + 2)
    counts = np.zeros(shape, dtype=np.float64)
    np.add.at(counts, (rows, cols), people)
    if total is not None:
        counts *= float(total) / counts.sum()
    transform = Affine(cell_size_m, 0.0, left, 0.0, -cell_size_m, top)
    return PopulationGrid(
        counts=counts,
        valid=np.ones(shape, dtype=bool),
        transform=transform,
        crs=crs,
        source="modelled from OSM buildings",
    )
