"""Helpers of the planning tests: runs over edited station tables, and comparisons."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from coverage import load_config, run_coverage
from coverage.metrics.duplicates import DuplicateStationWarning
from coverage.metrics.left_out import PopulationLeftOutWarning


def run_with_stations(case, rows: list[str], folder: Path):
    """``coverage15 run``'s result with another station table (``id,name,tier,lon,lat`` rows)."""
    table = folder / "edited_stations.csv"
    table.write_text("\n".join(["id,name,tier,lon,lat", *rows]) + "\n", encoding="utf-8")
    return run_coverage(load_config(case.config, stations=str(table)))


def node_row(case, sid: str, name: str, tier: str, node: tuple[int, int]) -> str:
    """A station table row at a lattice node."""
    lon, lat = case.extra["lon"], case.extra["lat"]
    return f"{sid},{name},{tier},{lon[node]:.7f},{lat[node]:.7f}"


def assert_same_coverage(planned, reference) -> None:
    """Identical headline, unit verdicts and target verdicts (times to 1e-12)."""
    for key in ("coverage_share", "population_covered", "coverage_by_minutes", "stations"):
        assert planned.summary[key] == pytest.approx(reference.summary[key], rel=1e-12), key
    np.testing.assert_allclose(planned.point_minutes, reference.point_minutes, rtol=1e-12)
    for level, table in reference.units.items():
        pd.testing.assert_series_equal(planned.units[level]["covered"], table["covered"])
    pd.testing.assert_frame_equal(planned.targets, reference.targets)


def run_with_frame(config: Path, stations, folder: Path):
    """``coverage15 run``'s result of ``config`` with the station table ``stations``."""
    path = folder / "edited_stations.geojson"
    stations.to_file(path, driver="GeoJSON")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DuplicateStationWarning)  # 8 sites listed twice
        warnings.simplefilter("ignore", PopulationLeftOutWarning)  # people at sea, off the islands
        return run_coverage(load_config(config, stations=str(path)))


def uncovered_village_point(result) -> tuple[float, float]:
    """The most populated cell of the uncovered village nearest to being covered."""
    from coverage.inputs.crs import transform_xy

    table = result.units["village"]
    village = table[table["covered"].eq(False)].sort_values("coverage_share").index[-1]
    polygon = result.unit_polygons["village"].to_crs(result.demand.crs).geometry.iloc[village]
    demand = result.demand
    inside = gpd.GeoSeries(gpd.points_from_xy(demand.x, demand.y)).within(polygon).to_numpy()
    best = np.flatnonzero(inside)[np.argmax(demand.population[inside])]
    lon, lat = transform_xy(demand.x[[best]], demand.y[[best]], demand.crs, "EPSG:4326")
    return float(lon[0]), float(lat[0])
