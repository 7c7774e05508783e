"""Slower groups: a population group's journeys timed at a fraction of the speeds.

Older residents walk slower (about 3-4 km/h against 5), and policy singles them
out (home services, 适老 services). ``group_speed_factor: {age_65_plus: 0.75}``
times that group's journeys with every walking, cycling and e-bike speed
multiplied by 0.75: the network's edges and the off-road access legs (the
partial segments entered included). Driving is unchanged, and so are ferries (a
boat and its timetable wait for no one). Each distinct factor costs one more
engine pass (a multi-source Dijkstra over the slower graph: with ferries the
nearest station can change); the snaps are reused, as a slower speed moves no
one's entry point.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from ..errors import InputError
from .snapping import Snap
from .whatif import EngineState, engine_state

__all__ = ["group_point_seconds", "slower_state"]


def _slower_snap(snap: Snap, factor: float) -> Snap:
    entry = snap.entry
    if entry is not None:
        entry = dataclasses.replace(
            entry, forward_s=entry.forward_s / factor, backward_s=entry.backward_s / factor
        )
    return dataclasses.replace(
        snap,
        network_s=None if snap.network_s is None else snap.network_s / factor,
        entry=entry,
    )


def slower_state(state: EngineState, factor: float) -> EngineState:
    """The engine state of the same stations and points with every speed times ``factor``.

    Ferries keep their speed and wait.

    Parameters
    ----------
    state : EngineState
        The state at everyone's speeds.
    factor : float
        Speed multiplier, e.g. 0.75.

    Returns
    -------
    EngineState
        On a copy of the network whose edge seconds are divided by ``factor``.
    """
    net = state.network
    ferry = np.asarray(net.edge_highway, dtype=object) == "ferry"
    seconds = np.where(ferry, net.edge_seconds, net.edge_seconds / factor)
    network = dataclasses.replace(net, edge_seconds=seconds)
    access = state.access.replace(access_speed_kmh=state.access.access_speed_kmh * factor)
    return engine_state(
        network,
        _slower_snap(state.station_snap, factor),
        _slower_snap(state.point_snap, factor),
        access,
    )


def group_point_seconds(
    state: EngineState, factors: Mapping[str, float], groups: Mapping[str, np.ndarray]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Seconds from each point to its nearest station at each slower group's speed.

    Parameters
    ----------
    state : EngineState
        The state at everyone's speeds.
    factors : mapping of str to float
        Group name -> speed multiplier (``group_speed_factor``).
    groups : mapping of str to numpy.ndarray
        The population groups of the demand (their names are checked).

    Returns
    -------
    dict of str to (numpy.ndarray, numpy.ndarray)
        Per group with a factor other than 1: seconds per point (inf: unreachable)
        and the index of its nearest station (-1: none). Empty when driving
        (driving speeds are the same for everyone).

    Raises
    ------
    InputError
        If a factor names a group the population does not have.
    """
    unknown = [g for g in factors if g not in groups]
    if unknown:
        have = ", ".join(groups) or "none"
        raise InputError(
            f"group_speed_factor: no population group {', '.join(map(repr, unknown))} "
            f"(the population has groups: {have}); name a group of population: groups"
        )
    if state.network.mode == "drive":
        return {}
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for factor in sorted({float(f) for f in factors.values() if f != 1.0}):
        slow = slower_state(state, factor)
        for group, f in factors.items():
            if float(f) == factor:
                out[group] = (slow.point_seconds, slow.point_station)
    return out
