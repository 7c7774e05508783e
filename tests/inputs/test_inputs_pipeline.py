"""Planners' inputs through run_coverage on the hand-solvable grid: Chinese station tables
in GCJ-02, two levels of units, population groups, village tables and clipping."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
import rasterio
import shapely
from affine import Affine
from fixtures.synthetic import ORIGIN_X, ORIGIN_Y, UTM, lattice_lonlat

from coverage import load_config, run_coverage, write_outputs
from coverage.errors import InputError
from coverage.inputs.crs import wgs84_to_bd09, wgs84_to_gcj02
from coverage.metrics.left_out import PopulationLeftOutWarning


def add_config(case, *lines, drop=()):
    text = case.config.read_text(encoding="utf-8").splitlines()
    text = [t for t in text if not any(t.startswith(d) for d in drop)]
    case.config.write_text("\n".join([*text, *lines]) + "\n", encoding="utf-8")
    return load_config(case.config)


def write_raster(path, counts, spacing_m, *, pad=0):
    """People per cell on the lattice, optionally with ``pad`` extra cells on every side."""
    transform = Affine(spacing_m, 0, ORIGIN_X - spacing_m / 2 - pad * spacing_m, 0, -spacing_m,
                       ORIGIN_Y + spacing_m / 2 + pad * spacing_m)  # fmt: skip
    with rasterio.open(path, "w", driver="GTiff", height=counts.shape[0], width=counts.shape[1],
                       count=1, dtype="float32", crs=UTM, transform=transform,
                       nodata=-99999.0) as dst:  # fmt: skip
        dst.write(counts.astype(np.float32), 1)
    return path


def county_station_table(case, path, *, system="GCJ-02", fmt="csv"):
    """The case's stations as a county office writes them: Chinese headers and tiers."""
    lon, lat = lattice_lonlat(case.n, case.spacing_m)
    x = np.array([lon[r, c] for r, c in case.station_nodes])
    y = np.array([lat[r, c] for r, c in case.station_nodes])
    x, y = (wgs84_to_gcj02 if system == "GCJ-02" else wgs84_to_bd09)(x, y)
    tiers = ["乡镇医保服务站", "村医保服务点", "医银合作", "定点药店"]
    header = ["序号", "站点名称", "层级", "经度", "纬度", "服务事项", "工作人员"]
    rows = [
        [str(i + 1), f"第{i + 1}服务点", tiers[i % 4], f"{x[i]:.8f}", f"{y[i]:.8f}",
         "参保登记、缴费", str(i + 2)]
        for i in range(len(x))
    ]  # fmt: skip
    if fmt == "csv":
        lines = ["某县医保服务点一览表", ",".join(header), *(",".join(r) for r in rows)]
        path.write_bytes("\r\n".join(lines).encode("gbk"))
    else:
        book = openpyxl.Workbook()
        book.active.append(header)
        for r in rows:
            book.active.append([*r[:3], float(r[3]), float(r[4]), r[5], int(r[6])])
        book.save(path)
    return path


@pytest.mark.parametrize(("system", "fmt"), [("GCJ-02", "csv"), ("BD-09", "xlsx")])
def test_county_station_table_gives_the_clean_result(grid_case, tmp_path, system, fmt):
    case = grid_case(station_nodes=[(0, 0), (4, 4), (1, 3)], minutes=[3.0, 5.0])
    clean = run_coverage(load_config(case.config))
    table = county_station_table(case, case.folder / f"服务点.{fmt}", system=system, fmt=fmt)
    config = add_config(case, f"stations: {table.name}", f"stations_crs: {system}",
                        drop=("stations:",))  # fmt: skip
    county = run_coverage(config)
    for key in ("population_total", "coverage_share", "population_covered"):
        assert county.summary[key] == pytest.approx(clean.summary[key], rel=1e-12)
    assert county.summary["population_covered"] == pytest.approx(case.covered(5.0))
    # the round trip puts each station within millimetres of its node: 1e-4 min is 8 mm
    assert county.summary["mean_minutes"] == pytest.approx(clean.summary["mean_minutes"], abs=1e-4)
    np.testing.assert_allclose(county.point_minutes, clean.point_minutes, atol=1e-4)
    table = county.stations_table()
    assert table["tier"].tolist() == ["township", "village", "partner-bank"]
    assert table["services"].tolist() == ["参保登记|缴费"] * 3
    assert table["staff"].tolist() == [2, 3, 4]
    # read as if WGS84, the same file puts the stations hundreds of metres off
    wrong = run_coverage(config.replace(stations_crs="EPSG:4326"))
    assert wrong.summary["mean_minutes"] > clean.summary["mean_minutes"] + 1.0


def test_two_levels_and_groups_in_unit_tables(grid_case, tmp_path):
    case = grid_case(station_nodes=[(0, 0), (4, 4)], boundaries=True, minutes=5.0)
    old = np.floor(case.counts / 4.0)  # people aged 65+ per cell
    write_raster(case.folder / "age65.tif", old, case.spacing_m)
    half = ORIGIN_Y - 2.5 * case.spacing_m  # between rows 2 and 3 (row r is at y0 - r * s)
    west, east = gpd.read_file(case.boundaries).to_crs(UTM).geometry
    villages = gpd.GeoDataFrame(
        {"村名": ["西北村", "西南村", "东村"]},
        geometry=[
            west.intersection(shapely.box(0, half, 1e7, 1e8)),
            west.intersection(shapely.box(0, 0, 1e7, half)),
            east,
        ],
        crs=UTM,
    )
    villages.to_file(case.folder / "villages.gpkg")
    config = add_config(
        case,
        "boundaries: {township: units.geojson, village: villages.gpkg}",
        "boundaries_name: {township: name, village: 村名}",
        "population: {raster: population.tif, groups: {age_65_plus: age65.tif}}",
        drop=("boundaries", "population"),
    )
    result = run_coverage(config)
    covered = case.node_minutes() <= 5.0
    town = result.units["township"].set_index("unit")
    village = result.units["village"].set_index("unit")
    assert town.loc["west", "age_65_plus_population"] == old[:, :2].sum()
    assert town.loc["west", "age_65_plus_population_covered"] == old[:, :2][covered[:, :2]].sum()
    assert village.loc["西北村", "population"] == case.counts[:3, :2].sum()
    assert village.loc["西南村", "population_covered"] == case.counts[3:, :2][covered[3:, :2]].sum()
    assert village.loc["东村", "age_65_plus_coverage_share"] == pytest.approx(
        old[:, 2:][covered[:, 2:]].sum() / old[:, 2:].sum()
    )
    group = result.summary["groups"]["age_65_plus"]
    assert group["population_total"] == old.sum()
    assert group["covered_by_minutes"]["5"] == old[covered].sum()
    files = write_outputs(result, tmp_path / "out")
    assert files["units_township"].name == "units_township.csv"
    village_csv = files["units_village"].read_text(encoding="utf-8-sig")
    assert "age_65_plus_population_covered" in village_csv.splitlines()[0]
    assert "西北村" in village_csv
    summary = json.loads(files["summary"].read_text(encoding="utf-8"))
    assert summary["inputs"]["boundaries"]["village"].endswith("villages.gpkg")
    assert summary["population_outside_study_area"] == 0


def test_clip_to_network_extent_and_people_beyond_reach(grid_case):
    case = grid_case(minutes=5.0)
    pad = 3
    big = np.ones((case.n + 2 * pad, case.n + 2 * pad))
    big[pad:-pad, pad:-pad] = case.counts
    write_raster(case.folder / "wide.tif", big, case.spacing_m, pad=pad)
    # bbox of the network + 250 m keeps the first ring of extra cells (200 m out) only;
    # its four corner cells are 283 m from the nearest road node, beyond max_access_m
    config = add_config(case, "population: wide.tif", "max_access_m: 250", drop=("population",))
    with pytest.warns(PopulationLeftOutWarning) as said:
        s = run_coverage(config).summary
    ring = (case.n + 2) ** 2 - case.n**2
    # only the cells touching the study area's box (the first ring) and one more ring
    # are read: the third ring never is
    read = big[1:-1, 1:-1].sum()
    assert s["population_input"] == read == big.sum() - 4 * (case.n + 2 * pad - 1)
    assert s["population_total"] == case.counts.sum() + ring
    assert s["population_outside_study_area"] == read - case.counts.sum() - ring
    assert s["population_beyond_network_reach"] == 4
    assert s["unreachable_population"] == 4
    assert s["study_area"] == "network extent"
    # both groups said aloud once, with people and share of the input (381 people read)
    assert s["population_outside_study_area_share"] == 32 / 381
    assert s["population_beyond_network_reach_share"] == 4 / 381
    texts = sorted(
        str(w.message).split(": ", 1)[1]
        for w in said
        if isinstance(w.message, PopulationLeftOutWarning)
    )
    assert texts == [
        "32 residents (8.4% of the 381 in the population input) live outside the study area "
        "(network extent) and are left out of every figure; check that the boundaries cover "
        "the county's population, or ignore this if the raster reaches beyond the county",
        "4 residents (1.0% of the 381 in the population input) live farther than 250 m from "
        "any road and count as unreachable; check that the network covers them or raise "
        "max_access_m",
    ]


def test_clip_to_boundaries(grid_case):
    case = grid_case(boundaries=True, minutes=5.0)
    west = gpd.read_file(case.boundaries).iloc[[0]]
    west.to_file(case.folder / "west.geojson")
    config = add_config(case, "boundaries: west.geojson", drop=("boundaries:",))
    with pytest.warns(PopulationLeftOutWarning, match=r"65 residents \(36.1% of the 180 "):
        s = run_coverage(config).summary
    # the window read: the cells touching the west unit's box (columns 0-1) and one more
    assert s["population_input"] == case.counts[:, :3].sum()
    assert s["population_total"] == case.counts[:, :2].sum()
    assert s["population_outside_study_area"] == case.counts[:, 2].sum()
    assert s["study_area"] == "boundaries"


def test_village_population_table(grid_case, tmp_path):
    case = grid_case(minutes=5.0)
    lon, lat = lattice_lonlat(case.n, case.spacing_m)
    picks = [(0, 0), (2, 3), (4, 4), (1, 2)]
    x = np.array([lon[p] for p in picks])
    y = np.array([lat[p] for p in picks])
    gx, gy = wgs84_to_gcj02(x, y)
    lines = ["村名,经度,纬度,常住人口,65岁以上"]
    lines += [f"村{i},{a:.8f},{b:.8f},{100 * (i + 1)},{10 * (i + 1)}"
              for i, (a, b) in enumerate(zip(gx, gy, strict=True))]  # fmt: skip
    (case.folder / "村人口.csv").write_bytes("\n".join(lines).encode("gb18030"))
    config = add_config(
        case,
        "population: {points: 村人口.csv, crs: GCJ-02, groups: {age_65_plus: 65岁以上}}",
        drop=("population",),
    )
    result = run_coverage(config)
    s = result.summary
    minutes = case.node_minutes()
    expected = sum(100 * (i + 1) for i, p in enumerate(picks) if minutes[p] <= 5.0)
    assert s["population_total"] == 1000
    # centre station, 2 min a block: villages 1 and 3 (one block away) are covered
    assert s["population_covered"] == expected == 200 + 400
    assert s["groups"]["age_65_plus"]["covered_by_minutes"]["5"] == 20 + 40
    assert s["study_area"] == "population table"
    assert result.demand.labels.tolist() == ["村0", "村1", "村2", "村3"]
    files = write_outputs(result, tmp_path / "out")
    # no raster: no travel_time.tif (isochrones on a metric grid); the presentation files
    assert {k for k in files if not k.startswith("licence_")} == {
        "summary", "stations", "map", "isochrones", "map_png", "report", "units_xlsx", "gpkg"
    }  # fmt: skip
    assert files["map"].stat().st_size > 0


def test_from_buildings_needs_a_pbf(grid_case):
    case = grid_case(fmt="xml")
    config = add_config(case, "population: {from_buildings: true, total: 1000}",
                        drop=("population",))  # fmt: skip
    with pytest.raises(InputError, match=r"from_buildings reads buildings from an \.osm\.pbf"):
        run_coverage(config)


def test_from_buildings_scaled_to_the_county_total(tmp_path):
    from coverage.datasets import demo_extract, prepare_demo

    config = load_config(prepare_demo(tmp_path))
    config = config.replace(
        population={"from_buildings": True, "total": 248866, "cell_size_m": 250}
    )
    s = run_coverage(config).summary
    assert s["population_total"] == pytest.approx(248866, rel=1e-9)
    assert s["population_input"] == pytest.approx(248866, rel=1e-9)  # all inside the extent
    assert s["inputs"]["population"].startswith("modelled from OSM buildings (250 m grid")
    assert config.network == demo_extract()


def test_national_raster_gives_the_county_raster_demand(grid_case):
    """The county's cells read from a raster 21 times its extent (other people all around)
    give the same demand and figures as the raster cut to the county."""
    case = grid_case(boundaries=True, minutes=5.0)
    county = run_coverage(load_config(case.config))
    pad = 9  # (5 + 18)^2 = 529 cells, 21x the county's 25
    rng = np.random.default_rng(3)
    big = rng.integers(1, 50, size=(case.n + 2 * pad,) * 2).astype(float)
    big[pad:-pad, pad:-pad] = case.counts
    write_raster(case.folder / "national.tif", big, case.spacing_m, pad=pad)
    config = add_config(case, "population: national.tif", drop=("population",))
    with pytest.warns(PopulationLeftOutWarning, match="outside the study area"):
        national = run_coverage(config)
    a, b = county.demand, national.demand
    assert np.array_equal(a.population, b.population)
    np.testing.assert_allclose(a.x, b.x, rtol=0, atol=1e-6)
    np.testing.assert_allclose(a.y, b.y, rtol=0, atol=1e-6)
    for key in ("population_total", "population_covered", "coverage_share"):
        assert national.summary[key] == county.summary[key]
    # the window read: the county's 5 x 5 cells and one ring (two on the sides where the
    # units' edges fall on cell borders, up to rounding), not the 23 x 23 file
    ring = {r: big[pad - r : big.shape[0] - pad + r, pad - r : big.shape[1] - pad + r].sum()
            for r in (1, 2)}  # fmt: skip
    assert ring[1] <= national.summary["population_input"] <= ring[2] < big.sum() / 5
