"""Siting as one call: inputs -> coverage sets -> solver -> ranked sites and figures.

:func:`site_stations` works on objects in memory (notebooks); :func:`run_siting`
reads what a run configuration names and builds the candidates;
:func:`write_siting_outputs` writes ``sites.csv``, ``sites.geojson``,
``siting.json`` and ``criticality.csv`` atomically.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import __version__
from ..config import RunConfig
from ..engine.access import AccessModel
from ..engine.snapping import Snap
from ..engine.travel_times import node_times, point_times
from ..errors import InputError
from ..inputs.crs import transform_xy
from ..inputs.network import Network
from ..inputs.population import Demand, PopulationGrid, demand_from_grid
from ..metrics.requirements import TierRule
from ..metrics.targets import Target
from ..metrics.units import DEFAULT_UNIT_COVERED_SHARE
from ..pipeline import access_model, read_with_water, scaled_to_totals
from .candidates import (
    candidates_from_file,
    candidates_from_gaps,
    candidates_from_osm,
    prepare_candidates,
)
from .coverage_sets import site_coverage
from .files import write_siting_outputs
from .naming import name_sites, osm_places
from .optimise import Selection, maximal_covering, set_covering
from .policy import parse_objective, policy_figures, policy_problem, unit_columns, unit_table
from .result import SitingResult
from .robustness import station_criticality
from .unit_model import UnitSelection, site_for_units, site_steps

__all__ = ["SitingResult", "run_siting", "site_stations", "write_siting_outputs"]


def _xy(frame: gpd.GeoDataFrame, crs: Any) -> tuple[np.ndarray, np.ndarray]:
    pts = frame.to_crs(crs).geometry
    return pts.x.to_numpy(), pts.y.to_numpy()


def _capacity(candidates: gpd.GeoDataFrame, capacity: float | None) -> np.ndarray | None:
    if "capacity" in candidates:
        values = pd.to_numeric(candidates["capacity"], errors="coerce").to_numpy(dtype=float)
        fill = np.inf if capacity is None else float(capacity)
        return np.where(np.isnan(values), fill, values)
    return None if capacity is None else np.full(len(candidates), float(capacity))


#: Snaps points to the network as the run does: ``snap(x, y, direction)``.
Snapper = Callable[[np.ndarray, np.ndarray, str], Snap]


def _snapper(network: Network, access: AccessModel) -> Snapper:
    """The run's snapping (:meth:`AccessModel.snap`) on this network, its index built once."""
    index = access.road_index(network)

    def snap(x: np.ndarray, y: np.ndarray, direction: str) -> Snap:
        return access.snap(network, x, y, direction=direction, index=index)

    return snap


def _station_minutes(
    network: Network,
    station_snap: Snap,
    demand_snap: Snap,
    *,
    minutes: float,
    access_speed_kmh: float,
) -> np.ndarray:
    """Minutes from each demand point to its nearest station (inf beyond ``minutes``)."""
    times = node_times(
        network, station_snap, access_speed_kmh=access_speed_kmh, limit_s=minutes * 60.0
    )
    seconds, _ = point_times(times, demand_snap, access_speed_kmh=access_speed_kmh)
    return seconds / 60.0


def site_stations(
    network: Network,
    stations: gpd.GeoDataFrame,
    population: PopulationGrid | Demand,
    candidates: gpd.GeoDataFrame,
    *,
    add: int | None = None,
    target: float | str | None = None,
    minutes: float = 15.0,
    access_speed_kmh: float = 5.0,
    max_access_m: float = 5000.0,
    solver: str = "exact",
    time_limit_s: float = 60.0,
    capacity: float | None = None,
    close: Sequence[str] = (),
    compare_greedy: bool = True,
    name: str = "region",
    progress: bool = False,
    meet_targets: int | None = None,
    objective: str = "people",
    units: Mapping[str, gpd.GeoDataFrame] | None = None,
    unit_covered_share: float = DEFAULT_UNIT_COVERED_SHARE,
    targets: Sequence[Target] = (),
    require: Sequence[TierRule] = (),
    site_tier: str | None = None,
    access: AccessModel | None = None,
) -> SitingResult:
    """Choose new sites among ``candidates``, the existing stations staying as they are.

    Exactly one of ``add`` (MCLP: the best ``add`` new sites) and ``target`` (LSCP:
    the fewest new sites reaching a share of the whole population, or
    ``"reachable"``: everyone any candidate can reach) must be given.

    Parameters
    ----------
    network : Network
        The weighted road network.
    stations : geopandas.GeoDataFrame
        Existing stations (they stay and count).
    population : PopulationGrid or Demand
        People per cell or demand point; every populated point is a demand point.
    candidates : geopandas.GeoDataFrame
        From :func:`~coverage.siting.candidates.prepare_candidates` (a ``forced``
        column marks sites that must be chosen; ``capacity`` is used if present).
    add : int, optional
        Number of new sites (forced ones included).
    target : float or "reachable", optional
        Share of the total population to reach (0..1], existing stations included.
    minutes : float
        Threshold.
    access_speed_kmh, max_access_m : float
        Access-leg model (as in :func:`~coverage.compute_coverage`).
    solver : {"exact", "greedy"}
        HiGHS MILP or lazy greedy (see :mod:`coverage.siting.optimise`).
    time_limit_s : float
        Time limit of the exact solver.
    capacity : float, optional
        People one new site can serve (where the candidates give no ``capacity``).
    close : sequence of str
        Ids of existing stations to close first (what-if): the siting starts from the
        coverage without them, and ``summary["closed"]`` gives what closing them costs.
    compare_greedy : bool
        With the exact solver, also run the greedy one and report both objectives.
    name : str
        Region name.
    progress : bool
        Show progress bars.
    meet_targets : int, optional
        Instead of ``add`` or ``target``: the fewest new sites meeting every target of
        this year (:mod:`coverage.siting.unit_model`).
    objective : str
        With ``add``: ``"people"`` (default), ``"units"`` (every level's units count)
        or ``"units:LEVEL"``.
    units : mapping of str to geopandas.GeoDataFrame, optional
        Unit polygons per level (``unit`` column); their figures are reported before
        and after.
    unit_covered_share : float
        Share of a unit's residents within the threshold for it to count as covered.
    targets : sequence of Target
        Policy targets (reported; those of ``meet_targets`` are constraints).
    require : sequence of TierRule
        Tier rules, kept as constraints with ``add`` and ``meet_targets``.
    site_tier : str, optional
        Tier of candidates without a ``tier`` column (default: the rules' tier).
    access : AccessModel, optional
        The run's access model (:func:`coverage.pipeline.access_model`): its
        snapping (linking rule, slope, water) times every leg, and its speed and
        longest leg replace ``access_speed_kmh`` and ``max_access_m``. Default: a
        model of the network's mode with those two values.

    Returns
    -------
    SitingResult

    Raises
    ------
    InputError
        On bad arguments (not exactly one of ``add``, ``target`` and
        ``meet_targets``, a share outside (0, 1], a budget below 1).
    SolverError
        If the target cannot be reached or the solver finds nothing in time.

    Examples
    --------
    >>> from coverage.siting.candidates import candidates_from_osm, prepare_candidates
    >>> pool = prepare_candidates(candidates_from_osm(pbf), stations,  # doctest: +SKIP
    ...                           metric_crs=network.crs)
    >>> result = site_stations(network, stations, grid, pool, add=5)  # doctest: +SKIP
    >>> result.summary["after"]["coverage_share"]  # doctest: +SKIP
    0.166
    """
    started = time.perf_counter()
    if sum(v is not None for v in (add, target, meet_targets)) != 1:
        raise InputError(
            "siting: give one of the number of sites to add, a target share or a target year"
        )
    kind, count_levels = parse_objective(objective)
    by_units = meet_targets is not None or kind == "units" or bool(require)
    if by_units and target is not None:
        raise InputError(
            "--target: a share of residents cannot be combined with tier rules (require:); "
            "use --add K or --meet-targets YEAR"
        )
    if by_units and capacity is not None:
        raise InputError(
            "--capacity: site capacities apply to people-covering sitings without unit "
            "targets or tier rules; leave it out"
        )
    if target is not None and target != "reachable":
        if isinstance(target, str) or not 0 < float(target) <= 1:
            raise InputError(
                f"--target: must be a share in (0, 1] (e.g. 0.95) or 'reachable', got {target!r}"
            )
    if add is not None and int(add) < 1:
        raise InputError(f"--add: the number of sites to add must be at least 1, got {add}")
    demand = demand_from_grid(population) if isinstance(population, PopulationGrid) else population
    total = demand.total
    populated = np.flatnonzero(demand.population > 0)
    pop = demand.population[populated]
    dx, dy = transform_xy(demand.x[populated], demand.y[populated], demand.crs, network.crs)
    if access is None:
        access = AccessModel(
            mode=network.mode, minutes=(float(minutes),), access_speed_kmh=access_speed_kmh,
            max_access_m=max_access_m,
        )  # fmt: skip
    access_speed_kmh, max_access_m = access.access_speed_kmh, access.max_access_m
    snap = _snapper(network, access)
    demand_snap = snap(dx, dy, "from_point")

    t0 = time.perf_counter()
    sx, sy = _xy(stations, network.crs) if len(stations) else (np.empty(0), np.empty(0))
    ids = stations["id"].astype(str).to_numpy()
    closing = [str(c) for c in close]
    unknown = [c for c in closing if c not in set(ids)]
    if unknown:
        raise InputError(
            f"--close: {unknown[0]!r} is not the id of an existing station; use an id from the "
            "stations file"
        )
    is_open = ~np.isin(ids, closing)
    station_snap = snap(sx, sy, "to_point")
    timing = {"minutes": minutes, "access_speed_kmh": access_speed_kmh}
    covered_before = (
        _station_minutes(network, station_snap.take(np.flatnonzero(is_open)), demand_snap, **timing)
        <= minutes
    )
    before = float(pop[covered_before].sum())
    with_all = (
        float(pop[_station_minutes(network, station_snap, demand_snap, **timing) <= minutes].sum())
        if closing
        else before
    )
    station_sets = site_coverage(
        network, sx, sy, demand_snap, site_snap=station_snap, minutes=minutes,
        access_speed_kmh=access_speed_kmh,
    )  # fmt: skip
    criticality = station_criticality(station_sets, pop, ids=ids.tolist())
    criticality.insert(1, "name", stations["name"].astype(str).to_numpy())
    cx, cy = _xy(candidates, network.crs)
    sets = site_coverage(
        network, cx, cy, demand_snap, site_snap=snap(cx, cy, "to_point"), progress=progress,
        minutes=minutes, access_speed_kmh=access_speed_kmh,
    )  # fmt: skip
    sets_seconds = time.perf_counter() - t0
    weights = np.where(covered_before, 0.0, pop)
    forced = (
        np.flatnonzero(candidates["forced"].to_numpy(dtype=bool))
        if "forced" in candidates
        else np.empty(0, dtype=np.int64)
    )
    cap = _capacity(candidates, capacity)
    kwargs: dict[str, Any] = {"forced": forced, "capacity": cap, "time_limit_s": time_limit_s}
    goal: float | None = None
    policy = (
        policy_problem(  # units found in the demand's own CRS, exactly as the run does
            units, demand.x[populated], demand.y[populated], demand.crs, pop,
            stations[is_open], candidates,
            covered_share=unit_covered_share, targets=targets, rules=require,
            year=meet_targets, site_tier=site_tier,
        )
        if units or by_units
        else None
    )  # fmt: skip
    unit_pick: UnitSelection | None = None
    if by_units and policy is not None:
        problem = "targets" if meet_targets is not None else kind
        unit_pick = site_for_units(
            sets, pop, covered_before, policy.levels,
            objective="count" if meet_targets is not None else kind,
            add=add, count_levels=count_levels, tiers=policy.tiers, forced=forced.tolist(),
            time_limit_s=time_limit_s,
        )  # fmt: skip
        picked = unit_pick

        def solve(which: str) -> Selection:
            return Selection(
                picked.sites, picked.people, picked.forced, float(picked.people.sum()),
                "exact", picked.status, picked.mip_gap, picked.bound, picked.seconds,
                picked.model,
            )  # fmt: skip

        compare_greedy = False
    elif add is not None:
        problem = "mclp"

        def solve(which: str) -> Selection:
            return maximal_covering(sets, weights, int(add), solver=which, **kwargs)

    else:
        problem = "lscp"
        if target != "reachable":
            goal = max(float(target) * total - before, 0.0)  # type: ignore[arg-type]

        def solve(which: str) -> Selection:
            return set_covering(sets, weights, target=goal, solver=which, **kwargs)

    selection = solve(solver)
    greedy = solve("greedy") if compare_greedy and solver == "exact" else None

    rows = candidates.iloc[selection.sites]
    wgs = rows.to_crs("EPSG:4326").geometry
    cumulative = before + np.cumsum(selection.marginal)
    sites = gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(selection) + 1),
            "id": rows["id"].astype(str).to_numpy(),
            "name": rows["name"].astype(str).to_numpy(),
            "type": rows["type"].astype(str).to_numpy(),
            "source": rows["source"].astype(str).to_numpy(),
            "forced": selection.forced,
            "lon": wgs.x.round(7).to_numpy(),
            "lat": wgs.y.round(7).to_numpy(),
            "newly_covered_population": selection.marginal,
            "cumulative_covered_population": cumulative,
            "cumulative_share": cumulative / total if total > 0 else np.zeros(len(selection)),
        },
        geometry=wgs.to_numpy(),
        crs="EPSG:4326",
    )
    if policy is not None:
        moved = unit_pick.units_moved if unit_pick is not None else None
        if moved is None:
            _, moved = site_steps(sets, pop, covered_before, policy.levels, selection.sites)
        extra = unit_columns(policy, selection.sites, moved)
        for col in extra.columns:
            sites.insert(len(sites.columns) - 1, col, extra[col].to_numpy())
    table = candidates.copy()
    table["population_reachable_new"] = np.asarray(
        sets.astype(bool).astype(np.float64) @ weights
    ).ravel()
    table["chosen"] = np.isin(np.arange(len(candidates)), selection.sites)
    after = before + selection.objective

    def share(value: float) -> float:
        return value / total if total > 0 else 0.0

    summary: dict[str, Any] = {
        "name": name,
        "problem": problem,
        "add": None if add is None else int(add),
        "target": target,
        "meet_targets": meet_targets,
        "unit_covered_share": float(unit_covered_share),
        "minutes": float(minutes),
        "mode": network.mode,
        "snap_to": access.snap_to,
        "terrain": access.terrain is not None,
        "access": access.describe(),
        "population_total": total,
        "before": {
            "population_covered": before,
            "coverage_share": share(before),
            "stations": int(is_open.sum()),
        },
        "after": {
            "population_covered": after,
            "coverage_share": share(after),
            "stations": int(is_open.sum()) + len(selection),
        },
        "closed": {
            "stations": closing,
            "population_covered_with_all": with_all,
            "coverage_share_with_all": share(with_all),
            "population_losing_access": with_all - before,
        },
        "sites_added": len(selection),
        "newly_covered_population": selection.objective,
        "solver": selection.solver,
        "status": selection.status,
        "mip_gap": selection.mip_gap,
        "bound": selection.bound,
        "solve_seconds": selection.seconds,
        "coverage_sets_seconds": sets_seconds,
        "total_seconds": time.perf_counter() - started,
        "model": selection.model,
        "candidates": {
            "total": len(candidates),
            "forced": int(forced.size),
            "by_source": {str(k): int(v) for k, v in candidates["source"].value_counts().items()},
            "by_type": {str(k): int(v) for k, v in candidates["type"].value_counts().items()},
            "coverage_entries": int(sets.nnz),
        },
        "capacity": None if cap is None else "per site",
        "demand_points": int(populated.size),
        "station_most_critical": (
            None
            if criticality.empty
            else criticality.sort_values(["population_critical", "id"], ascending=[False, True])
            .iloc[0][["id", "population_critical"]]
            .to_dict()
        ),
        "coverage15_version": __version__,
    }
    after_points = covered_before.copy()
    if len(selection):
        after_points[sets[selection.sites].indices] = True
    if policy is not None:
        summary.update(policy_figures(policy, pop, covered_before, after_points, selection.sites))
        summary["objective"] = objective if meet_targets is None else f"targets:{meet_targets}"
        if unit_pick is not None:
            summary["objective_value"] = unit_pick.value
        summary["require_rules"] = [
            {"level": r.level, "tier": r.tier, "at_least": r.at_least} for r in require
        ]
    if greedy is not None:
        summary["greedy"] = {
            "sites_added": len(greedy),
            "newly_covered_population": greedy.objective,
            "coverage_share": share(before + greedy.objective),
            "objective_gap": (
                (selection.objective - greedy.objective) / selection.objective
                if selection.objective > 0
                else 0.0
            ),
            "solve_seconds": greedy.seconds,
        }
    unit_frames: dict[str, gpd.GeoDataFrame] = {}
    if policy is not None and units:
        moved_by = (
            unit_pick.units_moved
            if unit_pick is not None
            else site_steps(sets, pop, covered_before, policy.levels, selection.sites)[1]
        )
        unit_frames = unit_table(policy, dict(units), pop, covered_before, after_points, moved_by)
    existing = stations.to_crs("EPSG:4326")[["id", "name", "geometry"]].copy()
    existing["tier"] = stations["tier"].astype(str).to_numpy() if "tier" in stations else ""
    existing["open"] = is_open
    return SitingResult(
        name=name, summary=summary, sites=sites, candidates=table, criticality=criticality,
        units=unit_frames, stations=existing,
    )  # fmt: skip


def run_siting(
    config: RunConfig,
    *,
    candidates: Sequence[str] = ("osm",),
    candidate_types: Sequence[str] | None = None,
    gaps: int = 200,
    gap_spacing_m: float = 1000.0,
    exclude: Sequence[str] = (),
    force: Sequence[str] = (),
    progress: bool = False,
    mode: str | None = None,
    **options: Any,
) -> SitingResult:
    """Read a configuration's inputs, build the candidates and run :func:`site_stations`.

    Parameters
    ----------
    config : RunConfig
        From :func:`~coverage.load_config`; its headline threshold is used.
    candidates : sequence of str
        Sources, combined: ``"osm"`` (partner POIs of the network extract), ``"gaps"``
        (most populated uncovered cells) or the path of a candidates file.
    candidate_types : sequence of str, optional
        Partner types for ``"osm"`` (default all).
    gaps : int
        Most gap candidates.
    gap_spacing_m : float
        Least distance between gap candidates.
    exclude, force : sequence of str
        Candidate ids to leave out or to impose.
    progress : bool
        Show progress bars.
    mode : str, optional
        The travel mode to site for (needed when the configuration has several).
    **options
        Passed to :func:`site_stations` (``add``, ``target``, ``solver``, ...).

    Returns
    -------
    SitingResult

    Raises
    ------
    InputError
        On unusable inputs or candidate options.

    Examples
    --------
    >>> import coverage  # doctest: +SKIP
    >>> cfg = coverage.load_config("county.yaml")  # doctest: +SKIP
    >>> result = coverage.run_siting(cfg, candidates=["osm", "gaps"], target=0.95)  # doctest: +SKIP
    >>> coverage.write_siting_outputs(result, "out/county/siting")  # doctest: +SKIP
    """
    if mode is not None and mode not in config.run_modes:
        raise InputError(
            f"--mode: {mode!r} is not a mode of this configuration "
            f"({', '.join(config.run_modes)}); use one of them"
        )
    if mode is None and len(config.run_modes) > 1:
        raise InputError(
            f"modes: the configuration has several ({', '.join(config.run_modes)}); site one "
            "mode at a time with mode=... (the command line sites each mode in turn)"
        )
    inputs, barrier = read_with_water(config, progress=progress, mode=mode)
    stations = inputs.stations
    demand, _ = scaled_to_totals(inputs, config)  # the run's people (official totals)
    network = inputs.networks.get(mode, inputs.network) if mode else inputs.network
    access = access_model(
        config, network, mode=mode or network.mode, barrier=barrier, build_barrier=False
    )
    snap = _snapper(network, access)
    minutes = config.threshold_minutes
    pieces = []
    for source in candidates:
        if source == "osm":
            pieces.append(candidates_from_osm(config.network, types=candidate_types))
        elif source == "gaps":
            dx, dy = transform_xy(demand.x, demand.y, demand.crs, network.crs)
            still_open = stations[~stations["id"].astype(str).isin(list(options.get("close", ())))]
            sx, sy = _xy(still_open, network.crs)
            gap_minutes = _station_minutes(
                network,
                snap(sx, sy, "to_point"),
                snap(dx, dy, "from_point"),
                minutes=minutes,
                access_speed_kmh=config.access_speed_kmh,
            )
            pieces.append(
                candidates_from_gaps(
                    demand,
                    gap_minutes,
                    threshold=minutes,
                    count=gaps,
                    spacing_m=gap_spacing_m,
                    metric_crs=network.crs,
                )
            )
        else:
            pieces.append(candidates_from_file(source, crs=config.stations_crs))
    table = gpd.GeoDataFrame(pd.concat(pieces, ignore_index=True), crs="EPSG:4326")
    table = prepare_candidates(
        table, stations, exclude=exclude, force=force, metric_crs=network.crs
    )
    result = site_stations(
        network,
        stations,
        demand,
        table,
        minutes=minutes,
        access_speed_kmh=config.access_speed_kmh,
        max_access_m=config.max_access_m,
        access=access,
        name=config.name,
        progress=progress,
        units=inputs.units,
        unit_covered_share=config.unit_covered_share,
        targets=config.targets,
        require=config.require,
        **options,
    )
    places = osm_places(config.network)
    sites = name_sites(result.sites, places, units=inputs.units)
    summary = dict(result.summary)
    summary["places_named"] = len(places)
    summary["inputs"] = {
        "stations": str(config.stations),
        "population": str(config.population),
        "network": str(config.network),
        "candidates": [str(c) for c in candidates],
    }
    return dataclasses.replace(result, summary=summary, sites=sites)
