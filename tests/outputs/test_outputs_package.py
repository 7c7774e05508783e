"""The CLI writes every presentation output; --package zips them into one archive."""

from __future__ import annotations

import re
import zipfile

import pandas as pd
import pytest

from coverage.cli import main


@pytest.fixture
def county(grid_case):
    case = grid_case(n=5, boundaries=True, minutes=[4.0, 6.0])
    with case.config.open("a", encoding="utf-8") as handle:
        handle.write("basemap: amap\nlang: zh\n")
    return case


def test_run_writes_map_report_tables_and_package(county, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(county.config), "--out", str(out), "--quiet", "--package"]) == 0
    # the bundled Chinese font draws every label: no font warning, no glyph warning
    assert capsys.readouterr().err == ""
    for name in ("map.html", "map.png", "map_unit.png", "report.html", "units.xlsx", "grid.zip"):
        assert (out / name).is_file(), name
    assert (out / "assets" / "LICENSE-leaflet.txt").read_text().startswith("BSD 2-Clause")
    with zipfile.ZipFile(out / "grid.zip") as archive:
        names = set(archive.namelist())
        page = archive.read("grid/map.html").decode("utf-8")
        readme = archive.read("grid/README.txt").decode("utf-8")
    expected = {
        "grid/README.txt",
        "grid/map.html",
        "grid/map.png",
        "grid/map_unit.png",
        "grid/report.html",
        "grid/units.xlsx",
        "grid/units.csv",
        "grid/stations.csv",
        "grid/summary.json",
        "grid/travel_time.tif",
        "grid/isochrones.geojson",
        "grid/assets/LICENSE-leaflet.txt",
        "grid/assets/LICENSE-jquery.txt",
    }
    assert expected <= names
    assert not any(n.endswith(".zip") or "/." in n for n in names)
    assert not re.search(r"<script[^>]+src=", page)
    assert "map.html" in readme
    assert "autonavi.com" in page  # the configured basemap
    # the data files stay in WGS84 even though the map is drawn on GCJ-02 tiles
    stations = pd.read_csv(out / "stations.csv")
    given = pd.read_csv(county.stations)
    assert stations["lon"].tolist() == pytest.approx(given["lon"].tolist(), abs=1e-9)
    assert stations["lat"].tolist() == pytest.approx(given["lat"].tolist(), abs=1e-9)


def test_tianditu_without_key_fails_before_the_run(county, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    text = county.config.read_text(encoding="utf-8").replace("basemap: amap", "basemap: tianditu")
    county.config.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(county.config), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: basemap 'tianditu' needs a Tianditu key")
    assert "TIANDITU_KEY" in err and len(err.strip().splitlines()) == 1
    assert not (out / "map.html").exists()


def test_bad_basemap_and_lang_are_config_errors(county, tmp_path, capsys):
    text = county.config.read_text(encoding="utf-8")
    text = text.replace("basemap: amap", "basemap: baidu").replace("lang: zh", "lang: fr")
    county.config.write_text(text, encoding="utf-8")
    assert main(["run", str(county.config), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "'basemap' must be one of osm, tianditu, amap, none" in err
    assert "'lang' must be zh (Chinese) or en (English)" in err
