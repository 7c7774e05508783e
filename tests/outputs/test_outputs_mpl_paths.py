"""Layers as compiled matplotlib paths: every ring kept, holes open, nothing drawn early."""

from __future__ import annotations

import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from coverage.outputs.mpl_paths import fill, outline, outline_path, polygon_paths

SHELL = shapely.Polygon(
    [(0, 0), (10, 0), (10, 10), (0, 10)], holes=[[(3, 3), (6, 3), (6, 6), (3, 6)]]
)
ISLANDS = shapely.MultiPolygon([shapely.box(20, 0, 24, 4), shapely.box(30, 0, 31, 9)])
LAYER = np.array([SHELL, None, ISLANDS, shapely.Polygon()], dtype=object)


def test_outline_has_every_ring_and_vertex():
    path = outline_path(LAYER)
    rings = [SHELL.exterior, *SHELL.interiors, *(p.exterior for p in ISLANDS.geoms)]
    assert (path.codes == path.MOVETO).sum() == len(rings)
    expected = np.concatenate([np.asarray(r.coords) for r in rings])
    np.testing.assert_array_equal(path.vertices, expected)
    lines = outline_path(np.array([shapely.LineString([(0, 0), (1, 1), (2, 0)])]))
    assert lines.codes.tolist() == [1, 2, 2]


def test_multi_line_strings_are_drawn_as_they_are():
    """A boundary cut to a box (the threshold line of a print map) is a multi-line
    string: its lines are stroked, not its end points (which would draw nothing)."""
    cut = shapely.clip_by_rect(SHELL.boundary, 0, 0, 5, 10)  # two pieces of each ring
    assert shapely.get_type_id(cut) == 5
    path = outline_path(np.array([cut, shapely.LineString([(7, 7), (8, 8)])]))
    parts = [*shapely.get_parts(cut), shapely.LineString([(7, 7), (8, 8)])]
    assert (path.codes == path.MOVETO).sum() == len(parts)
    expected = np.concatenate([np.asarray(part.coords) for part in parts])
    np.testing.assert_array_equal(path.vertices, expected)


def test_filled_paths_contain_what_shapely_contains():
    paths = polygon_paths(LAYER)
    assert len(paths) == len(LAYER)  # one per row, missing and empty ones empty
    assert len(paths[1].vertices) == 0 and len(paths[3].vertices) == 0
    rng = np.random.default_rng(5)
    pts = rng.uniform([-1, -1], [32, 11], size=(4000, 2))
    for geom, path in ((SHELL, paths[0]), (ISLANDS, paths[2])):
        inside = shapely.contains_xy(geom, pts[:, 0], pts[:, 1])
        # matplotlib's even-odd test on the compound path: holes stay open
        got = _even_odd(path, pts)
        assert inside.any() and (inside == got).all()


def _even_odd(path, pts):
    from matplotlib.path import Path

    hits = np.zeros(len(pts), dtype=int)
    for ring in path.to_polygons(closed_only=False):
        hits += Path(ring).contains_points(pts)
    return hits % 2 == 1


def test_artists_are_added_without_drawing():
    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_xlim(0, 40)
    ax.set_ylim(0, 12)
    drawn = []
    fig.canvas.mpl_connect("draw_event", drawn.append)
    patch = outline(ax, LAYER, color="#d7301f", linestyle="--")
    collection = fill(ax, LAYER, ["#ff0000", "#00ff00", "#0000ff", "#000000"], alpha=0.5)
    assert drawn == []  # geopandas' plot draws the whole figure after every layer
    assert patch in ax.patches and collection in ax.collections
    assert ax.get_xlim() == (0, 40)  # the frame is the caller's
    assert len(collection.get_facecolors()) == 4
    fig.canvas.draw()
    assert len(drawn) == 1
