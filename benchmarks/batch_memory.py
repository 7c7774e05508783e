"""Peak memory and time of one region, phase by phase: a province and a real county.

*Province*: generated once (cached) -- a 1000 x 1000 street grid 100 m apart as a
real OSM PBF (1,000,000 nodes, 100 km x 100 km), a 3163 x 3163 population GeoTIFF
(10.0 M cells of about 32 m) and 400 stations. *County* (``--county``): the real
Comoros data of the shared data folder (OSM extract, WorldPop 2020 raster of
869,595 people, 70 health facilities), about the size of a mountainous Chinese
county; skipped when the shared data are absent.

Each region runs in a child process through the public API (``load_network``,
``read_stations``, ``read_population``, ``read_boundaries``, ``compute_coverage``,
``write_outputs``: what ``coverage15 run`` and each batch task do). The child
resets the kernel's peak-RSS mark (``/proc/self/clear_refs``) before each phase and
reads it (``VmHWM``) after, so each phase gets its own peak (including what earlier
phases left resident); the region's peak is the largest of them (``os.wait4`` of the
child, read as a check, gives the last phase's peak, since the mark was reset).
With ``--compare`` the province runs a second time with the demand points snapped
and timed all at once instead of in windows.

    .venv/bin/python benchmarks/batch_memory.py [--county] [--compare] [--skip-province]

Writes ``result.json`` into ``--out`` (default ``out/bench/batch_memory``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))  # the region generator, scripts/synthetic_regions.py

import synthetic_regions  # noqa: E402

SHARED = Path(os.environ.get("COVERAGE15_SHARED_DATA", REPO.parent / "shared" / "data"))
NODES = (1000, 1000)
SPACING_M = 100.0
CELLS = (3163, 3163)
STATION_EVERY = 50  # one station every 50 nodes (5 km) each way: 400 stations

_CHILD = """
import gc, json, sys, time
import coverage.engine.demand as engine_demand
from coverage import (access_model, load_config, load_network, read_boundaries,
                      read_population, read_stations, compute_coverage, write_outputs)

window = {window!r}
if window is not None:
    engine_demand.DEMAND_WINDOW_CELLS = window
phases = {{}}

def peak_gib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20

def phase(name, fn):
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak-RSS mark to the current RSS
    start = time.perf_counter()
    value = fn()
    phases[name] = {{"peak_gib": round(peak_gib(), 3), "s": round(time.perf_counter() - start, 1)}}
    return value

cfg = load_config({config!r})
network = phase("network", lambda: load_network(cfg.network, mode=cfg.mode))
stations = phase("stations", lambda: read_stations(cfg.stations, crs=cfg.stations_crs))
grid = phase("population", lambda: read_population(cfg.population))
units = None
if cfg.boundaries is not None:
    units = phase("boundaries", lambda: read_boundaries(cfg.boundaries, name=cfg.boundaries_name))
result = phase("compute_coverage", lambda: compute_coverage(
    network, stations, grid, access_model(cfg, network), units=units, name=cfg.name))
phase("write_outputs", lambda: write_outputs(result, {out!r}))
phases["figures"] = {{"population": result.summary["population_total"],
                     "coverage_share": result.summary["coverage_share"],
                     "network_nodes": network.n_nodes, "demand_points": len(result.demand)}}
with open({report!r}, "w") as f:
    json.dump(phases, f)
"""


def _province(folder: Path) -> Path:
    config = folder / "region.yaml"
    if config.is_file():
        return config
    start = time.perf_counter()
    half = STATION_EVERY // 2
    stations = [
        (i, j)
        for i in range(half, NODES[0], STATION_EVERY)
        for j in range(half, NODES[1], STATION_EVERY)
    ]
    synthetic_regions.write_region(
        folder,
        name="province",
        nodes=NODES,
        spacing_m=SPACING_M,
        stations=stations,
        cells=CELLS,
        seed=8,
        network_format="pbf",
        minutes=(15,),
    )
    print(f"generated the province region in {time.perf_counter() - start:.0f} s", flush=True)
    return config


def _county(folder: Path) -> Path | None:
    comoros = SHARED / "comoros"
    if not comoros.is_dir():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "region.yaml"
    config.write_text(
        "name: comoros\n"
        f"stations: {(comoros / 'health.gpkg').as_posix()}\n"
        f"population: {(comoros / 'com_ppp_2020_UNadj.tif').as_posix()}\n"
        f"network: {(comoros / 'comores-latest.osm.pbf').as_posix()}\n"
        "minutes: [15]\n",
        encoding="utf-8",
    )
    return config


def _measure(config: Path, out: Path, window: int | None) -> dict[str, object]:
    """Run one region in a child; its phases and its overall peak RSS (GiB) and time."""
    report = out / "phases.json"
    code = _CHILD.format(window=window, config=str(config), out=str(out), report=str(report))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the child run of {config} failed")
    phases = json.loads(report.read_text(encoding="utf-8"))
    # each phase resets the kernel's peak mark, so ru_maxrss is the last phase's peak
    # (a check of it); the region's peak is the largest phase peak
    return {
        "peak_rss_gib": max(v["peak_gib"] for k, v in phases.items() if k != "figures"),
        "last_phase_peak_rss_gib": round(usage.ru_maxrss / 2**20, 3),  # KiB on Linux
        "wall_s": round(time.perf_counter() - start, 1),
        "phases": phases,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "out" / "bench" / "batch_memory")
    parser.add_argument("--compare", action="store_true", help="province also without windows")
    parser.add_argument("--county", action="store_true", help="also the real Comoros county")
    parser.add_argument("--skip-province", action="store_true")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    from coverage.engine.demand import DEMAND_WINDOW_CELLS

    results: dict[str, object] = {"load_average": os.getloadavg()}
    if args.county:
        config = _county(out / "county")
        if config is None:
            print(f"no shared data at {SHARED}: county skipped")
        else:
            results["county"] = _measure(config, out / "county" / "outputs", None)
            print(f"county: {json.dumps(results['county'])}", flush=True)
    if not args.skip_province:
        config = _province(out / "province")
        results["province"] = {
            "nodes": NODES[0] * NODES[1],
            "cells": CELLS[0] * CELLS[1],
            "window_cells": DEMAND_WINDOW_CELLS,
            "windowed": _measure(config, out / "province" / "windowed", None),
        }
        print(f"province, windowed: {json.dumps(results['province'])}", flush=True)
        if args.compare:
            whole = _measure(config, out / "province" / "whole", 10**12)
            results["province"]["all_at_once"] = whole  # type: ignore[index]
            print(f"province, all at once: {json.dumps(whole)}", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
