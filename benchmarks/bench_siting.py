"""Siting benchmarks: spopt comparison, exact MCLP on Comoros, greedy at 1M cells.

Run ``python benchmarks/bench_siting.py --out out/bench`` (``make bench`` does), with
the ``bench`` extra installed for spopt and PuLP. Writes ``siting_bench.json``.

1. The same MCLP (real walking times on Comoros, a sample of populated cells x the
   OSM partner candidates) solved by coverage15 (HiGHS) and by spopt (PuLP/CBC):
   same optimum, and the speed ratio (goal: at least 10x).
2. Exact MCLP on Comoros: every populated cell as demand, hundreds of candidates
   (OSM partner points plus gap cells), existing health facilities fixed (goal < 60 s).
3. MCLP on a generated 1,000 x 1,000 street lattice: 1M populated cells and
   10,000 candidates: the greedy answer with its certified upper bound (goal: within
   0.1 % in at most 20 s) and the exact optimum, proven (goal: at most 2 minutes),
   the coverage sets timed apart. The exact solve goes through the budget multiplier
   search (:mod:`coverage.siting.budget_dual`); ``--only large`` runs this case alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from pyproj import CRS

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from coverage.config import config_from_dict  # noqa: E402
from coverage.engine.snapping import snap_points  # noqa: E402
from coverage.inputs.crs import transform_xy  # noqa: E402
from coverage.inputs.network import Network, load_network  # noqa: E402
from coverage.inputs.population import demand_from_grid, read_population  # noqa: E402
from coverage.inputs.stations import read_stations  # noqa: E402
from coverage.siting.candidates import candidates_from_osm, prepare_candidates  # noqa: E402
from coverage.siting.certificate import lagrangian_mclp  # noqa: E402
from coverage.siting.coverage_sets import site_coverage  # noqa: E402
from coverage.siting.optimise import _merge_rows, _pattern, maximal_covering  # noqa: E402
from coverage.siting.plan import run_siting  # noqa: E402

DATA = Path(os.environ.get("COVERAGE15_SHARED_DATA", REPO.parent / "shared" / "data"))


def comoros_config() -> object:
    folder = DATA / "comoros"
    return config_from_dict(
        {
            "name": "comoros",
            "stations": str(folder / "health.gpkg"),
            "population": str(folder / "com_ppp_2020_UNadj.tif"),
            "network": str(folder / "comores-latest.osm.pbf"),
            "minutes": 15,
        },
        base_dir=None,
    )


def bench_spopt(config, *, sample: int, k: int, seed: int = 0) -> dict:
    """coverage15 exact MCLP vs spopt MCLP (PuLP + CBC) on the same cost matrix."""
    import pulp
    from spopt.locate import MCLP

    network = load_network(config.network, mode=config.mode)
    stations = read_stations(config.stations)
    candidates = prepare_candidates(
        candidates_from_osm(config.network), stations, metric_crs=network.crs
    )
    demand = demand_from_grid(read_population(config.population))
    rng = np.random.default_rng(seed)
    populated = np.flatnonzero(demand.population > 0)
    pick = np.sort(rng.choice(populated, size=min(sample, populated.size), replace=False))
    dx, dy = transform_xy(demand.x[pick], demand.y[pick], demand.crs, network.crs)
    snap = snap_points(network, dx, dy, max_distance_m=config.max_access_m)
    pts = candidates.to_crs(network.crs).geometry
    sets = site_coverage(
        network, pts.x.to_numpy(), pts.y.to_numpy(), snap, minutes=config.threshold_minutes
    )
    weights = demand.population[pick]
    start = time.perf_counter()
    ours = maximal_covering(sets, weights, k)
    ours_s = time.perf_counter() - start
    cost = np.full(sets.shape[::-1], 1e6)  # spopt wants demand x facilities, dense
    rows = np.repeat(np.arange(sets.shape[0]), np.diff(sets.indptr))
    cost[sets.indices, rows] = sets.data
    start = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, weights, config.threshold_minutes, k)
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    spopt_s = time.perf_counter() - start
    chosen = [j for j, var in enumerate(model.fac_vars) if var.value() > 0.5]
    reached = (cost[:, chosen] <= config.threshold_minutes).any(axis=1)
    spopt_objective = float(weights[reached].sum())
    return {
        "demand_points": int(pick.size),
        "candidates": int(sets.shape[0]),
        "k": k,
        "coverage15_objective": ours.objective,
        "spopt_objective": spopt_objective,
        "same_optimum": bool(abs(ours.objective - spopt_objective) <= 1e-6 * spopt_objective),
        "coverage15_seconds": ours_s,
        "spopt_seconds": spopt_s,
        "speed_ratio": spopt_s / ours_s,
    }


def bench_comoros(config, *, k: int, gaps: int) -> dict:
    """Exact and greedy MCLP on all populated cells of Comoros."""
    out = {}
    for solver in ("exact", "greedy"):
        start = time.perf_counter()
        result = run_siting(
            config, candidates=["osm", "gaps"], gaps=gaps, add=k, solver=solver, time_limit_s=60.0
        )
        s = result.summary
        out[solver] = {
            "seconds_total": time.perf_counter() - start,
            "seconds_sets_and_solve": s["coverage_sets_seconds"] + s["solve_seconds"],
            "solve_seconds": s["solve_seconds"],
            "status": s["status"],
            "mip_gap": s["mip_gap"],
            "demand_points": s["demand_points"],
            "candidates": s["candidates"],
            "model": s["model"],
            "before_share": s["before"]["coverage_share"],
            "after_share": s["after"]["coverage_share"],
            "newly_covered": s["newly_covered_population"],
            "sites": result.sites[["id", "name", "type", "newly_covered_population"]].to_dict(
                "records"
            ),
        }
    exact, greedy = out["exact"]["newly_covered"], out["greedy"]["newly_covered"]
    out["exact_vs_greedy_gap"] = (exact - greedy) / exact if exact > 0 else 0.0
    return out


def lattice(n: int, spacing_m: float, speed_kmh: float) -> Network:
    """An n x n street lattice in UTM, every edge walked at ``speed_kmh``."""
    idx = np.arange(n * n).reshape(n, n)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    eu, ev = np.concatenate([u, v]), np.concatenate([v, u])
    rows, cols = np.divmod(np.arange(n * n), n)
    seconds = np.full(eu.size, spacing_m / (speed_kmh / 3.6))
    return Network(
        node_ids=np.arange(n * n, dtype=np.int64),
        lon=np.zeros(n * n),
        lat=np.zeros(n * n),
        x=500_000.0 + cols * spacing_m,
        y=3_000_000.0 + rows * spacing_m,
        crs=CRS.from_epsg(32650),
        edge_u=eu,
        edge_v=ev,
        edge_length_m=np.full(eu.size, spacing_m),
        edge_seconds=seconds,
        edge_highway=np.full(eu.size, "residential", dtype=object),
        mode="walk",
    )


def bench_large(
    *, n: int, candidates: int, stations: int, k: int, seed: int = 0, time_limit_s: float = 120.0
) -> dict:
    """Greedy with its certificate, and the exact MCLP, on a generated lattice.

    n*n populated cells and ``candidates`` random sites; the coverage sets are built
    once (timed apart), then the greedy answer with its certified bound and the
    exact solve (Lagrangian certificate, reduced-cost fixing, HiGHS) are timed.
    """
    from coverage.siting.plan import _station_minutes

    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    network = lattice(n, 100.0, 5.0)
    pop = rng.lognormal(1.0, 1.0, n * n)

    def points(count: int) -> tuple[np.ndarray, np.ndarray]:
        return (
            rng.uniform(network.x.min(), network.x.max(), count),
            rng.uniform(network.y.min(), network.y.max(), count),
        )

    sx, sy = points(stations)
    cx, cy = points(candidates)
    built = time.perf_counter() - start
    start = time.perf_counter()
    demand_snap = snap_points(network, network.x, network.y, max_distance_m=5000.0)
    station_snap = snap_points(network, sx, sy, max_distance_m=5000.0, direction="to_point")
    covered = _station_minutes(network, station_snap, demand_snap, minutes=15.0,
                               access_speed_kmh=5.0) <= 15.0  # fmt: skip
    sets = site_coverage(network, cx, cy, demand_snap, minutes=15.0)
    sets_s = time.perf_counter() - start
    weights = np.where(covered, 0.0, pop)
    print(f"  large: coverage sets {sets_s:.0f} s, {sets.nnz:,} entries", flush=True)
    greedy = maximal_covering(sets, weights, k, solver="greedy", time_limit_s=time_limit_s)
    print(f"  large: greedy with certificate {greedy.seconds:.0f} s", flush=True)
    start = time.perf_counter()
    merged, mw = _merge_rows(_pattern(sets), weights)
    solved = lagrangian_mclp(merged, mw, k, time_limit_s=time_limit_s, mip_rel_gap=1e-9)
    exact_s = time.perf_counter() - start
    chosen = np.flatnonzero(solved["values"] > 0.5)
    reached = np.zeros(weights.size, dtype=bool)
    reached[sets[chosen].indices] = True
    exact_value = float(weights[reached].sum())
    bound = solved["certificate"]["bound"]
    total = float(pop.sum())
    before = float(pop[covered].sum())
    return {
        "cells": n * n,
        "candidates": candidates,
        "k": k,
        "instance_seconds": built,
        "coverage_sets_seconds": sets_s,
        "coverage_entries": int(sets.nnz),
        "before_share": before / total,
        "greedy": {
            "seconds": greedy.seconds,
            "after_share": (before + greedy.objective) / total,
            "newly_covered": greedy.objective,
            "certified_bound": greedy.bound,
            "certified_gap": greedy.mip_gap,
        },
        "lp_seeded_greedy": {
            "newly_covered": solved["incumbent"],
            "certified_gap": (bound - solved["incumbent"]) / bound,
            "certificate_seconds": solved["certificate"]["seconds"],
        },
        "exact": {
            "seconds": exact_s,
            "status": solved["status"],
            "newly_covered": exact_value,
            "bound": solved["bound"],
            "mip_gap": solved["mip_gap"],
            "sites_ruled_out": solved["fixed"]["out"],
            "budget_dual": solved.get("budget_dual"),
            "model": solved["size"],
            "demand_rows": int(mw.size),
            "greedy_gap_to_optimum": (exact_value - greedy.objective) / exact_value,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "out" / "bench")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument(
        "--only", choices=("comoros", "large"), help="run one case (comoros: spopt and Comoros)"
    )
    args = parser.parse_args(argv)
    results: dict[str, object] = {}
    if args.only == "large":
        pass
    elif (DATA / "comoros").is_dir():
        config = comoros_config()
        try:
            results["spopt"] = bench_spopt(config, sample=2000 if args.quick else 5000, k=10)
        except ImportError as exc:
            results["spopt"] = f"skipped: {exc} (pip install -e '.[bench]')"
        print("spopt:", json.dumps(results["spopt"], default=str), flush=True)
        results["comoros"] = bench_comoros(config, k=20, gaps=200 if args.quick else 500)
        c = results["comoros"]
        print(
            "comoros:",
            json.dumps(
                {s: {k: v for k, v in c[s].items() if k != "sites"} for s in ("exact", "greedy")}
            ),
            "gap",
            c["exact_vs_greedy_gap"],
            flush=True,
        )
    else:
        results["comoros"] = results["spopt"] = f"skipped: no data at {DATA}"
    n = 200 if args.quick else 1000
    if args.only != "comoros":
        results["large"] = bench_large(
            n=n,
            candidates=1000 if args.quick else 10_000,
            stations=200,
            k=100 if args.quick else 1000,
        )
        print("large:", json.dumps(results["large"], default=str), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "siting_bench.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
