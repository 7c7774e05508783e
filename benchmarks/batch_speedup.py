"""Speed-up of a batch of equal regions on two local Dask workers against one.

Generates (once, cached) ``--regions`` equal street-grid regions (``--nodes``
squared street nodes 100 m apart, default 200 x 200, a population cell per 50 m,
9 stations), then times :func:`coverage.batch.run_batch` (``force=True``: every
region is computed) on a ``LocalCluster`` of one worker process and on one of two,
one thread each. Each
cluster is started and warmed (the coverage15 modules imported on every worker)
before the clock starts, so the figure is the batch's own. The two sizes are
measured in alternation ``--repeats`` times and the fastest run of each is kept;
the machine is shared, so every run is reported too, with the CPU the batch
obtained (the CPU seconds of its regions over the wall time) and, as a reference,
the cores that one and two plain busy-loop processes obtained just before.

    .venv/bin/python benchmarks/batch_speedup.py [--regions 8] [--repeats 2]

Writes ``result.json`` into ``--out`` (default ``out/bench/batch_speedup``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))  # the region generator, scripts/synthetic_regions.py

import synthetic_regions  # noqa: E402


def _batch_file(folder: Path, n: int, nodes: int) -> Path:
    batch = folder / "batch.yaml"
    if batch.is_file() and batch.read_text(encoding="utf-8").count("region.yaml") == n:
        return batch
    at = (nodes * 15 // 100, nodes // 2, nodes * 85 // 100)
    stations = [(i, j) for i in at for j in at]  # 9 per region
    for k in range(n):
        synthetic_regions.write_region(
            folder / f"r{k:02d}",
            name=f"r{k:02d}",
            origin=(114.0 + 0.2 * k, 30.0),
            nodes=(nodes, nodes),
            spacing_m=100.0,
            stations=stations,
            seed=k,
            minutes=(15,),
        )
    lines = ["regions:"] + [f"  - r{k:02d}/region.yaml" for k in range(n)]
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return batch


def _spin(seconds: float) -> float:
    """Busy-loop for ``seconds`` of wall time; the CPU seconds this process obtained."""
    end = time.perf_counter() + seconds
    cpu = time.process_time()
    while time.perf_counter() < end:
        pass
    return time.process_time() - cpu


def machine_cores(processes: int, seconds: float = 5.0) -> float:
    """Cores that ``processes`` busy processes obtain together right now (a reference)."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(processes) as pool:
        return round(sum(pool.map(_spin, [seconds] * processes)) / seconds, 2)


def _warm() -> int:
    import coverage.batch
    import coverage.outputs.maps
    import coverage.pipeline  # noqa: F401

    return os.getpid()


def _time_batch(batch_path: Path, workers: int, out: Path) -> dict[str, float]:
    from distributed import Client, LocalCluster

    from coverage.batch import load_batch, run_batch

    batch = load_batch(batch_path, out=out)
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(_warm)
        start = time.perf_counter()
        report = run_batch(batch, client=client, force=True)
        wall = time.perf_counter() - start
    if report.failed:
        raise SystemExit(f"a region failed: {report.failed[0].message}")
    region_s = [o.duration_s for o in report.outcomes]
    cpu_s = sum(o.cpu_s for o in report.outcomes)
    return {
        "wall_s": round(wall, 2),
        "mean_region_s": round(sum(region_s) / len(region_s), 2),
        "mean_region_cpu_s": round(cpu_s / len(region_s), 2),
        # cores the batch actually obtained: below the worker count on a busy machine
        "cores_obtained": round(cpu_s / wall, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--nodes", type=int, default=200, help="street nodes each way per region")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "bench" / "batch_speedup")
    args = parser.parse_args(argv)
    logging.getLogger("distributed").setLevel(logging.ERROR)
    out = args.out.resolve()
    batch = _batch_file(out / f"inputs-{args.nodes}", args.regions, args.nodes)
    runs: dict[int, list[dict[str, float]]] = {1: [], 2: []}
    reference: dict[int, list[float]] = {1: [], 2: []}
    for rep in range(args.repeats):
        for workers in (1, 2):
            reference[workers].append(machine_cores(workers))
            result = _time_batch(batch, workers, out / f"outputs-{workers}")
            runs[workers].append(result)
            print(
                f"repeat {rep + 1}, {workers} worker(s): {result}; "
                f"{workers} busy loops obtained {reference[workers][-1]} cores",
                flush=True,
            )
    best = {w: min(r["wall_s"] for r in runs[w]) for w in runs}
    summary = {
        "regions": args.regions,
        "nodes_per_region": args.nodes**2,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "runs": {str(w): r for w, r in runs.items()},
        "best_wall_s": {str(w): s for w, s in best.items()},
        "speedup_2_over_1": round(best[1] / best[2], 2),
        # the speed-up the obtained CPU allowed: cores obtained by 2 workers over 1
        # what the machine offered at the time: cores 2 busy loops obtained over 1
        "busy_loop_cores": {str(w): r for w, r in reference.items()},
        "busy_loops_2_over_1": round(max(reference[2]) / max(reference[1]), 2),
        "cores_obtained_2_over_1": round(
            max(r["cores_obtained"] for r in runs[2]) / max(r["cores_obtained"] for r in runs[1]),
            2,
        ),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
