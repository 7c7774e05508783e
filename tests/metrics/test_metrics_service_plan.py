"""Opening hours, item rules and the home-service list through a whole run of the grid.

The 5 x 5 synthetic grid (200 m blocks at 6 km/h: 2 minutes a block; people
``1 + 5 row + col``, 325 in all; a 5-minute threshold covers cells within 2 blocks).
S1 stands at the centre (2, 2), open Monday to Saturday; S2 at the north-west corner
(0, 0), open on weekdays only (its hours written the Chinese way). By hand:

- S1's diamond |r - 2| + |c - 2| <= 2 holds 3 + 24 + 65 + 54 + 23 = 169 people;
- S2 adds (0, 0), (0, 1) and (1, 0): 1 + 2 + 6 = 9, so 178 with both stations;
- west (columns 0-1) holds 115 people, 47 of them in S1's diamond, 56 with S2.

So the weekday window keeps the run's 178 and the Saturday window drops to 169; in
the east unit nothing changes (122 either way).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from coverage import load_config, run_coverage
from coverage.errors import InputError
from coverage.outputs.write import write_outputs

WINDOWS = '{工作日午间: "Mo-Fr 12:00-13:00", 周六上午: "周六 9:00-11:00"}'


def _case(grid_case, *, hours=("Mo-Sa 08:30-17:00", "周一至周五 8:30-17:00"), extra=()):
    from fixtures.synthetic import lattice_lonlat, write_population

    case = grid_case(station_nodes=[(2, 2), (0, 0)], minutes=5.0, boundaries=True)
    lon, lat = lattice_lonlat(case.n, case.spacing_m)
    rows = ["id,name,tier,lon,lat,营业时间,服务事项"]
    services = ["事项1、事项2、事项3", "事项1、事项2"]
    tiers = ["township", "village"]
    for i, (r, c) in enumerate(case.station_nodes):
        rows.append(
            f"S{i + 1},Station {i + 1},{tiers[i]},{lon[r, c]:.7f},{lat[r, c]:.7f},"
            f"{hours[i]},{services[i]}"
        )
    case.stations.write_text("\n".join(rows) + "\n", encoding="utf-8")
    # people aged 65+: a fifth of every cell on the even rows, none on the odd ones
    old = np.where((np.arange(case.n)[:, None] % 2 == 0), case.counts / 5.0, 0.0)
    write_population(case.folder / "age65.tif", old, case.spacing_m)
    text = case.config.read_text(encoding="utf-8").replace(
        "population: population.tif",
        "population: {raster: population.tif, groups: {age_65_plus: age65.tif}}",
    )
    lines = [f"time_windows: {WINDOWS}", *extra]
    case.config.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")
    return case, old


def test_a_station_closed_on_saturday_changes_only_the_saturday_window(grid_case, tmp_path):
    case, _ = _case(grid_case)
    res = run_coverage(load_config(case.config))
    s = res.summary
    assert s["population_total"] == 325
    assert s["population_covered"] == pytest.approx(178.0) == case.covered(5.0)
    by = s["coverage_by_window"]
    assert by["工作日午间"]["population_covered"] == pytest.approx(178.0)
    assert by["工作日午间"]["stations_open"] == 2
    assert by["周六上午"]["population_covered"] == pytest.approx(169.0)
    assert by["周六上午"]["coverage_share"] == pytest.approx(169 / 325)
    assert by["周六上午"]["stations_open"] == 1 and by["周六上午"]["hours"] == "Sa 09:00-11:00"
    # people aged 65+ (a fifth of the even rows, 39 in all): 3 + 65 + 23 of them near S1,
    # and (0, 0), (0, 1) near S2 on weekdays
    old = by["周六上午"]["groups"]["age_65_plus"]
    assert old["population_covered"] == pytest.approx(91 / 5)
    assert old["coverage_share"] == pytest.approx(91 / 195)
    assert by["工作日午间"]["groups"]["age_65_plus"]["population_covered"] == pytest.approx(94 / 5)
    assert res.stations["hours"].tolist() == ["Mo-Sa 08:30-17:00", "Mo-Fr 08:30-17:00"]
    assert res.stations["hours_original"].tolist()[1] == "周一至周五 8:30-17:00"
    assert res.stations["open_周六上午"].tolist() == [True, False]
    assert res.stations["open_工作日午间"].tolist() == [True, True]
    units = res.units["unit"].set_index("unit")
    assert units.loc["west", "window_工作日午间_population_covered"] == pytest.approx(56.0)
    assert units.loc["west", "window_周六上午_population_covered"] == pytest.approx(47.0)
    assert units.loc["west", "window_周六上午_coverage_share"] == pytest.approx(47 / 115)
    assert units.loc["east", "window_周六上午_population_covered"] == pytest.approx(122.0)
    assert units.loc["east", "window_工作日午间_population_covered"] == pytest.approx(122.0)
    # the Saturday window is the run without S2, by hand
    from fixtures.synthetic import make_grid_case

    alone = make_grid_case(tmp_path / "alone", station_nodes=[(2, 2)])
    assert alone.covered(5.0) == pytest.approx(169.0)

    paths = write_outputs(res, tmp_path / "out", basemap="none", lang="en")
    written = json.loads(paths["summary"].read_text(encoding="utf-8"))
    assert written["coverage_by_window"]["周六上午"]["population_covered"] == pytest.approx(169)
    stations = pd.read_csv(paths["stations"])
    assert stations["open_周六上午"].tolist() == [True, False]
    table = pd.read_csv(paths["units_unit"])
    assert "window_周六上午_coverage_share" in table.columns


def test_stations_without_hours_and_hours_default(grid_case):
    case, _ = _case(grid_case, hours=("Mo-Sa 08:30-17:00", ""))
    by = run_coverage(load_config(case.config)).summary["coverage_by_window"]
    assert by["周六上午"]["population_covered"] == pytest.approx(178.0)  # S2 always open
    closed = run_coverage(load_config(case.config, hours_default="closed")).summary
    assert closed["coverage_by_window"]["周六上午"]["population_covered"] == pytest.approx(169.0)
    assert closed["hours_default"] == "closed"


def test_unreadable_hours_name_the_station_row(grid_case):
    case, _ = _case(grid_case, hours=("Mo-Sa 08:30-17:00", "看情况"))
    with pytest.raises(InputError, match=r"stations.csv: row 3 \(station 'S2'\): opening hours"):
        run_coverage(load_config(case.config))


def test_service_rules_through_a_run(grid_case, tmp_path):
    lists = tmp_path / "lists.csv"
    items = [f"事项{i}" for i in range(1, 11)]
    lists.write_text(
        "清单,事项\n"
        + "".join(f"省级清单,{i}\n" for i in items)
        + "村级清单,事项1\n村级清单,事项2\n村级清单,事项4\n",
        encoding="gbk",
    )
    extra = (
        f"service_lists: {lists}",
        "service_rules: {乡镇: {list: 省级清单, at_least: 0.3}, 村: {list: 村级清单, at_least: 1}}",
    )
    case, _ = _case(grid_case, extra=extra)
    res = run_coverage(load_config(case.config))
    st = res.stations.set_index("id")
    assert st.loc["S1", "service_share"] == pytest.approx(0.3)
    assert bool(st.loc["S1", "service_rule_pass"]) is True  # 3 of 10 at 30 %
    assert st.loc["S2", "service_list"] == "村级清单"
    assert bool(st.loc["S2", "service_rule_pass"]) is False
    assert st.loc["S2", "service_missing"] == "事项4"
    assert res.summary["service_rules"] == {
        "stations_with_rule": 2,
        "stations_passing": 1,
        "stations_failing": ["S2"],
    }
    # coverage per item stays as it was
    assert res.services.set_index("service").loc["事项3", "stations"] == 1


def test_home_service_list_through_a_run(grid_case, tmp_path):
    case, old = _case(grid_case, extra=("home_service: {group: age_65_plus, level: unit}",))
    res = run_coverage(load_config(case.config))
    home = res.home_service
    # independently: the group's people in cells farther than 2 blocks from both stations
    blocks = case.node_minutes() / case.block_minutes
    far = (blocks > 2) & (old > 0)
    cols = np.arange(case.n)[None, :].repeat(case.n, axis=0)
    expected = {
        "west": float(old[far & (cols < 2)].sum()),
        "east": float(old[far & (cols >= 2)].sum()),
    }
    got = dict(zip(home["place"], home["people"], strict=True))
    assert got == pytest.approx({k: v for k, v in expected.items() if v > 0})
    assert home["rank"].tolist() == list(range(1, len(home) + 1))
    assert home["people"].is_monotonic_decreasing
    assert res.summary["home_service"]["people"] == pytest.approx(sum(expected.values()))
    paths = write_outputs(res, tmp_path / "out", basemap="none", lang="en")
    table = pd.read_csv(paths["home_service"])
    assert table["people"].sum() == pytest.approx(sum(expected.values()))
    layer = json.loads(paths["home_service_layer"].read_text(encoding="utf-8"))
    assert len(layer["features"]) == len(home)
    # the interactive map has the places as a layer (off until ticked)
    assert '"Home-service list (residents aged 65+)"' in paths["map"].read_text(encoding="utf-8")


def test_home_service_unknown_group(grid_case):
    case, _ = _case(grid_case, extra=("home_service: age_80_plus",))
    with pytest.raises(InputError, match="no group 'age_80_plus'"):
        run_coverage(load_config(case.config))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_and_workbook_sections(grid_case, tmp_path, lang):
    from openpyxl import load_workbook

    from coverage.outputs.report import report_html, write_units_xlsx
    from coverage.outputs.report.xlsx import sheet_title

    extra = (
        "service_lists: {省级清单: [事项1, 事项2, 事项3, 事项4], 村级清单: [事项1, 事项2, 事项4]}",
        "service_rules: {乡镇: {list: 省级清单, at_least: 0.5}, 村: {list: 村级清单, at_least: 1}}",
        "home_service: age_65_plus",
    )
    case, _ = _case(grid_case, extra=extra)
    res = run_coverage(load_config(case.config))
    page = report_html(res, lang=lang)
    heads = {
        "en": ("Coverage in time windows", "Service-item rules", "Home-service list"),
        "zh": ("分时段覆盖", "服务事项清单达标情况", "上门服务清单"),
    }[lang]
    for head in heads:
        assert f"<h2>{head}</h2>" in page
    # the Saturday window's share, the failing village point and its missing item
    assert "52.0%" in page  # 169 / 325
    assert ("周六上午: share within 5 min" if lang == "en" else "周六上午5分钟覆盖率") in page
    assert "事项4" in page and "S2" in page
    # hours as a Chinese office writes them in the Chinese report, OSM syntax in English
    assert ("Sa 09:00-11:00" if lang == "en" else "周六 09:00-11:00") in page
    # the group's share per window: 91 of 195 people aged 65+ on Saturday
    assert (
        "residents aged 65+: share within 5 min" if lang == "en" else "65岁及以上人群5分钟覆盖率"
    ) in page
    assert "46.7%" in page
    assert ("Mo-Fr 08:30-17:00" if lang == "en" else "周一至周五 08:30-17:00") in page
    assert (
        "1 of 2 stations with a rule" if lang == "en" else "有清单要求的2个服务点中，1个达标"
    ) in page
    book = load_workbook(write_units_xlsx(res, tmp_path / "u.xlsx", lang=lang))
    sheets = {k: sheet_title(k, lang) for k in ("windows", "windows_by_unit", "service_rules")}
    sheets["home_service"] = sheet_title("home_service", lang)
    assert set(sheets.values()) <= set(book.sheetnames)
    sheet = book[sheets["windows"]]
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["周六上午"][3] == pytest.approx(169.0)
    home = book[sheets["home_service"]]
    people = [row[2] for row in home.iter_rows(min_row=2, values_only=True)]
    assert sum(people) == pytest.approx(res.home_service["people"].sum())


def test_what_if_keeps_the_windows(grid_case):
    from fixtures.synthetic import lattice_lonlat

    from coverage import add_station, remove_station

    case, _ = _case(grid_case)
    res = run_coverage(load_config(case.config))
    # without S2 (open on weekdays only) both windows are S1's: 169 people
    less = remove_station(res, "S2")
    by = less.summary["coverage_by_window"]
    assert by["工作日午间"]["population_covered"] == pytest.approx(169.0)
    assert by["周六上午"]["population_covered"] == pytest.approx(169.0)
    # a new station without hours counts as always open: (4, 4) adds its diamond's corner
    lon, lat = lattice_lonlat(case.n, case.spacing_m)
    more = add_station(less, (float(lon[4, 4]), float(lat[4, 4])), station_id="S3")
    blocks = np.minimum(
        np.abs(np.arange(5)[:, None] - 2) + np.abs(np.arange(5)[None, :] - 2),
        np.abs(np.arange(5)[:, None] - 4) + np.abs(np.arange(5)[None, :] - 4),
    )
    expected = float(case.counts[blocks <= 2].sum())
    assert more.summary["coverage_by_window"]["周六上午"]["population_covered"] == pytest.approx(
        expected
    )
    assert more.stations["open_周六上午"].tolist() == [True, True]


def test_a_slower_group_in_each_window(grid_case):
    case, _ = _case(grid_case, extra=("group_speed_factor: {age_65_plus: 0.5}",))
    res = run_coverage(load_config(case.config))
    by = res.summary["coverage_by_window"]
    assert by["周六上午"]["population_covered"] == pytest.approx(169.0)  # everyone's stands
    # at half speed a block takes 4 minutes: within 5, one block. People aged 65+ live on
    # the even rows (a fifth of each cell, 39 in all): 12 + 13 + 14 beside S1; S2 adds
    # (0, 0) and (0, 1) on weekdays
    old = {w: by[w]["groups"]["age_65_plus"]["population_covered"] for w in by}
    assert old == pytest.approx({"周六上午": 39 / 5, "工作日午间": 42 / 5})
    assert res.summary["groups"]["age_65_plus"]["covered_by_minutes"]["5"] == pytest.approx(42 / 5)
    assert res.windows["group_age_65_plus_coverage_share"].tolist() == pytest.approx(
        [42 / 195, 39 / 195]
    )
