"""Output jobs shared between the process drawing the print maps and this one."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from coverage import fork
from coverage.outputs.sharing import SharedJobs


def _jobs(log: Path, n: int, seconds: float) -> list:
    def make(i: int):
        def job():
            time.sleep(seconds)
            with log.open("a") as f:
                f.write(f"{i} {os.getpid()}\n")
            return {f"file{i}": log.parent / f"file{i}.txt"}

        return job

    return [make(i) for i in range(n)]


def _ran(log: Path) -> list[tuple[int, int]]:
    return sorted(
        (int(i), int(pid))
        for i, pid in (line.split() for line in log.read_text().split("\n") if line)
    )


def test_without_a_second_process_this_one_runs_every_job_once_in_order(tmp_path):
    log = tmp_path / "log.txt"
    jobs = SharedJobs(_jobs(log, 4, 0.0), shared=False)
    done = jobs.run()
    assert list(done) == ["file0", "file1", "file2", "file3"]
    assert done["file2"] == str(tmp_path / "file2.txt")
    assert jobs.run() == {}  # all taken
    assert _ran(log) == [(i, os.getpid()) for i in range(4)]


def test_two_processes_share_the_jobs_each_once(tmp_path):
    if not fork.fork_available():
        pytest.skip("forking is not available here (one core, not Linux or not the main thread)")
    log = tmp_path / "log.txt"
    jobs = SharedJobs(_jobs(log, 8, 0.05), shared=True)
    with fork.forked(jobs.run, name="the test's second process") as pending:
        mine = jobs.run()
        theirs = pending.result()
    ran = _ran(log)
    assert [i for i, _ in ran] == list(range(8))  # each job once
    pids = {pid for _, pid in ran}
    assert len(pids) == 2 and os.getpid() in pids  # this process and the child
    assert set(mine).isdisjoint(theirs)
    assert sorted({**mine, **theirs}) == sorted(f"file{i}" for i in range(8))
    assert mine and theirs  # both took some


def test_a_child_busy_with_its_maps_leaves_the_jobs_to_this_process(tmp_path):
    """The child draws first (here: sleeps); this process takes every job meanwhile."""
    if not fork.fork_available():
        pytest.skip("forking is not available here (one core, not Linux or not the main thread)")
    log = tmp_path / "log.txt"
    jobs = SharedJobs(_jobs(log, 3, 0.0), shared=True)

    def child() -> dict[str, str]:
        time.sleep(0.5)
        return jobs.run()

    with fork.forked(child, name="the test's second process") as pending:
        mine = jobs.run()
        assert pending.result() == {}
    assert sorted(mine) == ["file0", "file1", "file2"]
    assert _ran(log) == [(i, os.getpid()) for i in range(3)]
