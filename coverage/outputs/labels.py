"""User-facing labels of maps and reports, in Chinese and English.

Identifiers stay English; every text a planner or an official reads goes through
:func:`label`, so a map, a static figure and a report say the same thing in the same
language.

Examples
--------
>>> label("zh", "minutes_legend")
'到最近服务点的时间（分钟）'
>>> label("en", "within", minutes=15)
'Within 15 min'
"""

from __future__ import annotations

import re
from types import MappingProxyType

__all__ = ["LANGS", "group_label", "label", "tier_label"]

#: Languages of the labels.
LANGS = ("en", "zh")

_EN = {
    "title": "Coverage within {minutes:g} minutes: {name}",
    "minutes_legend": "Minutes to the nearest station",
    "travel_time": "Travel time (minutes)",
    "within": "Within {minutes:g} min",
    "isochrones": "Isochrones",
    "gaps": "Gap areas (uncovered residents)",
    "units": "Units: {level}",
    "units_share": "{level}: share within {minutes:g} min",
    "gap_id": "Gap",
    "population_points": "Residents (circle area: people; colour: minutes)",
    "stations": "Stations: {tier}",
    "stations_heading": "Stations",
    "station": "station",
    "roads": "Roads",
    "unit_boundaries": "Unit boundaries",
    "covered_share": "Share within {minutes:g} min",
    "unit": "Unit",
    "population": "Residents",
    "population_covered": "Within {minutes:g} min",
    "mean_minutes": "Mean minutes",
    "p90_minutes": "90th percentile minutes",
    "covered": "Covered",
    "nearest_station": "Nearest station",
    "extra_minutes": "Extra minutes",
    "catchment": "Catchment residents",
    "staff": "Recommended staff",
    "tier": "Tier",
    "name": "Name",
    "id": "ID",
    "yes": "yes",
    "no": "no",
    "tiles_failed": "Basemap tiles could not be loaded (offline?); the overlays still work.",
    "no_water": "Background: roads from the network and unit boundaries (water not drawn).",
    "background": "Background: water and roads from the OpenStreetMap file, unit boundaries.",
    "water": "Water",
    "roads_credit": "Roads © OpenStreetMap contributors (ODbL)",
    "worldpop_credit": "Population © WorldPop (CC BY 4.0)",
    "srtm_credit": "Elevation: NASA SRTM (public domain)",
    "colon": ": ",
    "population_credit": "Population: {source}",
    "scale": "{metres:g} m",
    "scale_km": "{km:g} km",
    "north": "N",
    "level": "level",
    "no_residents": "no residents",
}

_ZH = {
    "title": "{minutes:g}分钟服务圈覆盖：{name}",
    "minutes_legend": "到最近服务点的时间（分钟）",
    "travel_time": "出行时间（分钟）",
    "within": "{minutes:g}分钟内",
    "isochrones": "等时圈",
    "gaps": "服务空白区（未覆盖居民）",
    "units": "行政单元：{level}",
    "units_share": "{level}：{minutes:g}分钟覆盖率",
    "gap_id": "空白区",
    "population_points": "居民点（圆面积：人口；颜色：用时）",
    "stations": "服务点：{tier}",
    "stations_heading": "服务点",
    "station": "服务点",
    "roads": "道路",
    "unit_boundaries": "行政区划边界",
    "covered_share": "{minutes:g}分钟覆盖率",
    "unit": "单元",
    "population": "常住人口",
    "population_covered": "{minutes:g}分钟内人口",
    "mean_minutes": "平均用时（分钟）",
    "p90_minutes": "90%分位用时（分钟）",
    "covered": "是否覆盖",
    "nearest_station": "最近服务点",
    "extra_minutes": "超出分钟数",
    "catchment": "服务人口",
    "staff": "建议配置人员",
    "tier": "层级",
    "name": "名称",
    "id": "编号",
    "yes": "是",
    "no": "否",
    "tiles_failed": "底图瓦片无法加载（可能离线），叠加图层仍可使用。",
    "no_water": "底图：路网道路与行政区划边界（未绘制水系）。",
    "background": "底图：OpenStreetMap 水系与道路、行政区划边界。",
    "water": "水系",
    "roads_credit": "道路 © OpenStreetMap 贡献者 (ODbL)",
    "worldpop_credit": "人口 © WorldPop (CC BY 4.0)",
    "srtm_credit": "高程：NASA SRTM（公共领域）",
    "colon": "：",
    "population_credit": "人口数据：{source}",
    "scale": "{metres:g} 米",
    "scale_km": "{km:g} 公里",
    "north": "北",
    "level": "层级",
    "no_residents": "无常住人口",
}

_TIERS_ZH = {
    "county": "县级",
    "township": "乡镇（街道）",
    "village": "村（社区）",
    "partner-bank": "合作银行",
    "partner-hospital": "合作医疗机构",
    "partner-pharmacy": "合作药店",
    "partner-insurer": "合作保险机构",
    "unit": "单元",
    "island": "岛屿",
}

_LABELS = MappingProxyType({"en": MappingProxyType(_EN), "zh": MappingProxyType(_ZH)})


def label(lang: str, key: str, /, **values: object) -> str:
    """A label in ``lang``, formatted with ``values``.

    Parameters
    ----------
    lang : {"en", "zh"}
        Language.
    key : str
        Label name (see the module source).
    **values
        Fields of the label's template.

    Returns
    -------
    str
        Plain text (not HTML-escaped).

    Raises
    ------
    ValueError
        If ``lang`` is not one of :data:`LANGS`.
    """
    if lang not in _LABELS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    return _LABELS[lang][key].format(**values)


def tier_label(lang: str, tier: str) -> str:
    """The display name of a station tier or unit level (the tier itself if unknown).

    Examples
    --------
    >>> tier_label("zh", "township"), tier_label("en", "township")
    ('乡镇（街道）', 'township')
    """
    if lang == "zh":
        return _TIERS_ZH.get(tier, tier)
    return tier


_GROUPS = {
    "en": {"age": "residents aged {age}+", "population": "residents"},
    "zh": {"age": "{age}岁及以上人群", "population": "全体居民"},
}


def group_label(lang: str, group: str) -> str:
    """A population group as officials read it: ``age_65_plus`` -> 65岁及以上人群.

    Examples
    --------
    >>> group_label("zh", "age_65_plus"), group_label("en", "age_80_plus")
    ('65岁及以上人群', 'residents aged 80+')
    >>> group_label("zh", "disabled")
    'disabled'
    """
    names = _GROUPS["zh" if lang == "zh" else "en"]
    match = re.fullmatch(r"age_?(\d+)_?plus", group)
    if match:
        return names["age"].format(age=match.group(1))
    return names["population"] if group == "population" else group
