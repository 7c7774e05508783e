"""The certified bound of maximal covering and the exact solve through it, by enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from coverage.siting.certificate import (
    certify,
    lagrangian_bound,
    lagrangian_mclp,
    reduced_cost_fixing,
)
from coverage.siting.optimise import maximal_covering


def instance(seed: int, *, sites: int = 11, points: int = 70):
    rng = np.random.default_rng(seed)
    dense = rng.random((sites, points)) < 0.15
    w = rng.integers(1, 50, points).astype(float)
    return sp.csr_matrix(dense.astype(float)), w


def optimum(sets, w, k):
    """Best covered weight with k sites and every set of sites reaching it."""
    best, argbest = -1.0, []
    for combo in itertools.combinations(range(sets.shape[0]), k):
        covered = np.zeros(w.size, dtype=bool)
        covered[sets[list(combo)].indices] = True
        value = float(w[covered].sum())
        if value > best + 1e-9:
            best, argbest = value, [combo]
        elif abs(value - best) <= 1e-9:
            argbest.append(combo)
    return best, argbest


@pytest.mark.parametrize("seed", range(6))
def test_any_multipliers_bound_the_enumerated_optimum(seed):
    sets, w = instance(seed)
    rows = sp.csr_matrix(sets.T)
    best, _ = optimum(sets, w, 3)
    rng = np.random.default_rng(seed + 100)
    for _ in range(20):
        lam = rng.uniform(0, 1.5, w.size) * w
        assert lagrangian_bound(rows, w, 3, lam)[0] >= best - 1e-9
    cert = certify(rows, w, 3)
    assert best - 1e-9 <= cert.bound
    # the LP duals give (about) the LP optimum, far tighter than the total weight
    assert cert.bound < w[np.diff(rows.indptr) > 0].sum()


@pytest.mark.parametrize("seed", range(6))
def test_fixing_never_rules_out_an_optimal_site(seed):
    sets, w = instance(seed)
    rows = sp.csr_matrix(sets.T)
    k = 3
    best, argbest = optimum(sets, w, k)
    cert = certify(rows, w, k)
    greedy = maximal_covering(sets, w, k, solver="greedy")
    out, in_ = reduced_cost_fixing(cert, k, greedy.objective)
    for combo in argbest:
        assert not out[list(combo)].any()
        assert set(np.flatnonzero(in_)) <= set(combo)
    # the greedy answer carries the certified bound and its gap
    assert greedy.bound == pytest.approx(cert.bound)
    assert greedy.objective <= best + 1e-9 <= greedy.bound + 1e-9
    assert greedy.mip_gap == pytest.approx((greedy.bound - greedy.objective) / greedy.bound)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("k", [2, 4])
def test_exact_through_the_certificate_is_the_enumerated_optimum(seed, k):
    sets, w = instance(seed)
    best, _ = optimum(sets, w, k)
    via = maximal_covering(sets, w, k, presolve="lagrangian")
    plain = maximal_covering(sets, w, k, presolve="none")
    assert via.objective == pytest.approx(best) == plain.objective
    assert via.status == "optimal" and via.mip_gap <= 1e-6
    assert via.bound >= best - 1e-6
    solved = lagrangian_mclp(sp.csr_matrix(sets.T), w, k, time_limit_s=30, mip_rel_gap=1e-6)
    assert solved["greedy"] <= solved["incumbent"] <= best + 1e-9
    assert best <= solved["certificate"]["bound"] + 1e-9


def test_forced_sites_with_the_certificate():
    sets, w = instance(3)
    forced = [5]
    best = max(
        float(w[np.unique(sets[[5, *combo]].indices)].sum())
        for combo in itertools.combinations([j for j in range(11) if j != 5], 2)
    )
    via = maximal_covering(sets, w, 3, forced=forced, presolve="lagrangian")
    assert via.objective == pytest.approx(best) and via.sites[0] == 5
    greedy = maximal_covering(sets, w, 3, forced=forced, solver="greedy")
    assert greedy.bound >= best - 1e-9


def test_exchanges_escape_the_greedy_trap_and_never_lose():
    from coverage.siting.greedy import swap_improve

    # greedy takes the middle site (10) then the left one (+4.5); the optimum is both ends
    sets = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 1], [0, 1, 1, 0]], dtype=float))
    w = np.array([4.5, 5.0, 5.0, 4.5])
    assert maximal_covering(sets, w, 2, solver="greedy").sites.tolist() == [2, 0]
    assert sorted(swap_improve(sets, w, [2, 0])) == [0, 1]
    for seed in range(5):
        sets, w = instance(seed)
        start = maximal_covering(sets, w, 3, solver="greedy")
        better = swap_improve(sets, w, start.sites.tolist())
        value = float(w[np.unique(sets[better].indices)].sum())
        assert len(better) == 3 and start.objective - 1e-9 <= value <= optimum(sets, w, 3)[0] + 1e-9


@pytest.mark.parametrize("seed", range(4))
def test_lp_seeded_greedy_keeps_k_sites_and_the_lp_ones(seed):
    from coverage.siting.certificate import lp_greedy

    sets, w = instance(seed)
    cert = certify(sp.csr_matrix(sets.T), w, 3)
    picked = lp_greedy(sp.csr_matrix(sets), w, 3, cert.lp_sites)
    assert len(set(picked)) == 3
    assert set(np.flatnonzero(cert.lp_sites >= 1 - 1e-6)[:3]) <= set(picked)
    value = float(w[np.unique(sets[picked].indices)].sum())
    assert value <= optimum(sets, w, 3)[0] + 1e-9 <= cert.bound + 1e-9
