"""A planning session: scenarios of a run, each edit one exact what-if update.

A :class:`Session` is immutable: a list of scenarios (a name and a
:class:`~coverage.results.CoverageResult` each), the first the run as computed, each
later one the previous with one station opened, moved or closed by
:func:`coverage.whatif.add_station` / :func:`coverage.whatif.remove_station` (exact,
identical to a run over the edited station table). Every function returns a new
session and leaves its argument as it was; :func:`undo_edit` drops the last scenario.

>>> import coverage  # doctest: +SKIP
>>> run = coverage.run_coverage(coverage.load_config("county.yaml"))  # doctest: +SKIP
>>> session = start_session(run)  # doctest: +SKIP
>>> session = open_station(session, 118.91, 28.07, tier="village")  # doctest: +SKIP
>>> session = move_station(session, "P1", 118.92, 28.07)  # doctest: +SKIP
>>> session.current.result.coverage_share  # doctest: +SKIP

Bad input — a point outside the study area or beyond ``max_access_m`` from any road
the linking rule may join, an id that exists or is unknown — raises
:class:`~coverage.errors.EditRefused` (English and Chinese message) and changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import shapely

from ..engine.whatif import snap_for_state
from ..errors import EditRefused
from ..inputs.crs import transform_xy
from ..inputs.stations import STATION_OUTPUT_COLUMNS
from ..inputs.tiers import TIERS
from ..results import CoverageResult
from ..whatif import add_station, remove_station
from ..whatif import move_station as moved_result

__all__ = [
    "Scenario",
    "Session",
    "UnitChange",
    "close_station",
    "move_station",
    "open_station",
    "rename_scenario",
    "start_session",
    "station_table",
    "undo_edit",
    "unit_changes",
]

#: Longest scenario name the page may give.
MAX_NAME = 80


@dataclass(frozen=True)
class Scenario:
    """One state of the plan.

    Attributes
    ----------
    name : str
        Shown in the scenario list (the planner may rename it).
    result : CoverageResult
        The coverage with this scenario's stations.
    edit : str
        What made it from the previous scenario (``""`` for the run itself), e.g.
        ``"add P1"``, ``"move S3"``, ``"close S7"``.
    """

    name: str
    result: CoverageResult
    edit: str = ""


@dataclass(frozen=True)
class UnitChange:
    """A unit whose covered verdict changed by the last edit.

    Attributes
    ----------
    level : str
        Unit level (``township``, ``village``, or ``unit`` for a single set).
    index : int
        Row of the unit in its level's polygons.
    unit : str
        The unit's name.
    was, now : bool or None
        The verdict before and after (None: no residents, no verdict).
    """

    level: str
    index: int
    unit: str
    was: bool | None
    now: bool | None


@dataclass(frozen=True)
class Session:
    """Scenarios of one planning session, oldest first; the last is the current one.

    Attributes
    ----------
    scenarios : tuple of Scenario
        At least one: the run as computed.
    changed : tuple of UnitChange
        Units whose verdict the last edit (or undo) changed.
    counter : int
        Number of stations opened so far (names the next new station ``P<n>``).
    lang : {"en", "zh"}
        Language of the default names (``方案 1`` or ``Plan 1``, ``新服务点 P1`` or
        ``New station P1``).
    """

    scenarios: tuple[Scenario, ...]
    changed: tuple[UnitChange, ...] = ()
    counter: int = 0
    lang: str = "en"

    @property
    def current(self) -> Scenario:
        """The scenario being edited (the last one)."""
        return self.scenarios[-1]


def start_session(result: CoverageResult, *, name: str | None = None, lang: str = "en") -> Session:
    """A session whose only scenario is ``result``.

    Parameters
    ----------
    result : CoverageResult
        From :func:`~coverage.run_coverage` (it must keep its engine state).
    name : str, optional
        Name of the first scenario (default ``现状`` or ``Current``).
    lang : {"en", "zh"}
        Language of the default names.

    Returns
    -------
    Session

    Raises
    ------
    EditRefused
        If the result keeps no engine state (what-if updates need it).
    """
    if result.engine is None:
        raise EditRefused(
            "this result keeps no engine state; compute it with run_coverage",
            "该结果未保留计算状态，请用 run_coverage 重新计算",
        )
    zh = lang == "zh"
    first = _clean_name(name if name is not None else "现状" if zh else "Current")
    return Session(scenarios=(Scenario(name=first, result=result),), lang="zh" if zh else "en")


def _clean_name(name: object) -> str:
    text = " ".join(str(name if name is not None else "").split())
    if not text:
        raise EditRefused("name: give a non-empty name", "名称：请填写名称")
    if len(text) > MAX_NAME:
        raise EditRefused(
            f"name: at most {MAX_NAME} characters, got {len(text)}",
            f"名称：最多 {MAX_NAME} 个字符，当前 {len(text)} 个",
        )
    return text


def _lonlat(lon: object, lat: object) -> tuple[float, float]:
    try:
        x, y = float(lon), float(lat)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = y = math.nan
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise EditRefused(
            f"point: lon {lon!r}, lat {lat!r} is not a position in degrees; click on the map",
            f"位置：经度 {lon!r}、纬度 {lat!r} 不是有效的经纬度，请在地图上点击选择",
        )
    return x, y


def _in_study_area(result: CoverageResult, lon: float, lat: float) -> bool:
    """Inside the units of the first level, or else the populated cells' extent."""
    demand = result.demand
    levels = list(result.unit_polygons.values())
    if levels:
        polygons = levels[0].to_crs("EPSG:4326")
        return bool(polygons.geometry.intersects(shapely.Point(lon, lat)).any())
    x, y = transform_xy(np.array([lon]), np.array([lat]), "EPSG:4326", demand.crs)
    pad = 0.0
    if demand.grid is not None:
        pad = float(max(abs(demand.grid.transform.a), abs(demand.grid.transform.e)))
    return bool(
        demand.x.min() - pad <= x[0] <= demand.x.max() + pad
        and demand.y.min() - pad <= y[0] <= demand.y.max() + pad
    )


def _check_point(result: CoverageResult, lon: object, lat: object) -> tuple[float, float]:
    """The point as lon/lat, refused outside the study area or out of reach of the roads."""
    x, y = _lonlat(lon, lat)
    where = f"lon {x:.5f}, lat {y:.5f}"
    if not _in_study_area(result, x, y):
        raise EditRefused(
            f"point: {where} lies outside the study area; place the station inside it",
            f"位置：经度 {x:.5f}、纬度 {y:.5f} 在研究区域之外，请在区域内选点",
        )
    state = result.engine
    if state is None:
        raise EditRefused("this result keeps no engine state", "该结果未保留计算状态")
    network = state.network
    mx, my = transform_xy(np.array([x]), np.array([y]), "EPSG:4326", network.crs)
    snap = snap_for_state(state, mx, my, direction="to_point")  # the state's road index
    if not np.isfinite(snap.nearest_m[0]):
        limit = state.access.max_access_m
        raise EditRefused(
            f"point: {where} is more than {limit:,.0f} m (max_access_m) from any road a "
            "station can be reached by; place it nearer a road",
            f"位置：经度 {x:.5f}、纬度 {y:.5f} 距可连接道路超过 {limit:,.0f} 米"
            "（max_access_m），请靠近道路选点",
        )
    return x, y


def _station_row(result: CoverageResult, station_id: object) -> pd.Series:
    ids = result.stations["id"].astype(str)
    hit = np.flatnonzero(ids.to_numpy() == str(station_id))
    if hit.size == 0:
        raise EditRefused(
            f"id: no station {station_id!r} in this scenario; click an existing station",
            f"编号：当前方案中没有服务点 {station_id!r}，请点击已有服务点",
        )
    return result.stations.iloc[int(hit[0])]


def _tier(result: CoverageResult, tier: object) -> str:
    text = str(tier or "").strip()
    known = set(TIERS) | set(result.stations["tier"].dropna().astype(str))
    if text not in known:
        raise EditRefused(
            f"tier: {text!r} is not a tier; choose one of {', '.join(sorted(known))}",
            f"层级：{text!r} 不是有效层级，请从 {', '.join(sorted(known))} 中选择",
        )
    return text


def unit_changes(before: CoverageResult, after: CoverageResult) -> tuple[UnitChange, ...]:
    """The units whose covered verdict differs between two results of the same units.

    Parameters
    ----------
    before, after : CoverageResult
        Two scenarios of one session.

    Returns
    -------
    tuple of UnitChange
        Level by level, in the order of the unit tables.
    """
    out: list[UnitChange] = []
    for level, table in after.units.items():
        old = before.units.get(level)
        if old is None or "covered" not in table or len(old) != len(table):
            continue
        was, now = _verdicts(old["covered"]), _verdicts(table["covered"])
        for i in np.flatnonzero([a != b for a, b in zip(was, now, strict=True)]):
            out.append(UnitChange(level, int(i), str(table["unit"].iloc[i]), was[i], now[i]))
    return tuple(out)


def _verdicts(column: pd.Series) -> list[bool | None]:
    return [None if pd.isna(v) else bool(v) for v in column]


def _push(session: Session, result: CoverageResult, edit: str, *, counter: int = -1) -> Session:
    number = len(session.scenarios)
    name = f"方案 {number}" if session.lang == "zh" else f"Plan {number}"
    return replace(
        session,
        scenarios=(*session.scenarios, Scenario(name=name, result=result, edit=edit)),
        changed=unit_changes(session.current.result, result),
        counter=session.counter if counter < 0 else counter,
    )


def _new_id(session: Session) -> tuple[str, int]:
    taken = set(session.current.result.stations["id"].astype(str))
    n = session.counter + 1
    while f"P{n}" in taken:
        n += 1
    return f"P{n}", n


def open_station(
    session: Session,
    lon: object,
    lat: object,
    *,
    tier: object,
    name: object = None,
    station_id: object = None,
) -> Session:
    """The session with one more scenario: a new station at (lon, lat).

    Parameters
    ----------
    session : Session
        The session to extend.
    lon, lat : float
        WGS84 degrees.
    tier : str
        A tier code (:data:`coverage.inputs.tiers.TIERS`) or a tier of the stations.
    name : str, optional
        Default ``新服务点 P<n>``.
    station_id : str, optional
        Default ``P<n>``, the first unused.

    Returns
    -------
    Session

    Raises
    ------
    EditRefused
        For a point outside the study area or too far from the roads, an unknown
        tier, or an id that exists.
    """
    result = session.current.result
    x, y = _check_point(result, lon, lat)
    tier_code = _tier(result, tier)
    counter = session.counter
    if station_id is None or str(station_id).strip() == "":
        sid, counter = _new_id(session)
    else:
        sid = _clean_name(station_id)
        if (result.stations["id"].astype(str) == sid).any():
            raise EditRefused(
                f"id: a station {sid!r} exists; give another id",
                f"编号：服务点 {sid!r} 已存在，请换一个编号",
            )
    default = f"新服务点 {sid}" if session.lang == "zh" else f"New station {sid}"
    label = _clean_name(name) if name not in (None, "") else default
    new = add_station(result, (x, y), station_id=sid, name=label, tier=tier_code)
    return _push(session, new, f"add {sid}", counter=counter)


def move_station(session: Session, station_id: object, lon: object, lat: object) -> Session:
    """The session with one more scenario: a station moved (closed, then opened again).

    The station keeps its id, name, tier and other columns.

    Parameters
    ----------
    session : Session
    station_id : str
        An id of the current scenario.
    lon, lat : float
        The new position, WGS84 degrees.

    Returns
    -------
    Session

    Raises
    ------
    EditRefused
        For an unknown id, or a point outside the study area or too far from the roads.
    """
    result = session.current.result
    row = _station_row(result, station_id)
    x, y = _check_point(result, lon, lat)
    return _push(session, moved_result(result, row["id"], (x, y)), f"move {row['id']}")


def close_station(session: Session, station_id: object) -> Session:
    """The session with one more scenario: a station closed.

    Parameters
    ----------
    session : Session
    station_id : str
        An id of the current scenario.

    Returns
    -------
    Session

    Raises
    ------
    EditRefused
        For an unknown id.
    """
    row = _station_row(session.current.result, station_id)
    return _push(session, remove_station(session.current.result, row["id"]), f"close {row['id']}")


def undo_edit(session: Session) -> Session:
    """The session without its last scenario.

    Raises
    ------
    EditRefused
        When only the run itself is left.
    """
    if len(session.scenarios) < 2:
        raise EditRefused("undo: nothing to undo", "撤销：没有可撤销的操作")
    kept = session.scenarios[:-1]
    return replace(
        session, scenarios=kept, changed=unit_changes(session.current.result, kept[-1].result)
    )


def rename_scenario(session: Session, index: object, name: object) -> Session:
    """The session with one scenario renamed.

    Parameters
    ----------
    session : Session
    index : int
        Position in ``session.scenarios`` (negative counts from the end).
    name : str
        The new name (1-80 characters).

    Raises
    ------
    EditRefused
        For an index out of range or an empty name.
    """
    try:
        i = int(index)  # type: ignore[call-overload]
        scenario = session.scenarios[i]
    except (TypeError, ValueError, IndexError):
        raise EditRefused(
            f"index: no scenario {index!r}; choose one from the list",
            f"序号：没有方案 {index!r}，请从列表中选择",
        ) from None
    scenarios = list(session.scenarios)
    scenarios[i] = replace(scenario, name=_clean_name(name))
    return replace(session, scenarios=tuple(scenarios))


def station_table(result: CoverageResult) -> pd.DataFrame:
    """The scenario's station table as given (without what the reader adds), with lon and lat.

    Reading it back (:func:`~coverage.read_stations`) gives the same stations, so a run
    over it reproduces the scenario.

    Parameters
    ----------
    result : CoverageResult

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``tier``, the table's other input columns, ``lon``, ``lat``.
    """
    added = {"geometry", "lon", "lat", "hours_original", *STATION_OUTPUT_COLUMNS}
    columns = [c for c in result.station_input_columns if c not in added]
    table = pd.DataFrame(result.stations[columns]).reset_index(drop=True)
    wgs = result.stations.geometry.to_crs("EPSG:4326")
    table["lon"] = wgs.x.to_numpy()
    table["lat"] = wgs.y.to_numpy()
    return table
