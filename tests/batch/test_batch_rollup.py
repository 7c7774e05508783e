"""The roll-up: index.html (escaped, linked) and batch_summary.csv (one row per region)."""

from __future__ import annotations

import csv

from coverage.batch import Batch, BatchRegion, RegionOutcome, write_rollup
from coverage.config import config_from_dict
from coverage.outputs.writers import write_json


def _region(out, name, folder, **extra):
    config = config_from_dict(
        {"name": "r", "stations": "s.csv", "population": "p.tif", "network": "n.osm", **extra},
        base_dir=out,
    )
    return BatchRegion(name, config, out / folder)  # any text, though configs refuse some


def test_rollup_escapes_names_and_writes_one_row_per_region(tmp_path):
    evil = '<script>alert("x")</script> & 县'
    regions = (_region(tmp_path, evil, "evil"), _region(tmp_path, "plain", "plain county"))
    batch = Batch(regions, tmp_path, source="b.yaml")
    (tmp_path / "plain county").mkdir()
    (tmp_path / "plain county" / "map.html").write_text("<html></html>", encoding="utf-8")
    write_json({}, tmp_path / "plain county" / "summary.json")
    figures = {
        "population": 1234.0,
        "population_covered": 617.0,
        "coverage_share": 0.5,
        "minutes": 15.0,
        "units_by_level": {
            "township": {"units": 3, "units_covered": 1},
            "village": {"units": 151, "units_covered": 2},
        },
        "targets": None,
        "targets_met": None,
    }
    outcomes = (
        RegionOutcome(evil, regions[0].out, "failed", "bad <input> in row 3", 0.25),
        RegionOutcome("plain", regions[1].out, "ok", "forced", 2.0, 1.5, figures, "2026-01-01"),
    )
    index, table = write_rollup(batch, outcomes)
    page = index.read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 县" in page
    assert "bad &lt;input&gt; in row 3" in page
    assert 'href="plain%20county/map.html"' in page
    assert 'href="plain%20county/summary.json"' in page
    assert "50.0% · 15 min" in page
    # each level on its own, never added up (1 + 2 of 3 + 151)
    assert "township: 1 / 3<br>village: 2 / 151" in page and "3 / 154" not in page
    with open(table, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["region"] for r in rows] == [evil, "plain"]
    assert rows[0]["status"] == "failed" and rows[0]["population"] == ""
    assert rows[1]["population"] == "1234.0" and rows[1]["coverage_share"] == "0.5"
    assert rows[1]["units_township"] == "3" and rows[1]["units_covered_township"] == "1"
    assert rows[1]["units_village"] == "151" and rows[1]["units_covered_village"] == "2"
    assert rows[0]["units_village"] == "" and rows[1]["targets_met"] == ""
    assert "units" not in rows[1] and "units_covered" not in rows[1]
    assert "Roads © OpenStreetMap contributors (ODbL) | Population: p.tif" in page
    assert rows[1]["duration_s"] == "2.0" and rows[1]["cpu_s"] == "1.5"
    assert rows[1]["folder"] == "plain county"


def test_target_flags_are_counted_wherever_they_sit():
    from coverage.batch.region import _target_counts

    targets = {
        "township": {"2023": {"share": 0.4, "met": True}, "2024": {"share": 1.0, "met": False}},
        "village": [{"year": 2023, "met": True}],
    }
    assert _target_counts(targets) == (3, 2)
    assert _target_counts(None) == (None, None)


def test_input_bytes_sum_the_existing_input_files(tmp_path):
    from coverage.batch.cluster import input_bytes

    (tmp_path / "s.csv").write_bytes(b"x" * 10)
    (tmp_path / "p.tif").write_bytes(b"x" * 200)
    region = _region(tmp_path, "r", "r")  # its network file n.osm does not exist
    assert input_bytes(region) == 210


def test_rollup_states_the_people_left_out(tmp_path):
    from coverage.batch.region import _figures

    summary = {
        "population_total": 945.0, "population_covered": 472.5, "coverage_share": 0.5,
        "minutes": 15.0, "population_input": 1000.0, "population_outside_study_area": 55.0,
        "population_beyond_network_reach": 2.0,
    }  # fmt: skip
    figures = _figures(summary)
    assert figures["population_outside_study_area_share"] == 55.0 / 1000.0
    assert figures["population_beyond_network_reach_share"] == 2.0 / 1000.0
    region = _region(tmp_path, "县", "county")
    batch = Batch((region,), tmp_path, source="b.yaml")
    outcome = RegionOutcome("县", region.out, "ok", "", 1.0, 1.0, figures, "2026-01-01")
    index, table = write_rollup(batch, (outcome,))
    page = index.read_text(encoding="utf-8")
    # 5.5 % outside is above the 0.5 % warning share: the cell is marked
    assert "<td class='n warn'>55 (5.5%) · 2 (0.2%)</td>" in page
    assert "Outside study area · beyond roads" in page
    with open(table, encoding="utf-8-sig", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["population_outside_study_area"] == "55.0"
    assert row["population_beyond_network_reach_share"] == "0.002"


def test_rollup_in_chinese_with_every_credit(tmp_path):
    extra = {"lang": "zh", "population": "chn_ppp_2020_UNadj.tif", "dem": "srtm_30m.tif"}
    regions = (_region(tmp_path, "龙泉市", "lq", **extra), _region(tmp_path, "庆元县", "qy"))
    batch = Batch(regions, tmp_path, source="浙江.yaml")
    figures = {
        "population": 248866.0, "population_covered": 124433.0, "coverage_share": 0.5,
        "minutes": 15.0, "units_by_level": {"township": {"units": 19, "units_covered": 4}},
    }  # fmt: skip
    outcomes = tuple(
        RegionOutcome(r.name, r.out, "ok", "", 1.0, 1.0, figures, "2026-01-01") for r in regions
    )
    page = write_rollup(batch, outcomes)[0].read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "coverage15 批量评估：浙江.yaml" in page
    for text in ("<th>地区</th>", "<th>常住人口</th>", "<th>已覆盖单元（按层级）</th>", "完成"):
        assert text in page
    assert "乡镇（街道）: 4 / 19" in page and "50.0% · 15分钟" in page
    assert "region 地区" not in page and ">ok<" not in page
    credits = "道路 © OpenStreetMap 贡献者 (ODbL) | 人口 © WorldPop (CC BY 4.0) | "
    assert credits + "高程：NASA SRTM（公共领域） | 人口数据：p.tif" in page
