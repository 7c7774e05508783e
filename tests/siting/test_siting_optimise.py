"""MCLP / LSCP solvers against brute-force enumeration on small instances."""

from __future__ import annotations

import heapq
import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage.errors import InputError, SolverError
from coverage.siting.optimise import maximal_covering, set_covering


def random_instance(seed: int, sites: int = 9, points: int = 30, density: float = 0.25):
    rng = np.random.default_rng(seed)
    mask = rng.random((sites, points)) < density
    minutes = np.where(mask, rng.uniform(0, 15, (sites, points)), 0.0)
    rows, cols = np.nonzero(mask)
    sets = sp.csr_matrix((minutes[rows, cols], (rows, cols)), shape=(sites, points))
    weights = rng.integers(1, 100, points).astype(float)
    weights[rng.random(points) < 0.2] = 0.0  # already covered by existing stations
    return mask, sets, weights


def covered_weight(mask: np.ndarray, weights: np.ndarray, chosen) -> float:
    if len(chosen) == 0:
        return 0.0
    return float(weights[mask[list(chosen)].any(axis=0)].sum())


def brute_mclp(mask, weights, k, forced=()):
    best = -1.0
    pool = [j for j in range(mask.shape[0]) if j not in forced]
    for combo in itertools.combinations(pool, k - len(forced)):
        best = max(best, covered_weight(mask, weights, (*forced, *combo)))
    return best


def naive_greedy(mask, weights, k):
    residual = weights.copy()
    chosen = []
    for _ in range(k):
        gains = np.array([residual[mask[j]].sum() for j in range(mask.shape[0])])
        gains[chosen] = -1
        j = int(np.argmax(gains))  # ties: lowest index
        if gains[j] <= 0:
            break
        chosen.append(j)
        residual[mask[j]] = 0.0
    return chosen


def test_known_small_optimum():
    # greedy takes the big middle site first, then needs two more; the optimum is the two ends
    mask = np.array(
        [
            [1, 1, 1, 0, 0, 0],
            [0, 0, 0, 1, 1, 1],
            [0, 1, 1, 1, 1, 0],
        ],
        dtype=bool,
    )
    weights = np.array([5.0, 1.0, 1.0, 1.0, 1.0, 5.0])
    sets = sp.csr_matrix(mask.astype(float))
    exact = maximal_covering(sets, weights, 2)
    greedy = maximal_covering(sets, weights, 2, solver="greedy")
    assert sorted(exact.sites.tolist()) == [0, 1]
    assert exact.objective == pytest.approx(14.0)
    assert exact.status == "optimal" and exact.mip_gap == pytest.approx(0.0, abs=1e-9)
    assert greedy.objective <= exact.objective
    # the marginal gains add up and are ranked in decreasing order
    assert exact.marginal.tolist() == [7.0, 7.0]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("k", [1, 2, 3])
def test_exact_finds_enumerated_optimum_and_greedy_never_beats_it(seed, k):
    mask, sets, weights = random_instance(seed)
    optimum = brute_mclp(mask, weights, k)
    exact = maximal_covering(sets, weights, k)
    greedy = maximal_covering(sets, weights, k, solver="greedy")
    assert exact.objective == pytest.approx(optimum)
    assert covered_weight(mask, weights, exact.sites) == pytest.approx(exact.objective)
    assert greedy.objective <= exact.objective + 1e-9
    assert greedy.objective >= (1 - 1 / np.e) * exact.objective - 1e-9
    # the lazy greedy picks exactly what the plain greedy picks
    assert greedy.sites.tolist() == naive_greedy(mask, weights, k)


@pytest.mark.parametrize("seed", range(4))
def test_forced_sites_are_kept_and_counted(seed):
    mask, sets, weights = random_instance(seed)
    forced = (4, 7)
    exact = maximal_covering(sets, weights, 3, forced=forced)
    assert exact.sites[:2].tolist() == [4, 7] and exact.forced[:2].all()
    assert exact.objective == pytest.approx(brute_mclp(mask, weights, 3, forced=forced))
    assert exact.bound >= exact.objective - 1e-6
    greedy = maximal_covering(sets, weights, 3, forced=forced, solver="greedy")
    assert greedy.sites[:2].tolist() == [4, 7]
    with pytest.raises(InputError, match="forced"):
        maximal_covering(sets, weights, 1, forced=forced)


@pytest.mark.parametrize("solver", ["exact", "greedy"])
def test_more_sites_never_cover_less(solver):
    mask, sets, weights = random_instance(11, sites=12, points=60)
    values = [maximal_covering(sets, weights, k, solver=solver).objective for k in range(1, 8)]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(values))
    assert values[-1] <= weights[mask.any(axis=0)].sum() + 1e-9


def test_lscp_reaches_target_with_minimum_count():
    for seed in range(6):
        mask, sets, weights = random_instance(seed)
        coverable = weights[mask.any(axis=0)].sum()
        target = 0.8 * coverable
        sel = set_covering(sets, weights, target=target)
        achieved = covered_weight(mask, weights, sel.sites)
        assert achieved >= target - 1e-6
        # no smaller set of sites reaches the target (enumeration)
        for size in range(len(sel)):
            for combo in itertools.combinations(range(mask.shape[0]), size):
                assert covered_weight(mask, weights, combo) < target - 1e-6
        # among the smallest sets, it covers the most
        assert achieved == pytest.approx(brute_mclp(mask, weights, len(sel)))
        greedy = set_covering(sets, weights, target=target, solver="greedy")
        assert len(greedy) >= len(sel)
        assert covered_weight(mask, weights, greedy.sites) >= target - 1e-6


def test_lscp_all_reachable_known_case():
    # points 0..5 on a line; each site covers three consecutive points: two sites suffice
    mask = np.array(
        [[1, 1, 1, 0, 0, 0], [0, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1]]
    )
    sets = sp.csr_matrix(mask.astype(float))
    sel = set_covering(sets, np.ones(6))
    assert sorted(sel.sites.tolist()) == [0, 3]
    assert sel.objective == 6.0


def test_unreachable_target_raises_solver_error():
    mask, sets, weights = random_instance(3)
    coverable = weights[mask.any(axis=0)].sum()
    with pytest.raises(SolverError, match="cannot be reached"):
        set_covering(sets, weights, target=coverable + 1.0)


def test_capacity_limits_what_a_site_serves():
    # one site reaching 100 people with a capacity of 30, another reaching 40 people
    sets = sp.csr_matrix(np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 1.0]]))
    weights = np.array([60.0, 40.0, 40.0])
    cap = np.array([30.0, np.inf])
    one = maximal_covering(sets, weights, 1, capacity=cap)
    assert one.sites.tolist() == [1] and one.objective == pytest.approx(40.0)
    two = maximal_covering(sets, weights, 2, capacity=cap)
    assert two.objective == pytest.approx(70.0)
    greedy = maximal_covering(sets, weights, 2, capacity=cap, solver="greedy")
    assert greedy.objective == pytest.approx(70.0)
    # greedy serves the nearest first: point 0 (1 minute) gives the 30 people
    lscp = set_covering(sets, weights, target=65.0, capacity=cap)
    assert len(lscp) == 2


def test_same_input_same_output():
    _, sets, weights = random_instance(5, sites=15, points=80)
    weights[:] = 1.0  # many ties
    runs = [maximal_covering(sets, weights, 4, solver=s) for s in ("exact", "greedy") * 3]
    assert all(np.array_equal(r.sites, runs[i % 2].sites) for i, r in enumerate(runs))


def test_bad_arguments():
    _, sets, weights = random_instance(1)
    with pytest.raises(InputError, match="solver"):
        maximal_covering(sets, weights, 2, solver="cbc")
    with pytest.raises(InputError, match="at least 1"):
        maximal_covering(sets, weights, 0)
    with pytest.raises(InputError, match="one weight per demand point"):
        maximal_covering(sets, weights[:-1], 2)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    k=st.integers(1, 4),
    density=st.floats(0.05, 0.6),
)
def test_siting_never_does_worse_than_what_exists(seed, k, density):
    mask, sets, weights = random_instance(seed, sites=8, points=25, density=density)
    for solver in ("exact", "greedy"):
        sel = maximal_covering(sets, weights, k, solver=solver)
        assert sel.objective >= 0 and np.all(sel.marginal > 0)
        assert len(sel) <= k
        assert sel.objective == pytest.approx(covered_weight(mask, weights, sel.sites))
    # demand already covered (weight 0) is never counted again
    assert covered_weight(mask, weights, range(8)) <= weights.sum()


def test_lazy_queue_matches_heap_order():
    # gains tie exactly: the lowest index wins, as in a heap of (-gain, index)
    sets = sp.csr_matrix(np.eye(4))
    sel = maximal_covering(sets, np.ones(4), 2, solver="greedy")
    heap = [(-1.0, j) for j in range(4)]
    heapq.heapify(heap)
    assert sel.sites.tolist() == [heapq.heappop(heap)[1], heapq.heappop(heap)[1]]


@pytest.mark.parametrize("solver", ["exact", "greedy"])
def test_infeasible_capacitated_target_raises_solver_error(solver):
    # p0 (10 people) is reached by sites 0 and 1, p1 (10 people) only by site 2 of capacity 1:
    # the simple capacity bound (20) passes, but at most 11 people can be served
    sets = sp.csr_matrix(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    weights = np.array([10.0, 10.0])
    cap = np.array([100.0, 100.0, 1.0])
    with pytest.raises(SolverError):
        set_covering(sets, weights, target=15.0, capacity=cap, solver=solver)
    ok = set_covering(sets, weights, target=11.0, capacity=cap, solver=solver)
    assert ok.objective == pytest.approx(11.0) and len(ok) == 2
