"""Configuration values of service in time and scope: time windows, item rules, home service.

Examples
--------
>>> from coverage.config_service import parse_time_windows, parse_home_service
>>> parse_time_windows({"周六上午": "周六 9:00-11:00"})
{'周六上午': 'Sa 09:00-11:00'}
>>> parse_home_service("age_65_plus")
HomeService(group='age_65_plus', level=None)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import config_fields as cf
from .inputs.hours import HoursError, hours_to_osm
from .inputs.service_lists import service_lists_from_mapping
from .metrics.service_plan import HomeService
from .metrics.service_rules import ServiceRule, service_rules_from_mapping
from .metrics.windows import HOURS_DEFAULTS, open_intervals

__all__ = [
    "parse_home_service",
    "parse_hours_default",
    "parse_service_lists",
    "parse_service_rules",
    "parse_time_windows",
]

_LIST_SUFFIXES = (".yaml", ".yml", ".csv", ".txt", ".xlsx", ".xlsm")


def parse_time_windows(value: Any) -> dict[str, str]:
    """``{name: hours}``, each in OSM syntax or a Chinese form, open at some time of the year."""
    if not isinstance(value, Mapping) or not value:
        raise cf.Invalid(
            'must map window names to hours, e.g. {工作日午间: "Mo-Fr 12:00-13:00", '
            '周六上午: "Sa 09:00-11:00"}'
        )
    out: dict[str, str] = {}
    for name, text in value.items():
        key = cf.nonempty_text(str(name))
        try:
            out[key] = hours_to_osm(cf.nonempty_text(text))
        except (HoursError, cf.Invalid) as exc:
            raise cf.Invalid(f"window {key!r}: {exc}") from None
        if open_intervals(out[key]).shape[0] == 0:
            raise cf.Invalid(f"window {key!r} ({text}) is never open; give its days and times")
    return out


def parse_hours_default(value: Any) -> str:
    """``open`` or ``closed``: what a station without hours means."""
    text = cf.nonempty_text(value).lower()
    if text not in HOURS_DEFAULTS:
        raise cf.Invalid(f"must be open or closed, got {value!r}")
    return text


def parse_service_lists(value: Any) -> dict[str, tuple[str, ...]] | Path:
    """Lists inline (``{name: [items]}``) or a YAML, CSV or .xlsx file naming them."""
    if isinstance(value, (str, Path)) and not isinstance(value, Mapping):
        path = cf.path(value)
        if path.suffix.lower() not in _LIST_SUFFIXES:
            raise cf.Invalid(f"must be a YAML, CSV or .xlsx file or a mapping, got {value!r}")
        return path
    try:
        return service_lists_from_mapping(dict(value) if isinstance(value, Mapping) else value)
    except ValueError as exc:
        raise cf.Invalid(str(exc)) from None


def parse_service_rules(value: Any) -> tuple[ServiceRule, ...]:
    """``{tier: {list: name, at_least: share}}`` (or rules already parsed)."""
    if isinstance(value, (tuple, list)) and all(isinstance(r, ServiceRule) for r in value):
        return tuple(value)
    try:
        return service_rules_from_mapping(value)
    except ValueError as exc:
        raise cf.Invalid(str(exc)) from None


def parse_home_service(value: Any) -> HomeService | None:
    """A group name, or ``{group: name, level: unit level}``."""
    if value is None or isinstance(value, HomeService):
        return value
    if isinstance(value, str):
        return HomeService(cf.level_name(value))
    if not isinstance(value, Mapping) or "group" not in value or set(value) - {"group", "level"}:
        raise cf.Invalid(
            "must name a population group, e.g. age_65_plus, or be {group: age_65_plus, "
            f"level: village}}, got {value!r}"
        )
    level = value.get("level")
    return HomeService(
        cf.level_name(value["group"]), None if level is None else cf.level_name(level)
    )
