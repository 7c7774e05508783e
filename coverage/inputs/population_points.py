"""Demand points from a table of places with populations (e.g. villages)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from pyproj import CRS

from ..errors import InputError
from .demand import Demand

__all__ = ["POINT_COLUMNS", "read_population_points"]


#: Columns of a population table and the headers recognised for each.
POINT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "name": ("name", "名称", "村名", "村庄", "村", "行政村", "社区", "地名", "village"),
    "lon": ("lon", "lng", "long", "longitude", "x", "经度"),
    "lat": ("lat", "latitude", "y", "纬度"),
    "population": ("population", "pop", "人口", "人口数", "常住人口", "户籍人口", "总人口"),
}


def read_population_points(
    path: str | os.PathLike[str],
    *,
    crs: str | CRS = "EPSG:4326",
    columns: Mapping[str, str] | None = None,
    groups: Mapping[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    outside_china: str = "keep",
) -> Demand:
    """Demand points from a table of places with populations (e.g. villages).

    Parameters
    ----------
    path : path-like
        CSV (any Chinese encoding, detected) or ``.xlsx`` with a name, longitude,
        latitude and population column (:data:`POINT_COLUMNS`, or ``columns``).
    crs : str or pyproj.CRS
        CRS of the coordinates, including ``"GCJ-02"`` and ``"BD-09"``.
    columns : mapping, optional
        ``{standard name: header in the file}``.
    groups : mapping, optional
        ``{group: header}`` of columns counting a population group (e.g. people 65+).
    encoding, sheet
        As in :func:`coverage.inputs.tables.read_table`.
    outside_china : {"keep", "shift"}
        GCJ-02/BD-09 handling of points outside China.

    Returns
    -------
    Demand
        Points in WGS84 with ``labels`` (the names) and ``groups``.

    Raises
    ------
    InputError
        Naming the file row of an empty, non-numeric or negative value, or a missing
        column.
    """
    from .crs import WGS84, to_wgs84
    from .tables import (
        find_column,
        find_columns,
        read_table,
        rename_columns,
        strip_control_characters,
    )

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: population table not found; check the 'population' path")
    required = [
        [columns[k]] if columns and k in columns else POINT_COLUMNS[k]
        for k in ("lon", "lat", "population")
    ]
    table = read_table(path, encoding=encoding, sheet=sheet, required=required,
                       what="population table")  # fmt: skip
    rows = table.attrs.get("file_rows") or [i + 2 for i in range(len(table))]
    table = rename_columns(table, columns, source=str(path))
    table = strip_control_characters(table, source=str(path))
    if table.empty:
        raise InputError(f"{path}: the population table has no rows; add one row per place")
    found = find_columns(
        list(table.columns),
        POINT_COLUMNS,
        source=str(path),
        exclusive=("lon", "lat", "population"),
        mapping="population: columns",
        chosen=list(columns or {}),
    )
    missing = [k for k in ("lon", "lat", "population") if found[k] is None]
    if missing:
        raise InputError(
            f"{path}: no {', '.join(missing)} column (columns are "
            f"{', '.join(map(str, table.columns))}); name them lon, lat, population (or 经度, "
            "纬度, 人口) or map them with population: {columns: {...}}"
        )

    def numbers(col: str, what: str, *, nonnegative: bool) -> np.ndarray:
        import pandas as pd

        text = table[col].astype(str).str.strip().str.replace(",", "", regex=False)
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | ((values < 0) if nonnegative else False)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{path}: row {rows[i]}: column '{col}' ({what}) is {text.iloc[i]!r}, not a "
                f"{'non-negative ' if nonnegative else ''}number; fix it or remove the row"
            )
        return values

    lon = numbers(str(found["lon"]), "longitude", nonnegative=False)
    lat = numbers(str(found["lat"]), "latitude", nonnegative=False)
    population = numbers(str(found["population"]), "population", nonnegative=True)
    group_values = {}
    for group, header in (groups or {}).items():
        col = find_column(list(table.columns), [header])
        if col is None:
            raise InputError(
                f"{path}: no column {header!r} for population group '{group}' (columns are "
                f"{', '.join(map(str, table.columns))}); fix population: groups"
            )
        group_values[group] = numbers(col, f"group {group}", nonnegative=True)
    if (np.abs(lat) > 90).any() or (np.abs(lon) > 180).any():
        raise InputError(
            f"{path}: coordinates such as {lon[0]:g}, {lat[0]:g} are not degrees (or longitude "
            "and latitude are swapped); fix the columns or set the table's crs"
        )
    x, y = to_wgs84(lon, lat, crs, outside_china=outside_china)
    labels = (
        table[found["name"]].astype(str).to_numpy()
        if found["name"]
        else np.array([str(r) for r in rows])
    )
    return Demand(
        x=x,
        y=y,
        population=population,
        crs=WGS84,
        groups=group_values,
        labels=labels,
        source=str(path),
    )
