"""Service-item rules: the share of a tier's list each station handles, pass or fail."""

from __future__ import annotations

import pandas as pd
import pytest

from coverage.metrics.service_rules import (
    ServiceRule,
    service_lists_from_mapping,
    service_rules_from_mapping,
    station_service_rules,
)

PROVINCIAL = [f"事项{i}" for i in range(1, 11)]  # ten items
VILLAGE = ["参保登记", "缴费", "异地就医备案"]


def _stations(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({"tier": [t for t, _ in rows], "services": [s for _, s in rows]})


def test_thirty_percent_at_its_boundary():
    # floating point traps a naive test falls into: 0.1 * 3 > 0.3, 0.55 * 100 > 55
    assert 0.1 * 3 > 0.3 and 0.55 * 100 > 55
    lists = {"省级清单": PROVINCIAL}
    rules = service_rules_from_mapping({"乡镇": {"list": "省级清单", "at_least": 0.3}})
    table = station_service_rules(
        _stations(
            [
                ("township", "|".join(PROVINCIAL[:3])),  # 3 of 10: passes
                ("township", "事项1、事项2"),  # 2 of 10: fails
                ("township", "事项1|事项2|事项11|other"),  # items off the list do not count
            ]
        ),
        lists,
        rules,
    )
    assert table["service_required"].tolist() == [3, 3, 3]
    assert table["service_handled"].tolist() == [3, 2, 2]
    assert table["service_share"].tolist() == [0.3, 0.2, 0.2]
    assert table["service_rule_pass"].tolist() == [True, False, False]
    assert table.loc[1, "service_missing"] == "|".join(PROVINCIAL[2:])
    seventy = service_rules_from_mapping({"township": {"list": "省级清单", "at_least": 0.7}})
    table = station_service_rules(
        _stations([("township", "|".join(PROVINCIAL[:7])), ("township", "|".join(PROVINCIAL[:6]))]),
        lists,
        seventy,
    )
    assert table["service_rule_pass"].tolist() == [True, False]


@pytest.mark.parametrize(
    ("share", "n", "required"),
    [
        (0.3, 10, 3),
        (0.7, 10, 7),
        (0.55, 100, 55),
        (0.57, 100, 57),
        (0.35, 10, 4),
        (1.0, 16, 16),
        (0.5, 7, 4),
        (1 / 3, 3, 1),
    ],
)
def test_items_required(share, n, required):
    # brute force: the smallest k whose exact fraction k/n reaches the share as written
    from fractions import Fraction

    exact = Fraction(repr(share)) if share != 1 / 3 else Fraction(1, 3)
    assert ServiceRule("village", "x", share).required(n) == required
    assert min(k for k in range(n + 1) if Fraction(k, n) >= exact) == required


def test_village_list_whole_and_tiers_without_rules():
    lists = service_lists_from_mapping({"村级清单": "参保登记、缴费、异地就医备案"})
    assert lists == {"村级清单": tuple(VILLAGE)}
    rules = service_rules_from_mapping({"村": {"list": "村级清单", "at_least": 1}})
    table = station_service_rules(
        _stations(
            [
                ("village", "参保登记|缴费|异地就医备案"),
                ("village", "参保登记|缴费"),
                ("village", None),
                ("county", "参保登记"),
            ]
        ),
        lists,
        rules,
    )
    assert table["service_rule_pass"].tolist()[:3] == [True, False, False]
    assert table["service_missing"].tolist()[:3] == ["", "异地就医备案", "|".join(VILLAGE)]
    assert pd.isna(table.loc[3, "service_list"]) and pd.isna(table.loc[3, "service_rule_pass"])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"大队": {"list": "x"}}, "tier '大队'"),
        ({"village": {"list": "x", "at_least": 1.5}}, "share in"),
        ({"village": {"lst": "x"}}, "must be {list"),
        ({"village": {"list": "x"}, "村": {"list": "y"}}, "two rules"),
        ([], "must map tiers"),
    ],
)
def test_bad_rules(value, message):
    with pytest.raises(ValueError, match=message):
        service_rules_from_mapping(value)


def test_rule_naming_an_unknown_list():
    rules = service_rules_from_mapping({"village": {"list": "村级清单"}})
    with pytest.raises(ValueError, match=r"names the list '村级清单'.*lists: 省级清单"):
        station_service_rules(_stations([("village", "a")]), {"省级清单": ("a",)}, rules)
