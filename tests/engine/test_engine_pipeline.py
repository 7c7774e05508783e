"""The engine through the pipeline: modes, thresholds, unreachable split, real terrain."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from coverage import compute_coverage, load_network, read_population, read_stations
from coverage.cli import main
from coverage.compute import read_terrain
from coverage.config import config_from_dict
from coverage.engine.access import AccessModel
from coverage.errors import ConfigError
from coverage.inputs.network import Network
from coverage.inputs.population import Demand
from coverage.inputs.terrain import apply_terrain, read_dem

# The Comoros table lists eight sites twice, 1-24 m apart (tests/metrics/test_metrics_duplicates.py)
COMOROS_DUPLICATES = "ignore::coverage.metrics.duplicates.DuplicateStationWarning"


def test_several_modes_write_one_folder_each(grid_case, tmp_path):
    case = grid_case(n=5, minutes=[3.0, 5.0])
    text = case.config.read_text(encoding="utf-8").replace("speed_kmh: 6.0\n", "")
    case.config.write_text(text + "modes: [walk, ebike, drive]\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(case.config), "--out", str(out), "--quiet"]) == 0
    table = pd.read_csv(out / "modes_summary.csv")
    assert list(table["mode"]) == ["walk", "ebike", "drive"]
    shares = table.set_index("mode")["coverage_5min"]
    assert shares["walk"] < shares["ebike"] <= 1.0
    for mode in ("walk", "ebike", "drive"):
        summary = json.loads((out / mode / "summary.json").read_text(encoding="utf-8"))
        assert summary["mode"] == mode
        assert summary["coverage_by_minutes"]["5"] == pytest.approx(shares[mode])
        assert (out / mode / "isochrones.geojson").is_file()
    # residential streets: walk 5, e-bike 20, drive 25 km/h; 200 m blocks from the centre
    walk = json.loads((out / "walk" / "summary.json").read_text(encoding="utf-8"))
    blocks = np.abs(np.mgrid[0:5, 0:5] - 2).sum(axis=0)
    within = blocks * 200.0 / (5 / 3.6) / 60.0 <= 5.0
    assert walk["population_by_minutes"]["5"] == pytest.approx(case.counts[within].sum())


def test_thresholds_in_one_pass(grid_case):
    case = grid_case(minutes=[9.0, 5.0, 15.0, 30.0])
    result = compute_coverage(
        load_network(case.network, speed_kmh=case.speed_kmh),
        read_stations(case.stations),
        read_population(case.population),
        AccessModel(
            mode="walk",
            minutes=tuple([5, 10, 15, 30]),
        ),
    )
    s = result.summary
    assert list(s["coverage_by_minutes"]) == ["5", "10", "15", "30"]
    for t in (5, 10, 15, 30):
        assert s["population_by_minutes"][str(t)] == pytest.approx(case.covered(t))
    assert s["minutes"] == 15.0 and s["coverage_share"] == s["coverage_by_minutes"]["15"]


def _two_lines() -> Network:
    """Road along y = 0 from x = 0 to 490 m and a separate road from x = 2000 to 2390 m
    (in UTM 50N), nodes every 10 m: both pieces are large enough not to be islands."""
    x = np.concatenate([np.arange(0.0, 500.0, 10.0), np.arange(2000.0, 2400.0, 10.0)])
    x += 700_000.0
    n = x.size
    y = np.zeros(n) + 3_100_000.0
    first = np.arange(49)
    second = np.arange(50, n - 1)
    a = np.concatenate([first, second])
    u = np.concatenate([a, a + 1])
    v = np.concatenate([a + 1, a])
    length = np.abs(x[u] - x[v])
    return Network(
        node_ids=np.arange(n) + 1,
        lon=np.zeros(n),
        lat=np.zeros(n),
        x=x,
        y=y,
        crs=gpd.GeoSeries([], crs="EPSG:32650").crs,
        edge_u=u,
        edge_v=v,
        edge_length_m=length,
        edge_seconds=length / (5 / 3.6),
        edge_highway=np.full(u.size, "residential", dtype=object),
        mode="walk",
    )


def test_unreachable_split_too_far_versus_no_station():
    net = _two_lines()
    stations = gpd.GeoDataFrame(
        {"id": ["s"], "name": ["s"], "tier": ["t"]},
        geometry=[Point(700_000.0, 3_100_010.0)],
        crs="EPSG:32650",
    )
    demand = Demand(
        x=np.array([700_200.0, 702_100.0, 700_000.0]),
        y=np.array([3_100_020.0, 3_100_020.0, 3_109_000.0]),
        population=np.array([1.0, 2.0, 4.0]),
        crs=net.crs,
        groups={},
    )
    s = compute_coverage(
        net, stations, demand, AccessModel(mode=net.mode, minutes=tuple([15]), max_access_m=500.0)
    ).summary
    assert s["unreachable_population"] == pytest.approx(6.0)
    assert s["unreachable_too_far_from_roads"] == pytest.approx(4.0)
    assert s["unreachable_no_station_reachable"] == pytest.approx(2.0)
    assert s["population_covered"] == pytest.approx(1.0)


def test_config_keys():
    cfg = config_from_dict(
        {
            "stations": "s.csv",
            "population": "p.tif",
            "network": "n.osm.pbf",
            "modes": ["walk", "EBike"],
            "speeds_kmh": {"residential": 4.5},
            "dem": "srtm.tif",
            "snap_to": "edge",
            "isochrones_per_station": True,
            "isochrone_cell_m": 50,
            "cache_dir": "cache",
        },
        base_dir="/data",
    )
    assert cfg.run_modes == ("walk", "ebike")
    assert cfg.speeds_kmh == {"residential": 4.5}
    assert cfg.dem is not None and cfg.dem.name == "srtm.tif" and cfg.dem.is_absolute()
    assert cfg.snap_to == "edge" and cfg.isochrone_cell_m == 50.0
    default = config_from_dict(
        {"stations": "s.csv", "population": "p.tif", "network": "n.pbf"}, base_dir=None
    )
    assert default.run_modes == ("walk",) and default.snap_to == "node" and default.cache
    with pytest.raises(ConfigError) as err:
        config_from_dict(
            {
                "stations": "s.csv",
                "population": "p.tif",
                "network": "n.pbf",
                "modes": ["walk", "car"],
                "speeds_kmh": {"residential": -2},
                "snap_to": "road",
            },
            base_dir=None,
        )
    message = str(err.value)
    assert "'modes'" in message and "'speeds_kmh'" in message and "'snap_to'" in message


@pytest.mark.filterwarnings(COMOROS_DUPLICATES)
@pytest.mark.shared
def test_comoros_terrain_slows_walking(shared_data, tmp_path):
    comoros = shared_data / "comoros"
    net = load_network(comoros / "comores-latest.osm.pbf", mode="walk")
    dem = read_dem(comoros / "comoros_srtm1.tif", lonlat_bounds=(43.0, -13.0, 45.0, -11.0))
    hilly = apply_terrain(net, dem)
    assert np.nanmax(hilly.node_elevation_m) > 1500  # Karthala's slopes carry roads
    assert (hilly.edge_seconds >= net.edge_seconds * 0.83).all()  # Tobler: at most 1.2x faster
    stations = read_stations(comoros / "health.gpkg")
    grid = read_population(comoros / "com_ppp_2020_UNadj.tif")
    flat = compute_coverage(
        net, stations, grid, AccessModel(mode=net.mode, minutes=tuple([15, 30]))
    )
    steep = compute_coverage(
        hilly,
        stations,
        grid,
        AccessModel(mode=hilly.mode, minutes=tuple([15, 30]), terrain=read_terrain(hilly, dem)),
    )
    for t in ("15", "30"):
        assert steep.summary["coverage_by_minutes"][t] < flat.summary["coverage_by_minutes"][t]
    assert steep.summary["mean_minutes"] > flat.summary["mean_minutes"]
    assert steep.summary["terrain"] and not flat.summary["terrain"]
    # the same residents are beyond reach either way: terrain changes times, not access
    assert steep.summary["unreachable_population"] == pytest.approx(
        flat.summary["unreachable_population"]
    )
