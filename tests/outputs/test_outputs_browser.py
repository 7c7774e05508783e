"""map.html in a real browser: headless Chromium with the network cut.

Each page is loaded from disk with every host unresolvable and every request sent to
a closed local port, so only what the page carries can run. A probe script records
JavaScript errors and what Leaflet drew; screenshots go to out/test-screenshots/.
"""

from __future__ import annotations

import numpy as np
import pytest
from outputs_helpers import colour_pixels, probe_page

from coverage.outputs.maps import coverage_map, save_map
from coverage.outputs.style import TIER_COLOURS, time_classes

pytestmark = pytest.mark.browser


def test_demo_map_works_offline(chromium, demo_result, tmp_path, screenshot_dir):
    page = save_map(coverage_map(demo_result), tmp_path / "map.html")
    shot = screenshot_dir / "demo-map-offline.png"
    seen = probe_page(chromium, page, tmp_path, shot=shot)
    assert seen["errors"] == []
    assert seen["containers"] == 1
    assert seen["layerControls"] == 1
    assert seen["legend"] is True
    assert seen["stations"] == len(demo_result.stations) == 33
    tiers = sorted(set(demo_result.stations["tier"]))
    for tier in tiers:
        assert f"Stations: {tier}" in seen["layerNames"]
    assert "Within 15 min" in seen["layerNames"]
    assert seen["images"] == 1  # the travel-time surface
    # it opens with the stations, the surface and its threshold boundary; the isochrones
    # and the gap areas are a toggle away
    on = {f"Stations: {tier}" for tier in tiers} | {"Travel time (minutes)", "15-min threshold"}
    assert set(seen["shown"]) == on
    toggles = {"Within 5 min", "Within 10 min", "Within 15 min"}
    if demo_result.gaps is not None and len(demo_result.gaps):
        toggles.add("Gap areas (uncovered residents)")
    assert set(seen["layerNames"]) - on == toggles
    assert seen["overlays"] == 1  # the threshold boundary only (no isochrone fill, no gaps)
    share = demo_result.summary["coverage_share"]
    assert seen["title"] == (
        f"helsinki-demo · 15-min walk coverage of service pointsShare within 15 min: {share:.1%}"
    )
    # the surface is painted in its classes: the two commonest classes of the populated
    # cells (colours from style.time_classes, drawn at 70 % over the page's grey)
    classes = time_classes(15.0)
    people = demo_result.demand.population > 0
    counts = np.bincount(classes.classify(demo_result.point_minutes[people]))
    for k in np.argsort(counts)[::-1][:2]:
        colour = classes.palette()[k]
        assert colour_pixels(shot, _over_white(colour, 0.7), tolerance=0.08) > 200, colour
    # tiles cannot load offline: the page says so, discreetly
    assert seen["notice"] == "block"
    # the station markers and the legend really are painted
    assert colour_pixels(shot, TIER_COLOURS["partner-bank"]) > 100
    assert colour_pixels(shot, TIER_COLOURS["county"]) > 10


def _over_white(colour: str, alpha: float) -> str:
    """The colour seen when ``colour`` is drawn at ``alpha`` over white tiles' absence.

    Offline there are no tiles: the map's background is Leaflet's light grey (#ddd).
    """
    from matplotlib import colors

    rgb = np.array(colors.to_rgb(colour)) * alpha + np.array(colors.to_rgb("#dddddd")) * (1 - alpha)
    return colors.to_hex(rgb)


def test_hostile_names_do_not_run_in_the_browser(chromium, hostile_result, tmp_path):
    page = save_map(coverage_map(hostile_result), tmp_path / "map.html")
    seen = probe_page(chromium, page, tmp_path)
    assert seen["errors"] == []
    assert seen["pwned"] is None
    assert seen["stations"] == 3
    assert any("<img src=x onerror=" in name for name in seen["layerNames"])  # shown as text


@pytest.mark.parametrize(("basemap", "lang"), [("amap", "zh"), ("none", "en"), ("tianditu", "zh")])
def test_basemaps_work_offline(chromium, hostile_result, tmp_path, screenshot_dir, basemap, lang):
    fmap = coverage_map(hostile_result, basemap=basemap, lang=lang, tianditu_key="test-key")
    page = save_map(fmap, tmp_path / f"map-{basemap}.html")
    seen = probe_page(chromium, page, tmp_path, shot=screenshot_dir / f"grid-{basemap}-{lang}.png")
    assert seen["errors"] == []
    assert seen["stations"] == 3
    assert seen["layerControls"] == 1
    if basemap == "none":
        assert seen["tiles"] == 0
        assert seen["notice"] == "none"  # no tiles, nothing failed
    else:
        assert seen["notice"] == "block"


def test_chinese_report_renders_offline(chromium, demo_result, tmp_path, screenshot_dir):
    """report.html (zh) of a two-mode run: the embedded map and the mode chart render."""
    import io

    from matplotlib.figure import Figure

    from coverage.outputs.report import write_report
    from coverage.outputs.report.modes import MODE_COLOURS

    figure = Figure(figsize=(2, 1))
    figure.add_subplot().plot([0, 1], [0, 1])
    png = io.BytesIO()
    figure.savefig(png, format="png")
    walk = demo_result.summary
    ebike = {
        **walk,
        "mode": "ebike",
        "coverage_by_minutes": dict.fromkeys(walk["coverage_by_minutes"], 1.0),
    }
    page = write_report(
        demo_result,
        tmp_path / "report.html",
        lang="zh",
        images={"总图": png.getvalue()},
        modes={"walk": walk, "ebike": ebike},
    )
    shot = screenshot_dir / "demo-report-zh.png"
    seen = probe_page(chromium, page, tmp_path, shot=shot)
    assert seen["errors"] == []
    assert seen["pageImages"] == seen["pageImagesLoaded"] == 1
    assert seen["modeCharts"] == 1
    assert seen["h1"] == "服务圈覆盖评估报告：helsinki-demo · 步行 15 分钟医保服务圈"
    assert colour_pixels(shot, MODE_COLOURS[1]) > 200  # the e-bike bars are painted


def test_notebook_display_works_offline(chromium, demo_result, tmp_path):
    """``result.explore()`` in Jupyter: the iframe page carries Leaflet itself (no CDN)."""
    import html
    import re

    shown = demo_result.explore()._repr_html_()
    match = re.search(r'srcdoc="([^"]*)"', shown)
    assert match is not None
    page = html.unescape(match.group(1))
    assert not re.search(r'<script src="https?:|<link rel="stylesheet" href="https?:', page)
    (tmp_path / "notebook.html").write_text(page, encoding="utf-8")
    seen = probe_page(chromium, tmp_path / "notebook.html", tmp_path)
    assert seen["errors"] == []
    assert seen["containers"] == 1
    assert seen["stations"] == len(demo_result.stations) == 33
