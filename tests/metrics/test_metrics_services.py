"""Coverage per service item, one search per item."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from coverage.metrics.services import service_items, station_services


@pytest.mark.parametrize(
    ("value", "items"),
    [
        ("参保登记、异地就医备案", ["参保登记", "异地就医备案"]),
        ("a, b；c;d，e|f\ng", ["a", "b", "c", "d", "e", "f", "g"]),
        (["缴费", " 缴费 ", "", "报销"], ["缴费", "报销"]),
        (np.array(["x", "y"]), ["x", "y"]),
        (None, []),
        (float("nan"), []),
        ("", []),
    ],
)
def test_service_items_from_lists_and_text(value, items):
    assert service_items(value) == items


def test_station_services_masks():
    stations = gpd.GeoDataFrame({"services": ["b、a", ["a"], None]})
    masks = station_services(stations)
    assert list(masks) == ["b", "a"]
    assert masks["a"].tolist() == [True, True, False]
    assert station_services(gpd.GeoDataFrame({"tier": ["x"]})) == {}


def test_service_coverage_on_the_line_world(line_world, line_result):
    res = line_result
    s = res.services.set_index("service")
    assert list(s.index) == ["参保登记", "异地就医备案"]
    assert s["stations"].tolist() == [2, 1]
    # offered by both stations: the overall coverage, 410 of 600
    assert s.loc["参保登记", "population_covered"] == 410
    assert s.loc["参保登记", "coverage_share"] == pytest.approx(res.coverage_share)
    # only at A: 6.5 + k minutes, covered k <= 8 -> 240 of 600
    assert s.loc["异地就医备案", "population_covered"] == 240
    assert s.loc["异地就医备案", "coverage_share"] == pytest.approx(0.4)
    people = line_world.cells()
    expected_mean = (people["people"] * (6.5 + people["k"])).sum() / 600
    assert s.loc["异地就医备案", "mean_minutes"] == pytest.approx(expected_mean)
    assert res.summary["services"][1]["coverage_share"] == pytest.approx(0.4)


def test_no_services_column(line_world):
    stations = line_world.stations.drop(columns="services")
    res = line_world.run(stations=stations)
    assert res.services.empty
    assert res.summary["services"] == []
