"""The tier vocabulary: codes, Chinese aliases, keyword rules and unknown tiers."""

from __future__ import annotations

import pytest

from coverage.inputs.tiers import TIERS, UnknownTierWarning, normalise_tier, normalise_tiers


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("县级医保服务中心", "county"),
        ("县医保服务大厅", "county"),
        ("乡镇医保服务站", "township"),
        ("街道医保服务站", "township"),
        ("城关镇便民服务站", "township"),
        ("村医保服务点", "village"),
        ("社区医保服务点", "village"),
        ("城关镇新华村服务点", "village"),
        ("医银合作", "partner-bank"),
        ("农商银行网点", "partner-bank"),
        ("医医合作", "partner-hospital"),
        ("定点医疗机构", "partner-hospital"),
        ("乡镇卫生院", "partner-hospital"),
        ("医药合作", "partner-pharmacy"),
        ("定点药店", "partner-pharmacy"),
        ("医险合作", "partner-insurer"),
        ("人寿保险公司", "partner-insurer"),
        ("Township", "township"),
        (" partner_bank ", "partner-bank"),
        ("Partner-Pharmacy", "partner-pharmacy"),
        ("county", "county"),
    ],
)
def test_aliases_map_to_codes(text, code):
    assert normalise_tier(text) == code


def test_every_code_maps_to_itself():
    assert [normalise_tier(t) for t in TIERS] == list(TIERS)


@pytest.mark.parametrize("text", ["其他", "kiosk", "", "  ", None, float("nan")])
def test_unknown_or_empty_is_none(text):
    assert normalise_tier(text) is None


def test_unknown_tiers_are_kept_and_reported_with_rows():
    with pytest.warns(UnknownTierWarning, match=r"其他.*rows 4, 6") as record:
        out = normalise_tiers(["乡镇医保服务站", "医银合作", "其他", "", "其他"], source="s.csv")
    assert out.tolist() == ["township", "partner-bank", "其他", "", "其他"]
    assert len(record) == 1
    assert "2 station(s)" in str(record[0].message)
