"""What the planning page shows of a session: JSON, and the surface as a PNG.

:func:`session_view` is the JSON the page draws after every edit: the headline share,
the per-level units covered against each dated target, the units whose verdict the
last edit changed, the stations, the scenarios and the travel-time surface.
:class:`SurfaceCanvas` paints the surface fast: the reprojection of the population
grid to Web Mercator is worked out once per session (which grid cell each pixel
shows), so an edit only looks the new minutes up and encodes a palette PNG.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..inputs.crs import transform_xy
from ..outputs.labels import tier_label
from ..outputs.map_layers import SURFACE_ALPHA, class_png, reproject_surface, surface_grid
from ..outputs.style import TimeClasses, time_classes
from ..results import CoverageResult
from .session import Session

__all__ = ["SurfaceCanvas", "session_view"]

Shift = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class SurfaceCanvas:
    """The travel-time surface of one population grid, as a Web Mercator PNG.

    Attributes
    ----------
    rows, cols : numpy.ndarray
        Grid row and column each pixel shows (-1: none), shape of the image.
    bounds : list
        ``[[south, west], [north, east]]`` of the image, on the basemap's datum.
    classes : TimeClasses
        The colour classes (as on ``map.html``).
    """

    rows: np.ndarray = field(repr=False)
    cols: np.ndarray = field(repr=False)
    bounds: list[list[float]]
    classes: TimeClasses

    @classmethod
    def for_result(cls, result: CoverageResult, shift: Shift) -> SurfaceCanvas | None:
        """The canvas of a result's grid (None when the population is a point table).

        Parameters
        ----------
        result : CoverageResult
            Any scenario of the session (they share the grid).
        shift : callable
            Lon/lat to the basemap's datum (:func:`coverage.outputs.basemaps.display_shift`).

        Returns
        -------
        SurfaceCanvas or None
        """
        grid = result.demand.grid
        if grid is None or result.demand.rows is None:
            return None
        height, width = grid.shape
        index = {}
        bounds: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
        for name, values in (
            ("rows", np.repeat(np.arange(height, dtype=np.float32), width)),
            ("cols", np.tile(np.arange(width, dtype=np.float32), height)),
        ):
            dst, bounds = reproject_surface(
                values.reshape(grid.shape), grid, "EPSG:3857", max_finer=4
            )
            index[name] = np.where(np.isfinite(dst), dst, -1).astype(np.int64)
        left, right, bottom, top = bounds
        lon, lat = transform_xy(
            np.array([left, right]), np.array([bottom, top]), "EPSG:3857", "EPSG:4326"
        )
        lon, lat = shift(lon, lat)
        corners = [[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]]
        classes = time_classes(float(result.summary["minutes"]))
        return cls(rows=index["rows"], cols=index["cols"], bounds=corners, classes=classes)

    def png(self, result: CoverageResult) -> str:
        """The result's surface as a PNG data URL (classes coloured, no data transparent).

        Parameters
        ----------
        result : CoverageResult
            A scenario on the canvas's grid.

        Returns
        -------
        str
            ``data:image/png;base64,...``
        """
        minutes = surface_grid(result)
        inside = self.rows >= 0
        pixels = np.full(self.rows.shape, np.nan, dtype=np.float32)
        pixels[inside] = minutes[self.rows[inside], self.cols[inside]]
        return class_png(pixels, self.classes, alpha=SURFACE_ALPHA)


def _number(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _levels(result: CoverageResult, lang: str) -> list[dict[str, Any]]:
    by_level = result.summary.get("units_by_level") or {}
    targets = result.targets
    out = []
    for level, table in result.units.items():
        counts = by_level.get(level, {})
        rows = targets[targets["level"] == level] if not targets.empty else targets
        out.append(
            {
                "level": level,
                "label": tier_label(lang, level),
                "units": int(counts.get("units", len(table))),
                "units_populated": int(counts.get("units_populated", 0)),
                "units_covered": int(counts.get("units_covered", 0)),
                "targets": [
                    {
                        "year": int(t.year),
                        "target_share": float(t.target_share),
                        "units_required": int(t.units_required),
                        "units_covered": int(t.units_covered),
                        "units_to_cover": int(t.units_to_cover),
                        "met": bool(t.met),
                    }
                    for t in rows.itertuples()
                ],
                "covered": [None if pd.isna(v) else bool(v) for v in table["covered"]]
                if "covered" in table
                else [],
            }
        )
    return out


def _stations(result: CoverageResult, shift: Shift, lang: str) -> list[dict[str, Any]]:
    s = result.stations
    lon, lat = shift(s["lon"].to_numpy(float), s["lat"].to_numpy(float))
    catchment = s["catchment_population"].to_numpy(float)
    tiers = s["tier"].astype(object).where(s["tier"].notna(), "").astype(str).to_numpy()
    return [
        {
            "id": str(sid),
            "name": str(name),
            "tier": str(tier),
            "tier_label": tier_label(lang, str(tier)),
            "lon": round(float(x), 7),
            "lat": round(float(y), 7),
            "catchment": _number(c),
        }
        for sid, name, tier, x, y, c in zip(
            s["id"], s["name"], tiers, lon, lat, catchment, strict=True
        )
    ]


#: Siting candidates shown on the page: the most populated uncovered cells, this far apart.
CANDIDATES = 30
CANDIDATE_SPACING_M = 1000.0


def _candidates(result: CoverageResult, shift: Shift) -> list[dict[str, Any]]:
    """The most populated cells beyond the threshold, spaced apart (siting's gap candidates)."""
    from ..siting.candidates import candidates_from_gaps

    found = candidates_from_gaps(
        result.demand,
        result.point_minutes,
        threshold=float(result.summary["minutes"]),
        count=CANDIDATES,
        spacing_m=CANDIDATE_SPACING_M,
    )
    if found.empty:
        return []
    lon, lat = shift(found.geometry.x.to_numpy(), found.geometry.y.to_numpy())
    return [
        {"lon": round(float(x), 7), "lat": round(float(y), 7), "population": float(p)}
        for x, y, p in zip(lon, lat, found["population"], strict=True)
    ]


def session_view(
    session: Session,
    *,
    canvas: SurfaceCanvas | None,
    shift: Shift,
    lang: str = "en",
    surface: bool = True,
) -> dict[str, Any]:
    """The JSON the planning page draws for a session's current scenario.

    Parameters
    ----------
    session : Session
        The session.
    canvas : SurfaceCanvas or None
        Paints the surface (None: the population is a point table, no surface).
    shift : callable
        Lon/lat to the basemap's datum, for the station positions.
    lang : {"en", "zh"}
        Language of the level and tier names.
    surface : bool
        Include the surface PNG (``surface.url``).

    Returns
    -------
    dict
        ``headline`` (``minutes``, ``share``, ``covered``, ``total``, ``stations``),
        ``levels`` (per level: ``units``, ``units_populated``, ``units_covered``,
        ``targets`` with ``year``, ``target_share``, ``units_required``,
        ``units_covered``, ``units_to_cover``, ``met``, and ``covered``: each unit's
        verdict), ``changed`` (``level``, ``index``, ``unit``, ``was``, ``now``),
        ``stations`` (``id``, ``name``, ``tier``, ``lon``, ``lat``, ``catchment``),
        ``scenarios`` (``name``, ``edit``, ``share``), ``current``, ``surface``
        (``url``, ``bounds``) and ``candidates`` (``lon``, ``lat``, ``population``: the
        most populated cells beyond the threshold, 1 km apart, where a click opens a
        station).
    """
    result = session.current.result
    s = result.summary
    view: dict[str, Any] = {
        "headline": {
            "minutes": float(s["minutes"]),
            "share": float(s["coverage_share"]),
            "covered": float(s["population_covered"]),
            "total": float(s["population_total"]),
            "stations": len(result.stations),
        },
        "levels": _levels(result, lang),
        "changed": [
            {"level": c.level, "index": c.index, "unit": c.unit, "was": c.was, "now": c.now}
            for c in session.changed
        ],
        "stations": _stations(result, shift, lang),
        "scenarios": [
            {"name": sc.name, "edit": sc.edit, "share": float(sc.result.coverage_share)}
            for sc in session.scenarios
        ],
        "current": len(session.scenarios) - 1,
        "surface": None,
        "candidates": _candidates(result, shift),
    }
    if canvas is not None and surface:
        view["surface"] = {"url": canvas.png(result), "bounds": canvas.bounds}
    return view
