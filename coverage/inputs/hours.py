"""Opening hours of stations: OSM ``opening_hours`` syntax, and Chinese forms converted to it.

Hours are kept in OpenStreetMap's ``opening_hours`` syntax
(``Mo-Fr 08:30-17:00; Sa 08:30-11:30; PH off``) and parsed by the ``opening_hours``
package (``opening-hours-py``: Rust, MIT or Apache-2.0, the complete OSM grammar
with public holidays and normalisation). A station table may also write hours the
way Chinese offices post them; :func:`hours_to_osm` converts these forms:

=========================================  ==========================================
written                                    OSM
=========================================  ==========================================
``周一至周五 8:30-17:00``                   ``Mo-Fr 08:30-17:00``
``星期一到星期五 8:30-12:00，14:00-17:30``  ``Mo-Fr 08:30-12:00,14:00-17:30``
``周一至五 上午8:30-11:30 下午2:00-5:00``    ``Mo-Fr 08:30-11:30,14:00-17:00``
``工作日 8:30-17:00`` / ``周末 9点-12点``    ``Mo-Fr 08:30-17:00`` / ``Sa,Su 09:00-12:00``
``周一、周三 9:00-11:00``                   ``Mo,We 09:00-11:00``
``每天 24小时`` / ``全天``                  ``Mo-Su 00:00-24:00`` / ``24/7``
``周日休息`` / ``法定节假日休息``             ``Su off`` / ``PH off``
``办公时间：工作日 8:30-17:00``              ``Mo-Fr 08:30-17:00``
=========================================  ==========================================

Rules are separated by ``；`` ``;`` ``。`` or new lines, time ranges by ``，`` ``,``
``、`` or spaces; full-width characters are read as their ASCII forms. Days: ``周``,
``星期`` or ``礼拜`` followed by 一..六, 日 or 天; ranges with 至, 到, ``-`` or ``~``
(``周一至五`` drops the second prefix). ``工作日`` means Monday to Friday (the
adjusted working days of the official holiday calendar are not modelled). ``下午``
and ``晚上`` add 12 hours to times before 12:00, and so does an end before the start
(``8:30-5:30`` is 08:30-17:30; write hours past midnight in OSM syntax). Anything
else is refused with a message naming the part not understood (:class:`HoursError`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    from opening_hours import OpeningHours

__all__ = ["HoursError", "hours_in_chinese", "hours_to_osm", "parse_hours", "station_hours"]


class HoursError(InputError):
    """Opening hours that are neither OSM syntax nor a Chinese form understood."""


_DAY = {"一": "Mo", "二": "Tu", "三": "We", "四": "Th", "五": "Fr", "六": "Sa", "日": "Su",
        "天": "Su", "1": "Mo", "2": "Tu", "3": "We", "4": "Th", "5": "Fr", "6": "Sa",
        "7": "Su"}  # fmt: skip
_ORDER = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
_DAY_WORDS = {
    "工作日": "Mo-Fr",
    "周末": "Sa,Su",
    "双休日": "Sa,Su",
    "每天": "Mo-Su",
    "每日": "Mo-Su",
    "全周": "Mo-Su",
    "全年": "Mo-Su",
    "法定节假日": "PH",
    "节假日": "PH",
    "节日": "PH",
}
_PREFIX = r"(?:周|星期|礼拜)"
_ONE_DAY = rf"{_PREFIX}[一二三四五六日天1-7]"
_RANGE = r"\s*(?:至|到|-|~|—)\s*"
_DAY_RANGE = re.compile(rf"({_ONE_DAY}){_RANGE}({_PREFIX}?[一二三四五六日天1-7])")
_DAY_SINGLE = re.compile(_ONE_DAY)
_TIME = r"(\d{1,2})(?:[:点](\d{2})分?|(点半)|点)?"
_TIME_RANGE = re.compile(
    rf"(上午|中午|下午|晚上|早上)?\s*{_TIME}{_RANGE}(上午|中午|下午|晚上)?\s*{_TIME}"
)
_OFF = re.compile(r"^(?:休息|不营业|不办公|闭馆|关闭|休|不开放|停止服务)$")
_ALL_DAY = re.compile(r"^(?:24小时|全天|全天候|24h|全天24小时|00:00-24:00)$", re.IGNORECASE)
_ALWAYS = re.compile(r"^(?:全天|24小时|全年无休|全天候|24/7|全年无休24小时)(?:营业|开放|服务)?$")


def _osm_ok(text: str) -> bool:
    from opening_hours import validate

    return bool(validate(text))


def _clock(hour: str, minute: str | None, half: bool, period: str | None) -> str:
    h, m = int(hour), 30 if half else int(minute or 0)
    if period in ("下午", "晚上") and h < 12:
        h += 12
    if h > 24 or m > 59 or (h == 24 and m):
        raise HoursError(f"{hour}:{minute or '00'} is not a time of day")
    return f"{h:02d}:{m:02d}"


def _times(text: str) -> str:
    """``8:30-12:00，下午2:00-5:00`` -> ``08:30-12:00,14:00-17:00``."""
    ranges = []
    pos = 0
    for match in _TIME_RANGE.finditer(text):
        between = text[pos : match.start()].strip(" ,、")
        if between:
            raise HoursError(f"'{between}' is not a time range")
        p1, h1, m1, half1, p2, h2, m2, half2 = match.groups()
        start = _clock(h1, m1, bool(half1), p1)
        end = _clock(h2, m2, bool(half2), p2 or p1)
        if end < start and end < "12:00" and not (p1 or p2):
            end = _clock(h2, m2, bool(half2), "下午")  # 8:30-5:30 is 08:30-17:30
        ranges.append(f"{start}-{end}")
        pos = match.end()
    rest = text[pos:].strip(" ,、")
    if not text.strip():
        raise HoursError("no time range (such as 8:30-17:00) follows the days")
    if rest or not ranges:
        raise HoursError(f"'{rest or text}' is not a time range such as 8:30-17:00")
    return ",".join(ranges)


def _day_index(token: str) -> str:
    return _DAY[token[-1]]


def _days(text: str) -> str:
    """``周一至周五、周日`` -> ``Mo-Fr,Su``; ``工作日`` -> ``Mo-Fr``."""
    parts = []
    for piece in re.split(r"[,、和及]", text):
        piece = piece.strip()
        if not piece:
            continue
        if piece in _DAY_WORDS:
            parts.append(_DAY_WORDS[piece])
            continue
        match = _DAY_RANGE.fullmatch(piece)
        if match:
            parts.append(f"{_day_index(match.group(1))}-{_day_index(match.group(2))}")
            continue
        if _DAY_SINGLE.fullmatch(piece):
            parts.append(_day_index(piece))
            continue
        raise HoursError(f"'{piece}' is not a day such as 周一, 周一至周五 or 工作日")
    return ",".join(parts)


_DAYS_HEAD = re.compile(
    rf"^((?:(?:{_ONE_DAY}(?:{_RANGE}{_PREFIX}?[一二三四五六日天1-7])?|"
    + "|".join(sorted(_DAY_WORDS, key=len, reverse=True))
    + r")\s*[,、和及]?\s*)+)"
)


def _rule(text: str) -> str:
    text = re.sub(r"^(?:营业|开放|办公|服务|工作|办理)时间\s*:?", "", text.strip()).strip()
    if _ALWAYS.fullmatch(text):
        return "24/7"
    head = _DAYS_HEAD.match(text)
    days = _days(head.group(1).strip(" ,、和及")) if head else ""
    rest = text[head.end() :].strip() if head else text
    rest = re.sub(r"^(?:营业|开放|办公|服务)?(?:时间)?\s*:?", "", rest).strip()
    if not days and not rest:
        raise HoursError(f"'{text}' names no days or times")
    if _OFF.fullmatch(rest) or (rest.endswith("休息") and _OFF.fullmatch(rest[-2:])):
        if not days:
            raise HoursError(f"'{text}': say which days are closed, e.g. 周日休息")
        return f"{days} off"
    times = "00:00-24:00" if _ALL_DAY.fullmatch(rest) else _times(rest)
    return f"{days} {times}" if days else times


def _convert(text: str) -> str:
    clean = unicodedata.normalize("NFKC", text)
    clean = clean.replace("－", "-").replace("～", "~").replace("：", ":").replace("—", "-")
    rules = [r for r in re.split(r"[;。\n]+", clean) if r.strip()]
    if not rules:
        raise HoursError("the hours are empty")
    return "; ".join(_rule(r) for r in rules)


@lru_cache(maxsize=4096)
def hours_to_osm(text: str) -> str:
    """Opening hours in OSM syntax, from OSM syntax or a Chinese form.

    Parameters
    ----------
    text : str
        ``Mo-Fr 08:30-17:00; Sa 08:30-11:30`` (returned as written, trimmed), or a
        Chinese form such as ``周一至周五 8:30-17:00；周六 8:30-11:30`` (see the module
        docstring for the forms understood).

    Returns
    -------
    str
        The hours in OSM ``opening_hours`` syntax.

    Raises
    ------
    HoursError
        If the text is neither valid OSM syntax nor a Chinese form understood; the
        message names the part not understood.

    Examples
    --------
    >>> hours_to_osm("周一至周五 8:30-17:00；周六 8:30-11:30")
    'Mo-Fr 08:30-17:00; Sa 08:30-11:30'
    >>> hours_to_osm("工作日 上午8:30-11:30 下午2:00-5:30")
    'Mo-Fr 08:30-11:30,14:00-17:30'
    >>> hours_to_osm("Mo-Sa 08:30-15:30")
    'Mo-Sa 08:30-15:30'
    """
    text = str(text).strip()
    if _osm_ok(text):
        return text
    try:
        osm = _convert(text)
    except HoursError as exc:
        raise HoursError(
            f"opening hours {text!r} are not understood: {exc}; write them in OSM syntax "
            "(e.g. Mo-Fr 08:30-17:00; Sa 08:30-11:30) or as 周一至周五 8:30-17:00"
        ) from None
    if not _osm_ok(osm):
        raise HoursError(
            f"opening hours {text!r} read as {osm!r}, which is not valid OSM syntax; "
            "write them as e.g. Mo-Fr 08:30-17:00"
        )
    return osm


@lru_cache(maxsize=4096)
def parse_hours(text: str) -> OpeningHours:
    """Parsed opening hours, evaluated in local time with no holiday calendar.

    Parameters
    ----------
    text : str
        OSM syntax or a Chinese form (:func:`hours_to_osm`).

    Returns
    -------
    opening_hours.OpeningHours

    Raises
    ------
    HoursError
        If the hours cannot be read.
    """
    from opening_hours import OpeningHours

    osm = hours_to_osm(text)
    return OpeningHours(osm, auto_country=False, auto_timezone=False)


def _empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return str(value).strip() in ("", "nan", "None", "<NA>")


def station_hours(
    values: Sequence[object],
    *,
    source: str = "stations",
    rows: Sequence[int] | None = None,
    ids: Sequence[object] | None = None,
) -> list[str | None]:
    """Each station's hours in OSM syntax (None where the cell is empty).

    Parameters
    ----------
    values : sequence
        The ``hours`` cells of a station table.
    source : str
        The file, for messages.
    rows : sequence of int, optional
        The file row of each station (default: position + 2, the header being row 1).
    ids : sequence, optional
        Station ids, for messages.

    Returns
    -------
    list of str or None

    Raises
    ------
    HoursError
        On the first station whose hours cannot be read, naming the file, row and id.
    """
    out: list[str | None] = []
    for i, value in enumerate(values):
        if _empty(value):
            out.append(None)
            continue
        try:
            out.append(hours_to_osm(str(value)))
        except HoursError as exc:
            row = rows[i] if rows is not None else i + 2
            who = f" (station {ids[i]!r})" if ids is not None else ""
            raise HoursError(f"{source}: row {row}{who}: {exc}") from None
    return out


_OSM_DAY_ZH = {"Mo": "周一", "Tu": "周二", "We": "周三", "Th": "周四", "Fr": "周五", "Sa": "周六",
               "Su": "周日", "PH": "法定节假日"}  # fmt: skip
_OSM_RULE = re.compile(
    r"^((?:(?:Mo|Tu|We|Th|Fr|Sa|Su|PH)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?,?)+)?\s*(.*)$"
)


def hours_in_chinese(osm: str) -> str:
    """OSM hours as a Chinese office writes them, where the rules are simple.

    Day selectors and ``off`` are translated; anything else (months, week numbers,
    comments) is left as written, so the result never says less than the original.

    Parameters
    ----------
    osm : str
        Hours in OSM syntax.

    Returns
    -------
    str

    Examples
    --------
    >>> hours_in_chinese("Mo-Fr 08:30-12:00,14:00-17:30; Sa 08:30-11:30; PH off")
    '周一至周五 08:30-12:00、14:00-17:30；周六 08:30-11:30；法定节假日休息'
    >>> hours_in_chinese("24/7"), hours_in_chinese("Jul-Aug Sa 09:00-12:00")
    ('全天', 'Jul-Aug Sa 09:00-12:00')
    """
    rules = []
    for rule in str(osm).split(";"):
        rule = rule.strip()
        if rule == "24/7":
            rules.append("全天")
            continue
        match = _OSM_RULE.match(rule)
        days, rest = (match.group(1) or "", match.group(2)) if match else ("", rule)
        if rest and not re.fullmatch(r"off|closed|(?:\d{2}:\d{2}-\d{2}:\d{2},?)+", rest):
            rules.append(rule)
            continue
        text = "、".join(
            "至".join(_OSM_DAY_ZH[d] for d in part.split("-")) for part in days.split(",") if part
        )
        if rest in ("off", "closed"):
            rules.append(f"{text}休息")
        else:
            rules.append(f"{text} {rest.replace(',', '、')}".strip())
    return "；".join(rules)
