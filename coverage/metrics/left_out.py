"""Residents the headline leaves out, said aloud.

Two groups of the input population never count as covered: people outside the study
area (cells whose centre lies outside the units or the network's extent, left out of
every figure) and people beyond the network's reach (farther than ``max_access_m``
from any road they can reach without crossing water: in the population, but
unreachable; ``population_beyond_network_reach_by_water`` counts those of them with a
road within ``max_access_m`` across water). When either is more than
:data:`WARN_SHARE` of the input population, a run says so once with
:class:`PopulationLeftOutWarning`, and ``summary.json``, the report's headline and the
batch index state both.

Examples
--------
>>> figures = left_out({"population_input": 1000.0, "population_outside_study_area": 55.0,
...                     "population_beyond_network_reach": 2.0})
>>> figures["population_outside_study_area_share"], figures["population_beyond_network_reach_share"]
(0.055, 0.002)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

__all__ = ["LEFT_OUT", "WARN_SHARE", "PopulationLeftOutWarning", "left_out", "warn_left_out"]

#: Above this share of the input population, people left out are warned about.
WARN_SHARE = 0.005

#: The summary keys of the people left out, in the order they are stated.
LEFT_OUT = ("population_outside_study_area", "population_beyond_network_reach")


class PopulationLeftOutWarning(UserWarning):
    """More than 0.5 % of the input population is outside the study area or out of reach."""


def left_out(summary: Mapping[str, Any]) -> dict[str, float | None]:
    """The share of the input population each group left out holds.

    Parameters
    ----------
    summary : mapping
        A run's summary with ``population_input`` and the keys of :data:`LEFT_OUT`
        (a missing key counts as nobody).

    Returns
    -------
    dict
        ``<key>_share`` for each key of :data:`LEFT_OUT`: people / input population
        (None when the input holds nobody). With ``population_total``, the share beyond
        reach is taken within the study area and scaled by its share of the input, so it
        stays a share of the input when the study area was rescaled to official totals.
    """
    total = float(summary.get("population_input") or 0.0)
    if total <= 0:
        return {f"{key}_share": None for key in LEFT_OUT}
    outside = float(summary.get("population_outside_study_area") or 0.0)
    beyond = float(summary.get("population_beyond_network_reach") or 0.0)
    inside = summary.get("population_total")
    if inside is not None and float(inside) > 0:
        # the study area's share of the input, times the share of its residents beyond
        # reach: beyond / input exactly, and still a share of the input when the study
        # area was rescaled to official totals (beyond counts rescaled people)
        beyond_share = beyond / float(inside) * (total - outside) / total
    else:
        beyond_share = beyond / total
    return {
        "population_outside_study_area_share": outside / total,
        "population_beyond_network_reach_share": beyond_share,
    }


def warn_left_out(summary: Mapping[str, Any], *, source: str = "population") -> None:
    """Warn once per group left out that holds more than :data:`WARN_SHARE` of the input.

    Parameters
    ----------
    summary : mapping
        As for :func:`left_out`, with ``study_area`` and ``max_access_m`` when known.
    source : str
        The population file, for the message.

    Warns
    -----
    PopulationLeftOutWarning
        Naming the people and their share of the input population.
    """
    shares = left_out(summary)
    total = float(summary.get("population_input") or 0.0)
    area = summary.get("study_area") or "study area"
    reach = summary.get("max_access_m")
    advice = {
        "population_outside_study_area": (
            f"live outside the study area ({area}) and are left out of every figure; "
            "check that the boundaries cover the county's population, or ignore this if "
            "the raster reaches beyond the county"
        ),
        "population_beyond_network_reach": (
            f"live farther than {'max_access_m' if reach is None else f'{reach:,.0f} m'} "
            "from any road and count as unreachable; check that the network covers them "
            "or raise max_access_m"
        ),
    }
    water = float(summary.get("population_beyond_network_reach_by_water") or 0.0)
    if water > 0:
        advice["population_beyond_network_reach"] = (
            f"have no road within {'max_access_m' if reach is None else f'{reach:,.0f} m'} "
            f"they can reach without crossing water and count as unreachable ({water:,.0f} "
            "of them have a road that near, but only across water: a bridge or ferry "
            "missing from the network, or water drawn over their homes); check that the "
            "network covers them or raise max_access_m"
        )
    for key in LEFT_OUT:
        share = shares[f"{key}_share"]
        if share is not None and share > WARN_SHARE:
            people = float(summary.get(key) or 0.0)
            warnings.warn(
                PopulationLeftOutWarning(
                    f"{source}: {people:,.0f} residents ({share:.1%} of the {total:,.0f} "
                    f"in the population input) {advice[key]}"
                ),
                stacklevel=2,
            )
