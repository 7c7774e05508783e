"""The benchmarks' timing: CPU time counts the child processes a call waits for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from benchmarks.common import measure  # noqa: E402

BUSY = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"


def test_cpu_time_counts_the_child_processes_a_call_waits_for():
    """A call that only waits for a child burning 0.3 s of CPU costs 0.3 s of CPU,
    not the near-zero CPU of the waiting process (a run's second output process)."""
    timing, _ = measure(lambda: subprocess.run([sys.executable, "-c", BUSY], check=True), repeat=1)
    # the waiting process itself uses next to no CPU: without the child's, this is ~0
    assert timing.cpu[0] >= 0.3
