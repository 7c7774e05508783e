"""Running a batch's regions as Dask tasks, on a local cluster or an existing one."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, MissingDependencyError, one_line
from ..outputs.folder import mark_output_folder
from .fingerprint import region_inputs
from .region import (
    RegionOutcome,
    drop_old_regions,
    prepare_batch_folder,
    remove_stale,
    run_region,
)
from .rollup import write_rollup
from .spec import Batch, BatchRegion

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["SCHEDULER_TIMEOUT_S", "BatchReport", "run_batch"]

#: Seconds to wait for an existing scheduler to answer.
SCHEDULER_TIMEOUT_S = 20


@dataclass(frozen=True)
class BatchReport:
    """The outcome of :func:`run_batch`.

    Attributes
    ----------
    outcomes : tuple of RegionOutcome
        One per region, in batch order.
    index : pathlib.Path
        The roll-up page.
    summary_csv : pathlib.Path
        The roll-up table.
    duration_s : float
        Wall time of the whole batch.
    """

    outcomes: tuple[RegionOutcome, ...]
    index: Path
    summary_csv: Path
    duration_s: float

    @property
    def failed(self) -> tuple[RegionOutcome, ...]:
        """The regions that failed."""
        return tuple(o for o in self.outcomes if o.status == "failed")

    def counts(self) -> dict[str, int]:
        """Number of regions per status (``ok``, ``skipped``, ``failed``)."""
        counts = dict.fromkeys(("ok", "skipped", "failed"), 0)
        for o in self.outcomes:
            counts[o.status] += 1
        return counts


# --------------------------------------------------------------------------- the batch


def _client(
    workers: int | None, scheduler: str | None, n_regions: int, memory_limit: str | None
) -> tuple[Client, Any]:
    """A new client of ``scheduler``, or of a new local cluster (returned too, to close)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise MissingDependencyError(
            "running a batch needs Dask: pip install 'coverage15[dask]'"
        ) from None
    if scheduler is not None:
        try:
            return Client(scheduler, timeout=SCHEDULER_TIMEOUT_S), None
        except (OSError, ValueError) as exc:
            raise InputError(
                f"cannot reach the Dask scheduler at {scheduler} ({one_line(str(exc))}); "
                "check the address (tcp://HOST:PORT) and that the scheduler is running"
            ) from None
    n = workers if workers is not None else max(1, min(os.cpu_count() or 1, n_regions))
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit=memory_limit or "auto",
    )
    return Client(cluster), cluster


def input_bytes(region: BatchRegion) -> int:
    """Total size of a region's input files, a proxy of its cost (missing files count 0)."""
    return sum(p.stat().st_size for _, p in region_inputs(region.config) if p.is_file())


def _failure(region: BatchRegion, exc: BaseException) -> RegionOutcome:
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):
        message = (
            "the worker process running this region died repeatedly (out of memory?); "
            "give the workers more memory or run it alone"
        )
    else:
        message = f"unexpected failure ({type(exc).__name__}: {one_line(str(exc))})"
    return RegionOutcome(region.name, region.out, "failed", message)


def run_batch(
    batch: Batch,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Client | None = None,
    force: bool = False,
    retries: int = 2,
    memory_limit: str | None = None,
    progress: bool = False,
) -> BatchReport:
    """Run every region of a batch as Dask tasks, then write the roll-up.

    Parameters
    ----------
    batch : Batch
        From :func:`load_batch`.
    workers : int, optional
        Start a local cluster of this many worker processes (one thread each);
        default one per core, at most one per region.
    scheduler : str, optional
        Address of an existing Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    client : distributed.Client, optional
        An existing client (takes precedence over ``workers`` and ``scheduler``).
    force : bool
        Run regions even if nothing changed.
    retries : int
        Times a region is retried after an unexpected exception. A worker that dies
        mid-region is replaced and the region rescheduled by the scheduler
        (``distributed.scheduler.allowed-failures`` times).
    memory_limit : str, optional
        Memory of each local worker, e.g. ``"6GiB"`` (default: the machine's memory
        shared equally); a worker above it is restarted and its region retried.
    progress : bool
        Show a progress bar over the regions.

    Returns
    -------
    BatchReport

    Raises
    ------
    MissingDependencyError
        If Dask is not installed.
    InputError
        If the scheduler cannot be reached, or an output folder is refused (it holds
        an input or files coverage15 did not write), before any region runs.
    """
    from tqdm.auto import tqdm

    start = time.perf_counter()
    prepare_batch_folder(batch)  # refuses an unsafe folder before any work
    remove_stale(batch)
    own_client, own_cluster = None, None
    if client is None:
        own_client, own_cluster = _client(workers, scheduler, len(batch), memory_limit)
        client = own_client
    try:
        from distributed import as_completed

        futures = {}
        for region in batch.regions:
            key = f"coverage15-region-{region.out.name}-{uuid.uuid4().hex[:8]}"
            future = client.submit(
                run_region,
                region,
                force=force,
                key=key,
                retries=retries,
                pure=False,
                priority=input_bytes(region),  # largest first: no big region starts last
            )
            futures[future] = region
        outcomes: dict[str, RegionOutcome] = {}
        with tqdm(total=len(futures), desc="regions", unit="region", disable=not progress) as bar:
            for future in as_completed(futures):
                region = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # a region's own unexpected error or KilledWorker
                    outcome = _failure(region, exc)
                outcomes[region.name] = outcome
                bar.set_postfix_str(f"{region.name}: {outcome.status}")
                bar.update()
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
    remove_stale(batch)  # left by attempts whose worker died
    drop_old_regions(batch)
    ordered = tuple(outcomes[r.name] for r in batch.regions)
    index, table = write_rollup(batch, ordered)
    mark_output_folder(batch.out, "batch")
    return BatchReport(ordered, index, table, time.perf_counter() - start)
