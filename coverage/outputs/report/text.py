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
    "left_out": "Population input {total}: {outside} ({outside_share}) live outside the study "
    "area and are not counted; {beyond} ({beyond_share}) live farther than {max_m:,.0f} m from "
    "any road and count as unreachable.",
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
    "time_windows": "Coverage in time windows",
    "window": "Time window",
    "hours": "Opening hours",
    "stations_open": "Stations open",
    "windows_rule": "A station counts in a window only when it is open for the whole of it, "
    "on every day of the year the window covers; stations without opening hours count as "
    "{default}.",
    "hours_open": "always open",
    "hours_closed": "closed",
    "window_units": "{level}: share within {minutes:g} min in each window",
    "window_coverage_share": "{window}: share within {minutes:g} min",
    "window_population_covered": "{window}: residents within {minutes:g} min",
    "service_rules": "Service-item rules",
    "rules_line": "{passing} of {ruled} stations with a rule handle enough of their list. "
    "The {failing} that fall short, and the items they miss:",
    "rules_all_pass": "Every station with a rule handles enough of its list.",
    "service_list": "List",
    "service_handled": "Items handled",
    "service_required": "Items required",
    "service_share": "Share of the list",
    "service_missing": "Missing items",
    "service_rule_pass": "Item rule met",
    "home_service": "Home-service list",
    "home_line": "{people} {group} live beyond {minutes:g} minutes, in "
    "{places} places, most first; all are in home_service.csv and home_service.geojson.",
    "home_more": "The {n} largest are listed.",
    "group_age": "residents aged {age}+",
    "group_population": "residents",
    "gap_place": "Gap area {k}",
    "rank": "Rank",
    "place": "Place",
    "people": "People",
    "max_minutes": "Max minutes",
    "lon": "Longitude",
    "lat": "Latitude",
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
    "left_out": "输入人口{total}人：其中{outside}人（{outside_share}）位于研究区外，未计入；"
    "{beyond}人（{beyond_share}）距道路超过{max_m:,.0f}米，计为无法到达。",
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
    "time_windows": "分时段覆盖",
    "window": "时段",
    "hours": "开放时间",
    "stations_open": "开放服务点数",
    "windows_rule": "服务点须在整个时段内开放（全年每个相应日期），才计入该时段；"
    "未填开放时间的服务点视为{default}。",
    "hours_open": "全天开放",
    "hours_closed": "不开放",
    "window_units": "{level}：各时段{minutes:g}分钟覆盖率",
    "window_coverage_share": "{window}{minutes:g}分钟覆盖率",
    "window_population_covered": "{window}{minutes:g}分钟内人口",
    "service_rules": "服务事项清单达标情况",
    "rules_line": "有清单要求的{ruled}个服务点中，{passing}个达标，{failing}个未达标，"
    "缺少以下事项：",
    "rules_all_pass": "有清单要求的服务点均已达标。",
    "service_list": "清单",
    "service_handled": "可办事项数",
    "service_required": "应办事项数",
    "service_share": "清单办理比例",
    "service_missing": "缺少事项",
    "service_rule_pass": "事项达标",
    "home_service": "上门服务清单",
    "home_line": "{group}中有{people}人居住在{minutes:g}分钟以外，分布在{places}处，"
    "按人数排序；完整清单见 home_service.csv 与 home_service.geojson。",
    "home_more": "下表列出人数最多的{n}处。",
    "group_age": "{age}岁及以上人群",
    "group_population": "全体居民",
    "gap_place": "空白区{k}",
    "rank": "序号",
    "place": "地点",
    "people": "人数",
    "max_minutes": "最长分钟数",
    "lon": "经度",
    "lat": "纬度",
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
