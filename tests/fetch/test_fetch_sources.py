"""fetch_osm / fetch_worldpop / fetch_dem and ``coverage15 fetch``, end to end on 127.0.0.1."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from fetch_server import (
    dem_value,
    hgt_tile,
    population_array,
    write_grid_pbf,
    write_population_tif,
)

import coverage
from coverage.cli import main
from coverage.errors import InputError
from coverage.fetch import (
    PROVINCES,
    fetch_dem,
    fetch_osm,
    fetch_worldpop,
    find_province,
    osm_url,
    srtm_tiles,
    worldpop_urls,
)

CHINESE = {"浙江省": "zhejiang", "内蒙古自治区": "neimenggu", "广西壮族自治区": "guangxi",
           "新疆维吾尔自治区": "xinjiang", "香港特别行政区": "xianggang", "北京市": "beijing",
           "西藏": "xizang", "台湾": "taiwan"}  # fmt: skip


def test_the_34_province_level_divisions():
    assert len(PROVINCES) == 34
    assert len({p.chinese for p in PROVINCES.values()}) == 34
    assert len({p.path for p in PROVINCES.values()}) == 34
    for chinese, key in CHINESE.items():
        assert find_province(chinese).key == key
    assert find_province("Inner Mongolia").path == "asia/china/inner-mongolia"
    assert find_province("HONG-KONG").key == "xianggang"
    assert find_province("shaanxi").chinese == "陕西" and find_province("shanxi").chinese == "山西"
    with pytest.raises(InputError, match="did you mean zhejiang"):
        find_province("zhejang")


def test_url_templates(monkeypatch):
    assert osm_url("zhejiang") == "https://download.geofabrik.de/asia/china/zhejiang-latest.osm.pbf"
    monkeypatch.setenv("COVERAGE15_OSM_URL_TEMPLATE", "https://mirror.example/{key}.pbf")
    assert osm_url("内蒙古") == "https://mirror.example/neimenggu.pbf"
    with pytest.raises(InputError, match=r"placeholders can be \{path\}"):
        osm_url("zhejiang", url_template="https://m.example/{province}.pbf")
    urls = worldpop_urls("chn", constrained=True, un_adjusted=True)
    assert [u.rsplit("/", 4)[1:] for u in urls] == [
        ["2020", "BSGM", "CHN", "chn_ppp_2020_UNadj_constrained.tif"],
        ["2020", "maxar_v1", "CHN", "chn_ppp_2020_UNadj_constrained.tif"],
    ]
    assert worldpop_urls("CHN", year=2015)[0].endswith(
        "/Global_2000_2020/2015/CHN/chn_ppp_2015.tif"
    )
    with pytest.raises(InputError, match="constrained 2020"):
        worldpop_urls("CHN", year=2015, constrained=True)
    assert srtm_tiles("119.5,-0.5,120.5,0.5") == ["S01E119", "S01E120", "N00E119", "N00E120"]


def test_fetch_osm_with_county_bbox_gives_a_usable_network(server, cache, tmp_path):
    pbf = write_grid_pbf(tmp_path / "grid.osm.pbf").read_bytes()
    server.add("geofabrik/asia/china/zhejiang-latest.osm.pbf", pbf, md5=True)
    template = server.url("geofabrik/{path}-latest.osm.pbf")
    box = (119.01, 28.01, 119.05, 28.05)
    result = fetch_osm("浙江", bbox=box, cache_dir=cache, url_template=template, progress=False)
    assert result.kind == "osm" and result.name == "zhejiang"
    assert result.path.parent == cache / "clipped"
    assert result.downloads[0].verified == "md5"
    assert result.clip_bounds == pytest.approx(box)
    net = coverage.load_network(result.path)
    assert (net.n_nodes, net.n_edges) == (20, 40)
    assert "zhejiang" in repr(result) and "<table>" in result._repr_html_()
    assert result.bounds() == result.clip_bounds
    assert "L.rectangle" in result.explore().get_root().render()
    # second time: the download and the clip both come from the cache
    n = len(server.log)
    again = fetch_osm("zhejiang", bbox=box, cache_dir=cache, url_template=template, progress=False)
    assert again.path == result.path and again.downloads[0].from_cache and len(server.log) == n


def test_fetch_worldpop_constrained_tries_release_folders_and_clips(server, cache, tmp_path):
    tif = write_population_tif(tmp_path / "p.tif").read_bytes()
    server.add("wp/2020/maxar_v1/CHN/chn_ppp_2020_constrained.tif", tif, sha256=True)
    template = server.url("wp/{year}/{release}/{ISO3}/{iso3}_ppp_{year}{unadj}_constrained.tif")
    out = tmp_path / "county_pop.tif"
    result = fetch_worldpop(
        "CHN",
        constrained=True,
        bbox=(119.0, 28.04, 119.2, 28.2),
        out=out,
        cache_dir=cache,
        url_template=template,
        progress=False,
    )
    assert [p for p, _ in server.log if p.endswith(".tif")] == [
        "/wp/2020/BSGM/CHN/chn_ppp_2020_constrained.tif",
        "/wp/2020/maxar_v1/CHN/chn_ppp_2020_constrained.tif",
    ]
    assert result.path == out and result.downloads[0].verified == "sha256"
    expected = population_array()[:40, :50]
    grid = coverage.read_population(out)
    assert grid.total == pytest.approx(expected[expected > 0].sum(dtype=np.float64), rel=1e-6)


def test_fetch_dem_skips_sea_tiles(server, cache):
    for name in ("N28E119", "N28E120", "N27E119"):
        server.add(f"srtm/{name[:3]}/{name}.hgt.gz", hgt_tile(name))
    template = server.url("srtm/{lat_band}/{tile}.hgt.gz")
    result = fetch_dem(
        (119.9, 27.95, 120.1, 28.05), cache_dir=cache, url_template=template, progress=False
    )
    assert len(result.downloads) == 3 and result.missing == (server.url("srtm/N27/N27E120.hgt.gz"),)
    w, s, e, n = result.bounds()
    assert (w, s, e, n) == pytest.approx((119.9, 27.95, 120.1, 28.05))
    with rasterio.open(result.path) as ds:
        h = ds.read(1)
        rows, cols = np.mgrid[0 : h.shape[0], 0 : h.shape[1]]
        lon, lat = ds.transform * (cols + 0.5, rows + 0.5)
    land = (lon <= 120 + 1e-9) | (lat >= 28 - 1e-9)
    np.testing.assert_array_equal(h[land], dem_value(lon[land], lat[land]))
    assert (h[~land] == -32768).all()


def test_cli_fetch_osm_prints_the_path(server, tmp_path, capsys, monkeypatch):
    pbf = write_grid_pbf(tmp_path / "grid.osm.pbf").read_bytes()
    server.add("asia/china/fujian-latest.osm.pbf", pbf, md5=True)
    monkeypatch.setenv("COVERAGE15_OSM_URL_TEMPLATE", server.url("{path}-latest.osm.pbf"))
    monkeypatch.setenv("COVERAGE15_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "county.osm.pbf"
    code = main(["fetch", "osm", "--region", "福建省", "--bbox", "119.01,28.01,119.05,28.05",
                 "--out", str(out), "--quiet"])  # fmt: skip
    assert code == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert coverage.load_network(out).n_nodes == 20


def test_cli_fetch_dem_and_worldpop(server, tmp_path, capsys):
    server.add("N28/N28E119.hgt.gz", hgt_tile("N28E119"))
    template = server.url("{lat_band}/{tile}.hgt.gz")
    code = main(["fetch", "dem", "--bbox", "119.2,28.2,119.3,28.3", "--cache-dir",
                 str(tmp_path / "c"), "--url-template", template])  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    assert "FetchResult(dem" in captured.err
    with rasterio.open(captured.out.strip()) as ds:
        assert ds.shape == (13, 13)  # 0.1 degree at 120 px/degree, rounded outwards
    tif = write_population_tif(tmp_path / "p.tif").read_bytes()
    server.add("CHN/chn_ppp_2018.tif", tif)
    template = server.url("{ISO3}/{iso3}_ppp_{year}{unadj}.tif")
    code = main(["fetch", "worldpop", "--year", "2018", "--cache-dir", str(tmp_path / "c"),
                 "--url-template", template, "--quiet"])  # fmt: skip
    assert code == 0
    assert capsys.readouterr().out.strip().endswith("chn_ppp_2018.tif")


def test_fetch_result_bounds_from_the_files(server, cache, tmp_path):
    server.add("asia/china/anhui-latest.osm.pbf", write_grid_pbf(tmp_path / "g.pbf").read_bytes())
    server.add("CHN/chn_ppp_2020.tif", write_population_tif(tmp_path / "p.tif").read_bytes())
    template = server.url("{path}-latest.osm.pbf")
    osm = fetch_osm("anhui", cache_dir=cache, url_template=template, progress=False)
    assert osm.clip_bounds is None and osm.bounds() is None  # the writer put no box in the header
    box = (119.0, 28.0, 119.03, 28.03)
    clipped = fetch_osm("anhui", bbox=box, cache_dir=cache, url_template=template, progress=False)
    pop_template = server.url("{ISO3}/{iso3}_ppp_{year}.tif")
    pop = fetch_worldpop(cache_dir=cache, url_template=pop_template, progress=False)
    assert pop.bounds() == pytest.approx((119.0, 28.04, 119.2, 28.2))
    import osmium

    header = osmium.io.Reader(str(clipped.path), osmium.osm.NOTHING).header().box()
    assert (header.bottom_left.lon, header.top_right.lat) == pytest.approx((119.0, 28.03))


def test_cli_fetch_interrupted_keeps_the_partial_file_hint(monkeypatch, capsys, tmp_path):
    import coverage.fetch

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(coverage.fetch, "fetch_osm", interrupted)
    assert main(["fetch", "osm", "--region", "zhejiang", "--cache-dir", str(tmp_path)]) == 130
    assert "run the same command again to resume" in capsys.readouterr().err


def test_cli_fetch_errors_are_one_line(server, tmp_path, capsys):
    code = main(["fetch", "osm", "--region", "atlantis", "--cache-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: region 'atlantis'") and err.count("\n") == 1
    code = main(["fetch", "osm", "--region", "hainan", "--cache-dir", str(tmp_path),
                 "--url-template", server.url("{path}.pbf")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "HTTP 404" in err and err.count("\n") == 1
    server.add("asia/china/hubei.pbf", b"x" * 100)
    server.files["asia/china/hubei.pbf.md5"] = b"ffffffffffffffffffffffffffffffff\n"
    code = main(["fetch", "osm", "--region", "湖北", "--cache-dir", str(tmp_path),
                 "--url-template", server.url("{path}.pbf"), "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "checksum mismatch" in err
    assert not list(tmp_path.rglob("hubei.pbf*"))
