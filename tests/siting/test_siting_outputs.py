"""The siting outputs for officials: map page (offline, in Chromium), print map, report,
workbook and package, in Chinese and English, on the town of 12 villages."""

from __future__ import annotations

import json
import shutil
import zipfile

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from outputs.outputs_helpers import PAYLOAD_JINJA, PAYLOAD_SCRIPT, colour_pixels, probe_page
from shapely.geometry import Point
from test_siting_targets import town  # noqa: F401 (the module fixture)

from coverage.cli import main
from coverage.siting.naming import name_sites
from coverage.siting.sitemap import SITE_COLOUR, UNIT_COLOURS


@pytest.fixture(scope="module")
def sited(town, tmp_path_factory):  # noqa: F811 (the fixture imported above)
    """`site --meet-targets 2024 --package` in Chinese, with a hostile candidate name."""
    folder = tmp_path_factory.mktemp("sited")
    config = folder / "zh.yaml"
    text = town.config.read_text(encoding="utf-8").replace("name: grid", "name: 试点县")
    config.write_text(text + "lang: zh\nbasemap: osm\n", encoding="utf-8")
    for name in ("township.geojson", "village.geojson", "grid.osm.pbf", "population.tif",
                 "stations.csv"):  # fmt: skip
        shutil.copy(town.folder / name, folder / name)
    rows = (town.folder / "candidates.csv").read_text(encoding="utf-8").splitlines()
    hostile = f"{PAYLOAD_SCRIPT} {PAYLOAD_JINJA}"
    rows = [rows[0]] + [r.replace("Site C4", hostile) for r in rows[1:]]
    (folder / "candidates.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = folder / "out"
    code = main(
        ["site", str(config), "--meet-targets", "2024", "--candidates",
         str(folder / "candidates.csv"), "--out", str(out), "--quiet", "--package"]
    )  # fmt: skip
    assert code == 0
    return out


def test_every_file_is_written_and_packaged(sited):
    names = {p.name for p in sited.iterdir()}
    assert {"sites.csv", "sites.geojson", "siting.json", "criticality.csv", "sites.html",
            "sites.png", "siting_report.html", "sites.xlsx"} <= names  # fmt: skip
    archive = sited / "试点县.zip"
    with zipfile.ZipFile(archive) as z:
        inside = {n.split("/", 1)[1] for n in z.namelist()}
    assert {"sites.html", "sites.png", "siting_report.html", "sites.xlsx", "README.txt"} <= inside


def test_the_hostile_site_name_is_shown_not_run(sited):
    sites = pd.read_csv(sited / "sites.csv", encoding="utf-8-sig")
    assert f"{PAYLOAD_SCRIPT} {PAYLOAD_JINJA}" in set(sites["name"])  # chosen, kept as data
    for page in ("sites.html", "siting_report.html"):
        text = (sited / page).read_text(encoding="utf-8")
        assert "42ran" not in text and "6*7" in text, page


def test_report_and_workbook_in_chinese(sited):
    summary = json.loads((sited / "siting.json").read_text(encoding="utf-8"))
    sites = pd.read_csv(sited / "sites.csv", encoding="utf-8-sig")
    page = (sited / "siting_report.html").read_text(encoding="utf-8")
    assert "新增站点选址报告" in page and "各层级新增前后对比" in page and "data:image/png" in page
    assert "满足 2024 年全部目标所需的最少新增站点" in page
    assert PAYLOAD_SCRIPT not in page  # escaped
    for village in sites["village"]:
        assert village in page
    village = summary["units"]["village"]
    assert (
        f"<td>{village['units_covered_before']}</td><td>{village['units_covered_after']}</td>"
        in page
    )
    book = openpyxl.load_workbook(sited / "sites.xlsx")
    assert book.sheetnames[:2] == ["概况", "拟新增站点"]
    ws = book["拟新增站点"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["序号", "名称", "类型"] and "因该站点达标的单元" in header
    people = header.index("新增覆盖人数")
    added = [row[people] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert sum(added) == pytest.approx(summary["newly_covered_population"], abs=len(added))
    assert ws.max_row - 1 == summary["sites_added"]


@pytest.fixture(scope="module")
def chromium():
    exe = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
    if exe is None:
        pytest.skip("headless Chromium is missing (apt-get install chromium)")
    return exe


@pytest.mark.browser
def test_sites_page_works_offline(sited, chromium, tmp_path):
    from pathlib import Path

    shot = Path(__file__).resolve().parents[2] / "out" / "test-screenshots" / "sites-zh.png"
    seen = probe_page(chromium, sited / "sites.html", tmp_path, shot=shot)
    summary = json.loads((sited / "siting.json").read_text(encoding="utf-8"))
    assert seen["errors"] == [] and seen["pwned"] is None
    assert seen["containers"] == 1 and seen["legend"] is True
    assert seen["layerNames"][:2] == ["单元（乡镇）", "单元（村）"]
    assert "拟新增站点（按优先顺序编号）" in seen["layerNames"]
    assert seen["overlays"] >= 12 + 3 + 1  # villages, townships, the station
    assert seen["notice"] == "block"  # tiles cannot load offline: said discreetly
    html = (sited / "sites.html").read_text(encoding="utf-8")
    assert html.count("coverage15-site") >= summary["sites_added"]
    assert colour_pixels(shot, SITE_COLOUR) > 50 * summary["sites_added"]
    assert colour_pixels(shot, UNIT_COLOURS["brought"], tolerance=0.15) > 1000


def test_print_map_shows_sites_and_units(sited):
    summary = json.loads((sited / "siting.json").read_text(encoding="utf-8"))
    png = sited / "sites.png"
    assert colour_pixels(png, SITE_COLOUR) > 30 * summary["sites_added"]
    assert colour_pixels(png, UNIT_COLOURS["brought"]) > 1000


def test_nameless_sites_are_named_by_unit_and_place():
    sites = gpd.GeoDataFrame(
        {"id": ["gap/7", "node/3", "node/4"],
         "name": ["gap cell 7 (40 people)", "clinic node/3", "Dispensaire"],
         "type": ["gap", "clinic", "clinic"], "township": ["T1", "T1", "T2"],
         "village": ["V1", "", "V9"]},
        geometry=[Point(43.25, -11.70), Point(43.30, -11.70), Point(43.40, -11.70)],
        crs="EPSG:4326",
    )  # fmt: skip
    places = gpd.GeoDataFrame(
        {"name": ["Bangoi", "Itsandra"], "place": ["village", "town"]},
        geometry=[Point(43.252, -11.70), Point(43.31, -11.70)], crs="EPSG:4326",
    )  # fmt: skip
    named = name_sites(sites, places, units={"township": None, "village": None})
    assert named["name"].tolist() == [
        "V1 / Bangoi 0.2 km",
        "T1 / Itsandra 1.1 km",  # no village: the township names it
        "Dispensaire",  # a real name stays
    ]
    assert named["near_place"].tolist() == ["Bangoi", "Itsandra", "Itsandra"]


def test_sites_in_the_geopackage(sited):
    """outputs.gpkg: the sites, the stations and each unit level, as in the GeoJSON/CSV."""
    import pyogrio

    layers = [name for name, _ in pyogrio.list_layers(sited / "outputs.gpkg")]
    assert layers[:2] == ["sites", "stations"] and "units_village" in layers
    sites = gpd.read_file(sited / "outputs.gpkg", layer="sites")
    web = gpd.read_file(sited / "sites.geojson")
    table = pd.read_csv(sited / "sites.csv", encoding="utf-8-sig")
    assert len(sites) == len(web) == len(table)
    assert sites.crs.to_epsg() == 4326
    assert abs(sites.geometry.x - web.geometry.x).max() < 1e-9
    assert abs(sites.geometry.y - web.geometry.y).max() < 1e-9
    assert list(sites["name"]) == list(web["name"])


def test_named_places_are_read_from_the_extract(tmp_path):
    import osmium
    from osmium.osm.mutable import Node

    from coverage.siting.naming import osm_places

    path = tmp_path / "places.osm.pbf"
    writer = osmium.SimpleWriter(str(path))
    try:
        writer.add_node(
            Node(id=1, location=(43.25, -11.70), tags={"place": "village", "name": "Bangoi"})
        )
        writer.add_node(Node(id=2, location=(43.26, -11.70), tags={"place": "village"}))  # no name
        writer.add_node(Node(id=3, location=(43.27, -11.70), tags={"amenity": "bank", "name": "B"}))
        writer.add_node(Node(id=4, location=(43.28, -11.70), tags={"place": "town", "name": "镇"}))
    finally:
        writer.close()
    places = osm_places(path)
    assert places["name"].tolist() == ["Bangoi", "镇"]
    assert places["place"].tolist() == ["village", "town"]
    assert osm_places(tmp_path / "roads.shp").empty
