"""Every bad input: exit code 2, one line ``error: ...`` naming the file/row/field and the
fix, no traceback, and the output folder left exactly as it was."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio

from coverage.cli import main
from coverage.outputs.folder import MANIFEST_NAME

Mutation = Callable[[Path], None]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    from fixtures.synthetic import make_grid_case

    return make_grid_case(tmp_path_factory.mktemp("bad-inputs"), boundaries=True)


@pytest.fixture
def folder(base, tmp_path) -> Path:
    target = tmp_path / "case"
    shutil.copytree(base.folder, target)
    return target


def _config(folder: Path, old: str, new: str) -> None:
    path = folder / "grid.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _append_config(folder: Path, line: str) -> None:
    path = folder / "grid.yaml"
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")


def _stations(folder: Path, text: str) -> None:
    (folder / "stations.csv").write_text(text, encoding="utf-8")


def _station_column(folder: Path, header: str, value: str) -> None:
    path = folder / "stations.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [f"{lines[0]},{header}", *(f"{line},{value}" for line in lines[1:])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _station_row(folder: Path, row: str) -> None:
    path = folder / "stations.csv"
    path.write_text(path.read_text(encoding="utf-8") + row + "\n", encoding="utf-8")


def _raster(
    folder: Path,
    data: np.ndarray | None = None,
    *,
    crs: bool = True,
    shift_m: float = 0.0,
    nodata: float | None = -99999.0,
) -> None:
    path = folder / "population.tif"
    with rasterio.open(path) as src:
        values, profile = src.read(1), src.profile
    if data is not None:
        values = data.astype("float32")
    if not crs:
        profile.pop("crs")
    t = profile["transform"]
    profile["transform"] = rasterio.Affine(t.a, t.b, t.c + shift_m, t.d, t.e, t.f)
    profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)


def _multiband(folder: Path) -> None:
    """The population raster as a 3-band image (e.g. an RGB export)."""
    path = folder / "population.tif"
    with rasterio.open(path) as src:
        values, profile = src.read(1), src.profile
    profile["count"] = 3
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.stack([values] * 3))


def _infinite(folder: Path, value: float) -> None:
    with rasterio.open(folder / "population.tif") as src:
        values = src.read(1).astype("float32")
    values[2, 3] = value
    _raster(folder, values)


def _all_nodata_dem(folder: Path) -> None:
    with rasterio.open(folder / "population.tif") as src:
        profile = src.profile
    profile.update(nodata=-32768.0)
    with rasterio.open(folder / "dem.tif", "w", **profile) as dst:
        dst.write(np.full((profile["height"], profile["width"]), -32768.0, "float32"), 1)
    _append_config(folder, "dem: dem.tif")


def _totals(folder: Path, rows: str | None, level: str = "unit") -> None:
    """Official totals for the run; ``rows`` None leaves the table unwritten."""
    if rows is not None:
        text = "县第七次人口普查\n乡镇,常住人口\n" + rows
        (folder / "七普.csv").write_bytes(text.encode("gb18030"))
    _config(
        folder,
        "population: population.tif",
        "population: {raster: population.tif, totals: {file: 七普.csv, level: "
        f"{level}, column: 常住人口, unit_column: 乡镇}}}}",
    )


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _xml_network(folder: Path, xml: str) -> None:
    (folder / "bad.osm").write_text(xml, encoding="utf-8")
    _config(folder, "network: grid.osm.pbf", "network: bad.osm")


def _geojson(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


POINTS_GEOJSON = (
    '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"a"},'
    '"geometry":{"type":"Point","coordinates":[118.1,28.1]}}]}'
)
POLYGON_STATIONS = (
    '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a"},'
    '"geometry":{"type":"Polygon","coordinates":[[[118,28],[118.1,28],[118.1,28.1],[118,28]]]}}]}'
)
EMPTY_GEOJSON = '{"type":"FeatureCollection","features":[]}'


def _truncated_xlsx(folder: Path) -> None:
    import pandas as pd

    table = pd.read_csv(folder / "stations.csv")
    table.to_excel(folder / "stations.xlsx", index=False)
    _truncate(folder / "stations.xlsx", 0.6)
    _config(folder, "stations.csv", "stations.xlsx")


def _shapefile_without_prj(folder: Path) -> None:
    import geopandas as gpd

    units = gpd.read_file(folder / "units.geojson")
    units.to_file(folder / "units.shp")
    (folder / "units.prj").unlink()
    _config(folder, "boundaries: units.geojson", "boundaries: units.shp")


def _far_boundaries(folder: Path) -> None:
    import geopandas as gpd
    from shapely.affinity import translate

    units = gpd.read_file(folder / "units.geojson")
    units["geometry"] = units.geometry.map(lambda g: translate(g, xoff=2.0))
    units.to_file(folder / "units.geojson", driver="GeoJSON")


def _out_is_a_file(folder: Path) -> None:
    (folder / "blocked").write_text("not a folder", encoding="utf-8")
    _append_config(folder, "out: blocked/inner")


def _points_with_two_population_columns(folder: Path) -> None:
    (folder / "pts.csv").write_text(
        "name,lon,lat,人口,常住人口\nA,119.0397736,28.0967463,100,90\n", encoding="utf-8"
    )
    _config(folder, "population: population.tif", "population: {points: pts.csv}")


# (id, mutation, words the one-line message must contain)
CASES: list[tuple[str, Mutation, tuple[str, ...]]] = [
    # --- configuration
    ("config-unknown-key", lambda f: _append_config(f, "minuts: 10"),
     ("grid.yaml", "unknown key 'minuts'", "did you mean 'minutes'")),
    ("config-missing-key", lambda f: _config(f, "network: grid.osm.pbf\n", ""),
     ("grid.yaml", "missing key 'network'")),
    ("config-minutes-text", lambda f: _config(f, "minutes: [5]", "minutes: soon"),
     ("grid.yaml", "'minutes'", "number")),
    ("config-minutes-negative", lambda f: _config(f, "minutes: [5]", "minutes: [-5]"),
     ("grid.yaml", "'minutes'", "above 0", "got -5")),
    ("config-speed-zero", lambda f: _config(f, "speed_kmh: 6.0", "speed_kmh: 0"),
     ("grid.yaml", "'speed_kmh'", "above 0", "got 0")),
    ("config-mode-unknown", lambda f: _append_config(f, "mode: rocket"),
     ("grid.yaml", "'mode'", "walk")),
    ("config-crs-unknown", lambda f: _append_config(f, "stations_crs: EPSG:999999"),
     ("grid.yaml", "'stations_crs'", "EPSG:4326")),
    ("config-invalid-yaml", lambda f: _append_config(f, "name: [unclosed"),
     ("grid.yaml", "not valid YAML", "line")),
    ("config-not-mapping", lambda f: (f / "grid.yaml").write_text("- a\n- b\n"),
     ("grid.yaml", "mapping")),
    ("config-empty", lambda f: (f / "grid.yaml").write_text(""),
     ("grid.yaml", "missing key 'stations'")),
    ("config-python-tag", lambda f: _append_config(f, "x: !!python/object/apply:os.system [ls]"),
     ("grid.yaml", "not valid YAML")),
    ("config-name-escapes", lambda f: _config(f, "name: grid", "name: ../../elsewhere"),
     ("grid.yaml", "'name'", "folder name")),
    ("config-wrong-type-path", lambda f: _config(f, "stations: stations.csv", "stations: [1, 2]"),
     ("grid.yaml", "'stations'", "text")),
    # --- numeric bounds: the value is quoted as written in the file
    ("config-minutes-above-a-day", lambda f: _config(f, "minutes: [5]", "minutes: 1e9"),
     ("grid.yaml", "'minutes'", "at most 1440 min (a day)", "got 1e9")),
    ("config-minutes-infinite", lambda f: _config(f, "minutes: [5]", "minutes: [5, .inf]"),
     ("grid.yaml", "'minutes'", "finite", "got .inf")),
    ("config-minutes-nan", lambda f: _config(f, "minutes: [5]", "minutes: .nan"),
     ("grid.yaml", "'minutes'", "finite")),
    ("config-cell-below-a-metre", lambda f: _append_config(f, "isochrone_cell_m: 0.01"),
     ("grid.yaml", "'isochrone_cell_m'", "at least 1", "got 0.01")),
    ("config-access-too-long", lambda f: _append_config(f, "max_access_m: 2E+6"),
     ("grid.yaml", "'max_access_m'", "at most 100000 m", "got 2E+6")),
    ("config-access-speed-zero", lambda f: _append_config(f, "access_speed_kmh: 0"),
     ("grid.yaml", "'access_speed_kmh'", "above 0", "got 0")),
    ("config-class-speed-absurd", lambda f: _append_config(f, "speeds_kmh: {residential: 1e4}"),
     ("grid.yaml", "'speeds_kmh'", "'residential'", "at most 200 km/h", "got 1e4")),
    ("config-speed-negative-infinite", lambda f: _config(f, "speed_kmh: 6.0", "speed_kmh: -.inf"),
     ("grid.yaml", "'speed_kmh'", "finite", "got -.inf")),
    ("config-share-above-one", lambda f: _append_config(f, "unit_covered_share: 90"),
     ("grid.yaml", "'unit_covered_share'", "share in (0, 1]", "got 90")),
    ("config-ferry-wait-two-days", lambda f: _append_config(f, "ferry_wait_minutes: 2880"),
     ("grid.yaml", "'ferry_wait_minutes'", "at most 1440 min (a day)", "got 2880")),
    ("config-gap-population-infinite", lambda f: _append_config(f, "gap_min_population: .inf"),
     ("grid.yaml", "'gap_min_population'", "finite", "got .inf")),
    ("config-building-cell-tiny", lambda f: _config(
        f, "population: population.tif",
        "population: {from_buildings: true, total: 1000, cell_size_m: 0.001}"),
     ("grid.yaml", "'population'", "cell_size_m", "at least 1", "got 0.001")),
    ("config-metric-crs-degrees", lambda f: _append_config(f, "metric_crs: EPSG:4326"),
     ("grid.yaml", "'metric_crs'", "projected CRS in metres", "degrees", "local UTM")),
    ("config-metric-crs-web-mercator", lambda f: _append_config(f, "metric_crs: 3857"),
     ("grid.yaml", "'metric_crs'", "Mercator", "stretched")),
    ("config-metric-crs-feet", lambda f: _append_config(f, "metric_crs: EPSG:2263"),
     ("grid.yaml", "'metric_crs'", "foot")),
    # --- duplicate keys: the last used to win silently
    ("config-duplicate-key", lambda f: _append_config(f, "minutes: 10"),
     ("grid.yaml", "line 9", "'minutes' is given twice", "line 6", "keep one")),
    ("config-duplicate-nested-key", lambda f: _config(
        f, "population: population.tif",
        "population: {raster: population.tif, raster: other.tif}"),
     ("grid.yaml", "line 3", "'raster' is given twice")),
    # --- station headers that could be read two ways
    ("stations-case-twin-headers", lambda f: _stations(
        f, "id,name,tier,lon,lat,Lon\nS1,A,township,119.0397736,28.0967463,5\n"),
     ("stations.csv", "'lon' and 'Lon'", "delete or rename one")),
    ("stations-alias-twin-headers", lambda f: _stations(
        f, "id,name,tier,lon,lat,纬度\nS1,A,township,119.0397736,28.0967463,5\n"),
     ("stations.csv", "'lat' and '纬度'", "stations_columns: {lat: lat}")),
    ("population-points-alias-twin-headers", _points_with_two_population_columns,
     ("pts.csv", "'人口' and '常住人口'", "population: columns")),
    # --- stations
    ("stations-missing", lambda f: (f / "stations.csv").unlink(),
     ("stations.csv", "not found", "'stations'")),
    ("stations-empty-file", lambda f: _stations(f, ""), ("stations.csv", "empty")),
    # only separators: found by the CSV fuzz test (it raised IndexError)
    ("stations-only-separators", lambda f: _stations(f, "\n,\n,,\n"), ("stations.csv", "empty")),
    ("stations-header-only", lambda f: _stations(f, "id,name,tier,lon,lat\n"),
     ("stations.csv", "no rows")),
    ("stations-no-coordinates", lambda f: _stations(f, "id,name\nA,B\n"),
     ("stations.csv", "no coordinate columns", "lon and lat")),
    ("stations-text-coordinate", lambda f: _station_row(f, "B,Bad,village,east,28.1"),
     ("stations.csv", "row 3", "'lon'", "not a number")),
    ("stations-missing-coordinate", lambda f: _station_row(f, "B,Bad,village,118.9,"),
     ("stations.csv", "row 3", "'lat'", "empty")),
    ("stations-duplicate-id", lambda f: _station_row(f, "S1,Twin,village,118.9,28.1"),
     ("stations.csv", "rows 2, 3", "duplicate station id 'S1'")),
    ("stations-projected-as-degrees", lambda f: _station_row(f, "P,Metres,village,700000,3110000"),
     ("stations.csv", "row 3", "projected metres", "stations_crs")),
    ("stations-swapped", lambda f: _station_row(f, "W,Swapped,village,28.09,118.90"),
     ("stations.csv", "row 3", "swapped", "exchange")),
    ("stations-swapped-in-range", lambda f: _station_row(f, "V,Swapped,village,28.09,88.9"),
     ("stations.csv", "'V'", "row 3", "outside the road network")),
    ("stations-outside-network", lambda f: _station_row(f, "F,Far,village,121.5,31.2"),
     ("stations.csv", "'F'", "outside the road network")),
    ("stations-unknown-type", lambda f: (
        (f / "stations.docx").write_text("x"), _config(f, "stations.csv", "stations.docx")),
     ("stations.docx", "unknown station file type")),
    ("stations-folder", lambda f: (
        (f / "stations.csv").unlink(), (f / "stations.csv").mkdir()),
     ("stations.csv", "not found")),
    ("stations-polygons", lambda f: (
        _geojson(f, "st.geojson", POLYGON_STATIONS), _config(f, "stations.csv", "st.geojson")),
     ("st.geojson", "must be points")),
    ("stations-no-features", lambda f: (
        _geojson(f, "st.geojson", EMPTY_GEOJSON), _config(f, "stations.csv", "st.geojson")),
     ("st.geojson", "no features")),
    ("stations-not-utf8", lambda f: (f / "stations.csv").write_bytes(
        "id,name,tier,lon,lat\nA,\u7ad9,x,118.9,28.1\n".encode("utf-16")),
     ("stations.csv",)),
    ("stations-corrupt-xlsx", lambda f: (
        (f / "stations.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 64),
        _config(f, "stations.csv", "stations.xlsx")),
     ("stations.xlsx",)),
    ("stations-truncated-xlsx", _truncated_xlsx, ("stations.xlsx",)),
    # --- population raster
    ("raster-missing", lambda f: (f / "population.tif").unlink(),
     ("population.tif", "not found", "'population'")),
    ("raster-no-crs", lambda f: _raster(f, crs=False), ("population.tif", "no CRS")),
    ("raster-all-nodata", lambda f: _raster(f, np.full((5, 5), -99999.0)),
     ("population.tif", "nodata")),
    ("raster-negative", lambda f: _raster(f, -np.ones((5, 5))),
     ("population.tif", "negative population")),
    ("raster-absurd", lambda f: _raster(f, np.full((5, 5), 5e9)),
     ("population.tif", "not a people-per-cell raster")),
    ("raster-multiband", _multiband, ("population.tif", "3 bands", "band: 1")),
    ("raster-band-missing", lambda f: _config(
        f, "population: population.tif", "population: {raster: population.tif, band: 4}"),
     ("population.tif", "no band 4", "1 to 1")),
    ("raster-plus-inf", lambda f: _infinite(f, np.inf),
     ("population.tif", "infinite population", "row 3, column 4")),
    ("raster-minus-inf", lambda f: _infinite(f, -np.inf),
     ("population.tif", "infinite population", "row 3, column 4")),
    ("dem-all-nodata", _all_nodata_dem, ("dem.tif", "nodata", "'dem'")),
    ("totals-missing", lambda f: _totals(f, None), ("七普.csv", "not found", "totals file")),
    ("totals-not-a-number", lambda f: _totals(f, "west,1000\neast,约三千"),
     ("七普.csv", "row 4", "'常住人口'", "'约三千'")),
    ("totals-duplicate-unit", lambda f: _totals(f, "west,1000\nwest,3000"),
     ("七普.csv", "rows 3 and 4", "'west'")),
    ("totals-no-match", lambda f: _totals(f, "城关镇,1000\n东山乡,3000"),
     ("七普.csv", "no name of the totals table", "'west'")),
    ("totals-level", lambda f: _totals(f, "west,1000", level="township"),
     ("grid.yaml", "totals level 'township'", "unit")),
    ("raster-truncated", lambda f: _truncate(f / "population.tif", 0.3),
     ("population.tif",)),
    ("raster-not-a-raster", lambda f: (f / "population.tif").write_text("hello"),
     ("population.tif", "cannot read")),
    ("raster-elsewhere", lambda f: _raster(f, shift_m=200_000.0),
     ("population.tif", "different areas")),
    # --- network
    ("network-missing", lambda f: (f / "grid.osm.pbf").unlink(),
     ("grid.osm.pbf", "not found", "'network'")),
    ("network-truncated-pbf", lambda f: _truncate(f / "grid.osm.pbf", 0.5),
     ("grid.osm.pbf",)),
    ("network-garbage-pbf", lambda f: (f / "grid.osm.pbf").write_bytes(b"\x00\x01garbage" * 50),
     ("grid.osm.pbf",)),
    ("network-truncated-xml", lambda f: _xml_network(f, '<osm><node id="1" lat="28" lon="1'),
     ("bad.osm", "not valid OSM XML")),
    ("network-xml-no-roads", lambda f: _xml_network(
        f, '<osm><node id="1" lat="28.1" lon="118.9"/></osm>'),
     ("bad.osm", "no road")),
    ("network-xml-bad-node", lambda f: _xml_network(f, '<osm><node id="1" lon="118.9"/></osm>'),
     ("bad.osm", "lat")),
    ("network-unknown-format", lambda f: (
        (f / "roads.dwg").write_text("x"), _config(f, "grid.osm.pbf", "roads.dwg")),
     ("roads.dwg", "unknown network format")),
    ("network-layer-corrupt", lambda f: (
        (f / "roads.shp").write_text("x"), _config(f, "grid.osm.pbf", "roads.shp")),
     ("roads.shp", "cannot read the road layer")),
    # --- boundaries
    ("boundaries-missing", lambda f: (f / "units.geojson").unlink(),
     ("units.geojson", "not found", "'boundaries'")),
    ("boundaries-no-name-column",
     lambda f: _config(f, "boundaries_name: name", "boundaries_name: xiang"),
     ("units.geojson", "no column 'xiang'", "boundaries_name")),
    ("boundaries-points", lambda f: _geojson(f, "units.geojson", POINTS_GEOJSON),
     ("units.geojson", "must be polygons")),
    ("boundaries-no-crs", _shapefile_without_prj, ("units.shp", "no CRS")),
    ("boundaries-elsewhere", _far_boundaries, ("units.geojson", "different areas")),
    # --- opening hours, time windows, service rules, home service
    ("stations-hours-unreadable", lambda f: _station_column(f, "营业时间", "看情况而定"),
     ("stations.csv", "row 2", "station 'S1'", "'看情况而定'", "周一至周五 8:30-17:00")),
    ("config-window-unreadable", lambda f: _append_config(f, "time_windows: {午间: 吃饭时}"),
     ("grid.yaml", "'time_windows'", "window '午间'", "Mo-Fr 08:30-17:00")),
    ("config-rule-unknown-list", lambda f: _append_config(
        f, "service_lists: {省级清单: [a]}\nservice_rules: {村: {list: 村级清单}}"),
     ("grid.yaml", "names the list '村级清单'", "lists: 省级清单")),
    ("service-list-file-missing", lambda f: _append_config(
        f, "service_lists: 清单.xlsx\nservice_rules: {村: {list: 村级清单}}"),
     ("清单.xlsx", "not found", "'service_lists'")),
    ("service-rules-without-services", lambda f: _append_config(
        f, "service_lists: {乡镇清单: [a]}\nservice_rules: {乡镇: {list: 乡镇清单}}"),
     ("stations.csv", "services (服务事项) column")),
    ("home-service-unknown-group", lambda f: _append_config(f, "home_service: age_65_plus"),
     ("home_service", "no group 'age_65_plus'", "population")),
    # --- output
    ("output-not-writable", _out_is_a_file, ("blocked", "cannot create the output folder")),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "needles"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(folder, mutate, needles, capsys):
    out = folder / "previous-run"
    out.mkdir()
    (out / "summary.json").write_text('{"previous": true}\n', encoding="utf-8")
    (out / MANIFEST_NAME).write_text('{"coverage15_version": "0"}\n', encoding="utf-8")
    before = sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    mutate(folder)
    mutated = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    config = folder / "grid.yaml"
    args = ["run", str(config), "--quiet"]
    if "out:" not in config.read_text(encoding="utf-8"):
        args += ["--out", str(out)]
    code = main(args)
    _, err = capsys.readouterr()
    lines = [line for line in re.split(r"[\r\n]", err) if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]
    # nothing written, nothing modified
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert {p: b for p, b in after.items() if not p.name.endswith(".lock")} == mutated
    assert (out / "summary.json").read_text(encoding="utf-8") == '{"previous": true}\n'
    assert before  # the case really had files


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


def _read_csv(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _unit_names_with_controls(folder: Path) -> None:
    import geopandas as gpd

    units = gpd.read_file(folder / "units.geojson")
    units["name"] = [f"{n}\x0b" for n in units["name"]]
    units.to_file(folder / "units.geojson", driver="GeoJSON")


def _check_station(field: str, value: str) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        (row,) = _read_csv(out / "stations.csv")
        assert row[field] == value

    return check


def _check_outputs_named_columns(out: Path) -> None:
    (row,) = _read_csv(out / "stations.csv")
    assert row["input_catchment_population"] == "5"
    assert row["input_snap_distance_m"] == "3"
    assert float(row["catchment_population"]) == 325.0  # 1 + 2 + ... + 25: every cell
    assert float(row["snap_distance_m"]) < 1.0


def _check_unit_names(out: Path) -> None:
    import openpyxl

    names = {row["unit"] for row in _read_csv(out / "units.csv")}
    assert names and not any(ch < " " for n in names for ch in n)
    book = openpyxl.load_workbook(out / "units.xlsx", read_only=True)
    assert book.worksheets  # written, not the IllegalCharacterError of before
    book.close()


# (id, mutation, words of the warning, check of the outputs): usable inputs, kept
USABLE: list[tuple[str, Mutation, tuple[str, ...], Callable[[Path], None]]] = [
    ("stations-control-characters", lambda f: _stations(
        f, "id,name,tier,lon,lat\nS1,Sta\x01tion\x07 1,township,119.0397736,28.0967463\n"),
     ("stations.csv", "control characters", "'name' (row 2)"),
     _check_station("name", "Station 1")),
    ("units-control-characters", _unit_names_with_controls,
     ("units.geojson", "control characters", "(feature 1)"), _check_unit_names),
    ("stations-output-named-columns", lambda f: _stations(
        f, "id,name,tier,lon,lat,catchment_population,snap_distance_m\n"
        "S1,Station 1,township,119.0397736,28.0967463,5,3\n"),
     ("stations.csv", "'catchment_population', 'snap_distance_m'",
      "'input_catchment_population', 'input_snap_distance_m'"),
     _check_outputs_named_columns),
    ("stations-bom-then-gbk", lambda f: (f / "stations.csv").write_bytes(
        b"\xef\xbb\xbf" + "id,name,tier,lon,lat\n站一,城关站,township,119.0397736,28.0967463\n"
        .encode("gbk")),
     ("stations.csv", "UTF-8 byte-order mark", "GBK"), _check_station("id", "站一")),
]  # fmt: skip


@pytest.mark.filterwarnings("always::coverage.inputs.tables.TableWarning")
@pytest.mark.parametrize(
    ("mutate", "needles", "check"), [c[1:] for c in USABLE], ids=[c[0] for c in USABLE]
)
def test_usable_input_is_kept_with_a_warning(folder, mutate, needles, check, capsys):
    mutate(folder)
    out = folder / "out"
    code = main(["run", str(folder / "grid.yaml"), "--quiet", "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 0, err
    warned = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert any(all(n in line for n in needles) for line in warned), err
    check(out)


@pytest.mark.parametrize(
    ("candidates", "needles"),
    [
        ("absent.csv", ("absent.csv", "candidate file not found", "--candidates")),
        ("empty.csv", ("empty.csv", "the candidate table has no rows")),
        ("sites.docx", ("sites.docx", "unknown candidate file type")),
    ],
)
def test_bad_candidate_files_name_the_candidates(folder, candidates, needles, capsys):
    (folder / "empty.csv").write_text("id,name,lon,lat\n", encoding="utf-8")
    (folder / "sites.docx").write_text("x", encoding="utf-8")
    out = folder / "siting"
    args = ["site", str(folder / "grid.yaml"), "--add", "1", "--quiet", "--out", str(out)]
    code = main([*args, "--candidates", str(folder / candidates)])
    _, err = capsys.readouterr()
    assert code == 2, err
    (line,) = [line for line in err.splitlines() if line.strip()]
    assert all(n in line for n in needles), line
    assert "'stations'" not in line
    assert not [p for p in out.rglob("*") if p.name != ".coverage15.lock"]


def test_an_isochrone_grid_too_large_for_memory_is_refused(folder, monkeypatch, capsys):
    import coverage.engine.isochrones as isochrones

    # the 5 x 5 grid of 200 m blocks at 1 m cells needs about 1.9 million cells
    monkeypatch.setattr(isochrones, "MAX_GRID_CELLS", 1_000_000)
    _append_config(folder, "isochrone_cell_m: 1")
    out = folder / "out"
    code = main(["run", str(folder / "grid.yaml"), "--quiet", "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 2, err
    (line,) = [line for line in err.splitlines() if line.strip()]
    assert line.startswith("error: isochrone_cell_m: a 1 m grid over the ")
    assert "set isochrone_cell_m to 2 or more" in line, line
    assert not [p for p in out.rglob("*") if p.name != ".coverage15.lock"]


def test_a_command_line_threshold_is_quoted_as_typed(folder, capsys):
    out = folder / "out"
    code = main(
        ["run", str(folder / "grid.yaml"), "--quiet", "--out", str(out), "--minutes", "1e9"]
    )
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2
    assert line.endswith("'minutes' must be above 0 and at most 1440 min (a day), got 1e9"), line
    assert not out.exists()
