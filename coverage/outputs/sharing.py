"""Output files two processes write in turn: each file once, by whichever is free first.

The print maps are drawn in a second process (:func:`coverage.outputs.presentation.printing`);
how long they take against the rest depends on the county (a dense town's roads, a
rural county's coast and web map). The other files that need nothing but the result
(the web map, the workbook, the GIS layers, the travel-time raster, the isochrones)
are *jobs*: after its maps the child takes the next job not yet taken, and so does
this process after its own work (the tables, the report's text), so neither waits
while the other has work left. A counter in memory shared across the fork hands
out the jobs under a lock; without a second process this one runs them all.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["Job", "SharedJobs"]

#: An output job: writes its files and returns file kind -> path.
Job = Callable[[], Mapping[str, Path]]


class SharedJobs:
    """Jobs handed out one at a time to whichever process asks (see the module docstring).

    Parameters
    ----------
    jobs : sequence of callables
        The jobs, longest first (so the last ones taken are short).
    shared : bool
        Make the counter shareable with a process forked after this (else a plain one).
    """

    def __init__(self, jobs: Sequence[Job], *, shared: bool) -> None:
        self._jobs = list(jobs)
        self._counter: Any = (
            multiprocessing.get_context("fork").Value("i", 0) if shared and self._jobs else None
        )
        self._taken = 0

    def _take(self) -> int | None:
        if self._counter is None:
            index, self._taken = self._taken, self._taken + 1
        else:
            with self._counter.get_lock():
                index = int(self._counter.value)
                self._counter.value = index + 1
        return index if index < len(self._jobs) else None

    def run(self) -> dict[str, str]:
        """Run jobs until none is left; file kind -> path of what this process wrote."""
        done: dict[str, str] = {}
        while (index := self._take()) is not None:
            done.update({kind: str(path) for kind, path in self._jobs[index]().items()})
        return done
