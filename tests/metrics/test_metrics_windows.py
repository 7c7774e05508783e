"""Time windows: a station counts only when open for the whole window."""

from __future__ import annotations

import numpy as np
import pytest

from coverage.inputs.hours import HoursError
from coverage.metrics.windows import open_intervals, open_throughout, stations_open

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
