"""The interactive map: escaping, offline assets, basemaps and the GCJ-02 display shift."""

from __future__ import annotations

import html
import json
import re

import folium
import numpy as np
import pytest
from outputs_helpers import PAYLOAD_JINJA, PAYLOAD_TEMPLATE, PAYLOADS, station_points
from pyproj import Geod

from coverage.engine.access import AccessModel
from coverage.errors import CoverageError, InputError
from coverage.inputs.crs import wgs84_to_gcj02
from coverage.outputs.basemaps import basemap_from_spec
from coverage.outputs.maps import (
    coverage_map,
    escape,
    map_html,
    road_lines,
    save_map,
    water_features,
)
from coverage.outputs.style import time_classes

IMAGE_BOUNDS = re.compile(r"L\.imageOverlay\(\s*\"data:image/png;base64,[^\"]+\",\s*(\[\[.*?\]\])")
GEOD = Geod(ellps="WGS84")


def _markers(page: str) -> np.ndarray:
    return np.array([[p[0], p[1]] for p in station_points(page)])


@pytest.fixture(scope="module")
def osm_page(hostile_result):
    return map_html(coverage_map(hostile_result))


def test_hostile_names_are_escaped_everywhere(osm_page):
    for payload in PAYLOADS:
        assert payload not in osm_page
    assert "<script>window.__pwned" not in osm_page
    assert 'onerror="window' not in osm_page
    assert 'onmouseover="window' not in osm_page
    assert "${window" not in osm_page  # would run inside folium's JS template strings
    # the names are there, as text (in the stations' data, HTML-escaped for Leaflet)
    points = station_points(osm_page)
    assert escape("<script>window.__pwned=1</script>") in [p[3] for p in points]
    assert any("&lt;img src=x onerror=" in p[2] for p in points)


def test_escape_covers_html_and_template_strings():
    assert escape("a<b>&\"'`${x}\\") == ("a&lt;b&gt;&amp;&quot;&#x27;&#96;&#36;&#123;x&#125;&#92;")
    assert html.unescape(escape(PAYLOAD_JINJA)) == PAYLOAD_JINJA  # shown as written


def test_verbatim_elements_are_not_compiled_again():
    from branca.element import MacroElement, Template

    from coverage.outputs.webpage import Verbatim, VerbatimMacro, offline_map

    macro = "{% macro script(this, kwargs) %}var x = {{ this.data|tojson }};{% endmacro %}"

    def page(base: type) -> str:
        element = type("E", (base,), {"_template": Template(macro)})()
        element.data = "{{ 6*7 }}"
        fmap = offline_map(tiles=None)
        element.add_to(fmap)
        fmap.get_root().html.add_child(Verbatim("<p>{{ 1+1 }}</p>"))
        return map_html(fmap)

    assert 'var x = "42";' in page(MacroElement)  # branca's second pass, shown for contrast
    text = page(VerbatimMacro)
    assert 'var x = "{{ 6*7 }}";' in text and "<p>{{ 1+1 }}</p>" in text


def test_names_are_never_run_as_templates(osm_page):
    # branca compiles each element's output as a Jinja template: a name holding
    # "{{ 6*7 }}{% if true %}ran{% endif %}" gave "42ran" (and could call Python)
    assert "42ran" not in osm_page and "6*7" in osm_page
    (tooltip,) = [p[3] for p in station_points(osm_page) if "6*7" in p[3]]
    assert html.unescape(tooltip) == PAYLOAD_TEMPLATE + " " + PAYLOAD_JINJA
    units = re.search(r'"Unit": "(east [^"]*)"', osm_page)
    assert units is not None
    assert html.unescape(json.loads(f'"{units.group(1)}"')) == "east " + PAYLOAD_JINJA


def test_page_loads_nothing_from_the_network(osm_page):
    assert not re.search(r"<script[^>]+src=", osm_page)
    assert not re.search(r"<link[^>]+stylesheet", osm_page)
    assert "Leaflet 1.9.4" in osm_page  # inlined, with its licence header
    assert "jQuery v3.7.1" in osm_page
    assert "cdn.jsdelivr" not in osm_page and "code.jquery" not in osm_page
    assert "url(images/" not in osm_page  # Leaflet's control images are data URLs
    # only the basemap tiles come from a server
    assert re.findall(r"https://[^\"'\s]+\{z\}", osm_page) == ["https://tile.openstreetmap.org/{z}"]


def test_an_element_from_an_unvendored_cdn_is_refused(hostile_result):
    fmap = coverage_map(hostile_result)
    from folium.plugins import Fullscreen

    Fullscreen().add_to(fmap)
    with pytest.raises(CoverageError, match="does not vendor"):
        map_html(fmap)


def test_map_content_layers_and_attribution(osm_page, hostile_result):
    # one layer per tier, one isochrone per threshold, a choropleth per unit level
    for name in ("Stations: township", "Stations: village", "Within 4 min", "Within 6 min"):
        assert json.dumps(name) in osm_page
    assert '"Units: township"' in osm_page and '"Units: village"' in osm_page
    assert '"Travel time (minutes)"' in osm_page
    assert "OpenStreetMap contributors (ODbL)" in osm_page
    assert "coverage15-tile-notice" in osm_page
    # three stations, drawn where they are (WGS84 on the OSM basemap)
    st = hostile_result.stations
    got = _markers(osm_page)
    np.testing.assert_allclose(
        np.sort(got, axis=0), np.sort(st[["lat", "lon"]].to_numpy(), axis=0), atol=1e-9
    )


def test_amap_draws_wgs84_stations_at_their_gcj02_position(hostile_result):
    """The grid is in Zhejiang: on AMap tiles every overlay moves by the GCJ-02 offset."""
    st = hostile_result.stations
    page = map_html(coverage_map(hostile_result, basemap="amap"))
    got = _markers(page)
    # independent reference point of the published algorithm (coordtransform):
    # WGS84 (116.404, 39.915) -> GCJ-02 (116.4102445, 39.9164043)
    ref_x, ref_y = wgs84_to_gcj02(116.404, 39.915)
    assert (round(float(ref_x[0]), 7), round(float(ref_y[0]), 7)) == (116.4102445, 39.9164043)
    gx, gy = wgs84_to_gcj02(st["lon"].to_numpy(), st["lat"].to_numpy())
    expected = np.column_stack([gy, gx])
    np.testing.assert_allclose(np.sort(got, axis=0), np.sort(expected, axis=0), atol=1e-9)
    # the shift is hundreds of metres, so drawing unshifted would be visibly wrong
    _, _, metres = GEOD.inv(st["lon"].to_numpy(), st["lat"].to_numpy(), gx, gy)
    assert np.all((metres > 100) & (metres < 1000))
    # the travel-time image moves with it, by the offset at its corners
    osm_bounds = np.array(
        json.loads(IMAGE_BOUNDS.search(map_html(coverage_map(hostile_result))).group(1))
    )
    amap_bounds = np.array(json.loads(IMAGE_BOUNDS.search(page).group(1)))
    cx, cy = wgs84_to_gcj02(osm_bounds[:, 1], osm_bounds[:, 0])
    np.testing.assert_allclose(amap_bounds, np.column_stack([cy, cx]), atol=1e-6)
    # the data files are not shifted: the result still holds WGS84
    np.testing.assert_allclose(st["lon"], hostile_result.stations["lon"])
    assert "autonavi.com" in page


def test_amap_shifts_unit_polygons(hostile_result):
    page = map_html(coverage_map(hostile_result, basemap="amap"))
    plain = map_html(coverage_map(hostile_result, basemap="osm"))

    def first_ring(html: str) -> np.ndarray:
        match = re.search(r'"coordinates":\s*\[+(\[[-\d.]+,\s*[-\d.]+\])', html)
        assert match
        return np.array(json.loads(match.group(1)))

    lon, lat = first_ring(plain)
    gx, gy = wgs84_to_gcj02(lon, lat)
    np.testing.assert_allclose(first_ring(page), [gx[0], gy[0]], atol=2e-6)


def test_gcj02_leaves_points_outside_china():
    x, y = wgs84_to_gcj02([43.3, 24.9], [-11.7, 60.2])  # Comoros, Helsinki
    np.testing.assert_array_equal(x, [43.3, 24.9])
    np.testing.assert_array_equal(y, [-11.7, 60.2])


def test_tianditu_needs_a_key(hostile_result, monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(InputError, match="TIANDITU_KEY"):
        coverage_map(hostile_result, basemap="tianditu")
    page = map_html(
        coverage_map(hostile_result, basemap="tianditu", tianditu_key="k123", lang="zh")
    )
    assert "vec_w/wmts" in page and "cva_w/wmts" in page and "tk=k123" in page
    monkeypatch.setenv("TIANDITU_KEY", "fromenv")
    page = map_html(coverage_map(hostile_result, basemap="tianditu"))
    assert "tk=fromenv" in page and "eva_w/wmts" in page  # English annotation for lang en


def test_custom_basemap_and_its_datum(hostile_result):
    spec = {"url": "http://tiles.local/{z}/{x}/{y}.png", "attribution": "县 <b>", "datum": "gcj02"}
    page = map_html(coverage_map(hostile_result, basemap=spec))
    assert "http://tiles.local/{z}/{x}/{y}.png" in page
    # HTML-escaped (Leaflet shows attributions as HTML), then JSON-escaped by folium
    assert '"attribution": "\\u53bf \\u0026lt;b\\u0026gt;"' in page
    got = _markers(page)
    st = hostile_result.stations
    gx, gy = wgs84_to_gcj02(st["lon"].to_numpy(), st["lat"].to_numpy())
    np.testing.assert_allclose(np.sort(got, axis=0), np.sort(np.column_stack([gy, gx]), axis=0))
    for bad, message in [
        ("google", "must be one of osm, tianditu, amap, none"),
        ({"url": "http://x/tile.png"}, r"\{z\}, \{x\} and \{y\}"),
        ({"url": "http://x/{z}/{x}/{y}", "datum": "bd09"}, "wgs84 or gcj02"),
        ({"url": "http://x/{z}/{x}/{y}", "crs": "x"}, "not \\['crs'\\]"),
    ]:
        with pytest.raises(ValueError, match=message):
            basemap_from_spec(bad)


def test_no_tile_basemap_draws_roads_and_no_tiles(hostile_result):
    page = map_html(coverage_map(hostile_result, basemap="none"))
    assert "L.tileLayer" not in page
    assert '"Roads"' in page
    assert '"Water"' not in page and "water not drawn" in page  # the grid has no water
    assert ".folium-map.leaflet-container{background:#f4f2ee}" in page


def test_road_lines_keep_every_segment_once(hostile_case, hostile_result):
    n, spacing = 7, 200.0
    lines = road_lines(hostile_result.network)
    length = GEOD.geometry_length(lines)
    segments = 2 * n * (n - 1)
    assert length == pytest.approx(segments * spacing, rel=2e-3)
    fewer = road_lines(hostile_result.network, max_segments=10)
    assert GEOD.geometry_length(fewer) == pytest.approx(10 * spacing, rel=2e-3)


def test_chinese_labels(hostile_result):
    page = map_html(coverage_map(hostile_result, lang="zh"))
    assert json.dumps("服务点：乡镇（街道）") in page
    assert json.dumps("6分钟内") in page
    assert "到最近服务点的时间（分钟）" in page
    with pytest.raises(ValueError, match="lang"):
        coverage_map(hostile_result, lang="fr")


def test_save_map_writes_the_self_contained_page(hostile_result, tmp_path):
    fmap = coverage_map(hostile_result)
    path = save_map(fmap, tmp_path / "map.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]+src=", text)
    assert isinstance(fmap, folium.Map)


def test_gap_areas_are_drawn_with_their_figures(hostile_result, osm_page):
    gaps = getattr(hostile_result, "gaps", None)
    if gaps is None:
        pytest.skip("results carry no gap areas yet (the metrics gap layer is not merged)")
    assert '"Gap areas (uncovered residents)"' in osm_page
    assert "Gap areas (uncovered residents)</div>" in osm_page  # legend row
    for people in gaps["population"]:
        assert f'"Residents": "{people:,.0f}"' in osm_page


def test_no_tile_basemap_draws_the_water_of_the_osm_file(demo_result):
    water = water_features(demo_result.network.source)
    assert water is not None and len(water) >= 5  # Helsinki's shore and ponds
    assert set(water.geom_type) <= {"Polygon", "MultiPolygon", "LineString", "MultiLineString"}
    page = map_html(coverage_map(demo_result, basemap="none"))
    assert '"Water"' in page and "water not drawn" not in page
    assert water_features("missing.osm.pbf") is None


def test_point_population_maps_get_isochrones(grid_case, tmp_path):
    """Villages as points (no raster): the isochrones are traced on a metric grid."""
    from fixtures.synthetic import lattice_lonlat

    from coverage import compute_coverage, load_network, read_stations
    from coverage.inputs.population import read_population_points

    case = grid_case(minutes=[2.0, 4.0])
    lon, lat = lattice_lonlat(case.n, case.spacing_m)
    rows = ["name,lon,lat,population"] + [
        f"v{r}{c},{lon[r, c]:.7f},{lat[r, c]:.7f},100" for r in range(case.n) for c in range(case.n)
    ]
    table = tmp_path / "villages.csv"
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = compute_coverage(
        load_network(case.network, speed_kmh=case.speed_kmh),
        read_stations(case.stations),
        read_population_points(table),
        AccessModel(
            mode="walk",
            minutes=tuple([2.0, 4.0]),
        ),
    )
    assert result.demand.grid is None
    page = map_html(coverage_map(result))
    assert '"Within 2 min"' in page and '"Within 4 min"' in page
    assert "L.imageOverlay" not in page  # no raster, no travel-time image
    # two non-empty isochrone layers and the 4-minute boundary line (points give no gap
    # polygons; no units here)
    assert page.count('"coordinates"') == 3
    assert '"4-min threshold"' in page
    # the villages as circles coloured by their time class: the station is at the centre
    # node, 2 minutes a block, so 13 villages (up to 2 blocks) are within 4 minutes and
    # the 12 others 6 or 8 minutes away (the 5-10 min class); equal people, equal circles
    blocks = re.findall(r"(\[\[.*?\]\])\.forEach\(function \(p\) \{\s*L\.circleMarker", page)
    assert len(blocks) == 1
    points = json.loads(blocks[0])
    classes = time_classes(4.0)
    colours = [p[3] for p in points]
    assert colours.count(classes.colours[0]) == 13
    assert colours.count(classes.colours[classes.breaks.index(10.0)]) == 12
    assert {p[2] for p in points} == {15.0}
    assert sum("<b>v22</b>" in p[4] for p in points) == 1
    assert '"Residents (circle area: people; colour: minutes)"' in page


def test_handed_surface_shows_unreachable_cells_grey(hostile_result):
    """A run hands over travel_time.tif's values (NaN where no station is reached): the
    map draws those populated cells in the unreachable class, the rest stays clear."""
    import base64
    import io

    from matplotlib import colors
    from matplotlib import image as mpimg

    from coverage.outputs.map_layers import mark_unreachable
    from coverage.outputs.style import UNREACHABLE_COLOUR

    surface = hostile_result.minutes_grid()
    rows, cols = hostile_result.demand.rows, hostile_result.demand.cols
    surface[rows[0], cols[0]] = np.nan  # one populated cell reaches no station
    marked = mark_unreachable(surface, hostile_result)
    assert np.isinf(marked[rows[0], cols[0]]) and np.isfinite(marked[rows[1:], cols[1:]]).all()
    populated = np.zeros(surface.shape, dtype=bool)
    populated[rows, cols] = True
    assert np.isnan(marked[~populated]).all()

    def grey_pixels(page: str) -> int:
        url = re.search(r'"data:image/png;base64,([^"]+)"', page).group(1)
        rgba = mpimg.imread(io.BytesIO(base64.b64decode(url)), format="png")
        grey = np.array(colors.to_rgb(UNREACHABLE_COLOUR))
        return int(((np.abs(rgba[..., :3] - grey).max(axis=-1) < 0.02) & (rgba[..., 3] > 0)).sum())

    assert grey_pixels(map_html(coverage_map(hostile_result))) == 0
    assert grey_pixels(map_html(coverage_map(hostile_result, surface=surface))) > 0


def test_a_plain_folium_map_is_inlined_too():
    """A map not built by coverage15 (a user's own folium map) gets the same offline page."""
    import folium

    page = map_html(folium.Map(location=[-11.7, 43.3], tiles=None))
    assert not re.search(r'<script src="https?:|<link rel="stylesheet" href="https?:', page)
    assert "L.map(" in page and page.count("<script>") >= 2  # Leaflet and jQuery inline


def test_gap_layer_is_embedded_as_written(hostile_result, osm_page):
    """The gap areas go into the page as GEOS wrote them, every vertex (rounded to
    about a metre, as every layer of the page)."""
    import json

    import shapely

    from coverage.outputs.map_layers import shift_geoms

    start = osm_page.index("L.geoJSON(") + len("L.geoJSON(")
    decoder = json.JSONDecoder()
    layer, _ = decoder.raw_decode(osm_page[start:])
    gaps = hostile_result.gaps
    assert len(layer["features"]) == len(gaps)
    drawn = shapely.from_geojson([json.dumps(f["geometry"]) for f in layer["features"]])
    expected = shift_geoms(gaps[["geometry"]], lambda x, y: (x, y)).geometry.to_numpy()
    assert shapely.equals_exact(drawn, expected, tolerance=1e-9).all()
