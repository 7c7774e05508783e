"""The access model: validated once, and the one way every caller times a journey."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from fixtures.synthetic import ORIGIN_X, ORIGIN_Y, UTM
from pyproj import Transformer

from coverage import (
    AccessModel,
    MetricOptions,
    access_model,
    add_station,
    compute_coverage,
    load_config,
    load_network,
    read_population,
    read_stations,
    remove_station,
    run_coverage,
)
from coverage.errors import InputError


def test_settings_are_validated_all_at_once():
    with pytest.raises(InputError) as err:
        AccessModel(mode="car", minutes=(15, -1), access_speed_kmh=float("inf"), snap_to="road")
    message = str(err.value)
    for part in (
        "mode must be one of walk, bike, ebike, drive",
        "snap_to",
        "minutes",
        "access_speed_kmh",
    ):
        assert part in message


def test_thresholds_sorted_and_headline():
    access = AccessModel(minutes=(30, 15, 30, 5))
    assert access.minutes == (5.0, 15.0, 30.0)
    assert access.headline_minutes == 15.0
    assert AccessModel(minutes=(10, 20)).headline_minutes == 20.0
    assert access.replace(snap_to="edge").snap_edges and not access.snap_edges
    with pytest.raises(InputError, match="snap_to"):
        access.replace(snap_to="nearest")


def test_mode_must_match_the_network(grid_case):
    case = grid_case()
    net = load_network(case.network, speed_kmh=case.speed_kmh)
    with pytest.raises(InputError, match="weighted for 'walk'"):
        compute_coverage(
            net,
            read_stations(case.stations),
            read_population(case.population),
            AccessModel(mode="drive"),
        )


def test_old_keywords_warn_and_give_the_same_result(grid_case):
    case = grid_case(minutes=[3.0, 5.0])
    net = load_network(case.network, speed_kmh=case.speed_kmh)
    stations, grid = read_stations(case.stations), read_population(case.population)
    new = compute_coverage(
        net,
        stations,
        grid,
        AccessModel(minutes=(3, 5), max_access_m=800.0),
        options=MetricOptions(gap_min_population=2.0),
    )
    with pytest.warns(DeprecationWarning, match="access=AccessModel"):
        old = compute_coverage(
            net, stations, grid, minutes=[3, 5], max_access_m=800.0, gap_min_population=2.0
        )
    assert old.summary == new.summary
    np.testing.assert_array_equal(old.point_minutes, new.point_minutes)
    assert case.covered(5.0) == pytest.approx(new.summary["population_by_minutes"]["5"])


def _write_utm_raster(path, values, transform, nodata):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=values.shape[0],
        width=values.shape[1],
        count=1,
        dtype="float32",
        crs=UTM,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(values.astype("float32"), 1)


def _fine_population(path, n, spacing_m, cell_m=70.0):
    """People on a grid finer than the streets, so residents sit inside the blocks."""
    cells = int(n * spacing_m // cell_m)
    counts = np.random.default_rng(3).integers(1, 30, size=(cells, cells))
    transform = Affine(cell_m, 0, ORIGIN_X - spacing_m / 2, 0, -cell_m, ORIGIN_Y + spacing_m / 2)
    _write_utm_raster(path, counts, transform, nodata=-1.0)


def _slope_dem(path, n, spacing_m, pixel_m=25.0):
    """A hillside: 12 % up to the east with a ridge across the middle."""
    size = (n + 2) * spacing_m
    cells = int(size // pixel_m)
    x0, y0 = ORIGIN_X - 1.5 * spacing_m, ORIGIN_Y + 1.5 * spacing_m
    xx, yy = np.meshgrid((np.arange(cells) + 0.5) * pixel_m, (np.arange(cells) + 0.5) * pixel_m)
    z = 0.12 * xx + 40.0 * np.exp(-(((yy - size / 2) / 150.0) ** 2))
    _write_utm_raster(path, z, Affine(pixel_m, 0, x0, 0, -pixel_m, y0), nodata=-9999.0)


def _hilly_case(grid_case):
    n, spacing = 6, 300.0
    case = grid_case(n=n, spacing_m=spacing, station_nodes=[(1, 1), (4, 3)], minutes=[4.0, 8.0])
    _fine_population(case.folder / "fine.tif", n, spacing)
    _slope_dem(case.folder / "dem.tif", n, spacing)
    text = case.config.read_text(encoding="utf-8")
    text = text.replace("population: population.tif", "population: fine.tif")
    text += "dem: dem.tif\nsnap_to: edge\nmax_access_m: 400\n"
    case.config.write_text(text, encoding="utf-8")
    return case


def test_run_and_what_if_time_journeys_identically_with_terrain_and_edges(grid_case):
    case = _hilly_case(grid_case)
    cfg = load_config(case.config)
    result = run_coverage(cfg)
    assert result.summary["terrain"] and result.summary["snap_to"] == "edge"
    access = result.engine.access
    assert access == access_model(cfg, result.network, terrain=access.terrain)
    assert access.terrain is not None and access.snap_edges

    # a station in the middle of a block edge (not on a node), given in lon/lat
    to_wgs = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(ORIGIN_X + 4.5 * 300.0, ORIGIN_Y - 1 * 300.0 - 20.0)
    added = add_station(result, (lon, lat), station_id="N1", name="new", tier="village")

    table = pd.read_csv(case.stations)
    table.loc[len(table)] = ["N1", "new", "village", lon, lat]
    more = case.folder / "stations_more.csv"
    table.to_csv(more, index=False)
    full = run_coverage(cfg.replace(stations=more))
    np.testing.assert_allclose(added.point_minutes, full.point_minutes, rtol=1e-12)
    np.testing.assert_array_equal(added.point_station, full.point_station)
    assert added.coverage_share == pytest.approx(full.coverage_share, rel=1e-12)
    assert added.summary["coverage_by_minutes"] == pytest.approx(
        full.summary["coverage_by_minutes"]
    )
    assert added.coverage_share > result.coverage_share

    # closing S1 again equals a run without it
    table[table["id"] != "S1"].to_csv(case.folder / "without.csv", index=False)
    fewer = run_coverage(cfg.replace(stations=case.folder / "without.csv"))
    closed = remove_station(full, "S1")
    np.testing.assert_allclose(closed.point_minutes, fewer.point_minutes, rtol=1e-12)
    assert closed.coverage_share == pytest.approx(fewer.coverage_share, rel=1e-12)
    assert list(closed.stations["id"]) == list(fewer.stations["id"])
