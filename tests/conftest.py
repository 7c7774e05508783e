"""Shared fixtures. Topic fixtures live in tests/fixtures/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("COVERAGE15_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data sets in ../shared/data (skips the test where they are absent)."""
    if not (SHARED_DATA / "comoros").is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (set COVERAGE15_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def grid_case(tmp_path):
    """Factory: ``grid_case(**kwargs)`` writes a hand-solvable grid region.

    See ``fixtures/synthetic.py`` for the layout and the exact answers.
    """
    from fixtures.synthetic import make_grid_case

    counter = iter(range(1000))

    def make(**kwargs):
        return make_grid_case(tmp_path / f"grid{next(counter)}", **kwargs)

    return make


def _hypothesis_profiles() -> None:
    """`make test` runs a bounded number of examples; `make fuzz` many more."""
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.register_profile(
        "fuzz", max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck)
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


_hypothesis_profiles()


@pytest.fixture(autouse=True, scope="session")
def _graph_cache_in_tmp(tmp_path_factory):
    """Runs cache parsed road graphs; in tests, in a temporary folder, never the user's."""
    folder = tmp_path_factory.mktemp("graph-cache")
    previous = os.environ.get("COVERAGE15_CACHE_DIR")
    os.environ["COVERAGE15_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("COVERAGE15_CACHE_DIR", None)
    else:
        os.environ["COVERAGE15_CACHE_DIR"] = previous
