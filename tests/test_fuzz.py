"""Fuzzing the readers: whatever the bytes, the only exception is the package's InputError.

`make test` tries a bounded number of inputs per reader; `make fuzz` many more
(HYPOTHESIS_PROFILE=fuzz).
"""

from __future__ import annotations

import tempfile
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from hypothesis import given
from hypothesis import strategies as st

from coverage.config import load_config
from coverage.errors import InputError
from coverage.inputs.population import read_population
from coverage.inputs.stations import read_stations
from coverage.inputs.tables import TableWarning
from coverage.inputs.tiers import UnknownTierWarning

HEADER = st.sampled_from(
    ["id,name,tier,lon,lat", "lon,lat", "经度,纬度,名称", "x;y", "id,lon,lat,lon", ""]
)
CONTROL = st.characters(codec="utf-8", categories=["Cc"])
CELL = st.one_of(
    st.text(max_size=12),
    st.text(st.one_of(CONTROL, st.sampled_from("ab站")), max_size=8),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**9), 10**9).map(str),
    st.sampled_from(["", "NaN", "inf", "1e400", "118.9", "28.1", '"', "\ufeff", "\x00"]),
)
ROWS = st.lists(st.lists(CELL, min_size=0, max_size=6), max_size=6)


def _accepts_or_input_error(call):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TableWarning)
            warnings.simplefilter("ignore", UnknownTierWarning)
            return call()
    except InputError as exc:
        assert "\n" not in str(exc).strip()
        return None


@given(HEADER, ROWS)
def test_station_csv_reader(header, rows):
    text = header + "\n" + "\n".join(",".join(r) for r in rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stations.csv"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _accepts_or_input_error(lambda: read_stations(path))


@given(st.lists(st.text(st.one_of(CONTROL, st.sampled_from("a站 ")), max_size=6), max_size=4))
def test_station_names_never_keep_control_characters(names):
    rows = [f"{i},{name},119.{i},28.1" for i, name in enumerate(names)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stations.csv"
        path.write_text("id,name,lon,lat\n" + "\n".join(rows), encoding="utf-8")
        read = _accepts_or_input_error(lambda: read_stations(path))
        if read is not None:
            text = "".join(read["id"].astype(str)) + "".join(read["name"].astype(str))
            assert not [ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t"]


@given(st.binary(max_size=400))
def test_station_csv_reader_on_bytes(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stations.csv"
        path.write_bytes(data)
        _accepts_or_input_error(lambda: read_stations(path))


@given(st.binary(max_size=300), st.sampled_from([".geojson", ".gpkg"]))
def test_station_vector_reader_on_bytes(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"stations{suffix}"
        path.write_bytes(data)
        _accepts_or_input_error(lambda: read_stations(path))


YAML_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
KEYS = st.sampled_from(
    ["name", "stations", "population", "network", "minutes", "mode", "speed_kmh",
     "stations_crs", "boundaries", "max_access_m", "metric_crs", "out", "unknown"]
)  # fmt: skip


@given(st.dictionaries(KEYS, YAML_VALUES, max_size=8))
def test_config_reader_on_structures(data):
    import yaml

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        _accepts_or_input_error(lambda: load_config(path))


NUMERIC_KEYS = st.sampled_from(
    ["minutes", "speed_kmh", "access_speed_kmh", "max_access_m", "isochrone_cell_m",
     "unit_covered_share", "gap_min_population"]
)  # fmt: skip
NON_FINITE = st.one_of(
    st.sampled_from([".inf", "-.inf", ".nan", ".NaN", "1e400", "-1e400", "1e9", "1E-9", "0"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@given(NUMERIC_KEYS, NON_FINITE)
def test_numeric_keys_on_non_finite_and_extreme_numbers(key, written):
    base = "stations: s.csv\npopulation: p.tif\nnetwork: n.osm.pbf\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.yaml"
        path.write_text(f"{base}{key}: {written}\n", encoding="utf-8")
        config = _accepts_or_input_error(lambda: load_config(path))
        if config is not None:
            value = getattr(config, key)
            values = value if isinstance(value, tuple) else (value,)
            assert all(np.isfinite(v) for v in values), (key, written, value)
        else:
            with pytest.raises(InputError, match=f"'{key}'"):
                load_config(path)


@given(st.text(max_size=200))
def test_config_reader_on_text(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _accepts_or_input_error(lambda: load_config(path))


def _valid_tiff(path: Path) -> bytes:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=3,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=rasterio.Affine(0.01, 0, 118, 0, -0.01, 28),
        nodata=-1,
    ) as dst:
        dst.write(np.arange(12, dtype="float32").reshape(3, 4), 1)
    return path.read_bytes()


@given(st.data())
def test_raster_reader_on_damaged_files(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.tif"
        good = bytearray(_valid_tiff(path))
        flips = data.draw(
            st.lists(st.tuples(st.integers(0, len(good) - 1), st.integers(0, 255)), max_size=8)
        )
        for pos, value in flips:
            good[pos] = value
        cut = data.draw(st.integers(0, len(good)))
        path.write_bytes(bytes(good[:cut]))
        _accepts_or_input_error(lambda: read_population(path))


VALUE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from([np.inf, -np.inf, np.nan, -1.0, 0.0, 3.5, 1e7]),
)


@given(
    st.lists(VALUE, min_size=12, max_size=12),
    st.integers(1, 3),
    st.one_of(st.none(), st.integers(1, 4)),
    st.one_of(st.none(), st.tuples(*[st.floats(-1, 1)] * 2, *[st.floats(0, 0.05)] * 2)),
)
def test_raster_reader_on_non_finite_cells(values, count, band, window):
    """Any cell values (NaN, +-inf, negative, huge), bands and window: the reader returns
    finite non-negative people on valid cells, or one line naming the file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.tif"
        with rasterio.open(
            path, "w", driver="GTiff", width=4, height=3, count=count, dtype="float32",
            crs="EPSG:4326", transform=rasterio.Affine(0.01, 0, 118, 0, -0.01, 28), nodata=-1,
        ) as dst:  # fmt: skip
            for b in range(1, count + 1):
                dst.write(np.array(values, dtype="float32").reshape(3, 4), b)
        bounds = None
        if window is not None:
            dx, dy, w, h = window
            bounds = (118.02 + dx * 0.03, 27.985 + dy * 0.03, 118.02 + dx * 0.03 + w,
                      27.985 + dy * 0.03 + h)  # fmt: skip
        try:
            grid = read_population(path, band=band, bounds=bounds, bounds_crs="EPSG:4326")
        except InputError as exc:
            assert "\n" not in str(exc).strip()
            assert str(exc).startswith(str(path))
            return
        assert np.isfinite(grid.counts).all() and (grid.counts >= 0).all()
        assert (grid.counts[~grid.valid] == 0).all()
        assert np.isfinite(grid.total)


@given(ROWS)
def test_official_totals_reader(rows):
    """Any cells (NaN, inf, 1e400, text, control characters): totals or one line."""
    from coverage.inputs.official_totals import read_official_totals

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "totals.csv"
        lines = ["乡镇,常住人口", *(",".join(r) for r in rows)]
        path.write_text("\n".join(lines), encoding="utf-8")
        try:
            got = read_official_totals(path, column="常住人口")
        except InputError as exc:
            assert "\n" not in str(exc).strip()
            return
        assert np.isfinite(got.population).all() and (got.population >= 0).all()
        assert len(set(got.names)) == len(got.names)
