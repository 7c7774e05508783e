"""``coverage15 plan CONFIG``: compute the run once, then serve the planning page.

:func:`add_plan_parser` adds the subcommand to the command line's parser and
:func:`plan_command` runs it; :mod:`coverage.cli` turns its errors into exit codes.
"""

from __future__ import annotations

import argparse
import sys
import webbrowser
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["add_plan_parser", "plan_command"]


def add_plan_parser(sub: Any) -> None:
    """Add ``plan`` to the subcommands of the ``coverage15`` parser.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        From ``ArgumentParser.add_subparsers``.
    """
    plan = sub.add_parser(
        "plan",
        help="planning page: add, move and close stations on the map (127.0.0.1 only)",
        description="Compute the run once, then serve a planning page on 127.0.0.1: click the "
        "map to add a station, drag one to move it, close one from its popup; the share, the "
        "units covered against each dated target and the surface update at once (exact). "
        "Export writes a scenario's station table and all outputs of `run`. Ctrl-C stops. "
        "规划页面：在地图上新增、移动、关闭服务点，覆盖率与目标即时更新。",
    )
    plan.add_argument("config", type=Path, help="YAML run configuration")
    plan.add_argument(
        "--port", type=int, default=8765, metavar="N", help="port on 127.0.0.1 (default 8765)"
    )
    plan.add_argument("--no-browser", action="store_true", help="do not open the browser")
    plan.add_argument("--quiet", action="store_true", help="no progress bars")
    plan.add_argument("--debug", action="store_true", help="show tracebacks of failures")


def _write_options(config: Any) -> dict[str, Any]:
    """The writer settings of a configuration, as ``coverage15 run`` uses them."""
    return {
        "isochrone_cell_m": config.isochrone_cell_m,
        "isochrones_per_station": config.isochrones_per_station,
        "basemap": config.basemap,
        "lang": config.lang,
        "tianditu_key": config.tianditu_key,
        "gis": {
            "output_crs": config.output_crs,
            "shapefile": config.shapefile,
            "shapefile_encoding": config.shapefile_encoding,
        },
    }


def plan_command(args: argparse.Namespace) -> int:
    """Run ``coverage15 plan``: serve until Ctrl-C.

    Parameters
    ----------
    args : argparse.Namespace
        ``config``, ``port``, ``no_browser``, ``quiet``.

    Returns
    -------
    int
        0 once stopped with Ctrl-C.

    Raises
    ------
    InputError
        For a bad port, configuration or input.
    """
    from ..config import load_config
    from ..outputs.basemaps import resolve_tianditu_key
    from ..paths import iter_paths
    from ..pipeline import run_coverage
    from .server import make_server, serve
    from .session import start_session

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port must be between 0 and 65535, got {args.port}")
    config = load_config(args.config)
    if config.basemap.name == "tianditu":  # fail before the long run, not after it
        resolve_tianditu_key(config.tianditu_key)
    result = run_coverage(config, progress=not args.quiet)
    inputs = [args.config, *(path for name, path in iter_paths(config) if name != "out")]
    server = make_server(
        start_session(result, lang=config.lang),
        port=args.port,
        lang=config.lang,
        basemap=config.basemap,
        tianditu_key=config.tianditu_key,
        write_options=_write_options(config),
        inputs=inputs,
        base_dir=Path.cwd(),
    )

    def ready(url: str) -> None:
        print(f"planning page 规划页面: {url}  (Ctrl-C stops 按 Ctrl-C 停止)", flush=True)
        if not args.no_browser:
            webbrowser.open(url)

    try:
        serve(server, on_ready=ready)
    except KeyboardInterrupt:
        print("stopped 已停止", file=sys.stderr)
    return 0
