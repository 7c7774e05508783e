"""Everything a planner hands to officials, written in one call.

:func:`write_presentation` writes the interactive map, the static maps, the report,
the Excel tables and the licences of the vendored web libraries into a folder;
:func:`write_package` zips a run's folder into one file that opens anywhere
(the pages inside need no network).
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..fork import fork_available, forked
from .basemaps import Basemap
from .labels import label, tier_label
from .layers import write_gis_layers
from .maps import ASSETS, coverage_map, save_map
from .products import Products, make_products
from .report import write_report, write_units_xlsx
from .report.page import ReportPage, report_page
from .sharing import Job, SharedJobs
from .static import prepare_drawing, static_maps
from .style import map_title
from .writers import atomic_path

if TYPE_CHECKING:
    from ..results import CoverageResult

__all__ = [
    "package_name",
    "printing",
    "screen_jobs",
    "write_package",
    "write_presentation",
    "write_print_outputs",
]

#: Licences of the libraries inlined into map.html, copied next to it.
LICENCES = ("LICENSE-leaflet.txt", "LICENSE-jquery.txt")

_README = {
    "en": "Open map.html (interactive map) or report.html (printable report) in a web "
    "browser; they work without internet (only the basemap tiles need it). The tables "
    "are in units.xlsx and the .csv files; GIS layers are the .geojson and .tif files.\n",
    "zh": "用浏览器打开 map.html（交互地图）或 report.html（可打印报告），无需联网"
    "（仅底图瓦片需要网络）。表格见 units.xlsx 与 .csv 文件；GIS 图层为 .geojson 与 .tif 文件。\n",
}


def write_presentation(
    result: CoverageResult,
    folder: str | os.PathLike[str],
    *,
    basemap: str | Mapping[str, Any] | Basemap = "osm",
    lang: str = "en",
    tianditu_key: str | None = None,
    products: Products | None = None,
    modes: Mapping[str, Mapping[str, Any]] | None = None,
    output_crs: str = "EPSG:4326",
    shapefile: bool = False,
    shapefile_encoding: str = "utf-8",
    parallel: bool = False,
) -> dict[str, Path]:
    """Write ``map.html``, ``map.png`` (and one per unit level), ``report.html``,
    ``units.xlsx``, ``outputs.gpkg`` and ``assets/`` (licences) into ``folder``.

    Parameters
    ----------
    result : CoverageResult
        The result.
    folder : path-like
        Output folder (usually the staging folder of :func:`~coverage.write_outputs`).
    basemap : str, mapping or Basemap
        Basemap of the interactive map (see :mod:`coverage.outputs.basemaps`).
    lang : {"en", "zh"}
        Language of the labels.
    tianditu_key : str, optional
        Key for the Tianditu basemap.
    products : Products, optional
        The result's surface and isochrones, computed once for every output
        (:func:`~coverage.outputs.products.make_products`; default: computed here): the
        isochrones as in ``isochrones.geojson`` are drawn on ``map.html`` and ``map.png``
        and written to ``outputs.gpkg``.
    modes : mapping, optional
        Every mode's summary of a multi-mode run (mode -> summary): the report then
        compares the modes.
    output_crs, shapefile, shapefile_encoding
        Options of ``outputs.gpkg`` and the Shapefiles
        (:func:`~coverage.outputs.layers.write_gis_layers`).
    parallel : bool
        Draw the print maps in a second process meanwhile, while this one makes the
        report (:func:`~coverage.fork.forked`; where forking is sound).

    Returns
    -------
    dict
        File kind -> path.
    """
    products = products or make_products(result)

    jobs = screen_jobs(
        result,
        folder,
        products=products,
        basemap=basemap,
        lang=lang,
        tianditu_key=tianditu_key,
        output_crs=output_crs,
        shapefile=shapefile,
        shapefile_encoding=shapefile_encoding,
    )
    with printing(
        result, folder, products=products, lang=lang, modes=modes, parallel=parallel, jobs=jobs
    ) as printed:
        return printed()


@contextmanager
def printing(
    result: CoverageResult,
    folder: str | os.PathLike[str],
    *,
    products: Products,
    lang: str = "en",
    modes: Mapping[str, Mapping[str, Any]] | None = None,
    parallel: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    jobs: Sequence[Job] = (),
) -> Iterator[Callable[..., dict[str, Path]]]:
    """The print outputs (:func:`write_print_outputs`) and ``jobs`` written while the block runs.

    With ``parallel`` the maps are drawn in a second process
    (:func:`~coverage.fork.forked`), and this one makes the report's tables
    and text when the block is done, while the maps are still being drawn; the maps
    are added to the report when they are there. The ``jobs`` (other files of the
    result) are shared: each is written by whichever process is free first
    (:class:`~coverage.outputs.sharing.SharedJobs`). Else all of it is written when
    asked for.

    Parameters
    ----------
    result, folder, products, lang, modes
        As for :func:`write_presentation`.
    parallel : bool
        Fork where that is sound.
    cache_dir : path-like, optional
        The run's cache folder (the print maps keep their roads' images there).
    jobs : sequence of callables
        Other files of the result (:data:`~coverage.outputs.sharing.Job`, longest
        first): they must need nothing the block makes.

    Yields
    ------
    callable
        Call it inside the block: it waits for the files and returns kind -> path
        (the maps, the report and the jobs' files).
        Given a result, the report is that one's: the same run with more in its
        summary (the data dates, looked up while the maps are drawn; the maps do not
        show them).
    """

    shared = SharedJobs(jobs, shared=parallel and fork_available())

    def job() -> dict[str, str]:
        maps = _print_maps(result, folder, products=products, lang=lang, cache_dir=cache_dir)
        return {**{kind: str(path) for kind, path in maps.items()}, **shared.run()}

    with forked(job, enabled=parallel) as pending:

        def wait(reported: CoverageResult | None = None) -> dict[str, Path]:
            shown = result if reported is None else reported
            page = None
            if pending.pid is not None:  # while the child draws
                page = report_page(shown, lang=lang, modes=modes)
            mine = shared.run()
            if pending.pid is not None:
                # and the drawing machinery, so the children of this process's next
                # runs start warm (a script over many counties)
                prepare_drawing()
            files = {kind: Path(path) for kind, path in {**pending.result(), **mine}.items()}
            maps = {kind: path for kind, path in files.items() if _is_map(kind)}
            report = _report_with_maps(shown, folder, maps, lang=lang, modes=modes, page=page)
            return {**files, "report": report}

        yield wait


def _print_maps(
    result: CoverageResult,
    folder: str | os.PathLike[str],
    *,
    products: Products,
    lang: str,
    cache_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Path]:
    return static_maps(
        result,
        folder,
        lang=lang,
        surface=products.minutes_grid,
        isochrones=products.isochrones,
        cache_dir=cache_dir,
    )


def _is_map(kind: str) -> bool:
    """Whether a file kind is a print map (``map_png``, ``map_<level>_png``)."""
    return kind.startswith("map_") and kind.endswith("_png")


def _report_with_maps(
    result: CoverageResult,
    folder: str | os.PathLike[str],
    maps: Mapping[str, Path],
    *,
    lang: str,
    modes: Mapping[str, Mapping[str, Any]] | None,
    page: ReportPage | None = None,
) -> Path:
    """``report.html`` holding the drawn maps, each with its caption."""
    headline = float(result.summary["minutes"])
    mode = str(result.summary.get("mode", result.network.mode))
    images = {}
    for kind, path in maps.items():
        level = kind.removeprefix("map_").removesuffix("_png")
        caption = (
            map_title(lang, place=result.name, mode=mode, minutes=headline)
            if kind == "map_png"
            else label(lang, "covered_share", minutes=headline) + f" ({tier_label(lang, level)})"
        )
        images[caption] = path.read_bytes()
    return write_report(
        result, Path(folder) / "report.html", lang=lang, images=images, modes=modes, page=page
    )


def write_print_outputs(
    result: CoverageResult,
    folder: str | os.PathLike[str],
    *,
    products: Products,
    lang: str = "en",
    modes: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Path]:
    """Write what is printed: ``map.png``, ``map_<level>.png`` and ``report.html``
    (which holds the maps).

    Parameters
    ----------
    result, folder, products, lang, modes
        As for :func:`write_presentation`.

    Returns
    -------
    dict
        File kind -> path.
    """
    maps = _print_maps(result, folder, products=products, lang=lang)
    return {**maps, "report": _report_with_maps(result, folder, maps, lang=lang, modes=modes)}


def screen_jobs(
    result: CoverageResult,
    folder: str | os.PathLike[str],
    *,
    products: Products,
    basemap: str | Mapping[str, Any] | Basemap = "osm",
    lang: str = "en",
    tianditu_key: str | None = None,
    output_crs: str = "EPSG:4326",
    shapefile: bool = False,
    shapefile_encoding: str = "utf-8",
) -> list[Job]:
    """What is opened on a screen, as jobs (longest first) for :func:`printing`:
    ``map.html`` with ``assets/`` (licences), ``outputs.gpkg`` (and Shapefiles),
    ``units.xlsx``.

    Parameters
    ----------
    result, folder, products, basemap, lang, tianditu_key, output_crs, shapefile, shapefile_encoding
        As for :func:`write_presentation`.

    Returns
    -------
    list of callables
        Each writes its files and returns file kind -> path.
    """
    out = Path(folder)

    def web_map() -> dict[str, Path]:
        fmap = coverage_map(
            result,
            basemap=basemap,
            lang=lang,
            tianditu_key=tianditu_key,
            surface=products.minutes_grid,
            isochrones=products.isochrones,
        )
        paths = {"map": save_map(fmap, out / "map.html")}
        for name in LICENCES:
            target = out / "assets" / name
            with atomic_path(target) as tmp:
                shutil.copyfile(ASSETS / name, tmp)
            paths[f"licence_{name}"] = target
        return paths

    def layers() -> dict[str, Path]:
        return write_gis_layers(
            result,
            out,
            isochrones=products.isochrones,
            output_crs=output_crs,
            shapefile=shapefile,
            shapefile_encoding=shapefile_encoding,
        )

    def workbook() -> dict[str, Path]:
        return {"units_xlsx": write_units_xlsx(result, out / "units.xlsx", lang=lang)}

    return [web_map, layers, workbook]


def package_name(name: str) -> str:
    """File name of a region's package: its name with unsafe characters replaced.

    Examples
    --------
    >>> package_name("县/区 demo")
    '县_区_demo.zip'
    """
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip("._")
    return f"{safe or 'coverage15'}.zip"


def write_package(
    folder: str | os.PathLike[str], path: str | os.PathLike[str], *, lang: str = "en"
) -> Path:
    """Zip every file of a run's folder into one shareable archive, atomically.

    The archive holds one top folder named after the zip, with a ``README.txt``
    saying what to open. Hidden files (staging, locks) and the archive itself are
    left out.

    Parameters
    ----------
    folder : path-like
        The run's output (or staging) folder.
    path : path-like
        The ``.zip`` file to write.
    lang : {"en", "zh"}
        Language of the README.

    Returns
    -------
    pathlib.Path
    """
    root = Path(folder)
    target = Path(path)
    top = target.stem
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.resolve() != target.resolve()
        and p.suffix != ".zip"
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    with atomic_path(target) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{top}/README.txt", _README.get(lang, _README["en"]))
            for p in files:
                archive.write(p, f"{top}/{p.relative_to(root).as_posix()}")
    return target
