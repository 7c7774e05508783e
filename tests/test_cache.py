"""The cache folder: listing it, and clearing what runs computed (never anything else)."""

from __future__ import annotations

import os
import time

import pytest

from coverage import load_config, run_coverage
from coverage.cache import cache_entries, clear_cache
from coverage.cli import main

KEY = "ab" * 32
DAY = 86_400.0


def _touch(path, *, days_old: float = 0.0, size: int = 10):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    when = time.time() - days_old * DAY
    os.utime(path, (when, when))
    return path


@pytest.fixture()
def folder(tmp_path):
    """A cache folder with one entry of each kind, and files that are not entries."""
    root = tmp_path / "cache"
    _touch(root / f"network-walk-{KEY}.npz", days_old=40, size=1000)
    _touch(root / f"water-{KEY}.npz", days_old=2)
    _touch(root / f"water-{KEY}.land.npy", days_old=2)
    _touch(root / f"snap-{KEY}.npz", days_old=40)
    _touch(root / f"osm-date-{KEY}.json")
    _touch(root / f"roads-{KEY}.npy", days_old=2)
    _touch(root / f".snap-{KEY}.npz.k3j2.tmp", days_old=1)  # a write cut short
    _touch(root / f".network-walk-{KEY}.npz.x9.tmp")  # another run writing it now
    _touch(root / "download.geofabrik.de" / "asia" / "china" / "zhejiang-latest.osm.pbf")
    _touch(root / "clipped" / f"zhejiang-{KEY[:12]}.osm.pbf")
    _touch(root / "demo" / "demo.yaml")
    _touch(root / "notes.txt")  # not an entry: never touched
    _touch(root / "network-walk-mine.npz")  # not a key: never touched
    return root


def test_entries_by_kind(folder):
    kinds = {e.path.relative_to(folder).as_posix(): e.kind for e in cache_entries(folder)}
    assert kinds == {
        f"network-walk-{KEY}.npz": "graphs",
        f"water-{KEY}.npz": "water masks",
        f"water-{KEY}.land.npy": "water masks",
        f"snap-{KEY}.npz": "access legs",
        f"osm-date-{KEY}.json": "data dates",
        f"roads-{KEY}.npy": "map roads",
        f".snap-{KEY}.npz.k3j2.tmp": "unfinished writes",
        f".network-walk-{KEY}.npz.x9.tmp": "unfinished writes",
        "download.geofabrik.de/asia/china/zhejiang-latest.osm.pbf": "downloads",
        f"clipped/zhejiang-{KEY[:12]}.osm.pbf": "downloads",
        "demo/demo.yaml": "demo inputs",
    }
    assert cache_entries(folder / "absent") == []


def test_clear_deletes_computed_entries_only(folder):
    before = {p for p in folder.rglob("*") if p.is_file()}
    gone = {e.path.name for e in clear_cache(folder, older_than_days=30)}
    assert gone == {f"network-walk-{KEY}.npz", f"snap-{KEY}.npz"}
    gone = {e.path.name for e in clear_cache(folder)}
    assert gone == {
        f"water-{KEY}.npz",
        f"water-{KEY}.land.npy",
        f"osm-date-{KEY}.json",
        f"roads-{KEY}.npy",
        f".snap-{KEY}.npz.k3j2.tmp",  # a day old; the one written now is left
    }
    left = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert left == {
        f".network-walk-{KEY}.npz.x9.tmp",
        "download.geofabrik.de/asia/china/zhejiang-latest.osm.pbf",
        f"clipped/zhejiang-{KEY[:12]}.osm.pbf",
        "demo/demo.yaml",
        "notes.txt",
        "network-walk-mine.npz",
    }
    assert len(before) - len(left) == 7


def test_a_run_after_clearing_gives_the_same_figures(grid_case, tmp_path):
    case = grid_case(station_nodes=[(0, 0), (4, 4)])
    config = load_config(case.config).replace(cache=True, cache_dir=tmp_path / "c")
    first = run_coverage(config).summary["coverage_share"]
    made = {e.path.name: e.kind for e in cache_entries(tmp_path / "c")}
    assert sorted(made.values()) == ["graphs", "water masks"]  # the graph; "no water"
    assert {e.path.name for e in clear_cache(tmp_path / "c")} == set(made)
    assert cache_entries(tmp_path / "c") == []
    assert run_coverage(config).summary["coverage_share"] == first
    assert {e.path.name for e in cache_entries(tmp_path / "c")} == set(made)  # made again


def test_the_cache_command(folder, capsys):
    assert main(["cache", "--cache-dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "graphs" in out and "1 file " in out and "downloads" in out and "demo inputs" in out
    assert main(["cache", "--cache-dir", str(folder), "--clear", "--older-than", "30"]) == 0
    out = capsys.readouterr().out
    assert "deleted 2 computed entries" in out
    assert not (folder / f"snap-{KEY}.npz").exists() and (folder / f"water-{KEY}.npz").exists()
    assert main(["cache", "--cache-dir", str(folder), "--older-than", "3"]) == 2
    assert "--older-than" in capsys.readouterr().err
