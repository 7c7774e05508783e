"""The shared map style: travel-time classes, palette, mode names and titles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib import colors

from coverage.outputs.style import (
    UNREACHABLE_COLOUR,
    map_title,
    mode_name,
    time_classes,
)


def _class_by_hand(minutes: float, breaks: tuple[float, ...]) -> int:
    """The class of one travel time, by walking the edges one by one."""
    if not math.isfinite(minutes):
        return len(breaks) + 1
    for i, edge in enumerate(breaks):
        if minutes <= edge:
            return i
    return len(breaks)


def test_default_classes_are_the_issue_classes():
    c = time_classes(15)
    assert c.breaks == (5, 10, 15, 30, 60)
    assert c.threshold_index == 2
    assert c.labels("en") == [
        "≤ 5 min",
        "5–10 min",
        "10–15 min",
        "15–30 min",
        "30–60 min",
        "> 60 min",
        "Unreachable",
    ]
    assert c.labels("zh")[-1] == "无法到达"
    assert c.threshold_label("zh") == "15 分钟服务圈边界"


@pytest.mark.parametrize(
    ("threshold", "breaks"),
    [
        (15, (5, 10, 15, 30, 60)),
        (20, (5, 10, 15, 20, 30, 60)),
        (12, (5, 10, 12, 15, 30, 60)),
        (10.5, (5, 10.5, 15, 30, 60)),  # 10 is within a minute: replaced, no sliver class
        (45, (5, 10, 15, 30, 45, 60)),
        (90, (5, 10, 15, 30, 60, 90)),
        (3, (3, 5, 10, 15, 30, 60)),
    ],
)
def test_threshold_is_always_a_class_boundary(threshold, breaks):
    c = time_classes(threshold)
    assert c.breaks == breaks
    assert c.breaks[c.threshold_index] == threshold
    assert len(c.colours) == c.n == len(breaks) + 1
    assert len(c.labels("zh")) == len(c.palette()) == c.n + 1


@given(
    threshold=st.floats(0.5, 240),
    minutes=st.lists(
        st.one_of(st.floats(0, 500), st.just(math.inf), st.just(math.nan)), max_size=40
    ),
)
def test_classify_matches_walking_the_edges(threshold, minutes):
    c = time_classes(threshold)
    expected = [_class_by_hand(m, c.breaks) for m in minutes]
    assert c.classify(minutes).tolist() == expected
    # a time within the threshold never lands beyond it, and vice versa
    got = c.classify(minutes)
    finite = np.isfinite(np.asarray(minutes, dtype=float))
    within = np.asarray(minutes, dtype=float) <= threshold
    assert np.all((got <= c.threshold_index)[finite] == within[finite])


def _lightness(hex_colour: str) -> float:
    """CIE L* (0-100) of an sRGB colour, from the standard formulas."""
    rgb = np.array(colors.to_rgb(hex_colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    y = float(linear @ [0.2126, 0.7152, 0.0722])
    return 116 * y ** (1 / 3) - 16 if y > (6 / 29) ** 3 else y * (29 / 3) ** 3


@pytest.mark.parametrize("threshold", [5, 10, 15, 20, 30, 60, 90])
def test_palette_darkens_with_time_and_steps_at_the_threshold(threshold):
    """Lightness alone orders the classes (colour-blind and grey-print safe)."""
    c = time_classes(threshold)
    light = [_lightness(h) for h in c.colours]
    steps = -np.diff(light)
    assert np.all(steps > 4)  # L* units
    if c.threshold_index < c.n - 1:  # the step across the threshold is the largest
        assert steps[c.threshold_index] == pytest.approx(steps.max())
    assert c.palette()[-1] == UNREACHABLE_COLOUR
    assert UNREACHABLE_COLOUR not in c.colours


def test_rgba_uses_the_class_colour():
    c = time_classes(15)
    rgba = c.rgba(np.array([[1.0, 14.0], [61.0, np.inf]]))
    assert rgba.shape == (2, 2, 4)
    assert colors.to_hex(rgba[0, 0]) == c.colours[0]
    assert colors.to_hex(rgba[0, 1]) == c.colours[2]
    assert colors.to_hex(rgba[1, 0]) == c.colours[5]
    assert colors.to_hex(rgba[1, 1]) == UNREACHABLE_COLOUR


@pytest.mark.parametrize("bad", [0, -5, math.inf, math.nan])
def test_threshold_must_be_positive(bad):
    with pytest.raises(ValueError, match="threshold"):
        time_classes(bad)


def test_mode_names_and_titles_differ_by_mode():
    assert [mode_name("zh", m) for m in ("walk", "bike", "ebike", "drive")] == [
        "步行",
        "自行车",
        "电动自行车",
        "驾车",
    ]
    assert [mode_name("en", m) for m in ("walk", "bike", "ebike", "drive")] == [
        "walk",
        "bike",
        "e-bike",
        "drive",
    ]
    walk = map_title("zh", place="Comoros", mode="walk", minutes=15)
    ebike = map_title("zh", place="Comoros", mode="ebike", minutes=15)
    assert walk == "Comoros · 步行 15 分钟医保服务圈"
    assert ebike == "Comoros · 电动自行车 15 分钟医保服务圈"
    assert map_title("en", place="", mode="drive", minutes=7.5) == (
        "7.5-min drive coverage of service points"
    )
    with pytest.raises(ValueError, match="lang"):
        map_title("fr", place="x", mode="walk", minutes=15)


def _lab(hex_colour: str) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB colour, from the standard formulas."""
    rgb = np.array(colors.to_rgb(hex_colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = (
        np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
        @ linear
        / np.array([0.95047, 1.0, 1.08883])
    )
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz * (29 / 6) ** 2 / 3 + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize(("threshold", "apart"), [(5, 12), (10, 18), (15, 35), (20, 30), (30, 30)])
def test_classes_beyond_the_threshold_stay_apart(threshold, apart):
    """Neighbouring classes stay apart in CIE76 colour difference; at the default 15
    minutes every pair is at least 35 apart (30-60 and >60 were 25 apart, indigo
    against dark purple, and looked alike on screen)."""
    c = time_classes(threshold)
    lab = np.array([_lab(h) for h in c.colours])
    delta = np.linalg.norm(np.diff(lab, axis=0), axis=1)
    assert delta.min() >= apart, dict(zip(c.colours[1:], delta.round(1), strict=True))
    # the threshold is a change of hue too: within greenish-yellow (a* < 0), beyond red-purple
    assert lab[c.threshold_index, 1] < 0 < lab[c.threshold_index + 1, 1]


@pytest.mark.parametrize("threshold", [15.0, 20.0, 7.3, 12.5])
def test_classes_equal_a_sorted_search_in_double_precision(threshold):
    """Bytes or int64, float64 or float32 surfaces: the class is the number of breaks
    below the time (a time on a break stays below it), as a double-precision search gives."""
    classes = time_classes(threshold)
    breaks = np.asarray(classes.breaks)
    rng = np.random.default_rng(int(threshold * 10))
    m = rng.uniform(-1, 100, 50_000)
    m[::13] = rng.choice(breaks, m[::13].size)
    m[::50], m[::77] = np.inf, np.nan
    for surface in (m, m.astype(np.float32)):
        wide = surface.astype(float)
        below = np.searchsorted(breaks, wide, side="left")
        expected = np.where(np.isfinite(wide), below, classes.n)
        np.testing.assert_array_equal(classes.classify(surface), expected)
        small = classes.classify(surface, dtype=np.uint8)
        assert small.dtype == np.uint8
        np.testing.assert_array_equal(small, expected)
