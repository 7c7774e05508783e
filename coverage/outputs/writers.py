"""Atomic writing of single output files: tables, JSON, GeoTIFF.

Each file is written under a temporary name and renamed into place, so no reader
sees it half-written. A whole output folder is published as one step by
:func:`coverage.outputs.folder.publish_folder`.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from pyproj import CRS

from ..threads import thread_count

__all__ = [
    "atomic_path",
    "defuse_text",
    "safe_table",
    "write_csv",
    "write_geotiff",
    "write_json",
]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    Parameters
    ----------
    path : path-like
        The final file.

    Yields
    ------
    pathlib.Path
        Where to write; removed if the block raises.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600 files; honour the umask
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def geojson_text(frame: Any) -> str:
    """A GeoDataFrame as GeoJSON FeatureCollection text, its geometries written by GEOS.

    The features of ``frame.__geo_interface__`` for plain values (missing ones as
    null; no bounding boxes; ``id`` the index), without building every coordinate as
    a Python tuple first: a gap layer traced from a raster has a hundred thousand
    vertices. Coordinates are written as they are (lon/lat for a file: transform first).
    """
    import shapely

    values = frame.geometry.to_numpy()
    geometries = np.where(shapely.is_missing(values), "null", shapely.to_geojson(values))
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name)).replace([np.inf, -np.inf], np.nan)
    properties = table.astype(object).where(table.notna(), None).to_dict("records")
    features = ",".join(
        f'{{"id":{json.dumps(str(i), ensure_ascii=False)},"type":"Feature","properties":'
        f'{json.dumps(p, ensure_ascii=False, default=_default, allow_nan=False)},"geometry":{g}}}'
        for i, p, g in zip(frame.index, properties, geometries, strict=True)
    )
    return f'{{"type":"FeatureCollection","features":[{features}]}}'


def feature_collection(frame: Any) -> dict:
    """:func:`geojson_text` as a dict (for folium layers).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> frame = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(1.5, 2)])
    >>> feature = feature_collection(frame)["features"][0]
    >>> feature["id"], feature["properties"], feature["geometry"]["coordinates"]
    ('0', {'n': 1}, [1.5, 2.0])
    """
    return json.loads(geojson_text(frame))


def write_geojson(frame: Any, path: str | os.PathLike[str]) -> Path:
    """Write a GeoDataFrame as GeoJSON in WGS84 lon/lat (RFC 7946), atomically.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Any CRS; transformed to EPSG:4326.
    path : path-like
        The file.

    Returns
    -------
    pathlib.Path
    """
    with atomic_path(path) as tmp:
        tmp.write_text(geojson_text(frame.to_crs("EPSG:4326")) + "\n", encoding="utf-8")
    return Path(path)


def write_json(data: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` as indented UTF-8 JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(
            json.dumps(data, indent=2, ensure_ascii=False, default=_default, allow_nan=False)
            + "\n",
            encoding="utf-8",
        )
    return Path(path)


#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text.lower().lstrip("+-") not in ("inf", "infinity", "nan")


def defuse_text(value: object) -> object:
    """A text cell a spreadsheet takes as text: ``'`` before a formula start.

    Text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
    a leading apostrophe (the OWASP rule for CSV injection), unless it is a plain
    number such as ``-12.5``; anything that is not a string is returned as is.

    Examples
    --------
    >>> defuse_text("=1+2"), defuse_text("-12.5"), defuse_text(-3)
    ("'=1+2", '-12.5', -3)
    >>> defuse_text("@SUM(A1)"), defuse_text("+86 10 1234"), defuse_text("Moroni")
    ("'@SUM(A1)", "'+86 10 1234", 'Moroni')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


def safe_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell passed through :func:`defuse_text`.

    Numeric, boolean and datetime columns are left untouched (numbers stay numbers);
    in text columns only strings change. The column names are defused too.
    """
    out = frame.copy(deep=False)
    for i in range(frame.shape[1]):
        values = frame.iloc[:, i]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            cells = [defuse_text(v) for v in values]  # a list: no dtype inferred again
            out.isetitem(i, pd.Series(cells, index=values.index, dtype=values.dtype))
    out.columns = [defuse_text(c) for c in frame.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table as UTF-8 CSV with a byte-order mark (so Excel shows Chinese text).

    Every text cell that a spreadsheet would take as a formula is written as text
    (see :func:`defuse_text`); numbers are written as numbers.
    """
    with atomic_path(path) as tmp:
        safe_table(frame).to_csv(tmp, index=False, encoding="utf-8-sig")
    return Path(path)


def write_geotiff(
    array: np.ndarray,
    transform: Affine,
    crs: CRS,
    path: str | os.PathLike[str],
    *,
    nodata: float = -9999.0,
) -> Path:
    """Write a 2-D float array as a compressed single-band GeoTIFF; NaN becomes nodata."""
    data = np.where(np.isfinite(array), array, nodata).astype(np.float32)
    with atomic_path(path) as tmp:
        with rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            height=data.shape[0],
            width=data.shape[1],
            count=1,
            dtype="float32",
            crs=crs.to_wkt(),
            transform=transform,
            nodata=nodata,
            compress="deflate",
            # tiles compressed on every core; one where the cores are shared, and in a
            # forked child (GDAL's pool, started by the parent, has no threads there)
            num_threads="ALL_CPUS" if thread_count() > 1 else 1,
            tiled=data.shape[0] >= 256 and data.shape[1] >= 256,
        ) as dst:
            dst.write(data, 1)
    return Path(path)
