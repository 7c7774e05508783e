"""The unit-target siting model against optima found by enumerating every set of sites."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from coverage.errors import SolverError
from coverage.metrics.units import unit_figures
from coverage.siting.unit_model import TierNeed, UnitLevel, site_for_units, units_covered


def town(seed: int, *, villages: int = 12, sites: int = 9, points: int = 60):
    """A random town: points in villages (3 per township), sites covering nearby points."""
    rng = np.random.default_rng(seed)
    village = rng.integers(0, villages, points)
    township = village // 3
    population = rng.integers(1, 40, points).astype(float)
    dense = rng.random((sites, points)) < 0.18
    base = rng.random(points) < 0.25
    site_village = rng.integers(0, villages, sites)
    return village, township, population, sp.csr_matrix(dense.astype(float)), base, site_village


def levels_of(village, township, *, share=0.8, targets=(None, None)):
    return [
        UnitLevel("township", township, [f"T{i}" for i in range(township.max() + 1)], share,
                  targets[0]),
        UnitLevel("village", village, [f"V{i}" for i in range(village.max() + 1)], share,
                  targets[1]),
    ]  # fmt: skip


def evaluate(sets, population, base, levels, combo):
    covered = base.copy()
    for j in combo:
        covered[sets[j].indices] = True
    units = {lv.name: int(units_covered(lv, population, covered).sum()) for lv in levels}
    return units, float(population[covered].sum()), covered


def tier_ok(tiers, combo):
    for rule in tiers:
        have = np.bincount(
            rule.site_unit[list(combo)][rule.site_counts[list(combo)]], minlength=rule.need.size
        ) if combo else np.zeros(rule.need.size)  # fmt: skip
        if np.any(have < rule.need):
            return False
    return True


def meets(levels, population, units):
    for lv in levels:
        if lv.target_share is None:
            continue
        populated = int(np.bincount(lv.unit_of_point, weights=population).astype(bool).sum())
        if units[lv.name] < math.ceil(lv.target_share * populated - 1e-9):
            return False
    return True


def test_units_covered_follows_the_run_unit_tables():
    village, _, population, _, base, _ = town(3)
    lv = UnitLevel("village", village, [f"V{i}" for i in range(12)], 0.7)
    minutes = np.where(base, 5.0, 30.0)
    table = unit_figures(village, lv.names, population, minutes, 15.0, covered_share=0.7)
    assert (
        units_covered(lv, population, base).tolist()
        == table["covered"].fillna(False).astype(bool).tolist()
    )
    # a share exactly on the rule counts (0.7 of 10 people, written as a float sum)
    exact = UnitLevel("v", np.zeros(10, dtype=np.int64), ["a"], 0.7)
    assert units_covered(exact, np.ones(10), np.arange(10) < 7).tolist() == [True]


@pytest.mark.parametrize("seed", [1, 3, 4, 5])
@pytest.mark.parametrize("with_tiers", [False, True])
def test_fewest_sites_meeting_the_targets_is_the_enumerated_minimum(seed, with_tiers):
    village, township, population, sets, base, site_village = town(seed)
    levels = levels_of(village, township, targets=(0.75, 0.5))
    tiers = []
    if with_tiers:
        counts = np.arange(sets.shape[0]) % 2 == 0  # even sites are township stations
        need = np.zeros(4, dtype=np.int64)
        need[[0, 2]] = 1
        tiers = [TierNeed("township", "township", need, site_village // 3, counts)]
    n = sets.shape[0]
    everything = evaluate(sets, population, base, levels, range(n))[0]
    assert meets(levels, population, everything) and tier_ok(tiers, tuple(range(n)))
    feasible = None
    for k in range(n + 1):
        found = []
        for c in itertools.combinations(range(n), k):
            units, people, _ = evaluate(sets, population, base, levels, c)
            if tier_ok(tiers, c) and meets(levels, population, units):
                found.append((people, c))
        if found:
            feasible = (k, max(found)[0])
            break
    assert feasible is not None
    sel = site_for_units(sets, population, base, levels, objective="count", tiers=tiers)
    assert sel.status == "optimal" and sel.mip_gap == pytest.approx(0.0, abs=1e-9)
    assert len(sel) == feasible[0] == sel.value
    units, people, _ = evaluate(sets, population, base, levels, sel.sites)
    assert meets(levels, population, units) and tier_ok(tiers, tuple(sel.sites))
    assert people == pytest.approx(feasible[1])  # the most people among the fewest sites
    assert float(base @ population) + sel.people.sum() == pytest.approx(people)


@pytest.mark.parametrize("seed", [0, 4, 7])
@pytest.mark.parametrize("level", [None, "village"])
@pytest.mark.parametrize("with_tiers", [False, True])
def test_most_units_with_k_sites_is_the_enumerated_maximum(seed, level, with_tiers):
    village, township, population, sets, base, site_village = town(seed, sites=10)
    levels = levels_of(village, township)
    tiers = []
    if with_tiers:
        need = np.zeros(12, dtype=np.int64)
        need[site_village[0]] = 1  # the village of site 0 needs a village point
        tiers = [TierNeed("village", "village", need, site_village, np.ones(10, dtype=bool))]
    k = 3

    def units_of(c):
        units = evaluate(sets, population, base, levels, c)[0]
        return units[level] if level else sum(units.values())

    best = max(
        (units_of(c), evaluate(sets, population, base, levels, c)[1])
        for r in range(k + 1)
        for c in itertools.combinations(range(10), r)
        if tier_ok(tiers, c)
    )
    sel = site_for_units(
        sets, population, base, levels, objective="units", add=k, tiers=tiers,
        count_levels=None if level is None else [level],
    )  # fmt: skip
    assert len(sel) <= k and tier_ok(tiers, tuple(sel.sites))
    got = evaluate(sets, population, base, levels, sel.sites)
    assert (units_of(sel.sites), got[1]) == (best[0], pytest.approx(best[1]))
    assert sel.value == best[0] - units_of(())  # new units
    # the units each site moves over the line add up to the units it brings
    moved = sum(sum(m[lv].size for lv in ("township", "village")) for m in sel.units_moved)
    assert moved == sum(got[0].values()) - sum(
        evaluate(sets, population, base, levels, ())[0].values()
    )


@pytest.mark.parametrize("seed", [1, 3])
def test_people_objective_with_tier_rules_is_the_enumerated_maximum(seed):
    village, township, population, sets, base, site_village = town(seed, sites=10)
    levels = levels_of(village, township)
    need = np.zeros(4, dtype=np.int64)
    need[site_village[9] // 3] = 1
    tiers = [TierNeed("township", "township", need, site_village // 3, np.arange(10) >= 8)]
    best = max(
        evaluate(sets, population, base, levels, c)[1]
        for r in range(3)
        for c in itertools.combinations(range(10), r)
        if tier_ok(tiers, c)
    )
    sel = site_for_units(sets, population, base, levels, objective="people", add=2, tiers=tiers)
    assert evaluate(sets, population, base, levels, sel.sites)[1] == pytest.approx(best)
    assert tier_ok(tiers, tuple(sel.sites))


def test_an_unreachable_target_names_the_level_and_the_best_share():
    village, township, population, sets, base, _ = town(0)
    levels = levels_of(village, township, targets=(None, 1.0))
    best = evaluate(sets, population, base, levels, range(sets.shape[0]))[0]["village"]
    assert best < 12
    with pytest.raises(SolverError) as err:
        site_for_units(sets, population, base, levels, objective="count")
    text = str(err.value)
    assert "\n" not in text and "village" in text and "100%" in text
    assert f"{best / 12:.1%} ({best} of 12)" in text


def test_a_tier_rule_without_candidates_names_the_unit():
    village, township, population, sets, base, site_village = town(2)
    need = np.ones(4, dtype=np.int64)
    counts = np.zeros(sets.shape[0], dtype=bool)
    with pytest.raises(SolverError, match="township 'T0' needs 1 more township"):
        site_for_units(
            sets, population, base, levels_of(village, township), objective="people", add=2,
            tiers=[TierNeed("township", "township", need, site_village // 3, counts)],
        )  # fmt: skip


def test_ranking_puts_the_site_moving_most_units_first():
    # site 1 brings two villages over the line, site 0 one village with more people
    sets = sp.csr_matrix(np.array([[1, 1, 1, 0, 0], [0, 0, 0, 1, 1]], dtype=float))
    pop = np.array([10.0, 10.0, 10.0, 1.0, 1.0])
    lv = UnitLevel("village", np.array([0, 0, 0, 1, 2]), ["a", "b", "c"], 0.9)
    sel = site_for_units(sets, pop, np.zeros(5, bool), [lv], objective="units", add=2)
    assert sel.sites.tolist() == [1, 0]
    assert [m["village"].tolist() for m in sel.units_moved] == [[1, 2], [0]]
    assert sel.people.tolist() == [2.0, 30.0]
    assert pd.Series(sel.people).sum() == 32.0


def test_dominance_respects_tier_rules_forced_sites_and_covered_points():
    from coverage.siting.unit_model import dominated_sites

    a = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]]))
    free = np.zeros(4, dtype=bool)
    assert dominated_sites(a, free).tolist() == [False, True, False, False]
    # point 2 already covered: site 2 then only adds point 1, which site 0 reaches too
    assert dominated_sites(a, np.array([False, False, True, False])).tolist() == [
        False, True, True, False,
    ]  # fmt: skip
    # a site that counts for a tier rule is not replaced by one that does not
    rule = TierNeed("v", "village", np.array([1]), np.zeros(4, dtype=np.int64),
                    np.array([False, True, False, False]))  # fmt: skip
    assert dominated_sites(a, free, [rule]).tolist() == [False, False, False, False]
    assert dominated_sites(a, free, forced=np.array([1])).tolist() == [False] * 4
