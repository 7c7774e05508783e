"""One region of a batch: whether it must run (content hashes), and running it atomically."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..config import RunConfig
from ..errors import CoverageError, one_line
from .spec import Batch, BatchRegion

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
    action : {"run", "skip"}
    reason : str
        E.g. ``"inputs changed: population"`` or ``"unchanged since 2026-11-24 06:40 UTC"``.
    fingerprint : str
        SHA-256 of ``parts``.
    parts : dict
        What the outputs depend on: ``inputs`` (SHA-256 and size of each input file),
        ``settings`` (the other configuration values) and ``coverage15_version``.
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


def _file_digest(path: Path) -> dict[str, Any] | None:
    """SHA-256 and size of a file (None if it is not a file: the run will say why)."""
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return {"sha256": digest.hexdigest(), "bytes": path.stat().st_size}


def _fingerprint(config: RunConfig) -> dict[str, Any]:
    """What a region's outputs depend on: input contents, settings, coverage15 version.

    Paths themselves are left out, so moving a batch folder does not re-run it; the
    output folder is left out too.
    """
    inputs: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if f.name == "out":
            continue
        if isinstance(value, Path):
            inputs[f.name] = _file_digest(value)
        else:
            settings[f.name] = value
    settings = json.loads(json.dumps(settings, default=str, sort_keys=True))
    return {"inputs": inputs, "settings": settings, "coverage15_version": __version__}


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
    fingerprint = _fingerprint(region.config)
    digest = _digest(fingerprint)
    manifest = _read_manifest(region.out)
    if force:
        return RegionPlan(region, "run", "forced", digest, fingerprint)
    if manifest is None:
        return RegionPlan(region, "run", "no earlier successful run", digest, fingerprint)
    if manifest.get("fingerprint") != digest:
        reason = _changes(manifest.get("fingerprint_parts") or {}, fingerprint)
        return RegionPlan(region, "run", reason, digest, fingerprint)
    missing = [n for n in manifest.get("outputs", []) if not (region.out / n).exists()]
    if missing:
        return RegionPlan(
            region, "run", f"outputs missing: {', '.join(missing)}", digest, fingerprint
        )
    return RegionPlan(
        region, "skip", f"unchanged since {manifest.get('finished', '?')}", digest, fingerprint
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


def _unit_counts(levels: Any) -> tuple[int | None, int | None]:
    """Populated units and covered units over all levels of a summary's ``units_by_level``."""
    if not isinstance(levels, Mapping) or not levels:
        return None, None
    total = sum(int(level.get("units_populated", 0)) for level in levels.values())
    covered = sum(int(level.get("units_covered", 0)) for level in levels.values())
    return total, covered


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
    units, units_covered = _unit_counts(summary.get("units_by_level"))
    targets, targets_met = _target_counts(summary.get("targets"))
    return {
        "population": summary["population_total"],
        "population_covered": summary["population_covered"],
        "coverage_share": summary["coverage_share"],
        "minutes": summary["minutes"],
        "units": units,
        "units_covered": units_covered,
        "targets": targets,
        "targets_met": targets_met,
    }


def utc_now() -> str:
    """The current time in UTC, as written into manifests and the roll-up."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _publish(stage: Path, final: Path) -> None:
    """Move a complete staging folder into place (the old folder goes only after)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(final, old)
    os.replace(stage, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def remove_stale(batch: Batch) -> None:
    """Clear what killed region runs left (call only while no region is running).

    Staging folders are removed; a previous output folder caught between the two
    renames of :func:`_publish` is put back.
    """
    for region in batch.regions:
        name, parent = region.out.name, region.out.parent
        for stale in parent.glob(f".{name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        for old in parent.glob(f".{name}.old-*"):
            if region.out.exists():
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(old, region.out)


def _write_region(
    region: BatchRegion, result: CoverageResult, plan: RegionPlan, start: float
) -> dict[str, Any]:
    """Write a region's outputs and manifest into a staging folder, then publish it."""
    from ..outputs.write import write_outputs
    from ..outputs.writers import write_json

    region.out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{region.out.name}.tmp-", dir=region.out.parent))
    try:
        written = write_outputs(result, stage)
        manifest = {
            "region": region.name,
            "fingerprint": plan.fingerprint,
            "fingerprint_parts": plan.parts,
            "inputs": {
                f.name: str(getattr(region.config, f.name))
                for f in dataclasses.fields(region.config)
                if isinstance(getattr(region.config, f.name), Path) and f.name != "out"
            },
            "outputs": sorted(Path(p).relative_to(stage).as_posix() for p in written.values()),
            "figures": _figures(result.summary),
            "finished": utc_now(),
            "duration_s": round(time.perf_counter() - start, 3),
            "coverage15_version": __version__,
        }
        write_json(manifest, stage / MANIFEST_NAME)
        _publish(stage, region.out)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
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
