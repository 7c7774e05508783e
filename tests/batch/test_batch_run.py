"""Batches on a real Dask LocalCluster: outputs, skipping, re-runs, failures, killed workers."""

from __future__ import annotations

import csv
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from coverage.batch import (  # noqa: E402
    INDEX_NAME,
    MANIFEST_NAME,
    SUMMARY_NAME,
    load_batch,
    plan_batch,
    run_batch,
)
from coverage.cli import main  # noqa: E402
from coverage.config import load_config  # noqa: E402
from coverage.pipeline import run_coverage  # noqa: E402

OUTPUTS = ("summary.json", "stations.csv", "units.csv", "travel_time.tif", "map.html")


@pytest.fixture(scope="module")
def client():
    """Two worker processes with one thread each, shared by the tests of this module."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return {row["region"]: row for row in csv.DictReader(handle)}


def test_outputs_skip_and_rerun_only_the_changed_region(three_regions, client):
    batch = load_batch(three_regions)
    report = run_batch(batch, client=client)
    assert [o.status for o in report.outcomes] == ["ok", "ok", "ok"]
    for region in batch.regions:
        for name in (*OUTPUTS, MANIFEST_NAME):
            assert (region.out / name).stat().st_size > 0, (region.name, name)
    assert not list(batch.out.glob(".*.staging-*"))

    # the batch's figures are those of a direct run of the same configuration
    direct = run_coverage(load_config(three_regions.parent / "beta" / "region.yaml"))
    beta = _summary(batch.out / "beta")
    assert beta["population_total"] == direct.summary["population_total"]
    assert beta["coverage_by_minutes"] == direct.summary["coverage_by_minutes"]
    rows = _rows(report.summary_csv)
    assert list(rows) == ["alpha", "beta", "gamma"]
    assert float(rows["beta"]["population"]) == pytest.approx(beta["population_total"])
    assert float(rows["beta"]["coverage_share"]) == pytest.approx(beta["coverage_share"])
    assert rows["beta"]["units"] == "2"
    assert 0 <= int(rows["beta"]["units_covered"]) <= 2
    index = report.index.read_text(encoding="utf-8")
    for name in ("alpha", "beta", "gamma"):
        assert f'href="{name}/map.html"' in index
        assert f'href="{name}/report.html"' in index  # the report, now that runs write one

    # a second run skips all three and leaves their outputs alone
    mtimes = {r.name: (r.out / "map.html").stat().st_mtime_ns for r in batch.regions}
    again = run_batch(batch, client=client)
    assert [o.status for o in again.outcomes] == ["skipped"] * 3
    assert all(o.message.startswith("unchanged since") for o in again.outcomes)
    assert {r.name: (r.out / "map.html").stat().st_mtime_ns for r in batch.regions} == mtimes
    rows = _rows(again.summary_csv)
    assert float(rows["beta"]["population"]) == pytest.approx(beta["population_total"])

    # changing one input re-runs only its region, and says why
    stations = three_regions.parent / "beta" / "stations.csv"
    stations.write_text(
        stations.read_text(encoding="utf-8").splitlines()[0]
        + "\n"
        + stations.read_text(encoding="utf-8").splitlines()[1]
        + "\n",
        encoding="utf-8",
    )
    plans = {p.region.name: p for p in plan_batch(batch)}
    assert plans["beta"].action == "run"
    assert plans["beta"].reason == "inputs changed: stations"
    assert plans["alpha"].action == plans["gamma"].action == "skip"
    third = run_batch(batch, client=client)
    assert [o.status for o in third.outcomes] == ["skipped", "ok", "skipped"]
    assert _summary(batch.out / "beta")["stations"] == 1
    assert (batch.out / "alpha" / "map.html").stat().st_mtime_ns == mtimes["alpha"]

    # a settings change counts too (the default speed, which no region file sets)
    three_regions.write_text(
        three_regions.read_text(encoding="utf-8").replace(
            "defaults:\n", "defaults:\n  access_speed_kmh: 4.5\n"
        ),
        encoding="utf-8",
    )
    plans = plan_batch(load_batch(three_regions))
    assert [p.reason for p in plans] == ["settings changed: access_speed_kmh"] * 3


def test_broken_region_fails_alone(three_regions, client, capsys):
    broken = three_regions.parent / "gamma" / "population.tif"
    broken.write_bytes(b"II*\x00 this is not a GeoTIFF")
    address = client.scheduler.address
    status = main(["batch", str(three_regions), "--scheduler", address, "--quiet"])
    assert status == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert lines[0].startswith(f"error: gamma: {broken}: cannot read the population raster")
    out = three_regions.parent / "out"
    rows = _rows(out / SUMMARY_NAME)
    assert [rows[n]["status"] for n in ("alpha", "beta", "gamma")] == ["ok", "ok", "failed"]
    assert "cannot read the population raster" in rows["gamma"]["message"]
    assert rows["gamma"]["population"] == ""
    assert (out / "alpha" / "map.html").is_file() and (out / "beta" / "map.html").is_file()
    assert not (out / "gamma").exists()  # nothing half-written
    assert "cannot read the population raster" in (out / INDEX_NAME).read_text(encoding="utf-8")

    # a dry run lists what would run and what would be skipped, and runs nothing
    assert main(["batch", str(three_regions), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("skip  alpha: unchanged since ")
    assert lines[1].startswith("skip  beta: unchanged since ")
    assert lines[2] == "run   gamma: no earlier successful run"
    assert lines[3] == f"1 to run, 2 to skip; outputs in {out}"


class KillOnce(distributed.WorkerPlugin):
    """Kills its worker process (SIGKILL) while it writes the outputs of one region, once."""

    def __init__(self, region: str, out: str, marker: str):
        self.region, self.out, self.marker = region, Path(out), Path(marker)

    def setup(self, worker):
        self.worker = worker

    def transition(self, key, start, finish, **kwargs):
        if finish != "executing" or f"-{self.region}-" not in str(key) or self.marker.exists():
            return
        self.marker.write_text(str(os.getpid()), encoding="utf-8")

        def kill_when_writing():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if list(self.out.glob(f".{self.region}.staging-*")):  # mid-write
                    os.kill(os.getpid(), signal.SIGKILL)
                time.sleep(0.005)

        threading.Thread(target=kill_when_writing, daemon=True).start()


def test_killed_worker_is_retried(three_regions, client):
    batch = load_batch(three_regions)
    marker = three_regions.parent / "killed.txt"
    client.register_plugin(KillOnce("beta", str(batch.out), str(marker)), name="kill-once")
    try:
        report = run_batch(batch, client=client)
    finally:
        client.unregister_worker_plugin("kill-once")
    assert marker.is_file()  # a worker was killed
    assert [o.status for o in report.outcomes] == ["ok", "ok", "ok"]
    for region in batch.regions:
        for name in (*OUTPUTS, MANIFEST_NAME):
            assert (region.out / name).is_file(), (region.name, name)
    assert not list(batch.out.glob(".*.staging-*"))
    client.wait_for_workers(2, timeout=60)


def test_batch_figures_match_hand_solved_grids(tmp_path, grid_case, client):
    """Two hand-solvable grids (fixtures/synthetic.py): covered people known exactly.

    Thresholds sit between block multiples (2 minutes a block), away from ties.
    """
    cases = {
        "centre": grid_case(n=7, minutes=[3, 5], boundaries=True),
        "corner": grid_case(n=7, minutes=[3, 5], station_nodes=[(0, 0)], fmt="xml"),
    }
    centre, corner = (c.config.relative_to(tmp_path).as_posix() for c in cases.values())
    lines = [
        "regions:",
        f"  - config: {centre}",
        "    name: centre",
        "    unit_covered_share: 0.3",  # by hand: west 19.7 %, east 31.0 % covered
        "    targets: {unit: {2023: 0.5, 2024: 1.0}}",
        f"  - config: {corner}",
        "    name: corner",
    ]
    batch_file = tmp_path / "grids.yaml"
    batch_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run_batch(load_batch(batch_file, out=tmp_path / "out"), client=client)
    rows = _rows(report.summary_csv)
    for name, case in cases.items():
        summary = _summary(tmp_path / "out" / name)
        assert summary["population_by_minutes"]["3"] == pytest.approx(case.covered(3.0))
        assert summary["population_by_minutes"]["5"] == pytest.approx(case.covered(5.0))
        assert float(rows[name]["population_covered"]) == pytest.approx(case.covered(5.0))
        assert float(rows[name]["population"]) == pytest.approx(case.counts.sum())
    assert case.covered(5.0) < cases["centre"].covered(5.0)  # the corner station reaches fewer
    # the centre's units by hand: 'west' holds columns 0-2, 'east' columns 3-6
    within = cases["centre"].node_minutes() <= 5.0
    counts = cases["centre"].counts
    shares = [counts[:, cols][within[:, cols]].sum() / counts[:, cols].sum() for cols in
              (slice(0, 3), slice(3, 7))]  # fmt: skip
    covered = sum(share >= 0.3 for share in shares)
    assert covered == 1  # east only
    assert rows["centre"]["units"] == "2"
    assert rows["centre"]["units_covered"] == str(covered)
    assert rows["centre"]["targets"] == "2"  # 2023: half the units, 2024: all
    assert rows["centre"]["targets_met"] == str(int(covered >= 1) + int(covered >= 2))
    assert rows["corner"]["units"] == rows["corner"]["targets"] == ""
