"""The on-disk graph cache: hits skip parsing, changed inputs miss, writes are atomic."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.synthetic import grid_ways, lattice_lonlat, write_osm_xml

import coverage.inputs.network as network_module
from coverage.inputs.network import load_network, load_networks
from coverage.inputs.network_cache import default_cache_dir


def _write(path, highway="residential"):
    lon, lat = lattice_lonlat(4, 150.0)
    ways = grid_ways(4)
    return write_osm_xml(path, lon, lat, ways, [{"highway": highway}] * len(ways))


def _count_parses(monkeypatch):
    calls = []
    real = network_module.read_osm_ways

    def counting(path, **kwargs):
        calls.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(network_module, "read_osm_ways", counting)
    return calls


def _same(a, b):
    for name in ("node_ids", "x", "y", "edge_u", "edge_v", "edge_length_m", "edge_seconds"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.edge_highway, b.edge_highway)
    assert a.crs == b.crs and a.mode == b.mode


def test_rerun_reads_the_cache_without_parsing(tmp_path, monkeypatch):
    osm = _write(tmp_path / "a.osm")
    cache = tmp_path / "cache"
    calls = _count_parses(monkeypatch)
    first = load_networks(osm, modes=["walk", "drive"], cache_dir=cache)
    assert len(calls) == 1  # both modes from one parse
    entries = sorted(p.name for p in cache.iterdir())
    assert len(entries) == 2 and all(e.endswith(".npz") for e in entries)
    again = load_networks(osm, modes=["walk", "drive"], cache_dir=cache)
    assert len(calls) == 1
    for mode in ("walk", "drive"):
        _same(first[mode], again[mode])
    # no pickle inside: every array loads with allow_pickle=False
    for entry in cache.iterdir():
        with np.load(entry, allow_pickle=False) as data:
            assert all(data[k].dtype != object for k in data.files)
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]


def test_changed_inputs_invalidate(tmp_path, monkeypatch):
    osm = _write(tmp_path / "a.osm")
    cache = tmp_path / "cache"
    calls = _count_parses(monkeypatch)
    base = load_network(osm, cache_dir=cache)
    load_network(osm, cache_dir=cache, speeds_kmh={"residential": 4.0})  # other table
    load_network(osm, cache_dir=cache, mode="bike")  # other mode
    assert len(calls) == 3
    _write(osm, highway="tertiary")  # same name, new content
    changed = load_network(osm, cache_dir=cache)
    assert len(calls) == 4
    assert set(changed.edge_highway) == {"tertiary"} and set(base.edge_highway) == {"residential"}
    # a renamed copy of the same content hits the cache
    copy = tmp_path / "b.osm"
    copy.write_bytes(osm.read_bytes())
    hit = load_network(copy, cache_dir=cache)
    assert len(calls) == 4 and hit.source == str(copy)


def test_damaged_entry_is_rebuilt(tmp_path, monkeypatch):
    osm = _write(tmp_path / "a.osm")
    cache = tmp_path / "cache"
    load_network(osm, cache_dir=cache)
    (entry,) = cache.iterdir()
    entry.write_bytes(b"not a zip file")
    calls = _count_parses(monkeypatch)
    net = load_network(osm, cache_dir=cache)
    assert len(calls) == 1 and net.n_nodes == 16


def test_read_only_cache_does_not_fail_the_run(tmp_path):
    osm = _write(tmp_path / "a.osm")
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    net = load_network(osm, cache_dir=blocker / "cache")
    assert net.n_nodes == 16


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("COVERAGE15_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("COVERAGE15_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if not default_cache_dir().is_relative_to(tmp_path):
        pytest.skip("platform without XDG cache folders")
    assert default_cache_dir() == tmp_path / "xdg" / "coverage15"


def test_road_classes_read_back_from_their_codes(tmp_path):
    import dataclasses

    from coverage.inputs.network_cache import read_cached, write_cached

    net = load_network(_write(tmp_path / "a.osm"))
    mixed = np.where(np.arange(net.n_edges) % 3 == 0, "footway", "residential").astype(object)
    mixed[5] = "steps"
    net = dataclasses.replace(net, edge_highway=mixed)
    write_cached(tmp_path / "cache", "k", net)
    with np.load(tmp_path / "cache" / "network-k.npz") as data:
        assert data["edge_highway_codes"].dtype == np.int32  # not a string per edge
        assert sorted(data["edge_highway_classes"].tolist()) == ["footway", "residential", "steps"]
    back = read_cached(tmp_path / "cache", "k")
    assert back is not None and back.edge_highway.dtype == object
    assert back.edge_highway.tolist() == mixed.tolist()
    _same(back, net)
