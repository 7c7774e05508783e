"""Peak memory of one province-size region: a 1M-node network and a 10M-cell raster.

Generates (once, cached) a 1000 x 1000 street grid 100 m apart as a real OSM PBF
(1,000,000 nodes, 100 km x 100 km), a 3163 x 3163 population GeoTIFF (10.0 M cells
of about 32 m) and 400 stations, then runs ``coverage15 run`` on it in a child
process and reads the child's peak resident memory from the kernel (``os.wait4``:
``ru_maxrss`` of that child alone). With ``--compare`` it runs the same region a
second time with demand points snapped and timed all at once instead of in windows
(``coverage.pipeline.DEMAND_WINDOW_CELLS`` set beyond the raster size).

    .venv/bin/python benchmarks/batch_memory.py [--out out/bench/batch_memory] [--compare]

Writes ``result.json`` in the output folder and prints the figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NODES = (1000, 1000)
SPACING_M = 100.0
CELLS = (3163, 3163)
STATION_EVERY = 50  # one station every 50 nodes (5 km) each way: 400 stations


def _generator():
    path = REPO / "scripts" / "synthetic_regions.py"
    spec = importlib.util.spec_from_file_location("synthetic_regions", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


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
    _generator().write_region(
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


def _run_child(code: str) -> dict[str, float]:
    """Run Python code in a child; its own peak RSS (GiB) and wall time (s)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"the child run failed with status {proc.returncode}")
    return {
        "peak_rss_gib": round(usage.ru_maxrss / 2**20, 3),  # ru_maxrss is in KiB on Linux
        "wall_s": round(time.perf_counter() - start, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "out" / "bench" / "batch_memory")
    parser.add_argument("--compare", action="store_true", help="also run without windows")
    parser.add_argument(
        "--parts", action="store_true", help="also the peaks of reading the inputs alone"
    )
    args = parser.parse_args(argv)
    out = args.out.resolve()
    config = _province(out / "province")
    run = (
        "import sys, coverage.pipeline as p; {setup}\n"
        "from coverage.cli import main\n"
        f"sys.exit(main(['run', {str(config)!r}, '--out', {str(out / 'outputs')!r}, '--quiet']))"
    )
    results: dict[str, object] = {
        "nodes": NODES[0] * NODES[1],
        "cells": CELLS[0] * CELLS[1],
        "stations": (NODES[0] // STATION_EVERY) * (NODES[1] // STATION_EVERY),
    }
    from coverage.pipeline import DEMAND_WINDOW_CELLS

    results["windowed"] = _run_child(run.format(setup="pass"))
    results["window_cells"] = DEMAND_WINDOW_CELLS
    print(f"windowed ({DEMAND_WINDOW_CELLS:,} cells per window): {results['windowed']}", flush=True)
    if args.compare:
        results["all_at_once"] = _run_child(run.format(setup="p.DEMAND_WINDOW_CELLS = 10**12"))
        print(f"all at once: {results['all_at_once']}", flush=True)
    if args.parts:
        results["network_only"] = _run_child(
            f"from coverage import load_config, load_network\n"
            f"load_network(load_config({str(config)!r}).network)"
        )
        results["population_only"] = _run_child(
            f"from coverage import load_config, read_population\n"
            f"from coverage.inputs.population import demand_from_grid\n"
            f"demand_from_grid(read_population(load_config({str(config)!r}).population))"
        )
        print(f"network alone: {results['network_only']}", flush=True)
        print(f"population and demand points alone: {results['population_only']}", flush=True)
    summary = json.loads((out / "outputs" / "summary.json").read_text(encoding="utf-8"))
    results["population"] = summary["population_total"]
    results["coverage_share"] = summary["coverage_share"]
    results["network_nodes"] = summary["network_nodes"]
    (out / "result.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
