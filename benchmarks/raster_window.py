"""Peak memory of a county's population read from a national-extent raster.

The question: does a county cut from a national raster cost about what a raster
already cut to the county costs? Each case runs in a child process that builds the
demand through :func:`coverage.inputs.read.load_demand` (what ``coverage15 run``
does with boundaries) and reports the peak of the memory numpy and Python allocate
during that call (``tracemalloc``, which sees numpy's arrays) and the kernel's peak
resident set of the call (``VmHWM`` after resetting it through
``/proc/self/clear_refs``; it also counts GDAL's block cache).

*Full*: the real Comoros WorldPop 2020 raster (1576 x 1270 cells, 869,595 people)
and the OSM boundary of Ngazidja (the largest island) as the county. The county
raster is the WorldPop raster cut to the island's bounding box (what a county
receives); the national raster is a VRT of 5 x 4 copies of the whole Comoros
raster (20 times its extent, 40 M cells) with the original in its place. *Quick*
(``--quick``): a generated 300 x 200 raster and an ellipse, the same way.

Methods: ``window`` (the reader of the run, on either file) and ``full read, then
clip`` (the whole raster read and turned into float64, then clipped: what a run did
before the windowed reader), for contrast. The people of the county must be
identical in every case, or the run stops (:class:`BenchmarkError`).

    .venv/bin/python benchmarks/run.py --out out/bench --only raster-window
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, SHARED_DATA, BenchmarkError, Report, Row, Timing

_CHILD = """
import json, sys, time, tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.inputs.network import network_from_edges
from coverage.inputs.population import clip_population, read_population
from coverage.inputs.read import load_demand

raster, units_path, method = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
units = gpd.read_file(units_path)
# with boundaries the study area is their union; the network only gives the metric CRS
x, y = units.geometry.union_all().representative_point().coords[0]
network = network_from_edges(
    np.array([1, 2]), np.array([x, x + 0.001]), np.array([y, y]),
    pd.DataFrame({"u": [1], "v": [2], "highway": ["residential"]}), source="two nodes",
)


def hwm_mb(key="VmHWM:"):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


rss_before = hwm_mb("VmRSS:")
reset_hwm()
tracemalloc.start()
t0 = time.perf_counter()
c0 = time.process_time()
if method == "window":
    demand, _, _ = load_demand(Path(raster), network=network, network_path=Path(raster),
                               units={"county": units})
    people, cells = demand.population, int(demand.grid.counts.size)
else:
    grid = read_population(raster)
    area = units.to_crs(network.crs).geometry.union_all()
    clipped = clip_population(grid, area, crs=network.crs)
    people, cells = clipped.counts[clipped.valid], int(grid.counts.size)
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(json.dumps({
    "people": float(people.sum(dtype=np.float64)), "points": int(people.size),
    "cells_held": cells, "seconds": seconds, "cpu_seconds": cpu,
    "tracemalloc_peak_mb": peak / 2**20, "hwm_mb": hwm_mb(), "rss_before_mb": rss_before,
}))
"""


def _child(raster: Path, units: Path, method: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(raster), str(units), method],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BenchmarkError(f"{method} on {raster.name} failed: {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _county_raster(source: Path, units: Path, out: Path) -> Path:
    """``source`` cut to the cells touching the county's bounding box (a county's file)."""
    import geopandas as gpd
    import numpy as np
    import rasterio
    import rasterio.windows

    with rasterio.open(source) as src:
        west, south, east, north = gpd.read_file(units).to_crs(src.crs).total_bounds
        win = rasterio.windows.from_bounds(west, south, east, north, transform=src.transform)
        col0, row0 = int(np.floor(win.col_off)), int(np.floor(win.row_off))
        col1 = int(np.ceil(win.col_off + win.width))
        row1 = int(np.ceil(win.row_off + win.height))
        window = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
        profile = src.profile
        profile.update(
            width=window.width, height=window.height, transform=src.window_transform(window)
        )
        data = src.read(1, window=window)
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(data, 1)
    return out


def _quick_inputs(folder: Path) -> tuple[Path, Path, str]:
    """A generated 300 x 200 raster in degrees and an elliptic county inside it."""
    import geopandas as gpd
    import numpy as np
    import rasterio
    import shapely
    from affine import Affine

    rng = np.random.default_rng(7)
    counts = rng.gamma(0.5, 20.0, size=(200, 300)).astype("float32")
    counts[:20, :30] = -99999.0  # nodata (sea)
    path = folder / "region.tif"
    profile = dict(driver="GTiff", width=300, height=200, count=1, dtype="float32",
                   crs="EPSG:4326", transform=Affine(0.001, 0, 119.0, 0, -0.001, 28.2),
                   nodata=-99999.0)  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(counts, 1)
    ellipse = shapely.affinity.scale(shapely.Point(119.15, 28.1).buffer(0.05), 1.5, 0.8)
    units = folder / "county.geojson"
    gpd.GeoDataFrame({"name": ["county"]}, geometry=[ellipse], crs="EPSG:4326").to_file(units)
    return path, units, "generated 300x200"


def _comoros_inputs(folder: Path) -> tuple[Path, Path, str] | None:
    """The Comoros WorldPop raster and the OSM boundary of Ngazidja, or None if absent."""
    import geopandas as gpd
    import pyrosm

    comoros = SHARED_DATA / "comoros"
    raster, pbf = comoros / "com_ppp_2020_UNadj.tif", comoros / "comores-latest.osm.pbf"
    if not (raster.is_file() and pbf.is_file()):
        return None
    bounds = pyrosm.OSM(str(pbf)).get_boundaries()
    island = bounds[
        (bounds["admin_level"].astype(str) == "4")
        & bounds["name"].astype(str).str.contains("Ngazidja")
    ]
    units = folder / "county.geojson"
    county = island.dissolve()[["geometry"]].assign(name="Ngazidja")
    gpd.GeoDataFrame(county, geometry="geometry", crs="EPSG:4326").to_file(units)
    return raster, units, "comoros ngazidja"


def run_raster_window(report: Report, *, quick: bool) -> None:
    """Measure the three cases and add rows (``peak_mb`` = tracemalloc peak) and facts.

    Time ratios are to the county raster's window read; peak-memory ratios are in the
    notes and the facts.
    """
    sys.path.insert(0, str(REPO / "tests"))  # the VRT writer shared with the tests
    from fixtures.rasters import write_tiled_vrt

    with tempfile.TemporaryDirectory(prefix="raster-window-") as tmp:
        folder = Path(tmp)
        inputs = _quick_inputs(folder) if quick else _comoros_inputs(folder)
        if inputs is None:
            report.skipped["raster-window"] = f"the Comoros data is not in {SHARED_DATA}/comoros"
            return
        source, units, case = inputs
        county = _county_raster(source, units, folder / "county.tif")
        national = write_tiled_vrt(source, folder / "national.vrt", tiles=(5, 4), at=(2, 1))
        runs = {
            "county raster, window": _child(county, units, "window"),
            "national raster, window": _child(national, units, "window"),
            "national raster, full read then clip": _child(national, units, "full"),
        }
    reference = runs["county raster, window"]
    for method, r in runs.items():
        if r["people"] != reference["people"] or r["points"] != reference["points"]:
            raise BenchmarkError(
                f"raster-window {case}: {method} gives {r['people']:.3f} people in "
                f"{r['points']} cells, the county raster {reference['people']:.3f} in "
                f"{reference['points']}"
            )
        ratio = r["tracemalloc_peak_mb"] / reference["tracemalloc_peak_mb"]
        report.add(
            Row.of(
                "raster-window",
                case,
                method,
                Timing([r["seconds"]], [r["cpu_seconds"]]),
                peak_mb=r["tracemalloc_peak_mb"],
                note=f"peak {ratio:.2f}x the county raster's; {r['cells_held']:,} cells held; "
                f"resident set grew by {r['hwm_mb'] - r['rss_before_mb']:.0f} MB",
            )
        )
    report.set_ratios("raster-window", case, "county raster, window")
    national_w = runs["national raster, window"]
    report.fact(
        f"raster-window {case}",
        people=reference["people"],
        populated_cells=reference["points"],
        peak_ratio_window=national_w["tracemalloc_peak_mb"] / reference["tracemalloc_peak_mb"],
        rss_growth_ratio_window=(national_w["hwm_mb"] - national_w["rss_before_mb"])
        / max(reference["hwm_mb"] - reference["rss_before_mb"], 1e-9),
        peak_ratio_full_read=runs["national raster, full read then clip"]["tracemalloc_peak_mb"]
        / reference["tracemalloc_peak_mb"],
    )
