"""The benchmarks' timing: CPU time counts the child processes a call waits for."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from benchmarks.common import measure  # noqa: E402

_KEPT: bytearray | None = None
BUSY = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"


def test_cpu_time_counts_the_child_processes_a_call_waits_for():
    """A call that only waits for a child burning 0.3 s of CPU costs 0.3 s of CPU,
    not the near-zero CPU of the waiting process (a run's second output process)."""
    timing, _ = measure(lambda: subprocess.run([sys.executable, "-c", BUSY], check=True), repeat=1)
    # the waiting process itself uses next to no CPU: without the child's, this is ~0
    assert timing.cpu[0] >= 0.3


def test_cpu_time_counts_an_output_process_reaped_after_the_call():
    """The second output process is reaped by a thread once it has answered; its CPU
    still counts (the wall time does not wait for it)."""
    from coverage.fork import fork_available, forked

    if not fork_available():
        import pytest

        pytest.skip("forking the outputs needs Linux, two or more cores and the main thread")

    def call():
        def busy():
            global _KEPT
            _KEPT = bytearray(400 * 2**20)  # 400 MB the child takes a while to give back
            t = time.process_time()
            while time.process_time() - t < 0.3:
                pass
            return 1

        with forked(busy) as pending:
            return pending.result()

    timing, value = measure(call, repeat=1)
    assert value == 1 and timing.cpu[0] >= 0.3
