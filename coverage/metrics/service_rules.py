"""Service-item rules: does each station handle enough of its tier's service list?

A county publishes lists of service items (the provincial list, a village list, a
partner hospital's 16 items) and rules such as "every village point handles the
whole village list" or "every township station handles at least 30 % of the
provincial list". Written in the configuration as::

    service_lists: {省级清单: [参保登记, 异地就医备案, ...], 村级清单: [...]}
    service_rules:
      village: {list: 村级清单, at_least: 1.0}
      township: {list: 省级清单, at_least: 0.3}

Rules are keyed by tier, in the codes or Chinese aliases of
:mod:`coverage.inputs.tiers` (``村``, ``乡镇`` ...). A station of a tier with a rule
handles ``k`` of the ``n`` items of the list (an item counts when the station's
``services`` name it, after trimming and folding full-width characters); it passes
when ``k >= ceil(at_least * n)``. The product is rounded to 9 decimals before the
ceiling, so that 0.3 x 10 (3.0000000000000004 in floating point) needs 3 items,
not 4. Coverage per service item is unchanged (:mod:`coverage.metrics.services`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..inputs.service_lists import item_key, service_lists_from_mapping
from ..inputs.tiers import TIERS, normalise_tier
from .services import service_items

__all__ = [
    "ServiceRule",
    "check_rule_lists",
    "service_lists_from_mapping",
    "service_rules_from_mapping",
    "station_service_rules",
]

_COLUMNS = [
    "service_list",
    "service_required",
    "service_handled",
    "service_share",
    "service_rule_pass",
    "service_missing",
]


@dataclass(frozen=True)
class ServiceRule:
    """Stations of ``tier`` handle at least ``at_least`` (a share) of the items of ``list``."""

    tier: str
    list: str
    at_least: float

    def required(self, n_items: int) -> int:
        """Items of a list of ``n_items`` a station must handle to pass.

        Examples
        --------
        >>> ServiceRule("township", "省级清单", 0.3).required(10)
        3
        >>> ServiceRule("township", "省级清单", 0.35).required(10)
        4
        """
        return math.ceil(round(self.at_least * n_items, 9))


def service_rules_from_mapping(value: Any) -> tuple[ServiceRule, ...]:
    """Validate ``service_rules``: tier -> ``{list: name, at_least: share}``.

    Parameters
    ----------
    value : mapping
        Tier (a code of :data:`~coverage.inputs.tiers.TIERS` or a Chinese alias) ->
        ``{list: <list name>, at_least: <share in (0, 1]>}``.

    Returns
    -------
    tuple of ServiceRule

    Raises
    ------
    ValueError
        On an unknown tier, a missing list name or a share outside (0, 1].

    Examples
    --------
    >>> service_rules_from_mapping({"村": {"list": "村级清单", "at_least": 1}})
    (ServiceRule(tier='village', list='村级清单', at_least=1.0),)
    """
    if not isinstance(value, Mapping) or not value:
        raise ValueError(
            "must map tiers to rules, e.g. {township: {list: 省级清单, at_least: 0.3}}"
        )
    rules: list[ServiceRule] = []
    for tier, rule in value.items():
        code = normalise_tier(tier)
        if code is None:
            raise ValueError(f"tier {tier!r} is not one of {', '.join(TIERS)} (or a Chinese alias)")
        if not isinstance(rule, Mapping) or set(rule) - {"list", "at_least"} or "list" not in rule:
            raise ValueError(
                f"rule of {tier!r} must be {{list: <list name>, at_least: <share>}}, got {rule!r}"
            )
        share = rule.get("at_least", 1.0)
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise ValueError(
                f"at_least of {tier!r} must be a share in (0, 1], e.g. 0.3, got {share!r}"
            )
        if any(r.tier == code for r in rules):
            raise ValueError(f"tier {tier!r} has two rules")
        rules.append(ServiceRule(code, str(rule["list"]).strip(), float(share)))
    return tuple(rules)


def check_rule_lists(
    rules: Sequence[ServiceRule], lists: Mapping[str, Sequence[str]], *, source: str
) -> None:
    """Raise ``ValueError`` when a rule names a list that is not given."""
    for rule in rules:
        if rule.list not in lists:
            known = ", ".join(lists) or "none"
            raise ValueError(
                f"{source}: the rule of {rule.tier} names the list {rule.list!r}, which is not "
                f"in service_lists (lists: {known})"
            )


def station_service_rules(
    stations: pd.DataFrame,
    lists: Mapping[str, Sequence[str]],
    rules: Sequence[ServiceRule],
) -> pd.DataFrame:
    """Each station's share of its tier's list, and whether it meets the rule.

    Parameters
    ----------
    stations : pandas.DataFrame
        Station table with ``tier`` and ``services`` columns (a station without
        ``services`` handles no item).
    lists : mapping of str to sequence of str
        List name -> items (:func:`service_lists_from_mapping`).
    rules : sequence of ServiceRule
        Rules by tier (:func:`service_rules_from_mapping`).

    Returns
    -------
    pandas.DataFrame
        Same index as ``stations``: ``service_list`` (the list of the station's tier;
        None for a tier without a rule), ``service_required`` (items needed),
        ``service_handled`` (items of the list it handles), ``service_share``
        (``handled / len(list)``), ``service_rule_pass`` (boolean; ``<NA>`` without a
        rule) and ``service_missing`` (the list's items it does not handle, in list
        order, joined by ``|``).

    Raises
    ------
    ValueError
        If a rule names a list not in ``lists``.
    """
    check_rule_lists(rules, lists, source="service_rules")
    by_tier = {r.tier: r for r in rules}
    offered = (
        stations["services"].tolist() if "services" in stations.columns else [None] * len(stations)
    )
    tiers = stations["tier"].astype(str).tolist() if "tier" in stations.columns else []
    rows = []
    for tier, services in zip(tiers or [""] * len(stations), offered, strict=True):
        rule = by_tier.get(tier)
        if rule is None:
            rows.append(
                {"service_list": None, "service_required": pd.NA, "service_handled": pd.NA,
                 "service_share": np.nan, "service_rule_pass": pd.NA, "service_missing": None}
            )  # fmt: skip
            continue
        items = lists[rule.list]
        have = {item_key(i) for i in service_items(services)}
        missing = [i for i in items if i not in have]
        handled = len(items) - len(missing)
        required = rule.required(len(items))
        rows.append(
            {
                "service_list": rule.list,
                "service_required": required,
                "service_handled": handled,
                "service_share": handled / len(items),
                "service_rule_pass": handled >= required,
                "service_missing": "|".join(missing),
            }
        )
    out = pd.DataFrame(rows, columns=_COLUMNS, index=stations.index)
    out["service_required"] = out["service_required"].astype("Int64")
    out["service_handled"] = out["service_handled"].astype("Int64")
    out["service_rule_pass"] = out["service_rule_pass"].astype("boolean")
    out["service_share"] = out["service_share"].astype(float)
    return out
