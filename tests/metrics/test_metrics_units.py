"""Per-unit verdicts: exact figures on the line world, weighted percentiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage.metrics.units import level_summary, unit_figures, weighted_quantile_by_group


@pytest.fixture
def result(line_result):
    return line_result


def _reference(cells: pd.DataFrame, lo: int, hi: int) -> dict[str, float]:
    """Figures of the cells level with nodes lo..hi, by plain Python."""
    mine = cells[(cells["k"] >= lo) & (cells["k"] <= hi) & (cells["people"] > 0)]
    people = mine["people"].tolist()
    minutes = mine["minutes"].tolist()
    total = sum(people)
    covered = sum(p for p, m in zip(people, minutes, strict=True) if m <= 15)
    ordered = sorted(zip(minutes, people, strict=True))
    running = 0.0
    for m, p in ordered:
        running += p
        if running >= 0.9 * total:
            p90 = m
            break
    by_station: dict[int, float] = {}
    for p, s in zip(people, mine["station"], strict=True):
        by_station[s] = by_station.get(s, 0.0) + p
    return {
        "population": total,
        "population_covered": covered,
        "coverage_share": covered / total,
        "mean_minutes": sum(p * m for p, m in zip(people, minutes, strict=True)) / total,
        "p90_minutes": p90,
        "station": max(by_station, key=lambda s: (by_station[s], -s)),
    }


def test_point_minutes_are_the_hand_solution(result, line_world):
    cells = line_world.cells()
    assert np.allclose(result.point_minutes, cells["minutes"].to_numpy(), atol=1e-6)
    assert result.point_station.tolist() == cells["station"].tolist()


@pytest.mark.parametrize(
    ("level", "unit", "lo", "hi"),
    [
        ("township", "South", 0, 19),
        ("township", "North", 20, 44),
        ("village", "V1", 0, 9),
        ("village", "V2", 10, 19),
        ("village", "V3", 20, 29),
        ("village", "V4", 30, 44),
    ],
)
def test_unit_figures_match_the_hand_solution(result, line_world, level, unit, lo, hi):
    ref = _reference(line_world.cells(), lo, hi)
    row = result.units[level].set_index("unit").loc[unit]
    for key in ("population", "population_covered", "coverage_share", "mean_minutes"):
        assert row[key] == pytest.approx(ref[key], abs=1e-6), key
    assert row["p90_minutes"] == pytest.approx(ref["p90_minutes"], abs=1e-6)
    assert row["nearest_station"] == ["A", "B"][ref["station"]]
    assert row["unreachable_population"] == 0
    assert bool(row["covered"]) is (ref["coverage_share"] >= 0.9)


def test_unit_figures_literal_values(result):
    v = result.units["village"].set_index("unit")
    # V1: k = 0..9; 250 people, 240 within 15 min (k = 9 is at 15.5 min)
    assert v.loc["V1", "population"] == 250
    assert v.loc["V1", "population_covered"] == 240
    assert v.loc["V1", "coverage_share"] == pytest.approx(0.96)
    assert v.loc["V1", "mean_minutes"] == pytest.approx(9.5)
    assert v.loc["V1", "p90_minutes"] == pytest.approx(13.5)
    assert v.loc["V1", "nearest_station_name"] == "Station <A>"
    assert v.loc["V1", "nearest_station_population"] == 250
    assert bool(v.loc["V1", "covered"]) is True
    # V2: k = 10..19, all beyond 15 min
    assert v.loc["V2", "coverage_share"] == 0
    assert bool(v.loc["V2", "covered"]) is False
    # V2 splits 60 (A, k <= 15) / 40 (B): A serves most of it
    assert v.loc["V2", "nearest_station"] == "A"
    assert v.loc["V2", "nearest_station_population"] == 60
    # the unit without residents has no verdict
    assert v.loc["Empty", "population"] == 0
    assert pd.isna(v.loc["Empty", "covered"])
    assert pd.isna(v.loc["Empty", "coverage_share"])
    assert pd.isna(v.loc["Empty", "nearest_station"])


def test_share_of_units_covered_in_summary(result):
    levels = result.summary["units_by_level"]
    # V1 96%, V2 0%, V3 70%, V4 (k = 30..44: 100 of 150 within 15 min) 66.7% -> only V1
    assert levels["village"] == {
        "units": 5,
        "units_populated": 4,
        "units_covered": 1,
        "share_units_covered": 0.25,
        "unit_covered_share": 0.9,
    }
    assert levels["township"]["units_covered"] == 0
    assert result.units["village"].set_index("unit").loc["V4", "coverage_share"] == (
        pytest.approx(100 / 150)
    )


def test_covered_share_rule_is_configurable(line_world):
    res = line_world.run(
        units={"village": line_world.villages},
        unit_covered_share=0.65,
    )
    assert res.units["village"]["covered"].tolist()[:4] == [True, False, True, True]
    assert res.summary["units_by_level"]["village"]["share_units_covered"] == 0.75


def test_covered_at_exactly_the_rule():
    t = unit_figures(
        np.array([0, 0, 1, 1]),
        ["a", "b"],
        np.array([9.0, 1.0, 0.1 * 3, 0.7]),  # b: 0.3 of 1.0 within
        np.array([1.0, 99.0, 1.0, 99.0]),
        15,
        covered_share=0.9,
    )
    assert t["covered"].tolist() == [True, False]
    t = unit_figures(
        np.array([1, 1]), ["a", "b"], np.array([0.1 + 0.2, 0.7]), np.array([1.0, 99.0]), 15,
        covered_share=0.3,
    )  # fmt: skip
    assert t["covered"].tolist()[1] is True


def test_unreachable_residents_push_p90_to_infinity():
    t = unit_figures(
        np.array([0, 0, 0]), ["a"], np.array([80.0, 5.0, 15.0]), np.array([2.0, 3.0, np.inf]), 15
    )
    assert t.loc[0, "p90_minutes"] == np.inf
    assert t.loc[0, "mean_minutes"] == pytest.approx((80 * 2 + 5 * 3) / 85)
    assert t.loc[0, "unreachable_population"] == 15
    # exactly 10% unreachable: 90% of the people are within 3 minutes
    t = unit_figures(
        np.array([0, 0, 0]), ["a"], np.array([85.0, 5.0, 10.0]), np.array([2.0, 3.0, np.inf]), 15
    )
    assert t.loc[0, "p90_minutes"] == 3.0
    assert "nearest_station" not in t.columns


def test_weighted_quantile_equals_numpy_inverted_cdf_for_integer_weights():
    rng = np.random.default_rng(6)
    for _ in range(50):
        n = int(rng.integers(1, 30))
        values = rng.choice(np.arange(40.0), size=n)
        weights = rng.integers(1, 5, size=n)
        q = float(rng.choice([0.1, 0.5, 0.9, 1.0]))
        got = weighted_quantile_by_group(
            np.zeros(n, dtype=int), values, weights.astype(float), q, 1
        )
        expected = np.quantile(np.repeat(values, weights), q, method="inverted_cdf")
        assert got[0] == expected


def test_weighted_quantile_groups_are_independent():
    group = np.array([1, 0, 1, 0, -1, 1])
    values = np.array([5.0, 1.0, 7.0, 2.0, 0.0, 6.0])
    weights = np.array([1.0, 1.0, 1.0, 3.0, 9.0, 0.0])
    got = weighted_quantile_by_group(group, values, weights, 0.5, 3)
    assert got[0] == 2.0 and got[1] == 5.0 and np.isnan(got[2])


def test_level_summary_without_residents():
    t = unit_figures(np.array([-1]), ["a"], np.array([5.0]), np.array([1.0]), 15)
    assert level_summary(t, covered_share=0.9)["share_units_covered"] is None


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.integers(-1, 3),
            st.floats(0, 100),
            st.one_of(st.floats(0, 60), st.just(np.inf)),
        ),
        min_size=1,
        max_size=40,
    ),
    threshold=st.floats(1, 59),
)
def test_unit_invariants(data, threshold):
    unit, people, minutes = (np.array(x) for x in zip(*data, strict=True))
    names = ["a", "b", "c", "d"]
    t = unit_figures(unit.astype(int), names, people, minutes, threshold)
    inside = unit >= 0
    assert t["population"].sum() == pytest.approx(people[inside].sum())
    assert (t["population_covered"] <= t["population"] + 1e-9).all()
    for i, row in t.iterrows():
        mine = (unit == i) & (people > 0)
        if mine.any():
            assert minutes[mine].min() <= row["p90_minutes"] <= minutes[mine].max()
    more = unit_figures(unit.astype(int), names, people, minutes, threshold + 1)
    assert (more["population_covered"] >= t["population_covered"]).all()
    assert more["covered"].fillna(False).astype(bool).sum() >= t["covered"].fillna(False).sum()
