"""GIS layers: outputs.gpkg and Shapefiles read back and checked against the CSV/GeoJSON."""

from __future__ import annotations

import os
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from pyproj import Transformer

from coverage.config import config_from_dict
from coverage.errors import ConfigError
from coverage.outputs.layers import shapefile_names, write_gis_layers

REPO_ENV = {"PYTHONWARNINGS": "ignore"}


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A grid run (two stations with Chinese names, two units) written by the CLI with
    ``output_crs: EPSG:4549`` (CGCS2000 Gauss-Krüger, CM 120E) and GBK Shapefiles."""
    from fixtures.synthetic import make_grid_case

    folder = tmp_path_factory.mktemp("layers")
    case = make_grid_case(folder / "case", station_nodes=[(0, 0), (4, 4)], boundaries=True)
    text = case.stations.read_text(encoding="utf-8")
    text = text.replace("Station 1", "龙泉镇医保服务站").replace("Station 2", "Café 住龙村")
    case.stations.write_text(text, encoding="utf-8")
    extra = "output_crs: EPSG:4549\nshapefile: true\nshapefile_encoding: gbk\n"
    case.config.write_text(case.config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    out = folder / "out"
    cmd = [
        sys.executable,
        "-m",
        "coverage.cli",
        "run",
        str(case.config),
        "--out",
        str(out),
        "--quiet",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **REPO_ENV})
    assert done.returncode == 0, done.stderr
    return out


def test_geopackage_layers_match_the_tables(run_folder):
    path = run_folder / "outputs.gpkg"
    names = [name for name, _ in pyogrio.list_layers(path)]
    assert names[:2] == ["stations", "units"]
    assert {"isochrones"} <= set(names)
    stations = gpd.read_file(path, layer="stations")
    table = pd.read_csv(run_folder / "stations.csv", encoding="utf-8-sig")
    assert stations.crs.to_epsg() == 4549
    assert stations["name"].tolist() == ["龙泉镇医保服务站", "Café 住龙村"]
    np.testing.assert_allclose(stations["catchment_covered"], table["catchment_covered"])
    # independent reference: pyproj from the CSV's lon/lat to CGCS2000 / 3-degree GK 120E
    to_gk = Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True)
    x, y = to_gk.transform(table["lon"].to_numpy(), table["lat"].to_numpy())
    np.testing.assert_allclose(stations.geometry.x, x, atol=1e-3)
    np.testing.assert_allclose(stations.geometry.y, y, atol=1e-3)
    assert 300_000 < x.min() < 500_000  # west of the 120E meridian, 500 km false easting
    units = gpd.read_file(path, layer="units")
    csv_units = pd.read_csv(run_folder / "units.csv", encoding="utf-8-sig")
    assert units["unit"].tolist() == csv_units["unit"].tolist()
    np.testing.assert_allclose(units["population_covered"], csv_units["population_covered"])
    iso = gpd.read_file(path, layer="isochrones")
    web = gpd.read_file(run_folder / "isochrones.geojson")
    assert web.crs.to_epsg() == 4326  # GeoJSON stays WGS84 (RFC 7946)
    metric = "EPSG:32650"
    np.testing.assert_allclose(
        iso.to_crs(metric).area.to_numpy(), web.to_crs(metric).area.to_numpy(), rtol=1e-6
    )


def test_shapefiles_in_gbk_with_their_field_names(run_folder):
    folder = run_folder / "shapefile"
    assert (folder / "stations.cpg").read_text() == "GBK"
    fields = pd.read_csv(folder / "fields.csv", encoding="utf-8-sig")
    mine = fields[fields["layer"] == "stations"].set_index("column")["field"]
    assert mine["catchment_population"] == "catch_pop"
    assert all(len(f.encode("gbk")) <= 10 for f in fields["field"])
    stations = gpd.read_file(folder / "stations.shp", encoding="gbk")
    assert stations.crs.to_epsg() == 4549
    assert stations["name"].tolist()[0] == "龙泉镇医保服务站"
    table = pd.read_csv(run_folder / "stations.csv", encoding="utf-8-sig")
    np.testing.assert_allclose(stations[mine["catchment_covered"]], table["catchment_covered"])
    raw = (folder / "stations.dbf").read_bytes()
    assert "龙泉镇医保服务站".encode("gbk") in raw  # really GBK, not UTF-8


def test_utf8_shapefiles_keep_every_character(hostile_result, tmp_path):
    paths = write_gis_layers(hostile_result, tmp_path, shapefile=True, output_crs="EPSG:4490")
    assert (tmp_path / "shapefile" / "stations.cpg").read_text() == "UTF-8"
    stations = gpd.read_file(paths["shapefile_stations"])
    assert stations["name"].tolist() == hostile_result.stations["name"].tolist()
    assert stations.crs.to_epsg() == 4490
    layers = [name for name, _ in pyogrio.list_layers(paths["gpkg"])]
    assert layers[:3] == ["stations", "units_township", "units_village"]


def test_gbk_loses_characters_loudly(hostile_result, tmp_path):
    import dataclasses

    stations = hostile_result.stations.copy()
    stations["name"] = ["服务站 ☃", "村站", "ok"]
    result = dataclasses.replace(hostile_result, stations=stations)
    with pytest.warns(UserWarning, match="1 characters that GBK cannot hold"):
        write_gis_layers(result, tmp_path, shapefile=True, shapefile_encoding="gbk")
    back = gpd.read_file(tmp_path / "shapefile" / "stations.shp", encoding="gbk")
    assert back["name"].tolist() == ["服务站 ?", "村站", "ok"]


def test_short_names_are_unique_and_fit_ten_bytes():
    columns = [f"window_{i}_coverage_share" for i in range(12)] + ["人口覆盖率合计", "id", "ID2"]
    names = shapefile_names(columns, "utf-8")
    assert len({n.lower() for n in names.values()}) == len(columns)
    assert all(len(n.encode("utf-8")) <= 10 for n in names.values())
    assert names["人口覆盖率合计"] == "人口覆"  # 9 bytes: a fourth character would not fit


def test_output_options_are_validated():
    base = {"stations": "s.csv", "population": "p.tif", "network": "n.osm"}
    cfg = config_from_dict({**base, "output_crs": 4490}, base_dir=None)
    assert cfg.output_crs == "EPSG:4490" and cfg.shapefile is False
    assert cfg.shapefile_encoding == "utf-8"
    for key, value, message in [
        ("output_crs", "GCJ-02", "display offset"),
        ("output_crs", "EPSG:999999", "not a coordinate reference system"),
        ("shapefile_encoding", "latin1", "utf-8 or gbk"),
        ("shapefile", "yes", "true or false"),
    ]:
        with pytest.raises(ConfigError, match=message):
            config_from_dict({**base, key: value}, base_dir=None)
