"""The planning page in real headless Chromium (driven by Playwright), with the network cut.

Chromium is Debian's (the ``chromium`` fixture installs it when missing); every host
but the local server is unresolvable and every other request goes to a closed proxy.
The page is clicked, dragged and closed like a planner would, and the panel's share
and unit verdicts are checked against ``coverage15 run`` on the edited station table.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest
from fixtures.browser import HEADLESS_FLAGS
from plan_helpers import node_row, run_with_frame, run_with_stations, uncovered_village_point

from coverage.plan import start_session, station_table
from coverage.plan.server import make_server

pytestmark = pytest.mark.browser

# offline: a closed proxy for everything but loopback, and no host name resolves
FLAGS = [
    *HEADLESS_FLAGS,
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@contextlib.contextmanager
def served(result, tmp_path, *, lang="zh"):
    """A planning server for ``result`` on a free port, in a thread."""
    server = make_server(
        start_session(result, lang=lang),
        port=0,
        lang=lang,
        basemap="none",
        write_options={"lang": lang, "basemap": "none"},
        base_dir=tmp_path,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def browser_page(chromium: str, tmp_path, base: str) -> Iterator[tuple]:
    """A fresh Chromium page; yields (page, errors, foreign requests)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=chromium,
            args=FLAGS,
            headless=True,
            viewport={"width": 1280, "height": 800},
        )
        try:
            page = context.new_page()
            errors: list[str] = []
            foreign: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on(
                "request",
                lambda r: None if r.url.startswith((base, "data:")) else foreign.append(r.url),
            )
            yield page, errors, foreign
        finally:
            context.close()


def wait_for(page, expression: str, timeout: float = 60.0):
    """Poll a JavaScript expression until it is truthy (the page's CSP forbids eval)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(expression)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(
        f"timed out waiting for {expression}; message: {page.inner_text('#message')}"
    )


def map_pixel(page, lon: float, lat: float) -> tuple[float, float]:
    """Page coordinates of a lon/lat on the map."""
    return tuple(
        page.evaluate(
            """([lat, lon]) => {
                const p = planMap.latLngToContainerPoint([lat, lon]);
                const r = document.getElementById("map").getBoundingClientRect();
                return [p.x + r.left, p.y + r.top];
            }""",
            [lat, lon],
        )
    )


def marker_centre(page, station_id: str) -> tuple[float, float]:
    box = page.locator(f'[data-station="{station_id}"]').bounding_box()
    assert box is not None, station_id
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def edit_and_wait(page, action) -> float:
    """Do one edit on the page; its time in the page (ms), once the panel is redrawn."""
    done = page.evaluate("window.planEdits || 0")
    action()
    wait_for(page, f"(window.planEdits || 0) === {done + 1}")
    return float(page.evaluate("window.planLastEditMs"))


def drag(page, station_id: str, lon: float, lat: float) -> None:
    x0, y0 = marker_centre(page, station_id)
    x1, y1 = map_pixel(page, lon, lat)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    page.mouse.up()


def close_by_popup(page, station_id: str) -> None:
    page.mouse.click(*marker_centre(page, station_id))
    page.locator(f'button.close-station[data-id="{station_id}"]').click()


def panel_matches(page, reference) -> None:
    """The panel shows the reference run's share, unit verdicts and target verdicts."""
    state = page.evaluate("window.planState")
    share = reference.coverage_share
    assert state["headline"]["share"] == pytest.approx(share, rel=1e-12)
    assert page.inner_text("#share") == f"{100 * share:.1f}%"
    for level in state["levels"]:
        table = reference.units[level["level"]]
        assert level["covered"] == [None if v is None else bool(v) for v in table["covered"]]
        targets = reference.targets[reference.targets["level"] == level["level"]]
        assert [t["met"] for t in level["targets"]] == targets["met"].tolist()
        assert [t["units_to_cover"] for t in level["targets"]] == targets["units_to_cover"].tolist()


def test_add_move_close_undo_in_the_browser(chromium, plan_case, tmp_path, screenshot_dir):
    case = plan_case
    lon, lat = case.extra["lon"], case.extra["lat"]
    s1 = node_row(case, "S1", "Station 1", "township", (1, 1))
    s2 = node_row(case, "S2", "Station 2", "township", (5, 5))
    with served(case.extra["result"], tmp_path) as server:
        with browser_page(chromium, tmp_path, server.url[:-1]) as (page, errors, foreign):
            page.goto(server.url)
            wait_for(page, "window.planReady === true")
            assert page.locator("[data-station]").count() == 2
            assert page.locator(".leaflet-image-layer").count() == 1  # the surface
            assert "单元：已覆盖 1 / 2 个" in page.inner_text("#levels")

            # click the map to add a village point at (5, 1): the west unit becomes covered
            page.select_option("#tier", "village")
            edit_and_wait(page, lambda: page.mouse.click(*map_pixel(page, lon[5, 1], lat[5, 1])))
            p1 = station_table(server.app.session.current.result).iloc[-1]
            assert p1["id"] == "P1" and p1["tier"] == "village"
            assert abs(p1["lon"] - lon[5, 1]) < 2e-5 and abs(p1["lat"] - lat[5, 1]) < 2e-5
            p1_row = f"P1,新服务点 P1,village,{float(p1['lon'])!r},{float(p1['lat'])!r}"
            added = run_with_stations(case, [s1, s2, p1_row], tmp_path)
            panel_matches(page, added)
            assert "west：变为已覆盖" in page.inner_text("#changed")
            assert page.locator("[data-station]").count() == 3

            # drag S2 from (5, 5) to (1, 5)
            edit_and_wait(page, lambda: drag(page, "S2", lon[1, 5], lat[1, 5]))
            s2_now = station_table(server.app.session.current.result).set_index("id").loc["S2"]
            assert abs(s2_now["lon"] - lon[1, 5]) < 2e-5 and abs(s2_now["lat"] - lat[1, 5]) < 2e-5
            s2_row = f"S2,Station 2,township,{float(s2_now['lon'])!r},{float(s2_now['lat'])!r}"
            moved = run_with_stations(case, [s1, p1_row, s2_row], tmp_path)
            panel_matches(page, moved)

            # close S1 from its popup
            edit_and_wait(page, lambda: close_by_popup(page, "S1"))
            panel_matches(page, run_with_stations(case, [p1_row, s2_row], tmp_path))
            assert page.locator("[data-station]").count() == 2

            # undo: back to the scenario with S2 moved
            edit_and_wait(page, lambda: page.click("#undo"))
            panel_matches(page, moved)
            assert page.locator("#scenarios li").count() == 3

            # a click outside the study area: a message, and nothing changes
            before = page.evaluate("JSON.stringify(window.planState)")
            page.evaluate("planMap.setZoom(planMap.getZoom() - 1, {animate: false})")
            west = lon[0, 0] - 0.8 * (lon[0, 1] - lon[0, 0])  # 160 m beyond the west unit
            page.mouse.click(*map_pixel(page, west, lat[3, 0]))
            wait_for(page, "document.getElementById('message').className === 'error'")
            assert "研究区域之外" in page.inner_text("#message")
            assert page.evaluate("JSON.stringify(window.planState)") == before
            page.screenshot(path=str(screenshot_dir / "plan-grid.png"))

            # export the scenario on screen into a folder named in the panel
            page.fill("#folder", "方案导出")
            edit_and_wait(page, lambda: page.click("#export"))
            out = tmp_path / "方案导出"
            assert "已导出至" in page.inner_text("#message")
            assert (out / "map.html").is_file() and (out / "report.html").is_file()
            exported = (out / "plan_stations.csv").read_text(encoding="utf-8-sig").splitlines()
            assert [row.split(",")[0] for row in exported] == ["id", "S1", "P1", "S2"]

            # a click on the first siting candidate opens a station exactly there
            candidate = page.evaluate("window.planState.candidates")[0]
            edit_and_wait(page, lambda: page.locator('[data-candidate="0"]').click())
            opened = station_table(server.app.session.current.result).iloc[-1]
            assert (opened["lon"], opened["lat"]) == pytest.approx(
                (candidate["lon"], candidate["lat"]), abs=1e-7
            )
            assert opened["tier"] == "village"
            assert page.locator("[data-station]").count() == 4
            # the browser logs the refused edit's 400; nothing else went wrong
            assert errors == [
                "Failed to load resource: the server responded with a status of 400 (Bad Request)"
            ]
            assert foreign == []


@pytest.mark.shared
@pytest.mark.filterwarnings("ignore::coverage.metrics.duplicates.DuplicateStationWarning")
def test_comoros_edits_in_the_browser_within_half_a_second(
    chromium, comoros_plan, tmp_path, screenshot_dir
):
    import geopandas as gpd

    config, result = comoros_plan
    stations = gpd.read_file(config.parent / "stations.geojson")
    add_lon, add_lat = uncovered_village_point(result)
    moved_id = str(stations["id"].iloc[10])
    where = stations.set_index("id").geometry[moved_id]
    with served(result, tmp_path) as server:
        with browser_page(chromium, tmp_path, server.url[:-1]) as (page, errors, foreign):
            page.goto(server.url)
            wait_for(page, "window.planReady === true", timeout=120)
            assert page.locator("[data-station]").count() == 70
            page.select_option("#tier", "village")
            zoom_to = "([lat, lon]) => planMap.setView([lat, lon], 13, {animate: false})"
            page.evaluate(zoom_to, [add_lat, add_lon])  # the planner zooms in on the village
            ms = {}
            ms["add"] = edit_and_wait(
                page, lambda: page.mouse.click(*map_pixel(page, add_lon, add_lat))
            )
            assert page.locator("#changed li.gained").count() >= 1  # the village is covered
            page.screenshot(path=str(screenshot_dir / "plan-comoros-add.png"))
            page.evaluate(zoom_to, [where.y, where.x])
            ms["move"] = edit_and_wait(
                page, lambda: drag(page, moved_id, where.x + 0.01, where.y - 0.005)
            )
            ms["close"] = edit_and_wait(page, lambda: close_by_popup(page, moved_id))
            ms["undo"] = edit_and_wait(page, lambda: page.click("#undo"))
            # the scenario on screen (P1 added, one station moved) against a run of its table
            current = server.app.session.current.result
            table = station_table(current)
            frame = gpd.GeoDataFrame(
                table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326"
            ).drop(columns=["lon", "lat"])
            reference = run_with_frame(config, frame, tmp_path)
            panel_matches(page, reference)
            page.screenshot(path=str(screenshot_dir / "plan-comoros.png"))
            print(f"Comoros edit times in the page (ms): {ms}")
            (screenshot_dir / "plan-comoros-timings.json").write_text(json.dumps(ms))
            assert errors == []
            assert foreign == []
    assert np.median(list(ms.values())) < 1000, ms


def test_demo_in_english_in_the_browser(chromium, tmp_path):
    """The embedded demo (central Helsinki, 33 stations, no units), page in English."""
    import geopandas as gpd

    from coverage import load_config, prepare_demo, run_coverage

    config = prepare_demo(tmp_path / "demo")
    result = run_coverage(load_config(config))
    first, second = (str(i) for i in result.stations["id"].iloc[:2])
    where = result.stations.set_index("id")
    with served(result, tmp_path, lang="en") as server:
        with browser_page(chromium, tmp_path, server.url[:-1]) as (page, errors, foreign):
            page.goto(server.url)
            wait_for(page, "window.planReady === true")
            assert page.locator("[data-station]").count() == 33
            assert "No unit boundaries" in page.inner_text("#levels")
            zoom_to = "([lat, lon]) => planMap.setView([lat, lon], 16, {animate: false})"
            page.evaluate(zoom_to, [where.loc[first, "lat"], where.loc[first, "lon"]])
            edit_and_wait(page, lambda: close_by_popup(page, first))
            page.evaluate(zoom_to, [where.loc[second, "lat"], where.loc[second, "lon"]])
            target = (where.loc[second, "lon"] + 0.002, where.loc[second, "lat"] - 0.001)
            edit_and_wait(page, lambda: drag(page, second, *target))
            page.select_option("#tier", "partner-pharmacy")
            page.fill("#new-name", "Uusi apteekki")
            beside = (target[0] + 0.001, target[1])  # not on the moved station's marker
            edit_and_wait(page, lambda: page.mouse.click(*map_pixel(page, *beside)))
            edit_and_wait(page, lambda: page.click("#undo"))
            edit_and_wait(page, lambda: page.mouse.click(*map_pixel(page, *beside)))
            assert page.inner_text("#scenarios").count("Plan") == 3
            current = server.app.session.current.result
            assert current.stations["name"].iloc[-1] == "Uusi apteekki"
            table = station_table(current)
            frame = gpd.GeoDataFrame(
                table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326"
            ).drop(columns=["lon", "lat"])
            reference = run_with_frame(config, frame, tmp_path)
            assert reference.summary["stations"] == 33
            panel_matches(page, reference)
            shares = page.evaluate("window.planState.scenarios.map(s => s.share)")
            assert shares[0] == pytest.approx(result.coverage_share, rel=1e-12)
            assert errors == []
            assert foreign == []
