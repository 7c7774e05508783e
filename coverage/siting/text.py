"""The words of the siting outputs (map, report, workbook), in Chinese and English."""

from __future__ import annotations

from ..errors import InputError

__all__ = ["SITE_TEXT", "level_name", "site_text"]

#: Chinese names of the usual unit levels (other names are shown as written).
_LEVELS_ZH = {"township": "乡镇", "village": "村", "unit": "单元", "county": "县"}


def level_name(level: str, lang: str) -> str:
    """A unit level's name in ``lang`` (``township`` -> ``乡镇`` in Chinese).

    Examples
    --------
    >>> level_name("village", "zh"), level_name("village", "en")
    ('村', 'village')
    """
    return _LEVELS_ZH.get(level, level) if lang == "zh" else level


#: Language -> key -> text (``str.format`` templates).
SITE_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Proposed new service points – {name}",
        "headline": "{sites} new site(s): residents within {minutes:g} min "
        "{before:.1%} -> {after:.1%}",
        "units_line": "{level}: {before} -> {after} of {total} units covered",
        "units_layer": "Units ({level})",
        "stations_layer": "Existing stations",
        "sites_layer": "Proposed sites (numbered by priority)",
        "state_before": "covered already",
        "state_brought": "brought over the line by a new site",
        "state_not": "not covered",
        "by_site": "site",
        "closed": "closed in this what-if",
        "site_tip": "#{rank} {name}: +{people:,.0f} residents, {units} unit(s) over the line",
        "list_line": "+{people:,.0f} residents, {units} unit(s) over the line",
        "report_title": "Siting report – {name}",
        "before_after": "Before and after, per level",
        "targets": "Targets",
        "sites": "Proposed sites",
        "level": "Level",
        "units": "Units (with residents)",
        "covered_before": "Covered before",
        "covered_after": "Covered after",
        "share_before": "Share before",
        "share_after": "Share after",
        "year": "Year",
        "target": "Target",
        "required": "Units required",
        "met": "Met after",
        "yes": "yes",
        "no": "no",
        "rank": "No.",
        "name": "Name",
        "type": "Type",
        "near": "Nearest place",
        "over_line": "Units brought over the line",
        "people": "Residents added",
        "cumulative": "Share after",
        "rules": "Tier rules",
        "rule": "Rule",
        "short_before": "Units short before",
        "short_after": "Units short after",
        "rule_text": "each {level} holds at least {at_least} {tier} station(s)",
        "method": "Method: {objective}; solver {solver}, status {status}{gap}. A unit is "
        "covered when at least {share:.0%} of its residents are within {minutes:g} minutes. "
        "Travel times use the run's access model ({mode}, linking to the road by {snap_to}"
        "{terrain}).",
        "terrain": ", with terrain",
        "snap_node": "the nearest node",
        "snap_edge": "the nearest segment",
        "objective_targets": "the fewest new sites meeting every {year} target",
        "objective_units": "the most units covered with {k} new sites",
        "objective_people": "the most residents covered with {k} new sites",
        "objective_share": "the fewest new sites reaching the target share of residents",
        "gap": ", proven gap {gap:.2%}",
        "summary": "Summary",
        "residents": "Residents within the threshold",
        "sites_added": "New sites",
    },
    "zh": {
        "title": "拟新增服务点 – {name}",
        "headline": "新增 {sites} 个站点：{minutes:g} 分钟内可达居民 {before:.1%} → {after:.1%}",
        "units_line": "{level}：达标单元 {before} → {after}（共 {total} 个）",
        "units_layer": "单元（{level}）",
        "stations_layer": "现有站点",
        "sites_layer": "拟新增站点（按优先顺序编号）",
        "state_before": "原已达标",
        "state_brought": "因新增站点达标",
        "state_not": "未达标",
        "by_site": "站点",
        "closed": "本情景中关闭",
        "site_tip": "第 {rank} 号 {name}：新增覆盖 {people:,.0f} 人，使 {units} 个单元达标",
        "list_line": "新增 {people:,.0f} 人，使 {units} 个单元达标",
        "report_title": "新增站点选址报告 – {name}",
        "before_after": "各层级新增前后对比",
        "targets": "目标完成情况",
        "sites": "拟新增站点",
        "level": "层级",
        "units": "单元数（有常住人口）",
        "covered_before": "新增前达标",
        "covered_after": "新增后达标",
        "share_before": "新增前达标率",
        "share_after": "新增后达标率",
        "year": "年份",
        "target": "目标",
        "required": "需达标单元数",
        "met": "新增后是否达成",
        "yes": "是",
        "no": "否",
        "rank": "序号",
        "name": "名称",
        "type": "类型",
        "near": "最近地名",
        "over_line": "因该站点达标的单元",
        "people": "新增覆盖人数",
        "cumulative": "累计覆盖率",
        "rules": "层级配置要求",
        "rule": "要求",
        "short_before": "新增前未满足的单元",
        "short_after": "新增后未满足的单元",
        "rule_text": "每个{level}至少 {at_least} 个{tier}站点",
        "method": "方法：{objective}；求解器 {solver}，状态 {status}{gap}。单元内至少 {share:.0%} "
        "的常住人口在 {minutes:g} 分钟内可达即为达标。出行时间采用与现状评估相同的可达性模型"
        "（{mode}，接入道路方式 {snap_to}{terrain}）。",
        "terrain": "，计入地形坡度",
        "snap_node": "最近道路节点",
        "snap_edge": "最近路段",
        "objective_targets": "满足 {year} 年全部目标所需的最少新增站点",
        "objective_units": "新增 {k} 个站点时达标单元最多",
        "objective_people": "新增 {k} 个站点时覆盖居民最多",
        "objective_share": "达到居民覆盖率目标所需的最少新增站点",
        "gap": "，已证明最优性差距 {gap:.2%}",
        "summary": "概况",
        "residents": "阈值内可达居民",
        "sites_added": "新增站点数",
    },
}


def site_text(lang: str) -> dict[str, str]:
    """The siting outputs' words in ``lang`` (``"en"`` or ``"zh"``).

    Examples
    --------
    >>> site_text("zh")["sites_layer"]
    '拟新增站点（按优先顺序编号）'
    """
    if lang not in SITE_TEXT:
        raise InputError(f"lang: must be zh (Chinese) or en (English), got {lang!r}")
    return SITE_TEXT[lang]
