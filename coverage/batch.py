"""Many regions from one batch file, on one machine or a Dask cluster, resumably.

A batch file holds shared ``defaults`` and a list of ``regions``; each region is a
run configuration file, a configuration file with inline overrides, or inline keys
alone. Paths written in the batch file are relative to the batch file; paths in a
region's own configuration file are relative to that file. Keys are layered
defaults < the region's file < the inline keys::

    out: out/province            # optional; default out/<batch file name>
    defaults:
      mode: walk
      minutes: [5, 10, 15]
    regions:
      - county-a/region.yaml     # a configuration file
      - config: county-b/region.yaml
        minutes: [10, 15]        # ... with overrides
      - name: county-c           # inline keys alone
        stations: county-c/stations.csv
        population: county-c/population.tif
        network: county-c/network.osm.pbf

Each region is one Dask task (:func:`run_region`) that writes its outputs into
``<out>/<region>/``. Nothing in a region folder is half-written: the region is
computed into a temporary folder next to it, which is renamed into place on
success. A ``batch_manifest.json`` in the folder records the content hash of every
input file and the configuration; a region whose inputs, configuration and
coverage15 version are unchanged since its last successful run is skipped. A region
that fails reports one line and leaves its previous outputs untouched; the others
finish. A worker process that dies mid-region (killed, out of memory) makes the
scheduler run the region again elsewhere. Files are shared through the file system:
on a cluster, every worker must see the input and output folders at the same paths.

After the regions, :func:`write_rollup` writes ``index.html`` (links to every
region's map and report) and ``batch_summary.csv`` (one row per region).
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import hashlib
import html
import json
import os
import shutil
import tempfile
import time
import uuid
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import yaml

from . import __version__
from .config import RunConfig, config_from_dict
from .errors import ConfigError, CoverageError, MissingDependencyError, one_line

if TYPE_CHECKING:
    from distributed import Client

    from .results import CoverageResult

__all__ = [
    "INDEX_NAME",
    "MANIFEST_NAME",
    "SUMMARY_NAME",
    "Batch",
    "BatchRegion",
    "BatchReport",
    "RegionOutcome",
    "RegionPlan",
    "batch_from_dict",
    "load_batch",
    "plan_batch",
    "plan_region",
    "run_batch",
    "run_region",
    "write_rollup",
]

#: Written into each region folder after a successful run.
MANIFEST_NAME = "batch_manifest.json"
#: The roll-up page and table written into the batch output folder.
INDEX_NAME = "index.html"
SUMMARY_NAME = "batch_summary.csv"

#: Share of a unit's residents within the threshold for the unit to count as covered,
#: unless the configuration sets ``unit_covered_share``.
UNIT_COVERED_SHARE = 0.9

_TOP_KEYS = ("out", "defaults", "regions")
_PATH_KEYS = frozenset(f.name for f in dataclasses.fields(RunConfig) if "Path" in str(f.type))
_UNSAFE = set('<>:"/\\|?*')


@dataclass(frozen=True)
class BatchRegion:
    """One region of a batch: its validated configuration and output folder.

    Attributes
    ----------
    name : str
        Region name (unique in the batch).
    config : RunConfig
        The layered, validated run configuration.
    out : pathlib.Path
        The region's output folder, ``<batch out>/<folder name>``.
    """

    name: str
    config: RunConfig
    out: Path


@dataclass(frozen=True)
class Batch:
    """A validated batch: its regions and the folder that holds their outputs.

    Attributes
    ----------
    regions : tuple of BatchRegion
        In the order of the batch file.
    out : pathlib.Path
        Output folder of the batch (region folders, ``index.html``, ``batch_summary.csv``).
    source : str
        The batch file.
    """

    regions: tuple[BatchRegion, ...]
    out: Path
    source: str = ""

    def __len__(self) -> int:
        return len(self.regions)


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
        SHA-256 of the region's input hashes, settings and coverage15 version.
    """

    region: BatchRegion
    action: str
    reason: str
    fingerprint: str


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
    figures: Mapping[str, Any] = field(default_factory=dict)
    finished: str = ""
    warnings: tuple[str, ...] = ()


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


# --------------------------------------------------------------------------- loading


def _resolved(layer: Mapping[str, Any], base: Path) -> dict[str, Any]:
    """A layer of keys with its path values made absolute against ``base``."""
    out = dict(layer)
    for key in _PATH_KEYS & set(out):
        value = out[key]
        if isinstance(value, (str, os.PathLike)) and str(value).strip():
            out[key] = str((base / Path(value).expanduser()).resolve())
    return out


def _read_mapping(path: Path) -> dict[str, Any]:
    """The raw keys of a YAML configuration file (validated later, with the layers)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} not found; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read configuration file {path} ({exc})") from None
    except yaml.YAMLError:
        raise ConfigError(f"{path} is not valid YAML; write one 'key: value' per line") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path} must hold 'key: value' lines, not a {type(data).__name__}")
    return dict(data)


def _folder_name(name: str) -> str:
    """A file-system-safe folder name for a region (Chinese text is kept)."""
    safe = "".join("_" if ch in _UNSAFE or ord(ch) < 32 else ch for ch in name)
    return safe.strip(" .") or "region"


def _region(
    entry: Any, i: int, defaults: Mapping[str, Any], base: Path, source: str, out: Path
) -> BatchRegion:
    where = f"{source}: region {i}"
    if isinstance(entry, (str, os.PathLike)):
        entry = {"config": entry}
    if not isinstance(entry, Mapping):
        raise ConfigError(
            f"{where}: give a configuration file path or a mapping of keys, "
            f"not {type(entry).__name__}"
        )
    inline = dict(entry)
    layers = [_resolved(defaults, base)]
    name = inline.get("name")
    config_file = inline.pop("config", None)
    if config_file is not None:
        if not isinstance(config_file, (str, os.PathLike)) or not str(config_file).strip():
            raise ConfigError(f"{where}: 'config' must be the path of a configuration file")
        path = (base / Path(config_file).expanduser()).resolve()
        file_keys = _read_mapping(path)
        layers.append(_resolved(file_keys, path.parent))
        name = name or file_keys.get("name") or path.stem
        if isinstance(name, str) and name.strip():
            where = f"{source}: region {i} ({name.strip()})"
    elif not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: an inline region needs a 'name'")
    else:
        where = f"{source}: region {i} ({name.strip()})"
    layers.append(_resolved(inline, base))
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer)
    merged["name"] = name
    config = config_from_dict(merged, base_dir=None, source=where)
    return BatchRegion(name=config.name, config=config, out=out / _folder_name(config.name))


def batch_from_dict(
    data: Mapping[str, Any],
    *,
    base_dir: str | os.PathLike[str],
    source: str = "batch",
    out: str | os.PathLike[str] | None = None,
) -> Batch:
    """Validate the keys of a batch file into a :class:`Batch`.

    Parameters
    ----------
    data : mapping
        ``out`` (optional), ``defaults`` (optional mapping) and ``regions`` (list).
    base_dir : path-like
        Folder the batch file's relative paths are resolved against.
    source : str
        Name used in error messages (the batch file).
    out : path-like, optional
        Output folder, overriding the file's ``out`` (default ``out/<source stem>``).

    Returns
    -------
    Batch

    Raises
    ------
    ConfigError
        One line listing every problem: unknown keys, bad regions (with their number and
        name), duplicate region names.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected the keys 'defaults' and 'regions'")
    base = Path(base_dir).resolve()
    problems: list[str] = []
    for key in data:
        if key not in _TOP_KEYS:
            guess = difflib.get_close_matches(str(key), _TOP_KEYS, n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            problems.append(f"unknown key '{key}'{hint}; a batch file has {', '.join(_TOP_KEYS)}")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        problems.append("'defaults' must be a mapping of configuration keys")
        defaults = {}
    regions = data.get("regions")
    if not isinstance(regions, list) or not regions:
        problems.append("'regions' must be a non-empty list of configuration files or mappings")
        regions = []
    if out is not None:
        out_dir = Path(out).expanduser().resolve()
    elif isinstance(data.get("out"), str) and data["out"].strip():
        out_dir = (base / Path(data["out"]).expanduser()).resolve()
    elif data.get("out") is not None:
        problems.append("'out' must be the path of the output folder")
        out_dir = Path()
    else:
        out_dir = (Path("out") / Path(source).stem).resolve()
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    built: list[BatchRegion] = []
    for i, entry in enumerate(regions, start=1):
        try:
            built.append(_region(entry, i, defaults, base, source, out_dir))
        except ConfigError as exc:
            problems.append(one_line(str(exc)))
    seen: dict[str, str] = {}
    for region in built:
        folder = region.out.name.casefold()
        if folder in seen:
            problems.append(
                f"{source}: regions '{seen[folder]}' and '{region.name}' would share the output "
                f"folder {region.out.name}; give them different names"
            )
        seen[folder] = region.name
    if problems:
        raise ConfigError("; ".join(problems))
    return Batch(regions=tuple(built), out=out_dir, source=source)


def load_batch(path: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None) -> Batch:
    """Read and validate a batch file.

    Parameters
    ----------
    path : path-like
        The YAML batch file.
    out : path-like, optional
        Output folder, overriding the file's ``out``.

    Returns
    -------
    Batch

    Raises
    ------
    ConfigError
        If the file or any region is invalid (one line naming each problem).

    Examples
    --------
    >>> batch = load_batch("data/sample_batch/batch.yaml")  # doctest: +SKIP
    >>> [r.name for r in batch.regions]  # doctest: +SKIP
    ['north-county', 'river-county', 'hill-county']
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: batch file not found; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the batch file ({exc})") from None
    except yaml.YAMLError:
        raise ConfigError(f"{path}: not valid YAML; check the indentation") from None
    return batch_from_dict(data or {}, base_dir=path.parent, source=str(path), out=out)


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
        return RegionPlan(region, "run", "forced", digest)
    if manifest is None:
        return RegionPlan(region, "run", "no earlier successful run", digest)
    if manifest.get("fingerprint") != digest:
        reason = _changes(manifest.get("fingerprint_parts") or {}, fingerprint)
        return RegionPlan(region, "run", reason, digest)
    missing = [n for n in manifest.get("outputs", []) if not (region.out / n).is_file()]
    if missing:
        return RegionPlan(region, "run", f"outputs missing: {', '.join(missing)}", digest)
    return RegionPlan(region, "skip", f"unchanged since {manifest.get('finished', '?')}", digest)


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


def _unit_counts(result: CoverageResult, share: float) -> tuple[int | None, int | None]:
    """Populated units, and those with at least ``share`` of residents covered (all levels)."""
    if not result.units:
        return None, None
    total = covered = 0
    for table in result.units.values():
        populated = table["population"] > 0
        total += int(populated.sum())
        covered += int((populated & (table["coverage_share"] >= share)).sum())
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


def _figures(result: CoverageResult, config: RunConfig) -> dict[str, Any]:
    summary = result.summary
    share = float(getattr(config, "unit_covered_share", UNIT_COVERED_SHARE))
    units, units_covered = _unit_counts(result, share)
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


def _now() -> str:
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


def _remove_stale(batch: Batch) -> None:
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
    from .pipeline import run_coverage, write_outputs
    from .outputs.writers import write_json

    start = time.perf_counter()
    try:
        plan = plan_region(region, force=force)
        if plan.action == "skip":
            manifest = _read_manifest(region.out) or {}
            return RegionOutcome(
                region.name,
                region.out,
                "skipped",
                plan.reason,
                time.perf_counter() - start,
                figures=manifest.get("figures", {}),
                finished=manifest.get("finished", ""),
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run_coverage(region.config)
        region.out.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{region.out.name}.tmp-", dir=region.out.parent))
        try:
            written = write_outputs(result, stage)
            figures = _figures(result, region.config)
            finished = _now()
            duration = time.perf_counter() - start
            write_json(
                {
                    "region": region.name,
                    "fingerprint": plan.fingerprint,
                    "fingerprint_parts": _fingerprint(region.config),
                    "inputs": {
                        f.name: str(getattr(region.config, f.name))
                        for f in dataclasses.fields(region.config)
                        if isinstance(getattr(region.config, f.name), Path) and f.name != "out"
                    },
                    "outputs": sorted(p.name for p in written.values()),
                    "figures": figures,
                    "finished": finished,
                    "duration_s": round(duration, 3),
                    "coverage15_version": __version__,
                },
                stage / MANIFEST_NAME,
            )
            _publish(stage, region.out)
        finally:
            if stage.exists():
                shutil.rmtree(stage, ignore_errors=True)
    except CoverageError as exc:
        return RegionOutcome(
            region.name, region.out, "failed", one_line(str(exc)), time.perf_counter() - start
        )
    return RegionOutcome(
        region.name,
        region.out,
        "ok",
        plan.reason,
        time.perf_counter() - start,
        figures=figures,
        finished=finished,
        warnings=tuple(one_line(str(w.message)) for w in caught),
    )


# --------------------------------------------------------------------------- the batch


def _client(workers: int | None, scheduler: str | None, n_regions: int) -> tuple[Client, Any]:
    """A new client of ``scheduler``, or of a new local cluster (returned too, to close)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise MissingDependencyError(
            "running a batch needs Dask: pip install 'coverage15[dask]'"
        ) from None
    if scheduler is not None:
        return Client(scheduler), None
    n = workers if workers is not None else max(1, min(os.cpu_count() or 1, n_regions))
    cluster = LocalCluster(
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return Client(cluster), cluster


def _failure(region: BatchRegion, exc: BaseException) -> RegionOutcome:
    if type(exc).__name__ == "KilledWorker":
        message = (
            "the worker process running this region died repeatedly (out of memory?); "
            "give the workers more memory or run it alone"
        )
    else:
        message = f"unexpected failure ({type(exc).__name__}: {one_line(str(exc))})"
    folder = region.out
    return RegionOutcome(region.name, folder, "failed", message)


def run_batch(
    batch: Batch,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Client | None = None,
    force: bool = False,
    retries: int = 2,
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
    progress : bool
        Show a progress bar over the regions.

    Returns
    -------
    BatchReport

    Raises
    ------
    MissingDependencyError
        If Dask is not installed.
    """
    from tqdm.auto import tqdm

    start = time.perf_counter()
    batch.out.mkdir(parents=True, exist_ok=True)
    _remove_stale(batch)
    own_client, own_cluster = None, None
    if client is None:
        own_client, own_cluster = _client(workers, scheduler, len(batch))
        client = own_client
    try:
        from distributed import as_completed

        futures = {}
        for region in batch.regions:
            key = f"coverage15-region-{region.out.name}-{uuid.uuid4().hex[:8]}"
            future = client.submit(
                run_region, region, force=force, key=key, retries=retries, pure=False
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
    _remove_stale(batch)  # left by attempts whose worker died
    ordered = tuple(outcomes[r.name] for r in batch.regions)
    index, table = write_rollup(batch, ordered)
    return BatchReport(ordered, index, table, time.perf_counter() - start)


# --------------------------------------------------------------------------- roll-up

_COLUMNS = (
    "region",
    "status",
    "population",
    "population_covered",
    "coverage_share",
    "minutes",
    "units",
    "units_covered",
    "targets",
    "targets_met",
    "duration_s",
    "outputs_from",
    "folder",
    "message",
)


def _rows(batch: Batch, outcomes: Sequence[RegionOutcome]) -> list[dict[str, Any]]:
    rows = []
    for o in outcomes:
        figures = dict(o.figures)
        rows.append(
            {
                "region": o.name,
                "status": o.status,
                **{k: figures.get(k) for k in _COLUMNS[2:10]},
                "duration_s": round(o.duration_s, 3),
                "outputs_from": o.finished,
                "folder": o.folder.relative_to(batch.out).as_posix()
                if o.folder.is_relative_to(batch.out)
                else str(o.folder),
                "message": o.message,
            }
        )
    return rows


def _cell(value: Any, kind: str = "") -> str:
    if value is None or value == "":
        return "–"
    if kind == "share":
        return f"{float(value):.1%}"
    if kind == "int":
        return f"{float(value):,.0f}"
    return html.escape(str(value))


def _index_html(batch: Batch, rows: Sequence[Mapping[str, Any]]) -> str:
    body = []
    for row in rows:
        folder = batch.out / row["folder"]
        href = quote(str(row["folder"]))
        links = []
        if (folder / "map.html").is_file():
            links.append(f'<a href="{html.escape(href)}/map.html">map</a>')
        report = "report.html" if (folder / "report.html").is_file() else "summary.json"
        if (folder / report).is_file():
            label = "report" if report == "report.html" else "summary"
            links.append(f'<a href="{html.escape(href)}/{report}">{label}</a>')
        if row["status"] == "failed" and links:
            links.append("(earlier outputs)")
        units = (
            f"{row['units_covered']} / {row['units']}" if row["units"] is not None else "–"
        )
        targets = (
            f"{row['targets_met']} / {row['targets']}" if row["targets"] is not None else "–"
        )
        body.append(
            f'<tr class="{html.escape(row["status"])}"><td>{_cell(row["region"])}</td>'
            f"<td>{_cell(row['status'])}</td><td class=n>{_cell(row['population'], 'int')}</td>"
            f"<td class=n>{_cell(row['coverage_share'], 'share')}</td>"
            f"<td class=n>{units}</td><td class=n>{targets}</td>"
            f"<td class=n>{row['duration_s']:.1f}</td><td>{' '.join(links) or '–'}</td>"
            f"<td>{_cell(row['message'])}</td></tr>"
        )
    counts = {s: sum(r["status"] == s for r in rows) for s in ("ok", "skipped", "failed")}
    title = f"coverage15 batch: {Path(batch.source).name or 'batch'}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }}
td.n {{ text-align: right; }}
tr.failed td {{ background: #fde0dd; }}
tr.skipped td {{ color: #555; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{len(rows)} regions 地区: {counts["ok"]} run, {counts["skipped"]} unchanged (skipped),
{counts["failed"]} failed. Written {html.escape(_now())} by coverage15 {__version__}.</p>
<table><thead><tr><th>region 地区</th><th>status</th><th>residents 人口</th>
<th>covered 覆盖率</th><th>units covered</th><th>targets met</th><th>seconds</th>
<th>outputs</th><th>message</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table>
<p>Roads © OpenStreetMap contributors (ODbL).</p>
</body></html>
"""


def write_rollup(batch: Batch, outcomes: Sequence[RegionOutcome]) -> tuple[Path, Path]:
    """Write ``index.html`` and ``batch_summary.csv`` into the batch output folder.

    Parameters
    ----------
    batch : Batch
    outcomes : sequence of RegionOutcome
        One per region, in batch order.

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        The index page and the summary table.
    """
    from .outputs.writers import atomic_path

    rows = _rows(batch, outcomes)
    index = batch.out / INDEX_NAME
    table = batch.out / SUMMARY_NAME
    with atomic_path(index) as tmp:
        tmp.write_text(_index_html(batch, rows), encoding="utf-8")
    with atomic_path(table) as tmp, open(tmp, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(_COLUMNS))
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    return index, table
