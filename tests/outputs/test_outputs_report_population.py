"""The report states the people left out of its figures, in Chinese and English."""

from __future__ import annotations

from coverage.outputs.report import report_html


def test_headline_states_people_outside_and_beyond_reach(hostile_result):
    s = dict(hostile_result.summary)
    s.update(population_input=s["population_total"] + 47_717.0,
             population_outside_study_area=47_717.0, population_beyond_network_reach=12.0,
             max_access_m=5000.0)  # fmt: skip
    result = hostile_result.with_summary(s)
    total = s["population_input"]
    en = report_html(result, lang="en")
    line = (
        f"Population input {total:,.0f}: 47,717 ({47_717 / total:.1%}) live outside the study "
        f"area and are not counted; 12 ({12 / total:.1%}) live farther than 5,000 m from any "
        "road and count as unreachable."
    )
    assert f"<p class='warn'>{line}</p>" in en
    zh = report_html(result, lang="zh")
    assert (
        f"输入人口{total:,.0f}人：其中47,717人（{47_717 / total:.1%}）位于研究区外，未计入；"
        f"12人（{12 / total:.1%}）距道路超过5,000米，计为无法到达。"
    ) in zh
    # nobody left out worth a warning: the same line, quietly
    s.update(population_input=s["population_total"], population_outside_study_area=0.0,
             population_beyond_network_reach=0.0)  # fmt: skip
    quiet = report_html(hostile_result.with_summary(s), lang="en")
    assert "<p class='note'>Population input" in quiet and "class='warn'" not in quiet


def test_official_totals_section_side_by_side(hostile_result):
    import dataclasses

    level = next(iter(hostile_result.units))
    table = hostile_result.units[level].copy()
    model = table["population"].to_numpy(dtype=float)
    table["population_model"] = model
    table["population_official"] = model * 2.0
    table.loc[table.index[-1], "population_official"] = float("nan")  # a unit with no row
    s = dict(hostile_result.summary)
    s.update(population_model_total=float(model.sum()), population_official_total=1234.0,
             official_totals={"level": level, "file": "/data/七普.csv", "column": "常住人口",
                              "units_unmatched": ["某村"], "rows_unmatched": ["合计"],
                              "units_without_population": []})  # fmt: skip
    result = dataclasses.replace(hostile_result, units={**hostile_result.units, level: table})
    result = result.with_summary(s)
    en = report_html(result, lang="en")
    assert "<h2>Model and official population</h2>" in en
    assert (
        f"to the official figures of 七普.csv (常住人口): {model.sum():,.0f} modelled, 1,234 "
        "official." in en
    )
    assert "Rows of the table matching no unit (not used): 合计." in en
    first = table.iloc[0]
    row = (
        f"<td class='n'>{first['population_model']:,.0f}</td>"
        f"<td class='n'>{first['population_official']:,.0f}</td>"
        f"<td class='n'>{first['population_official'] - first['population_model']:,.0f}</td>"
        "<td class='n'>100.0%</td>"
    )
    assert row in en
    zh = report_html(result, lang="zh")
    assert "<h2>模型人口与官方统计人口</h2>" in zh
    assert "无官方数据的单元（保留模型人口）：某村。" in zh
    assert "<h2>Model and official population</h2>" not in report_html(hostile_result)
