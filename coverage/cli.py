"""Command line: ``coverage15 run|demo|batch|fetch|site|plan``: arguments -> configuration -> API.

This is the only module that configures logging and turns errors into exit codes:
2 for bad input (one line ``error: ...``, no traceback), 1 for unexpected failures,
130 when interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .cache import add_cache_parser, cache_command
from .config import config_keys_help
from .config_yaml import number
from .errors import CoverageError, InputError, one_line
from .plan.command import add_plan_parser, plan_command

__all__ = ["main"]

log = logging.getLogger("coverage15")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, help="output folder (default: out/<name>)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of failures")
    parser.add_argument(
        "--package", action="store_true", help="also zip map, report and tables into one file"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coverage15",
        description="Share of residents within 15 minutes of a service point, the gaps, "
        "and where the next points should go.",
    )
    parser.add_argument("--version", action="version", version=f"coverage15 {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="compute coverage for the region a configuration file describes",
        description="Compute coverage for a region: summary.json, stations.csv, units.csv, "
        "travel_time.tif, isochrones.geojson and map.html in the output folder.",
        epilog=config_keys_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("config", type=Path, help="YAML run configuration")
    run.add_argument(
        "--minutes", type=number, nargs="+", metavar="N", help="threshold(s), overriding the file"
    )
    _add_run_options(run)

    demo = sub.add_parser(
        "demo",
        help="run on the embedded demo data (central Helsinki, no download)",
        description="Prepare the embedded demo inputs (in the cache folder) and run on them "
        "(default out/demo).",
    )
    _add_run_options(demo)
    _add_batch_parser(sub)
    _add_fetch_parser(sub)
    _add_site_parser(sub)
    add_plan_parser(sub)
    add_cache_parser(sub)
    return parser


def _add_batch_parser(sub: Any) -> None:
    batch = sub.add_parser(
        "batch",
        help="run every region of a batch file, locally or on a Dask cluster",
        description="Run the regions a batch file lists (shared defaults + regions), each "
        "into <out>/<region>/, skipping regions whose inputs and configuration are unchanged; "
        "then write index.html and batch_summary.csv. Exit status 1 if any region failed.",
    )
    batch.add_argument("batch", type=Path, help="YAML batch file")
    where = batch.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, metavar="N", help="local Dask worker processes (default: cores)"
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="existing Dask scheduler, e.g. tcp://host:8786"
    )
    batch.add_argument(
        "--memory-limit", metavar="SIZE", help="memory of each local worker, e.g. 6GiB"
    )
    batch.add_argument("--dry-run", action="store_true", help="list what would run and be skipped")
    batch.add_argument("--force", action="store_true", help="run every region, changed or not")
    _add_run_options(batch)


def _batch(args: argparse.Namespace) -> int:
    from .batch import load_batch, plan_batch, run_batch
    from .batch.region import check_batch_folder

    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1, got {args.workers}")
    batch = load_batch(args.batch, out=args.out)
    # Dask reports cluster start-up and shutdown at INFO; keep its warnings (lost workers).
    # Its import sets its loggers' levels, so it is imported before they are changed.
    with contextlib.suppress(ImportError):
        import distributed  # noqa: F401
    logging.getLogger("distributed").setLevel(logging.INFO if args.debug else logging.WARNING)
    if args.dry_run:
        check_batch_folder(batch)
        plans = plan_batch(batch, force=args.force)
        for plan in plans:
            print(f"{plan.action:<4}  {plan.region.name}: {plan.reason}")
        runs = sum(p.action == "run" for p in plans)
        bad = sum(p.action == "fail" for p in plans)
        failing = f", {bad} with unreadable inputs" if bad else ""
        print(f"{runs} to run, {len(plans) - runs - bad} to skip{failing}; outputs in {batch.out}")
        if bad:
            names = ", ".join(p.region.name for p in plans if p.action == "fail")
            print(f"error: inputs missing or unreadable in {names}", file=sys.stderr)
            return 2
        return 0
    report = run_batch(
        batch,
        workers=args.workers,
        scheduler=args.scheduler,
        force=args.force,
        memory_limit=args.memory_limit,
        progress=not args.quiet,
    )
    for outcome in report.outcomes:
        for text in outcome.warnings:
            print(f"warning: {outcome.name}: {text}", file=sys.stderr)
        if outcome.status == "failed":
            print(f"error: {outcome.name}: {outcome.message}", file=sys.stderr)
    if not args.quiet:
        c = report.counts()
        print(
            f"{len(report.outcomes)} regions: {c['ok']} run, {c['skipped']} unchanged, "
            f"{c['failed']} failed in {report.duration_s:.1f} s; see {report.index}"
        )
    return 1 if report.failed else 0


def _add_fetch_parser(sub: Any) -> None:
    fetch = sub.add_parser(
        "fetch",
        help="download real data: OSM extract of a province, WorldPop raster, SRTM DEM",
        description="Download into the cache folder (resumable, verified), optionally cut "
        "to a county (--bbox or --boundary); prints the path of the file to use.",
    )
    kinds = fetch.add_subparsers(dest="source", required=True, metavar="SOURCE")

    def common(p: argparse.ArgumentParser, *, clip: bool = True) -> None:
        if clip:
            area = p.add_mutually_exclusive_group()
            area.add_argument("--bbox", metavar="W,S,E,N", help="cut to this box (degrees)")
            area.add_argument("--boundary", type=Path, help="cut to these county polygons")
        p.add_argument("--out", type=Path, help="write the result here (default: in the cache)")
        p.add_argument(
            "--cache-dir",
            type=Path,
            help="cache folder (default $COVERAGE15_CACHE_DIR or the user cache folder)",
        )
        p.add_argument("--url-template", help="URL template, e.g. for a mirror (see docs)")
        p.add_argument("--no-checksum", action="store_true", help="verify the size only")
        p.add_argument("--refresh", action="store_true", help="download again despite the cache")
        p.add_argument("--quiet", action="store_true", help="no progress bars")
        p.add_argument("--debug", action="store_true", help="show tracebacks of failures")

    osm = kinds.add_parser("osm", help="OpenStreetMap extract of a Chinese province")
    osm.add_argument("--region", required=True, help="province: zhejiang, 浙江, Inner Mongolia …")
    common(osm)
    pop = kinds.add_parser("worldpop", help="WorldPop 100 m population raster")
    pop.add_argument("--iso3", default="CHN", help="country code (default CHN)")
    pop.add_argument("--year", type=int, default=2020, help="year (default 2020)")
    pop.add_argument("--constrained", action="store_true", help="built-up cells only (2020)")
    pop.add_argument("--un-adjusted", action="store_true", help="scaled to UN national totals")
    common(pop)
    dem = kinds.add_parser("dem", help="SRTM 1 arc-second elevation tiles, merged")
    dem.add_argument("--bbox", required=True, metavar="W,S,E,N", help="area (degrees)")
    common(dem, clip=False)


def _add_site_parser(sub: Any) -> None:
    site = sub.add_parser(
        "site",
        help="propose new stations where coverage has gaps (maximal / set covering)",
        description="Choose new sites among candidates so coverage rises most (--add K) or "
        "reaches a target share with the fewest sites (--target 0.95), or the fewest sites "
        "meeting a year's unit targets (--meet-targets 2024); existing stations stay. "
        "Writes sites.csv, sites.geojson, siting.json, criticality.csv, sites.html, sites.png, "
        "siting_report.html and sites.xlsx.",
    )
    site.add_argument("config", type=Path, help="YAML run configuration")
    goal = site.add_mutually_exclusive_group(required=True)
    goal.add_argument("--add", type=int, metavar="K", help="number of new sites to choose")
    goal.add_argument(
        "--target",
        metavar="SHARE",
        help="share of residents to reach, e.g. 0.95, or 'reachable' (all any candidate reaches)",
    )
    goal.add_argument(
        "--meet-targets",
        type=int,
        metavar="YEAR",
        help="fewest new sites meeting every target of YEAR in the configuration's targets: "
        "(shares of units covered), within its require: tier rules; exact, with its proof",
    )
    site.add_argument(
        "--objective",
        default="people",
        metavar="units[:LEVEL]|people",
        help="with --add: maximise residents covered (people, default) or units covered "
        "(units: every level; units:village: one level), ties going to more residents",
    )
    site.add_argument(
        "--tier",
        metavar="TIER",
        help="tier of new sites whose candidates give none (default: the tier the require: "
        "rules name)",
    )
    site.add_argument(
        "--candidates",
        default="osm",
        metavar="FILE|osm|gaps",
        help="candidate sources, comma-separated: a CSV/GeoJSON file, 'osm' (partner points "
        "of interest of the network extract) and/or 'gaps' (most populated uncovered cells); "
        "default osm",
    )
    site.add_argument(
        "--types", metavar="T,T", help="partner types for osm candidates (default all)"
    )
    site.add_argument(
        "--gaps", type=int, default=200, metavar="N", help="most gap candidates (default 200)"
    )
    site.add_argument(
        "--gap-spacing",
        type=float,
        default=1000.0,
        metavar="M",
        help="least distance between gap candidates in metres (default 1000)",
    )
    site.add_argument(
        "--close", metavar="ID,ID", default="", help="existing stations to close first (what-if)"
    )
    site.add_argument("--exclude", metavar="ID,ID", default="", help="candidate ids to leave out")
    site.add_argument(
        "--force", metavar="ID,ID", default="", help="candidate ids that must be chosen"
    )
    site.add_argument(
        "--capacity", type=float, metavar="PEOPLE", help="people one new site can serve"
    )
    site.add_argument(
        "--solver",
        choices=["exact", "greedy"],
        default="exact",
        help="exact MILP (HiGHS) or lazy greedy; unit targets and tier rules are always exact",
    )
    site.add_argument(
        "--time-limit", type=float, default=60.0, metavar="S", help="exact solver time limit (s)"
    )
    site.add_argument("--minutes", type=number, metavar="N", help="threshold, overriding the file")
    site.add_argument(
        "--mode",
        metavar="MODE",
        help="the travel mode to site for when the configuration lists several in modes: "
        "(default: each in turn, into <out>/<mode>/)",
    )
    _add_run_options(site)


def _site(args: argparse.Namespace) -> int:
    from .config import load_config
    from .errors import SolverError
    from .outputs.folder import mark_output_folder
    from .paths import resolve_path
    from .siting.plan import run_siting, write_siting_outputs

    def ids(text: str | None) -> list[str]:
        return [t.strip() for t in (text or "").split(",") if t.strip()]

    target: float | str | None = None
    if args.target is not None:
        if args.target.strip().lower() == "reachable":
            target = "reachable"
        else:
            try:
                target = float(args.target)
            except ValueError:
                raise InputError(
                    f"--target: {args.target!r} is not a share; give e.g. 0.95 or 'reachable'"
                ) from None
    if args.time_limit <= 0:
        raise InputError(f"--time-limit: must be positive seconds, got {args.time_limit:g}")
    overrides: dict[str, Any] = {"minutes": args.minutes} if args.minutes else {}
    config = load_config(args.config, **overrides)
    sources = [c if c in ("osm", "gaps") else str(resolve_path(c)) for c in ids(args.candidates)]
    files = [Path(c) for c in sources if c not in ("osm", "gaps")]
    default = (config.out or Path("out") / config.name) / "siting"
    inputs = _inputs_of(config, args.config, *files)
    out = _out_folder(args.out, default, inputs)
    if config.basemap.name == "tianditu":  # fail before the long run, not after it
        from .outputs.basemaps import resolve_tianditu_key

        resolve_tianditu_key(config.tianditu_key)
    modes = [args.mode] if args.mode else list(config.run_modes)
    for mode in modes if len(modes) > 1 else ():
        _out_folder(out / mode, out / mode, inputs)
    results = []
    for mode in modes:  # every siting is solved before anything is written
        try:
            result = run_siting(
                config,
                candidates=sources,
                candidate_types=ids(args.types) or None,
                gaps=args.gaps,
                gap_spacing_m=args.gap_spacing,
                exclude=ids(args.exclude),
                force=ids(args.force),
                close=ids(args.close),
                add=args.add,
                target=target,
                meet_targets=args.meet_targets,
                objective=args.objective,
                site_tier=args.tier,
                solver=args.solver,
                time_limit_s=args.time_limit,
                capacity=args.capacity,
                progress=not args.quiet,
                mode=mode,
            )
        except SolverError as exc:  # an unreachable target or no solution in time
            raise InputError(str(exc)) from None
        results.append((result, out / mode if len(modes) > 1 else out))
    if len(modes) > 1:  # one folder per mode, each published whole, under a marked folder
        out.mkdir(parents=True, exist_ok=True)
        mark_output_folder(out, "siting-modes")
    for result, folder in results:
        write_siting_outputs(
            result, folder, lang=config.lang, basemap=config.basemap,
            tianditu_key=config.tianditu_key, package=args.package,
            output_crs=config.output_crs,
        )  # fmt: skip
        if not args.quiet:
            _print_siting(result, folder)
    return 0


def _print_siting(result: Any, out: Path) -> None:
    s = result.summary
    gap = "" if s["mip_gap"] is None else f", gap {s['mip_gap']:.2%}"
    print(
        f"{s['name']} ({s['mode']}): {s['before']['coverage_share']:.1%} -> "
        f"{s['after']['coverage_share']:.1%} of {s['population_total']:,.0f} residents "
        f"within {s['minutes']:g} min with {s['sites_added']} new site(s) "
        f"({s['solver']}, {s['status']}{gap}); outputs in {out}"
    )
    for level, u in s.get("units", {}).items():
        print(
            f"  {level}: {u['units_covered_before']} -> {u['units_covered_after']} of "
            f"{u['units_populated']} units covered"
        )
    for t in s.get("targets", []):
        verdict = "met" if t["met_after"] else "not met"
        print(
            f"  target {t['level']} {t['year']} ({t['target_share']:.0%}, "
            f"{t['units_required']} units): {verdict}"
        )
    for row in result.sites.itertuples():
        print(
            f"  {row.rank:>3}. {row.id} {row.name} ({row.type}): "
            f"+{row.newly_covered_population:,.0f} -> {row.cumulative_share:.1%}"
        )


def _inputs_of(config: Any, *files: Path) -> list[Path]:
    """Every input path of a run: the given files and each path in the configuration."""
    from .paths import iter_paths

    return [*files, *(path for name, path in iter_paths(config) if name != "out")]


def _out_folder(out: Path | None, default: Path, inputs: Sequence[Path]) -> Path:
    """The output folder (``--out`` or the default), refused before any work if unsafe."""
    from .outputs.folder import check_output_folder

    return check_output_folder(out if out is not None else default, inputs)


def _summary_line(summary: dict[str, Any], out: Path) -> str:
    by = summary["coverage_by_minutes"]
    shares = ", ".join(f"{k} min {v:.1%}" for k, v in by.items())
    return (
        f"{summary['name']}: {summary['coverage_share']:.1%} of "
        f"{summary['population_total']:,.0f} residents within {summary['minutes']:g} min "
        f"({summary['mode']}; {shares}); {summary['stations']} stations; outputs in {out}"
    )


def _run(config_path: Path, args: argparse.Namespace) -> int:
    from .config import load_config
    from .outputs.write import write_mode_outputs, write_outputs
    from .pipeline import output_options, run_coverage_modes

    overrides: dict[str, Any] = {}
    if getattr(args, "minutes", None):
        overrides["minutes"] = list(args.minutes)
    config = load_config(config_path, **overrides)
    default = config.out or Path("out") / config.name
    out = _out_folder(args.out, default, _inputs_of(config, config_path))
    if config.basemap.name == "tianditu":  # fail before the long run, not after it
        from .outputs.basemaps import resolve_tianditu_key

        resolve_tianditu_key(config.tianditu_key)
    results = run_coverage_modes(config, progress=not args.quiet)
    options = output_options(config, package=getattr(args, "package", False))
    if len(results) == 1:
        write_outputs(next(iter(results.values())), out, options)
    else:  # one folder per mode and a combined summary
        write_mode_outputs(results, out, options)
    if not args.quiet:
        for mode, result in results.items():
            print(_summary_line(result.summary, out if len(results) == 1 else out / mode))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .datasets import demo_extract, prepare_demo
    from .inputs.network_cache import default_cache_dir

    inputs = default_cache_dir() / "demo"  # generated inputs, kept out of the output folder
    out = _out_folder(args.out, Path("out") / "demo", [inputs / "demo.yaml", demo_extract()])
    config_path = prepare_demo(inputs)
    return _run(config_path, argparse.Namespace(**{**vars(args), "out": out}))


def _fetch(args: argparse.Namespace) -> int:
    from .errors import DownloadError
    from .fetch import fetch_dem, fetch_osm, fetch_worldpop

    common: dict[str, Any] = {
        "out": args.out,
        "cache_dir": args.cache_dir,
        "url_template": args.url_template,
        "checksum": None if args.no_checksum else "auto",
        "progress": not args.quiet,
        "refresh": args.refresh,
    }
    try:
        if args.source == "osm":
            result = fetch_osm(args.region, bbox=args.bbox, boundary=args.boundary, **common)
        elif args.source == "worldpop":
            result = fetch_worldpop(
                args.iso3,
                year=args.year,
                constrained=args.constrained,
                un_adjusted=args.un_adjusted,
                bbox=args.bbox,
                boundary=args.boundary,
                **common,
            )
        else:
            result = fetch_dem(args.bbox, **common)
    except DownloadError as exc:  # expected failures of the network: one line, exit 1
        if args.debug:
            traceback.print_exc()
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "error: interrupted; the partial download is kept, run the same command again "
            "to resume",
            file=sys.stderr,
        )
        return 130
    for url in result.missing:
        log.warning("not on the server, skipped: %s", url)
    if not args.quiet:
        print(repr(result), file=sys.stderr)
    print(result.path)
    return 0


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[list[int]]:
    """Turn SIGTERM (and SIGINT) into KeyboardInterrupt, recording each signal received.

    KeyboardInterrupt unwinds the run so staging folders are cleaned up on the way out.
    Some compiled libraries swallow it and raise their own error instead (matplotlib's
    path code turns it into ``ValueError: Invalid bounding box``); the record lets the
    caller still report such a run as interrupted rather than as a failure.
    """
    received: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _warning_printer() -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints each distinct message once per command.

    The same warning can come from every map of every mode (e.g. the missing Chinese
    font); a terminal full of copies hides the one that matters.
    """
    seen: set[str] = set()

    def show(message: Any, category: Any, filename: str, lineno: int, *_: Any) -> None:
        text = one_line(str(message))
        if text not in seen:
            seen.add(text)
            print(f"warning: {text}", file=sys.stderr)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``coverage15`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 success, 2 bad input, 1 unexpected failure, 130 interrupted.
    """
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    log.setLevel(logging.WARNING if getattr(args, "quiet", False) else logging.INFO)
    debug = getattr(args, "debug", False)
    with warnings.catch_warnings(), _terminate_as_interrupt() as signals:
        warnings.showwarning = _warning_printer()
        try:
            if args.command == "run":
                return _run(args.config, args)
            if args.command == "demo":
                return _demo(args)
            if args.command == "batch":
                return _batch(args)
            if args.command == "fetch":
                return _fetch(args)
            if args.command == "site":
                return _site(args)
            if args.command == "plan":
                return plan_command(args)
            if args.command == "cache":
                return cache_command(args)
        except InputError as exc:
            if debug:
                traceback.print_exc()
            print(f"error: {one_line(str(exc))}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("error: interrupted; earlier outputs are left as they were", file=sys.stderr)
            return 130
        except (CoverageError, Exception) as exc:  # unexpected: exit 1, traceback on --debug
            if debug:
                traceback.print_exc()
            if signals:  # a library turned the interrupt into its own error
                print("error: interrupted; earlier outputs are left as they were", file=sys.stderr)
                return 130
            print(
                f"error: unexpected failure ({type(exc).__name__}: {one_line(str(exc))}); "
                "run again with --debug for details",
                file=sys.stderr,
            )
            return 1
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
