"""Station tiers and partner types: one documented vocabulary, with Chinese aliases.

A county's 15-minute medical-insurance service circle has three levels of its own
service points and four kinds of partner outlets. Station tables write them in many
ways (``乡镇医保服务站``, ``XX镇便民服务站``, ``township``, ``医银合作``); they are
normalised to these codes:

==================  ==========================  ==========================================
code                label                       recognised (besides the code itself)
==================  ==========================  ==========================================
county              县级医保服务中心/大厅        县级, 县医保, 服务中心, 服务大厅, 大厅, 县, 区, 市
township            乡镇/街道医保服务站          乡镇, 街道, 乡, 镇, 服务站, town, street
village             村/社区医保服务点            村, 社区, 居委会, 服务点, community
partner-bank        医银合作                     银行, 医银, 信用社, bank
partner-hospital    医医合作/定点医疗机构        医院, 卫生院, 医医, 定点医疗, hospital, clinic
partner-pharmacy    医药合作/定点药店            药店, 药房, 医药合作, 定点零售药店, pharmacy
partner-insurer     医险合作                     保险, 医险, 商保, insurer, insurance
==================  ==========================  ==========================================

Matching: the text is trimmed and lower-cased, and spaces, ``_`` and brackets are
removed. An exact code, label or English alias wins; otherwise the first keyword
found in the order partner-bank, partner-insurer, partner-pharmacy, partner-hospital,
village, township, county (most specific first: ``XX镇XX村服务点`` is a village point,
``XX县XX镇服务站`` a township station). A tier that matches nothing is kept as written
and reported with :class:`UnknownTierWarning`; a station is never dropped for its tier.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["TIERS", "TIER_LABELS", "UnknownTierWarning", "normalise_tier", "normalise_tiers"]

#: The tier codes, from the county's own levels to its partners.
TIERS = (
    "county",
    "township",
    "village",
    "partner-bank",
    "partner-hospital",
    "partner-pharmacy",
    "partner-insurer",
)

#: Bilingual label of each tier code.
TIER_LABELS = {
    "county": "县级医保服务中心/大厅 (county service centre)",
    "township": "乡镇/街道医保服务站 (township/street service station)",
    "village": "村/社区医保服务点 (village/community service point)",
    "partner-bank": "医银合作 (partner bank)",
    "partner-hospital": "医医合作/定点医疗机构 (partner hospital)",
    "partner-pharmacy": "医药合作/定点药店 (partner pharmacy)",
    "partner-insurer": "医险合作 (partner insurer)",
}

_EXACT = {
    "county": ("county", "county-level", "countycentre", "countycenter", "县级医保服务中心",
               "县级医保服务大厅", "县级医保服务中心/大厅", "县医保服务中心", "县医保服务大厅"),
    "township": ("township", "town", "street", "subdistrict", "乡镇医保服务站",
                 "街道医保服务站", "乡镇/街道医保服务站", "乡镇/街道"),
    "village": ("village", "community", "村医保服务点", "社区医保服务点", "村/社区医保服务点",
                "村/社区"),
    "partner-bank": ("bank", "partnerbank", "医银合作"),
    "partner-hospital": ("hospital", "clinic", "partnerhospital", "医医合作", "定点医疗机构",
                         "医医合作/定点医疗机构"),
    "partner-pharmacy": ("pharmacy", "partnerpharmacy", "医药合作", "定点药店",
                         "医药合作/定点药店"),
    "partner-insurer": ("insurer", "insurance", "partnerinsurer", "医险合作"),
}  # fmt: skip

# Keyword rules, most specific first (see the module docstring).
_KEYWORDS = (
    ("partner-bank", ("银行", "医银", "信用社", "农商行", "bank")),
    ("partner-insurer", ("保险", "医险", "商保", "insur")),
    ("partner-pharmacy", ("药店", "药房", "医药合作", "pharmac")),
    ("partner-hospital", ("医院", "卫生院", "医医", "定点医疗", "hospital", "clinic")),
    ("village", ("村", "社区", "居委会", "服务点", "village", "communit")),
    ("township", ("乡镇", "街道", "乡", "镇", "服务站", "township", "town", "street")),
    ("county", ("县级", "县医保", "服务中心", "服务大厅", "大厅", "县", "区", "市", "county")),
)

_STRIP = re.compile(r"[\s_()（）\[\]【】]+")


def _key(text: str) -> str:
    return _STRIP.sub("", text.strip().lower())


_LOOKUP = {_key(alias): code for code, aliases in _EXACT.items() for alias in (code, *aliases)}


class UnknownTierWarning(UserWarning):
    """Station tiers that match no code of :data:`TIERS`; the stations are kept as written."""


def normalise_tier(text: object) -> str | None:
    """The tier code a text names, or None if it names none.

    Parameters
    ----------
    text : object
        A tier as written in a station table.

    Returns
    -------
    str or None
        A code of :data:`TIERS`, or None for unknown or empty text.

    Examples
    --------
    >>> normalise_tier("乡镇医保服务站"), normalise_tier("城关镇新华村服务点")
    ('township', 'village')
    >>> normalise_tier("医银合作"), normalise_tier("Partner-Pharmacy"), normalise_tier("其他")
    ('partner-bank', 'partner-pharmacy', None)
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    key = _key(str(text))
    if not key:
        return None
    if key in _LOOKUP:
        return _LOOKUP[key]
    for code, words in _KEYWORDS:
        if any(word in key for word in words):
            return code
    return None


def normalise_tiers(
    values: Sequence[object] | pd.Series, *, source: str = "stations", first_row: int = 2
) -> pd.Series:
    """Normalise a column of tiers to codes, keeping and reporting the unknown ones.

    Parameters
    ----------
    values : sequence or pandas.Series
        Tiers as written.
    source : str
        File name, for the warning.
    first_row : int
        File row of the first value (2 when row 1 is the header), for the warning.

    Returns
    -------
    pandas.Series of str
        Codes of :data:`TIERS`; unknown tiers as written (trimmed); empty text for none.

    Warns
    -----
    UnknownTierWarning
        Naming the unknown tiers and the first rows holding them.
    """
    raw = pd.Series(list(values), dtype=object)
    codes = raw.map(normalise_tier)
    text = raw.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    text = text.str.strip()
    unknown = codes.isna() & (text != "")
    if unknown.any():
        rows = [int(i) + first_row for i in np.flatnonzero(unknown.to_numpy())[:5]]
        names = list(dict.fromkeys(text[unknown]))[:5]
        warnings.warn(
            UnknownTierWarning(
                f"{source}: {int(unknown.sum())} station(s) have a tier that is not in the "
                f"vocabulary ({', '.join(names)}; rows {', '.join(map(str, rows))}); they are "
                f"kept with the tier as written; use one of {', '.join(TIERS)} or a Chinese "
                "alias such as 乡镇医保服务站"
            ),
            stacklevel=2,
        )
    return codes.where(codes.notna(), text).astype(str)
