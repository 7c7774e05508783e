"""A siting's result: the proposed sites and the figures before and after."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

__all__ = ["SitingResult"]


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
    units : dict of str to geopandas.GeoDataFrame
        Per level, the unit polygons (WGS84) with ``unit``, ``population``,
        ``covered_before``, ``covered_after`` and ``brought_by`` (rank of the site
        that brings the unit over the line; 0 for none).
    stations : geopandas.GeoDataFrame or None
        The existing stations (WGS84) with ``id``, ``name``, ``tier`` and ``open``.
    """

    name: str
    summary: dict[str, Any]
    sites: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    criticality: pd.DataFrame
    units: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    stations: gpd.GeoDataFrame | None = None
