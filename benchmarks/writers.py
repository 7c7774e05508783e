"""Writers at scale: ``stations.csv``, ``units.xlsx``, ``map.html``, ``outputs.gpkg`` and a
whole output folder (``write_outputs``) for many stations.

A generated street grid (:mod:`benchmarks.synthetic`) with ``--stations`` stations
(10,000 by default) on a population raster; the result is computed once, then each
writer is timed on it (best of ``--repeat``). A writer linear in its rows writes
10,000 stations in seconds; the rows printed at 1,000 and 10,000 stations show the
growth (a ratio near 10 is linear, near 100 quadratic).

Run: ``python -m benchmarks.writers [--stations 1000 10000] [--repeat 1]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from coverage.engine.access import AccessModel


def _result(stations: int, tmp: Path) -> Any:
    import pandas as pd

    from coverage import compute_coverage, read_population
    from coverage.inputs.stations import stations_from_frame

    from .synthetic import grid_network, station_nodes, write_population_raster

    side = max(40, int(stations**0.5 * 1.5))
    net = grid_network(side, side, seed=0)
    raster = write_population_raster(tmp / "population.tif", net, cells=side * side)
    nodes = station_nodes(net, stations)
    table = stations_from_frame(
        pd.DataFrame(
            {
                "id": [f"s{i}" for i in nodes],
                "name": [f"服务点 {i}" for i in nodes],
                "tier": ["village"] * len(nodes),
                "lon": net.lon[nodes],
                "lat": net.lat[nodes],
            }
        ),
        source="generated stations",
    )
    return compute_coverage(
        net, table, read_population(raster), AccessModel(mode=net.mode, minutes=tuple((15.0,)))
    )


def _best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    """Time the writers at each station count and print a Markdown table."""
    from coverage import write_outputs
    from coverage.outputs.layers import write_gis_layers
    from coverage.outputs.maps import coverage_map, save_map
    from coverage.outputs.report import write_units_xlsx
    from coverage.outputs.writers import write_csv

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    print("| stations | stations.csv s | units.xlsx s | map.html s | outputs.gpkg s | all s |")
    print("|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for n in args.stations:
            result = _result(n, tmp)
            csv_s = _best(
                lambda r=result: write_csv(r.stations_table(), tmp / "s.csv"), args.repeat
            )
            xlsx_s = _best(lambda r=result: write_units_xlsx(r, tmp / "u.xlsx"), args.repeat)
            html_s = _best(lambda r=result: save_map(coverage_map(r), tmp / "m.html"), args.repeat)
            gpkg_s = _best(lambda r=result: write_gis_layers(r, tmp), args.repeat)
            every_s = _best(lambda r=result, k=n: write_outputs(r, tmp / f"out{k}"), args.repeat)
            print(
                f"| {len(result.stations):,} | {csv_s:.2f} | {xlsx_s:.2f} | {html_s:.2f} "
                f"| {gpkg_s:.2f} | {every_s:.2f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
