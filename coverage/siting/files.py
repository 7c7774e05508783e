"""A siting's output folder: tables, map page, print map, report, workbook, package.

:func:`write_siting_outputs` writes them as one folder, all or nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from ..outputs.folder import publish_folder, summary_inputs
from ..outputs.layers import write_layers
from ..outputs.presentation import package_name, write_package
from ..outputs.writers import atomic_path, write_csv, write_json
from .report import siting_report_html, write_sites_xlsx
from .result import SitingResult
from .sitemap import write_site_maps

__all__ = ["write_siting_outputs"]


def write_siting_outputs(
    result: SitingResult,
    out_dir: str | os.PathLike[str],
    *,
    lang: str = "en",
    basemap: Any = "osm",
    tianditu_key: str | None = None,
    package: bool = False,
    output_crs: str = "EPSG:4326",
) -> dict[str, Path]:
    """Write a siting result's files into ``out_dir``, all or nothing.

    Files: ``sites.csv`` (ranked sites), ``sites.geojson`` (the same as points, for
    GIS), ``siting.json`` (before/after figures, solver, bound, gap, times),
    ``criticality.csv`` (per existing station), ``sites.html`` (offline map),
    ``sites.png`` (print map), ``siting_report.html`` (the report section, zh / en),
    ``sites.xlsx`` and ``outputs.gpkg`` (GIS layers: sites, stations, units); with
    ``package``, also ``<name>.zip`` of them all.

    Parameters
    ----------
    result : SitingResult
        From :func:`site_stations` or :func:`run_siting`.
    out_dir : path-like
        Output folder: new, empty or an earlier coverage15 output; it is built beside
        and swapped in whole (:func:`coverage.outputs.folder.publish_folder`), and a
        folder holding other files or an input is refused with :class:`InputError`.
    lang : {"en", "zh"}
        Language of the map, report and workbook.
    basemap : str or mapping
        Basemap of ``sites.html`` (:mod:`coverage.outputs.basemaps`).
    tianditu_key : str, optional
        Tianditu key.
    package : bool
        Also zip every file into one archive.
    output_crs : str
        CRS of ``outputs.gpkg`` (layers ``sites``, ``stations``, ``units_<level>``).

    Returns
    -------
    dict
        File kind -> final path.
    """
    out = Path(out_dir)
    names = {
        "sites": "sites.csv",
        "sites_geojson": "sites.geojson",
        "siting": "siting.json",
        "criticality": "criticality.csv",
        "sites_html": "sites.html",
        "sites_png": "sites.png",
        "siting_report": "siting_report.html",
        "sites_xlsx": "sites.xlsx",
    }
    if package:
        names["package"] = package_name(result.name)
    with publish_folder(out, inputs=summary_inputs(result.summary), kind="siting") as stage:
        write_csv(pd.DataFrame(result.sites.drop(columns="geometry")), stage / names["sites"])
        with atomic_path(stage / names["sites_geojson"]) as tmp:
            tmp.write_text(result.sites.to_json(drop_id=True), encoding="utf-8")
        write_json(result.summary, stage / names["siting"])
        write_csv(result.criticality, stage / names["criticality"])
        write_site_maps(result, stage, lang=lang, basemap=basemap, tianditu_key=tianditu_key)
        with atomic_path(stage / names["siting_report"]) as tmp:
            tmp.write_text(
                siting_report_html(result, lang, png=stage / names["sites_png"]), encoding="utf-8"
            )
        write_sites_xlsx(result, stage / names["sites_xlsx"], lang=lang)
        units = {f"units_{level}": frame for level, frame in result.units.items()}
        layers = {"sites": result.sites, "stations": result.stations, **units}
        names["gpkg"] = write_layers(layers, stage, output_crs=output_crs)["gpkg"].name
        if package:
            write_package(stage, stage / names["package"], lang=lang)
    return {kind: out / name for kind, name in names.items()}
