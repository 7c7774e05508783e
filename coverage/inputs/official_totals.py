"""Official population per unit (e.g. the 2020 census, 第七次人口普查 常住人口 by township).

A county reports against its census figures, which a modelled raster (WorldPop) does
not match. :func:`read_official_totals` reads the table (CSV in any Chinese encoding
or ``.xlsx``): one row per unit, a name column and a population column.
:func:`match_unit_names` pairs its names with the boundary units' names (after
Unicode NFKC normalisation, trimming and case folding: full-width letters and digits
match their half-width forms; nothing else is guessed).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = [
    "UNIT_COLUMNS",
    "OfficialTotals",
    "match_unit_names",
    "name_key",
    "read_official_totals",
]

#: Headers recognised as the unit name column when ``unit_column`` is not given.
UNIT_COLUMNS = (
    "unit", "name", "单元", "名称", "乡镇", "乡镇（街道）", "乡镇(街道)", "乡镇街道", "街道",
    "乡镇名称", "行政区", "行政区划", "地区", "村", "行政村", "村名", "社区",
)  # fmt: skip


@dataclass(frozen=True)
class OfficialTotals:
    """Official population per unit name, as read.

    Attributes
    ----------
    names : tuple of str
        Unit names as written in the table.
    population : numpy.ndarray
        Official population of each.
    rows : tuple of int
        File row of each (1-based, as a spreadsheet shows it).
    source : str
        The file.
    column : str
        The population column.
    """

    names: tuple[str, ...]
    population: np.ndarray
    rows: tuple[int, ...]
    source: str
    column: str

    @property
    def total(self) -> float:
        """The sum of the official figures."""
        return float(self.population.sum(dtype=np.float64))


def name_key(name: object) -> str:
    """The form in which two unit names are compared (NFKC, trimmed, case-folded)."""
    return unicodedata.normalize("NFKC", str(name)).strip().casefold()


def read_official_totals(
    path: str | os.PathLike[str],
    *,
    column: str,
    unit_column: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
) -> OfficialTotals:
    """Read a table of official population per unit.

    Parameters
    ----------
    path : path-like
        CSV or ``.xlsx``; a title row above the header is skipped.
    column : str
        Header of the population column (e.g. ``常住人口``).
    unit_column : str, optional
        Header of the unit name column; default the first of :data:`UNIT_COLUMNS`.
    sheet, encoding
        As in :func:`coverage.inputs.tables.read_table`.

    Returns
    -------
    OfficialTotals

    Raises
    ------
    InputError
        If the file is missing or unreadable, a column is missing, a figure is not a
        non-negative number, a name is empty, or a name appears twice (one line naming
        the file, row and column, and the fix).
    """
    import pandas as pd

    from .tables import find_column, read_table

    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{path}: official totals table not found; check the 'population' totals file"
        )
    units = [unit_column] if unit_column else list(UNIT_COLUMNS)
    table = read_table(
        path, encoding=encoding, sheet=sheet, required=[[column], units], what="totals table"
    )
    header = int(table.attrs.get("header_row", 1))
    rows = table.attrs.get("file_rows") or [header + 1 + i for i in range(len(table))]
    columns = list(table.columns)
    value_col = find_column(columns, [column])
    name_col = find_column(columns, units)
    if value_col is None or name_col is None:
        what = f"column {column!r}" if value_col is None else "unit name column"
        fix = (
            "set population: totals: column"
            if value_col is None
            else "name it with population: totals: unit_column"
        )
        raise InputError(f"{path}: no {what} (columns are {', '.join(map(str, columns))}); {fix}")
    names = table[name_col].astype(str).str.strip()
    text = table[value_col].astype(str).str.strip().str.replace(",", "", regex=False)
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    keep = ~((names == "") & (text == "")).to_numpy()  # blank rows (e.g. under the table)
    for i in np.flatnonzero(keep):
        if names.iloc[i] == "":
            raise InputError(
                f"{path}: row {rows[i]}: column '{name_col}' (unit name) is empty; "
                "fill it in or remove the row"
            )
        if not (np.isfinite(values[i]) and values[i] >= 0):
            raise InputError(
                f"{path}: row {rows[i]}: column '{value_col}' is {text.iloc[i]!r}, not a "
                "non-negative number of people; fix it or remove the row"
            )
    seen: dict[str, int] = {}
    for i in np.flatnonzero(keep):
        key = name_key(names.iloc[i])
        if key in seen:
            raise InputError(
                f"{path}: rows {seen[key]} and {rows[i]} both give unit "
                f"{names.iloc[i]!r}; keep one row per unit"
            )
        seen[key] = rows[i]
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        raise InputError(f"{path}: the totals table has no rows; add one row per unit")
    return OfficialTotals(
        names=tuple(names.iloc[idx]),
        population=values[idx],
        rows=tuple(int(rows[i]) for i in idx),
        source=str(path),
        column=str(value_col),
    )


def match_unit_names(
    units: Sequence[str], totals: OfficialTotals
) -> tuple[np.ndarray, list[str], list[str]]:
    """Pair boundary unit names with the table's rows.

    Parameters
    ----------
    units : sequence of str
        The unit names of the boundary level (a name may repeat: its polygons form one
        unit).
    totals : OfficialTotals

    Returns
    -------
    tuple
        ``(row, units_unmatched, rows_unmatched)``: for each unit the index of its row
        in ``totals`` (-1 when none), the unit names with no row, and the table's names
        that match no unit.
    """
    by_key = {name_key(n): i for i, n in enumerate(totals.names)}
    row = np.array([by_key.get(name_key(u), -1) for u in units], dtype=np.int64)
    unit_keys = {name_key(u) for u in units}
    units_unmatched = list(dict.fromkeys(str(u) for u, r in zip(units, row, strict=True) if r < 0))
    rows_unmatched = [n for n in totals.names if name_key(n) not in unit_keys]
    return row, units_unmatched, rows_unmatched
