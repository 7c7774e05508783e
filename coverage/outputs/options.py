"""The settings of a run's output folder, one small validated object."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InputError

__all__ = ["OutputOptions"]

#: Languages of the maps, report and workbook.
LANGS = ("en", "zh")
#: Text encodings of the Shapefiles' attribute tables (with a matching ``.cpg``).
SHAPEFILE_ENCODINGS = ("utf-8", "gbk")


@dataclass(frozen=True)
class OutputOptions:
    """What a run writes besides its figures, and how.

    Parameters
    ----------
    isochrone_cell_m : float
        Cell size of the metric grid the isochrones are traced on (>= 1 m).
    isochrones_per_station : bool
        Also write each station's part of every isochrone.
    basemap : str or mapping
        Basemap of ``map.html``: ``osm``, ``tianditu``, ``amap``, ``none`` or a custom
        ``{url, attribution, datum}`` (:mod:`coverage.outputs.basemaps`).
    lang : {"en", "zh"}
        Language of the maps, the report and the workbook.
    tianditu_key : str, optional
        Key of the Tianditu basemap (default: ``$TIANDITU_KEY``).
    package : bool
        Also zip every file into ``<name>.zip``, one archive to share.
    output_crs : str
        CRS of the vector layers of ``outputs.gpkg`` and the Shapefiles (WGS84 by
        default; e.g. ``EPSG:4490`` for CGCS2000).
    shapefile : bool
        Also write Shapefiles (with a ``.cpg``).
    shapefile_encoding : {"utf-8", "gbk"}
        Text encoding of the Shapefiles.
    cache_dir : path-like, optional
        The run's cache folder (:func:`coverage.pipeline.output_options` sets it): the
        data date of an OSM file without a date in its header is kept there once found,
        and the print maps' road images; None: neither is kept.
    parallel : bool
        Draw the print maps in a second (forked) process while
        this one writes the rest: on Linux with two or more cores, from the main
        thread, outside Jupyter and worker processes (:mod:`coverage.fork`);
        elsewhere, or False, one after the other. The files are the same either way.

    Raises
    ------
    InputError
        For an unknown language or encoding, or a cell under 1 m.
    """

    isochrone_cell_m: float = 100.0
    isochrones_per_station: bool = False
    basemap: Any = "osm"
    lang: str = "en"
    tianditu_key: str | None = None
    package: bool = False
    output_crs: str = "EPSG:4326"
    shapefile: bool = False
    shapefile_encoding: str = "utf-8"
    cache_dir: Any = None
    parallel: bool = True

    def __post_init__(self) -> None:
        problems = []
        cell = self.isochrone_cell_m
        if not isinstance(cell, (int, float)) or not math.isfinite(cell) or cell < 1:
            problems.append(f"isochrone_cell_m must be a number of metres >= 1, got {cell!r}")
        if self.lang not in LANGS:
            problems.append(f"lang must be 'zh' or 'en', got {self.lang!r}")
        if str(self.shapefile_encoding).lower() not in SHAPEFILE_ENCODINGS:
            problems.append(
                f"shapefile_encoding must be utf-8 or gbk, got {self.shapefile_encoding!r}"
            )
        if problems:
            raise InputError("output options: " + "; ".join(problems))

    @classmethod
    def from_settings(
        cls, options: OutputOptions | None = None, settings: Mapping[str, Any] | None = None
    ) -> OutputOptions:
        """Options from keyword settings (``gis`` flattened), on top of ``options``.

        Parameters
        ----------
        options : OutputOptions, optional
            The starting point (default: the defaults).
        settings : mapping, optional
            Field names and values; ``gis`` may hold ``output_crs``, ``shapefile`` and
            ``shapefile_encoding`` (the keywords of the first API).

        Returns
        -------
        OutputOptions

        Raises
        ------
        TypeError
            For a name that is no option.
        """
        values = dict(settings or {})
        values.update(values.pop("gis", None) or {})
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise TypeError(f"unknown output options: {', '.join(unknown)}")
        return dataclasses.replace(options or cls(), **values)

    def presentation(self) -> dict[str, Any]:
        """The keyword arguments of :func:`coverage.outputs.presentation.write_presentation`."""
        return {
            "basemap": self.basemap,
            "lang": self.lang,
            "tianditu_key": self.tianditu_key,
            "output_crs": self.output_crs,
            "shapefile": self.shapefile,
            "shapefile_encoding": self.shapefile_encoding,
            "parallel": self.parallel,
        }

    def screen(self) -> dict[str, Any]:
        """The keyword arguments of
        :func:`coverage.outputs.presentation.screen_jobs` (besides products)."""
        kwargs = self.presentation()
        del kwargs["parallel"]
        return kwargs
