"""Tier rules: each unit of a level must hold at least N stations of a tier.

The policy papers ask for "a service station in every township or street" and "a
service point in every village or community". Such a rule is read from the
``require`` configuration key::

    require:
      township: {tier: township, at_least: 1}
      village: {tier: village, at_least: 1}

A station counts in the unit whose polygon contains it (the first one on overlaps,
as for residents). Tiers are the codes of :mod:`coverage.inputs.tiers` (aliases such
as ``乡镇`` are accepted). The rule applies to the units of the level that have
residents, the same units the targets count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..inputs.tiers import normalise_tier

__all__ = ["TierRule", "tier_counts", "tier_rules_from_mapping"]


@dataclass(frozen=True)
class TierRule:
    """Every populated unit of ``level`` holds at least ``at_least`` stations of ``tier``.

    Attributes
    ----------
    level : str
        Unit level (``township``, ``village``, or ``unit`` for a single set).
    tier : str
        Tier code (:data:`coverage.inputs.tiers.TIERS`).
    at_least : int
        Least number of stations of that tier per unit (>= 1).
    """

    level: str
    tier: str
    at_least: int


def tier_rules_from_mapping(data: Any) -> tuple[TierRule, ...]:
    """Tier rules from their configuration form.

    Parameters
    ----------
    data : mapping or sequence of TierRule
        ``{level: {tier: code, at_least: N}, ...}``; ``at_least`` defaults to 1.
        A sequence of :class:`TierRule` is returned as a tuple.

    Returns
    -------
    tuple of TierRule
        In the given order.

    Raises
    ------
    ValueError
        Naming every malformed level, tier or count.

    Examples
    --------
    >>> tier_rules_from_mapping({"township": {"tier": "乡镇", "at_least": 1}})
    (TierRule(level='township', tier='township', at_least=1),)
    """
    if isinstance(data, (list, tuple)) and all(isinstance(r, TierRule) for r in data):
        return tuple(data)
    example = "{township: {tier: township, at_least: 1}}"
    if not isinstance(data, Mapping):
        raise ValueError(f"must map each unit level to {{tier: ..., at_least: N}}, e.g. {example}")
    out: list[TierRule] = []
    problems: list[str] = []
    for level, rule in data.items():
        if not isinstance(rule, Mapping) or "tier" not in rule:
            problems.append(f"level '{level}' needs {{tier: ..., at_least: N}}, e.g. {example}")
            continue
        extra = sorted(set(map(str, rule)) - {"tier", "at_least"})
        if extra:
            problems.append(f"level '{level}': unknown key(s) {', '.join(extra)}")
            continue
        tier = normalise_tier(rule["tier"])
        if tier is None:
            problems.append(
                f"level '{level}': tier {rule['tier']!r} is not a known tier "
                "(county, township, village, partner-bank, ...)"
            )
            continue
        count = rule.get("at_least", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            problems.append(f"level '{level}': at_least must be a whole number >= 1, got {count!r}")
            continue
        out.append(TierRule(str(level), tier, int(count)))
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(out)


def tier_counts(
    unit_of_station: np.ndarray, tiers: Sequence[str], tier: str, n_units: int
) -> np.ndarray:
    """Stations of ``tier`` in each unit.

    Parameters
    ----------
    unit_of_station : numpy.ndarray
        Unit index of each station (-1: in none).
    tiers : sequence of str
        Tier code of each station.
    tier : str
        The tier counted.
    n_units : int
        Number of units.

    Returns
    -------
    numpy.ndarray
        int64 count per unit.

    Examples
    --------
    >>> tier_counts(np.array([0, 0, 1, -1]), ["township", "village", "township", "township"],
    ...             "township", 3).tolist()
    [1, 1, 0]
    """
    unit = np.asarray(unit_of_station, dtype=np.int64)
    mine = (np.asarray(list(tiers), dtype=object) == tier) & (unit >= 0)
    return np.bincount(unit[mine], minlength=n_units).astype(np.int64)
