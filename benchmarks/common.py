"""Timing, memory and reporting helpers shared by the benchmarks.

Every figure is the median of repeated runs, and every ratio is taken between
runs of the same benchmark process, so that the noise of a shared machine
cancels out as far as it can.
"""

from __future__ import annotations

import gc
import os
import resource
import statistics
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("COVERAGE15_SHARED_DATA", REPO.parent / "shared" / "data"))


class BenchmarkError(AssertionError):
    """A benchmark's correctness check failed: the figures must not be reported."""


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds (this process, all its threads) of each run."""

    wall: list[float]
    cpu: list[float]

    def scaled(self, factor: float) -> Timing:
        """The same runs multiplied by ``factor`` (for extrapolation)."""
        return Timing([t * factor for t in self.wall], [t * factor for t in self.cpu])


@dataclass
class Row:
    """One measured method of one benchmark case.

    ``seconds`` and ``cpu_seconds`` are the medians of ``runs`` and ``cpu_runs``;
    ``ratio`` and ``cpu_ratio`` divide them by the same medians of the case's
    reference method (measured in the same process). On a busy shared machine the
    CPU time of single-threaded code is the steadier figure: wall time also counts
    the time other jobs held the cores.
    """

    benchmark: str
    case: str
    method: str
    seconds: float
    runs: list[float] = field(default_factory=list)
    cpu_seconds: float | None = None
    cpu_runs: list[float] = field(default_factory=list)
    ratio: float | None = None
    cpu_ratio: float | None = None
    reference: str = ""
    peak_mb: float | None = None
    note: str = ""

    @classmethod
    def of(
        cls,
        benchmark: str,
        case: str,
        method: str,
        timing: Timing,
        *,
        note: str = "",
        peak_mb: float | None = None,
    ) -> Row:
        return cls(
            benchmark,
            case,
            method,
            median(timing.wall),
            list(timing.wall),
            median(timing.cpu) if timing.cpu else None,
            list(timing.cpu),
            peak_mb=peak_mb,
            note=note,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    """Rows of every benchmark, plus free-form facts (sizes, deviations, checks)."""

    rows: list[Row] = field(default_factory=list)
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def fact(self, benchmark: str, **values: Any) -> None:
        self.facts.setdefault(benchmark, {}).update(values)

    def set_ratios(self, benchmark: str, case: str, reference: str) -> None:
        """Divide every row of a case by the median of its ``reference`` method."""
        ref = [
            r for r in self.rows if (r.benchmark, r.case, r.method) == (benchmark, case, reference)
        ]
        if not ref or ref[0].seconds <= 0:
            return
        base = ref[0]
        for r in self.rows:
            if (r.benchmark, r.case) == (benchmark, case):
                r.ratio = r.seconds / base.seconds
                if r.cpu_seconds is not None and base.cpu_seconds:
                    r.cpu_ratio = r.cpu_seconds / base.cpu_seconds
                r.reference = reference

    def medians(self, benchmark: str, case: str, *, cpu: bool = False) -> dict[str, float]:
        """Method -> median seconds (wall, or CPU) of one case."""
        return {
            r.method: (r.cpu_seconds if cpu and r.cpu_seconds is not None else r.seconds)
            for r in self.rows
            if (r.benchmark, r.case) == (benchmark, case)
        }


def cpu_seconds() -> float:
    """CPU seconds of this process (all threads) and of its reaped child processes."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


#: Name of the threads coverage15 reaps an answered output process with
#: (``coverage.fork``): the parent does not wait while the child leaves.
REAPER_THREAD = "coverage15-reap"


def settle_children() -> None:
    """Wait until the child processes a call left to be reaped are reaped, so that
    their CPU time is counted (a child's CPU reaches this process when it is reaped)."""
    for thread in threading.enumerate():
        if thread.name == REAPER_THREAD:
            thread.join()


def measure(fn: Callable[[], Any], *, repeat: int, warmup: int = 0) -> tuple[Timing, Any]:
    """Wall-clock and CPU seconds of ``repeat`` calls of ``fn`` (after ``warmup`` calls).

    Returns the timing and the value of the last call. Garbage is collected before
    each call and the collector is off while it runs. CPU time counts this process
    and the child processes the call started (a run's second output process draws its
    print maps in one), those reaped after the call returned included.
    """
    value: Any = None
    for _ in range(warmup):
        value = fn()
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(max(1, repeat)):
        gc.collect()
        gc.disable()
        try:
            c0, t0 = cpu_seconds(), time.perf_counter()
            value = fn()
            wall.append(time.perf_counter() - t0)
            settle_children()  # after the wall time: the run did not wait for them
            cpu.append(cpu_seconds() - c0)
        finally:
            gc.enable()
    return Timing(wall, cpu), value


def measure_interleaved(
    fns: dict[str, Callable[[], Any]], *, repeat: int, warmup: int = 1
) -> tuple[dict[str, Timing], dict[str, Any]]:
    """Like :func:`measure` for several functions, run in turn within each repetition.

    Interleaving spreads a shared machine's changing load evenly over the methods,
    so their ratios are fairer than from back-to-back batches.
    """
    values: dict[str, Any] = {}
    wall: dict[str, list[float]] = {k: [] for k in fns}
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(warmup):
        for name, fn in fns.items():
            values[name] = fn()
    for _ in range(max(1, repeat)):
        for name, fn in fns.items():
            timing, values[name] = measure(fn, repeat=1)
            wall[name] += timing.wall
            cpu[name] += timing.cpu
    return {k: Timing(wall[k], cpu[k]) for k in fns}, values


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


def current_rss_mb() -> float | None:
    """Resident memory of this process now (Linux), in MB."""
    return _proc_status_mb("VmRSS")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    Since the last :func:`reset_peak_rss` where the kernel supports it (Linux
    ``VmHWM``), else since the process started (``ru_maxrss``).
    """
    hwm = _proc_status_mb("VmHWM")
    if hwm is not None:
        return hwm
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux); False if impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def _proc_status_mb(key: str) -> float | None:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def _fmt_seconds(s: float) -> str:
    if s >= 100:
        return f"{s:,.0f}"
    if s >= 1:
        return f"{s:.2f}"
    if s >= 0.01:
        return f"{s:.3f}"
    return f"{s:.2g}"


def _fmt_ratio(r: float | None) -> str:
    if r is None:
        return ""
    if r >= 100:
        return f"{r:,.0f}x"
    if r >= 10:
        return f"{r:.1f}x"
    return f"{r:.2f}x"


def markdown(report: Report) -> str:
    """The report as Markdown: one table of all rows, then the facts and skips."""
    lines = [
        "| benchmark | case | method | wall s | CPU s | runs | ratio wall | ratio CPU | vs "
        "| peak MB | note |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for r in report.rows:
        peak = "" if r.peak_mb is None else f"{r.peak_mb:,.0f}"
        cpu = "" if r.cpu_seconds is None else _fmt_seconds(r.cpu_seconds)
        lines.append(
            f"| {r.benchmark} | {r.case} | {r.method} | {_fmt_seconds(r.seconds)} | {cpu} | "
            f"{len(r.runs)} | {_fmt_ratio(r.ratio)} | {_fmt_ratio(r.cpu_ratio)} | "
            f"{r.reference} | {peak} | {r.note} |"
        )
    for name, facts in report.facts.items():
        lines += [
            "",
            f"**{name}**: " + "; ".join(f"{k} = {_fmt_fact(v)}" for k, v in facts.items()),
        ]
    for name, why in report.skipped.items():
        lines += ["", f"*skipped {name}*: {why}"]
    return "\n".join(lines) + "\n"


def _fmt_fact(value: Any) -> str:
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
            return f"{value:.3g}"
        return f"{value:,.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
