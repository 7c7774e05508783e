"""Roads as images: the pixels a segment crosses, checked against GDAL's rasterizer."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from rasterio.features import rasterize
from shapely.geometry import LineString

from coverage.outputs.rasterize import line_pixels


def test_a_horizontal_segment_marks_its_row():
    hit = line_pixels(
        np.array([0.5]), np.array([1.5]), np.array([9.5]), np.array([1.5]), (0, 10, 0, 3), (3, 10)
    )
    expected = np.zeros((3, 10), dtype=bool)
    expected[1, :] = True  # y = 1.5 is the middle row (row 0 is the top, y 2..3)
    np.testing.assert_array_equal(hit, expected)


def test_segments_off_the_image_mark_nothing():
    hit = line_pixels(
        np.array([-5.0, 20.0]),
        np.array([-5.0, 1.0]),
        np.array([-1.0, 30.0]),
        np.array([-1.0, 2.0]),
        (0, 10, 0, 3),
        (3, 10),
    )
    assert not hit.any()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_marks_are_pixels_gdal_says_the_segment_touches(seed):
    """Every marked pixel is touched by its segment (GDAL ``all_touched``), and the marks
    form an unbroken line: at least one pixel per pixel of length along the major axis.

    GDAL also counts pixels a line only clips at a corner; the half-pixel sampling may
    skip those slivers (invisible at print size), nothing else.
    """
    rng = np.random.default_rng(seed)
    rows, cols, n = 60, 80, 200
    x0, x1 = rng.uniform(-5, 85, n), rng.uniform(-5, 85, n)
    y0, y1 = rng.uniform(-5, 65, n), rng.uniform(-5, 65, n)
    transform = Affine(1, 0, 0, 0, -1, rows)
    marked = touched = 0
    for i in range(n):
        ours = line_pixels(x0[i : i + 1], y0[i : i + 1], x1[i : i + 1], y1[i : i + 1],
                           (0, cols, 0, rows), (rows, cols))  # fmt: skip
        line = LineString([(x0[i], y0[i]), (x1[i], y1[i])])
        gdal = rasterize([(line, 1)], out_shape=(rows, cols), transform=transform,
                         all_touched=True).astype(bool)  # fmt: skip
        assert not (ours & ~gdal).any(), i
        inside = min(x0[i], x1[i]) >= 0 and max(x0[i], x1[i]) < cols
        inside = inside and min(y0[i], y1[i]) >= 0 and max(y0[i], y1[i]) < rows
        if inside:
            major = max(abs(x1[i] - x0[i]), abs(y1[i] - y0[i]))
            assert ours.sum() >= np.floor(major), i
        marked += int(ours.sum())
        touched += int(gdal.sum())
    assert marked >= 0.8 * touched


def test_a_million_segments_in_seconds():
    """The reason the module exists: a huge network becomes a mask quickly."""
    import time

    rng = np.random.default_rng(3)
    n = 1_000_000
    x0, y0 = rng.uniform(0, 10_000, n), rng.uniform(0, 10_000, n)
    x1, y1 = x0 + rng.normal(0, 30, n), y0 + rng.normal(0, 30, n)
    t0 = time.perf_counter()
    hit = line_pixels(x0, y0, x1, y1, (0, 10_000, 0, 10_000), (1200, 1200))
    assert time.perf_counter() - t0 < 20  # about 1 s on an idle laptop core
    assert 0.5 < hit.mean() < 1.0


def test_one_way_of_each_pair_matches_a_set_walk():
    """Against a plain Python walk over the edges with a set of the pairs seen."""
    from coverage.outputs.rasterize import one_way_of_each_pair

    rng = np.random.default_rng(4)
    u, v = rng.integers(0, 30, 400), rng.integers(0, 30, 400)
    keep = one_way_of_each_pair(u, v)
    edges = set(zip(u.tolist(), v.tolist(), strict=True))
    for i, (a, b) in enumerate(zip(u.tolist(), v.tolist(), strict=True)):
        assert keep[i] == (a <= b or (b, a) not in edges), (a, b)
    # every undirected pair is drawn at least once
    drawn = {(min(a, b), max(a, b)) for a, b, k in zip(u, v, keep, strict=True) if k}
    assert drawn == {(min(a, b), max(a, b)) for a, b in edges}


def test_pixel_image_is_drawn_as_matplotlib_would(monkeypatch):
    """Handed to the renderer as it is at its own size: the same page as matplotlib's
    resampling gives, the right way up (a block in the top-left corner stays there)."""
    from matplotlib.image import AxesImage

    from coverage.outputs.rasterize import pixel_image
    from coverage.outputs.static import page_figure

    def page(fast: bool) -> np.ndarray:
        fig, ax = page_figure(dpi=40)
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 10)
        bbox = ax.get_window_extent()
        rows, cols = round(bbox.height), round(bbox.width)
        rgba = np.zeros((rows, cols, 4), dtype=np.uint8)
        rgba[: rows // 4, : cols // 4] = (200, 30, 30, 255)  # top-left
        rgba[-5:, -rows // 2 :] = (30, 30, 200, 128)  # along the bottom right
        image = pixel_image(ax, rgba, zorder=2)
        if not fast:
            image.make_image = AxesImage.make_image.__get__(image)  # matplotlib's own
        fig.canvas.draw()
        return np.asarray(fig.canvas.buffer_rgba()).copy(), bbox

    slow, _ = page(False)
    own = AxesImage.make_image

    def resampled(*args, **kwargs):
        raise AssertionError("resampled by matplotlib")

    monkeypatch.setattr(AxesImage, "make_image", resampled)
    fast, bbox = page(True)  # at its own size: never resampled
    monkeypatch.setattr(AxesImage, "make_image", own)
    assert (np.abs(fast.astype(int) - slow.astype(int)).max(axis=2) > 2).mean() < 0.002
    top = fast.shape[0] - int(bbox.y1)  # figure row of the axes' top edge
    red = fast[top + 2, int(bbox.x0) + 2]
    assert tuple(red[:3]) == (200, 30, 30)


def test_network_pixels_are_kept_in_the_cache_and_read_back(tmp_path):
    from coverage.outputs.rasterize import network_pixels, one_way_of_each_pair

    rng = np.random.default_rng(7)
    x, y = rng.uniform(0, 1000, 300), rng.uniform(0, 800, 300)
    u, v = rng.integers(0, 300, 900), rng.integers(0, 300, 900)
    u, v = np.concatenate([u, v]), np.concatenate([v, u])  # two-way streets
    bounds, shape = (0.0, 1000.0, 0.0, 800.0), (123, 157)  # 157 columns: not whole bytes
    draw = one_way_of_each_pair(u, v)
    fresh = line_pixels(x[u[draw]], y[u[draw]], x[v[draw]], y[v[draw]], bounds, shape)
    first = network_pixels(x, y, u, v, bounds, shape, cache_dir=tmp_path)
    (entry,) = tmp_path.glob("roads-*.npy")
    again = network_pixels(x, y, u, v, bounds, shape, cache_dir=tmp_path)
    np.testing.assert_array_equal(first, fresh)
    np.testing.assert_array_equal(again, fresh)
    assert entry.stat().st_size < fresh.size / 8 + 200  # a bit a pixel
    # another frame, size or network: another entry
    network_pixels(x, y, u, v, (0.0, 1000.0, 0.0, 801.0), shape, cache_dir=tmp_path)
    network_pixels(x, y, u, v, bounds, (123, 158), cache_dir=tmp_path)
    moved = x.copy()
    moved[0] += 1e-6
    network_pixels(moved, y, u, v, bounds, shape, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("roads-*.npy"))) == 4
    # an entry cut short is drawn again (and right)
    entry.write_bytes(entry.read_bytes()[:50])
    np.testing.assert_array_equal(
        network_pixels(x, y, u, v, bounds, shape, cache_dir=tmp_path), fresh
    )
    # the maps draw the same with the cache as without
    assert network_pixels(x, y, u, v, bounds, shape).sum() == fresh.sum() > 100
