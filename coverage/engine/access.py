"""The access model: how a journey is timed, one validated object for every caller.

A journey has three parts: the off-road *access leg* from the resident's point to the
road (straight, walked at ``access_speed_kmh``, at most ``max_access_m``, slowed on
slopes by Tobler's function where a DEM is given), the ride along the weighted road
network (speeds per road class, built into :class:`~coverage.inputs.network.Network`
for ``mode``), and the access leg from the road to the station. Where a leg joins the
road is the *linking rule* (``snap_to``: the nearest node, or also the nearest point
of the nearest segment).

Everything that times a journey — :func:`coverage.compute_coverage`, the what-if
updates (:mod:`coverage.whatif`), the isochrone surface, siting's coverage sets,
batch and the benchmarks — takes one :class:`AccessModel` and snaps points with
:meth:`AccessModel.snap`. It is built once from a configuration by
:func:`coverage.pipeline.access_model`; nothing re-derives these settings from the
configuration, so a run and a siting of the same configuration time every journey
identically.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ..errors import InputError
from ..inputs.network import MODES, Network
from ..inputs.terrain import Dem
from .barriers import WaterMask
from .index import RoadIndex, road_index
from .snap_cache import cached_snap
from .snapping import Snap, snap_points

__all__ = ["LINKING_RULES", "SNAP_CANDIDATES", "AccessModel"]

#: Where an access leg may join the road: the nearest node, or also the nearest
#: point of the nearest segment (best where rural roads have long segments).
LINKING_RULES = ("node", "edge")

#: Road nodes a point may join. One, the nearest, as the travel model documents;
#: more would let access legs cut across city blocks.
SNAP_CANDIDATES = 1


@dataclass(frozen=True)
class AccessModel:
    """How every journey of a run is timed (immutable and validated on creation).

    Parameters
    ----------
    mode : str
        Travel mode on the network: ``walk``, ``bike``, ``ebike`` or ``drive``.
    minutes : sequence of float
        Coverage thresholds in minutes (kept sorted and unique). The headline is 15 if
        listed, else the largest.
    access_speed_kmh : float
        Speed of the straight-line legs between a point and the road, on flat ground.
    max_access_m : float
        Longest access leg; points farther from any linkable road are unreachable.
    snap_to : {"node", "edge"}
        The linking rule: join the road at the nearest node, or also at the nearest
        point of the nearest segment.
    terrain : Dem, optional
        Elevations that make the access legs slope-dependent (Tobler's function).
        The network's own edges carry terrain when it was loaded with the same DEM.
    snap_candidates : int
        Nearest road nodes each point may join (default 1).
    barrier : WaterMask, optional
        Water the access legs may not cross (:mod:`coverage.engine.barriers`): a point
        joins the nearest linkable road it reaches without crossing water.
    link_steps : bool
        Whether points may join ``highway=steps`` (the linking rule never joins
        tunnels, indoor or underground ways; see :mod:`coverage.inputs.way_rules`).
    group_speed_factor : mapping of str to float
        Population group -> speed multiplier (e.g. ``{"age_65_plus": 0.75}``): that
        group's journeys are timed at the slower speeds (:mod:`coverage.engine.groups`).
    cache_dir : path-like, optional
        Where the access legs of large point sets (the residents, an isochrone grid)
        are kept for re-runs (:mod:`coverage.engine.snap_cache`; the run's cache
        folder); None: always computed. Not a setting of the model: two models that
        differ only here time every journey alike.

    Raises
    ------
    InputError
        For an unknown mode or linking rule, or a threshold, speed or distance that is
        not a positive finite number.

    Examples
    --------
    >>> from coverage.engine.access import AccessModel
    >>> access = AccessModel(mode="walk", minutes=(30, 15), snap_to="edge")
    >>> access.minutes, access.headline_minutes
    ((15.0, 30.0), 15.0)
    """

    mode: str = "walk"
    minutes: tuple[float, ...] = (15.0,)
    access_speed_kmh: float = 5.0
    max_access_m: float = 5000.0
    snap_to: str = "node"
    terrain: Dem | None = field(default=None, repr=False)
    snap_candidates: int = SNAP_CANDIDATES
    barrier: WaterMask | None = field(default=None, repr=False)
    link_steps: bool = True
    group_speed_factor: Mapping[str, float] = field(default_factory=dict)
    cache_dir: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = []
        if self.mode not in MODES:
            problems.append(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.snap_to not in LINKING_RULES:
            problems.append(f"snap_to must be 'node' or 'edge', got {self.snap_to!r}")
        minutes = _as_minutes(self.minutes, problems)
        for name in ("access_speed_kmh", "max_access_m"):
            value = getattr(self, name)
            if not _positive(value):
                problems.append(f"{name} must be a positive number, got {value!r}")
        if not isinstance(self.snap_candidates, int) or self.snap_candidates < 1:
            problems.append(
                f"snap_candidates must be a whole number >= 1, got {self.snap_candidates!r}"
            )
        if self.terrain is not None and not isinstance(self.terrain, Dem):
            problems.append("terrain must be a Dem (coverage.inputs.terrain.read_dem) or None")
        if self.barrier is not None and not isinstance(self.barrier, WaterMask):
            problems.append("barrier must be a WaterMask (coverage.engine.barriers) or None")
        factors = dict(self.group_speed_factor or {})
        for group, factor in factors.items():
            if not _positive(factor) or float(factor) > 2.0:
                problems.append(
                    f"group_speed_factor of {group!r} must be in (0, 2], got {factor!r}"
                )
        if problems:
            raise InputError("access model: " + "; ".join(problems))
        object.__setattr__(self, "minutes", minutes)
        object.__setattr__(
            self,
            "group_speed_factor",
            MappingProxyType({str(k): float(v) for k, v in factors.items()}),
        )
        object.__setattr__(self, "access_speed_kmh", float(self.access_speed_kmh))
        object.__setattr__(self, "max_access_m", float(self.max_access_m))

    @property
    def headline_minutes(self) -> float:
        """The headline threshold: 15 if listed in ``minutes``, else the largest listed."""
        return 15.0 if 15.0 in self.minutes else max(self.minutes)

    @property
    def snap_edges(self) -> bool:
        """Whether access legs may also enter the nearest segment (``snap_to == "edge"``)."""
        return self.snap_to == "edge"

    def replace(self, **changes: Any) -> AccessModel:
        """A copy with some settings changed, validated like the original.

        Parameters
        ----------
        **changes
            Field names and values, e.g. ``minutes=(10, 15)``.

        Returns
        -------
        AccessModel
        """
        return dataclasses.replace(self, **changes)

    def snap(
        self,
        network: Network,
        x: np.ndarray,
        y: np.ndarray,
        *,
        direction: str = "from_point",
        index: RoadIndex | None = None,
    ) -> Snap:
        """Access legs of points to the network, by this model's linking rule.

        The one snapping used for residents, stations, siting candidates, what-if
        points and isochrone grids.

        Parameters
        ----------
        network : Network
            The road network of ``mode``.
        x, y : numpy.ndarray
            Point coordinates in ``network.crs`` (metres).
        direction : {"from_point", "to_point"}
            ``"from_point"`` for residents (they travel to the road), ``"to_point"``
            for stations (reached from the road).
        index : RoadIndex, optional
            The network's search structures (:meth:`road_index`); built on the fly
            when not given.

        Returns
        -------
        Snap
            Candidate legs; :meth:`Snap.access_seconds` times them at
            ``access_speed_kmh``.
        """

        def compute() -> Snap:
            return snap_points(
                network,
                x,
                y,
                k=self.snap_candidates,
                max_distance_m=self.max_access_m,
                edges=self.snap_edges,
                direction=direction,
                dem=self.terrain,
                barrier=self.barrier,
                link_steps=self.link_steps,
                index=index,
            )

        if self.terrain is not None:  # slopes: the DEM would have to be in the key
            return compute()
        settings = {
            "k": self.snap_candidates,
            "max_distance_m": self.max_access_m,
            "edges": self.snap_edges,
            "direction": direction,
            "link_steps": self.link_steps,
        }
        return cached_snap(
            self.cache_dir, network, x, y, compute, settings=settings, barrier=self.barrier
        )

    def road_index(self, network: Network) -> RoadIndex:
        """The search structures of a network for this model's linking rule.

        Parameters
        ----------
        network : Network
            The road network of ``mode``.

        Returns
        -------
        RoadIndex
            Build it once and pass it to :meth:`snap` for every batch of points.
        """
        return road_index(network, link_steps=self.link_steps, segments=self.snap_edges)

    def describe(self) -> dict[str, Any]:
        """The settings as JSON-ready values (for ``summary.json`` and reports).

        Returns
        -------
        dict
        """
        return {
            "mode": self.mode,
            "thresholds": list(self.minutes),
            "access_speed_kmh": self.access_speed_kmh,
            "max_access_m": self.max_access_m,
            "snap_to": self.snap_to,
            "terrain": self.terrain is not None,
            "water_barrier": self.barrier is not None,
            "link_steps": self.link_steps,
            "group_speed_factor": dict(self.group_speed_factor),
        }


def _positive(value: Any) -> bool:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(v) and v > 0


def _as_minutes(value: Any, problems: list[str]) -> tuple[float, ...]:
    items: Sequence[Any] = (
        [value]
        if isinstance(value, (int, float, str)) or not isinstance(value, (Sequence, Mapping))
        else list(value)
    )
    out = []
    for item in items:
        if not _positive(item):
            problems.append(f"minutes must be positive numbers, got {item!r}")
            return (15.0,)
        out.append(float(item))
    if not out:
        problems.append("minutes must list at least one threshold")
        return (15.0,)
    return tuple(sorted(set(out)))
