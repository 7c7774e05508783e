"""Run the coverage15 benchmarks and write results.json and results.md.

    python benchmarks/run.py --out out/bench            # everything (make bench)
    python benchmarks/run.py --out out/q --quick        # tiny generated inputs, seconds
    python benchmarks/run.py --out out/b --only engine-grid

Benchmarks (``--only`` names): ``engine-comoros``, ``engine-grid``,
``end-to-end``, ``scale``, ``raster-window``. See benchmarks/README.md for what each measures.
Correctness checks inside (identical travel times to networkx, 1e-6 relative)
raise and stop the run with exit status 1: wrong figures are never reported.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import SHARED_DATA, Report, Row, markdown


@dataclass(frozen=True)
class Sizes:
    """Problem sizes of one variant (full or quick)."""

    grid_side: int
    grid_stations: int
    repeat: int
    nx_repeat: int
    e2e_repeat: int
    ego_stations: int
    pandana_grid: bool
    scale_side: int
    scale_cells: int
    scale_repeat: int


FULL = Sizes(
    grid_side=1000, grid_stations=500, repeat=5, nx_repeat=3, e2e_repeat=3, ego_stations=10,
    pandana_grid=True, scale_side=1000, scale_cells=10_000_000, scale_repeat=3,
)  # fmt: skip
QUICK = Sizes(
    grid_side=40, grid_stations=8, repeat=2, nx_repeat=1, e2e_repeat=1, ego_stations=2,
    pandana_grid=True, scale_side=30, scale_cells=10_000, scale_repeat=1,
)  # fmt: skip

NAMES = ("engine-comoros", "engine-grid", "end-to-end", "scale", "raster-window")


def _comoros() -> Path | None:
    folder = SHARED_DATA / "comoros"
    need = ["comores-latest.osm.pbf", "health.gpkg", "com_ppp_2020_UNadj.tif"]
    return folder if all((folder / n).is_file() for n in need) else None


def engine_comoros(report: Report, sizes: Sizes, quick: bool) -> None:
    import numpy as np

    from benchmarks.engines import EngineCase, run_engine_case
    from coverage import load_network, read_stations
    from coverage.engine.snapping import snap_points

    folder = _comoros()
    if folder is None:
        report.skipped["engine-comoros"] = f"the Comoros data is not in {SHARED_DATA}/comoros"
        return
    net = load_network(folder / "comores-latest.osm.pbf", mode="walk")
    stations = read_stations(folder / "health.gpkg").to_crs(net.crs)
    snap = snap_points(net, stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy(), k=1)
    sources = snap.nodes[:, 0][snap.nodes[:, 0] >= 0]
    report.fact(
        "engine comoros walk",
        health_facilities=len(stations),
        median_move_to_node_m=float(np.median(snap.distance_m[:, 0])),
    )
    run_engine_case(
        report,
        EngineCase("comoros walk", net, sources),
        repeat=sizes.repeat,
        nx_repeat=sizes.nx_repeat,
        ego_stations=sizes.ego_stations,
    )


def engine_grid(report: Report, sizes: Sizes, quick: bool) -> None:
    from benchmarks.engines import EngineCase, run_engine_case
    from benchmarks.synthetic import grid_network, station_nodes

    side = sizes.grid_side
    t0 = time.perf_counter()
    net = grid_network(side, side)
    case = f"grid {side}x{side}"
    report.fact(f"engine {case}", network_build_s=time.perf_counter() - t0)
    run_engine_case(
        report,
        EngineCase(case, net, station_nodes(net, sizes.grid_stations)),
        repeat=sizes.repeat,
        nx_repeat=sizes.nx_repeat,
        pandana=sizes.pandana_grid,
        ego_stations=sizes.ego_stations if quick else 0,
    )


def end_to_end(report: Report, sizes: Sizes, quick: bool) -> None:
    import tempfile

    from benchmarks.end_to_end import run_end_to_end
    from coverage import load_config, prepare_demo
    from coverage.config import config_from_dict

    if quick:
        with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
            config = load_config(prepare_demo(Path(tmp) / "inputs"))
            run_end_to_end(report, "helsinki demo", config, repeat=sizes.e2e_repeat)
        return
    folder = _comoros()
    if folder is None:
        report.skipped["end-to-end"] = f"the Comoros data is not in {SHARED_DATA}/comoros"
    else:
        config = config_from_dict(
            {
                "name": "comoros",
                "stations": str(folder / "health.gpkg"),
                "population": str(folder / "com_ppp_2020_UNadj.tif"),
                "network": str(folder / "comores-latest.osm.pbf"),
                "minutes": [15],
            },
            base_dir=None,
        )
        run_end_to_end(report, "comoros walk", config, repeat=sizes.e2e_repeat)
    # a generated town of 160,000 street nodes (400 x 400, 60 m apart) with two units,
    # written as a real PBF: where the print maps cost most (a million road segments)
    with tempfile.TemporaryDirectory(prefix="bench-town-") as tmp:
        config = load_config(_town(Path(tmp), side=400))
        run_end_to_end(report, "town 160k nodes walk", config, repeat=sizes.e2e_repeat)


def _town(folder: Path, *, side: int) -> Path:
    """A generated street-grid town (scripts/synthetic_regions.py): its region.yaml."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import synthetic_regions

    step = max(side // 5, 1)
    return synthetic_regions.write_region(
        folder,
        name="town",
        nodes=(side, side),
        spacing_m=60.0,
        stations=[
            (i, j) for i in range(step // 4, side, step) for j in range(step // 4, side, step)
        ],
        network_format="pbf",
        minutes=[15],
    )


def scale(report: Report, sizes: Sizes, quick: bool) -> None:
    from benchmarks.scale import run_scale

    run_scale(
        report,
        rows=sizes.scale_side,
        cols=sizes.scale_side,
        cells=sizes.scale_cells,
        stations=sizes.grid_stations,
        repeat=sizes.scale_repeat,
        what_if=True,
    )


def raster_window(report: Report, sizes: Sizes, quick: bool) -> None:
    from benchmarks.raster_window import run_raster_window

    run_raster_window(report, quick=quick)


RUNNERS: dict[str, Callable[[Report, Sizes, bool], None]] = {
    "engine-comoros": engine_comoros,
    "engine-grid": engine_grid,
    "end-to-end": end_to_end,
    "scale": scale,
    "raster-window": raster_window,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="coverage15 benchmarks against reference tools")
    parser.add_argument("--out", type=Path, default=Path("out/bench"), help="output folder")
    parser.add_argument("--quick", action="store_true", help="tiny inputs: checks, not figures")
    parser.add_argument(
        "--only", action="append", choices=NAMES, help="run only this benchmark (repeatable)"
    )
    parser.add_argument(
        "--no-pandana-grid",
        action="store_true",
        help="skip pandana on the generated grid (its build takes minutes at 1M nodes)",
    )
    parser.add_argument(
        "--combine",
        nargs="+",
        type=Path,
        metavar="RESULTS_JSON",
        help="run nothing: merge the results.json of earlier runs (e.g. --only runs) into --out",
    )
    args = parser.parse_args(argv)
    if args.combine:
        return _combine(args.combine, args.out)
    sizes = QUICK if args.quick else FULL
    if args.no_pandana_grid:
        sizes = dataclasses.replace(sizes, pandana_grid=False)
    names = args.only or list(NAMES)
    if args.quick and not args.only:
        names = [n for n in names if n != "engine-comoros"]  # seconds, not minutes
    report = Report()
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        for name in names:
            t0 = time.perf_counter()
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            RUNNERS[name](report, sizes, args.quick)
            print(f"[bench] {name} done in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    import coverage

    meta = {
        "variant": "quick" if args.quick else "full",
        "benchmarks": names,
        "wall_s": time.perf_counter() - started,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": _cpus(),
        "coverage15": coverage.__version__,
        "versions": _versions(),
    }
    _write(report, meta, args.out)
    return 0


def _write(report: Report, meta: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "meta": meta,
        "rows": [r.as_dict() for r in report.rows],
        "facts": report.facts,
        "skipped": report.skipped,
    }
    (out / "results.json").write_text(json.dumps(payload, indent=1, default=str))
    head = (
        f"coverage15 benchmarks ({meta['variant']}), {meta['cpus']} CPUs, Python "
        f"{meta['python']}; medians of repeated runs, ratios within the same run.\n\n"
    )
    table = head + markdown(report)
    (out / "results.md").write_text(table)
    print(table)


def _combine(paths: list[Path], out: Path) -> int:
    """Merge earlier results; a later file's row replaces an earlier one of the same method.

    Each row keeps the ratio of the run it came from (its reference was measured in
    that same run).
    """
    report = Report()
    metas = []
    rows: dict[tuple[str, str, str], Row] = {}
    for path in paths:
        data = json.loads(path.read_text())
        metas.append(data["meta"])
        for raw in data["rows"]:
            row = Row(**raw)
            rows[(row.benchmark, row.case, row.method)] = row
        report.facts.update(data["facts"])
        report.skipped.update(data["skipped"])
    report.rows = list(rows.values())
    meta = {**metas[0], "benchmarks": [b for m in metas for b in m["benchmarks"]]}
    meta["variant"] = "+".join(sorted({m["variant"] for m in metas}))
    meta["combined_from"] = [str(p) for p in paths]
    _write(report, meta, out)
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("numpy", "scipy", "networkx", "pandana", "pyrosm", "osmnx", "rasterio", "shapely"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


if __name__ == "__main__":
    sys.exit(main())
