"""Policy targets: verdicts, units still to cover, configuration and outputs."""

from __future__ import annotations

import pandas as pd
import pytest

from coverage.config import config_from_dict
from coverage.errors import ConfigError, InputError
from coverage.metrics.targets import Target, target_verdicts, targets_from_mapping

BASE = {"stations": "s.csv", "population": "p.tif", "network": "n.osm.pbf"}


def test_verdicts_and_units_to_cover():
    levels = {
        "township": {"units_populated": 10, "units_covered": 4},
        "village": {"units_populated": 200, "units_covered": 59},
    }
    targets = targets_from_mapping(
        {"township": {2023: 0.40, 2024: 1.0}, "village": {2023: 0.30, 2024: 1.0}}
    )
    v = target_verdicts(levels, targets)
    assert v[["level", "year", "met", "units_required", "units_to_cover"]].values.tolist() == [
        ["township", 2023, True, 4, 0],
        ["township", 2024, False, 10, 6],
        ["village", 2023, False, 60, 1],  # 0.3 * 200 = 60 (not 60.000000000000004 -> 61)
        ["village", 2024, False, 200, 141],
    ]
    assert v.loc[0, "share_units_covered"] == 0.4


def test_share_just_below_target_is_not_met():
    v = target_verdicts(
        {"unit": {"units_populated": 7, "units_covered": 2}},
        (Target("unit", 2025, 0.3),),  # 0.3 * 7 = 2.1 -> 3 units needed
    )
    assert not v.loc[0, "met"] and v.loc[0, "units_to_cover"] == 1


def test_target_for_a_missing_level_names_it():
    with pytest.raises(InputError, match="level 'village' has no units in this run"):
        target_verdicts({"township": {"units_populated": 1, "units_covered": 1}},
                        (Target("village", 2023, 0.3),))  # fmt: skip


def test_config_targets_parsed_and_validated():
    cfg = config_from_dict({**BASE, "targets": {"township": {"2024": 1, 2023: 0.4}}}, base_dir=None)
    assert cfg.targets == (Target("township", 2023, 0.4), Target("township", 2024, 1.0))
    assert config_from_dict(BASE, base_dir=None).targets == ()
    assert cfg.replace(minutes=10).targets == cfg.targets
    with pytest.raises(ConfigError) as err:
        config_from_dict(
            {**BASE, "targets": {"township": {2023: 40, "next": 0.5}, "village": 0.3}},
            base_dir=None,
        )
    message = str(err.value)
    assert "share 40 must lie in (0, 1], e.g. 0.4 for 40%" in message
    assert "'next' is not a year" in message
    assert "level 'village' needs {year: share, ...}" in message


def test_targets_on_the_line_world(line_world):
    res = line_world.run(
        targets=targets_from_mapping({"village": {2023: 0.25, 2024: 1.0}, "township": {2024: 0.5}}),
    )
    got = res.targets[["level", "year", "units", "units_covered", "met", "units_to_cover"]]
    assert got.values.tolist() == [
        ["village", 2023, 4, 1, True, 0],
        ["village", 2024, 4, 1, False, 3],
        ["township", 2024, 2, 0, False, 1],
    ]
    assert res.summary["targets"][1] == {
        "level": "village",
        "year": 2024,
        "target_share": 1.0,
        "units": 4,
        "units_covered": 1,
        "share_units_covered": 0.25,
        "units_required": 4,
        "units_to_cover": 3,
        "met": False,
    }
    assert isinstance(res.targets, pd.DataFrame)


def test_other_new_config_keys():
    cfg = config_from_dict(BASE, base_dir=None)
    assert (cfg.unit_covered_share, cfg.catchment_by_tier, cfg.gap_min_population) == (
        0.9,
        False,
        0.0,
    )
    cfg = config_from_dict(
        {**BASE, "unit_covered_share": 1, "catchment_by_tier": True, "gap_min_population": 50},
        base_dir=None,
    )
    assert (cfg.unit_covered_share, cfg.catchment_by_tier, cfg.gap_min_population) == (
        1.0,
        True,
        50.0,
    )
    with pytest.raises(ConfigError) as err:
        config_from_dict(
            {
                **BASE,
                "unit_covered_share": 90,
                "catchment_by_tier": "yes",
                "gap_min_population": -1,
            },
            base_dir=None,
        )
    message = str(err.value)
    assert "'unit_covered_share' must be a share in (0, 1], e.g. 0.9 for 90%" in message
    assert "'catchment_by_tier' must be true or false" in message
    assert "'gap_min_population' must be a finite number >= 0, got -1" in message
