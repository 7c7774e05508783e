"""Fixtures of the batch tests: generated regions and one Dask cluster per module."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "synthetic_regions.py"


def _load_generator():
    name = "coverage15_synthetic_regions"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _SCRIPT)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def synthetic():
    """The region generator of scripts/synthetic_regions.py."""
    return _load_generator()


#: Three small regions: (name, origin, stations); 8x6 street nodes 150 m apart.
THREE = (
    ("alpha", (114.00, 30.00), ((1, 1),)),
    ("beta", (114.05, 30.00), ((4, 3), (7, 5))),
    ("gamma", (114.10, 30.00), ((0, 0),)),
)


@pytest.fixture
def three_regions(tmp_path, synthetic):
    """A batch file over three generated regions; returns its path."""
    for k, (name, origin, stations) in enumerate(THREE):
        synthetic.write_region(
            tmp_path / name, name=name, origin=origin, nodes=(8, 6), stations=stations, seed=k
        )
    batch = tmp_path / "batch.yaml"
    batch.write_text(
        "out: out\n"
        "defaults:\n  minutes: [5, 10, 15]\n"
        "regions:\n" + "".join(f"  - {name}/region.yaml\n" for name, _, _ in THREE),
        encoding="utf-8",
    )
    return batch
