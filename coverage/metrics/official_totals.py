"""Scaling modelled population to official totals per unit.

Inside each unit of the totals level, every demand point (raster cell or table point)
is multiplied by ``official / model``, where ``model`` is the people the points of the
unit hold (a point belongs to the unit containing it, the rule of the unit tables).
The unit then holds its official figure (to floating-point rounding), and the people
keep their modelled distribution inside it. Population groups are scaled by the same
factor. Points in no matched unit keep their modelled people; a unit whose official
figure is positive but which holds no populated point cannot be scaled (its people
have nowhere to go) and is reported, as are names found on one side only.

Examples
--------
>>> import numpy as np
>>> factors_for(np.array([100.0, 0.0]), np.array([150.0, 0.0]))
array([1.5, 1. ])
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..inputs.official_totals import OfficialTotals, match_unit_names, name_key

if TYPE_CHECKING:
    from ..inputs.population import Demand

__all__ = [
    "OfficialTotalsWarning",
    "TotalsScaling",
    "factors_for",
    "scale_to_totals",
    "totals_columns",
    "warn_totals",
]


class OfficialTotalsWarning(UserWarning):
    """Official totals that could not all be applied (unmatched names, empty units)."""


@dataclass(frozen=True)
class TotalsScaling:
    """What scaling to official totals did.

    Attributes
    ----------
    level : str
        The boundary level of the totals.
    source : str
        The totals file.
    column : str
        Its population column.
    table : pandas.DataFrame
        One row per unit of the level: ``unit``, ``population_model``,
        ``population_official`` (NaN without a row in the table) and ``factor``.
    units_unmatched : list of str
        Units of the boundaries with no row in the table (kept unscaled).
    rows_unmatched : list of str
        Names in the table that match no unit (their people are not placed).
    units_without_population : list of str
        Matched units with a positive official figure and no populated point.
    model_total : float
        People of the demand before scaling.
    official_total : float
        Sum of the official figures of the matched units.
    """

    level: str
    source: str
    column: str
    table: pd.DataFrame
    units_unmatched: list[str]
    rows_unmatched: list[str]
    units_without_population: list[str]
    model_total: float
    official_total: float

    def summary(self) -> dict[str, Any]:
        """Figures for ``summary.json``."""
        matched = self.table["population_official"].notna()
        return {
            "population_model_total": self.model_total,
            "population_official_total": self.official_total,
            "official_totals": {
                "level": self.level,
                "file": self.source,
                "column": self.column,
                "units_matched": int(matched.sum()),
                "population_model_matched": float(
                    self.table.loc[matched, "population_model"].sum()
                ),
                "units_unmatched": list(self.units_unmatched),
                "rows_unmatched": list(self.rows_unmatched),
                "units_without_population": list(self.units_without_population),
            },
        }


def factors_for(model: np.ndarray, official: np.ndarray) -> np.ndarray:
    """``official / model`` per unit; 1 where the unit has no official figure (NaN) or no
    modelled people."""
    model = np.asarray(model, dtype=float)
    official = np.asarray(official, dtype=float)
    ok = np.isfinite(official) & (model > 0)
    return np.where(ok, official / np.where(ok, model, 1.0), 1.0)


def scale_to_totals(
    demand: Demand,
    unit_index: np.ndarray,
    unit_names: Sequence[str],
    totals: OfficialTotals,
    *,
    level: str,
) -> tuple[Demand, TotalsScaling]:
    """Scale demand so each unit of a level holds its official population.

    Parameters
    ----------
    demand : Demand
        Demand points (and their grid, if any).
    unit_index : numpy.ndarray
        For each demand point, the index of the polygon of the level containing it
        (-1: none), as the unit tables assign them.
    unit_names : sequence of str
        The name of each polygon of the level (polygons sharing a name form one unit).
    totals : OfficialTotals
        From :func:`coverage.inputs.official_totals.read_official_totals`.
    level : str
        The level's name, for the result.

    Returns
    -------
    (Demand, TotalsScaling)
        The scaled demand (its grid's counts scaled alike) and what was done.

    Raises
    ------
    InputError
        If no name of the table matches a unit.
    """
    row, units_unmatched, rows_unmatched = match_unit_names(unit_names, totals)
    if not (row >= 0).any():
        raise InputError(
            f"{totals.source}: no name of the totals table (e.g. {totals.names[0]!r}) matches "
            f"a '{level}' unit of the boundaries (e.g. "
            f"{', '.join(repr(n) for n in list(dict.fromkeys(unit_names))[:3])}); spell the "
            "units as the boundaries do, or set population: totals: level"
        )
    keys = [name_key(n) for n in unit_names]
    unit_of_key = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    first: dict[int, int] = {}
    for poly, k in enumerate(keys):
        first.setdefault(unit_of_key[k], poly)
    n_units = len(unit_of_key)
    poly_unit = np.array([unit_of_key[k] for k in keys], dtype=np.int64)
    idx = np.asarray(unit_index, dtype=np.int64)
    point_unit = np.where(idx >= 0, poly_unit[np.clip(idx, 0, None)] if len(keys) else -1, -1)
    inside = point_unit >= 0
    people = demand.population.astype(np.float64)
    model = np.bincount(point_unit[inside], weights=people[inside], minlength=n_units)
    unit_row = np.array([row[first[u]] for u in range(n_units)], dtype=np.int64)
    official = np.where(unit_row >= 0, totals.population[np.clip(unit_row, 0, None)], np.nan)
    factor = factors_for(model, official)
    point_factor = np.where(inside, factor[np.clip(point_unit, 0, None)], 1.0)
    scaled = people * point_factor
    groups = {name: values * point_factor for name, values in demand.groups.items()}
    grid = demand.grid
    if grid is not None and demand.rows is not None and demand.cols is not None:
        counts = grid.counts.copy()
        counts[demand.rows, demand.cols] = scaled
        grid = dataclasses.replace(grid, counts=counts)
    names = [unit_names[first[u]] for u in range(n_units)]
    empty = [
        names[u] for u in range(n_units) if unit_row[u] >= 0 and model[u] <= 0 and official[u] > 0
    ]
    table = pd.DataFrame(
        {
            "unit": names,
            "population_model": model,
            "population_official": official,
            "factor": np.where(np.isfinite(official), factor, np.nan),
        }
    )
    scaling = TotalsScaling(
        level=level,
        source=totals.source,
        column=totals.column,
        table=table,
        units_unmatched=units_unmatched,
        rows_unmatched=rows_unmatched,
        units_without_population=empty,
        model_total=float(people.sum()),
        official_total=float(np.nansum(official)),
    )
    scaled_demand = dataclasses.replace(demand, population=scaled, groups=groups, grid=grid)
    return scaled_demand, scaling


def totals_columns(units: pd.DataFrame, scaling: TotalsScaling) -> pd.DataFrame:
    """A unit table with ``population_model`` and ``population_official`` per unit.

    Parameters
    ----------
    units : pandas.DataFrame
        A unit table of the totals level (a ``unit`` column).
    scaling : TotalsScaling

    Returns
    -------
    pandas.DataFrame
        A copy with the two columns (NaN where the unit has no official figure).
    """
    by_key = {name_key(u): i for i, u in enumerate(scaling.table["unit"])}
    pos = np.array([by_key.get(name_key(u), -1) for u in units["unit"]], dtype=np.int64)
    out = units.copy()
    for col in ("population_model", "population_official"):
        values = scaling.table[col].to_numpy(dtype=float)
        out[col] = np.where(pos >= 0, values[np.clip(pos, 0, None)], np.nan)
    return out


def warn_totals(scaling: TotalsScaling) -> None:
    """Warn about unmatched names (either way) and units without populated points.

    Warns
    -----
    OfficialTotalsWarning
        One warning per kind of problem, listing the names.
    """

    def listed(names: Sequence[str]) -> str:
        shown = ", ".join(names[:20])
        return shown + (f" and {len(names) - 20} more" if len(names) > 20 else "")

    src, level = scaling.source, scaling.level
    if scaling.units_unmatched:
        warnings.warn(
            OfficialTotalsWarning(
                f"{src}: {len(scaling.units_unmatched)} '{level}' unit(s) of the boundaries "
                f"have no row in the totals table and keep their modelled population: "
                f"{listed(scaling.units_unmatched)}; add rows with these names (as the "
                "boundaries spell them)"
            ),
            stacklevel=2,
        )
    if scaling.rows_unmatched:
        warnings.warn(
            OfficialTotalsWarning(
                f"{src}: {len(scaling.rows_unmatched)} row(s) of the totals table match no "
                f"'{level}' unit of the boundaries and are not used: "
                f"{listed(scaling.rows_unmatched)}; spell them as the boundaries do, or "
                "remove total rows such as 合计"
            ),
            stacklevel=2,
        )
    if scaling.units_without_population:
        warnings.warn(
            OfficialTotalsWarning(
                f"{src}: {len(scaling.units_without_population)} '{level}' unit(s) have an "
                "official population but no populated cell or point to place it on, so "
                f"their people are missing from the figures: "
                f"{listed(scaling.units_without_population)}; check the boundaries and the "
                "population cover the same area"
            ),
            stacklevel=2,
        )
