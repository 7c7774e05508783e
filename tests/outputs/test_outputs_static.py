"""Static print maps: files, scale bar, classes and legend, titles, labels, points, fonts."""

from __future__ import annotations

import itertools
import warnings
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib import colors
from matplotlib import image as mpimg
from matplotlib.text import Text
from outputs_helpers import colour_pixels, point_population_result
from shapely.geometry import box

from coverage.outputs.fonts import cjk_font
from coverage.outputs.map_furniture import nice_length, round_values
from coverage.outputs.placement import LABEL_GID, boxes_overlap
from coverage.outputs.static import (
    level_map_figure,
    map_figure,
    static_maps,
)
from coverage.outputs.style import TIER_COLOURS, share_colour, time_classes


def _legend_texts(ax) -> list[str]:
    """Rows of the map's legends: the colour classes first, then the symbols."""
    from matplotlib.legend import Legend

    legends = [a for a in ax.artists if isinstance(a, Legend)] + [ax.get_legend()]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


@pytest.mark.parametrize(
    ("width_m", "bar_m"),
    [(1000, 200), (999, 100), (1234, 200), (5000, 1000), (26_000, 5000), (3.0, 1), (0.5, 1)],
)
def test_scale_bar_is_a_round_fifth_of_the_map(width_m, bar_m):
    assert nice_length(width_m) == bar_m


def test_size_key_values_are_round_and_below_the_largest():
    assert round_values(3170.0) == [100.0, 500.0, 2000.0]
    assert round_values(159.0) == [5.0, 20.0, 100.0]


def test_static_maps_are_written_per_level(hostile_result, tmp_path):
    paths = static_maps(hostile_result, tmp_path, dpi=60)
    assert set(paths) == {"map_png", "map_township_png", "map_village_png"}
    for path in paths.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    overview = mpimg.imread(paths["map_png"])
    assert overview.shape[:2] == (496, 496)  # 8.27 in (A4 width) at 60 dpi
    assert mpimg.imread(paths["map_village_png"]).shape[0] == 496  # A4-high, wider for the key
    # the stations are drawn in their tier colour on the overview
    assert colour_pixels(paths["map_png"], TIER_COLOURS["township"], tolerance=0.02) > 5
    assert colour_pixels(paths["map_png"], TIER_COLOURS["village"], tolerance=0.02) > 5


def _page_cells(image, grid):
    """(row, col) of the grid cell under each pixel centre of a page image (same CRS)."""
    rgba = np.asarray(image.get_array())
    left, right, bottom, top = image.get_extent()
    rows, cols = rgba.shape[:2]
    px = left + (np.arange(cols) + 0.5) * (right - left) / cols
    py = top - (np.arange(rows) + 0.5) * (top - bottom) / rows
    x, y = np.meshgrid(px, py)
    c, r = ~grid.transform @ (x, y)
    return np.floor(r).astype(int), np.floor(c).astype(int)


def _road_pixels(image, result):
    from coverage.outputs.rasterize import line_pixels

    net = result.network
    left, right, bottom, top = image.get_extent()
    shape = np.asarray(image.get_array()).shape[:2]
    u, v = net.edge_u, net.edge_v
    return line_pixels(net.x[u], net.y[u], net.x[v], net.y[v], (left, right, bottom, top), shape)


def test_overview_draws_every_cell_in_its_time_class(hostile_result):
    """Every pixel of the page shows the class of the cell under its centre."""
    fig = map_figure(hostile_result)
    ax = fig.axes[0]
    (image,) = ax.images  # the classes with the streets over them, on the page's pixels
    rgba = np.asarray(image.get_array())
    assert rgba.dtype == np.uint8
    assert tuple(image.get_extent()) == (*ax.get_xlim(), *ax.get_ylim())
    classes = time_classes(6.0)
    grid = hostile_result.demand.grid
    expected = np.full(grid.shape, -1)
    d = hostile_result.demand
    expected[d.rows, d.cols] = classes.classify(hostile_result.point_minutes)
    r, c = _page_cells(image, grid)
    on_grid = (r >= 0) & (r < grid.shape[0]) & (c >= 0) & (c < grid.shape[1])
    cls = np.where(
        on_grid, expected[np.clip(r, 0, grid.shape[0] - 1), np.clip(c, 0, grid.shape[1] - 1)], -1
    )
    plain = ~_road_pixels(image, hostile_result)
    palette = np.array([colors.to_rgb(c) for c in classes.palette()]) * 255
    empty = plain & (cls < 0)
    assert empty.any() and (rgba[empty][:, 3] == 0).all()
    filled = plain & (cls >= 0)
    assert filled.sum() > 1000 and len(np.unique(cls[filled])) >= 3
    np.testing.assert_allclose(rgba[filled][:, :3], palette[cls[filled]], atol=0.5)
    assert (rgba[filled][:, 3] == round(0.85 * 255)).all()
    # the streets are laid over the classes, grey at 30 %
    street = ~plain & (cls >= 0)
    assert street.any() and (rgba[street][:, 3] > round(0.85 * 255)).all()
    assert len(fig.axes) == 1  # a legend, no colour bar


def test_a_surface_handed_in_draws_the_same_classes(hostile_result):
    """The surface computed once for every writer (NaN where unreachable) gives the same
    image as the result's own times, unreachable cells grey included."""
    minutes = hostile_result.point_minutes.copy()
    minutes[:3] = np.inf  # three populated cells no station reaches
    result = replace(hostile_result, point_minutes=minutes)
    (image,) = map_figure(result).axes[0].images
    own = np.asarray(image.get_array())
    handed = map_figure(result, surface=result.minutes_grid()).axes[0].images[0].get_array()
    np.testing.assert_array_equal(own, np.asarray(handed))
    grey = np.round(np.array(colors.to_rgb(time_classes(6.0).unreachable_colour)) * 255)
    d = result.demand
    r, c = _page_cells(image, d.grid)
    plain = ~_road_pixels(image, result)
    for row, col in zip(d.rows[:3], d.cols[:3], strict=True):
        pixels = plain & (r == row) & (c == col)
        assert pixels.any()
        np.testing.assert_array_equal(own[pixels][:, :3], np.broadcast_to(grey, (pixels.sum(), 3)))


def test_overview_legend_marks_the_threshold_between_the_classes(hostile_result):
    fig = map_figure(hostile_result, lang="zh")
    labels = _legend_texts(fig.axes[0])
    assert labels[:4] == ["≤5 分钟", "5–6 分钟", "6 分钟服务圈边界", "6–10 分钟"]
    assert "无法到达" in labels and "服务空白区（未覆盖居民）" in labels
    assert fig.axes[0].get_title() == "hostile grid · 步行 6 分钟医保服务圈"


def test_titles_name_the_mode(hostile_result):
    ebike = replace(hostile_result, summary={**hostile_result.summary, "mode": "ebike"})
    walk_title = map_figure(hostile_result, lang="zh").axes[0].get_title()
    ebike_title = map_figure(ebike, lang="zh").axes[0].get_title()
    assert walk_title != ebike_title
    assert "电动自行车 6 分钟" in ebike_title
    level_title = level_map_figure(ebike, "village").axes[0].get_title()
    assert level_title.startswith("hostile grid · 6-min e-bike coverage")
    assert level_title.endswith("village · Share within 6 min")


def test_gaps_are_outlined_not_filled(hostile_result):
    """No hatch and no fill anywhere: gap areas are a dashed outline."""
    gaps = hostile_result.gaps
    assert gaps is not None and len(gaps)
    fig = map_figure(hostile_result)
    for artist in fig.axes[0].collections + fig.axes[0].patches:
        assert not artist.get_hatch()
    drawn = fig.axes[0].collections + fig.axes[0].patches
    dashed = [a for a in drawn if colors.to_hex(np.atleast_2d(a.get_edgecolor())[0]) == "#d7301f"]
    assert len(dashed) == 1  # one compound outline of every gap
    (outline,) = dashed
    assert not outline.get_fill() and outline.get_linestyle() == "--"
    rings = sum(len(shapely.get_rings(g)) for g in shapely.get_parts(gaps.geometry.values))
    codes = outline.get_path().codes
    assert (codes == 1).sum() == rings  # a MOVETO starts each ring of each gap


def test_level_map_colours_each_unit_by_its_share(hostile_result):
    shares = hostile_result.units["village"]["coverage_share"].to_numpy()
    fig = level_map_figure(hostile_result, "village")
    ax = fig.axes[0]
    faces = ax.collections[0].get_facecolors()  # roads are an image; [0] is the units
    expected = np.array([colors.to_rgba(share_colour(s), alpha=0.8) for s in shares])
    np.testing.assert_allclose(faces, expected, atol=1e-6)
    labels = _legend_texts(ax)
    assert labels[:5] == ["0%–25%", "25%–50%", "50%–75%", "75%–90%", "90%–100%"]
    assert {"township", "village"} <= set(labels)
    assert any(t.get_text() == "N" for t in ax.texts)
    assert any(t.get_text() == "200 m" for t in ax.texts)


def _many_units(result, rows: int, cols: int) -> object:
    """The result with a village level of ``rows x cols`` small boxes with long names."""
    grid = result.demand.grid
    west, south, east, north = grid.bounds()
    xs, ys = np.linspace(west, east, cols + 1), np.linspace(south, north, rows + 1)
    boxes = [box(xs[c], ys[r], xs[c + 1], ys[r + 1]) for r in range(rows) for c in range(cols)]
    n = len(boxes)
    rng = np.random.default_rng(0)
    names = [f"{'东西南北'[i % 4]}山{i}村民委员会" for i in range(n)]
    polygons = gpd.GeoDataFrame({"unit": names}, geometry=boxes, crs=grid.crs)
    table = pd.DataFrame(
        {
            "unit": names,
            "population": rng.integers(10, 5000, n).astype(float),
            "coverage_share": rng.uniform(0, 1, n),
        }
    )
    return replace(
        result,
        units={**result.units, "village": table},
        unit_polygons={**result.unit_polygons, "village": polygons},
    )


def _drawn_labels(ax) -> list[Text]:
    return [t for t in ax.texts if t.get_gid() == LABEL_GID]


def test_unit_labels_never_overlap_and_the_rest_are_keyed(hostile_result):
    """150 units on a small map: names where they fit, numbers keyed to a table."""
    result = _many_units(hostile_result, 10, 15)
    fig = level_map_figure(result, "village", lang="zh")
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    drawn = _drawn_labels(ax)
    boxes = np.array([list(t.get_window_extent(renderer).extents) for t in drawn])
    for i in range(len(boxes)):  # pairwise, by hand
        assert not boxes_overlap(boxes[i], np.delete(boxes, i, axis=0)).any()
    pts = result.stations.to_crs(result.network.crs).geometry
    marks = ax.transData.transform(np.column_stack([pts.x, pts.y]))
    for x, y in marks:  # no label covers a station marker
        assert not boxes_overlap(np.array([x - 5, y - 5, x + 5, y + 5]), boxes).any()
    frame = ax.get_window_extent(renderer)
    assert (boxes[:, 0] >= frame.x0).all() and (boxes[:, 2] <= frame.x1).all()
    named = [t for t in drawn if "村民委员会" in t.get_text()]
    numbered = [t for t in drawn if t.get_text().isdigit()]
    assert named and numbered
    # the most populous unit wins its place
    table = result.units["village"]
    top = table["unit"].iloc[int(np.argmax(table["population"]))]
    assert any(t.get_text().startswith(top) for t in named)
    # every unit without its name on the map is in the key table beside it
    key = "\n".join(t.get_text() for t in fig.texts)
    shown = {t.get_text().split("\n")[0] for t in named}
    for name in table["unit"]:
        if name not in shown:
            assert name[:14] in key, name


def test_point_population_is_drawn_as_symbols_coloured_by_time(grid_case, tmp_path):
    """Villages as points: a circle each, area by residents, colour by the exact time class."""
    case = grid_case(minutes=[2.0, 4.0])
    pops = {(r, c): 10.0 * (1 + r + c) for r in range(case.n) for c in range(case.n)}
    result = point_population_result(case, tmp_path, pops, [2.0, 4.0])
    fig = map_figure(result, lang="zh")
    ax = fig.axes[0]
    symbols = ax.collections[0]
    assert len(symbols.get_offsets()) == len(pops)
    order = np.argsort(-np.array(list(pops.values())), kind="stable")
    pop = np.array(list(pops.values()))[order]
    # area grows linearly with the residents
    np.testing.assert_allclose(symbols.get_sizes(), 4.0 + 140.0 * pop / pop.max())
    # colours from the hand-solved lattice times (points stand on the nodes)
    exact = case.node_minutes()
    minutes = np.array([exact[rc] for rc in pops])[order]
    expected = time_classes(4.0).rgba(minutes)
    np.testing.assert_allclose(symbols.get_facecolors(), expected)
    assert len({tuple(c) for c in expected}) >= 2  # several classes are on the map
    labels = _legend_texts(ax)
    assert any(text.endswith(" 人") for text in labels)  # the size key


def test_every_figure_in_chinese_has_every_glyph(hostile_result, tmp_path):
    """No "Glyph ... missing" with lang: zh, and every text uses the Chinese font."""
    result = replace(hostile_result, name="龙泉市")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph warns while drawing
        paths = static_maps(result, tmp_path, lang="zh", dpi=50)
        figures = [map_figure(result, lang="zh"), level_map_figure(result, "village", lang="zh")]
    assert len(paths) == 3
    family = cjk_font()
    texts = [t for fig in figures for t in fig.findobj(Text) if t.get_text()]
    assert any(t.get_text() == "北" for t in texts)
    assert any("公里" in t.get_text() or " 米" in t.get_text() for t in texts)
    for text in texts:
        assert text.get_fontfamily()[0] == family, text.get_text()
    assert figures[0].axes[0].get_title().startswith("龙泉市 · 步行")


def test_the_roads_are_rasterised_once_for_all_maps(hostile_result, tmp_path, monkeypatch):
    """Overview and level maps share one frame, so one road image serves them all."""
    import coverage.outputs.rasterize as rasterize

    calls = []
    real = rasterize.line_pixels

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(rasterize, "line_pixels", counted)
    paths = static_maps(hostile_result, tmp_path, dpi=60)
    assert len(paths) == 3 and len(calls) == 1
    # with a cache folder, a second run reads the roads back instead of drawing them
    cached = {}
    for run in ("first", "second"):
        paths = static_maps(hostile_result, tmp_path / run, dpi=60, cache_dir=tmp_path / "c")
        cached[run] = {k: p.read_bytes() for k, p in paths.items()}
    assert len(calls) == 2 and cached["first"] == cached["second"]
    assert len(list((tmp_path / "c").glob("roads-*.npy"))) == 1
    images: dict = {}
    overview = map_figure(hostile_result, dpi=60, road_images=images)
    level = level_map_figure(hostile_result, "village", dpi=60, road_images=images)
    assert len(images) == 1 and len(calls) == 3
    (hit,) = images.values()  # the pixels a street crosses, kept
    assert hit.dtype == bool and hit.any()  # the grid's streets are drawn
    (level_roads,) = level.axes[0].images
    np.testing.assert_array_equal(level_roads.get_array()[..., 3] > 0, hit)
    assert (level_roads.get_array()[hit] == [64, 64, 64, 76]).all()  # grey at 30 %
    (page,) = overview.axes[0].images  # the classes with the same streets over them
    assert (np.asarray(page.get_array())[..., 3][hit] > 0).all()


@pytest.mark.parametrize(("units", "lang"), [(40, "en"), (120, "zh"), (131, "en"), (400, "zh")])
def test_unit_key_fills_the_page_without_overlapping(units, lang):
    """The numbered-unit key: large print, columns side by side, all inside the page."""
    from coverage.outputs.fonts import figure_fonts
    from coverage.outputs.map_furniture import key_table
    from coverage.outputs.static import page_figure

    names = [("村" if lang == "zh" else "Village ") + f"{i} Mdjini-Bambao" for i in range(units)]
    table = pd.DataFrame({"unit": names})
    share = np.linspace(0.0, 1.0, units)
    with figure_fonts():
        fig, _ = page_figure(100, width=8.27 * 1.45)
        key_table(fig, {i: i + 1 for i in range(units)}, table, names, share, left=0.69)
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        texts = [t for t in fig.texts if t.get_text().strip()]
        boxes = sorted((t.get_window_extent(renderer) for t in texts), key=lambda b: b.x0)
    width, height = fig.bbox.width, fig.bbox.height
    assert len(boxes) <= -(-units // 60)
    for left, right in itertools.pairwise(boxes):
        assert left.x1 <= right.x0  # columns side by side, never over each other
    assert all(b.x1 <= width + 0.5 and b.y0 >= 0 and b.y1 <= height for b in boxes)
    size = texts[0].get_fontsize()
    assert size >= 3.5
    if units <= 120:  # one or two columns: larger than the old fixed 4.5 / 5.5 pt
        assert size > 5.5


def test_streets_over_the_classes_by_lookup_equal_compositing_each_pixel():
    """The page coloured by one lookup per class equals laying the street image over
    the class image pixel by pixel (the renderer's 'over' on straight alpha)."""
    import coverage.outputs.rasterize as rasterize
    import coverage.outputs.static as static

    rng = np.random.default_rng(7)
    table = np.array(
        [[215, 48, 39, 217], [69, 117, 180, 217], [254, 224, 144, 217], [0, 0, 0, 0]],
        dtype=np.uint8,
    )
    page = rng.integers(0, len(table), size=(90, 120)).astype(np.uint8)
    hit = rng.random((90, 120)) < 0.3
    streets = np.where(hit[..., None], static._road_rgba(), np.zeros(4, dtype=np.uint8))
    expected = rasterize.over(streets, table[page])
    got = rasterize.indexed_over(page, table, hit, static._road_rgba())
    np.testing.assert_array_equal(got, expected)
    # where nobody lives the street shows alone; elsewhere it darkens the class colour
    alone = hit & (page == 3)
    assert (got[alone] == static._road_rgba()).all()
    assert (got[hit & (page == 0)][:, 0] < 215).all()


def test_the_threshold_line_stays_where_the_classes_are(demo_result):
    """The isochrone's boundary is drawn over the populated cells' box only: beyond it
    the page shows no class for the line to divide (the demo's 15-minute line ran as a
    staircase through the empty margin of the page)."""
    import shapely

    from coverage.outputs.page_classes import _cell_m, populated_box, threshold_line
    from coverage.outputs.products import make_products

    result = demo_result
    iso = make_products(result).isochrones.to_crs(result.network.crs)
    left, right, bottom, top = populated_box(result)
    half = _cell_m(result)  # half a cell: the classes cover whole cells
    assert 0 < half < 200
    drawn = {}
    for minutes in (5.0, 15.0):
        ring = iso[iso["minutes"] == minutes]
        whole = shapely.boundary(np.asarray(ring.geometry.array))
        cut = threshold_line(ring, result)
        x, y = shapely.get_coordinates(cut).T
        assert (x >= left - half - 1e-6).all() and (x <= right + half + 1e-6).all()
        assert (y >= bottom - half - 1e-6).all() and (y <= top + half + 1e-6).all()
        inside = shapely.clip_by_rect(whole, left - half, bottom - half, right + half, top + half)
        assert shapely.length(cut).sum() == pytest.approx(shapely.length(inside).sum())
        drawn[minutes] = float(shapely.length(cut).sum())
        assert shapely.length(whole).sum() > drawn[minutes]  # some of it lay outside
    # 94.9 % live within 5 minutes: that line crosses the town; everyone is within 15
    assert drawn[5.0] > 1000.0 and drawn[15.0] == 0.0


def test_the_legend_shows_the_threshold_line_only_where_it_is_drawn(demo_result):
    # everyone in the demo is within 15 minutes: no 15-minute line crosses the page, so
    # the legend marks the threshold by a divider row, not by a line sample
    ax = map_figure(demo_result).axes[0]
    assert "—— 15-min threshold" in _legend_texts(ax)
    five = replace(demo_result, summary={**demo_result.summary, "minutes": 5.0})
    ax = map_figure(five).axes[0]
    assert "5-min threshold" in _legend_texts(ax)  # 94.9 % within 5 minutes: a line
    line = [a for a in ax.patches if a.get_zorder() == 4]  # the threshold line
    assert len(line) == 1 and len(line[0].get_path().vertices) > 10
