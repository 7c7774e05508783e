"""End to end: the whole ``coverage15 run`` against a bare reference pipeline.

coverage15 is timed through its API exactly as the CLI calls it
(:func:`coverage.run_coverage` then :func:`coverage.write_outputs` into a
temporary folder with :func:`coverage.pipeline.output_options` of the
configuration), and also without writing outputs.

The reference pipeline is the shortest honest way to the same figure with the
same libraries: pyrosm parses the PBF (``get_network("walking")``), the edges
become a scipy CSR of walking seconds (parallel edges keep their minimum), each
station starts from its nearest node, one multi-source Dijkstra runs, every
valid population cell is snapped to its nearest node with a KD-tree (plus a
straight access leg), and the people within the threshold are summed. It does
no validation, no k-candidate snapping, no per-station or per-unit tables and
writes nothing, so it is a lower bound rather than an equal.
"""

from __future__ import annotations

import dataclasses
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from coverage import run_coverage, write_outputs
from coverage.config import RunConfig
from coverage.pipeline import output_options

from .common import BenchmarkError, Report, Row, measure_interleaved

BENCH = "end-to-end"


def reference_pipeline(
    pbf: Path,
    stations: Path,
    population: Path,
    *,
    minutes: float = 15.0,
    speed_kmh: float = 5.0,
    access_speed_kmh: float = 5.0,
    max_access_m: float = 5000.0,
) -> tuple[float, float]:
    """Covered population and total population, the bare way."""
    import geopandas as gpd
    import pandas as pd
    import pyrosm
    import rasterio
    import scipy.sparse as sp
    from pyproj import CRS, Transformer
    from scipy.sparse.csgraph import dijkstra
    from scipy.spatial import cKDTree

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm's pandas/shapely deprecation noise
        nodes, edges = pyrosm.OSM(str(pbf)).get_network(network_type="walking", nodes=True)
    ids = nodes["id"].to_numpy(np.int64)
    order = np.argsort(ids)
    u = order[np.searchsorted(ids, edges["u"].to_numpy(np.int64), sorter=order)]
    v = order[np.searchsorted(ids, edges["v"].to_numpy(np.int64), sorter=order)]
    seconds = edges["length"].to_numpy(float) / (speed_kmh / 3.6)
    lon, lat = nodes["lon"].to_numpy(float), nodes["lat"].to_numpy(float)
    zone = int((np.median(lon) + 180) // 6) + 1
    utm = CRS.from_epsg((32600 if np.median(lat) >= 0 else 32700) + zone)
    x, y = Transformer.from_crs("EPSG:4326", utm, always_xy=True).transform(lon, lat)
    # both directions; among parallel edges the fastest wins
    a, b, w = np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([seconds, seconds])
    keep = np.lexsort((w, b, a))
    a, b, w = a[keep], b[keep], w[keep]
    first = np.ones(a.size, dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    graph = sp.csr_matrix((w[first], (a[first], b[first])), shape=(ids.size, ids.size))
    tree = cKDTree(np.column_stack([x, y]))

    if stations.suffix.lower() == ".csv":
        table = pd.read_csv(stations)
        slon, slat = table["lon"].to_numpy(float), table["lat"].to_numpy(float)
    else:
        pts = gpd.read_file(stations).to_crs("EPSG:4326").geometry
        slon, slat = pts.x.to_numpy(), pts.y.to_numpy()
    sx, sy = Transformer.from_crs("EPSG:4326", utm, always_xy=True).transform(slon, slat)
    _, station_nodes = tree.query(np.column_stack([sx, sy]))
    node_s = dijkstra(graph, indices=np.unique(station_nodes), min_only=True)

    with rasterio.open(population) as src:
        people = src.read(1, masked=True)
        transform, crs = src.transform, CRS.from_user_input(src.crs.to_wkt())
    rows, cols = np.nonzero(~np.ma.getmaskarray(people))
    pop = np.asarray(people[rows, cols], dtype=float)
    cx = transform.c + (cols + 0.5) * transform.a + (rows + 0.5) * transform.b
    cy = transform.f + (cols + 0.5) * transform.d + (rows + 0.5) * transform.e
    mx, my = Transformer.from_crs(crs, utm, always_xy=True).transform(cx, cy)
    dist, nearest = tree.query(np.column_stack([mx, my]), distance_upper_bound=max_access_m)
    ok = np.isfinite(dist)
    cell_s = np.full(pop.size, np.inf)
    cell_s[ok] = node_s[nearest[ok]] + dist[ok] / (access_speed_kmh / 3.6)
    return float(pop[cell_s <= minutes * 60.0].sum()), float(pop.sum())


def run_end_to_end(report: Report, case: str, config: RunConfig, *, repeat: int) -> None:
    """Time coverage15 and the reference pipeline on one configuration's inputs.

    Where the configuration has a graph cache (``cache`` / ``cache_dir``), the plain
    runs are timed with it off, and two more with it on: cold (an empty cache folder
    each time, so the run parses and writes it) and warm (a re-run reading it).
    """
    headline = config.threshold_minutes
    has_cache = "cache" in {f.name for f in dataclasses.fields(RunConfig)}
    plain = config.replace(cache=False) if has_cache else config

    def ours(cfg: RunConfig, *, write: bool) -> float:
        with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
            result = run_coverage(cfg)
            if write:  # with the options the command line derives from the configuration
                write_outputs(result, Path(tmp) / "out", output_options(cfg))
        return result.coverage_share

    def reference() -> tuple[float, float]:
        return reference_pipeline(
            config.network,
            config.stations,
            config.population,
            minutes=headline,
            speed_kmh=config.speed_kmh or 5.0,
            access_speed_kmh=config.access_speed_kmh,
            max_access_m=config.max_access_m,
        )

    no_cache = ", no cache" if has_cache else ""
    fns: dict[str, Callable[[], Any]] = {
        "reference pipeline": reference,
        "coverage15 run": lambda: ours(plain, write=True),
        "coverage15 run_coverage": lambda: ours(plain, write=False),
    }
    notes = {
        "reference pipeline": "pyrosm + scipy, bare",
        "coverage15 run": "run_coverage + write_outputs" + no_cache,
        "coverage15 run_coverage": "no outputs" + no_cache,
        "coverage15 run, cache cold": "empty cache folder: parses and writes the graph cache",
        "coverage15 run, cached": "re-run reading the graph cache",
        "coverage15 run_coverage, cached": "re-run reading the graph cache, no outputs",
    }
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        if has_cache:
            counter = iter(range(1_000_000))
            warm = config.replace(cache=True, cache_dir=Path(tmp) / "warm")

            def cold() -> float:
                folder = Path(tmp) / f"cold{next(counter)}"
                return ours(config.replace(cache=True, cache_dir=folder), write=True)

            fns["coverage15 run, cache cold"] = cold
            fns["coverage15 run, cached"] = lambda: ours(warm, write=True)
            fns["coverage15 run_coverage, cached"] = lambda: ours(warm, write=False)
        else:
            report.skipped[f"graph cache ({case})"] = (
                "this coverage15 has no graph cache (RunConfig.cache); re-run once it has"
            )
        timings, values = measure_interleaved(fns, repeat=repeat, warmup=1)
    for method, timing in timings.items():
        report.add(Row.of(BENCH, case, method, timing, note=notes[method]))
    covered, total = values["reference pipeline"]
    share = values["coverage15 run"]
    for method in (
        "coverage15 run_coverage",
        "coverage15 run, cache cold",
        "coverage15 run, cached",
    ):
        if method in values and abs(values[method] - share) > 1e-12:
            raise BenchmarkError(
                f"{case}: '{method}' gives coverage {values[method]!r}, the plain run {share!r}"
            )
    report.set_ratios(BENCH, case, "reference pipeline")
    report.fact(
        f"{BENCH} {case}",
        coverage15_share=share,
        reference_share=covered / total if total else float("nan"),
        threshold_minutes=headline,
    )
