"""The write stage: one result (or one per mode) into one output folder.

:func:`write_outputs` and :func:`write_mode_outputs` build every file of a run in a
staging folder beside the target and swap it in as one step
(:func:`coverage.outputs.folder.publish_folder`). The travel-time surface and the
isochrones are computed once (:mod:`coverage.outputs.products`) and handed to every
writer, so ``travel_time.tif``, ``isochrones.geojson``, ``map.html`` and ``map.png``
agree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..inputs.dates import input_dates
from ..results import CoverageResult
from .folder import publish_folder, summary_inputs
from .options import OutputOptions
from .presentation import (
    package_name,
    printing,
    screen_jobs,
    write_package,
)
from .products import Products, make_products
from .sharing import Job
from .writers import write_csv, write_geojson, write_geotiff, write_json

__all__ = ["write_mode_outputs", "write_output_files", "write_outputs"]


def _dated(
    result: CoverageResult, options: OutputOptions, known: Mapping[str, Any] | None = None
) -> CoverageResult:
    """The result with the data date of every input file in its summary (``input_dates``,
    for summary.json and the report's sources); ``known``: dates of a result with the
    same inputs (the modes of one run), not looked up again."""
    inputs = result.summary.get("inputs")
    if not inputs or "input_dates" in result.summary:
        return result
    if known is None or known.get("inputs") != inputs:
        dates = input_dates(inputs, cache_dir=options.cache_dir)
    else:
        dates = known["input_dates"]
    return result.with_summary({**result.summary, "input_dates": dates})


def _write_tables(result: CoverageResult, stage: Path) -> dict[str, str]:
    """summary.json and the CSV and GeoJSON tables of one result; kind -> relative name."""
    names = {"summary": "summary.json", "stations": "stations.csv"}
    for level in result.units:
        names[f"units_{level}"] = "units.csv" if level == "unit" else f"units_{level}.csv"
    write_json(result.summary, stage / names["summary"])
    write_csv(result.stations_table(), stage / names["stations"])
    for level, table in result.units.items():
        write_csv(table, stage / names[f"units_{level}"])
    if result.gaps is not None:
        names["gaps"] = "gaps.geojson"
        write_geojson(result.gaps, stage / names["gaps"])
    if result.home_service is not None:
        names["home_service"] = "home_service.csv"
        names["home_service_layer"] = "home_service.geojson"
        home = result.home_service
        write_csv(pd.DataFrame(home.drop(columns="geometry")), stage / names["home_service"])
        if len(home):
            write_geojson(home, stage / names["home_service_layer"])
        else:  # an empty layer still opens in GIS software
            write_json(
                {"type": "FeatureCollection", "features": []}, stage / "home_service.geojson"
            )
    for kind in ("targets", "services"):
        if not getattr(result, kind).empty:
            names[kind] = f"{kind}.csv"
            write_csv(getattr(result, kind), stage / names[kind])
    return names


def _write_result(
    result: CoverageResult,
    stage: Path,
    options: OutputOptions,
    modes: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, str]:
    """Write one result's files into a staging folder; file kind -> relative name."""
    products = make_products(
        result,
        isochrone_cell_m=options.isochrone_cell_m,
        per_station=options.isochrones_per_station,
    )
    jobs = [
        *screen_jobs(result, stage, products=products, **options.screen()),
        *_product_jobs(result, stage, products),
    ]
    # the print maps in a second process (started first: they take longest) while this
    # one writes the tables and the report's text; the other files go to whichever is
    # free first; the report last
    with printing(
        result,
        stage,
        products=products,
        lang=options.lang,
        modes=modes,
        parallel=options.parallel,
        cache_dir=options.cache_dir,
        jobs=jobs,
    ) as printed:
        # the data dates while the maps are drawn (an OSM file without a date in its
        # header is scanned object by object); the maps do not show them
        result = _dated(result, options)
        names = _write_tables(result, stage)
        shown = printed(result)
    names.update({kind: path.relative_to(stage).as_posix() for kind, path in shown.items()})
    return names


def _product_jobs(result: CoverageResult, stage: Path, products: Products) -> list[Job]:
    """``travel_time.tif``, ``isochrones.geojson`` and ``isochrones_stations.geojson``
    as jobs for :func:`~coverage.outputs.presentation.printing`."""
    jobs: list[Job] = []
    grid, surface = result.demand.grid, products.minutes_grid
    if grid is not None and surface is not None:

        def raster() -> dict[str, Path]:
            path = stage / "travel_time.tif"
            return {"travel_time": write_geotiff(surface, grid.transform, grid.crs, path)}

        jobs.append(raster)
    layers = {}
    if products.isochrones.crs is not None:
        layers["isochrones"] = products.isochrones
    if products.isochrones_stations is not None:
        layers["isochrones_stations"] = products.isochrones_stations
    if layers:

        def isochrones() -> dict[str, Path]:
            for kind, frame in layers.items():
                write_geojson(frame, stage / f"{kind}.geojson")
            return {kind: stage / f"{kind}.geojson" for kind in layers}

        jobs.append(isochrones)
    return jobs


def write_outputs(
    result: CoverageResult,
    out_dir: str | os.PathLike[str],
    options: OutputOptions | None = None,
    **settings: Any,
) -> dict[str, Path]:
    """Write a result's files into ``out_dir``, all or nothing.

    Files: ``summary.json``, ``stations.csv``, ``units.csv`` (one set of units) or
    ``units_<level>.csv`` (one per level), ``travel_time.tif`` and ``gaps.geojson``
    (population from a raster), ``targets.csv`` (with targets), ``services.csv`` (when
    stations list services), ``home_service.csv`` and ``home_service.geojson`` (with a
    ``home_service`` group), ``isochrones.geojson`` (one polygon per threshold, traced on a metric
    grid of ``isochrone_cell_m``, written in WGS84), ``isochrones_stations.geojson``
    (with ``isochrones_per_station``), and what officials read: ``map.html`` (works
    offline), ``map.png`` and ``map_<level>.png``, ``report.html``, ``units.xlsx`` and
    ``assets/`` (see :mod:`coverage.outputs.presentation`).

    Parameters
    ----------
    result : CoverageResult
        From :func:`compute_coverage` or :func:`run_coverage`.
    out_dir : path-like
        Output folder: new, empty or an earlier coverage15 output; it is built beside
        and swapped in whole (:func:`coverage.outputs.folder.publish_folder`), and a
        folder holding other files or an input is refused with :class:`InputError`.
    options : OutputOptions, optional
        What to write and how (:class:`~coverage.outputs.options.OutputOptions`:
        isochrone grid, basemap, language, package, GIS layers; default: the
        defaults; :func:`coverage.pipeline.output_options` reads them from a
        configuration).
    **settings
        Single options by name (``lang="zh"``, ``package=True``, ``gis={...}``),
        applied on top of ``options``.

    Returns
    -------
    dict
        File kind -> final path.
    """
    options = OutputOptions.from_settings(options, settings)
    out = Path(out_dir)
    with publish_folder(out, inputs=summary_inputs(result.summary), kind="run") as stage:
        names = write_output_files(result, stage, options)
    return {kind: out / name for kind, name in names.items()}


def write_output_files(
    result: CoverageResult,
    folder: Path,
    options: OutputOptions | None = None,
    **settings: Any,
) -> dict[str, str]:
    """Write a result's files into a folder being built (no publishing; see write_outputs).

    Parameters
    ----------
    result : CoverageResult
        The result.
    folder : pathlib.Path
        A staging folder from :func:`coverage.outputs.folder.publish_folder`.
    options : OutputOptions, optional
        As for :func:`write_outputs`.
    **settings
        As for :func:`write_outputs`.

    Returns
    -------
    dict
        File kind -> name relative to ``folder``.
    """
    options = OutputOptions.from_settings(options, settings)
    names = _write_result(result, folder, options)
    if options.package:
        package = write_package(folder, folder / package_name(result.name), lang=options.lang)
        names["package"] = package.name
    return names


def write_mode_outputs(
    results: Mapping[str, CoverageResult],
    out_dir: str | os.PathLike[str],
    options: OutputOptions | None = None,
    **settings: Any,
) -> dict[str, Path]:
    """Write the results of several modes: ``<out>/<mode>/...`` and a combined summary.

    Each mode's folder holds the files of :func:`write_outputs`; ``modes_summary.csv``
    (one row per mode: coverage share per threshold, mean minutes, unreachable
    population) and ``modes_summary.json`` (every mode's summary) sit in ``out_dir``.
    Everything is written all or nothing.

    Parameters
    ----------
    results : mapping of str to CoverageResult
        From :func:`run_coverage_modes`.
    out_dir : path-like
        Output folder, as for :func:`write_outputs`.
    options, **settings
        As for :func:`write_outputs` (the package holds every mode's folder).

    Returns
    -------
    dict
        File kind (``<mode>/<kind>`` for a mode's files) -> final path.
    """
    options = OutputOptions.from_settings(options, settings)
    out = Path(out_dir)
    paths: dict[str, Path] = {}
    inputs = [p for r in results.values() for p in summary_inputs(r.summary)]
    dated: dict[str, CoverageResult] = {}
    for mode, result in results.items():  # the modes of a run share their inputs: dated once
        first = next(iter(dated.values()), None)
        dated[mode] = _dated(result, options, None if first is None else first.summary)
    results = dated
    with publish_folder(out, inputs=inputs, kind="modes") as stage:
        rows = []
        for mode, result in results.items():
            (stage / mode).mkdir()
            names = _write_result(
                result, stage / mode, options, modes={m: r.summary for m, r in results.items()}
            )
            paths.update({f"{mode}/{kind}": out / mode / name for kind, name in names.items()})
            s = result.summary
            row = {"mode": mode, "population_total": s["population_total"]}
            row.update({f"coverage_{k}min": v for k, v in s["coverage_by_minutes"].items()})
            row.update(
                {
                    "mean_minutes": s["mean_minutes"],
                    "unreachable_population": s["unreachable_population"],
                    "unreachable_too_far_from_roads": s["unreachable_too_far_from_roads"],
                    "unreachable_no_station_reachable": s["unreachable_no_station_reachable"],
                }
            )
            rows.append(row)
        write_csv(pd.DataFrame(rows), stage / "modes_summary.csv")
        write_json({m: r.summary for m, r in results.items()}, stage / "modes_summary.json")
        if options.package:
            name = package_name(next(iter(results.values())).name) if results else "modes.zip"
            paths["package"] = out / write_package(stage, stage / name, lang=options.lang).name
    paths["modes_summary"] = out / "modes_summary.csv"
    paths["modes_summary_json"] = out / "modes_summary.json"
    return paths
