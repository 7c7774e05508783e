"""Done-when check on a real network: a station list written the way a Chinese county
office writes it (GBK CSV or .xlsx, Chinese headers and tiers, GCJ-02 coordinates) gives
the same coverage as the same stations in clean WGS84.

The real data are the Comoros OSM extract, WorldPop raster and 70 OSM health facilities
(no Chinese county has both an OSM extract and a raster offline). GCJ-02 is defined
for China only: every implementation, and :func:`coverage.inputs.crs.wgs84_to_gcj02` by
default, leaves points outside China unshifted. To exercise the real conversion here the
stations are shifted with ``outside_china="shift"`` (about 1 km at the Comoros) and read
back with the same option.
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest
from pyproj import Geod

from coverage.compute import compute_coverage
from coverage.engine.access import AccessModel
from coverage.inputs.crs import wgs84_to_gcj02
from coverage.inputs.network import load_network
from coverage.inputs.read import load_demand
from coverage.inputs.stations import read_stations

# The Comoros table lists eight sites twice, 1-24 m apart (tests/metrics/test_metrics_duplicates.py)
COMOROS_DUPLICATES = "ignore::coverage.metrics.duplicates.DuplicateStationWarning"

pytestmark = pytest.mark.shared

#: OSM amenity -> the tier a county office would write.
CHINESE_TIER = {
    "hospital": "定点医疗机构",
    "clinic": "乡镇医保服务站",
    "doctors": "村医保服务点",
    "pharmacy": "定点药店",
}
HEADER = ["序号", "站点名称", "层级", "经度", "纬度", "服务事项", "工作人员"]


@pytest.fixture(scope="module")
def comoros(shared_data):
    folder = shared_data / "comoros"
    network = load_network(folder / "comores-latest.osm.pbf")
    demand, population_input, _ = load_demand(
        folder / "com_ppp_2020_UNadj.tif",
        network=network,
        network_path=folder / "comores-latest.osm.pbf",
    )
    clean = read_stations(folder / "health.gpkg")
    return network, demand, population_input, clean


def county_rows(clean):
    gx, gy = wgs84_to_gcj02(clean.geometry.x, clean.geometry.y, outside_china="shift")
    tiers = clean["amenity"].map(CHINESE_TIER).fillna("县级医保服务中心")
    return [
        [i + 1, str(name), tier, float(x), float(y), "参保登记、异地就医备案；缴费", 2]
        for i, (name, tier, x, y) in enumerate(zip(clean["name"], tiers, gx, gy, strict=True))
    ]


def write_gbk_csv(path, rows):
    lines = ["大科摩罗县医保服务点一览表（GCJ-02坐标）", ",".join(HEADER)]
    for r in rows:
        name = str(r[1]).replace('"', '""')
        lines.append(f'{r[0]},"{name}",{r[2]},{r[3]:.8f},{r[4]:.8f},"{r[5]}",{r[6]}')
    # GBK cannot hold every Latin character of the OSM names; a county file would not
    # have them either, so they are replaced the way Excel does when saving as GBK
    path.write_bytes("\r\n".join(lines).encode("gbk", errors="replace"))
    return path


def write_xlsx(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "医保服务点"
    sheet.append(HEADER)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return path


@pytest.mark.filterwarnings(COMOROS_DUPLICATES)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_county_table_matches_clean_wgs84_within_a_tenth_of_a_point(comoros, tmp_path, fmt):
    network, demand, _, clean = comoros
    rows = county_rows(clean)
    path = (write_gbk_csv if fmt == "csv" else write_xlsx)(tmp_path / f"服务点.{fmt}", rows)
    county = read_stations(path, crs="GCJ-02", outside_china="shift")
    assert len(county) == 70
    assert county["tier"].value_counts().to_dict() == {
        "partner-hospital": 28, "partner-pharmacy": 24, "township": 8, "county": 7,
        "village": 3,
    }  # fmt: skip
    moved = Geod(ellps="WGS84").inv(
        county.geometry.x, county.geometry.y, clean.geometry.x, clean.geometry.y
    )[2]
    assert np.max(moved) < 0.5
    a = compute_coverage(network, clean, demand, AccessModel(mode=network.mode)).summary
    b = compute_coverage(network, county, demand, AccessModel(mode=network.mode)).summary
    assert abs(a["coverage_share"] - b["coverage_share"]) < 0.001
    assert a["population_total"] == b["population_total"]
    # 70 facilities reach about 7.4% of the residents on foot within 15 minutes
    assert 0.05 < a["coverage_share"] < 0.10


@pytest.mark.filterwarnings(COMOROS_DUPLICATES)
def test_without_conversion_the_figures_move(comoros, tmp_path):
    network, demand, _, clean = comoros
    path = write_xlsx(tmp_path / "服务点.xlsx", county_rows(clean))
    unconverted = read_stations(path)  # read as if the numbers were WGS84
    a = compute_coverage(network, clean, demand, AccessModel(mode=network.mode)).summary
    b = compute_coverage(network, unconverted, demand, AccessModel(mode=network.mode)).summary
    assert abs(a["coverage_share"] - b["coverage_share"]) > 0.002
    assert abs(a["mean_minutes"] - b["mean_minutes"]) > 1.0


def test_clip_to_the_network_extent_conserves_people(comoros):
    _, demand, population_input, _ = comoros
    assert population_input == pytest.approx(869_595, abs=1.0)
    # the network covers the three islands (and Mayotte), so no one is left out
    assert demand.total == pytest.approx(population_input, rel=1e-12)


def test_people_outside_the_island_polygons_are_said_aloud(comoros, shared_data):
    """With the OSM island boundaries as units, 47,717 WorldPop residents (5.5 %) fall
    outside them (coast cells whose centre is in the sea); the run warns once."""
    import pyrosm
    import shapely

    from coverage.inputs.population import clip_population, read_population
    from coverage.metrics.left_out import PopulationLeftOutWarning, warn_left_out

    network = comoros[0]
    folder = shared_data / "comoros"
    bounds = pyrosm.OSM(str(folder / "comores-latest.osm.pbf")).get_boundaries()
    islands = bounds[bounds["admin_level"].astype(str) == "4"].dissolve(by="name", as_index=False)
    islands = islands.rename(columns={"name": "unit"})[["unit", "geometry"]]
    raster = folder / "com_ppp_2020_UNadj.tif"
    demand, population_input, label = load_demand(
        raster, network=network, network_path=folder / "comores-latest.osm.pbf",
        units={"township": islands},
    )  # fmt: skip
    outside = population_input - demand.total
    # independently: the whole raster read, clipped to the islands' union
    full = read_population(raster)
    kept = clip_population(full, shapely.union_all(islands.geometry.to_numpy()), crs="EPSG:4326")
    assert population_input == pytest.approx(full.total, rel=1e-12)  # the islands' box holds all
    assert demand.total == pytest.approx(kept.total, rel=1e-12)
    assert round(outside) == 47_717 and round(outside / population_input, 3) == 0.055
    summary = {"population_input": population_input, "population_outside_study_area": outside,
               "population_total": demand.total, "study_area": label}  # fmt: skip
    with pytest.warns(PopulationLeftOutWarning, match=r": 47,717 residents \(5\.5% of the 869,595"):
        warn_left_out(summary, source=str(raster))
