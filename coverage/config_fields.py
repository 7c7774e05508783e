"""Parsers of single configuration values, shared by :mod:`coverage.config`.

Each parser takes the raw value read from YAML and returns the validated value, or
raises :class:`Invalid` with the reason (the caller adds the key and collects every
problem into one :class:`~coverage.errors.ConfigError`).

Examples
--------
>>> from coverage.config_fields import minutes_list, Invalid
>>> minutes_list([15, 5, 10])
(5.0, 10.0, 15.0)
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from .metrics.catchments import StaffRule, staff_rules_from_mapping
from .metrics.requirements import TierRule, tier_rules_from_mapping
from .metrics.targets import Target, targets_from_mapping

__all__ = [
    "MODES",
    "NETWORK_COLUMN_KEYS",
    "STATION_COLUMN_KEYS",
    "Invalid",
    "basemap",
    "boundaries",
    "columns",
    "crs",
    "flag",
    "lang",
    "level_name",
    "minutes_list",
    "mode",
    "names",
    "non_negative",
    "nonempty_text",
    "opt_crs",
    "opt_encoding",
    "opt_modes",
    "opt_network_columns",
    "opt_path",
    "opt_positive",
    "opt_sheet",
    "opt_station_columns",
    "opt_text",
    "path",
    "plain_name",
    "positive",
    "require",
    "share",
    "snap_to",
    "spec",
    "speeds",
    "staffing",
    "targets",
]

MODES = ("walk", "bike", "ebike", "drive")


class Invalid(Exception):
    """Raised by a field parser; collected into one :class:`ConfigError`."""


def nonempty_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"must be a non-empty text, got {value!r}")
    return value.strip()


def plain_name(value: Any) -> str:
    text = nonempty_text(value)
    if any(ch in text for ch in '/\\:*?"<>|') or text in {".", ".."} or text.startswith("."):
        raise Invalid(
            f'must be a plain name usable as a folder name (no / \\ : * ? " < > | and not '
            f"starting with a dot), got {value!r}"
        )
    return text


def opt_text(value: Any) -> str | None:
    return None if value is None else nonempty_text(value)


def path(value: Any) -> Path:
    if isinstance(value, Path):
        return value
    return Path(nonempty_text(value))


def opt_path(value: Any) -> Path | None:
    return None if value is None else path(value)


def positive(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"must be a number, got {value!r}")
    if not value > 0 or value != value or value == float("inf"):
        raise Invalid(f"must be a positive finite number, got {value!r}")
    return float(value)


def opt_positive(value: Any) -> float | None:
    return None if value is None else positive(value)


def minutes_list(value: Any) -> tuple[float, ...]:
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise Invalid("must be a number of minutes or a list of them, e.g. 15 or [5, 10, 15]")
    parsed = tuple(sorted({positive(v) for v in values}))
    return parsed


def mode(value: Any) -> str:
    text = nonempty_text(value).lower()
    if text not in MODES:
        raise Invalid(f"must be one of {', '.join(MODES)}, got {value!r}")
    return text


def opt_modes(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise Invalid(f"must list one or more of {', '.join(MODES)}, e.g. [walk, ebike]")
    return tuple(dict.fromkeys(mode(v) for v in values))


def speeds(value: Any) -> dict[str, Any] | None:
    """``{class: kmh}`` for every mode, or ``{mode: {class: kmh}}``."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not value:
        raise Invalid("must map highway classes to km/h, e.g. {residential: 4.5}")
    if all(isinstance(v, Mapping) for v in value.values()):
        return {mode(m): speeds(table) for m, table in value.items()}
    out: dict[str, Any] = {}
    for key, kmh in value.items():
        try:
            out[nonempty_text(key)] = positive(kmh)
        except Invalid as exc:
            raise Invalid(f"speed of '{key}' {exc}") from None
    return out


def snap_to(value: Any) -> str:
    text = nonempty_text(value).lower()
    if text not in ("edge", "node"):
        raise Invalid(f"must be 'edge' or 'node', got {value!r}")
    return text


def crs(value: Any) -> str:
    text = nonempty_text(str(value) if isinstance(value, int) else value)
    if text.isdigit():
        text = f"EPSG:{text}"
    if text.upper().replace("_", "-") in {"GCJ-02", "GCJ02", "BD-09", "BD09"}:
        return text.upper().replace("_", "-").replace("GCJ02", "GCJ-02").replace("BD09", "BD-09")
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(text)
    except CRSError:
        raise Invalid(
            f"is not a coordinate reference system pyproj knows: {text!r} "
            "(use e.g. EPSG:4326, GCJ-02 or BD-09)"
        ) from None
    return text


def opt_crs(value: Any) -> str | None:
    return None if value is None else crs(value)


#: Standard station columns a ``stations_columns`` mapping may name (see
#: :data:`coverage.inputs.stations.STATION_COLUMNS`).
STATION_COLUMN_KEYS = ("id", "name", "tier", "lon", "lat", "address", "services", "staff")


def opt_encoding(value: Any) -> str | None:
    if value is None:
        return None
    import codecs

    text = nonempty_text(value)
    try:
        codecs.lookup(text)
    except LookupError:
        raise Invalid(
            f"is not a text encoding Python knows: {text!r} (use utf-8, gbk, gb18030)"
        ) from None
    return text


def opt_sheet(value: Any) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return nonempty_text(value)


def columns(value: Any, allowed: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(value, Mapping) or not value:
        raise Invalid(
            "must be a mapping of standard names to column headers, e.g. {name: 网点名称}"
        )
    out = {}
    for key, header in value.items():
        if key not in allowed:
            guess = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            raise Invalid(f"has an unknown name {key!r}{hint}; use {', '.join(allowed)}")
        out[str(key)] = nonempty_text(str(header) if isinstance(header, int) else header)
    return out


def opt_station_columns(value: Any) -> dict[str, str] | None:
    return None if value is None else columns(value, STATION_COLUMN_KEYS)


#: Standard columns of a road layer a ``network_columns`` mapping may name (see
#: :mod:`coverage.inputs.road_layer`).
NETWORK_COLUMN_KEYS = ("class", "speed", "oneway", "name")


def opt_network_columns(value: Any) -> dict[str, str] | None:
    return None if value is None else columns(value, NETWORK_COLUMN_KEYS)


def level_name(key: Any) -> str:
    text = nonempty_text(key)
    if not text.replace("_", "").replace("-", "").isalnum():
        raise Invalid(f"level name {key!r} must be letters, digits, '_' or '-'")
    return text


def boundaries(value: Any) -> Path | dict[str, Path] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        if not value:
            raise Invalid("must be a path or a mapping of levels to paths, e.g. {township: t.shp}")
        return {level_name(k): path(v) for k, v in value.items()}
    return path(value)


def names(value: Any) -> str | dict[str, str]:
    if isinstance(value, Mapping):
        if not value:
            raise Invalid("must be an attribute name or a mapping of levels to attribute names")
        return {level_name(k): nonempty_text(v) for k, v in value.items()}
    return nonempty_text(value)


def share(value: Any) -> float:
    share = positive(value)
    if share > 1:
        raise Invalid(f"must be a share in (0, 1], e.g. 0.9 for 90%, got {value!r}")
    return share


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, got {value!r}")
    return value


def non_negative(value: Any) -> float:
    return 0.0 if value == 0 and not isinstance(value, bool) else positive(value)


def targets(value: Any) -> tuple[Target, ...]:
    try:
        return targets_from_mapping(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def require(value: Any) -> tuple[TierRule, ...]:
    try:
        return tier_rules_from_mapping(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def staffing(value: Any) -> tuple[StaffRule, ...]:
    try:
        return staff_rules_from_mapping(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def basemap(value: Any) -> Any:
    from .outputs.basemaps import basemap_from_spec

    try:
        return basemap_from_spec(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def lang(value: Any) -> str:
    text = nonempty_text(value).lower()
    if text not in ("en", "zh"):
        raise Invalid(f"must be zh (Chinese) or en (English), got {value!r}")
    return text


def spec(parse: Callable[[Any], Any], help: str, *, default: Any = dataclasses.MISSING) -> Any:
    """A configuration field: its parser, one line of help, and its default."""
    meta = {"parse": parse, "help": help}
    if default is dataclasses.MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)
