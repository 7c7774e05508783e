"""The result of a coverage run: small, immutable, readable in a notebook."""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import folium

    from .engine.whatif import EngineState
    from .inputs.network import Network
    from .inputs.population import Demand
    from .metrics.options import MetricOptions

__all__ = ["CoverageResult"]


@dataclass(frozen=True)
class CoverageResult:
    """Travel times and coverage of one region.

    Attributes
    ----------
    name : str
        Region name.
    summary : dict
        Headline figures, as written to ``summary.json``.
    stations : geopandas.GeoDataFrame
        The stations with ``snap_distance_m``, ``reachable``, ``catchment_population`` and
        ``catchment_covered``.
    units : dict of str to pandas.DataFrame
        Per-unit figures for each level of units given (``"unit"`` for a single set).
    unit_polygons : dict of str to geopandas.GeoDataFrame
        The unit polygons of each level.
    demand : Demand
        The demand points (raster cell centres or a population table).
    point_minutes : numpy.ndarray
        Minutes from each demand point to its nearest station (inf: unreachable).
    point_station : numpy.ndarray
        Index of the nearest station of each demand point (-1: none).
    network : Network
        The road network used.
    thresholds : tuple of float
        Thresholds in minutes.
    targets : pandas.DataFrame
        One row per policy target (:func:`coverage.metrics.targets.target_verdicts`):
        ``level``, ``year``, ``target_share``, ``units``, ``units_covered``,
        ``share_units_covered``, ``units_required``, ``units_to_cover``, ``met``.
    services : pandas.DataFrame
        Coverage per service item (:func:`coverage.metrics.services.service_coverage`):
        ``service``, ``stations``, ``population_covered``, ``coverage_share``,
        ``mean_minutes``, ``unreachable_population``; empty without a ``services`` column.
    gaps : geopandas.GeoDataFrame or None
        Gap areas (:func:`coverage.metrics.gaps.gap_areas`) in the raster's CRS; None
        when the population is a point table.
    windows : pandas.DataFrame
        Coverage per time window (:func:`coverage.metrics.windows.window_coverage`);
        empty without ``time_windows``.
    home_service : geopandas.GeoDataFrame or None
        The home-service list (:func:`coverage.metrics.home_service.home_service_list`)
        in the demand's CRS; None without ``home_service``.
    tier_point_station : dict of str to numpy.ndarray
        With ``catchment_by_tier``: tier -> index of each demand point's nearest station
        of that tier (-1: none); empty otherwise.
    tier_point_minutes : dict of str to numpy.ndarray
        Likewise, the minutes to that station (inf: none).
    engine : EngineState or None
        Snaps and node times, kept for fast what-if updates (:mod:`coverage.whatif`)
        and isochrones.
    metric_options : MetricOptions or None
        The metric settings of the run, for what-if updates.
    station_input_columns : tuple of str
        The columns of the station table as given (before the figures were added),
        for what-if updates.
    unit_of_point : dict of str to numpy.ndarray
        Level -> index of the unit each demand point lies in (-1: none), for what-if
        updates (placing two million points in their units takes a second).
    """

    name: str
    summary: dict[str, Any]
    stations: gpd.GeoDataFrame
    units: dict[str, pd.DataFrame]
    unit_polygons: dict[str, gpd.GeoDataFrame]
    demand: Demand
    point_minutes: np.ndarray
    point_station: np.ndarray
    network: Network
    thresholds: tuple[float, ...]
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    services: pd.DataFrame = field(default_factory=pd.DataFrame)
    gaps: gpd.GeoDataFrame | None = None
    windows: pd.DataFrame = field(default_factory=pd.DataFrame)
    home_service: gpd.GeoDataFrame | None = None
    tier_point_station: dict[str, np.ndarray] = field(default_factory=dict)
    tier_point_minutes: dict[str, np.ndarray] = field(default_factory=dict)
    engine: EngineState | None = field(default=None, repr=False, compare=False)
    metric_options: MetricOptions | None = field(default=None, repr=False, compare=False)
    station_input_columns: tuple[str, ...] = field(default=(), repr=False, compare=False)
    unit_of_point: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def coverage_share(self) -> float:
        """Share of residents within the headline threshold (0..1)."""
        return float(self.summary["coverage_share"])

    def minutes_grid(self, *, unreachable: float = np.nan) -> np.ndarray:
        """Travel-time surface on the population grid (float32 minutes, NaN: no cell).

        Parameters
        ----------
        unreachable : float
            Value of populated cells that reach no station (NaN, or ``inf`` to tell
            them apart from cells without people).

        Returns
        -------
        numpy.ndarray

        Raises
        ------
        ValueError
            If the demand did not come from a raster.
        """
        grid = self.demand.grid
        if grid is None or self.demand.rows is None or self.demand.cols is None:
            raise ValueError("this result's population is a point table, not a raster")
        surface = np.full(grid.shape, np.nan, dtype=np.float32)
        m = self.point_minutes
        surface[self.demand.rows, self.demand.cols] = np.where(np.isfinite(m), m, unreachable)
        return surface

    def with_summary(self, summary: dict[str, Any]) -> CoverageResult:
        """A copy with another summary dictionary."""
        return dataclasses.replace(self, summary=summary)

    def stations_table(self) -> pd.DataFrame:
        """The station table without geometry, as written to ``stations.csv``."""
        return pd.DataFrame(self.stations.drop(columns="geometry"))

    def explore(self, **kwargs: Any) -> folium.Map:
        """An interactive folium map of the result, as ``map.html`` draws it.

        Shown in Jupyter, the map's page carries Leaflet and its styles itself (no CDN),
        so it draws on a machine without internet. See
        :func:`coverage.outputs.maps.coverage_map` for the keyword arguments.
        """
        from .outputs.maps import coverage_map

        return coverage_map(self, **kwargs)

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"CoverageResult({self.name!r}: {s['coverage_share']:.1%} of "
            f"{s['population_total']:,.0f} residents within {s['minutes']:g} min "
            f"({s['mode']}), {s['stations']} stations)"
        )

    def _repr_html_(self) -> str:
        s = self.summary
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in [
                ("region", str(self.name)),
                ("mode", str(s["mode"])),
                ("residents", f"{s['population_total']:,.0f}"),
                (
                    f"within {s['minutes']:g} min",
                    f"{s['population_covered']:,.0f} ({s['coverage_share']:.1%})",
                ),
                ("mean minutes", "-" if s["mean_minutes"] is None else f"{s['mean_minutes']:.1f}"),
                ("unreachable", f"{s['unreachable_population']:,.0f}"),
                ("stations", f"{s['stations']}"),
            ]
        )
        return f"<table><caption>Coverage result</caption>{rows}</table>"
