"""People left out of the headline: shares, and one warning per group above 0.5 %."""

from __future__ import annotations

import warnings

import pytest

from coverage.metrics.left_out import PopulationLeftOutWarning, left_out, warn_left_out


def test_shares_of_the_input_population():
    summary = {"population_input": 869_595.0, "population_outside_study_area": 47_717.0,
               "population_beyond_network_reach": 4_000.0}  # fmt: skip
    shares = left_out(summary)
    assert shares["population_outside_study_area_share"] == 47_717.0 / 869_595.0
    assert shares["population_beyond_network_reach_share"] == 4_000.0 / 869_595.0
    assert left_out({"population_input": 0.0}) == {
        "population_outside_study_area_share": None,
        "population_beyond_network_reach_share": None,
    }


@pytest.mark.parametrize(
    ("outside", "beyond", "expected"),
    [
        (5.0, 5.0, 0),  # exactly 0.5 %: not above
        (5.01, 0.0, 1),
        (0.0, 6.0, 1),
        (60.0, 6.0, 2),
    ],
)
def test_one_warning_per_group_above_half_a_percent(outside, beyond, expected):
    summary = {"population_input": 1000.0, "population_outside_study_area": outside,
               "population_beyond_network_reach": beyond, "study_area": "boundaries",
               "max_access_m": 5000.0}  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_left_out(summary, source="pop.tif")
    said = [str(w.message) for w in caught if w.category is PopulationLeftOutWarning]
    assert len(said) == expected
    if outside > 5.0:
        assert said[0].startswith(f"pop.tif: {outside:,.0f} residents ({outside / 1000:.1%} of ")
        assert "outside the study area (boundaries)" in said[0]
    if beyond > 5.0:
        assert "farther than 5,000 m from any road" in said[-1]


def test_share_beyond_reach_stays_a_share_of_the_input_after_official_totals():
    # no rescaling: population_total = input - outside, and the share is beyond / input
    plain = {"population_input": 1000.0, "population_outside_study_area": 200.0,
             "population_total": 800.0, "population_beyond_network_reach": 8.0}  # fmt: skip
    assert left_out(plain)["population_beyond_network_reach_share"] == pytest.approx(8 / 1000)
    # the study area rescaled to 1600 official residents: 16 of them beyond reach are 1 %
    # of the study area, which holds 80 % of the input
    scaled = dict(plain, population_total=1600.0, population_beyond_network_reach=16.0)
    assert left_out(scaled)["population_beyond_network_reach_share"] == pytest.approx(0.008)
    assert left_out(scaled)["population_outside_study_area_share"] == 0.2
