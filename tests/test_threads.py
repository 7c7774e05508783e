"""Array work split over threads (coverage.threads): the same answer as in one piece."""

from __future__ import annotations

import multiprocessing
import threading

import numpy as np
import pytest
from pyproj import Geod

from coverage import threads
from coverage.inputs.crs import geodesic_m, transform_xy


@pytest.fixture
def two_threads(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "thread_count", lambda: 2)


def _points(n: int, seed: int = 7) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(43.2, 44.6, n), rng.uniform(-12.5, -11.3, n)  # the Comoros
    return lon, lat, lon + rng.normal(0, 1e-3, n), lat + rng.normal(0, 1e-3, n)


def test_chunks_run_on_two_threads_and_join_in_order(two_threads):
    seen = set()

    def square(a):
        seen.add(threading.get_ident())
        return (a * a, a + 1)

    a = np.arange(10, dtype=float)
    got = threads.split_arrays(square, a, min_chunk=3)
    assert len(seen) == 2
    np.testing.assert_array_equal(got[0], a * a)
    np.testing.assert_array_equal(got[1], a + 1)
    # too short to split: one call on this thread
    seen.clear()
    threads.split_arrays(square, a, min_chunk=6)
    assert seen == {threading.get_ident()}


def test_geodesics_and_projections_split_equal_one_piece(two_threads):
    lon, lat, lon2, lat2 = _points(100_001)  # three chunks' worth: split in two
    whole = np.asarray(Geod(ellps="WGS84").inv(lon, lat, lon2, lat2)[2])
    np.testing.assert_array_equal(geodesic_m(lon, lat, lon2, lat2), whole)
    x, y = transform_xy(lon, lat, "EPSG:4326", "EPSG:32738")
    from pyproj import Transformer

    ex, ey = Transformer.from_crs("EPSG:4326", "EPSG:32738", always_xy=True).transform(lon, lat)
    np.testing.assert_array_equal(x, ex)
    np.testing.assert_array_equal(y, ey)
    # shapes come back as given: a grid of cells, a single point
    gx, _ = transform_xy(lon[:6].reshape(2, 3), lat[:6].reshape(2, 3), "EPSG:4326", "EPSG:32738")
    assert gx.shape == (2, 3) and gx[1, 2] == ex[5]
    sx, _ = transform_xy(lon[0], lat[0], "EPSG:4326", "EPSG:32738")
    assert sx.shape == () and float(sx) == ex[0]


def _count(queue):
    queue.put(threads.thread_count())


def test_one_thread_where_regions_share_the_cores(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert threads.thread_count() >= 1
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert threads.thread_count() == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    box = {}
    worker = threading.Thread(target=lambda: box.update(n=threads.thread_count()))
    worker.start()
    worker.join()
    assert box["n"] == 1
    queue = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_count, args=(queue,), daemon=True)
    child.start()
    child.join()
    assert queue.get(timeout=10) == 1
