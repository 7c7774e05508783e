"""When the data of an input file is from: what the report's sources table shows.

The date of the data, not of the copy on disk: an OpenStreetMap extract carries its
replication timestamp in the file header (else its newest object is the date); a
raster may say in its metadata (``TIFFTAG_DATETIME``, a ``year`` or ``date`` tag) or
in its name (``chn_ppp_2020.tif``); anything else falls back to the file's
modification date, marked as such.

Finding the newest object means reading every object of the file (a PBF's blocks
are decoded into arrays, :mod:`coverage.inputs.osm_blocks`: 0.1 s for the 540,000
nodes of Comoros; XML an element at a time); with a cache folder the answer is
kept under the file's content hash (``osm-date-<sha256>.json``), so a re-run
reads it back. An output folder dates
every input once (:func:`input_dates`, written to ``summary.json`` as
``input_dates`` and shown in the report's sources table).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DataDate", "data_date", "input_dates", "input_files"]

#: Largest OSM file whose objects are scanned for the newest timestamp when its header
#: has none (a few seconds per 10 MB).
MAX_SCAN_BYTES = 200 * 1024 * 1024

_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20[0-9]\d)(?!\d)")
_RASTERS = (".tif", ".tiff", ".vrt", ".img", ".nc", ".asc")
_OSM = (".pbf", ".osm", ".o5m", ".bz2")


@dataclass(frozen=True)
class DataDate:
    """The date of an input's data and where it was read.

    Attributes
    ----------
    date : str
        ``YYYY-MM-DD`` (or ``YYYY`` from a file name); ``""`` when unknown.
    basis : str
        ``osm_replication`` (the PBF header's replication timestamp), ``osm_header``
        (the header's timestamp), ``osm_newest`` (the newest object), ``metadata`` (the
        raster's tags), ``name`` (a year in the file name), ``file`` (the file's
        modification date) or ``missing``.
    """

    date: str
    basis: str


def _osm_date(path: Path, cache_dir: str | os.PathLike[str] | None) -> DataDate | None:
    import osmium

    reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
    try:
        header = reader.header()
        for key, basis in (
            ("osmosis_replication_timestamp", "osm_replication"),
            ("timestamp", "osm_header"),
        ):
            text = header.get(key, "")
            if text:
                return DataDate(text[:10], basis)
    finally:
        reader.close()
    if path.stat().st_size > MAX_SCAN_BYTES:
        return None
    if cache_dir is None:
        return _newest_object(path)
    from ..paths import file_hash

    entry = Path(cache_dir) / f"osm-date-{file_hash(path)}.json"
    try:
        known = json.loads(entry.read_text(encoding="utf-8"))
        return DataDate(str(known["date"]), "osm_newest") if known["date"] else None
    except (OSError, ValueError, KeyError, TypeError):
        pass  # not dated yet, or a damaged entry: scanned again
    found = _newest_object(path)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"date": found.date if found else None}), encoding="utf-8")
        os.replace(tmp, entry)
    except OSError:
        pass  # a read-only cache only costs the scan next time
    return found


def _newest_object(path: Path) -> DataDate | None:
    from .osm_blocks import UnknownFeature, decoder_available, newest_timestamp

    if path.name.lower().endswith(".pbf") and decoder_available(path):
        try:  # array maxima per block, not an object at a time
            found = newest_timestamp(path)
        except UnknownFeature:  # a header feature only osmium knows
            pass
        else:
            return None if found is None else DataDate(found.strftime("%Y-%m-%d"), "osm_newest")
    import osmium

    newest: dt.datetime | None = None
    wanted = osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION
    for obj in osmium.FileProcessor(str(path), wanted):
        stamp: dt.datetime | None = obj.timestamp  # type: ignore[union-attr]
        if stamp is not None and stamp.year > 1970 and (newest is None or stamp > newest):
            newest = stamp
    return None if newest is None else DataDate(newest.strftime("%Y-%m-%d"), "osm_newest")


def _raster_date(path: Path) -> DataDate | None:
    import rasterio

    with rasterio.open(path) as src:
        tags = {k.lower(): v for k, v in src.tags().items()}
    stamp = tags.get("tifftag_datetime", "")  # "YYYY:MM:DD HH:MM:SS"
    if re.match(r"\d{4}:\d{2}:\d{2}", stamp):
        return DataDate(stamp[:10].replace(":", "-"), "metadata")
    for key in ("date", "year", "time_coverage_start", "acquisition_date"):
        match = _YEAR.search(tags.get(key, ""))
        if match:
            value = tags[key].strip()
            iso = re.match(r"\d{4}-\d{2}-\d{2}", value)
            return DataDate(iso.group(0) if iso else match.group(0), "metadata")
    return None


def data_date(
    path: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None
) -> DataDate:
    """The date of the data in ``path``, and where it was found.

    Parameters
    ----------
    path : path-like
        An input file of a run.
    cache_dir : path-like, optional
        Where the newest-object date of an OSM file without a header date is kept
        (the run's cache folder); None: the file is scanned every time.

    Returns
    -------
    DataDate
        ``basis="missing"`` when the file does not exist.

    Examples
    --------
    >>> data_date("no/such/chn_ppp_2020.tif")
    DataDate(date='', basis='missing')
    """
    p = Path(path)
    if not p.is_file():
        return DataDate("", "missing")
    name = p.name.lower()
    found: DataDate | None = None
    try:
        if name.endswith(_OSM):
            found = _osm_date(p, cache_dir)
        elif name.endswith(_RASTERS):
            found = _raster_date(p)
    except Exception:  # osmium and GDAL raise their own errors; the date is a courtesy
        found = None
    if found is None:
        match = _YEAR.search(p.stem)
        if match and not name.endswith(_OSM):
            found = DataDate(match.group(0), "name")
    if found is None:
        mtime = dt.datetime.fromtimestamp(p.stat().st_mtime, tz=dt.timezone.utc)
        found = DataDate(mtime.strftime("%Y-%m-%d"), "file")
    return found


def input_files(inputs: Mapping[str, object]) -> list[tuple[str, str]]:
    """(kind, path) of every file of a summary's ``inputs``, mappings flattened.

    Examples
    --------
    >>> input_files({"network": "a.pbf", "boundaries": {"township": "t.gpkg"}, "dem": None})
    [('network', 'a.pbf'), ('boundaries/township', 't.gpkg')]
    """
    return [pair for kind, value in inputs.items() for pair in _flatten(str(kind), value)]


def _flatten(kind: str, value: object) -> list[tuple[str, str]]:
    if value is None or value == "":
        return []
    if isinstance(value, Mapping):
        out = []
        for key, item in value.items():
            out += _flatten(f"{kind}/{key}", item)
        return out
    if isinstance(value, (list, tuple)):
        return [pair for item in value for pair in _flatten(kind, item)]
    return [(kind, str(value))]


def input_dates(
    inputs: Mapping[str, object], *, cache_dir: str | os.PathLike[str] | None = None
) -> dict[str, list[str]]:
    """The data date of every input file: path -> ``[date, basis]`` (as :class:`DataDate`).

    Parameters
    ----------
    inputs : mapping
        A summary's ``inputs`` (paths, or mappings of paths).
    cache_dir : path-like, optional
        As for :func:`data_date`.

    Returns
    -------
    dict
    """
    out: dict[str, list[str]] = {}
    for _, path in input_files(inputs):
        if path not in out:
            found = data_date(path, cache_dir=cache_dir)
            out[path] = [found.date, found.basis]
    return out
