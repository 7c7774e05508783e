"""The print maps on the real Comoros data: 100+ villages, labels that never collide."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from fixtures.comoros import HEALTH_TIERS, comoros_units
from matplotlib import colors

from coverage import compute_coverage, load_network, read_population, read_stations
from coverage.engine.access import AccessModel
from coverage.outputs.placement import LABEL_GID, boxes_overlap
from coverage.outputs.static import level_map_figure, map_figure
from coverage.outputs.style import time_classes

# The Comoros table lists eight sites twice, 1-24 m apart (tests/metrics/test_metrics_duplicates.py)
pytestmark = pytest.mark.filterwarnings(
    "ignore::coverage.metrics.duplicates.DuplicateStationWarning"
)


@pytest.fixture(scope="module")
def comoros_result(shared_data):
    comoros = shared_data / "comoros"
    pbf = comoros / "comores-latest.osm.pbf"
    islands, villages = comoros_units(pbf)
    stations = read_stations(comoros / "health.gpkg")
    stations["tier"] = stations["amenity"].map(HEALTH_TIERS).fillna("village")
    return compute_coverage(
        load_network(pbf),
        stations,
        read_population(comoros / "com_ppp_2020_UNadj.tif"),
        AccessModel(mode="walk"),
        units={"island": islands, "village": villages},
        name="Comoros",
    )


@pytest.mark.shared
def test_comoros_village_labels_never_collide(comoros_result):
    villages = comoros_result.units["village"]
    assert len(villages) > 100
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no missing glyph in Chinese
        fig = level_map_figure(comoros_result, "village", lang="zh")
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    drawn = [t for t in ax.texts if t.get_gid() == LABEL_GID]
    boxes = np.array([list(t.get_window_extent(renderer).extents) for t in drawn])
    for i in range(len(boxes)):
        assert not boxes_overlap(boxes[i], np.delete(boxes, i, axis=0)).any(), drawn[i]
    names = [t for t in drawn if not t.get_text().isdigit()]
    numbers = [t for t in drawn if t.get_text().isdigit()]
    assert len(names) >= 20 and numbers  # many names fit; the rest are numbered
    # every village is either named on the map or listed in the key table
    key = "\n".join(t.get_text() for t in fig.texts)
    shown = {t.get_text().split("\n")[0] for t in names}
    for unit in villages["unit"]:
        assert unit in shown or unit[:14] in key, unit
    assert fig.axes[0].get_title().startswith("Comoros · 步行 15 分钟医保服务圈")
    # the share classes, and the grey of villages without residents, in words
    from matplotlib.legend import Legend

    legends = [a for a in ax.artists if isinstance(a, Legend)] + [ax.get_legend()]
    rows = [t.get_text() for legend in legends if legend for t in legend.get_texts()]
    assert rows[0] == "0%–25%" and "无常住人口" in rows and "-" not in rows


@pytest.mark.shared
def test_comoros_overview_legend_and_classes(comoros_result):
    from matplotlib.legend import Legend

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no missing glyph in Chinese
        warnings.filterwarnings("ignore", "Use `@` matmul", PendingDeprecationWarning)  # rasterio
        fig = map_figure(comoros_result, lang="zh")
    ax = fig.axes[0]
    legends = [a for a in ax.artists if isinstance(a, Legend)] + [ax.get_legend()]
    rows = [t.get_text() for legend in legends for t in legend.get_texts()]
    assert rows[:4] == ["≤5 分钟", "5–10 分钟", "10–15 分钟", "15 分钟服务圈边界"]
    assert {"县级", "乡镇（街道）", "村（社区）", "服务空白区（未覆盖居民）"} <= set(rows)
    # the surface image: the share of pixels in each class is the share of populated
    # cells in it (reprojected cell by cell, so the counts agree to a few pixels in 100)
    (page,) = ax.images  # the classes with the streets over them
    image = np.asarray(page.get_array())
    drawn = image[..., 3] > 0
    assert drawn.sum() > 10_000
    classes = time_classes(15.0)
    palette = np.array([colors.to_rgb(c) for c in classes.palette()])
    pixels = image[drawn][:, :3] / 255
    of_pixel = np.argmin(np.abs(pixels[:, None, :] - palette[None]).sum(axis=2), axis=1)
    got = np.bincount(of_pixel, minlength=classes.n + 1) / drawn.sum()
    cells = classes.classify(comoros_result.point_minutes)
    expected = np.bincount(cells, minlength=classes.n + 1) / cells.size
    np.testing.assert_allclose(got, expected, atol=0.02)
    assert expected[classes.n - 1] > 0.5  # most of the land is over an hour's walk
