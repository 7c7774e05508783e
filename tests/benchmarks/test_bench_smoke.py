"""The benchmark script runs end to end on tiny generated inputs (no timing asserted).

This keeps ``benchmarks/run.py`` from rotting: every benchmark's code path runs,
including its correctness checks (identical travel times to networkx), which
make the script exit non-zero when they fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "results.md").read_text().startswith("coverage15 benchmarks (quick)")
    return json.loads((out / "results.json").read_text())


def test_quick_run_measures_every_method(quick_results: dict) -> None:
    methods = {(r["benchmark"], r["method"]) for r in quick_results["rows"]}
    for method in ("engine", "scipy", "engine bounded", "networkx", "ego-graph recipe"):
        assert ("engine", method) in methods
    for method in ("reference pipeline", "coverage15 run", "coverage15 run_coverage"):
        assert ("end-to-end", method) in methods
    assert ("scale", "compute_coverage") in methods
    assert all(r["seconds"] >= 0 and len(r["runs"]) >= 1 for r in quick_results["rows"])


def test_quick_run_checked_engine_against_networkx(quick_results: dict) -> None:
    facts = quick_results["facts"]["engine grid 40x40"]
    assert facts["networkx_check"].startswith("identical")
    assert facts["reachable_nodes"] > 0.9 * facts["nodes"]


def test_quick_run_scale_breakdown_adds_up(quick_results: dict) -> None:
    rows = [r for r in quick_results["rows"] if r["benchmark"] == "scale"]
    compute = next(r for r in rows if r["method"] == "compute_coverage")
    steps = [r for r in rows if r["method"].startswith("  ")]
    names = {r["method"].strip() for r in steps}
    # the steps are whatever coverage functions the pipeline calls by name; the cell
    # snapping is one of them in every version so far (through the access-leg cache,
    # which computes them when no cache folder is given, since that cache came)
    assert "other" in names and {"snap_points", "cached_snap"} & names and len(names) >= 3
    # single repetition: the steps and the residual sum to the whole call
    assert sum(r["seconds"] for r in steps) == pytest.approx(compute["seconds"], rel=1e-6)
    assert compute["peak_mb"] > 0


def test_quick_run_end_to_end_shares_agree(quick_results: dict) -> None:
    facts = quick_results["facts"]["end-to-end helsinki demo"]
    # both pipelines find most of central Helsinki within 15 minutes of a station (the
    # bare one snaps to a single node and uses pyrosm's own walking filter, so it differs)
    assert 0.8 < facts["reference_share"] <= 1.0
    assert 0.8 < facts["coverage15_share"] <= 1.0


def test_quick_run_reads_a_county_window_of_a_national_raster(quick_results: dict) -> None:
    rows = {r["method"]: r for r in quick_results["rows"] if r["benchmark"] == "raster-window"}
    county, national = rows["county raster, window"], rows["national raster, window"]
    full = rows["national raster, full read then clip"]
    # the same people (checked in the script) for the peak memory of the county's raster
    assert national["peak_mb"] < 1.3 * county["peak_mb"]
    assert full["peak_mb"] > 10 * county["peak_mb"]  # reading the whole file: 20x the cells
