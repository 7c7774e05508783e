"""The new figures reach the output files."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from coverage.metrics.targets import targets_from_mapping
from coverage.outputs.write import write_outputs


@pytest.fixture(scope="module")
def written(line_world, tmp_path_factory):
    res = line_world.run(
        targets=targets_from_mapping({"village": {2023: 0.25, 2024: 1.0}}),
        catchment_by_tier=True,
    )
    out = tmp_path_factory.mktemp("out")
    return res, write_outputs(res, out)


def test_files_written(written):
    _, paths = written
    for kind in ("gaps", "targets", "services", "units_township", "units_village"):
        assert paths[kind].is_file(), kind


def test_summary_is_strict_json(written):
    _, paths = written
    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    assert summary["units_by_level"]["village"]["units_covered"] == 1
    assert [t["met"] for t in summary["targets"]] == [True, False]
    assert summary["gaps"] == {"areas": 2, "population": 190.0}


def test_tables_carry_the_new_columns(written):
    _, paths = written
    village = pd.read_csv(paths["units_village"], encoding="utf-8-sig")
    assert {"p90_minutes", "mean_minutes", "nearest_station", "covered"} <= set(village.columns)
    assert village["covered"].tolist()[:4] == [True, False, False, False]
    stations = pd.read_csv(paths["stations"], encoding="utf-8-sig")
    assert stations["staff_recommended"].tolist() == [2, 1]
    assert stations["capacity"].tolist() == ["ok", "under"]
    assert stations["tier_catchment_population"].tolist() == [600, 600]
    targets = pd.read_csv(paths["targets"], encoding="utf-8-sig")
    assert targets["units_to_cover"].tolist() == [0, 3]
    services = pd.read_csv(paths["services"], encoding="utf-8-sig")
    assert services["service"].tolist() == ["参保登记", "异地就医备案"]


def test_gaps_geojson_in_wgs84(written):
    res, paths = written
    gaps = gpd.read_file(paths["gaps"])
    assert gaps.crs.to_epsg() == 4326
    assert gaps["gap_id"].tolist() == [1, 2]
    assert gaps["village"].tolist() == ["V2", "V4"]
    back = gaps.to_crs(res.gaps.crs)
    assert back.geometry.area.tolist() == pytest.approx(res.gaps.geometry.area.tolist(), rel=1e-6)
