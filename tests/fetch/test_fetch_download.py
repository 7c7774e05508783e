"""coverage.fetch.download against a local HTTP server: resume, verification, cache."""

from __future__ import annotations

import hashlib
import socket

import numpy as np
import pytest

from coverage.errors import DownloadError, InputError
from coverage.fetch import cache_path, default_cache_dir, download


def _payload(n: int = 300_000) -> bytes:
    return np.random.default_rng(7).integers(0, 256, n, dtype=np.uint8).tobytes()


def test_download_fresh_verified_by_md5_sidecar(server, cache, capsys):
    data = _payload()
    url = server.add("asia/china/zhejiang-latest.osm.pbf", data, md5=True)
    got = download(url, cache_dir=cache, progress=True)
    assert got.path == cache_path(url, cache)
    assert got.path.read_bytes() == data
    assert (got.size_bytes, got.from_cache, got.resumed_from_bytes) == (len(data), False, 0)
    assert got.verified == "md5"
    assert not got.path.with_name(got.path.name + ".part").exists()
    # the progress bar went to stderr, labelled with the file name and counting bytes
    err = capsys.readouterr().err
    assert "zhejiang-latest.osm.pbf" in err and "293k" in err  # 300,000 B = 293 KiB


def test_sha256_sidecar_is_preferred_and_size_only_without_sidecar(server, cache):
    data = _payload(5000)
    both = server.add("a.bin", data, md5=True, sha256=True)
    plain = server.add("b.bin", data)
    assert download(both, cache_dir=cache, progress=False).verified == "sha256"
    assert download(plain, cache_dir=cache, progress=False).verified == "size"


def test_cache_hit_uses_no_network(server, cache):
    url = server.add("x/pop.tif", _payload(1000), md5=True)
    download(url, cache_dir=cache, progress=False)
    before = len(server.log)
    again = download(url, cache_dir=cache, progress=False)
    assert again.from_cache and again.verified == "cache"
    assert len(server.log) == before  # not even the checksum sidecar was asked for
    assert "cache hit" in repr(again)


def test_refresh_downloads_again(server, cache):
    url = server.add("r.bin", b"old")
    download(url, cache_dir=cache, progress=False)
    server.files["r.bin"] = b"newer"
    assert download(url, cache_dir=cache, progress=False).path.read_bytes() == b"old"
    fresh = download(url, cache_dir=cache, progress=False, refresh=True)
    assert fresh.path.read_bytes() == b"newer" and not fresh.from_cache


def test_interrupted_transfer_resumes_with_range(server, cache):
    data = _payload()
    url = server.add("asia/china/fujian-latest.osm.pbf", data, md5=True)
    server.cut_once["asia/china/fujian-latest.osm.pbf"] = 120_000
    with pytest.raises(DownloadError, match=r"run the same command again to resume") as err:
        download(url, cache_dir=cache, progress=False)
    assert "\n" not in str(err.value) and url in str(err.value)
    final = cache_path(url, cache)
    part = final.with_name(final.name + ".part")
    assert not final.exists()
    assert part.stat().st_size == 120_000
    assert part.read_bytes() == data[:120_000]

    got = download(url, cache_dir=cache, progress=False)
    assert got.resumed_from_bytes == 120_000
    assert got.path.read_bytes() == data and got.verified == "md5"
    assert server.requests_for("asia/china/fujian-latest.osm.pbf") == [None, "bytes=120000-"]
    assert not part.exists()


def test_server_ignoring_range_restarts_from_zero(server, cache):
    data = _payload(50_000)
    url = server.add("norange.bin", data)
    server.cut_once["norange.bin"] = 10_000
    server.ignore_range.add("norange.bin")
    with pytest.raises(DownloadError):
        download(url, cache_dir=cache, progress=False)
    got = download(url, cache_dir=cache, progress=False)
    assert got.resumed_from_bytes == 0
    assert got.path.read_bytes() == data
    assert server.requests_for("norange.bin") == [None, "bytes=10000-"]


def test_wrong_range_from_the_server_discards_the_partial_file(server, cache):
    data = _payload(30_000)
    url = server.add("skew.bin", data)
    server.cut_once["skew.bin"] = 8_000
    server.range_skew["skew.bin"] = -100  # answers the resume from byte 7,900
    with pytest.raises(DownloadError):
        download(url, cache_dir=cache, progress=False)
    with pytest.raises(DownloadError, match="sent bytes from 7900 when asked for 8000"):
        download(url, cache_dir=cache, progress=False)
    final = cache_path(url, cache)
    assert not final.exists() and not final.with_name(final.name + ".part").exists()
    assert download(url, cache_dir=cache, progress=False).path.read_bytes() == data


def test_refresh_does_not_resume_an_old_partial_file(server, cache):
    url = server.add("p.bin", b"new content!")
    final = cache_path(url, cache)
    final.parent.mkdir(parents=True)
    final.write_bytes(b"old content!")
    final.with_name(final.name + ".part").write_bytes(b"old c")
    got = download(url, cache_dir=cache, progress=False, refresh=True)
    assert got.path.read_bytes() == b"new content!" and got.resumed_from_bytes == 0


def test_complete_part_file_is_finished_on_416(server, cache):
    data = _payload(4000)
    url = server.add("done.bin", data, sha256=True)
    final = cache_path(url, cache)
    final.parent.mkdir(parents=True)
    final.with_name(final.name + ".part").write_bytes(data)
    got = download(url, cache_dir=cache, progress=False)
    assert got.path.read_bytes() == data and got.verified == "sha256"
    assert got.resumed_from_bytes == 4000


def test_checksum_mismatch_leaves_no_file(server, cache):
    data = _payload(20_000)
    url = server.add("bad.pbf", data)
    server.files["bad.pbf.md5"] = b"0123456789abcdef0123456789abcdef  bad.pbf\n"
    with pytest.raises(DownloadError, match="checksum mismatch") as err:
        download(url, cache_dir=cache, progress=False)
    assert hashlib.md5(data).hexdigest() in str(err.value)
    final = cache_path(url, cache)
    assert not final.exists()
    assert not final.with_name(final.name + ".part").exists()


def test_explicit_checksum(server, cache):
    data = b"population" * 100
    url = server.add("e.bin", data)
    good = f"sha256:{hashlib.sha256(data).hexdigest()}"
    assert download(url, cache_dir=cache, checksum=good, progress=False).verified == "sha256"
    url2 = server.add("f.bin", data)
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download(url2, cache_dir=cache, checksum="md5:" + "0" * 32, progress=False)
    with pytest.raises(InputError, match="not understood"):
        download(url2, cache_dir=cache, checksum="crc32:1234", progress=False)


def test_http_404_is_one_clear_line(server, cache):
    with pytest.raises(DownloadError, match=r"HTTP 404 Not Found; the file is not on the server"):
        download(server.url("missing.pbf"), cache_dir=cache, progress=False)
    assert not any(cache.rglob("*.part")) if cache.exists() else True


def test_unreachable_host_is_one_clear_line(cache):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="cannot connect"):
        download(f"http://127.0.0.1:{port}/x.pbf", cache_dir=cache, progress=False, timeout=5)


def test_cache_path_and_default_dir(monkeypatch, tmp_path):
    p = cache_path("https://h.example:8080/a/b%20c.tif?x=1", tmp_path)
    assert p.parent == tmp_path / "h.example_8080" / "a"
    assert p.name.startswith("b_c.tif-")
    with pytest.raises(InputError, match="not an http"):
        cache_path("ftp://h/a", tmp_path)
    monkeypatch.setenv("COVERAGE15_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("COVERAGE15_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "coverage15"


def test_one_cache_folder_rule(monkeypatch, tmp_path):
    from coverage.fetch import default_cache_dir as fetch_rule
    from coverage.inputs.network_cache import default_cache_dir as graph_rule
    from coverage.paths import default_cache_dir

    assert fetch_rule is default_cache_dir and graph_rule is default_cache_dir
    monkeypatch.setenv("COVERAGE15_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("COVERAGE15_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "coverage15"
