"""Fixtures of the output tests: a grid region with hostile names, the demo, Chromium."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from fixtures.browser import chromium, screenshot_dir  # noqa: F401 (fixtures)
from outputs_helpers import (
    PAYLOAD_ATTR,
    PAYLOAD_JINJA,
    PAYLOAD_SCRIPT,
    PAYLOAD_TEMPLATE,
    PAYLOAD_TIER,
)
from shapely.geometry import box

from coverage import (
    compute_coverage,
    load_network,
    read_boundaries,
    read_population,
    read_stations,
)
from coverage.engine.access import AccessModel
from coverage.inputs.tiers import UnknownTierWarning

REPO = Path(__file__).resolve().parents[2]

N = 7
SPACING_M = 200.0
SPEED_KMH = 6.0  # 2 minutes a block


@pytest.fixture(scope="session")
def hostile_case(tmp_path_factory):
    """A 7 x 7 grid (Zhejiang) whose station, tier and unit names are HTML/JS/Jinja payloads.

    Stations (row, col): (1, 1) township, (5, 5) village, (1, 5) with a payload tier.
    Units: two levels, ``township`` (west/east halves) and ``village`` (quarters).
    """
    from fixtures.synthetic import UTM, lattice_lonlat, make_grid_case

    case = make_grid_case(
        tmp_path_factory.mktemp("hostile"),
        n=N,
        spacing_m=SPACING_M,
        speed_kmh=SPEED_KMH,
        station_nodes=[(1, 1), (5, 5), (1, 5)],
        minutes=[4.0, 6.0],
    )
    lon, lat = lattice_lonlat(N, SPACING_M)
    names = [PAYLOAD_SCRIPT, PAYLOAD_ATTR, PAYLOAD_TEMPLATE + " " + PAYLOAD_JINJA]
    tiers = ["township", "village", PAYLOAD_TIER]
    stations = gpd.GeoDataFrame(
        {"id": ["S1", "S2", "S3"], "name": names, "tier": tiers},
        geometry=gpd.points_from_xy(
            [lon[1, 1], lon[5, 5], lon[1, 5]], [lat[1, 1], lat[5, 5], lat[1, 5]]
        ),
        crs="EPSG:4326",
    )
    stations_path = case.folder / "hostile_stations.geojson"
    stations.to_file(stations_path, driver="GeoJSON")
    x0, y0 = 700_000.0 - SPACING_M / 2, 3_110_000.0 + SPACING_M / 2  # NW corner of cell (0, 0)
    size = N * SPACING_M
    half = 3 * SPACING_M  # columns 0-2 west, 3-6 east; rows 0-2 north, 3-6 south
    township = gpd.GeoDataFrame(
        {"name": ["west " + PAYLOAD_SCRIPT, "east " + PAYLOAD_JINJA]},
        geometry=[
            box(x0, y0 - size, x0 + half, y0),
            box(x0 + half, y0 - size, x0 + size, y0),
        ],
        crs=UTM,
    ).to_crs("EPSG:4326")
    village = gpd.GeoDataFrame(
        {"name": ["NW", "=1+1", "SW " + PAYLOAD_ATTR, "SE"]},
        geometry=[
            box(x0, y0 - half, x0 + half, y0),
            box(x0 + half, y0 - half, x0 + size, y0),
            box(x0, y0 - size, x0 + half, y0 - half),
            box(x0 + half, y0 - size, x0 + size, y0 - half),
        ],
        crs=UTM,
    ).to_crs("EPSG:4326")
    units = {}
    for level, frame in (("township", township), ("village", village)):
        path = case.folder / f"{level}.geojson"
        frame.to_file(path, driver="GeoJSON")
        units[level] = read_boundaries(path, name="name")
    with pytest.warns(UnknownTierWarning, match="onerror"):  # kept as written, and escaped
        hostile_stations = read_stations(stations_path)
    result = compute_coverage(
        load_network(case.network, speed_kmh=SPEED_KMH),
        hostile_stations,
        read_population(case.population),
        AccessModel(mode="walk", minutes=tuple([4.0, 6.0])),
        units=units,
        name="hostile grid",
    )
    case.extra.update(result=result, lon=lon, lat=lat)
    return case


@pytest.fixture(scope="session")
def hostile_result(hostile_case):
    """The coverage result of :func:`hostile_case` (headline 6 minutes)."""
    return hostile_case.extra["result"]


@pytest.fixture(scope="session")
def demo_result(tmp_path_factory):
    """The embedded demo (central Helsinki) computed once."""
    from coverage import load_config, prepare_demo, run_coverage

    config = prepare_demo(tmp_path_factory.mktemp("demo-inputs"))
    return run_coverage(load_config(config))
