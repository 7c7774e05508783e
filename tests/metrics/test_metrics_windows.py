"""Time windows: a station counts only when open for the whole window."""

from __future__ import annotations

import numpy as np
import pytest

from coverage.engine.access import AccessModel
from coverage.inputs.hours import HoursError
from coverage.metrics.options import MetricOptions
from coverage.metrics.windows import open_intervals, open_throughout, stations_open

# The Comoros table lists eight sites twice, 1-24 m apart (tests/metrics/test_metrics_duplicates.py)
COMOROS_DUPLICATES = "ignore::coverage.metrics.duplicates.DuplicateStationWarning"

WINDOWS = {"工作日午间": "Mo-Fr 12:00-13:00", "周六上午": "Sa 09:00-11:00"}


def test_open_intervals_are_merged_seconds_of_the_year():
    spans = open_intervals("Mo 08:00-09:00")
    assert spans.shape == (52, 2)  # 2025 has 52 Mondays, the first on 6 January
    assert spans[0].tolist() == [(5 * 24 + 8) * 3600, (5 * 24 + 9) * 3600]
    # touching rules merge into one interval
    assert open_intervals("Mo 08:00-10:00,10:00-12:00")[0].tolist() == [
        (5 * 24 + 8) * 3600,
        (5 * 24 + 12) * 3600,
    ]
    # 1 January 2025 is a Wednesday; Tuesday 7 January runs on into Wednesday 01:00
    assert open_intervals("Tu 00:00-24:00; We 00:00-01:00")[:2].tolist() == [
        [0.0, 3600.0],
        [6 * 86400.0, 7 * 86400.0 + 3600],
    ]
    assert open_intervals("24/7").tolist() == [[0.0, 365 * 86400.0]]


@pytest.mark.parametrize(
    ("hours", "lunch", "saturday"),
    [
        ("Mo-Fr 08:30-17:00; Sa 08:30-11:30", True, True),
        ("Mo-Fr 08:30-17:00", True, False),  # closed on Saturday
        ("Mo-Fr 08:30-12:00,13:00-17:00; Sa 09:00-11:00", False, True),  # lunch break; exact
        ("Mo-Fr 08:30-12:30; Sa 09:30-11:30", False, False),  # part of each window only
        ("Mo-Th 08:00-18:00; Sa 08:00-12:00", False, True),  # not every weekday
        ("Jan-Jun Mo-Su 08:00-18:00", False, False),  # not every week of the year
        ("Mo-Fr 08:00-18:00 unknown; Sa 08:00-12:00", False, True),  # unknown is not open
        ("24/7", True, True),
        ("周一至周五 8:30-17:00；周六 8:30-11:30", True, True),
    ],
)
def test_open_for_the_whole_window(hours, lunch, saturday):
    masks = stations_open([hours], WINDOWS)
    assert masks["工作日午间"].tolist() == [lunch]
    assert masks["周六上午"].tolist() == [saturday]
    # the same by brute force over every minute of the year
    station, minute = open_intervals(hours), 60.0
    for name, expected in (("工作日午间", lunch), ("周六上午", saturday)):
        window = open_intervals(WINDOWS[name])
        probe = np.concatenate([np.arange(a, b, minute) for a, b in window])
        inside = np.zeros(probe.size, dtype=bool)
        for a, b in station:
            inside |= (probe >= a) & (probe < b)
        assert bool(inside.all()) == expected == open_throughout(station, window)


def test_stations_without_hours_follow_the_default():
    hours = ["Mo-Fr 08:00-18:00", None, ""]
    assert stations_open(hours, WINDOWS)["周六上午"].tolist() == [False, True, True]
    closed = stations_open(hours, WINDOWS, hours_default="closed")
    assert closed["周六上午"].tolist() == [False, False, False]
    assert closed["工作日午间"].tolist() == [True, False, False]


def test_bad_windows_are_named():
    with pytest.raises(HoursError, match=r"time window '午间'.*not understood"):
        stations_open([None], {"午间": "中午吃饭"})
    with pytest.raises(HoursError, match=r"time window 'never'.*never open"):
        stations_open([None], {"never": "2030 Mo 08:00-09:00"})


def _comoros_hours(stations, pbf) -> np.ndarray:
    """OSM opening_hours where a health site has them; a made-up schedule elsewhere.

    Hospitals are open around the clock, pharmacies Monday to Saturday 08:00-19:00,
    clinics, doctors and the rest on weekdays 07:30-15:30 only (closed on Saturday).
    """
    import geopandas as gpd

    from coverage.inputs.stations import read_osm_pois

    tags = {
        "amenity": ["hospital", "clinic", "doctors", "pharmacy", "dentist"],
        "healthcare": ["hospital", "clinic", "doctor", "centre", "pharmacy", "yes"],
    }
    pois = read_osm_pois(pbf, tags)
    tagged = pois[pois["hours"].notna()].to_crs(32738)
    near = gpd.sjoin_nearest(
        stations.to_crs(32738)[["geometry"]], tagged[["hours", "geometry"]], max_distance=25
    )
    osm = near.groupby(level=0)["hours"].first().reindex(stations.index)
    amenity, healthcare = stations["amenity"].fillna(""), stations["healthcare"].fillna("")
    made = np.where(
        amenity.eq("hospital") | healthcare.eq("hospital"),
        "24/7",
        np.where(
            amenity.eq("pharmacy") | healthcare.eq("pharmacy"),
            "Mo-Sa 08:00-19:00",
            "Mo-Fr 07:30-15:30",
        ),
    )
    return np.where(osm.notna(), osm, made)


@pytest.mark.filterwarnings(COMOROS_DUPLICATES)
# the Comoros table lists eight sites twice, 1-24 m apart (test_metrics_duplicates.py)
@pytest.mark.filterwarnings("ignore::coverage.metrics.duplicates.DuplicateStationWarning")
@pytest.mark.shared
def test_comoros_weekday_and_saturday(shared_data):
    from coverage import load_network, read_population, read_stations
    from coverage.compute import compute_coverage
    from coverage.metrics.service_plan import ServiceOptions

    comoros = shared_data / "comoros"
    pbf = comoros / "comores-latest.osm.pbf"
    stations = read_stations(comoros / "health.gpkg")
    stations["hours"] = _comoros_hours(stations, pbf)
    # one health site carries opening_hours in OSM: the traditional care centre
    assert (stations["hours"] == "Mo-Sa 08:30-15:30").sum() == 1
    network = load_network(pbf)
    population = read_population(comoros / "com_ppp_2020_UNadj.tif")
    windows = {"工作日上午": "Mo-Fr 09:00-11:00", "周六上午": "Sa 09:00-11:00"}
    res = compute_coverage(
        network,
        stations,
        population,
        AccessModel(mode=network.mode),
        options=MetricOptions(service=ServiceOptions(time_windows=windows)),
    )
    by = res.summary["coverage_by_window"]
    # every station is open on weekday mornings: the run's own coverage
    assert by["工作日上午"]["stations_open"] == 70
    assert by["工作日上午"]["population_covered"] == res.summary["population_covered"]
    # 16 clinics and doctors close on Saturday
    assert by["周六上午"]["stations_open"] == 54
    assert by["周六上午"]["coverage_share"] < by["工作日上午"]["coverage_share"]
    # independent: a whole run from the stations open on Saturday alone
    open_sat = res.stations["open_周六上午"].to_numpy()
    alone = compute_coverage(
        network,
        stations[open_sat].reset_index(drop=True),
        population,
        AccessModel(mode=network.mode),
    )
    assert by["周六上午"]["population_covered"] == pytest.approx(
        alone.summary["population_covered"], rel=1e-12
    )
    assert by["周六上午"]["coverage_share"] == pytest.approx(0.0712, abs=5e-4)
    assert by["工作日上午"]["coverage_share"] == pytest.approx(0.0735, abs=5e-4)
