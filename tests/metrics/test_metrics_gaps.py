"""Gap areas: polygons are exactly the uncovered populated cells, ranked and attributed."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import CRS
from shapely.geometry import box

from coverage.inputs.population import PopulationGrid, demand_from_grid
from coverage.metrics.gaps import gap_areas

UTM = CRS.from_epsg(32650)
CELL = 100.0
X0, Y0 = 700_000.0, 3_120_000.0


def _grid(counts: np.ndarray, valid: np.ndarray) -> PopulationGrid:
    return PopulationGrid(
        counts=np.where(valid, counts, 0.0),
        valid=valid,
        transform=Affine(CELL, 0.0, X0, 0.0, -CELL, Y0),
        crs=UTM,
    )


def _cell_box(r: int, c: int):
    return box(X0 + c * CELL, Y0 - (r + 1) * CELL, X0 + (c + 1) * CELL, Y0 - r * CELL)


def _components(cells: set[tuple[int, int]]) -> list[set[tuple[int, int]]]:
    """4-connected components by flood fill (independent of scipy)."""
    left, out = set(cells), []
    while left:
        stack, comp = [left.pop()], set()
        while stack:
            r, c = stack.pop()
            comp.add((r, c))
            for nb in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                if nb in left:
                    left.remove(nb)
                    stack.append(nb)
        out.append(comp)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_gaps_cover_exactly_the_uncovered_populated_cells(seed):
    rng = np.random.default_rng(seed)
    shape = (23, 31)
    counts = np.where(rng.random(shape) < 0.25, 0.0, rng.integers(1, 50, shape).astype(float))
    valid = rng.random(shape) > 0.05
    grid = _grid(counts, valid)
    demand = demand_from_grid(grid)
    minutes = rng.uniform(0, 30, len(demand))
    minutes[rng.random(len(demand)) < 0.05] = np.inf
    gaps = gap_areas(demand, minutes, 15.0)

    uncovered = {
        (int(r), int(c))
        for r, c, p, m in zip(demand.rows, demand.cols, demand.population, minutes, strict=True)
        if p > 0 and not m <= 15
    }
    expected = shapely.union_all([_cell_box(r, c) for r, c in uncovered])
    got = shapely.union_all(gaps.geometry.to_numpy())
    assert got.symmetric_difference(expected).area == pytest.approx(0.0, abs=1e-6)
    # the polygons do not overlap: their areas add up to the union's
    assert gaps.geometry.area.sum() == pytest.approx(expected.area)
    assert gaps["area_km2"].sum() == pytest.approx(len(uncovered) * CELL * CELL / 1e6)

    comps = _components(uncovered)
    assert len(gaps) == len(comps)
    people = {(int(r), int(c)): float(p) for r, c, p in
              zip(demand.rows, demand.cols, demand.population, strict=True)}  # fmt: skip
    expected_pop = sorted((sum(people[x] for x in comp) for comp in comps), reverse=True)
    assert gaps["population"].tolist() == pytest.approx(expected_pop)
    assert gaps["gap_id"].tolist() == list(range(1, len(gaps) + 1))
    assert gaps["cells"].sum() == len(uncovered)
    cells = sorted(uncovered)
    centres = np.array([_cell_box(*x).centroid for x in cells])
    weights = np.array([people[x] for x in cells])
    for geom, pop in zip(gaps.geometry, gaps["population"], strict=True):
        assert weights[shapely.contains(geom, centres)].sum() == pytest.approx(pop)


def test_diagonal_neighbours_are_separate_gaps():
    counts = np.array([[5.0, 0.0, 0.0], [0.0, 7.0, 0.0], [0.0, 0.0, 9.0]])
    demand = demand_from_grid(_grid(counts, np.ones((3, 3), dtype=bool)))
    gaps = gap_areas(demand, np.full(len(demand), 20.0), 15.0)
    assert gaps["population"].tolist() == [9.0, 7.0, 5.0]
    assert gaps["mean_extra_minutes"].tolist() == [5.0, 5.0, 5.0]


def test_extra_minutes_and_unreachable():
    counts = np.array([[10.0, 30.0, 60.0]])
    demand = demand_from_grid(_grid(counts, np.ones((1, 3), dtype=bool)))
    gaps = gap_areas(demand, np.array([16.0, 25.0, np.inf]), 15.0)
    row = gaps.iloc[0]
    assert len(gaps) == 1
    assert row["mean_extra_minutes"] == pytest.approx((10 * 1 + 30 * 10) / 40)
    assert row["max_extra_minutes"] == 10.0
    assert row["unreachable_population"] == 60.0
    assert gap_areas(demand, np.zeros(3), 15.0).empty
    assert gap_areas(demand, np.array([16.0, 25.0, np.inf]), 15.0, min_population=101).empty


def test_gaps_on_the_line_world(line_result):
    res = line_result
    gaps = res.gaps
    # uncovered: k = 9..22 (east cells, 140 people) and k = 40..44 (east, 50 people)
    assert gaps["population"].tolist() == [140.0, 50.0]
    assert gaps["cells"].tolist() == [14, 5]
    # extra minutes k = 9..15: 0.5..6.5, k = 16..22: 6.5..0.5 -> mean 3.5; k = 40..44: 0.5..4.5
    assert gaps["mean_extra_minutes"].tolist() == pytest.approx([3.5, 2.5])
    assert gaps["max_extra_minutes"].tolist() == pytest.approx([6.5, 4.5])
    assert gaps["township"].tolist() == ["South", "North"]
    assert gaps["township_share"].tolist() == pytest.approx([110 / 140, 1.0])
    assert gaps["village"].tolist() == ["V2", "V4"]
    assert gaps["village_share"].tolist() == pytest.approx([100 / 140, 1.0])
    assert gaps.geometry.iloc[0].equals(box(0, 850, 100, 2250))
    assert res.summary["gaps"] == {"areas": 2, "population": 190.0}
