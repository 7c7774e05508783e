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
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("COVERAGE15_SHARED_DATA", REPO.parent / "shared" / "data"))


class BenchmarkError(AssertionError):
    """A benchmark's correctness check failed: the figures must not be reported."""


@dataclass
class Row:
    """One measured method of one benchmark case.

    ``seconds`` is the median of ``runs``; ``ratio`` is ``seconds`` divided by the
    median of the case's reference method (measured in the same process).
    """

    benchmark: str
    case: str
    method: str
    seconds: float
    runs: list[float] = field(default_factory=list)
    ratio: float | None = None
    reference: str = ""
    peak_mb: float | None = None
    note: str = ""

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
        ref = [r for r in self.rows if (r.benchmark, r.case, r.method) == (benchmark, case, reference)]
        if not ref or ref[0].seconds <= 0:
            return
        for r in self.rows:
            if (r.benchmark, r.case) == (benchmark, case):
                r.ratio = r.seconds / ref[0].seconds
                r.reference = reference


def measure(fn: Callable[[], Any], *, repeat: int, warmup: int = 0) -> tuple[list[float], Any]:
    """Wall-clock seconds of ``repeat`` calls of ``fn`` (after ``warmup`` untimed calls).

    Returns the list of times and the value of the last call. Garbage is collected
    before each call and the collector is off while it runs.
    """
    value: Any = None
    for _ in range(warmup):
        value = fn()
    times: list[float] = []
    for _ in range(max(1, repeat)):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            value = fn()
            times.append(time.perf_counter() - t0)
        finally:
            gc.enable()
    return times, value


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
        "| benchmark | case | method | median s | runs | ratio | vs | peak MB | note |",
        "| --- | --- | --- | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for r in report.rows:
        peak = "" if r.peak_mb is None else f"{r.peak_mb:,.0f}"
        lines.append(
            f"| {r.benchmark} | {r.case} | {r.method} | {_fmt_seconds(r.seconds)} | "
            f"{len(r.runs)} | {_fmt_ratio(r.ratio)} | {r.reference} | {peak} | {r.note} |"
        )
    for name, facts in report.facts.items():
        lines += ["", f"**{name}**: " + "; ".join(f"{k} = {_fmt_fact(v)}" for k, v in facts.items())]
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
