"""Villages under their township: a unit table with a subtotal row after each group.

A lower level's unit table carries its parent unit in a column named after the level
above (``township``; see :mod:`coverage.inputs.unit_parents`), with its rows already
grouped. For the report and the workbook each group is closed by a subtotal row:
residents, residents covered and unreachable residents summed, the coverage share
recomputed from the sums, and the mean minutes weighted by the residents who reach a
station; figures that do not add up (90th percentiles, nearest station, covered) are
left blank. ``attrs["subtotal_rows"]`` marks the subtotal rows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = ["SUMMED", "with_subtotals"]

#: Columns a subtotal adds up.
SUMMED = ("population", "population_covered", "unreachable_population")


def _subtotal(group: pd.DataFrame, parent: str, name: str, text: str) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(group.columns, np.nan)
    row["unit"], row[parent] = text, name
    for col in SUMMED:
        if col in group:
            row[col] = float(pd.to_numeric(group[col], errors="coerce").sum())
    if {"population", "population_covered", "coverage_share"} <= set(group.columns):
        people = float(row["population"])  # type: ignore[arg-type]
        row["coverage_share"] = float(row["population_covered"]) / people if people else np.nan  # type: ignore[arg-type]
    if {"mean_minutes", "population", "unreachable_population"} <= set(group.columns):
        reach = (group["population"] - group["unreachable_population"]).to_numpy(dtype=float)
        minutes = group["mean_minutes"].to_numpy(dtype=float)
        ok = np.isfinite(minutes) & (reach > 0)
        row["mean_minutes"] = (
            float(np.average(minutes[ok], weights=reach[ok])) if ok.any() else np.nan
        )
    return row


def with_subtotals(table: pd.DataFrame, parent: str, label: Callable[[str], str]) -> pd.DataFrame:
    """The unit table with a subtotal row closing each parent's group.

    Parameters
    ----------
    table : pandas.DataFrame
        Unit figures with ``unit`` and the ``parent`` column, grouped by parent.
    parent : str
        The parent column (the name of the level above, e.g. ``"township"``).
    label : callable
        Parent name -> the text of its subtotal row's ``unit`` cell.

    Returns
    -------
    pandas.DataFrame
        The rows in order, subtotals included (units without a parent come last,
        without a subtotal); ``attrs["subtotal_rows"]``: a list of bool per row.

    Examples
    --------
    >>> t = pd.DataFrame({"unit": ["a", "b", "c"], "township": ["T", "T", "U"],
    ...                   "population": [100.0, 300.0, 50.0],
    ...                   "population_covered": [100.0, 150.0, 0.0],
    ...                   "coverage_share": [1.0, 0.5, 0.0]})
    >>> out = with_subtotals(t, "township", lambda name: f"Subtotal {name}")
    >>> out[["unit", "population", "coverage_share"]].values.tolist()[2]
    ['Subtotal T', 400.0, 0.625]
    >>> out.attrs["subtotal_rows"]
    [False, False, True, False, True]
    """
    rows: list[dict[str, object]] = []
    marks: list[bool] = []
    names = table[parent].astype("string")
    for name in pd.unique(names.dropna()):
        group = table[(names == name).fillna(False).to_numpy()]
        rows += group.to_dict("records")
        marks += [False] * len(group)
        rows.append(_subtotal(group, parent, str(name), label(str(name))))
        marks.append(True)
    orphans = table[names.isna().to_numpy()]
    rows += orphans.to_dict("records")
    marks += [False] * len(orphans)
    out = pd.DataFrame(rows, columns=table.columns)
    for col in table.columns:  # keep numbers numeric and flags as flags
        if pd.api.types.is_numeric_dtype(table[col].dtype) and not pd.api.types.is_bool_dtype(
            table[col].dtype
        ):
            out[col] = pd.to_numeric(out[col], errors="coerce")
    out.attrs = {**table.attrs, "subtotal_rows": marks}
    return out
