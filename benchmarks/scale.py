"""Scale: a generated ~1M-node network with a ~10M-cell population raster.

Runs in a child process (``python -m benchmarks.scale``) so that its peak memory
is its own. The child builds the grid network, writes the raster (EPSG:4326,
like WorldPop), then per repetition reads it with
:func:`coverage.read_population` and runs :func:`coverage.compute_coverage` on a
fresh copy of the network (so every repetition builds the road index, its KD-tree
and reversed graph, again, as a real run would).

The steps inside :func:`compute_coverage` are timed by wrapping the functions it
calls, by name, in the ``coverage.compute`` and ``coverage.engine.access`` namespaces
(``cached_snap``, ``snap_demand``, ``engine_state``, ``assemble_result``, ...), so the
breakdown always follows the computation as it is; what is left is reported as ``other``. Peak
resident memory is read from the kernel (``VmHWM``), reset before each step,
so every step gets its own peak, and the peak of a whole call is the largest of
its steps' and the gaps between them. (The reset also resets ``ru_maxrss``, so
``/usr/bin/time -v`` would only see the last segment; it is not used.)
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import gc
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coverage.engine.access import AccessModel

from .common import REPO, Report, Row, Timing, current_rss_mb, peak_rss_mb, reset_peak_rss

BENCH = "scale"
#: Functions of the computation's modules that are the job itself, not steps of it.
NOT_STEPS = frozenset({"compute_coverage", "run_coverage", "write_outputs"})


def _step_functions(module: Any) -> dict[str, Callable[..., Any]]:
    """The coverage functions a pipeline module calls by name (its steps)."""
    return {
        name: obj
        for name, obj in vars(module).items()
        if inspect.isfunction(obj)
        and obj.__module__.startswith("coverage")
        and name not in NOT_STEPS
    }


class _Probe:
    """Step timer and per-step peak memory, around the wrapped pipeline functions."""

    def __init__(self) -> None:
        self.depth = 0  # a step called by another step counts in the outer one
        self.calls: list[dict[str, Any]] = []
        self.overall_peak = 0.0
        self.can_reset = reset_peak_rss()

    def _fold(self) -> float:
        peak = peak_rss_mb()
        self.overall_peak = max(self.overall_peak, peak)
        return peak

    def start(self) -> None:
        self.calls.clear()
        self.overall_peak = current_rss_mb() or 0.0
        reset_peak_rss()

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.depth:
                return fn(*args, **kwargs)
            self.depth += 1
            self._fold()
            reset_peak_rss()
            before = current_rss_mb() or 0.0
            c0, t0 = time.process_time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.depth -= 1
                seconds = time.perf_counter() - t0
                cpu = time.process_time() - c0
                peak = self._fold()
                reset_peak_rss()
                self.calls.append(
                    {
                        "step": name,
                        "seconds": seconds,
                        "cpu_s": cpu,
                        "peak_mb": peak,
                        "rss_before_mb": before,
                    }
                )

        return timed


def _child(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    import coverage.compute
    import coverage.engine.access
    from coverage import compute_coverage, read_population
    from coverage.inputs.stations import stations_from_frame

    from .synthetic import grid_network, station_nodes, write_population_raster

    out: dict[str, Any] = {"runs": []}
    t0 = time.perf_counter()
    net = grid_network(args.rows, args.cols, seed=0)
    out["network_build_s"] = time.perf_counter() - t0
    out["nodes"], out["edges"] = net.n_nodes, net.n_edges
    raster = Path(args.tmp) / "population.tif"
    t0 = time.perf_counter()
    write_population_raster(raster, net, cells=args.cells)
    out["raster_write_s"] = time.perf_counter() - t0
    out["setup_peak_mb"] = peak_rss_mb()  # before any reset: network build and raster write
    nodes = station_nodes(net, args.stations)
    import pandas as pd

    stations = stations_from_frame(
        pd.DataFrame(
            {"id": [f"s{i}" for i in nodes], "lon": net.lon[nodes], "lat": net.lat[nodes]}
        ),
        source="generated stations",
    )
    probe = _Probe()
    out["peak_reset_supported"] = probe.can_reset
    modules = (coverage.compute, coverage.engine.access)
    originals = {m: _step_functions(m) for m in modules}
    for module, functions in originals.items():
        for name, fn in functions.items():
            setattr(module, name, probe.wrap(name, fn))
    try:
        for _ in range(args.repeat):
            fresh = dataclasses.replace(net)  # a new network: its road index is built again
            gc.collect()
            baseline = current_rss_mb() or 0.0
            reset_peak_rss()
            c0, t0 = time.process_time(), time.perf_counter()
            grid = read_population(raster)
            read_s = time.perf_counter() - t0
            read_cpu = time.process_time() - c0
            read_peak = peak_rss_mb()
            gc.collect()
            probe.start()
            c0, t0 = time.process_time(), time.perf_counter()
            result = compute_coverage(
                fresh, stations, grid, AccessModel(mode=fresh.mode, minutes=tuple((15.0,)))
            )
            compute_s = time.perf_counter() - t0
            compute_cpu = time.process_time() - c0
            probe._fold()
            out["cells"] = int(grid.counts.size)
            out["valid_cells"] = int(grid.valid.sum())
            out["runs"].append(
                {
                    "read_population_s": read_s,
                    "read_population_cpu_s": read_cpu,
                    "read_population_peak_mb": read_peak,
                    "compute_coverage_s": compute_s,
                    "compute_coverage_cpu_s": compute_cpu,
                    "compute_coverage_peak_mb": probe.overall_peak,
                    "baseline_rss_mb": baseline,
                    "steps": list(probe.calls),
                    "coverage_share": result.coverage_share,
                }
            )
            del result, grid, fresh
    finally:
        for module, functions in originals.items():
            for name, fn in functions.items():
                setattr(module, name, fn)
    measured = [
        max(r["read_population_peak_mb"], r["compute_coverage_peak_mb"]) for r in out["runs"]
    ]
    out["measured_peak_mb"] = max(measured)
    out["cpu_count"] = os.cpu_count()
    out["snap_workers"] = _snap_what_if(net, raster, np) if args.what_if else None
    return out


def _snap_what_if(net: Any, raster: Path, np: Any) -> dict[str, float]:
    """What the cell snapping would cost with both cores (scipy's ``workers=-1``)."""
    from coverage import read_population
    from coverage.engine.snapping import node_tree
    from coverage.inputs.crs import transform_xy
    from coverage.inputs.population import demand_from_grid

    demand = demand_from_grid(read_population(raster))
    mx, my = transform_xy(demand.x, demand.y, demand.crs, net.crs)
    pts = np.column_stack([mx, my])
    tree = node_tree(net)
    times = {}
    for k in (1, 4):
        for workers in (1, -1):
            c0, t0 = time.process_time(), time.perf_counter()
            tree.query(pts, k=k, distance_upper_bound=5000.0, workers=workers)
            name = f"what-if cell KD-tree k={k} workers={workers}"
            times[f"{name} wall_s"] = time.perf_counter() - t0
            times[f"{name} cpu_s"] = time.process_time() - c0
    return times


def run_scale(
    report: Report, *, rows: int, cols: int, cells: int, stations: int, repeat: int, what_if: bool
) -> dict[str, Any]:
    """Run the child process and add its figures to ``report``."""
    case = f"{rows * cols / 1e6:.2g}M nodes, {cells / 1e6:.2g}M cells"
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        cmd = [
            sys.executable, "-m", "benchmarks.scale",
            "--rows", str(rows), "--cols", str(cols), "--cells", str(cells),
            "--stations", str(stations), "--repeat", str(repeat), "--tmp", tmp,
            "--json", str(Path(tmp) / "scale.json"),
        ]  # fmt: skip
        if what_if:
            cmd.append("--what-if")
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        }
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"scale child failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        data = json.loads((Path(tmp) / "scale.json").read_text())

    def add(method: str, timing: Timing, peak: float | None, note: str = "") -> None:
        report.add(Row.of(BENCH, case, method, timing, peak_mb=peak, note=note))

    def timing(runs: list[dict[str, Any]], *keys: str) -> Timing:
        wall = [sum(r[f"{k}_s"] for k in keys) for r in runs]
        return Timing(wall, [sum(r[f"{k}_cpu_s"] for k in keys) for r in runs])

    runs = data["runs"]
    read_peak = max(r["read_population_peak_mb"] for r in runs)
    compute_peak = max(r["compute_coverage_peak_mb"] for r in runs)
    add("read_population", timing(runs, "read_population"), read_peak)
    add(
        "compute_coverage",
        timing(runs, "compute_coverage"),
        compute_peak,
        "process peak during the call",
    )
    both = timing(runs, "read_population", "compute_coverage")
    add("read + compute", both, max(read_peak, compute_peak), "goal < 20 s, < 4 GB")
    # the breakdown: per step in call order (a repeated step gets #2, #3), over the runs
    labels: dict[str, list[dict[str, Any]]] = {}
    for r in runs:
        seen: dict[str, int] = {}
        for call in r["steps"]:
            n = seen.get(call["step"], 0)
            seen[call["step"]] = n + 1
            label = f"  {call['step']}#{n + 1}" if n else f"  {call['step']}"
            labels.setdefault(label, []).append(call)
    for label, calls in labels.items():
        steps = Timing([c["seconds"] for c in calls], [c["cpu_s"] for c in calls])
        add(label, steps, max(c["peak_mb"] for c in calls), "step of compute_coverage")
    rest = Timing(
        [r["compute_coverage_s"] - sum(c["seconds"] for c in r["steps"]) for r in runs],
        [r["compute_coverage_cpu_s"] - sum(c["cpu_s"] for c in r["steps"]) for r in runs],
    )
    add("  other", rest, None, "rest of compute_coverage (stations table, summary)")
    facts: dict[str, Any] = {
        "nodes": data["nodes"],
        "directed_edges": data["edges"],
        "cells": data["cells"],
        "valid_cells": data["valid_cells"],
        "network_build_s": data["network_build_s"],
        "rss_before_read_mb (network, stations, libraries)": runs[0]["baseline_rss_mb"],
        "peak_of_read_and_compute_mb": data["measured_peak_mb"],
        "setup_peak_mb (network build, raster write)": data["setup_peak_mb"],
        "peak_reset_supported": data["peak_reset_supported"],
        "coverage_share": runs[0]["coverage_share"],
    }
    if data.get("snap_workers"):
        facts.update(data["snap_workers"])
    report.fact(f"{BENCH} {case}", **facts)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--cols", type=int, required=True)
    parser.add_argument("--cells", type=int, required=True)
    parser.add_argument("--stations", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--tmp", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--what-if", action="store_true")
    args = parser.parse_args(argv)
    data = _child(args)
    Path(args.json).write_text(json.dumps(data, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
