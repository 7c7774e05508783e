"""Duplicate stations: clusters within duplicate_m, checked against brute-force geodesics."""

from __future__ import annotations

import csv
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from pyproj import Geod
from shapely.geometry import Point

from coverage.metrics.catchments import staffing_table
from coverage.metrics.duplicates import DuplicateStationWarning, duplicate_stations

GEOD = Geod(ellps="WGS84")
ORIGIN = (43.2500, -11.7000)  # Moroni, Grande Comore


def _east(lonlat: tuple[float, float], metres: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(lonlat[0], lonlat[1], 90.0, metres)
    return (float(lon), float(lat))


def _table(points, ids=None) -> gpd.GeoDataFrame:
    ids = ids or [chr(ord("A") + i) for i in range(len(points))]
    return gpd.GeoDataFrame(
        {"id": ids, "tier": "township"}, geometry=[Point(p) for p in points], crs=4326
    )


def _brute_force(lon: np.ndarray, lat: np.ndarray, within_m: float) -> list[int | None]:
    """Every pair measured, clusters grown by hand, the first of each in table order."""
    n = len(lon)
    near = [[j for j in range(n) if j != i and GEOD.inv(lon[i], lat[i], lon[j], lat[j])[2]
             <= within_m] for i in range(n)]  # fmt: skip
    lead: list[int | None] = [None] * n
    for i in range(n):
        if lead[i] is not None:
            continue
        stack, members = [i], {i}
        while stack:
            for j in near[stack.pop()]:
                if j not in members:
                    members.add(j)
                    stack.append(j)
        for j in members:
            lead[j] = i
    return [None if lead[i] == i else lead[i] for i in range(n)]


def test_a_chain_of_near_stations_is_one_site():
    b = _east(ORIGIN, 10.0)
    c = _east(b, 20.0)  # 30 m from A, but 20 m from B: the same cluster
    d = _east(ORIGIN, 500.0)
    e = d  # the same point twice
    f = _east(d, 26.0)  # just beyond 25 m of D and E
    with pytest.warns(DuplicateStationWarning) as caught:
        dup = duplicate_stations(_table([ORIGIN, b, c, d, e, f]), within_m=25.0)
    assert dup["duplicate_of"].tolist() == [pd.NA, "A", "A", pd.NA, "D", pd.NA]
    assert dup["duplicate_distance_m"].to_numpy()[[1, 2, 4]] == pytest.approx([10, 30, 0])
    text = str(caught[0].message)
    assert "3 station(s) lie within 25 m" in text
    assert "B (10 m from A), C (30 m from A), E (0 m from D)" in text


def test_different_tiers_or_names_are_different_sites_however_close():
    near = [ORIGIN, _east(ORIGIN, 6.0)]
    cases = [
        (["pharmacy", "bank"], ["Apteekki", ""], [pd.NA, pd.NA]),  # a pharmacy beside a bank
        (["bank", "bank"], ["Nordea", "Aktia"], [pd.NA, pd.NA]),  # two banks' branches
        (["bank", "bank"], ["Nordea ", "nordea"], [pd.NA, "A"]),  # one name, written twice
        (["bank", "bank"], ["Nordea", None], [pd.NA, "A"]),  # the copy has no name
        (["bank", "bank"], ["A", "B"], [pd.NA, "A"]),  # no names: the ids stand in
    ]
    for tiers, names, expected in cases:
        table = _table(near)
        table["tier"], table["name"] = tiers, names
        got = duplicate_stations(table, warn=False)["duplicate_of"].tolist()
        assert got == expected, (tiers, names)


def test_the_first_in_table_order_stands_for_the_site():
    b = _east(ORIGIN, 8.0)
    dup = duplicate_stations(_table([b, ORIGIN], ids=["late", "early"]), warn=False)
    assert dup["duplicate_of"].tolist() == [pd.NA, "late"]


def test_zero_turns_the_check_off_and_the_crs_does_not_matter():
    points = [ORIGIN, _east(ORIGIN, 3.0)]
    assert duplicate_stations(_table(points), within_m=0).duplicate_of.isna().all()
    projected = _table(points).to_crs(32738)  # UTM 38S
    assert duplicate_stations(projected, warn=False)["duplicate_of"].tolist() == [pd.NA, "A"]


def test_random_sites_match_the_brute_force_clusters():
    rng = np.random.default_rng(15)
    lon = ORIGIN[0] + rng.uniform(0, 0.002, 60)  # about 220 x 220 m: many near pairs
    lat = ORIGIN[1] + rng.uniform(0, 0.002, 60)
    table = _table(list(zip(lon, lat, strict=True)), ids=[f"s{i}" for i in range(60)])
    for within in (5.0, 15.0, 25.0):
        expected = _brute_force(lon, lat, within)
        got = duplicate_stations(table, within_m=within, warn=False)["duplicate_of"]
        assert [None if pd.isna(v) else int(str(v)[1:]) for v in got] == expected, within
        assert any(e is not None for e in expected)


def test_duplicates_get_no_staffing_and_the_site_is_staffed_for_the_cluster():
    table = _table([ORIGIN, _east(ORIGIN, 5.0), _east(ORIGIN, 900.0)])
    table["staff"] = [2, 2, 2]
    dup = duplicate_stations(table, warn=False)["duplicate_of"]
    served = np.array([30_000.0, 25_000.0, 30_000.0])
    out = staffing_table(table, served, duplicate_of=dup)
    # A serves the whole site: 55,000 residents need 3 township staff; B none of its own
    assert out["staff_recommended"].tolist() == [3, pd.NA, 2]
    assert out["capacity"].tolist() == ["over", pd.NA, "ok"]
    alone = staffing_table(table, served)
    assert alone["staff_recommended"].tolist() == [2, 2, 2]


@pytest.mark.filterwarnings("always::coverage.metrics.duplicates.DuplicateStationWarning")
def test_a_run_marks_duplicates_in_stations_csv(grid_case, capsys):
    from coverage.cli import main

    case = grid_case(station_nodes=[(2, 2), (0, 0)])
    rows = case.stations.read_text(encoding="utf-8").splitlines()
    lon, lat = (float(v) for v in rows[1].split(",")[3:5])
    twin = _east((lon, lat), 4.0)
    rows.append(f"S3,Station 1,township,{twin[0]:.7f},{twin[1]:.7f}")  # listed twice
    case.stations.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = case.folder / "out"
    assert main(["run", str(case.config), "--quiet", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "1 station(s) lie within 25 m of another" in err and "S3 (4 m from S1)" in err
    with (out / "stations.csv").open(encoding="utf-8-sig", newline="") as handle:
        table = {row["id"]: row for row in csv.DictReader(handle)}
    assert table["S3"]["duplicate_of"] == "S1"
    assert table["S1"]["duplicate_of"] == table["S2"]["duplicate_of"] == ""
    assert table["S3"]["staff_recommended"] == ""
    assert table["S1"]["staff_recommended"] == table["S2"]["staff_recommended"] == "2"
    assert json.loads((out / "summary.json").read_text())["stations_duplicate"] == 1
    # the report and the workbook say which site a duplicate repeats
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<th>Same site as</th>" in html
    sheet = load_workbook(out / "units.xlsx")["stations"]
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True)}
    column = rows["ID"].index("Same site as")
    assert (rows["S3"][column], rows["S1"][column]) == ("S1", None)


@pytest.mark.shared
def test_the_comoros_duplicates_are_listed(shared_data):
    from coverage.inputs.stations import read_stations

    stations = read_stations(shared_data / "comoros" / "health.gpkg")
    with pytest.warns(DuplicateStationWarning, match=r"8 station\(s\) lie within 25 m"):
        dup = duplicate_stations(stations)
    wgs = stations.geometry
    lon, lat = wgs.x.to_numpy(), wgs.y.to_numpy()
    expected = _brute_force(lon, lat, 25.0)
    ids = stations["id"].astype(str).tolist()
    assert dup["duplicate_of"].tolist() == [pd.NA if e is None else ids[e] for e in expected]
    pairs = {
        ids[i]: lead for i, lead in enumerate(dup["duplicate_of"].tolist()) if not pd.isna(lead)
    }
    # the same facility twice (e.g. 'Centre de santé de Mitsoudjé', 'CMC Mitsamiouli')
    assert pairs == {
        "67": "5", "44": "6", "69": "7", "58": "10", "43": "15", "65": "20", "66": "21",
        "61": "22",
    }  # fmt: skip
    metres = dup["duplicate_distance_m"].dropna()
    assert metres.min() == pytest.approx(1.1, abs=0.1)
    assert metres.max() == pytest.approx(23.8, abs=0.1)
    assert (metres <= 17.1).sum() == 7  # 1.1 to 17.0 m; one more at 23.8 m
