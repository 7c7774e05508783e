"""Demand points are snapped and timed window by window, with results identical to all at once."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from pyproj import CRS

import coverage.engine.demand as engine_demand
from coverage import (
    load_config,
    load_network,
    read_boundaries,
    read_population,
    read_stations,
)
from coverage.compute import compute_coverage
from coverage.engine.access import SNAP_CANDIDATES, AccessModel
from coverage.engine.snapping import snap_points
from coverage.engine.travel_times import node_times, point_times
from coverage.inputs.crs import transform_xy
from coverage.inputs.population import Demand, PopulationGrid, demand_from_grid


def _grid(valid: np.ndarray) -> PopulationGrid:
    counts = np.where(valid, 1.0, 0.0)
    return PopulationGrid(counts, valid, Affine(10, 0, 0, 0, -10, 0), CRS.from_epsg(32650))


@pytest.mark.parametrize("max_cells", [1, 5, 7, 23, 10_000])
def test_windows_cover_every_point_once_in_order(max_cells):
    rng = np.random.default_rng(4)
    valid = rng.random((9, 6)) < 0.6
    valid[3] = False  # an empty raster row
    demand = demand_from_grid(_grid(valid))
    parts = list(engine_demand.demand_windows(demand, max_cells))
    covered = np.concatenate([np.arange(len(demand))[p] for p in parts])
    np.testing.assert_array_equal(covered, np.arange(len(demand)))
    strip = max(1, max_cells // 6)
    for p in parts:  # each window is a strip of whole raster rows
        rows = demand.rows[p]
        assert rows.max() // strip == rows.min() // strip


def test_point_tables_are_cut_in_runs():
    n = 11
    demand = Demand(np.arange(n, dtype=float), np.zeros(n), np.ones(n), CRS.from_epsg(32650), {})
    parts = list(engine_demand.demand_windows(demand, 4))
    assert [(p.start, p.stop) for p in parts] == [(0, 4), (4, 8), (8, 11)]


def test_windowed_times_equal_one_pass(tmp_path, synthetic, monkeypatch):
    config = load_config(
        synthetic.write_region(
            tmp_path, name="w", nodes=(9, 7), stations=((1, 1), (7, 5)), cells=(37, 40), seed=9
        )
    )
    network = load_network(config.network)
    stations = read_stations(config.stations)
    grid = read_population(config.population)
    demand = demand_from_grid(grid)
    # reference: one call over every point, as the engine is documented to be used
    pts = stations.to_crs(network.crs).geometry
    times = node_times(
        network,
        snap_points(
            network,
            pts.x.to_numpy(),
            pts.y.to_numpy(),
            k=SNAP_CANDIDATES,
            max_distance_m=5000,
        ),
        access_speed_kmh=5.0,
    )
    mx, my = transform_xy(demand.x, demand.y, demand.crs, network.crs)
    ref_s, ref_station = point_times(
        times,
        snap_points(network, mx, my, k=SNAP_CANDIDATES, max_distance_m=5000),
        access_speed_kmh=5.0,
    )
    assert np.isfinite(ref_s).all() and len(demand) == 37 * 40

    units = read_boundaries(config.boundaries, name=config.boundaries_name)

    monkeypatch.setattr(engine_demand, "DEMAND_WINDOW_CELLS", 100)  # 2 raster rows per window
    windowed = compute_coverage(
        network, stations, grid, AccessModel(mode=network.mode, minutes=tuple((5, 15))), units=units
    )
    np.testing.assert_array_equal(windowed.point_minutes, ref_s / 60.0)
    np.testing.assert_array_equal(windowed.point_station, ref_station)
    monkeypatch.setattr(engine_demand, "DEMAND_WINDOW_CELLS", 10**9)
    whole = compute_coverage(
        network, stations, grid, AccessModel(mode=network.mode, minutes=tuple((5, 15))), units=units
    )
    assert windowed.summary == whole.summary
    # units by hand: the west and east halves split the grid between columns 19 and 20
    west = (
        grid.cell_centres(demand.rows, demand.cols)[0]
        < grid.bounds()[0] + (grid.bounds()[2] - grid.bounds()[0]) / 2
    )
    table = windowed.units["unit"].set_index("unit")
    assert table.loc["west", "population"] == demand.population[west].sum()
    assert table.loc["east", "population"] == demand.population[~west].sum()
    assert table.equals(whole.units["unit"].set_index("unit"))
