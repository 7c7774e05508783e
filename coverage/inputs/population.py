"""Where residents are: population rasters, population tables and modelled grids.

Rasters (WorldPop in EPSG:4326, WorldPop constrained, GHS-POP in Mollweide ESRI:54009
at 100 m or 1 km, any CRS GDAL reads) are never resampled for the engine: it works on
the centres of the raster's own cells, transformed to the metric CRS, so every person
in the file is counted exactly once. Nodata cells hold no people. Only the window of
a raster covering the study area is read (:func:`read_population` with ``bounds``).

Clipping to the study area (:func:`clip_population`) keeps the cells whose centre
lies inside it, so the people kept plus the people left out equal the raster's total
exactly. Putting a grid on another grid (:func:`reproject_population`) moves every
source cell's people to the target cell containing its centre: the total is conserved
exactly (never bilinear interpolation of counts, which creates and destroys people).

Without a raster, demand comes from a table of points with populations
(:func:`read_population_points`, e.g. villages) or is modelled from OSM buildings
(:func:`population_from_buildings`). Population groups (e.g. people aged 65+) ride
along as :attr:`Demand.groups`.

This module gathers the public names; the code lives by concept in
:mod:`~coverage.inputs.demand` (grids and demand points),
:mod:`~coverage.inputs.population_raster` (reading rasters),
:mod:`~coverage.inputs.population_points` (tables of places) and
:mod:`~coverage.inputs.buildings` (residents modelled from buildings).
"""

from __future__ import annotations

from .buildings import RESIDENTIAL_BUILDINGS, population_from_buildings, read_osm_buildings
from .demand import (
    Demand,
    PopulationGrid,
    clip_population,
    demand_from_grid,
    reproject_population,
)
from .population_points import POINT_COLUMNS, read_population_points
from .population_raster import MAX_PEOPLE_PER_CELL, read_population

__all__ = [
    "MAX_PEOPLE_PER_CELL",
    "POINT_COLUMNS",
    "RESIDENTIAL_BUILDINGS",
    "Demand",
    "PopulationGrid",
    "clip_population",
    "demand_from_grid",
    "population_from_buildings",
    "read_osm_buildings",
    "read_population",
    "read_population_points",
    "reproject_population",
]
