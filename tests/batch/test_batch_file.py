"""Batch files: layering of defaults, region files and inline keys; one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage.batch import batch_from_dict, load_batch
from coverage.errors import ConfigError


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_layers_and_relative_paths(tmp_path):
    _write(
        tmp_path / "a" / "region.yaml",
        "name: county-a\nstations: s.csv\npopulation: p.tif\nnetwork: n.osm\nminutes: 10\n",
    )
    _write(tmp_path / "b" / "b.yaml", "stations: s.csv\npopulation: p.tif\nnetwork: n.osm\n")
    batch_file = _write(
        tmp_path / "batch.yaml",
        """
out: results
defaults:
  minutes: [5, 15]
  access_speed_kmh: 4
  boundaries: shared/units.geojson
regions:
  - a/region.yaml
  - config: b/b.yaml
    minutes: 30
    network: other/n.osm.pbf
  - name: 县城 C
    stations: c/s.csv
    population: c/p.tif
    network: c/n.osm
""",
    )
    batch = load_batch(batch_file)
    a, b, c = batch.regions
    assert batch.out == (tmp_path / "results").resolve()
    # a region file wins over defaults; its paths are relative to the region file
    assert a.name == "county-a"
    assert a.config.minutes == (10.0,)
    assert a.config.stations == (tmp_path / "a" / "s.csv").resolve()
    assert a.config.access_speed_kmh == 4.0
    assert a.config.boundaries == (tmp_path / "shared" / "units.geojson").resolve()
    assert a.out == batch.out / "county-a"
    # inline keys win over the region file; their paths are relative to the batch file
    assert b.name == "b"  # the file's stem when the file gives no name
    assert b.config.minutes == (30.0,)
    assert b.config.network == (tmp_path / "other" / "n.osm.pbf").resolve()
    assert b.config.population == (tmp_path / "b" / "p.tif").resolve()
    # inline regions; Chinese names are kept as folder names
    assert c.name == "县城 C"
    assert c.config.minutes == (5.0, 15.0)
    assert c.out.name == "县城 C"
    assert c.config.stations == (tmp_path / "c" / "s.csv").resolve()


def test_out_override_and_default(tmp_path, monkeypatch):
    data = {"regions": [{"name": "x", "stations": "s", "population": "p", "network": "n"}]}
    monkeypatch.chdir(tmp_path)
    batch = batch_from_dict(data, base_dir=tmp_path, source=str(tmp_path / "prov.yaml"))
    assert batch.out == tmp_path / "out" / "prov"
    batch = batch_from_dict({**data, "out": "o"}, base_dir=tmp_path, out=tmp_path / "cli")
    assert batch.out == tmp_path / "cli"


def test_every_problem_in_one_line(tmp_path):
    _write(tmp_path / "ok.yaml", "stations: s.csv\npopulation: p.tif\nnetwork: n.osm\n")
    data = {
        "regions": [
            "ok.yaml",
            "missing.yaml",
            {"name": "two", "stations": "s.csv", "population": "p.tif", "minuts": 5},
            {"stations": "s.csv"},
            42,
        ]
    }
    with pytest.raises(ConfigError) as info:
        batch_from_dict(data, base_dir=tmp_path, source="prov.yaml")
    message = str(info.value)
    assert "\n" not in message
    assert "missing.yaml: configuration file not found; check the path" in message
    assert "prov.yaml: region 3 (two): unknown key 'minuts' (did you mean 'minutes'?)" in message
    assert "missing key 'network'" in message
    assert "region 4: an inline region needs a 'name'" in message
    assert "region 5: give a configuration file path or a mapping of keys, not int" in message


def test_unknown_top_key_and_empty_regions(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown key 'default' \(did you mean 'defaults'\?\)"):
        batch_from_dict({"default": {}, "regions": []}, base_dir=tmp_path, source="b.yaml")
    with pytest.raises(ConfigError, match="'regions' must be a non-empty list"):
        batch_from_dict({"defaults": {}}, base_dir=tmp_path, source="b.yaml")


def test_duplicate_folders_rejected(tmp_path):
    region = {"stations": "s", "population": "p", "network": "n"}
    data = {"regions": [{**region, "name": "North"}, {**region, "name": "north"}]}
    with pytest.raises(ConfigError, match="'North' and 'north' would share the output folder"):
        batch_from_dict(data, base_dir=tmp_path, source="b.yaml")


def test_names_must_be_usable_as_folders(tmp_path):
    region = {"stations": "s", "population": "p", "network": "n"}
    data = {"regions": [{**region, "name": "../a"}, {**region, "name": "ok"}]}
    with pytest.raises(ConfigError, match=r"b.yaml: region 1 \(../a\): 'name' must be a plain"):
        batch_from_dict(data, base_dir=tmp_path, source="b.yaml")


def test_missing_and_bad_batch_file(tmp_path):
    with pytest.raises(ConfigError, match="batch file not found"):
        load_batch(tmp_path / "nope.yaml")
    bad = _write(tmp_path / "bad.yaml", "regions: [a\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_batch(bad)
    twice = _write(
        tmp_path / "twice.yaml", "defaults:\n  minutes: 15\n  minutes: 30\nregions: []\n"
    )
    with pytest.raises(ConfigError, match=r"twice\.yaml: line 3: key 'minutes' is given twice"):
        load_batch(twice)


def test_cli_bad_batch_options_exit_2(three_regions, monkeypatch, capsys):
    pytest.importorskip("distributed")
    import coverage.batch.cluster as cluster
    from coverage.cli import main

    monkeypatch.setattr(cluster, "SCHEDULER_TIMEOUT_S", 1)
    assert main(["batch", str(three_regions), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:9 (")
    assert len(err.strip().splitlines()) == 1
    assert main(["batch", str(three_regions), "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
    assert not (three_regions.parent / "out" / "index.html").exists()
