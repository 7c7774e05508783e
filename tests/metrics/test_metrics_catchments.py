"""Catchments (overall and by tier) and staffing rules at their boundaries."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from coverage.config import config_from_dict
from coverage.errors import ConfigError, InputError
from coverage.metrics.catchments import (
    DEFAULT_STAFF_RULES,
    StaffRule,
    staff_rules_from_mapping,
    staffing_table,
)

BASE = {"stations": "s.csv", "population": "p.tif", "network": "n.osm.pbf"}


def _stations(tiers, staff=None):
    data = {"tier": tiers}
    if staff is not None:
        data["staff"] = staff
    return gpd.GeoDataFrame(data)


@pytest.mark.parametrize(
    ("population", "staff"),
    [
        (0, 2),
        (49_999, 2),
        (50_000, 3),
        (99_999, 3),
        (100_000, 4),
        (149_999, 4),
        (150_000, 5),
        (2_000_000, 5),
    ],
)
def test_township_rule_boundaries(population, staff):
    table = staffing_table(_stations(["township"]), np.array([float(population)]))
    assert table["staff_recommended"].tolist() == [staff]


@pytest.mark.parametrize(("population", "staff"), [(0, 1), (2_999, 1), (3_000, 2), (90_000, 2)])
def test_village_rule_boundaries(population, staff):
    table = staffing_table(_stations(["Village"]), np.array([float(population)]))
    assert table["staff_recommended"].tolist() == [staff]


def test_tiers_without_a_rule_get_no_recommendation():
    table = staffing_table(_stations(["county", "partner-bank"]), np.array([1e5, 10.0]))
    assert table["staff_recommended"].isna().all()
    assert "capacity" not in table.columns


def test_capacity_flags_against_the_staff_column():
    stations = _stations(
        ["township", "township", "township", "village", "county", "village"],
        ["2", "2", " 5 ", "", "4", 2],
    )
    served = np.array([49_999.0, 50_000.0, 50_000.0, 10.0, 1e6, 3_000.0])
    table = staffing_table(stations, served)
    assert table["staff_recommended"].tolist()[:4] == [2, 3, 3, 1]
    assert table["staff_gap"].tolist()[:3] == [0, 1, -2]
    assert table["capacity"].tolist()[:3] == ["ok", "over", "under"]
    assert table["capacity"].isna().tolist()[3:5] == [True, True]  # no staff / no rule
    assert table["capacity"].tolist()[5] == "ok"


def test_bad_staff_cell_names_its_row():
    stations = _stations(["township", "township"], ["2", "two"])
    stations.attrs["source"] = "stations.csv"
    with pytest.raises(InputError, match=r"stations.csv: row 3: column 'staff' is 'two'"):
        staffing_table(stations, np.array([1.0, 1.0]))


def test_custom_rules_from_config():
    cfg = config_from_dict(
        {**BASE, "staffing": {"township": {0: 2, 30000: 3}, "partner-bank": {0: 0}}},
        base_dir=None,
    )
    assert cfg.staffing == (
        StaffRule("township", ((0.0, 2), (30000.0, 3))),
        StaffRule("partner-bank", ((0.0, 0),)),
    )
    assert config_from_dict(BASE, base_dir=None).staffing == DEFAULT_STAFF_RULES
    with pytest.raises(ConfigError, match="tier 'village' needs a step from population 0"):
        config_from_dict({**BASE, "staffing": {"village": {100: 1}}}, base_dir=None)
    with pytest.raises(ValueError, match=r"staff 1\.5 is not a whole number"):
        staff_rules_from_mapping({"village": {0: 1.5}})


def test_catchments_overall_and_by_tier(line_world):
    res = line_world.run(
        catchment_by_tier=True,
    )
    s = res.stations.set_index("id")
    # A serves k = 0..15 (east 160 + west 150), B serves k = 16..44 (290)
    assert s["catchment_population"].tolist() == [310, 290]
    # A's covered residents: k = 0..8 -> 240; B's: k = 23..39 -> 170
    assert s["catchment_covered"].tolist() == [240, 170]
    # each tier has one station, so it is everyone's nearest station of its tier
    assert s["tier_catchment_population"].tolist() == [600, 600]
    assert s["tier_catchment_covered"].tolist() == [240, 170]  # A alone: k <= 8; B: k = 23..39
    assert set(res.tier_point_station) == {"township", "village"}
    assert (res.tier_point_station["township"] == 0).all()
    assert res.tier_point_minutes["township"].max() == pytest.approx(6.5 + 44)
    # staffing uses the tier catchments: township 600 -> 2 staff (has 2), village 600 -> 1 (has 3)
    assert s["staff_recommended"].tolist() == [2, 1]
    assert s["capacity"].tolist() == ["ok", "under"]
    assert res.summary["catchment_by_tier"] is True


def test_catchment_by_tier_is_off_by_default(line_result):
    res = line_result
    assert "tier_catchment_population" not in res.stations.columns
    assert res.tier_point_station == {}
    assert res.stations["staff_recommended"].tolist() == [2, 1]
