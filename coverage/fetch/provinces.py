"""The 34 province-level divisions of China and their OpenStreetMap extracts.

Names are matched in pinyin (``zhejiang``), Chinese with or without the suffix
(浙江, 浙江省, 内蒙古自治区) or English (Inner Mongolia); paths follow the Geofabrik
layout (``asia/china/<slug>``; Taiwan is ``asia/taiwan``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from ..errors import InputError

__all__ = ["PROVINCES", "Province", "find_province"]


@dataclass(frozen=True)
class Province:
    """A province-level division of China and its OSM extract.

    Attributes
    ----------
    key : str
        Pinyin name, lower case, no spaces (``zhejiang``, ``neimenggu``).
    chinese : str
        Short Chinese name (浙江).
    english : str
        English name (Zhejiang, Inner Mongolia).
    path : str
        Path of the extract in the Geofabrik layout, without ``-latest.osm.pbf``.
    """

    key: str
    chinese: str
    english: str
    path: str

    @property
    def slug(self) -> str:
        """Last part of ``path`` (``inner-mongolia``)."""
        return self.path.rsplit("/", 1)[-1]


def _p(
    key: str, chinese: str, english: str, slug: str | None = None, parent: str = "asia/china"
) -> Province:
    return Province(key, chinese, english, f"{parent}/{slug or key}")


#: The 34 province-level divisions, by pinyin key (see docs/data-sources.md).
PROVINCES: dict[str, Province] = {
    p.key: p
    for p in [
        _p("anhui", "安徽", "Anhui"),
        _p("beijing", "北京", "Beijing"),
        _p("chongqing", "重庆", "Chongqing"),
        _p("fujian", "福建", "Fujian"),
        _p("gansu", "甘肃", "Gansu"),
        _p("guangdong", "广东", "Guangdong"),
        _p("guangxi", "广西", "Guangxi"),
        _p("guizhou", "贵州", "Guizhou"),
        _p("hainan", "海南", "Hainan"),
        _p("hebei", "河北", "Hebei"),
        _p("heilongjiang", "黑龙江", "Heilongjiang"),
        _p("henan", "河南", "Henan"),
        _p("hubei", "湖北", "Hubei"),
        _p("hunan", "湖南", "Hunan"),
        _p("neimenggu", "内蒙古", "Inner Mongolia", "inner-mongolia"),
        _p("jiangsu", "江苏", "Jiangsu"),
        _p("jiangxi", "江西", "Jiangxi"),
        _p("jilin", "吉林", "Jilin"),
        _p("liaoning", "辽宁", "Liaoning"),
        _p("ningxia", "宁夏", "Ningxia"),
        _p("qinghai", "青海", "Qinghai"),
        _p("shaanxi", "陕西", "Shaanxi"),
        _p("shandong", "山东", "Shandong"),
        _p("shanghai", "上海", "Shanghai"),
        _p("shanxi", "山西", "Shanxi"),
        _p("sichuan", "四川", "Sichuan"),
        _p("tianjin", "天津", "Tianjin"),
        _p("xizang", "西藏", "Tibet", "tibet"),
        _p("xinjiang", "新疆", "Xinjiang"),
        _p("yunnan", "云南", "Yunnan"),
        _p("zhejiang", "浙江", "Zhejiang"),
        _p("xianggang", "香港", "Hong Kong", "hong-kong"),
        _p("aomen", "澳门", "Macau", "macau"),
        _p("taiwan", "台湾", "Taiwan", parent="asia"),
    ]
}
_CHINA = Province("china", "中国", "China", "asia/china")
_SUFFIXES = (
    "特别行政区",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "省",
    "市",
)


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return "".join(ch for ch in text if ch.isalnum())


def find_province(name: str) -> Province:
    """Look up a province-level division by pinyin, Chinese or English name.

    Parameters
    ----------
    name : str
        ``zhejiang``, ``浙江``, ``浙江省``, ``Inner Mongolia``, ``inner-mongolia``,
        ``内蒙古自治区`` …; ``china`` gives the whole country.

    Returns
    -------
    Province

    Raises
    ------
    InputError
        If the name is not known (the message suggests the closest names).

    Examples
    --------
    >>> find_province("浙江省").path
    'asia/china/zhejiang'
    >>> find_province("Inner Mongolia").key
    'neimenggu'
    """
    import difflib

    text = _norm(name)
    chinese = unicodedata.normalize("NFKC", name).strip()
    for suffix in _SUFFIXES:
        if chinese.endswith(suffix) and len(chinese) > len(suffix) + 1:
            chinese = chinese[: -len(suffix)]
            break
    for p in [*PROVINCES.values(), _CHINA]:
        if text in {_norm(p.key), _norm(p.english), _norm(p.slug)} or chinese == p.chinese:
            return p
    choices = [p.key for p in PROVINCES.values()]
    guess = difflib.get_close_matches(text, choices, n=3)
    hint = f" (did you mean {', '.join(guess)}?)" if guess else ""
    raise InputError(
        f"region {name!r} is not a Chinese province-level division{hint}; use a pinyin name "
        "such as zhejiang, a Chinese name such as 浙江, or china; see docs/data-sources.md"
    )
