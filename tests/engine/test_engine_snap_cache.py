"""The access-leg cache: a re-run reads the legs it computed, identical to fresh ones;
any change of what the legs depend on is another key; a broken entry is recomputed."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_engine_barriers import RIVER, X0, Y0, _mask, _river_town

from coverage import load_config, run_coverage
from coverage.engine import snap_cache
from coverage.engine.access import AccessModel
from coverage.engine.snap_cache import MIN_POINTS, cached_snap, snap_key
from coverage.engine.snapping import Snap

N = MIN_POINTS + 500


def _points(n: int = N, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return X0 + rng.uniform(-300, 2300, n), Y0 + rng.uniform(-400, 500, n)


def _same(a: Snap, b: Snap) -> None:
    for f in ("nodes", "distance_m", "network_s", "climb_factor"):
        x, y = getattr(a, f), getattr(b, f)
        assert (x is None) == (y is None), f
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=f)
    assert (a.entry is None) == (b.entry is None)
    if a.entry is not None:
        for f in dataclasses.fields(a.entry):
            np.testing.assert_array_equal(getattr(a.entry, f.name), getattr(b.entry, f.name))


@pytest.mark.parametrize("snap_to", ["node", "edge"])
def test_a_rerun_reads_legs_equal_to_fresh_ones(tmp_path, monkeypatch, snap_to):
    net = _river_town()
    water = _mask(net, [RIVER])
    x, y = _points()
    plain = AccessModel(snap_to=snap_to, barrier=water, max_access_m=400.0)
    cached = plain.replace(cache_dir=tmp_path)
    fresh = plain.snap(net, x, y)
    dry = plain.replace(barrier=None).snap(net, x, y)
    assert fresh.nodes.shape[0] == N and (fresh.nodes[:, 0] >= 0).any()
    assert (fresh.entry is not None) == (snap_to == "edge")
    first = cached.snap(net, x, y)
    assert len(list(tmp_path.glob("snap-*.npz"))) == 1

    def no_snap(*args, **kwargs):
        raise AssertionError("the legs were computed again")

    monkeypatch.setattr("coverage.engine.access.snap_points", no_snap)
    again = cached.snap(net, x, y)
    for snap in (first, again):
        _same(snap, fresh)
    assert (dry.nodes[:, 0] != again.nodes[:, 0]).any()  # the river moved some legs


def test_every_input_of_the_legs_is_in_the_key():
    net = _river_town()
    water = _mask(net, [RIVER])
    x, y = _points()
    settings = {"k": 1, "max_distance_m": 400.0, "edges": True, "direction": "from_point"}
    settings["link_steps"] = True
    base = snap_key(net, x, y, settings=settings, barrier=water)
    assert base == snap_key(net, x.copy(), y.copy(), settings=dict(settings), barrier=water)
    moved = x.copy()
    moved[7] += 0.001  # a millimetre
    slower = net.edge_seconds.copy()
    slower[3] *= 1.01
    closed = np.ones(net.n_edges, dtype=bool)
    closed[5] = False
    wetter = water.water.copy()
    wetter[0, 0] = ~wetter[0, 0]
    steps = net.edge_highway.copy()
    steps[2] = "steps"
    changed = {
        "a point": snap_key(net, moved, y, settings=settings, barrier=water),
        "an edge's seconds": snap_key(
            dataclasses.replace(net, edge_seconds=slower), x, y, settings=settings, barrier=water
        ),
        "a linkable flag": snap_key(
            dataclasses.replace(net, edge_linkable=closed), x, y, settings=settings, barrier=water
        ),
        "a water cell": snap_key(
            net, x, y, settings=settings, barrier=dataclasses.replace(water, water=wetter)
        ),
        "no water": snap_key(net, x, y, settings=settings),
        "the reach": snap_key(net, x, y, settings={**settings, "max_distance_m": 401.0}),
        "the direction": snap_key(
            net, x, y, settings={**settings, "direction": "to_point"}, barrier=water
        ),
    }
    no_steps = {**settings, "link_steps": False}
    assert snap_key(net, x, y, settings=no_steps, barrier=water) != snap_key(
        dataclasses.replace(net, edge_highway=steps), x, y, settings=no_steps, barrier=water
    )  # which edges are steps counts when steps may not be joined
    for what, key in changed.items():
        assert key != base, what
    assert len(set(changed.values())) == len(changed)


def test_a_broken_entry_is_computed_again(tmp_path):
    net = _river_town()
    x, y = _points()
    access = AccessModel(max_access_m=400.0, cache_dir=tmp_path)
    fresh = access.replace(cache_dir=None).snap(net, x, y)
    access.snap(net, x, y)
    (entry,) = tmp_path.glob("snap-*.npz")
    entry.write_bytes(entry.read_bytes()[:1000])  # cut short
    _same(access.snap(net, x, y), fresh)
    _same(access.snap(net, x, y), fresh)  # and stored whole again
    assert entry.stat().st_size > 1000


def test_small_point_sets_and_terrain_are_not_kept(tmp_path):
    net = _river_town()
    x, y = _points(MIN_POINTS - 1)
    calls = []

    def compute():
        calls.append(1)
        return Snap(np.zeros((x.size, 1), dtype=np.int64), np.zeros((x.size, 1)))

    cached_snap(tmp_path, net, x, y, compute, settings={})
    cached_snap(tmp_path, net, x, y, compute, settings={})
    assert len(calls) == 2 and not list(tmp_path.iterdir())


def test_runs_with_the_cache_give_the_figures_of_runs_without(grid_case, tmp_path, monkeypatch):
    monkeypatch.setattr(snap_cache, "MIN_POINTS", 1)  # the grid town has few cells
    case = grid_case(n=9, minutes=[3.0, 6.0])
    config = load_config(case.config)
    plain = run_coverage(config.replace(cache=False))
    cached = [run_coverage(config.replace(cache=True, cache_dir=tmp_path / "c")) for _ in "ab"]
    assert list((tmp_path / "c").glob("snap-*.npz"))
    for result in cached:
        np.testing.assert_array_equal(result.point_minutes, plain.point_minutes)
        assert result.coverage_share == plain.coverage_share
