"""Policy targets: the share of units that must be covered by a given year.

The policy papers set targets such as "township 15-minute circles: 40% by end-2023,
all by end-2024". A target is read as a share of the *units* of a level (townships,
villages) that count as covered (see :mod:`coverage.metrics.units`), out of the units
that have residents. It is **met** when ``units_covered / units >= share``; the units
still to cover are ``ceil(share * units) - units_covered`` (0 when met).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import InputError

__all__ = ["Target", "target_verdicts", "targets_from_mapping"]

# slack for shares given as decimals (0.3 * 10 is 3.0000000000000004)
_TOL = 1e-9


@dataclass(frozen=True)
class Target:
    """One target: by ``year``, ``share`` of the units of ``level`` are covered.

    Attributes
    ----------
    level : str
        Unit level (``township``, ``village``, or ``unit`` for a single set).
    year : int
        The year the target is for.
    share : float
        Share of the populated units to be covered, in (0, 1].
    """

    level: str
    year: int
    share: float


def targets_from_mapping(data: Any) -> tuple[Target, ...]:
    """Targets from their configuration form.

    Parameters
    ----------
    data : mapping or sequence of Target
        ``{level: {year: share, ...}, ...}``, e.g.
        ``{"township": {2023: 0.4, 2024: 1.0}}``; shares are fractions in (0, 1].
        A sequence of :class:`Target` is returned as a tuple.

    Returns
    -------
    tuple of Target
        Sorted by level (in the given order) then year.

    Raises
    ------
    ValueError
        Naming every malformed level, year or share.

    Examples
    --------
    >>> targets_from_mapping({"village": {2024: 1, 2023: 0.3}})
    (Target(level='village', year=2023, share=0.3), Target(level='village', year=2024, share=1.0))
    """
    if isinstance(data, (list, tuple)) and all(isinstance(t, Target) for t in data):
        return tuple(data)
    if not isinstance(data, Mapping):
        raise ValueError(
            "must map each unit level to {year: share}, e.g. "
            "{township: {2023: 0.4, 2024: 1.0}, village: {2023: 0.3, 2024: 1.0}}"
        )
    out: list[Target] = []
    problems: list[str] = []
    for level, years in data.items():
        if not isinstance(years, Mapping) or not years:
            problems.append(f"level '{level}' needs {{year: share, ...}}")
            continue
        mine = []
        for year, share in years.items():
            text = str(year).strip()
            if isinstance(year, bool) or not text.isdigit():
                problems.append(f"level '{level}': {year!r} is not a year")
                continue
            if isinstance(share, bool) or not isinstance(share, (int, float)):
                problems.append(f"level '{level}' {text}: share {share!r} is not a number")
                continue
            if not 0 < share <= 1:
                problems.append(
                    f"level '{level}' {text}: share {share!r} must lie in (0, 1], e.g. 0.4 for 40%"
                )
                continue
            mine.append(Target(str(level), int(text), float(share)))
        out.extend(sorted(mine, key=lambda t: t.year))
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(out)


def target_verdicts(
    levels: Mapping[str, Mapping[str, Any]], targets: Sequence[Target]
) -> pd.DataFrame:
    """Whether each target is met, and how many units are still to cover.

    Parameters
    ----------
    levels : mapping
        Level -> its summary from :func:`coverage.metrics.units.level_summary`
        (``units_populated`` and ``units_covered`` are used).
    targets : sequence of Target
        The targets.

    Returns
    -------
    pandas.DataFrame
        One row per target: ``level``, ``year``, ``target_share``, ``units`` (with
        residents), ``units_covered``, ``share_units_covered``, ``units_required``
        (``ceil(target_share * units)``), ``units_to_cover`` and ``met``.

    Raises
    ------
    InputError
        If a target names a level that has no units in the run.

    Examples
    --------
    >>> lv = {"township": {"units_populated": 10, "units_covered": 4}}
    >>> v = target_verdicts(lv, targets_from_mapping({"township": {2023: 0.4, 2024: 1.0}}))
    >>> v[["year", "met", "units_to_cover"]].values.tolist()
    [[2023, True, 0], [2024, False, 6]]
    """
    columns = [
        "level",
        "year",
        "target_share",
        "units",
        "units_covered",
        "share_units_covered",
        "units_required",
        "units_to_cover",
        "met",
    ]
    rows = []
    for target in targets:
        if target.level not in levels:
            known = ", ".join(levels) or "none: no boundaries were given"
            raise InputError(
                f"targets: level '{target.level}' has no units in this run (levels: {known}); "
                "give boundaries for it or remove its targets"
            )
        summary = levels[target.level]
        units = int(summary["units_populated"])
        covered = int(summary["units_covered"])
        required = math.ceil(target.share * units - _TOL)
        rows.append(
            {
                "level": target.level,
                "year": target.year,
                "target_share": target.share,
                "units": units,
                "units_covered": covered,
                "share_units_covered": covered / units if units else float("nan"),
                "units_required": required,
                "units_to_cover": max(required - covered, 0),
                "met": covered >= required,
            }
        )
    return pd.DataFrame(rows, columns=columns)
