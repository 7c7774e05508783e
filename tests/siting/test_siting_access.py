"""Siting and `coverage15 run` share one access model: terrain, edge linking, modes.

A 6 x 6 street grid with 400 m blocks on a hill (a DEM), residents on a 100 m
raster (most of them beside the middle of a segment, so edge linking matters),
stations and candidates off the nodes, two modes. The reference is the engine
itself: the siting's baseline must equal the run's share, each candidate's
coverage set must be what a run with that candidate added covers, and the share a
siting promises must be what the run reports once its sites join the station table.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from fixtures.synthetic import ORIGIN_X, ORIGIN_Y, UTM, make_grid_case
from pyproj import Transformer

from coverage.cli import main
from coverage.compute import compute_coverage
from coverage.config import load_config
from coverage.inputs.population import read_population
from coverage.inputs.read import read_inputs
from coverage.pipeline import access_model, run_coverage
from coverage.siting.coverage_sets import site_coverage

N = 6
BLOCK = 400.0
#: (east, north) offsets in metres from node (0, 0): off the nodes, beside segments
STATIONS = [(430.0, -1210.0)]
CANDIDATES = [(60.0, -30.0), (1650.0, -420.0), (1810.0, -1790.0), (820.0, -1990.0),
              (1200.0, -640.0), (20.0, -1580.0), (1390.0, -1230.0)]  # fmt: skip


def lonlat(points):
    t = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    return [t.transform(ORIGIN_X + dx, ORIGIN_Y + dy) for dx, dy in points]


def write_table(path, prefix, points):
    rows = ["id,name,tier,lon,lat"] + [
        f"{prefix}{i + 1},{prefix} {i + 1},township,{lon:.7f},{lat:.7f}"
        for i, (lon, lat) in enumerate(lonlat(points))
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hill(tmp_path_factory):
    case = make_grid_case(tmp_path_factory.mktemp("hill"), n=N, spacing_m=BLOCK)
    folder = case.folder
    rng = np.random.default_rng(7)
    cells = (N - 1) * 4 + 1  # 100 m cells, centres on the nodes and between them
    counts = rng.integers(0, 20, (cells, cells)).astype(np.float32)
    with rasterio.open(
        folder / "people.tif", "w", driver="GTiff", height=cells, width=cells, count=1,
        dtype="float32", crs=UTM, nodata=-1.0,
        transform=Affine(100.0, 0, ORIGIN_X - 50.0, 0, -100.0, ORIGIN_Y + 50.0),
    ) as dst:  # fmt: skip
        dst.write(counts, 1)
    # a hill rising 120 m to the south-east, 30 m pixels
    size = 90
    yy, xx = np.mgrid[0:size, 0:size] * 30.0
    elevation = 120.0 * np.exp(-(((xx - 1700) ** 2 + (yy - 1500) ** 2) / 900.0**2))
    with rasterio.open(
        folder / "dem.tif", "w", driver="GTiff", height=size, width=size, count=1,
        dtype="float32", crs=UTM,
        transform=Affine(30.0, 0, ORIGIN_X - 300.0, 0, -30.0, ORIGIN_Y + 300.0),
    ) as dst:  # fmt: skip
        dst.write(elevation.astype(np.float32), 1)
    write_table(folder / "stations.csv", "S", STATIONS)
    write_table(folder / "candidates.csv", "C", CANDIDATES)
    lines = [
        "name: hill",
        "stations: stations.csv",
        "population: people.tif",
        f"network: {case.network.name}",
        "modes: [walk, bike]",
        "minutes: [10]",
        "snap_to: edge",
        "dem: dem.tif",
        "max_access_m: 600",
        "cache: false",
    ]
    (folder / "hill.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_each_candidate_covers_what_the_run_covers_with_it(hill):
    config = load_config(hill / "hill.yaml", modes=["walk"])
    inputs = read_inputs(config)
    network = inputs.network
    access = access_model(config, network)
    assert access.terrain is not None and access.snap_to == "edge"
    from coverage.siting.plan import _snapper

    snap = _snapper(network, access)
    demand = inputs.demand
    populated = np.flatnonzero(demand.population > 0)
    t = Transformer.from_crs(demand.crs, network.crs, always_xy=True)
    dx, dy = t.transform(demand.x[populated], demand.y[populated])
    demand_snap = snap(np.asarray(dx), np.asarray(dy), "from_point")
    assert demand_snap.network_s is not None and demand_snap.climb_factor is not None
    cand = pd.read_csv(hill / "candidates.csv")
    cx, cy = Transformer.from_crs("EPSG:4326", network.crs, always_xy=True).transform(
        cand["lon"].to_numpy(), cand["lat"].to_numpy()
    )
    sets = site_coverage(
        network, np.asarray(cx), np.asarray(cy), demand_snap, minutes=10.0,
        access_speed_kmh=config.access_speed_kmh,
        site_snap=snap(np.asarray(cx), np.asarray(cy), "to_point"),
    )  # fmt: skip
    from coverage.inputs.stations import read_stations

    grid = read_population(hill / "people.tif")
    one = read_stations(hill / "candidates.csv")
    differ = 0
    for j in range(len(one)):
        run = compute_coverage(network, one.iloc[[j]], grid, access)
        engine = np.flatnonzero(run.point_minutes[populated] <= 10.0)
        siting = np.sort(sets[j].indices)
        assert siting.tolist() == engine.tolist(), f"candidate {j}"
        flat = site_coverage(
            network, np.asarray(cx)[[j]], np.asarray(cy)[[j]], demand_snap, minutes=10.0,
            access_speed_kmh=config.access_speed_kmh, max_access_m=600.0,
        )  # fmt: skip
        differ += int(flat[0].indices.size != siting.size)
    assert differ > 0  # the flat, node-only legs would have given other sets


@pytest.mark.parametrize("mode", ["walk", "bike"])
def test_siting_promises_what_the_run_reports(hill, tmp_path, mode):
    out = tmp_path / "out"
    code = main(
        ["site", str(hill / "hill.yaml"), "--add", "2", "--mode", mode, "--candidates",
         str(hill / "candidates.csv"), "--out", str(out), "--quiet"]
    )  # fmt: skip
    assert code == 0
    s = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    assert s["mode"] == mode and s["snap_to"] == "edge" and s["terrain"]
    before = run_coverage(load_config(hill / "hill.yaml", modes=[mode]))
    assert s["before"]["coverage_share"] == pytest.approx(before.coverage_share, abs=1e-12)
    sites = pd.read_csv(out / "sites.csv", encoding="utf-8-sig")
    table = pd.read_csv(hill / "stations.csv")
    added = pd.DataFrame(
        {"id": sites["id"], "name": sites["name"], "tier": "township", "lon": sites["lon"],
         "lat": sites["lat"]}
    )  # fmt: skip
    pd.concat([table, added]).to_csv(tmp_path / "with_sites.csv", index=False)
    after = run_coverage(
        load_config(hill / "hill.yaml", modes=[mode], stations=tmp_path / "with_sites.csv")
    )
    assert s["after"]["coverage_share"] == pytest.approx(after.coverage_share, abs=1e-12)
    assert after.coverage_share > before.coverage_share


def test_every_mode_in_turn(hill, tmp_path):
    out = tmp_path / "modes"
    code = main(
        ["site", str(hill / "hill.yaml"), "--add", "1", "--candidates",
         str(hill / "candidates.csv"), "--out", str(out), "--quiet"]
    )  # fmt: skip
    assert code == 0
    walk = json.loads((out / "walk" / "siting.json").read_text(encoding="utf-8"))
    bike = json.loads((out / "bike" / "siting.json").read_text(encoding="utf-8"))
    assert (walk["mode"], bike["mode"]) == ("walk", "bike")
    assert bike["before"]["coverage_share"] > walk["before"]["coverage_share"]
