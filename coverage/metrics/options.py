"""The metric settings of a run, one small validated object."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError
from .catchments import DEFAULT_STAFF_RULES, StaffRule
from .duplicates import DEFAULT_DUPLICATE_M
from .service_plan import ServiceOptions
from .targets import Target
from .units import DEFAULT_UNIT_COVERED_SHARE

__all__ = ["MetricOptions"]


@dataclass(frozen=True)
class MetricOptions:
    """How the figures of a run are made from its travel times.

    Kept with the result, so what-if updates rebuild the same figures.

    Parameters
    ----------
    unit_covered_share : float
        A unit counts as covered when this share of its residents is within the
        headline threshold (:mod:`coverage.metrics.units`).
    targets : tuple of Target
        Policy targets per unit level and year (:mod:`coverage.metrics.targets`).
    catchment_by_tier : bool
        Also assign each resident to the nearest station of every tier; staffing then
        uses each station's catchment within its tier (:mod:`coverage.metrics.catchments`).
    staffing : tuple of StaffRule
        Recommended staff by tier and catchment population.
    gap_min_population : float
        Gap areas with fewer residents are left out (:mod:`coverage.metrics.gaps`).
    duplicate_m : float
        Stations within this many metres of another are one site: marked
        ``duplicate_of``, with no staffing of their own
        (:mod:`coverage.metrics.duplicates`; 0 turns this off).
    service : ServiceOptions
        Time windows, service-item rules and the home-service list
        (:mod:`coverage.metrics.service_plan`).

    Raises
    ------
    InputError
        For a share outside 0..1 or a negative population.
    """

    unit_covered_share: float = DEFAULT_UNIT_COVERED_SHARE
    targets: tuple[Target, ...] = ()
    catchment_by_tier: bool = False
    staffing: tuple[StaffRule, ...] = tuple(DEFAULT_STAFF_RULES)
    gap_min_population: float = 0.0
    duplicate_m: float = DEFAULT_DUPLICATE_M
    service: ServiceOptions = field(default_factory=ServiceOptions)

    def __post_init__(self) -> None:
        if not 0.0 < float(self.unit_covered_share) <= 1.0:
            raise InputError(
                f"unit_covered_share must be in (0, 1], got {self.unit_covered_share!r}"
            )
        if not float(self.gap_min_population) >= 0.0:
            raise InputError(f"gap_min_population must be >= 0, got {self.gap_min_population!r}")
        object.__setattr__(self, "targets", tuple(self.targets))
        object.__setattr__(self, "staffing", tuple(self.staffing))
