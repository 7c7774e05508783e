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
