"""Which unit holds each point: the first containing unit, checked point by point."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from coverage.metrics.membership import units_of_points


def test_units_of_points_equals_a_point_by_point_check():
    rng = np.random.default_rng(11)
    polygons = [
        shapely.box(0, 0, 10, 10),
        shapely.Polygon(
            [(5, 5), (20, 5), (20, 20), (5, 20)], holes=[[(8, 8), (12, 8), (12, 12), (8, 12)]]
        ),  # overlaps the first: the first wins there
        shapely.MultiPolygon([shapely.box(30, 0, 32, 2), shapely.box(34, 0, 36, 9)]),
        None,
        shapely.Polygon(),
        shapely.Point(3, 3).buffer(2.5),  # inside the first: never wins
        shapely.Polygon([(25, 25), (40, 30), (28, 38)]),
    ]
    units = gpd.GeoDataFrame({"unit": list("abcdefg")}, geometry=polygons, crs="EPSG:32650")
    x = np.concatenate([rng.uniform(-2, 42, 5000), [0, 10, 5, 30, 34, 25]])
    y = np.concatenate([rng.uniform(-2, 42, 5000), [0, 5, 20, 1, 9, 25]])  # corners, edges
    got = units_of_points(units, x, y, "EPSG:32650")
    expected = np.full(x.size, -1)
    for i, (px, py) in enumerate(zip(x, y, strict=True)):
        point = shapely.Point(px, py)
        for k, poly in enumerate(polygons):
            if poly is not None and not poly.is_empty and poly.contains(point):
                expected[i] = k
                break
    np.testing.assert_array_equal(got, expected)
    assert set(np.unique(got)) == {-1, 0, 1, 2, 6}
    assert (got[-6:] == -1).all()  # on a boundary: in no unit
