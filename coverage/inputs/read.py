"""Read everything a run configuration names: stations, units, network and demand.

:func:`read_inputs` is the reading half of :func:`coverage.run_coverage`. Beyond
calling each reader it ties the inputs together:

* stations far outside the road network stop the run with the file rows named (and a
  hint when longitude and latitude look swapped); stations far outside the population
  raster are reported with :class:`StationsOutsideWarning`;
* a population grid is clipped to the study area, the union of the unit polygons when
  boundaries are given, else the network's bounding box widened by ``max_access_m``.
  Only the window of the raster covering the study area's bounding box (and one cell
  more) is read, so memory follows the study area, not the file, and
  ``population_input`` counts the people in that window. A cell belongs to the study
  area when its centre does, so
  ``population_input = population_total + population_outside_study_area`` exactly.
  A population table is used as given (its places are the study area).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from pyproj import CRS, Transformer

from ..errors import InputError
from .boundaries import read_boundary_levels
from .network import Network, load_networks
from .official_totals import OfficialTotals, read_official_totals
from .osm_blocks import TaggedCollector
from .population import (
    Demand,
    PopulationGrid,
    clip_population,
    demand_from_grid,
    population_from_buildings,
    read_osm_buildings,
    read_population,
    read_population_points,
)
from .population_raster import RasterOutsideAreaError
from .stations import check_station_extent, read_stations

if TYPE_CHECKING:
    from ..config import PopulationSource, RunConfig

__all__ = ["InputData", "StationsOutsideWarning", "load_demand", "read_inputs"]


class StationsOutsideWarning(UserWarning):
    """Stations lie far outside the population raster (they may serve no one in it)."""


@dataclass(frozen=True)
class InputData:
    """The inputs of one run, read and checked.

    Attributes
    ----------
    network : Network
        The road network.
    stations : geopandas.GeoDataFrame
        Station points in WGS84.
    demand : Demand
        Demand points (clipped raster cells, modelled cells or table points) with groups.
    units : dict of str to geopandas.GeoDataFrame or None
        Unit polygons per level.
    population_input : float
        People in the population source before clipping (for a raster, in the window
        read: the cells touching the study area's bounding box, and one cell more).
    population_outside_study_area : float
        People left out by the clip (``population_input`` minus the demand's total).
    study_area : str
        ``"boundaries"``, ``"network extent"`` or ``"population table"``.
    networks : dict of str to Network
        The network of every mode of the run (``network`` is the first).
    official_totals : OfficialTotals or None
        The official population per unit (``population: {totals: ...}``), not yet
        applied: the run scales the demand to it.
    """

    network: Network
    stations: gpd.GeoDataFrame
    demand: Demand
    units: dict[str, gpd.GeoDataFrame] | None
    population_input: float
    population_outside_study_area: float
    study_area: str
    networks: dict[str, Network] = dataclasses.field(default_factory=dict)
    official_totals: OfficialTotals | None = None

    def summary(self) -> dict[str, Any]:
        """Figures about the inputs, added to ``summary.json``."""
        return {
            "population_input": self.population_input,
            "population_outside_study_area": self.population_outside_study_area,
            "study_area": self.study_area,
        }


def _wgs84_bounds(path: str) -> tuple[float, float, float, float]:
    """Bounds in degrees of a whole raster file (its header only is read)."""
    with rasterio.open(path) as src:
        crs = CRS.from_user_input(src.crs.to_wkt())
        left, bottom, right, top = src.bounds
    transformer = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    w, s, e, n = transformer.transform_bounds(left, bottom, right, top, densify_pts=21)
    return (float(w), float(s), float(e), float(n))


def _study_area(
    units: dict[str, gpd.GeoDataFrame] | None, network: Network, max_access_m: float
) -> tuple[shapely.Geometry, CRS, str]:
    if units:
        parts = [level.to_crs(network.crs).geometry.union_all() for level in units.values()]
        return shapely.union_all(parts), network.crs, "boundaries"
    box = shapely.box(
        float(network.x.min()) - max_access_m,
        float(network.y.min()) - max_access_m,
        float(network.x.max()) + max_access_m,
        float(network.y.max()) + max_access_m,
    )
    return box, network.crs, "network extent"


def load_demand(
    population: Path | PopulationSource,
    *,
    network: Network,
    network_path: Path,
    units: dict[str, gpd.GeoDataFrame] | None = None,
    max_access_m: float = 5000.0,
    stations: gpd.GeoDataFrame | None = None,
) -> tuple[Demand, float, str]:
    """Demand points from the configured population source, clipped to the study area.

    Parameters
    ----------
    population : pathlib.Path or PopulationSource
        The configuration's ``population`` value.
    network : Network
        The road network (its CRS is the grid CRS of modelled population, its extent the
        study area when no units are given).
    network_path : pathlib.Path
        The OSM file, for ``from_buildings``.
    units : dict, optional
        Unit polygons per level; their union is the study area.
    max_access_m : float
        Margin around the network's bounding box when no units are given.
    stations : geopandas.GeoDataFrame, optional
        Checked against the raster's extent (:class:`StationsOutsideWarning`).

    Returns
    -------
    tuple
        ``(demand, population_input, study_area)``: the demand, the people in the
        source before clipping (for a raster: in the window read, the cells touching
        the study area's bounding box and one more), and what the study area was.

    Raises
    ------
    InputError
        On an unreadable source, or a raster that does not overlap the study area.
    """
    from ..config import PopulationSource

    source = population if isinstance(population, PopulationSource) else None
    if source is not None and source.points is not None:
        demand = read_population_points(
            source.points,
            crs=source.crs,
            columns=source.columns,
            groups={k: str(v) for k, v in source.groups.items()},
            encoding=source.encoding,
            sheet=source.sheet,
        )
        return demand, demand.total, "population table"
    groups: dict[str, PopulationGrid] = {}
    modelled = source is not None and source.from_buildings
    area, crs, label = _study_area(units, network, max_access_m)
    if source is not None and source.from_buildings:
        if network_path.suffix.lower() != ".pbf":
            raise InputError(
                f"{network_path}: population from_buildings reads buildings from an .osm.pbf "
                "network file; give the network as .osm.pbf or a population raster"
            )
        grid = population_from_buildings(
            read_osm_buildings(network_path),
            crs=network.crs,
            cell_size_m=source.cell_size_m,
            floor_area_per_person_m2=source.floor_area_per_person_m2,
        )
    else:
        raster = source.raster if source is not None else population
        if not isinstance(raster, Path):
            raise InputError("population: name a raster, a points table or from_buildings")
        # only the cells touching the study area's bounding box are read: memory follows
        # the study area, not the extent of the file (e.g. a national raster)
        west, south, east, north = shapely.bounds(area)
        window = (float(west), float(south), float(east), float(north))
        band = source.band if source is not None else None
        try:
            grid = read_population(raster, band=band, bounds=window, bounds_crs=crs)
        except RasterOutsideAreaError:
            raise _elsewhere(str(raster), label, units, network_path) from None
        if source is not None:
            groups = {
                name: read_population(Path(path), bounds=window, bounds_crs=crs)
                for name, path in source.groups.items()
            }
    try:
        clipped = clip_population(grid, area, crs=crs)
    except InputError:
        raise _elsewhere(grid.source, label, units, network_path) from None
    if stations is not None and not modelled:
        _warn_outside_raster(stations, grid, max_access_m)
    clipped_groups = {name: clip_population(g, area, crs=crs) for name, g in groups.items()}
    total_input = grid.total
    if source is not None and source.from_buildings and source.total is not None:
        # ``total`` is the study area's population: scale after clipping, and scale the
        # people left outside by the same factor so the two still add up.
        factor = source.total / clipped.total
        clipped = dataclasses.replace(clipped, counts=clipped.counts * factor)
        total_input *= factor
    return demand_from_grid(clipped, groups=clipped_groups), total_input, label


def _elsewhere(
    source: str, label: str, units: dict[str, gpd.GeoDataFrame] | None, network_path: Path
) -> InputError:
    """The error for a population that does not overlap the study area."""
    against = (
        ", ".join(str(u.attrs.get("source", level)) for level, u in (units or {}).items())
        or f"the road network of {network_path}"
    )
    return InputError(
        f"{source or 'population'}: no populated cell lies inside the study area "
        f"({label}: {against}); the population and the {label} cover different areas, "
        "check the files and their CRS"
    )


def _warn_outside_raster(stations: gpd.GeoDataFrame, grid: PopulationGrid, margin_m: float) -> None:
    try:
        check_station_extent(
            stations,
            _wgs84_bounds(grid.source),
            margin_m=margin_m,
            what=f"the population raster {Path(grid.source).name}",
        )
    except InputError as exc:
        warnings.warn(
            StationsOutsideWarning(f"{exc} (they can serve few or none of its residents)"),
            stacklevel=3,
        )


def read_inputs(
    config: RunConfig,
    *,
    progress: bool = False,
    on_parse: Callable[[Path], TaggedCollector | None] | None = None,
    on_network: Callable[[Mapping[str, Network]], object] | None = None,
) -> InputData:
    """Read and check every input a configuration names.

    Parameters
    ----------
    config : RunConfig
        From :func:`coverage.load_config`.
    progress : bool
        Show progress bars while the network loads.
    on_parse : callable, optional
        Called with the OSM file's path just before it is parsed; may return a
        collector of other features read in the same pass
        (:func:`~coverage.inputs.network.load_networks`).
    on_network : callable, optional
        Called with the networks (mode -> :class:`Network`) as soon as they are
        loaded, before the stations are checked against them and the population is
        read (what needs only the network can start then).

    Returns
    -------
    InputData

    Raises
    ------
    InputError
        On any unusable input (one line naming the file, row or field and the fix).
    """
    stations = read_stations(
        config.stations,
        crs=config.stations_crs,
        encoding=config.stations_encoding,
        sheet=config.stations_sheet,
        columns=config.stations_columns,
    )
    units = (
        read_boundary_levels(
            config.boundaries,
            name=config.boundaries_name,
            crs=config.boundaries_crs,
            parent=config.boundaries_parent,
        )
        if config.boundaries is not None
        else None
    )
    # every mode of the run from one parse, weighted (and cached) by the engine's rules
    networks = load_networks(
        config.network,
        modes=config.run_modes,
        speed_kmh=config.speed_kmh,
        speeds_kmh=config.speeds_kmh,
        metric_crs=config.metric_crs,
        dem=config.dem,
        cache_dir=config.cache_folder,
        progress=progress,
        ferry=config.ferry,
        ferry_speed_kmh=config.ferry_speed_kmh,
        ferry_wait_minutes=config.ferry_wait_minutes,
        network_columns=config.network_columns,
        network_snap_m=config.network_snap_m,
        on_parse=on_parse,
    )
    if on_network is not None:
        on_network(networks)
    network = next(iter(networks.values()))
    check_station_extent(
        stations,
        (
            float(np.min(network.lon)),
            float(np.min(network.lat)),
            float(np.max(network.lon)),
            float(np.max(network.lat)),
        ),
        margin_m=config.max_access_m,
        what=f"the road network of {Path(network.source).name if network.source else 'it'}",
    )
    demand, population_input, study_area = load_demand(
        config.population,
        network=network,
        network_path=config.network,
        units=units,
        max_access_m=config.max_access_m,
        stations=stations,
    )
    totals = getattr(config.population, "totals", None)
    official = (
        read_official_totals(
            totals.file,
            column=totals.column,
            unit_column=totals.unit_column,
            sheet=totals.sheet,
            encoding=totals.encoding,
        )
        if totals is not None
        else None
    )
    return InputData(
        network=network,
        stations=stations,
        demand=demand,
        units=units,
        population_input=population_input,
        population_outside_study_area=population_input - demand.total,
        study_area=study_area,
        networks=networks,
        official_totals=official,
    )
