"""Fixtures of the planning tests: a grid region with two units and dated targets."""

from __future__ import annotations

import warnings

import pytest
from fixtures.browser import chromium, screenshot_dir  # noqa: F401 (fixtures)

from coverage import load_config, run_coverage
from coverage.metrics.duplicates import DuplicateStationWarning
from coverage.metrics.left_out import PopulationLeftOutWarning


@pytest.fixture(scope="module")
def plan_case(tmp_path_factory):
    """A 7 x 7 grid, 2 minutes a block, 5-minute threshold; stations S1 (1, 1), S2 (5, 5).

    Units: ``west`` (columns 0-2) and ``east`` (3-6); a unit counts as covered at 60 %
    of its residents; targets: half the units by 2025, all by 2026. At the start only
    ``east`` is covered (60.1 %; ``west`` 21.5 %).
    """
    from fixtures.synthetic import lattice_lonlat, make_grid_case

    case = make_grid_case(
        tmp_path_factory.mktemp("plan"),
        n=7,
        station_nodes=[(1, 1), (5, 5)],
        minutes=[5.0],
        boundaries=True,
    )
    with case.config.open("a", encoding="utf-8") as f:
        f.write("targets: {unit: {2025: 0.5, 2026: 1.0}}\nunit_covered_share: 0.6\n")
        f.write("lang: zh\nbasemap: none\n")
    lon, lat = lattice_lonlat(case.n, case.spacing_m)
    case.extra.update(lon=lon, lat=lat, result=run_coverage(load_config(case.config)))
    return case


@pytest.fixture(scope="session")
def comoros_plan(shared_data, tmp_path_factory):
    """The Comoros run (islands, villages, targets; Chinese) and its configuration."""
    from fixtures.comoros import write_comoros_config

    config = write_comoros_config(tmp_path_factory.mktemp("comoros-plan"), shared_data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DuplicateStationWarning)  # 8 sites listed twice
        warnings.simplefilter("ignore", PopulationLeftOutWarning)  # people at sea, off the islands
        result = run_coverage(load_config(config))
    return config, result
