"""Villages listed under their township, with township subtotals, in CSV, workbook and report."""

from __future__ import annotations

import csv

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from fixtures.synthetic import ORIGIN_X, ORIGIN_Y, UTM
from openpyxl import load_workbook
from shapely.geometry import box

from coverage.cli import main
from coverage.outputs.report.subtotals import with_subtotals

# Villages over the 5 x 5 grid of 200 m cells (cell [r, c] centred on x0 + 200 c,
# y0 - 200 r). The townships are its halves: west = columns 0-1, east = columns 2-4.
# Village -> (rows, columns) it holds; 'C' lies a quarter in the west (column 1) and
# three quarters in the east, so containment puts it in the east.
VILLAGES = {
    "C": (range(2, 5), range(1, 5)),
    "A": (range(0, 2), range(0, 2)),
    "D": (range(0, 2), range(2, 5)),
    "B": (range(2, 5), range(0, 1)),
}


def _box(rows: range, cols: range):
    x, y = ORIGIN_X - 100, ORIGIN_Y + 100
    return box(x + 200 * cols.start, y - 200 * rows.stop, x + 200 * cols.stop, y - 200 * rows.start)


@pytest.fixture
def two_levels(grid_case):
    case = grid_case(boundaries=True)
    villages = gpd.GeoDataFrame(
        {"name": list(VILLAGES), "乡镇名称": ["west", "west", "east", "west"]},
        geometry=[_box(*cells) for cells in VILLAGES.values()],
        crs=UTM,
    ).to_crs(4326)
    villages.to_file(case.folder / "villages.geojson", driver="GeoJSON")
    text = case.config.read_text(encoding="utf-8").replace(
        "boundaries: units.geojson",
        "boundaries: {township: units.geojson, village: villages.geojson}",
    )
    case.config.write_text(text, encoding="utf-8")
    return case


def _expected(case) -> dict[str, tuple[float, float]]:
    """Residents and residents within the threshold per village, from the lattice."""
    within = case.node_minutes() <= 5.0
    out = {}
    for name, (rows, cols) in VILLAGES.items():
        cells = np.ix_(list(rows), list(cols))
        out[name] = (
            float(case.counts[cells].sum()),
            float(case.counts[cells][within[cells]].sum()),
        )
    return out


def _run(case, *extra: str) -> None:
    assert (
        main(["run", str(case.config), "--quiet", "--out", str(case.folder / "out"), *extra]) == 0
    )


def _csv(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_villages_by_containment_with_township_subtotals(two_levels):
    case = two_levels
    _run(case)
    out = case.folder / "out"
    expected = _expected(case)
    rows = _csv(out / "units_village.csv")
    assert list(rows[0])[:2] == ["unit", "township"]
    assert [(r["unit"], r["township"]) for r in rows] == [
        ("A", "west"), ("B", "west"), ("C", "east"), ("D", "east")
    ]  # fmt: skip
    for r in rows:
        assert float(r["population"]) == expected[r["unit"]][0]
        assert float(r["population_covered"]) == pytest.approx(expected[r["unit"]][1])
    # the townships themselves: the halves of the grid (west = columns 0-1)
    towns = {r["unit"]: float(r["population"]) for r in _csv(out / "units_township.csv")}
    assert towns == {"west": case.counts[:, :2].sum(), "east": case.counts[:, 2:].sum()}
    # the workbook: a bold subtotal after each township's villages
    sheet = load_workbook(out / "units.xlsx")["units_village"]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [v[0] for v in values] == ["A", "B", "Subtotal: west", "C", "D", "Subtotal: east"]
    west = [expected["A"][i] + expected["B"][i] for i in (0, 1)]
    east = [expected["C"][i] + expected["D"][i] for i in (0, 1)]
    head = [c.value for c in sheet[1]]
    pop, cov, share = (head.index(h) for h in ("Residents", "Within 5 min",
                                               "Share within 5 min"))  # fmt: skip
    minutes = head.index("Mean minutes")
    lattice = case.node_minutes()  # exact minutes per cell; nobody is unreachable here
    for row, (people, covered), names in ((values[2], west, "AB"), (values[5], east, "CD")):
        assert row[pop] == people and row[cov] == pytest.approx(covered)
        assert row[share] == pytest.approx(covered / people)
        cells = [np.ix_(list(r), list(c)) for r, c in (VILLAGES[v] for v in names)]
        weighted = sum((case.counts[c] * lattice[c]).sum() for c in cells) / people
        assert row[minutes] == pytest.approx(weighted, rel=2e-3)  # geodesic vs UTM lengths
    # C's west column moved east with it: the subtotals differ from the halves by it
    assert west[0] == towns["west"] - case.counts[2:, 1].sum()
    assert sheet.cell(row=4, column=1).font.bold and not sheet.cell(row=3, column=1).font.bold
    # the report lists the same groups
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<tr class='subtotal'>") == 2
    assert "Same site as" not in html  # no station is listed twice here
    assert html.index(">A<") < html.index("Subtotal: west") < html.index(">C<")


def test_villages_by_parent_column_in_chinese(two_levels):
    case = two_levels
    text = case.config.read_text(encoding="utf-8")
    case.config.write_text(text + "boundaries_parent: {village: 乡镇名称}\nlang: zh\n", "utf-8")
    _run(case)
    out = case.folder / "out"
    rows = _csv(out / "units_village.csv")
    # the column says C is in the west, whatever its area says
    assert [(r["unit"], r["township"]) for r in rows] == [
        ("C", "west"), ("A", "west"), ("B", "west"), ("D", "east")
    ]  # fmt: skip
    sheet = load_workbook(out / "units.xlsx").worksheets[2]
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [
        "C", "A", "B", "west 小计", "D", "east 小计"
    ]  # fmt: skip
    # the west subtotal now holds all of C (columns 1-4 of rows 2-4), as the column says
    expected = _expected(case)
    column = [c.value for c in sheet[1]].index("常住人口") + 1
    assert sheet.cell(row=5, column=column).value == sum(expected[v][0] for v in "CAB")
    assert sheet.cell(row=7, column=column).value == expected["D"][0]
    assert "west 小计" in (out / "report.html").read_text(encoding="utf-8")


def test_subtotals_weight_mean_minutes_by_residents_who_reach_a_station():
    table = pd.DataFrame(
        {
            "unit": ["a", "b", "c"],
            "township": ["T", "T", pd.NA],
            "population": [100.0, 300.0, 10.0],
            "population_covered": [50.0, 60.0, 10.0],
            "coverage_share": [0.5, 0.2, 1.0],
            "unreachable_population": [0.0, 100.0, 0.0],
            "mean_minutes": [10.0, 20.0, 1.0],
            "p90_minutes": [12.0, 30.0, 2.0],
        }
    )
    out = with_subtotals(table, "township", lambda n: f"sum {n}")
    assert out["unit"].tolist() == ["a", "b", "sum T", "c"]  # no parent: last, no subtotal
    total = out.iloc[2]
    assert total["population"] == 400 and total["unreachable_population"] == 100
    assert total["coverage_share"] == pytest.approx(110 / 400)
    assert total["mean_minutes"] == pytest.approx((10 * 100 + 20 * 200) / 300)
    assert np.isnan(total["p90_minutes"])
    assert out.attrs["subtotal_rows"] == [False, False, True, False]
