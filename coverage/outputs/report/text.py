"""The report's own labels (Chinese and English); the shared ones are in :mod:`..labels`."""

from __future__ import annotations

from typing import Any

from ..labels import label

__all__ = ["t"]

_EXTRA_EN = {
    "report": "Coverage report",
    "generated": "Generated {date} by coverage15 {version}",
    "headline": "Headline figures",
    "residents": "Residents",
    "covered_pop": "Residents within {minutes:g} min",
    "unreachable": "Unreachable residents",
    "stations_count": "Stations",
    "by_minutes": "Share within each threshold",
    "units_covered_line": "{level}: {covered} of {populated} populated units covered ({share})",
    "unit_rule": "A unit counts as covered when at least {share:.0%} of its residents are "
    "within {minutes:g} minutes of a station.",
    "targets": "Targets",
    "no_targets": "No targets were set in the configuration.",
    "unit_tables": "Units",
    "station_table": "Stations and staffing",
    "services": "Service items",
    "gap_list": "Gap areas",
    "gap_total": "{n} gap areas with {population} residents beyond {minutes:g} minutes.",
    "gap_more": "The {n} largest are listed; all are in gaps.geojson.",
    "maps": "Maps",
    "assumptions": "Assumptions and data",
    "threshold": "Threshold",
    "mode": "Travel mode",
    "access": "Access legs",
    "access_text": "Residents (cell centres) and stations walk in a straight line at "
    "{speed:g} km/h to the road network, up to {max_m:,.0f} m; farther is unreachable.",
    "speeds": "Speeds on the network (km/h, by road class, as used)",
    "sources": "Data sources",
    "file": "File",
    "modified": "Modified",
    "road_class": "Road class",
    "speed": "km/h",
    "edges": "Edges",
    "nearest_station_id": "Nearest station ID",
    "tier_catchment": "Catchment within tier",
    "staff_now": "Current staff",
    "staff_gap": "Staff to add",
    "capacity": "Capacity",
    "snap_distance": "Distance to road (m)",
    "target_share": "Target share",
    "units_n": "Units",
    "units_covered": "Units covered",
    "share_units_covered": "Share covered",
    "units_to_cover": "Units still to cover",
    "met": "Met",
    "service": "Service",
    "stations_n": "Stations",
    "gap_id": "Gap",
    "area_km2": "Area (km²)",
    "max_extra_minutes": "Max extra minutes",
    "nearest_station_name": "Nearest station",
    "year": "Year",
    "summary_sheet": "Summary",
    "figure": "Figure",
    "value": "Value",
}
_EXTRA_ZH = {
    "report": "服务圈覆盖评估报告",
    "generated": "生成时间 {date}，coverage15 {version}",
    "headline": "主要指标",
    "residents": "常住人口",
    "covered_pop": "{minutes:g}分钟内可达人口",
    "unreachable": "无法到达人口",
    "stations_count": "服务点数量",
    "by_minutes": "各时间阈值覆盖率",
    "units_covered_line": "{level}：{populated}个有人口单元中{covered}个达标（{share}）",
    "unit_rule": "单元内至少{share:.0%}的常住人口可在{minutes:g}分钟内到达服务点，"
    "即视为该单元已覆盖。",
    "targets": "目标完成情况",
    "no_targets": "配置中未设定目标。",
    "unit_tables": "行政单元",
    "station_table": "服务点与人员配置",
    "services": "服务事项",
    "gap_list": "服务空白区",
    "gap_total": "共{n}个空白区，{population}名居民超出{minutes:g}分钟。",
    "gap_more": "下表列出人口最多的{n}个，全部见 gaps.geojson。",
    "maps": "地图",
    "assumptions": "模型假设与数据",
    "threshold": "时间阈值",
    "mode": "出行方式",
    "access": "接驳步行",
    "access_text": "居民（栅格中心）与服务点以{speed:g}公里/小时直线步行接入路网，"
    "最远{max_m:,.0f}米；更远视为无法到达。",
    "speeds": "路网速度（公里/小时，按道路等级）",
    "sources": "数据来源",
    "file": "文件",
    "modified": "修改日期",
    "road_class": "道路等级",
    "speed": "公里/小时",
    "edges": "路段数",
    "nearest_station_id": "最近服务点编号",
    "tier_catchment": "同层级服务人口",
    "staff_now": "现有人员",
    "staff_gap": "需增加人员",
    "capacity": "负荷",
    "snap_distance": "距道路（米）",
    "target_share": "目标覆盖率",
    "units_n": "单元数",
    "units_covered": "已覆盖单元",
    "share_units_covered": "单元覆盖率",
    "units_to_cover": "尚需覆盖单元",
    "met": "是否达标",
    "service": "服务事项",
    "stations_n": "服务点数",
    "gap_id": "空白区",
    "area_km2": "面积（平方公里）",
    "max_extra_minutes": "最多超出分钟数",
    "nearest_station_name": "最近服务点",
    "year": "年份",
    "summary_sheet": "汇总",
    "figure": "指标",
    "value": "数值",
}


def t(lang: str, key: str, **values: Any) -> str:
    """A report label: from this module's table, else from :mod:`coverage.outputs.labels`.

    Examples
    --------
    >>> t("zh", "headline"), t("en", "within", minutes=15)
    ('主要指标', 'Within 15 min')
    """
    table = _EXTRA_ZH if lang == "zh" else _EXTRA_EN
    if key in table:
        return table[key].format(**values)
    return label(lang, key, **values)
