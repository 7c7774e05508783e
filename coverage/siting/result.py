"""A siting's result and its output files.

:class:`SitingResult` holds the proposed sites and the figures before and after;
:func:`write_siting_outputs` writes ``sites.csv``, ``sites.geojson``,
``siting.json`` and ``criticality.csv`` as one folder, all or nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

__all__ = ["SitingResult", "write_siting_outputs"]


@dataclass(frozen=True)
class SitingResult:
    """Proposed sites and the coverage before and after adding them.

    Attributes
    ----------
    name : str
        Region name.
    summary : dict
        Figures written to ``siting.json``: ``before`` and ``after`` (population
        covered and share), the problem, solver, status, MIP gap, times, sizes.
    sites : geopandas.GeoDataFrame
        The chosen sites in rank order (WGS84): ``rank``, ``id``, ``name``, ``type``,
        ``source``, ``forced``, ``lon``, ``lat``, ``newly_covered_population``,
        ``cumulative_covered_population``, ``cumulative_share``.
    candidates : geopandas.GeoDataFrame
        Every candidate considered, with ``population_reachable_new`` (people it
        alone would newly cover) and ``chosen``.
    criticality : pandas.DataFrame
        Per existing station: ``population_reached``, ``population_critical`` (who
        would lose access if it closed) and ``critical_share``.
    """

    name: str
    summary: dict[str, Any]
    sites: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    criticality: pd.DataFrame


def write_siting_outputs(result: SitingResult, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write a siting result's files into ``out_dir``, all or nothing.

    Files: ``sites.csv`` (ranked sites), ``sites.geojson`` (the same as points, for
    maps), ``siting.json`` (before/after figures, solver, gap, times) and
    ``criticality.csv`` (per existing station).

    Parameters
    ----------
    result : SitingResult
        From :func:`site_stations` or :func:`run_siting`.
    out_dir : path-like
        Output folder: new, empty or an earlier coverage15 output; it is built beside
        and swapped in whole (:func:`coverage.outputs.folder.publish_folder`), and a
        folder holding other files or an input is refused with :class:`InputError`.

    Returns
    -------
    dict
        File kind -> final path.
    """
    from ..outputs.folder import publish_folder, summary_inputs
    from ..outputs.writers import atomic_path, write_csv, write_json

    out = Path(out_dir)
    names = {
        "sites": "sites.csv",
        "sites_geojson": "sites.geojson",
        "siting": "siting.json",
        "criticality": "criticality.csv",
    }
    with publish_folder(out, inputs=summary_inputs(result.summary), kind="siting") as stage:
        write_csv(pd.DataFrame(result.sites.drop(columns="geometry")), stage / names["sites"])
        with atomic_path(stage / names["sites_geojson"]) as tmp:
            tmp.write_text(result.sites.to_json(drop_id=True), encoding="utf-8")
        write_json(result.summary, stage / names["siting"])
        write_csv(result.criticality, stage / names["criticality"])
    return {kind: out / name for kind, name in names.items()}
