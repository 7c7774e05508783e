"""The embedded demo runs end to end through the command line."""

from __future__ import annotations

import json

from coverage.cli import main


def test_demo_writes_outputs(tmp_path):
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["name"] == "helsinki-demo"
    assert summary["stations"] == 33
    assert 0.9 < summary["coverage_share"] <= 1.0
    for name in ("stations.csv", "travel_time.tif", "isochrones.geojson", "map.html"):
        assert (tmp_path / name).stat().st_size > 0
