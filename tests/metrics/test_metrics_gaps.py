"""Gap areas: polygons are the uncovered populated cells and the empty cells they enclose."""

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


FOUR = ((1, 0), (-1, 0), (0, 1), (0, -1))
EIGHT = (*FOUR, (1, 1), (1, -1), (-1, 1), (-1, -1))


def _components(cells: set[tuple[int, int]], steps=FOUR) -> list[set[tuple[int, int]]]:
    """Connected components by flood fill (independent of scipy)."""
    left, out = set(cells), []
    while left:
        stack, comp = [left.pop()], set()
        while stack:
            r, c = stack.pop()
            comp.add((r, c))
            for dr, dc in steps:
                nb = (r + dr, c + dc)
                if nb in left:
                    left.remove(nb)
                    stack.append(nb)
        out.append(comp)
    return out


def _enclosed_empty(uncovered, empty, shape) -> set[tuple[int, int]]:
    """The empty cells a single gap surrounds, by the definition (flood fill, no scipy)."""
    height, width = shape
    gaps = _components(uncovered)
    gap_of = {cell: i for i, comp in enumerate(gaps) for cell in comp}
    rest = {(r, c) for r in range(height) for c in range(width)} - set(uncovered)
    out: set[tuple[int, int]] = set()
    for hole in _components(rest, EIGHT):
        if any(r in (0, height - 1) or c in (0, width - 1) for r, c in hole):
            continue  # reaches the edge: not a hole
        around = {gap_of[(r + dr, c + dc)] for r, c in hole for dr, dc in FOUR
                  if (r + dr, c + dc) in gap_of}  # fmt: skip
        if hole <= empty and len(around) == 1:
            out |= hole
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
    cells = zip(demand.rows, demand.cols, demand.population, strict=True)
    populated = {(int(r), int(c)) for r, c, p in cells if p > 0}
    empty = {(r, c) for r, c in zip(*np.nonzero(valid), strict=True)} - populated
    filled = _enclosed_empty(uncovered, empty, shape)
    expected = shapely.union_all([_cell_box(r, c) for r, c in uncovered | filled])
    got = shapely.union_all(gaps.geometry.to_numpy())
    assert got.symmetric_difference(expected).area == pytest.approx(0.0, abs=1e-6)
    # the polygons do not overlap: their areas add up to the union's
    assert gaps.geometry.area.sum() == pytest.approx(expected.area)
    # the figures count the uncovered populated cells only
    assert gaps["area_km2"].sum() == pytest.approx(len(uncovered) * CELL * CELL / 1e6)
    # no covered resident and no cell without data inside a gap
    inside = [(r, c) for r in range(shape[0]) for c in range(shape[1])
              if (r, c) not in uncovered | filled]  # fmt: skip
    for geom in gaps.geometry:
        assert not shapely.contains(geom, [_cell_box(*x).centroid for x in inside]).any()

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


def test_empty_cells_inside_a_gap_are_filled_covered_and_nodata_ones_are_not():
    # a 9 x 9 grid of 4 residents a cell, all beyond the threshold except (7, 2)
    counts = np.full((9, 9), 4.0)
    valid = np.ones((9, 9), dtype=bool)
    counts[2, 1] = 0.0  # nobody lives here, walled in by the gap: filled
    counts[1, 6] = counts[1, 7] = 0.0  # two empty cells side by side: filled together
    counts[3:6, 3:6] = 0.0  # an empty ring ...
    counts[4, 4] = 4.0  # ... around one uncovered cell: another gap, so the ring stays
    valid[7, 6] = False  # no data (a lake in the raster): stays a hole
    counts[0, 0] = 0.0  # empty at the raster's edge: not a hole
    demand = demand_from_grid(_grid(counts, valid))
    cells = list(zip(demand.rows.tolist(), demand.cols.tolist(), strict=True))
    covered = (7, 2)  # a covered resident: stays a hole
    minutes = np.array([5.0 if x == covered else 40.0 for x in cells])
    gaps = gap_areas(demand, minutes, 15.0)

    assert gaps["population"].tolist() == [66 * 4.0, 4.0]
    assert gaps["cells"].tolist() == [66, 1]
    outer, inner = gaps.geometry.iloc[0], gaps.geometry.iloc[1]
    block = box(X0 + 3 * CELL, Y0 - 6 * CELL, X0 + 6 * CELL, Y0 - 3 * CELL)
    expected = box(X0, Y0 - 9 * CELL, X0 + 9 * CELL, Y0).difference(
        shapely.union_all([_cell_box(0, 0), _cell_box(*covered), _cell_box(7, 6), block])
    )
    assert outer.symmetric_difference(expected).area == pytest.approx(0.0, abs=1e-6)
    assert len(outer.interiors) == 3
    assert inner.equals(_cell_box(4, 4))
    # drawn with the 4 filled cells, counted without them
    assert outer.area == pytest.approx(69 * CELL * CELL)
    assert gaps["area_km2"].tolist() == pytest.approx([66 * CELL * CELL / 1e6, CELL * CELL / 1e6])
