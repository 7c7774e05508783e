"""Official totals per unit (census 常住人口 by township): the raster or the village
table rescaled inside each unit to the official figure, on the hand-solvable grid."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.synthetic import lattice_lonlat

from coverage import load_config, run_coverage
from coverage.errors import InputError
from coverage.inputs.official_totals import read_official_totals
from coverage.metrics.official_totals import OfficialTotalsWarning

TOTALS = "population: {raster: population.tif, totals: {file: 七普.csv, level: unit, column: 常住人口, unit_column: 乡镇}}"  # noqa: E501


def configure(case, population_line, totals_rows, *, encoding="gb18030"):
    lines = ["某县第七次全国人口普查 常住人口（分乡镇）", "乡镇,常住人口", *totals_rows]
    (case.folder / "七普.csv").write_bytes("\n".join(lines).encode(encoding))
    text = case.config.read_text(encoding="utf-8").splitlines()
    text = [t for t in text if not t.startswith("population")]
    case.config.write_text("\n".join([*text, population_line]) + "\n", encoding="utf-8")
    return load_config(case.config)


def test_raster_scaled_to_official_totals_per_unit(grid_case):
    # 5 x 5 cells of 1 + row * 5 + col people; 'west' = columns 0-1, 'east' = 2-4;
    # one station at the centre, 2 minutes a block, 5 minutes
    case = grid_case(boundaries=True, minutes=5.0)
    config = configure(
        case,
        TOTALS,
        ['ｗｅｓｔ,"1,000"', "east,3000", "合计,4000"],  # full-width name: NFKC
    )
    with pytest.warns(OfficialTotalsWarning, match=r"1 row\(s\) of the totals table .*合计"):
        result = run_coverage(config)
    # independent computation: each cell times official / model of its unit
    counts = case.counts
    west = np.zeros(counts.shape, bool)
    west[:, :2] = True
    scaled = np.where(west, counts * 1000 / counts[west].sum(), counts * 3000 / counts[~west].sum())
    covered = case.node_minutes() <= 5.0
    s = result.summary
    assert s["population_model_total"] == counts.sum() == 325
    assert s["population_official_total"] == 4000
    assert s["population_total"] == pytest.approx(4000, rel=1e-12)
    assert s["population_covered"] == pytest.approx(scaled[covered].sum(), rel=1e-12)
    assert s["coverage_share"] == pytest.approx(scaled[covered].sum() / 4000, rel=1e-12)
    assert s["official_totals"]["rows_unmatched"] == ["合计"]
    assert s["official_totals"]["units_unmatched"] == []
    units = result.units["unit"].set_index("unit")
    assert units.loc["west", "population"] == pytest.approx(1000, rel=1e-12)
    assert units.loc["east", "population"] == pytest.approx(3000, rel=1e-12)
    assert units.loc["west", "population_official"] == 1000
    assert units.loc["west", "population_model"] == counts[west].sum() == 115
    assert units.loc["east", "population_model"] == counts[~west].sum() == 210
    assert units.loc["east", "population_covered"] == pytest.approx(
        scaled[covered & ~west].sum(), rel=1e-12
    )
    # the grid carries the scaled people too (maps, travel-time raster)
    assert result.demand.grid.total == pytest.approx(4000, rel=1e-12)


def test_units_without_people_and_without_rows_are_reported(grid_case):
    case = grid_case(boundaries=True, minutes=5.0)
    counts = case.counts.copy()
    config = configure(case, TOTALS, ["west,1000"])
    with pytest.warns(OfficialTotalsWarning, match=r"'unit' unit\(s\) of the boundaries have no "
                      r"row in the totals table .*: east"):  # fmt: skip
        s = run_coverage(config).summary
    assert s["official_totals"]["units_unmatched"] == ["east"]
    # east keeps its modelled people
    assert s["population_total"] == pytest.approx(1000 + counts[:, 2:].sum(), rel=1e-12)
    # a unit whose cells hold nobody cannot take its official people
    from fixtures.synthetic import write_population

    empty = case.counts.copy()
    empty[:, :2] = 0.0
    write_population(case.folder / "population.tif", empty, case.spacing_m)
    config = configure(case, TOTALS, ["west,1000", "east,3000"])
    with pytest.warns(OfficialTotalsWarning, match="no populated cell or point .*: west"):
        s = run_coverage(config).summary
    assert s["official_totals"]["units_without_population"] == ["west"]
    assert s["population_total"] == pytest.approx(3000, rel=1e-12)
    assert s["population_official_total"] == 4000


def test_village_table_scaled_to_official_totals(grid_case):
    case = grid_case(boundaries=True, minutes=5.0)
    lon, lat = lattice_lonlat(case.n, case.spacing_m)
    picks = [(0, 0), (2, 3), (4, 4), (1, 1)]  # west: 0 and 3; east: 1 and 2
    rows = ["村名,经度,纬度,常住人口"]
    rows += [f"村{i},{lon[p]:.8f},{lat[p]:.8f},{100 * (i + 1)}" for i, p in enumerate(picks)]
    (case.folder / "villages.csv").write_text("\n".join(rows), encoding="utf-8")
    line = ("population: {points: villages.csv, totals: {file: 七普.csv, level: unit, "
            "column: 常住人口, unit_column: 乡镇}}")  # fmt: skip
    result = run_coverage(configure(case, line, ["west,1500", "east,700"]))
    people = np.array([100.0, 200.0, 300.0, 400.0])
    west = np.array([True, False, False, True])
    scaled = np.where(west, people * 1500 / 500, people * 700 / 500)
    assert np.allclose(result.demand.population, scaled, rtol=1e-12, atol=0)
    covered = np.array([case.node_minutes()[p] <= 5.0 for p in picks])
    s = result.summary
    assert s["population_covered"] == pytest.approx(scaled[covered].sum(), rel=1e-12)
    assert s["population_model_total"] == 1000 and s["population_official_total"] == 2200
    units = result.units["unit"].set_index("unit")
    assert units.loc["west", "population"] == pytest.approx(1500, rel=1e-12)
    assert units.loc["west", "population_model"] == 500


def test_totals_table_errors(tmp_path):
    def table(text):
        path = tmp_path / "t.csv"
        path.write_text(text, encoding="utf-8")
        return path

    with pytest.raises(InputError, match=r"t.csv: row 3: column '常住人口' is 'n/a', not a"):
        read_official_totals(table("乡镇,常住人口\nA镇,10\nB镇,n/a"), column="常住人口")
    with pytest.raises(InputError, match=r"rows 2 and 3 both give unit 'A镇'"):
        read_official_totals(table("乡镇,常住人口\nA镇,10\nA镇 ,12"), column="常住人口")
    with pytest.raises(InputError, match=r"no column '人口' .*set population: totals: column"):
        read_official_totals(table("乡镇,常住人口\nA镇,10"), column="人口")
    got = read_official_totals(table('名称,常住人口\nA镇,"1,234"\n,\n'), column="常住人口")
    assert got.names == ("A镇",) and got.population.tolist() == [1234.0] and got.rows == (2,)


def test_no_name_matches_is_an_error(grid_case):
    case = grid_case(boundaries=True, minutes=5.0)
    config = configure(case, TOTALS, ["城关镇,1000", "东山乡,3000"])
    with pytest.raises(InputError, match=r"七普.csv: no name of the totals table \(e.g. '城关镇'\) "
                       r"matches a 'unit' unit .*'west', 'east'"):  # fmt: skip
        run_coverage(config)


def test_siting_starts_from_the_official_people_of_the_run(grid_case):
    from coverage import run_siting

    case = grid_case(boundaries=True, minutes=5.0)
    config = configure(case, TOTALS, ["west,1000", "east,3000"])
    run = run_coverage(config).summary
    site = run_siting(config, candidates=["gaps"], add=1, gaps=5).summary
    assert site["before"]["population_covered"] == pytest.approx(
        run["population_covered"], rel=1e-12
    )
    assert site["before"]["coverage_share"] == pytest.approx(run["coverage_share"], rel=1e-12)


def test_totals_from_an_xlsx_sheet(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "说明"
    sheet = book.create_sheet("分乡镇")
    sheet.append(["某县第七次全国人口普查主要数据"])
    sheet.append(["序号", "乡镇（街道）", "常住人口（人）"])
    sheet.append([1, "城关镇", 45210])
    sheet.append([2, "东山乡", 8123.0])
    book.save(tmp_path / "七普.xlsx")
    got = read_official_totals(
        tmp_path / "七普.xlsx", column="常住人口（人）", unit_column="乡镇（街道）", sheet="分乡镇"
    )
    assert got.names == ("城关镇", "东山乡")
    assert got.population.tolist() == [45210.0, 8123.0]
    assert got.rows == (3, 4) and got.total == 53333.0
