"""How siting times journeys: the run's snapping and the minutes to the nearest station.

Siting snaps residents, stations and candidates exactly as the run does: the same
linking rule (``snap_to``, never tunnels or indoor ways), water barriers and slope
of the access legs, so a siting's figures are the coverage engine's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..engine.access import SNAP_CANDIDATES
from ..engine.snapping import Snap, snap_points
from ..engine.travel_times import node_times, point_times
from ..errors import InputError
from ..inputs.network import Network
from ..inputs.terrain import Dem

__all__ = ["Snapper", "snapper", "station_minutes"]

#: Snaps points to the network as the run does: ``snap(x, y, direction)``.
Snapper = Callable[[np.ndarray, np.ndarray, str], Snap]


def snapper(
    network: Network,
    *,
    max_access_m: float,
    snap_to: str,
    dem: Dem | None,
    rules: Mapping[str, Any] | None = None,
) -> Snapper:
    """The run's snapping (linking rule, water barriers, slope of the legs) for a network.

    Parameters
    ----------
    network : Network
        The road network.
    max_access_m : float
        Longest access leg.
    snap_to : {"node", "edge"}
        Where legs join the road.
    dem : Dem, optional
        Elevations for the slope of the legs.
    rules : mapping, optional
        The access model's ``barrier`` (water) and ``link_steps``.

    Returns
    -------
    Snapper

    Raises
    ------
    InputError
        For an unknown ``snap_to``.
    """
    if snap_to not in ("edge", "node"):
        raise InputError(f"snap_to must be 'edge' or 'node', got {snap_to!r}")

    def snap(x: np.ndarray, y: np.ndarray, direction: str) -> Snap:
        return snap_points(
            network, x, y, k=SNAP_CANDIDATES, max_distance_m=max_access_m,
            edges=snap_to == "edge", direction=direction, dem=dem, **(rules or {}),
        )  # fmt: skip

    return snap


def station_minutes(
    network: Network,
    station_snap: Snap,
    demand_snap: Snap,
    *,
    minutes: float,
    access_speed_kmh: float,
) -> np.ndarray:
    """Minutes from each demand point to its nearest station (inf beyond ``minutes``).

    Parameters
    ----------
    network : Network
        The road network.
    station_snap, demand_snap : Snap
        Access legs of the stations and the demand points.
    minutes : float
        Search limit.
    access_speed_kmh : float
        Speed of the access legs.

    Returns
    -------
    numpy.ndarray
    """
    times = node_times(
        network, station_snap, access_speed_kmh=access_speed_kmh, limit_s=minutes * 60.0
    )
    seconds, _ = point_times(times, demand_snap, access_speed_kmh=access_speed_kmh)
    return seconds / 60.0
