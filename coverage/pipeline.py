"""The run stage: a configuration's inputs read once, then computed for each mode.

:func:`access_model` builds the one :class:`~coverage.engine.access.AccessModel` of a
configuration (the only place its travel settings are read); :func:`run_coverage`
and :func:`run_coverage_modes` read the inputs it names and call
:func:`coverage.compute.compute_coverage`. Writing a result's folder is
:mod:`coverage.outputs.write`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from .compute import compute_coverage, read_terrain
from .config import RunConfig
from .engine.access import AccessModel
from .engine.barrier_cache import cached_barrier
from .engine.barriers import WaterMask
from .errors import InputError
from .inputs.network import Network
from .inputs.population import Demand
from .inputs.read import InputData, read_inputs
from .inputs.terrain import Dem
from .inputs.water import WaterFeatures, osm_water_reader
from .metrics.left_out import left_out, warn_left_out
from .metrics.membership import units_of_demand
from .metrics.official_totals import TotalsScaling, scale_to_totals, totals_columns, warn_totals
from .metrics.options import MetricOptions
from .metrics.service_plan import ServiceOptions
from .outputs.options import OutputOptions
from .results import CoverageResult
from .threads import thread_count

__all__ = [
    "access_model",
    "metric_options",
    "output_options",
    "read_with_water",
    "run_coverage",
    "run_coverage_modes",
    "scaled_to_totals",
    "service_options",
    "water_barrier",
]


def access_model(
    config: RunConfig,
    network: Network | None = None,
    *,
    mode: str | None = None,
    terrain: Dem | None = None,
    barrier: WaterMask | None = None,
    build_barrier: bool = True,
) -> AccessModel:
    """The access model of a configuration: how every journey of its run is timed.

    Parameters
    ----------
    config : RunConfig
        From :func:`~coverage.load_config`.
    network : Network, optional
        The network of the mode; its extent bounds the DEM read for ``dem``. Without
        it (or with ``terrain`` given), no DEM is read here.
    mode : str, optional
        The travel mode (default: the network's mode, else the configuration's first).
    terrain : Dem, optional
        A DEM already read (several modes share one).
    barrier : WaterMask, optional
        A water mask already built for the network's CRS (several modes share one);
        else built here from ``water_barriers`` and ``barriers`` when a network is given.
    build_barrier : bool
        False: ``barrier`` is this network's mask as :func:`water_barrier` built it
        (None: no water), taken as it is.

    Returns
    -------
    AccessModel
    """
    if terrain is None and config.dem is not None and network is not None:
        terrain = read_terrain(network, config.dem)
    wants_water = config.water_barriers or config.barriers is not None
    if network is not None and wants_water and build_barrier:
        if barrier is None or barrier.crs != network.crs:
            barrier = water_barrier(config, network)
    return AccessModel(
        mode=mode or (network.mode if network is not None else config.run_modes[0]),
        minutes=config.minutes,
        access_speed_kmh=config.access_speed_kmh,
        max_access_m=config.max_access_m,
        snap_to=config.snap_to,
        terrain=terrain,
        barrier=barrier if wants_water else None,
        link_steps=config.link_to_steps,
        group_speed_factor=dict(config.group_speed_factor or {}),
        cache_dir=config.cache_folder,
    )


def _wants_water(config: RunConfig) -> bool:
    """Whether a configuration's legs are checked against water (OSM water or a layer)."""
    return bool(config.water_barriers or config.barriers is not None)


def water_barrier(
    config: RunConfig, network: Network, *, features: WaterFeatures | None = None
) -> WaterMask | None:
    """The water mask of a configuration's network (``water_barriers``, ``barriers``).

    Parameters
    ----------
    config : RunConfig
        From :func:`~coverage.load_config`.
    network : Network
        The network whose access legs the mask checks.
    features : callable, optional
        Reads the OSM file's water features (a
        :meth:`~coverage.inputs.water.WaterReader.features`); default: read here.

    Returns
    -------
    WaterMask or None
        None without water (or when neither setting asks for it).
    """
    if not _wants_water(config):
        return None
    return cached_barrier(
        network,
        osm_water=config.water_barriers,
        layer=config.barriers,
        max_access_m=config.max_access_m,
        cache_dir=config.cache_folder,
        features=features,
    )


def read_with_water(
    config: RunConfig, *, progress: bool = False, mode: str | None = None
) -> tuple[InputData, WaterMask | None]:
    """:func:`~coverage.inputs.read.read_inputs` and the water mask of a mode's network.

    When the OSM file is parsed (not read from the cache) and its water is wanted,
    the water areas are read in a second process meanwhile
    (:func:`~coverage.inputs.water.osm_water_reader`): a first run takes the time
    of the longer of the two reads instead of both. The mask is then built on a
    second thread while the population is read (for a run with the cores to itself,
    :func:`~coverage.threads.thread_count`); errors come in the same order either
    way, the inputs' first.

    Parameters
    ----------
    config : RunConfig
        From :func:`~coverage.load_config`.
    progress : bool
        Show progress bars.
    mode : str, optional
        The mode whose network the mask is for (default the first).

    Returns
    -------
    (InputData, WaterMask or None)
    """

    def chosen(networks: Mapping[str, Network]) -> Network:
        if mode is not None and mode in networks:
            return networks[mode]
        return next(iter(networks.values()))

    building: list[Future[WaterMask | None]] = []
    with (
        osm_water_reader(enabled=config.water_barriers) as water,
        ThreadPoolExecutor(1, thread_name_prefix="water-mask") as pool,
    ):

        def start(networks: Mapping[str, Network]) -> None:
            if thread_count() > 1 and _wants_water(config):
                building.append(
                    pool.submit(water_barrier, config, chosen(networks), features=water.features)
                )

        inputs = read_inputs(config, progress=progress, on_parse=water.start, on_network=start)
        if building:  # (an error of the inputs leaves the block after the thread ends)
            barrier = building[0].result()
        else:
            barrier = water_barrier(config, chosen(inputs.networks), features=water.features)
    return inputs, barrier


def output_options(config: RunConfig, *, package: bool = False) -> OutputOptions:
    """What a configuration's run writes besides its figures (maps, report, GIS layers).

    Parameters
    ----------
    config : RunConfig
        From :func:`~coverage.load_config`.
    package : bool
        Also zip the folder (``--package``).

    Returns
    -------
    OutputOptions
    """
    return OutputOptions(
        isochrone_cell_m=config.isochrone_cell_m,
        isochrones_per_station=config.isochrones_per_station,
        basemap=config.basemap,
        lang=config.lang,
        tianditu_key=config.tianditu_key,
        package=package,
        output_crs=config.output_crs,
        shapefile=config.shapefile,
        shapefile_encoding=config.shapefile_encoding,
        cache_dir=config.cache_folder,
        parallel=config.parallel_outputs,
    )


def metric_options(config: RunConfig) -> MetricOptions:
    """The metric settings of a configuration (unit verdicts, targets, staffing, gaps).

    Parameters
    ----------
    config : RunConfig
        From :func:`~coverage.load_config`.

    Returns
    -------
    MetricOptions
    """
    return MetricOptions(
        unit_covered_share=config.unit_covered_share,
        targets=config.targets,
        catchment_by_tier=config.catchment_by_tier,
        staffing=config.staffing,
        gap_min_population=config.gap_min_population,
        duplicate_m=config.duplicate_m,
        service=service_options(config),
    )


def service_options(config: RunConfig) -> ServiceOptions:
    """The time windows, item rules and home service of a configuration.

    Parameters
    ----------
    config : RunConfig
        From :func:`~coverage.load_config`; ``service_lists`` may name a file, read here.

    Returns
    -------
    ServiceOptions

    Raises
    ------
    InputError
        If the list file is unreadable or a rule names a list it does not hold.
    """
    lists = config.service_lists
    if isinstance(lists, Path):
        from .inputs.service_lists import read_service_lists

        lists = read_service_lists(lists)
    try:
        return ServiceOptions(
            time_windows=dict(config.time_windows or {}),
            hours_default=config.hours_default,
            service_lists=dict(lists or {}),
            service_rules=config.service_rules,
            home_service=config.home_service,
        )
    except InputError as exc:
        where = config.service_lists if isinstance(config.service_lists, Path) else "config"
        raise InputError(f"{where}: {exc}") from None


def run_coverage(config: RunConfig, *, progress: bool = False) -> CoverageResult:
    """Run the whole coverage job a configuration describes (without writing files).

    With several ``modes``, this is the first mode's result; see
    :func:`run_coverage_modes` for all of them.

    Parameters
    ----------
    config : RunConfig
        From :func:`~coverage.load_config`.
    progress : bool
        Show progress bars.

    Returns
    -------
    CoverageResult

    Raises
    ------
    InputError
        On any unusable input; nothing has been written.
    """
    return next(
        iter(run_coverage_modes(config, progress=progress, modes=config.run_modes[:1]).values())
    )


def run_coverage_modes(
    config: RunConfig, *, progress: bool = False, modes: Sequence[str] | None = None
) -> dict[str, CoverageResult]:
    """Run the job once per travel mode of a configuration (the OSM file is parsed once).

    Parameters
    ----------
    config : RunConfig
        From :func:`~coverage.load_config`.
    progress : bool
        Show progress bars.
    modes : sequence of str, optional
        The modes to run (default ``config.run_modes``).

    Returns
    -------
    dict of str to CoverageResult
        One result per mode, in order.

    Raises
    ------
    InputError
        On any unusable input; nothing has been written.
    """
    modes = list(modes or config.run_modes)
    inputs, barrier = read_with_water(config, progress=progress, mode=modes[0])
    demand, scaling = scaled_to_totals(inputs, config)
    networks = inputs.networks or {inputs.network.mode: inputs.network}
    options = metric_options(config)
    terrain: Dem | None = None
    boundaries = config.boundaries
    results: dict[str, CoverageResult] = {}
    for mode in modes:
        network = networks[mode]
        # the first mode's mask is read_with_water's (None: no water); later modes
        # share it where it fits
        first = mode == modes[0]
        access = access_model(
            config, network, terrain=terrain, barrier=barrier, build_barrier=not first
        )
        terrain, barrier = access.terrain, access.barrier
        result = compute_coverage(
            network,
            inputs.stations,
            demand,
            access,
            units=inputs.units,
            options=options,
            name=config.name,
            progress=progress,
        )
        summary = dict(result.summary)
        summary.update(inputs.summary())
        summary.update(left_out(summary))
        warn_left_out(summary, source=inputs.demand.source or "population")
        if scaling is not None:
            summary.update(scaling.summary())
            table = totals_columns(result.units[scaling.level], scaling)
            result = dataclasses.replace(result, units={**result.units, scaling.level: table})
        summary["inputs"] = {
            "stations": str(config.stations),
            "population": str(config.population),
            "network": str(config.network),
            "boundaries": (
                None
                if boundaries is None
                else {k: str(v) for k, v in boundaries.items()}
                if isinstance(boundaries, dict)
                else str(boundaries)
            ),
            "dem": None if config.dem is None else str(config.dem),
        }
        results[mode] = result.with_summary(summary)
    return results


def scaled_to_totals(inputs: InputData, config: RunConfig) -> tuple[Demand, TotalsScaling | None]:
    """The run's demand: scaled to the official totals of ``population: {totals: ...}``.

    ``run`` and ``site`` both start from it, so they count the same people.

    Parameters
    ----------
    inputs : InputData
        From :func:`~coverage.inputs.read.read_inputs`.
    config : RunConfig
        The configuration the inputs were read from.

    Returns
    -------
    (Demand, TotalsScaling or None)
        The demand (``inputs.demand`` itself without totals) and what the scaling did.

    Warns
    -----
    OfficialTotalsWarning
        Unmatched names either way, units without populated cells.
    """
    totals = getattr(config.population, "totals", None)
    if inputs.official_totals is None or totals is None:
        return inputs.demand, None
    polygons = (inputs.units or {})[totals.level]
    demand, scaling = scale_to_totals(
        inputs.demand,
        units_of_demand(polygons, inputs.demand),
        polygons["unit"].astype(str).tolist(),
        inputs.official_totals,
        level=totals.level,
    )
    warn_totals(scaling)
    return demand, scaling
