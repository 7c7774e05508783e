"""Cover cuts of the unit model: every row holds at every set of sites (enumerated)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from coverage.siting.unit_cuts import must_cover_cuts
from coverage.siting.unit_milp import UnitLevel, build_unit_model, units_covered


def town(seed: int, *, villages: int = 6, sites: int = 9, points: int = 50):
    rng = np.random.default_rng(seed)
    village = rng.integers(0, villages, points)
    population = rng.integers(1, 40, points).astype(float)
    population[rng.integers(0, points, 4)] *= 6  # a few crowded cells
    dense = rng.random((sites, points)) < 0.25
    base = rng.random(points) < 0.15
    return village, population, sp.csr_matrix(dense.astype(float)), base


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("share", [0.6, 0.9])
def test_every_cover_row_holds_at_every_set_of_sites(seed, share):
    village, population, sets, base = town(seed)
    levels = [
        UnitLevel("township", village // 3, ["T0", "T1"], share),
        UnitLevel("village", village, [f"V{i}" for i in range(6)], share),
    ]
    n = sets.shape[0]
    everything = base | (np.asarray(sets.sum(axis=0)).ravel() > 0)
    model = build_unit_model(sets, population, base, everything, levels, [])
    cuts = must_cover_cuts(model)
    assert cuts.shape == (cuts.shape[0], model.n_cols)
    z_cols = np.concatenate([model.z_offset(k) + np.arange(u.size)
                             for k, (_, u) in enumerate(model.unit_cols)])  # fmt: skip
    for k in range(n + 1):
        for combo in itertools.combinations(range(n), k):
            values = model.start(list(combo), population, base)
            # the start sets z to the units really covered (the run's rule)
            covered = base.copy()
            for j in combo:
                covered[sets[j].indices] = True
            want = np.concatenate([units_covered(lv, population, covered)[u]
                                   for lv, u in model.unit_cols])  # fmt: skip
            assert values[z_cols].tolist() == want.astype(float).tolist()
            assert (cuts @ values >= -1e-9).all(), (combo, cuts @ values)


def test_cuts_exist_on_these_towns_and_some_ask_for_two_sites():
    counts, twos = 0, 0
    for seed in range(6):
        village, population, sets, base = town(seed)
        lv = UnitLevel("village", village, [f"V{i}" for i in range(6)], 0.9)
        everything = base | (np.asarray(sets.sum(axis=0)).ravel() > 0)
        cuts = must_cover_cuts(build_unit_model(sets, population, base, everything, [lv], []))
        counts += cuts.shape[0]
        twos += int((cuts.data <= -2).sum())
    assert counts > 0 and twos > 0


def test_a_crowded_cell_reached_by_one_site_gives_its_row():
    # one village of 10 people, 5 of them in a cell only site 0 reaches; rule 0.8
    population = np.array([5.0, 1, 1, 1, 1, 1])
    sets = sp.csr_matrix(np.array([[1, 0, 0, 0, 0, 0], [0, 1, 1, 1, 1, 1], [0, 1, 1, 1, 0, 0]]))
    lv = UnitLevel("village", np.zeros(6, dtype=np.int64), ["V"], 0.8)
    base = np.zeros(6, dtype=bool)
    model = build_unit_model(sets, population, base, np.ones(6, bool), [lv], [])
    cuts = must_cover_cuts(model).toarray()
    z = model.z_offset(0)
    # the uncovered may hold at most 2 people: site 0 is needed, and so is one of 1 and 2
    rows = {(*r[: model.n_sites].tolist(), r[z]) for r in cuts}
    assert (1.0, 0.0, 0.0, -1.0) in rows
    assert (0.0, 1.0, 1.0, -1.0) in rows
