"""The planning session: each edit equals `coverage15 run` on the edited station table."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from plan_helpers import assert_same_coverage, node_row, run_with_stations

from coverage.errors import EditRefused
from coverage.inputs.crs import transform_xy
from coverage.plan import (
    close_station,
    move_station,
    open_station,
    rename_scenario,
    start_session,
    station_table,
    undo_edit,
)
from coverage.plan.view import SurfaceCanvas, session_view


def _at(case, node):
    return float(case.extra["lon"][node]), float(case.extra["lat"][node])


def test_add_move_close_undo_equal_runs_on_the_edited_table(plan_case, tmp_path):
    case = plan_case
    start = start_session(case.extra["result"])
    s1 = node_row(case, "S1", "Station 1", "township", (1, 1))
    s2 = node_row(case, "S2", "Station 2", "township", (5, 5))
    assert start.current.result.units["unit"]["covered"].tolist() == [False, True]

    # add a village point at (5, 1): the west unit becomes covered, both targets met
    added = open_station(start, *_at(case, (5, 1)), tier="village")
    p1 = node_row(case, "P1", "New station P1", "village", (5, 1))
    assert_same_coverage(added.current.result, run_with_stations(case, [s1, s2, p1], tmp_path))
    assert [(c.unit, c.was, c.now) for c in added.changed] == [("west", False, True)]
    assert added.current.result.targets["met"].tolist() == [True, True]
    assert added.current.edit == "add P1"

    # move S2 from (5, 5) to (1, 5): a run with S2 there instead
    moved = move_station(added, "S2", *_at(case, (1, 5)))
    s2_moved = node_row(case, "S2", "Station 2", "township", (1, 5))
    reference = run_with_stations(case, [s1, p1, s2_moved], tmp_path)
    assert_same_coverage(moved.current.result, reference)
    was = added.current.result.units["unit"]["covered"].tolist()
    now = reference.units["unit"]["covered"].tolist()
    assert [(c.unit, c.was, c.now) for c in moved.changed] == [
        (u, a, b) for u, a, b in zip(["west", "east"], was, now, strict=True) if a != b
    ]
    assert moved.current.result.stations.set_index("id").loc["S2", "name"] == "Station 2"

    # close S1
    closed = close_station(moved, "S1")
    assert_same_coverage(closed.current.result, run_with_stations(case, [p1, s2_moved], tmp_path))

    # undo twice: back to the scenario with P1 added, then to the run
    back = undo_edit(undo_edit(closed))
    assert back.current is added.current
    assert_same_coverage(back.current.result, run_with_stations(case, [s1, s2, p1], tmp_path))
    assert [(c.unit, c.was, c.now) for c in back.changed] == [
        (c.unit, c.now, c.was) for c in moved.changed
    ]
    assert len(undo_edit(back).scenarios) == 1
    # the sessions before stay as they were (nothing is changed in place)
    assert len(closed.scenarios) == 4 and len(added.scenarios) == 2
    assert closed.current.result.summary["stations"] == 2


def test_the_station_table_reproduces_the_scenario(plan_case, tmp_path):
    case = plan_case
    session = open_station(
        start_session(case.extra["result"]), *_at(case, (3, 3)), tier="village", name="河口村"
    )
    session = move_station(session, "S1", *_at(case, (0, 2)))
    table = station_table(session.current.result)
    assert table.columns.tolist()[:3] == ["id", "name", "tier"]
    assert table["id"].tolist() == ["S2", "P1", "S1"]
    assert table["name"].tolist()[1] == "河口村"
    rows = [f"{r.id},{r.name},{r.tier},{r.lon!r},{r.lat!r}" for r in table.itertuples()]
    assert_same_coverage(session.current.result, run_with_stations(case, rows, tmp_path))


def test_bad_edits_are_refused_and_change_nothing(plan_case):
    case = plan_case
    session = start_session(case.extra["result"])
    lon, lat = _at(case, (3, 3))
    cases = [
        (lambda: open_station(session, lon + 0.05, lat, tier="village"), "outside the study area"),
        (lambda: open_station(session, "east", lat, tier="village"), "not a position"),
        (lambda: open_station(session, lon, lat, tier="castle"), "tier: 'castle' is not"),
        (
            lambda: open_station(session, lon, lat, tier="village", station_id="S1"),
            "a station 'S1' exists",
        ),
        (lambda: move_station(session, "S9", lon, lat), "no station 'S9'"),
        (lambda: move_station(session, "S1", lon, lat + 1.0), "outside the study area"),
        (lambda: close_station(session, "nope"), "no station 'nope'"),
        (lambda: undo_edit(session), "nothing to undo"),
        (lambda: rename_scenario(session, 5, "x"), "no scenario 5"),
        (lambda: rename_scenario(session, 0, "   "), "non-empty name"),
    ]
    for edit, message in cases:
        with pytest.raises(EditRefused, match=message) as caught:
            edit()
        assert caught.value.zh and caught.value.zh != caught.value.en
    assert len(session.scenarios) == 1
    assert session.current.result.summary["stations"] == 2


def test_a_point_beyond_max_access_m_from_the_roads_is_refused(plan_case, tmp_path):
    from coverage import load_config, run_coverage

    case = plan_case
    text = case.config.read_text(encoding="utf-8") + "max_access_m: 50\n"
    near = case.config.with_name("near.yaml")
    near.write_text(text, encoding="utf-8")
    session = start_session(run_coverage(load_config(near)))
    lon, lat = _at(case, (3, 3))
    lon2, lat2 = _at(case, (4, 4))
    # the centre of a block: inside the study area, ~141 m from the nearest road node
    with pytest.raises(EditRefused, match="more than 50 m") as caught:
        open_station(session, (lon + lon2) / 2, (lat + lat2) / 2, tier="village")
    assert "max_access_m" in caught.value.zh
    assert len(open_station(session, lon, lat, tier="village").scenarios) == 2


def test_rename_and_view(plan_case):
    case = plan_case
    start = start_session(case.extra["result"], lang="zh")
    session = open_station(start, *_at(case, (5, 1)), tier="village")
    assert session.current.name == "方案 1"
    assert session.current.result.stations["name"].iloc[-1] == "新服务点 P1"
    session = rename_scenario(session, -1, "  西片 新增 村点 ")
    assert session.current.name == "西片 新增 村点"
    view = session_view(session, canvas=None, shift=lambda x, y: (x, y), lang="zh")
    result = session.current.result
    assert view["headline"]["share"] == result.coverage_share
    assert view["headline"]["covered"] == result.summary["population_covered"]
    assert view["headline"]["stations"] == 3
    (level,) = view["levels"]
    assert level["label"] == "单元" and level["covered"] == [True, True]
    assert [(t["year"], t["met"], t["units_to_cover"]) for t in level["targets"]] == [
        (2025, True, 0),
        (2026, True, 0),
    ]
    assert view["changed"] == [
        {"level": "unit", "index": 0, "unit": "west", "was": False, "now": True}
    ]
    assert [s["id"] for s in view["stations"]] == ["S1", "S2", "P1"]
    assert view["stations"][2]["tier_label"] == "村（社区）"
    catchments = result.stations["catchment_population"].tolist()
    assert [s["catchment"] for s in view["stations"]] == catchments
    assert [s["name"] for s in view["scenarios"]] == ["现状", "西片 新增 村点"]
    # siting candidates: the most populated cells still beyond the threshold, 1 km apart
    minutes, people = result.point_minutes, result.demand.population
    beyond = (minutes > result.summary["minutes"]) & (people > 0)
    candidate = view["candidates"][0]
    populations = [c["population"] for c in view["candidates"]]
    assert populations == sorted(populations, reverse=True)
    assert set(populations) <= set(people[beyond])
    assert candidate["population"] == people[beyond].max()
    best = np.flatnonzero(beyond)[np.argmax(people[beyond])]
    x, y = transform_xy(result.demand.x[[best]], result.demand.y[[best]], result.demand.crs, 4326)
    assert (candidate["lon"], candidate["lat"]) == pytest.approx((x[0], y[0]), abs=1e-7)
    english = open_station(start_session(case.extra["result"]), *_at(case, (5, 1)), tier="village")
    assert [s.name for s in english.scenarios] == ["Current", "Plan 1"]
    assert english.current.result.stations["name"].iloc[-1] == "New station P1"


def test_surface_png_paints_each_class(plan_case):
    import base64
    import io

    import numpy as np
    from PIL import Image

    result = plan_case.extra["result"]
    canvas = SurfaceCanvas.for_result(result, lambda x, y: (x, y))
    assert canvas is not None
    url = canvas.png(result)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA")
    pixels = np.asarray(image)
    assert pixels.shape[:2] == canvas.rows.shape
    # every painted pixel shows the class colour of its grid cell's minutes
    minutes = result.minutes_grid()
    inside = canvas.rows >= 0
    expected = canvas.classes.rgba(minutes[canvas.rows[inside], canvas.cols[inside]])
    np.testing.assert_allclose(pixels[inside][:, :3] / 255, expected[:, :3], atol=1 / 255)
    assert (pixels[inside][:, 3] == round(255 * 0.7)).all()
    assert (pixels[~inside][:, 3] == 0).all()


def test_demo_edits_equal_runs_on_the_edited_table(tmp_path):
    """The embedded demo (central Helsinki, 33 stations): close, move and add."""
    import pandas as pd

    from coverage import load_config, prepare_demo, run_coverage

    config = prepare_demo(tmp_path / "demo")
    result = run_coverage(load_config(config))
    table = pd.read_csv(config.parent / "stations.csv", encoding="utf-8-sig")
    first, second, third = (str(i) for i in table["id"].iloc[:3])
    where = table.set_index("id")
    moved_to = (float(where.loc[second, "lon"]) + 0.004, float(where.loc[second, "lat"]))
    added_at = (float(table["lon"].mean()), float(table["lat"].mean()) + 0.003)

    session = close_station(start_session(result), first)
    session = move_station(session, second, *moved_to)
    session = open_station(session, *added_at, tier="partner-pharmacy", name="Uusi apteekki")
    session = close_station(session, third)
    session = undo_edit(session)

    edited = table[table["id"] != first].copy()
    edited.loc[edited["id"] == second, ["lon", "lat"]] = moved_to
    new = {"id": "P1", "name": "Uusi apteekki", "tier": "partner-pharmacy"}
    edited = pd.concat(
        [edited, pd.DataFrame([{**new, "lon": added_at[0], "lat": added_at[1]}])],
        ignore_index=True,
    )
    path = tmp_path / "edited.csv"
    edited.to_csv(path, index=False)
    reference = run_coverage(load_config(config, stations=str(path)))
    planned = session.current.result
    for key in ("coverage_by_minutes", "population_by_minutes", "mean_minutes", "stations"):
        assert planned.summary[key] == pytest.approx(reference.summary[key], rel=1e-12), key
    np.testing.assert_allclose(planned.point_minutes, reference.point_minutes, rtol=1e-12)
    assert planned.summary["coverage_by_minutes"]["5"] != result.summary["coverage_by_minutes"]["5"]
