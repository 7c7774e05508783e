"""The budget multiplier search against enumeration of every set of sites."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
import scipy.sparse as sp

from coverage.siting.budget_dual import budget_dual, covered_weight, trim_to
from coverage.siting.certificate import certify, lagrangian_mclp
from coverage.siting.milp import coverage_mip, solve_mip
from coverage.siting.optimise import maximal_covering


def town(seed: int):
    """Cells on a plane, candidates covering the cells within a radius; some cells
    already covered by existing stations (weight 0)."""
    rng = np.random.default_rng(seed)
    cells, sites = int(rng.integers(30, 61)), int(rng.integers(12, 21))
    cell_xy = rng.uniform(0, 10, (cells, 2))
    site_xy = rng.uniform(0, 10, (sites, 2))
    dist = np.linalg.norm(site_xy[:, None, :] - cell_xy[None, :, :], axis=2)
    sets = sp.csr_matrix((dist <= 2.6).astype(float))
    w = rng.lognormal(1.0, 1.0, cells)
    stations = rng.uniform(0, 10, (2, 2))
    existing = (np.linalg.norm(stations[:, None, :] - cell_xy[None, :, :], axis=2) <= 2.0).any(0)
    w[existing] = 0.0
    return sets, w


def scattered(seed: int):
    """Sites covering random cells (their LP is often fractional); 20 % already covered."""
    rng = np.random.default_rng(seed)
    cells, sites = int(rng.integers(30, 61)), int(rng.integers(12, 21))
    sets = sp.csr_matrix((rng.random((sites, cells)) < 0.15).astype(float))
    w = rng.lognormal(1.0, 1.0, cells)
    w[rng.random(cells) < 0.2] = 0.0
    return sets, w


def subsets(n: int) -> np.ndarray:
    """Every subset of n sites as rows of 0/1."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(float)


def covered_by_each(sets: sp.csr_matrix, w: np.ndarray, masks: np.ndarray) -> np.ndarray:
    return ((masks @ sets.toarray()) > 0) @ w


def optimum(sets: sp.csr_matrix, w: np.ndarray, k: int) -> float:
    masks = subsets(sets.shape[0])
    return float(covered_by_each(sets, w, masks[masks.sum(1) <= k]).max())


@pytest.mark.parametrize("seed", range(10))
def test_bound_is_the_enumerated_lagrangian_and_a_proof_is_the_optimum(seed):
    sets, w = town(seed)
    rows = sp.csr_matrix(sets.T)
    masks = subsets(sets.shape[0])
    value = covered_by_each(sets, w, masks)
    for k in (3, 5):
        best = float(value[masks.sum(1) <= k].max())
        mu = 0.5 * best / k
        # without multipliers, and with the LP's (the sites they rule out at each mu
        # must not change I(mu))
        for duals in (None, certify(rows, w, k).multipliers):
            found = budget_dual(rows, w, k, multiplier=mu, time_limit_s=30, duals=duals)
            assert found.sites.size <= k
            assert found.value == pytest.approx(covered_weight(sets, w, found.sites))
            assert found.value <= best + 1e-9 <= found.bound + 1e-6
            # B(mu) = mu k + max over every set S of (covered(S) - mu |S|), by enumeration
            at = found.multiplier
            enumerated = at * k + float(np.max(value - at * masks.sum(1)))
            assert found.bound == pytest.approx(enumerated, rel=1e-7, abs=1e-6)
            if found.proven:
                assert found.value == pytest.approx(best, rel=1e-6)


def test_the_search_proves_on_most_towns_and_not_on_all():
    proven, ruled_out = [], 0
    for seed in range(30):
        sets, w = town(seed)
        best = optimum(sets, w, 4)
        rows = sp.csr_matrix(sets.T)
        duals = certify(rows, w, 4).multipliers
        found = budget_dual(rows, w, 4, multiplier=best / 8, time_limit_s=30, duals=duals)
        proven.append(found.proven)
        ruled_out += found.ruled_out
        assert found.value <= best + 1e-9 <= found.bound + 1e-6
    # a proof needs some multiplier at which the unbudgeted optimum takes exactly k
    # sites; on a few towns the covered weight is not concave in k there
    assert 10 <= sum(proven) < 30
    assert ruled_out > 0  # the duals left sites out of I(mu), and the answers held


@pytest.mark.parametrize("seed", range(12))
def test_exact_path_with_stations_and_forced_sites_is_the_enumerated_optimum(seed):
    sets, w = town(seed)
    k = 3 + seed % 3
    forced = [seed % sets.shape[0]]
    rest = [j for j in range(sets.shape[0]) if j != forced[0]]
    best = max(
        covered_weight(sets, w, np.array(forced + list(combo)))
        for combo in itertools.combinations(rest, k - 1)
    )
    via = maximal_covering(sets, w, k, forced=forced, presolve="lagrangian")
    assert via.objective == pytest.approx(best, rel=1e-9)
    assert via.status == "optimal" and via.bound >= best - 1e-6
    assert forced[0] in via.sites.tolist()


def test_exact_path_reports_which_step_proved_it():
    """Over many instances: proven by the certificate, by the multiplier search, or by
    the MILP after both; always the enumerated optimum."""
    steps = []
    for seed in range(30):
        sets, w = scattered(seed)
        masks = subsets(sets.shape[0])
        value = covered_by_each(sets, w, masks)
        for k in (3, 4, 5):
            best = float(value[masks.sum(1) <= k].max())
            rows = sp.csr_matrix(sets.T)
            solved = lagrangian_mclp(rows, w, k, time_limit_s=30, mip_rel_gap=1e-6)
            chosen = np.flatnonzero(solved["values"] > 0.5)
            assert chosen.size <= k
            assert covered_weight(sets, w, chosen) == pytest.approx(best, rel=1e-9)
            assert solved["status"] == "optimal" and solved["bound"] >= best - 1e-6
            if "budget_dual" not in solved:
                steps.append("certificate")
            else:
                dual = solved["budget_dual"]
                steps.append("dual" if dual["proven"] else "milp")
                if dual["proven"]:  # the size of the last I(mu): the sites left, a y per row
                    assert solved["size"]["variables"] > sets.shape[0] - dual["ruled_out"]
    assert {"certificate", "dual", "milp"} <= set(steps)


def test_trim_drops_the_least_loss_each_time():
    sets, w = town(4)
    sites = np.arange(sets.shape[0])
    kept = trim_to(sets, w, sites, 5)
    assert kept.size == 5 and set(kept) <= set(sites)
    # replay: each drop lost no more than any other site would have
    current = list(sites)
    while len(current) > 5:
        losses = {
            j: covered_weight(sets, w, np.array(current))
            - covered_weight(sets, w, np.array([i for i in current if i != j]))
            for j in current
        }
        least = min(losses.values())
        drop = min(j for j in current if losses[j] <= least + 1e-9)
        current.remove(drop)
    assert kept.tolist() == sorted(current)


def test_a_passed_deadline_interrupts_highs_with_the_start_kept():
    rng = np.random.default_rng(0)
    sets = sp.csr_matrix((rng.random((400, 3000)) < 0.01).astype(float))
    w = rng.lognormal(1.0, 1.0, 3000)
    mip = coverage_mip(sp.csr_matrix(sets.T), w, cap=None, forced=np.array([], dtype=int),
                       budget=40, target=None, full_cover=False)  # fmt: skip
    x = np.zeros(400)
    x[:40] = 1.0
    start = np.concatenate([x, (np.asarray(sets.T @ x).ravel() > 0).astype(float)])
    began = time.perf_counter()
    solved = solve_mip(mip, time_limit_s=60, mip_rel_gap=0.0, start=start, deadline=began)
    assert time.perf_counter() - began < 5.0
    assert solved["status"] == "time_limit"
    assert float(solved["values"] @ mip.cost) >= float(start @ mip.cost) - 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_a_zero_starting_multiplier_still_finds_its_way(seed):
    sets, w = scattered(seed)
    best = optimum(sets, w, 3)
    found = budget_dual(sp.csr_matrix(sets.T), w, 3, multiplier=0.0, time_limit_s=30)
    assert found.multiplier > 0.0 and found.solves > 1
    assert found.value <= best + 1e-9 <= found.bound + 1e-6
    assert not found.proven or found.value == pytest.approx(best, rel=1e-6)
