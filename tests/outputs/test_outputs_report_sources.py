"""The report's facts: every input with its data date, Beijing time, translated labels."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from pathlib import Path

import numpy as np
import osmium
import pytest
import rasterio
from rasterio.transform import from_origin

from coverage.inputs.dates import DataDate, data_date, input_dates, input_files
from coverage.outputs.report import report_html, report_tables
from coverage.outputs.report.page import report_time
from coverage.outputs.report.sources import source_rows

OLD = dt.datetime(2019, 1, 2, tzinfo=dt.timezone.utc).timestamp()


def _pbf(path, *, header_stamp=None, stamps=()):
    """A tiny PBF: nodes with the given timestamps, a header stamp if given."""
    header = osmium.io.Header()
    if header_stamp:
        header.set("osmosis_replication_timestamp", header_stamp)
    with osmium.SimpleWriter(str(path), header=header) as writer:
        for i, stamp in enumerate(stamps, start=1):
            writer.add_node(
                osmium.osm.mutable.Node(
                    id=i, location=(43.2 + i * 1e-3, -11.7), timestamp=stamp, version=1
                )
            )
    os.utime(path, (OLD, OLD))  # a copy made long after the data
    return path


def _tif(path, tags=None):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(43, -11, 0.01, 0.01),
    ) as dst:
        dst.write(np.ones((1, 2, 2), dtype="float32"))
        if tags:
            dst.update_tags(**tags)
    os.utime(path, (OLD, OLD))
    return path


def test_data_dates_from_the_data_not_the_copy(tmp_path):
    stamped = _pbf(
        tmp_path / "a.osm.pbf",
        header_stamp="2021-04-08T20:22:02Z",
        stamps=[dt.datetime(2020, 5, 1, tzinfo=dt.timezone.utc)],
    )
    assert data_date(stamped) == DataDate("2021-04-08", "osm_replication")
    newest = _pbf(
        tmp_path / "b.osm.pbf",
        stamps=[
            dt.datetime(2018, 3, 4, tzinfo=dt.timezone.utc),
            dt.datetime(2020, 8, 12, 23, 59, tzinfo=dt.timezone.utc),
            dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc),
        ],
    )
    found = data_date(newest)
    assert (found.date, found.basis) == ("2020-08-12", "osm_newest")
    found = data_date(_tif(tmp_path / "dem.tif", {"TIFFTAG_DATETIME": "2014:09:23 12:00:00"}))
    assert (found.date, found.basis) == ("2014-09-23", "metadata")
    found = data_date(_tif(tmp_path / "chn_ppp_2020_UNadj.tif"))
    assert (found.date, found.basis) == ("2020", "name")
    found = data_date(_tif(tmp_path / "people.tif"))
    assert (found.date, found.basis) == ("2019-01-02", "file")  # marked as the file's date
    assert data_date(tmp_path / "gone.csv").basis == "missing"


def test_newest_object_date_is_kept_in_the_cache(tmp_path, monkeypatch):
    from coverage.inputs import dates

    path = _pbf(tmp_path / "c.osm.pbf", stamps=[dt.datetime(2022, 6, 30, tzinfo=dt.timezone.utc)])
    cache = tmp_path / "cache"
    assert data_date(path, cache_dir=cache) == DataDate("2022-06-30", "osm_newest")
    assert len(list(cache.glob("osm-date-*.json"))) == 1

    scans = []
    monkeypatch.setattr(dates, "_newest_object", lambda p: scans.append(p))
    assert data_date(path, cache_dir=cache) == DataDate("2022-06-30", "osm_newest")
    # the summary's dates (made once by the pipeline) are what the report shows
    inputs = {"network": str(path), "dem": None}
    assert dates.input_dates(inputs, cache_dir=cache) == {str(path): ["2022-06-30", "osm_newest"]}
    assert scans == []
    (entry,) = cache.glob("osm-date-*.json")
    entry.write_text("{damaged", encoding="utf-8")
    data_date(path, cache_dir=cache)
    assert scans == [path]  # a damaged entry is scanned again


def test_every_input_listed_with_its_date(hostile_result, tmp_path):
    files = {
        "stations": tmp_path / "服务点.csv",
        "network": _pbf(tmp_path / "county.osm.pbf", header_stamp="2021-04-08T20:22:02Z"),
        "population": _tif(tmp_path / "chn_ppp_2020.tif"),
        "township": tmp_path / "乡镇.shp",
        "village": tmp_path / "行政村.gpkg",
    }
    for key in ("stations", "township", "village"):
        files[key].write_text("x", encoding="utf-8")
        os.utime(files[key], (OLD, OLD))
    inputs = {
        "stations": str(files["stations"]),
        "population": str(files["population"]),
        "network": str(files["network"]),
        "boundaries": {"township": str(files["township"]), "village": str(files["village"])},
        "dem": None,
    }
    result = hostile_result.with_summary({**hostile_result.summary, "inputs": inputs})
    rows = source_rows(result, "zh")
    assert rows == [
        ("服务点", "服务点.csv", "2019-01-02", "文件修改日期（未找到数据日期）"),
        ("人口", "chn_ppp_2020.tif", "2020", "文件名中的年份"),
        ("路网", "county.osm.pbf", "2021-04-08", "OSM 文件头（数据同步时间）"),
        ("行政区划（乡镇（街道））", "乡镇.shp", "2019-01-02", "文件修改日期（未找到数据日期）"),
        ("行政区划（村（社区））", "行政村.gpkg", "2019-01-02", "文件修改日期（未找到数据日期）"),
    ]
    dated = result.with_summary({**result.summary, "input_dates": input_dates(inputs)})
    assert source_rows(dated, "zh") == rows
    page = report_html(result, lang="zh")
    assert "行政村.gpkg&#x27;}" not in page and "'}" not in page
    for name in ("服务点.csv", "chn_ppp_2020.tif", "county.osm.pbf", "乡镇.shp", "行政村.gpkg"):
        assert f"<td>{name}</td>" in page
    assert "人口 © WorldPop (CC BY 4.0)" in page and "OpenStreetMap 贡献者 (ODbL)" in page


def test_beijing_time_for_chinese_reports(hostile_result):
    moment = dt.datetime(2026, 11, 30, 20, 30, tzinfo=dt.timezone.utc)
    assert report_time("zh", moment) == "2026-12-01 04:30 北京时间"
    assert report_time("en", moment) == "2026-11-30 20:30 UTC"
    page = report_html(hostile_result, lang="zh")
    stamp = re.search(r"生成时间 (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) 北京时间", page).group(1)
    shown = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M")
    beijing = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(hours=8)
    assert abs((beijing - shown).total_seconds()) < 180
    assert "UTC" not in page


def test_chinese_report_translates_its_labels(hostile_result):
    stations = hostile_result.stations.copy()
    stations["staff"] = [1, 99, None]
    stations["capacity"] = ["over", "under", "ok"]
    page = report_html(_with_stations(hostile_result, stations), lang="zh")
    for word in ("超负荷", "负荷不足", "正常"):
        assert f"<td>{word}</td>" in page
    for english in (">over<", ">under<", ">ok<", ">walk<", ">residential<", " min<"):
        assert english not in page
    assert "<td>步行</td>" in page and "<td>居住区道路</td>" in page
    assert "<td>6 分钟</td>" in page


def _with_stations(result, stations):
    import dataclasses

    return dataclasses.replace(result, stations=stations)


def test_gap_table_names_the_units(hostile_result):
    gaps = hostile_result.gaps
    assert gaps is not None and len(gaps), "the hostile grid has gap areas"
    table = report_tables(hostile_result)["gaps"]
    assert {"township", "village"} <= set(table.columns)
    page = report_html(hostile_result, lang="zh")
    head = page[page.index("服务空白区</h2>") :]
    head = head[: head.index("</thead>")]
    assert "<th>乡镇（街道）</th>" in head and "<th>村（社区）</th>" in head


def test_wording_follows_the_population_kind(hostile_result):
    import dataclasses

    assert "居民（栅格中心）" in report_html(hostile_result, lang="zh")
    demand = dataclasses.replace(hostile_result.demand, grid=None)
    points = dataclasses.replace(hostile_result, demand=demand)
    page = report_html(points, lang="zh")
    assert "居民（按人口点位）" in page and "栅格" not in page
    assert "at their points" in report_html(points, lang="en")


def test_multi_mode_report_compares_the_modes(hostile_result):
    walk = hostile_result.summary
    ebike = {
        **walk,
        "mode": "ebike",
        "coverage_by_minutes": {"4": 0.75, "6": 1.0},
        "mean_minutes": 1.5,
        "unreachable_population": 0.0,
        "units_by_level": {
            level: {**info, "units_covered": info["units_populated"]}
            for level, info in walk["units_by_level"].items()
        },
    }
    modes = {"walk": walk, "ebike": ebike}
    page = report_html(hostile_result, lang="zh", modes=modes)
    section = page[page.index("<h2>不同出行方式比较</h2>") :]
    section = section[: section.index("</figure>")]
    assert "<td>步行</td>" in section and "<td>电动自行车</td>" in section
    for k, share in walk["coverage_by_minutes"].items():
        assert f"<td class='n'>{float(share):.1%}</td>" in section, k
    assert "<td class='n'>100.0%</td>" in section
    village = walk["units_by_level"]["village"]
    assert f"{village['units_covered']} / {village['units_populated']}" in section
    assert f"{village['units_populated']} / {village['units_populated']}" in section
    # the chart: one bar per mode and threshold, heights proportional to the shares
    bars = re.findall(r"<rect x='[\d.]+' y='([\d.]+)' width='[\d.]+' height='([\d.]+)' "
                      r"fill='[^']+'><title>([^<]+)</title>", section)  # fmt: skip
    shares = {title: float(height) for _, height, title in bars}
    assert shares["电动自行车: 100%"] == pytest.approx(140.0)  # full height: base 170 - 30
    walk6 = float(walk["coverage_by_minutes"]["6"])
    assert shares[f"步行: {walk6:.0%}"] == pytest.approx(140.0 * walk6, abs=0.06)
    n = village["units_populated"]
    assert shares[f"电动自行车: {n}/{n}"] == pytest.approx(140.0)  # every village covered
    part = village["units_covered"] / n
    assert shares[f"步行: {village['units_covered']}/{n}"] == pytest.approx(140.0 * part, abs=0.06)
    assert "<script" not in section and "http" not in section.replace("http://www.w3.org", "")
    assert "不同出行方式比较" not in report_html(hostile_result, lang="zh", modes={"walk": walk})


def test_a_run_dates_every_input_once(grid_case, tmp_path):
    """``summary.json`` → ``input_dates``: every input file of the run, dated as written."""
    import json

    from coverage import load_config, run_coverage, write_outputs
    from coverage.pipeline import output_options

    case = grid_case(boundaries=True)
    config = load_config(case.config)
    result = run_coverage(config)
    assert "input_dates" not in result.summary  # dated when written, not per run
    options = output_options(config)
    assert options.cache_dir == config.cache_folder
    write_outputs(result, tmp_path / "out", options)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    dates = summary["input_dates"]
    files = {str(case.stations), str(case.boundaries)}
    assert files <= set(dates) and set(dates) == {p for _, p in input_files(summary["inputs"])}
    for path, (date, basis) in dates.items():
        assert DataDate(date, basis) == data_date(path)  # what the report shows
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    for date, _ in dates.values():
        assert date in page


def test_the_report_shows_the_dates_the_run_looked_up_once(grid_case, tmp_path, monkeypatch):
    """The data dates are looked up while the maps are drawn; the report (made in this
    process, the maps in a second one where forking is sound) takes those, and never
    dates a file again: the OSM file's header is read once per written folder."""
    from coverage import load_config, run_coverage, write_outputs
    from coverage.inputs import dates as dates_module
    from coverage.pipeline import output_options

    case = grid_case(boundaries=True)
    config = load_config(case.config)
    result = run_coverage(config)
    read = []
    real = dates_module._osm_date
    monkeypatch.setattr(
        dates_module, "_osm_date", lambda path, cache: read.append(path) or real(path, cache)
    )
    for parallel in (True, False):
        read.clear()
        options = dataclasses.replace(output_options(config), parallel=parallel)
        write_outputs(result, tmp_path / f"out{parallel}", options)
        assert [p.name for p in read] == [Path(config.network).name]


def test_the_modes_of_a_run_are_dated_once(grid_case, tmp_path, monkeypatch):
    """Walk and e-bike share their inputs: one dating serves both folders."""
    import json

    from coverage import load_config
    from coverage.outputs import write as write_module
    from coverage.pipeline import output_options, run_coverage_modes

    case = grid_case(boundaries=True)
    config = load_config(case.config).replace(modes=["walk", "ebike"])
    results = run_coverage_modes(config)
    calls = []
    real = write_module.input_dates

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(write_module, "input_dates", counted)
    write_module.write_mode_outputs(results, tmp_path / "out", output_options(config))
    assert len(calls) == 1
    for mode in ("walk", "ebike"):
        summary = json.loads((tmp_path / "out" / mode / "summary.json").read_text("utf-8"))
        assert set(summary["input_dates"]) == {p for _, p in input_files(summary["inputs"])}


@pytest.mark.parametrize("pattern", ["runs", "alternating", "one class", "missing"])
def test_speed_table_is_the_median_per_road_class(hostile_result, pattern):
    # the table groups a way's run of edges by its first edge: any order gives pandas' answer
    import dataclasses

    import pandas as pd

    from coverage.outputs.report.sources import _speeds

    net = hostile_result.network
    n = net.edge_highway.size
    rng = np.random.default_rng(5)
    classes = np.array(["residential", "footway", "primary", "steps"], dtype=object)
    if pattern == "runs":
        highway = classes[rng.permutation(4)].repeat(-(-n // 4))[:n]
    elif pattern == "alternating":
        highway = classes[np.arange(n) % 3]
    elif pattern == "one class":
        highway = np.full(n, "track", dtype=object)
    else:
        highway = classes[rng.integers(0, 4, n)]
        highway[::5] = None
    seconds = rng.uniform(1.0, 60.0, n)
    seconds[::7] = np.inf  # unusable edges are left out
    result = dataclasses.replace(
        hostile_result,
        network=dataclasses.replace(net, edge_highway=highway, edge_seconds=seconds),
    )
    got = _speeds(result).set_index("road_class")
    kmh = net.edge_length_m / seconds * 3.6
    ok = np.isfinite(kmh)
    names = ["nan" if c is None else str(c) for c in highway[ok]]  # pandas' missing value
    frame = pd.DataFrame({"c": names, "k": kmh[ok]})
    expected = frame.groupby("c")["k"].agg(["median", "size"])
    assert sorted(got.index) == sorted(expected.index)
    for name, row in expected.iterrows():
        assert got.loc[name, "median"] == pytest.approx(row["median"], rel=1e-12)
        assert got.loc[name, "size"] == row["size"]
