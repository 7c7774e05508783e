"""Threads a computation may use, and array work split over them.

PROJ's transforms, geodesics and scipy's KD-tree queries run in compiled code that
releases the GIL, so a long array splits into chunks that run on several cores at
once, with the same answer as in one piece (each element is computed on its own).
A run on its own uses every core it may run on; where regions share the cores (a
batch's Dask workers are daemonic processes, a pool's tasks run off the main thread,
a Dask ``LocalCluster`` sets ``OMP_NUM_THREADS=1``), one; and so does a child forked
by :func:`coverage.fork.forked`, whose inherited pools (GDAL's) have no threads.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np

from .fork import in_child

__all__ = ["MIN_CHUNK", "split_arrays", "thread_count"]

#: Fewest elements per chunk: below this, starting a thread costs more than it saves.
MIN_CHUNK = 32_768


def thread_count() -> int:
    """Threads this call may use: the cores of this process for a run on its own, 1
    where regions run side by side (module docstring)."""
    if os.environ.get("OMP_NUM_THREADS", "").strip() == "1":
        return 1
    if in_child():  # the parent's pools are there without their threads
        return 1
    if multiprocessing.current_process().daemon:
        return 1
    if threading.current_thread() is not threading.main_thread():
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no affinity on this platform
        return max(1, os.cpu_count() or 1)


def split_arrays(
    func: Callable[..., tuple[np.ndarray, ...]],
    *arrays: np.ndarray,
    min_chunk: int = MIN_CHUNK,
) -> tuple[np.ndarray, ...]:
    """``func(*arrays)`` computed in chunks on :func:`thread_count` threads.

    Parameters
    ----------
    func : callable
        Takes equal-length 1-d arrays and returns a tuple of arrays of that length,
        each element depending on the same element of the inputs only; it must
        release the GIL to gain anything.
    *arrays : numpy.ndarray
        Inputs of equal length.
    min_chunk : int
        Fewest elements per chunk.

    Returns
    -------
    tuple of numpy.ndarray
        The chunks' outputs joined, as ``func(*arrays)`` would give them.
    """
    size = len(arrays[0])
    parts = min(thread_count(), size // max(min_chunk, 1))
    if parts <= 1:
        return tuple(np.asarray(a) for a in func(*arrays))
    bounds = np.linspace(0, size, parts + 1).astype(int)
    chunks = [tuple(a[lo:hi] for a in arrays) for lo, hi in pairwise(bounds.tolist())]
    with ThreadPoolExecutor(parts - 1) as pool:
        later = [pool.submit(func, *chunk) for chunk in chunks[1:]]
        first = func(*chunks[0])
        done = [first] + [f.result() for f in later]
    return tuple(np.concatenate([np.asarray(d[i]) for d in done]) for i in range(len(first)))
