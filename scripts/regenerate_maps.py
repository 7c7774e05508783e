"""Regenerate the maps of every region of a batch file, from Python.

The same work as ``coverage15 batch BATCH.yaml``, written out with the API of
:mod:`coverage.batch` so it can be adapted (e.g. to pick regions, or to post the
summary somewhere):

    python scripts/regenerate_maps.py data/sample_batch/batch.yaml --workers 2
    python scripts/regenerate_maps.py province.yaml --scheduler tcp://10.0.0.5:8786
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coverage.batch import load_batch, plan_batch, run_batch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("batch", type=Path, nargs="?", default=Path("data/sample_batch/batch.yaml"))
    parser.add_argument("--workers", type=int, help="local worker processes")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler")
    parser.add_argument("--force", action="store_true", help="run every region")
    args = parser.parse_args(argv)

    batch = load_batch(args.batch)  # validates every region; raises ConfigError (one line)
    for plan in plan_batch(batch, force=args.force):  # hashes the inputs, reads the manifests
        print(f"{plan.action:<4}  {plan.region.name}: {plan.reason}")

    report = run_batch(
        batch, workers=args.workers, scheduler=args.scheduler, force=args.force, progress=True
    )
    for o in report.outcomes:
        share = o.figures.get("coverage_share")
        figure = f"{share:6.1%} within {o.figures['minutes']:g} min" if share is not None else ""
        print(f"{o.name:<24} {o.status:<8} {figure} {o.message if o.status == 'failed' else ''}")
    print(f"index: {report.index}\nsummary: {report.summary_csv}")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
