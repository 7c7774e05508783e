"""The one CSV writer: every table goes through it and reaches a spreadsheet as data."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from coverage import load_config, run_coverage, write_outputs
from coverage.outputs.writers import FORMULA_STARTS, defuse_text, safe_table, write_csv

#: Station names and services a spreadsheet would run as formulas if written as given.
HYPERLINK = '=HYPERLINK("http://127.0.0.1/x","click")'
DDE = "=cmd|' /C calc'!A0"
FORMULAS = (HYPERLINK, DDE, "@SUM(1+1)", "+1+1", "-2+3", "\tTAB", "\rCR")


def _raw_cells(path):
    """Every cell of a CSV as the spreadsheet's text import sees it (no type guessing)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _is_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def test_defuse_text_follows_the_owasp_rule():
    for text in FORMULAS:
        assert defuse_text(text) == "'" + text
    for text in ("Moroni", "Station 1", "'=already", "a=b", "", "-12.5", "+3", "-1e3"):
        assert defuse_text(text) == text
    for value in (-3, -2.5, np.float64(-1.0), None, True):
        assert defuse_text(value) is value


def test_safe_table_keeps_numbers_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "name": [HYPERLINK, "ok", None],
            "delta": [-1.5, 2.0, -0.25],
            "count": pd.array([-3, 4, None], dtype="Int64"),
            "=head": ["x", "-y", "-7"],
        }
    )
    path = write_csv(frame, tmp_path / "t.csv")
    rows = _raw_cells(path)
    assert rows[0] == ["name", "delta", "count", "'=head"]
    assert rows[1] == ["'" + HYPERLINK, "-1.5", "-3", "x"]
    assert rows[2] == ["ok", "2.0", "4", "'-y"]
    assert rows[3] == ["", "-0.25", "", "-7"]
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["delta"].tolist() == [-1.5, 2.0, -0.25]  # still numbers
    assert safe_table(frame)["delta"].dtype == np.float64
    assert frame["name"].iloc[0] == HYPERLINK  # the input table is not changed


def test_run_tables_reach_a_spreadsheet_as_text(grid_case, tmp_path):
    """Formulas in station names and services: stations.csv, units.csv, services.csv."""
    case = grid_case(station_nodes=[(0, 0), (2, 2), (4, 4)], boundaries=True)
    lines = case.stations.read_text(encoding="utf-8").splitlines()
    names = [HYPERLINK, DDE, "-Station 3"]
    services = [HYPERLINK, "@pension", DDE]
    rows = [lines[0] + ",services"]
    for name, service, line in zip(names, services, lines[1:], strict=True):
        parts = line.split(",")
        quoted = '"' + name.replace('"', '""') + '"'
        rows.append(
            ",".join([parts[0], quoted, *parts[2:], '"' + service.replace('"', '""') + '"'])
        )
    case.stations.write_text("\n".join(rows) + "\n", encoding="utf-8")
    units = case.boundaries.read_text(encoding="utf-8").replace('"west"', '"=1+1 west"')
    case.boundaries.write_text(units, encoding="utf-8")
    result = run_coverage(load_config(case.config))
    files = write_outputs(result, tmp_path / "out")
    written = {k: files[k] for k in ("stations", "units_unit", "services") if k in files}
    assert set(written) == {"stations", "units_unit", "services"}, sorted(files)
    seen = set()
    for kind, path in written.items():
        for row in _raw_cells(path)[1:]:
            for text in row:
                assert not _is_formula(text) or _is_number(text), (kind, text)
                if text.startswith("'"):
                    seen.add(text[1:])
    assert {HYPERLINK, DDE, "-Station 3", "@pension", "=1+1 west"} <= seen
    stations = pd.read_csv(files["stations"], encoding="utf-8-sig")
    assert sorted(stations["name"]) == sorted("'" + n for n in names)
    # the figures stay numbers: the covered residents add up to the summary
    assert stations["catchment_covered"].sum() == pytest.approx(
        result.summary["population_covered"]
    )
    units_table = pd.read_csv(files["units_unit"], encoding="utf-8-sig")
    assert units_table["population"].dtype.kind in "if"
    # units.xlsx stays typed: the names as given, stored as text; the figures as numbers
    from openpyxl import load_workbook

    sheet = load_workbook(files["units_xlsx"])["stations"]
    header = [c.value for c in sheet[1]]
    name_col, covered_col = header.index("Name"), header.index("Within 5 min")
    rows = list(sheet.iter_rows(min_row=2))
    assert sorted(r[name_col].value for r in rows) == sorted(names)
    assert all(r[name_col].data_type == "s" for r in rows)
    assert all(r[covered_col].data_type == "n" for r in rows)
    assert sum(r[covered_col].value for r in rows) == pytest.approx(
        result.summary["population_covered"]
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_geojson_reads_back_as_written(tmp_path):
    """GEOS-written GeoJSON, read back by GDAL: the same rows, values and shapes in lon/lat."""
    import geopandas as gpd
    import shapely

    from coverage.outputs.writers import write_geojson

    ring = [(500_000, 8_700_000), (501_000, 8_700_000), (501_000, 8_701_000)]
    frame = gpd.GeoDataFrame(
        {
            "gap_id": [1, 2, 3],
            "population": [12.5, np.inf, 0.1 + 0.2],
            "unit": ["Mbéni 村", None, '"quoted"'],
        },
        geometry=[shapely.Polygon(ring), None, shapely.MultiPolygon([shapely.Polygon(ring)])],
        crs="EPSG:32738",
    )
    path = write_geojson(frame, tmp_path / "gaps.geojson")
    back = gpd.read_file(path)
    assert back.crs.to_epsg() == 4326
    assert back["gap_id"].tolist() == [1, 2, 3]
    assert back["population"].iloc[0] == 12.5 and np.isnan(back["population"].iloc[1])
    assert back["population"].iloc[2] == 0.1 + 0.2
    assert back["unit"].tolist()[::2] == ["Mbéni 村", '"quoted"']
    assert back.geometry.iloc[1] is None
    expected = frame.to_crs("EPSG:4326").geometry
    for i in (0, 2):
        assert shapely.equals_exact(back.geometry.iloc[i], expected.iloc[i], tolerance=1e-12)
