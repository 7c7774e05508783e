"""One region of a batch: whether it must run (content hashes), and running it atomically."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import CoverageError, one_line
from ..metrics.left_out import LEFT_OUT, left_out
from ..outputs.folder import (
    check_output_folder,
    mark_output_folder,
    publish_folder,
    read_manifest,
    recover_folder,
)
from .fingerprint import fingerprint, input_problems, region_inputs
from .spec import Batch, BatchRegion, batch_inputs

if TYPE_CHECKING:
    from ..results import CoverageResult

__all__ = [
    "MANIFEST_NAME",
    "RegionOutcome",
    "RegionPlan",
    "plan_batch",
    "plan_region",
    "run_region",
]

#: Written into each region folder after a successful run.
MANIFEST_NAME = "batch_manifest.json"

_DEVELOPER_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


@dataclass(frozen=True)
class RegionPlan:
    """Whether a region would run, and why.

    Attributes
    ----------
    region : BatchRegion
    action : {"run", "skip", "fail"}
    reason : str
        E.g. ``"inputs changed: population"``, ``"unchanged since 2026-11-24 06:40 UTC"``
        or, for ``fail``, every input that is missing or unreadable.
    fingerprint : str
        SHA-256 of ``parts``.
    parts : dict
        What the outputs depend on (:func:`coverage.batch.fingerprint.fingerprint`):
        ``inputs`` (SHA-256 and size of each input file and its sidecars), ``settings``
        (the other configuration values) and ``coverage15_version``.
    """

    region: BatchRegion
    action: str
    reason: str
    fingerprint: str
    parts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RegionOutcome:
    """What happened to one region in a batch run.

    Attributes
    ----------
    name : str
        Region name.
    folder : pathlib.Path
        Its output folder.
    status : {"ok", "skipped", "failed"}
    message : str
        One line: why it was skipped, or its error.
    duration_s : float
        Wall time spent on the region in this run.
    cpu_s : float
        CPU time of the worker process during the region (its cost on an idle core).
    figures : dict
        ``population``, ``population_covered``, ``coverage_share``, ``minutes``, ``units``,
        ``units_covered``, ``targets``, ``targets_met`` of the outputs in the folder
        (empty for a failed region).
    finished : str
        UTC time the outputs in the folder were made (empty if there are none).
    warnings : tuple of str
        Warnings the run raised (e.g. unreachable stations).
    """

    name: str
    folder: Path
    status: str
    message: str = ""
    duration_s: float = 0.0
    cpu_s: float = 0.0
    figures: Mapping[str, Any] = field(default_factory=dict)
    finished: str = ""
    warnings: tuple[str, ...] = ()


# --------------------------------------------------------------------------- fingerprints


def _digest(fingerprint: Mapping[str, Any]) -> str:
    text = json.dumps(fingerprint, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    if old.get("coverage15_version") != new["coverage15_version"]:
        return f"coverage15 version changed ({old.get('coverage15_version')} -> {__version__})"
    parts = []
    for group in ("inputs", "settings"):
        a, b = old.get(group) or {}, new[group]
        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        if keys:
            parts.append(f"{group} changed: {', '.join(keys)}")
    return "; ".join(parts) or "configuration changed"


def plan_region(region: BatchRegion, *, force: bool = False) -> RegionPlan:
    """Decide whether a region must run: hash its inputs and compare with its manifest.

    Parameters
    ----------
    region : BatchRegion
    force : bool
        Run even if nothing changed.

    Returns
    -------
    RegionPlan
    """
    parts = fingerprint(region.config)
    digest = _digest(parts)
    problems = input_problems(region.config)
    if problems:
        return RegionPlan(region, "fail", "; ".join(problems), digest, parts)
    manifest = _read_manifest(region.out)
    if force:
        return RegionPlan(region, "run", "forced", digest, parts)
    if manifest is None:
        return RegionPlan(region, "run", "no earlier successful run", digest, parts)
    if manifest.get("fingerprint") != digest:
        reason = _changes(manifest.get("fingerprint_parts") or {}, parts)
        return RegionPlan(region, "run", reason, digest, parts)
    missing = [n for n in manifest.get("outputs", []) if not (region.out / n).exists()]
    if missing:
        return RegionPlan(region, "run", f"outputs missing: {', '.join(missing)}", digest, parts)
    return RegionPlan(
        region, "skip", f"unchanged since {manifest.get('finished', '?')}", digest, parts
    )


def plan_batch(batch: Batch, *, force: bool = False) -> list[RegionPlan]:
    """What :func:`run_batch` would do for each region (hashes every input here).

    Parameters
    ----------
    batch : Batch
    force : bool
        Plan every region to run.

    Returns
    -------
    list of RegionPlan
        In batch order.
    """
    return [plan_region(region, force=force) for region in batch.regions]


# --------------------------------------------------------------------------- one region


def _units_by_level(levels: Any) -> dict[str, dict[str, int]]:
    """Per unit level, its populated units and covered units (levels are never added up)."""
    if not isinstance(levels, Mapping):
        return {}
    return {
        str(name): {
            "units": int(level.get("units_populated", 0)),
            "units_covered": int(level.get("units_covered", 0)),
        }
        for name, level in levels.items()
    }


def _target_counts(targets: Any) -> tuple[int | None, int | None]:
    """Targets and targets met, from every ``met`` flag in a summary's ``targets`` entry."""
    flags: list[bool] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if isinstance(node.get("met"), bool):
                flags.append(node["met"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(targets)
    return (len(flags), sum(flags)) if flags else (None, None)


def _figures(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The roll-up figures of a region, from its summary."""
    targets, targets_met = _target_counts(summary.get("targets"))
    return {
        "population": summary["population_total"],
        "population_covered": summary["population_covered"],
        "coverage_share": summary["coverage_share"],
        "minutes": summary["minutes"],
        "units_by_level": _units_by_level(summary.get("units_by_level")),
        "targets": targets,
        "targets_met": targets_met,
        **{key: summary.get(key) for key in LEFT_OUT},
        **left_out(summary),
        "population_beyond_network_reach_by_water": summary.get(
            "population_beyond_network_reach_by_water"
        ),
    }


def utc_now() -> str:
    """The current time in UTC, as written into manifests and the roll-up."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def check_batch_folder(batch: Batch) -> None:
    """Refuse, before any work, output folders that hold an input or others' files.

    The batch folder must be new, empty or an earlier batch's, and hold no input of
    any region (nor the batch file); each region's folder must be new, empty or an
    earlier coverage15 output.

    Parameters
    ----------
    batch : Batch

    Raises
    ------
    InputError
        One line naming the folder (see :func:`coverage.outputs.folder.check_output_folder`).
    """
    check_output_folder(batch.out, batch_inputs(batch))
    for region in batch.regions:
        check_output_folder(region.out)


def prepare_batch_folder(batch: Batch) -> None:
    """Check the batch folder, create it and mark it as a coverage15 output."""
    check_batch_folder(batch)
    batch.out.mkdir(parents=True, exist_ok=True)
    if read_manifest(batch.out) is None:
        mark_output_folder(batch.out, "batch")


def drop_old_regions(batch: Batch) -> list[Path]:
    """Delete region folders of an earlier run whose region the batch no longer lists.

    Only folders published as batch regions (their manifest says so) are deleted.

    Parameters
    ----------
    batch : Batch

    Returns
    -------
    list of pathlib.Path
        The folders deleted.
    """
    names = {region.out.name for region in batch.regions}
    dropped = []
    for folder in sorted(batch.out.iterdir()) if batch.out.is_dir() else []:
        manifest = read_manifest(folder) if folder.is_dir() else None
        if folder.name not in names and (manifest or {}).get("kind") == "batch-region":
            shutil.rmtree(folder)
            dropped.append(folder)
    return dropped


def remove_stale(batch: Batch) -> None:
    """Clear what killed region runs left (call only while no region is running).

    Staging folders are removed; a previous output folder caught between the two
    renames of a publish is put back (see :func:`coverage.outputs.folder.recover_folder`).
    """
    for region in batch.regions:
        recover_folder(region.out)


def _write_region(
    region: BatchRegion, result: CoverageResult, plan: RegionPlan, start: float
) -> dict[str, Any]:
    """Write a region's outputs and manifest into a staging folder, then publish it."""
    from ..outputs.write import write_output_files
    from ..outputs.writers import write_json
    from ..pipeline import output_options

    config = region.config
    inputs = [path for _, path in region_inputs(config)]
    with publish_folder(region.out, inputs=inputs, kind="batch-region") as stage:
        written = write_output_files(result, stage, output_options(config))
        manifest = {
            "region": region.name,
            "fingerprint": plan.fingerprint,
            "fingerprint_parts": plan.parts,
            "inputs": {name: str(path) for name, path in region_inputs(config)},
            "outputs": sorted(written.values()),
            "figures": _figures(result.summary),
            "finished": utc_now(),
            "duration_s": round(time.perf_counter() - start, 3),
            "coverage15_version": __version__,
        }
        write_json(manifest, stage / MANIFEST_NAME)
    return manifest


def run_region(region: BatchRegion, *, force: bool = False) -> RegionOutcome:
    """Run one region unless it is unchanged; write its outputs atomically.

    This is the task each Dask worker runs. Bad input (any
    :class:`~coverage.CoverageError`) is returned as a ``failed`` outcome with its one-line
    message, so the scheduler does not retry it; any other exception propagates, and the
    scheduler retries it.

    Parameters
    ----------
    region : BatchRegion
    force : bool
        Run even if nothing changed.

    Returns
    -------
    RegionOutcome
    """
    from ..pipeline import run_coverage

    start, cpu = time.perf_counter(), time.process_time()
    try:
        plan = plan_region(region, force=force)
        if plan.action == "fail":
            return RegionOutcome(
                region.name,
                region.out,
                "failed",
                f"inputs not readable: {plan.reason}",
                time.perf_counter() - start,
                time.process_time() - cpu,
            )
        if plan.action == "skip":
            manifest = _read_manifest(region.out) or {}
            status = "skipped"
            caught: list[warnings.WarningMessage] = []
        else:
            with warnings.catch_warnings(record=True) as recorded:
                warnings.simplefilter("always")
                result = run_coverage(region.config)
            # what users should see; library deprecations are for developers
            caught = [w for w in recorded if not issubclass(w.category, _DEVELOPER_WARNINGS)]
            manifest = _write_region(region, result, plan, start)
            status = "ok"
    except CoverageError as exc:
        return RegionOutcome(
            region.name,
            region.out,
            "failed",
            one_line(str(exc)),
            time.perf_counter() - start,
            time.process_time() - cpu,
        )
    return RegionOutcome(
        region.name,
        region.out,
        status,
        plan.reason,
        time.perf_counter() - start,
        time.process_time() - cpu,
        figures=manifest.get("figures", {}),
        finished=manifest.get("finished", ""),
        warnings=tuple(one_line(str(w.message)) for w in caught),
    )
