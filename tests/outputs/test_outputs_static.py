"""Static print maps: files, scale bar lengths, legend, colours, Chinese fallback."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from matplotlib import image as mpimg
from outputs_helpers import colour_pixels

from coverage.outputs.static import (
    _nice_length,
    cjk_font,
    level_map_figure,
    map_figure,
    static_maps,
)
from coverage.outputs.style import TIER_COLOURS, share_colour


@pytest.mark.parametrize(
    ("width_m", "bar_m"),
    [(1000, 200), (999, 100), (1234, 200), (5000, 1000), (26_000, 5000), (3.0, 1), (0.5, 1)],
)
def test_scale_bar_is_a_round_fifth_of_the_map(width_m, bar_m):
    assert _nice_length(width_m) == bar_m


def test_static_maps_are_written_per_level(hostile_result, tmp_path):
    paths = static_maps(hostile_result, tmp_path, dpi=60)
    assert set(paths) == {"map_png", "map_township_png", "map_village_png"}
    for path in paths.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        rgb = mpimg.imread(path)
        assert rgb.shape[0] == rgb.shape[1] == 496  # 8.27 in (A4 width) at 60 dpi
    # the stations are drawn in their tier colour on the overview
    assert colour_pixels(paths["map_png"], TIER_COLOURS["township"], tolerance=0.02) > 5
    assert colour_pixels(paths["map_png"], TIER_COLOURS["village"], tolerance=0.02) > 5


def test_level_map_colours_each_unit_by_its_share(hostile_result, tmp_path):
    shares = hostile_result.units["village"]["coverage_share"].to_numpy()
    fig = level_map_figure(hostile_result, "village")
    ax = fig.axes[0]
    faces = ax.collections[1].get_facecolors()  # [0] is the roads, [1] the units
    from matplotlib import colors

    expected = np.array([colors.to_rgba(share_colour(s), alpha=0.8) for s in shares])
    np.testing.assert_allclose(faces, expected, atol=1e-6)
    # a title, a scale bar, a north arrow and a legend with a row per share class and tier
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:5] == ["0%–25%", "25%–50%", "50%–75%", "75%–90%", "90%–100%"]
    assert {"township", "village"} <= set(labels)
    assert any(t.get_text() == "N" for t in ax.texts)
    assert any(t.get_text() == "200 m" for t in ax.texts)


def test_overview_has_colourbar_in_minutes(hostile_result):
    fig = map_figure(hostile_result)
    assert len(fig.axes) == 2  # the map and its colour bar
    bar = fig.axes[1]
    assert bar.get_ylabel() == "Minutes to the nearest station"
    assert bar.get_ylim() == (0.0, 12.0)  # twice the 6-minute headline


def test_chinese_labels_need_a_chinese_font(hostile_result):
    if cjk_font() is None:
        with pytest.warns(UserWarning, match="no Chinese font"):
            fig = map_figure(hostile_result, lang="zh")
        assert fig.axes[0].get_title().startswith("Coverage within")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fig = map_figure(hostile_result, lang="zh")
        assert "分钟服务圈覆盖" in fig.axes[0].get_title()


def test_names_no_font_can_draw_are_left_off(hostile_result, tmp_path):
    """A Chinese region or source name must not become empty boxes (nor a warning)."""
    from dataclasses import replace

    from coverage.outputs.static import drawable

    result = replace(hostile_result, name="龙泉市")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would warn while drawing
        static_maps(result, tmp_path, dpi=40)
    title = map_figure(result).axes[0].get_title()
    if cjk_font() is None:
        assert drawable("龙泉市") == "" and drawable("龙泉市", "x") == "x"
        assert title == "Coverage within 6 minutes: "
    else:
        assert title.endswith("龙泉市")
