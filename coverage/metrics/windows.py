"""Coverage in time windows: only the stations open for the whole window count.

A time window is written in OSM ``opening_hours`` syntax, like a station's hours:
``Mo-Fr 12:00-13:00`` is the lunch hour of every weekday, ``Sa 09:00-11:00`` every
Saturday morning. A station serves a window when it is open at **every instant** of
it: each of the window's open intervals over a reference year (:data:`REFERENCE_YEAR`,
local time, no public-holiday calendar) lies inside one of the station's open
intervals. A station open 08:30-11:30 does not serve ``Sa 09:00-12:00``; a station
closed in July and August does not serve a window that includes summer Saturdays.
Hours marked ``unknown`` count as closed. Stations without hours are always open,
or never with ``hours_default="closed"``.

Coverage in a window is one multi-source search from the stations open in it
(:class:`~coverage.metrics.subsets.SubsetSearch`); windows with the same open
stations share one search, and a window in which every station is open reuses the
run's own travel times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from ..inputs.hours import HoursError, hours_to_osm, parse_hours
from .subsets import SubsetSearch, reach_figures

__all__ = [
    "HOURS_DEFAULTS",
    "REFERENCE_YEAR",
    "open_intervals",
    "open_throughout",
    "stations_open",
    "window_coverage",
]

#: The year whose calendar windows and hours are evaluated over (seasons, weekdays).
REFERENCE_YEAR = 2025
#: What a station without hours means: open at all times, or never open.
HOURS_DEFAULTS = ("open", "closed")


@lru_cache(maxsize=4096)
def open_intervals(hours: str, *, year: int = REFERENCE_YEAR) -> np.ndarray:
    """The open intervals of some hours over one year, merged where they touch.

    Parameters
    ----------
    hours : str
        OSM ``opening_hours`` syntax or a Chinese form (:mod:`coverage.inputs.hours`).
    year : int
        The calendar year evaluated.

    Returns
    -------
    numpy.ndarray
        ``(k, 2)`` float seconds since 1 January 00:00 of ``year``: start and end of
        each open interval, ascending and disjoint.

    Raises
    ------
    HoursError
        If the hours cannot be read.

    Examples
    --------
    >>> open_intervals("Mo 08:00-09:00", year=2025)[:2] / 3600  # 6 and 13 January
    array([[128., 129.],
           [296., 297.]])
    """
    from opening_hours import State

    start = dt.datetime(year, 1, 1)
    end = dt.datetime(year + 1, 1, 1)
    spans: list[list[float]] = []
    for a, b, state, _comment in parse_hours(hours).intervals(start, end):
        if state != State.OPEN:
            continue
        lo, hi = (a - start).total_seconds(), (min(b, end) - start).total_seconds()
        if spans and lo <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], hi)
        elif hi > lo:
            spans.append([lo, hi])
    out = np.array(spans, dtype=float).reshape(-1, 2)
    out.setflags(write=False)
    return out


def open_throughout(station: np.ndarray, window: np.ndarray) -> bool:
    """Whether every window interval lies inside one open interval of the station.

    Parameters
    ----------
    station, window : numpy.ndarray
        ``(k, 2)`` open intervals from :func:`open_intervals` (ascending, disjoint).

    Returns
    -------
    bool
    """
    if window.shape[0] == 0:
        return True
    if station.shape[0] == 0:
        return False
    idx = np.searchsorted(station[:, 0], window[:, 0], side="right") - 1
    inside = (idx >= 0) & (station[np.maximum(idx, 0), 1] >= window[:, 1])
    return bool(inside.all())


def stations_open(
    hours: Sequence[str | None],
    windows: Mapping[str, str],
    *,
    hours_default: str = "open",
    year: int = REFERENCE_YEAR,
) -> dict[str, np.ndarray]:
    """Which stations are open for the whole of each window.

    Parameters
    ----------
    hours : sequence of str or None
        Each station's hours (None or empty: no hours given).
    windows : mapping of str to str
        Window name -> hours of the window (OSM syntax or a Chinese form), e.g.
        ``{"工作日午间": "Mo-Fr 12:00-13:00"}``.
    hours_default : {"open", "closed"}
        A station without hours is always open, or never open.
    year : int
        Reference year (:data:`REFERENCE_YEAR`).

    Returns
    -------
    dict of str to numpy.ndarray
        Window name -> boolean mask over the stations.

    Raises
    ------
    HoursError
        If a window's or a station's hours cannot be read, or a window is never open
        in the reference year.
    """
    if hours_default not in HOURS_DEFAULTS:
        raise ValueError(f"hours_default must be 'open' or 'closed', got {hours_default!r}")
    spans: dict[str, np.ndarray] = {}
    for name, text in windows.items():
        try:
            spans[name] = open_intervals(hours_to_osm(text), year=year)
        except HoursError as exc:
            raise HoursError(f"time window {name!r}: {exc}") from None
        if spans[name].shape[0] == 0:
            raise HoursError(
                f"time window {name!r} ({text}) is never open in {year}; give its days and "
                "times, e.g. Mo-Fr 12:00-13:00"
            )
    given = [None if h is None or h != h or not str(h).strip() else str(h) for h in hours]
    codes, texts = pd.factorize(pd.Series(given, dtype=object))  # one evaluation per text
    masks = {name: np.zeros(len(given), dtype=bool) for name in windows}
    for k, text in enumerate(texts):
        station = open_intervals(str(text), year=year)
        for name, window in spans.items():
            if open_throughout(station, window):
                masks[name] |= codes == k
    missing = codes < 0
    for name in windows:
        if hours_default == "open":
            masks[name] |= missing
    return masks


def window_coverage(
    search: SubsetSearch,
    masks: Mapping[str, np.ndarray],
    windows: Mapping[str, str],
    population: np.ndarray,
    threshold: float,
    *,
    all_open: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Coverage in each window: one search from the stations open in it.

    Parameters
    ----------
    search : SubsetSearch
        The network and the access legs of the stations and demand points.
    masks : mapping of str to numpy.ndarray
        Window -> stations open for the whole window (:func:`stations_open`).
    windows : mapping of str to str
        Window -> its hours (for the table).
    population : numpy.ndarray
        People per demand point.
    threshold : float
        Coverage threshold in minutes.
    all_open : tuple of numpy.ndarray, optional
        ``(minutes, station)`` of the search from every station (the run's own), used
        for windows in which every station is open.

    Returns
    -------
    table : pandas.DataFrame
        One row per window: ``window``, ``hours``, ``stations_open``,
        ``population_covered``, ``coverage_share``, ``mean_minutes``
        (population-weighted, residents who reach an open station; NaN if none),
        ``unreachable_population``.
    minutes : dict of str to numpy.ndarray
        Window -> minutes per demand point to the nearest open station (inf: none).
    station : dict of str to numpy.ndarray
        Window -> index of that station in the full table (-1: none).
    """
    done: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
    minutes: dict[str, np.ndarray] = {}
    station: dict[str, np.ndarray] = {}
    rows = []
    for name, mask in masks.items():
        key = np.asarray(mask, dtype=bool).tobytes()
        if key not in done:
            done[key] = all_open if all_open is not None and mask.all() else search.minutes(mask)
        minutes[name], station[name] = done[key]
        rows.append(
            {
                "window": name,
                "hours": hours_to_osm(windows[name]),
                "stations_open": int(np.count_nonzero(mask)),
                **reach_figures(population, minutes[name], threshold),
            }
        )
    columns = [
        "window",
        "hours",
        "stations_open",
        "population_covered",
        "coverage_share",
        "mean_minutes",
        "unreachable_population",
    ]
    return pd.DataFrame(rows, columns=columns), minutes, station
