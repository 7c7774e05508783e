"""Siting on the real Comoros data: OSM partner candidates, every populated cell as demand."""

from __future__ import annotations

import pytest

from coverage.config import config_from_dict
from coverage.siting.candidates import PARTNER_TAGS
from coverage.siting.plan import run_siting

pytestmark = pytest.mark.shared


def test_comoros_exact_siting_beats_greedy_and_keeps_existing(shared_data):
    folder = shared_data / "comoros"
    config = config_from_dict(
        {
            "name": "comoros",
            "stations": str(folder / "health.gpkg"),
            "population": str(folder / "com_ppp_2020_UNadj.tif"),
            "network": str(folder / "comores-latest.osm.pbf"),
            "minutes": 15,
        },
        base_dir=None,
    )
    result = run_siting(config, candidates=["osm"], add=5)
    s = result.summary
    # WorldPop 2020 for Comoros sums to 869,595 people (SOURCES.txt)
    assert s["population_total"] == pytest.approx(869_595, rel=1e-4)
    assert s["before"]["stations"] == 70 and s["after"]["stations"] == 75
    assert s["status"] == "optimal" and s["mip_gap"] <= 1e-6
    assert s["after"]["population_covered"] > s["before"]["population_covered"]
    assert s["greedy"]["newly_covered_population"] <= s["newly_covered_population"] + 1e-6
    assert s["candidates"]["total"] > 150  # banks, post offices, government offices
    assert set(result.sites["type"]) <= set(PARTNER_TAGS)
    assert result.sites["id"].str.match(r"^(node|way|relation)/\d+$").all()
    # criticality: closing one station never costs more than it reaches
    crit = result.criticality
    assert len(crit) == 70
    assert (crit["population_critical"] <= crit["population_reached"] + 1e-9).all()
    assert crit["population_critical"].sum() <= s["before"]["population_covered"] + 1e-6
