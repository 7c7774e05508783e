"""Unit polygons: one or two levels, GCJ-02 sources, repairs and bad files."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from coverage.errors import InputError
from coverage.inputs.boundaries import (
    RepairedGeometryWarning,
    read_boundaries,
    read_boundary_levels,
)
from coverage.inputs.crs import wgs84_to_gcj02

GEOD = Geod(ellps="WGS84")


def write(path, names, geoms, crs=4326, column="乡镇名称"):
    gpd.GeoDataFrame({column: names}, geometry=geoms, crs=crs).to_file(path)
    return path


def test_two_levels_with_their_own_name_columns(tmp_path):
    t = write(
        tmp_path / "t.geojson",
        ["东镇", "西镇"],
        [shapely.box(119.1, 28.0, 119.2, 28.1), shapely.box(119.0, 28.0, 119.1, 28.1)],
    )
    v = write(tmp_path / "v.gpkg", ["甲村", "乙村", "丙村"],
              [shapely.box(119.1, 28.0, 119.2, 28.05), shapely.box(119.1, 28.05, 119.2, 28.1),
               shapely.box(119.0, 28.0, 119.1, 28.1)], column="村名")  # fmt: skip
    levels = read_boundary_levels({"township": t, "village": v},
                                  name={"township": "乡镇名称", "village": "村名"})  # fmt: skip
    assert list(levels) == ["township", "village"]
    assert levels["township"]["unit"].tolist() == ["东镇", "西镇"]
    assert levels["village"]["unit"].tolist() == ["甲村", "乙村", "丙村"]
    single = read_boundary_levels(t, name="乡镇名称")
    assert list(single) == ["unit"]
    with pytest.raises(InputError, match="level\\(s\\) town have no boundaries file"):
        read_boundary_levels({"township": t}, name={"town": "乡镇名称"})


def test_gcj02_polygons_are_converted_vertex_by_vertex(tmp_path):
    wgs = shapely.Polygon([(119.10, 28.00), (119.20, 28.01), (119.18, 28.10), (119.09, 28.08)])
    xy = shapely.get_coordinates(wgs)
    gx, gy = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    gcj = shapely.Polygon(np.column_stack([gx, gy]))
    path = write(tmp_path / "t.geojson", ["东镇"], [gcj])
    plain = read_boundaries(path, name="乡镇名称")
    out = read_boundaries(path, name="乡镇名称", crs="GCJ-02")
    assert out.crs.to_epsg() == 4326
    back = shapely.get_coordinates(out.geometry.iloc[0])
    err = GEOD.inv(back[:, 0], back[:, 1], xy[:, 0], xy[:, 1])[2]
    assert np.max(err) < 0.5
    moved = shapely.get_coordinates(plain.geometry.iloc[0])
    assert np.min(GEOD.inv(moved[:, 0], moved[:, 1], xy[:, 0], xy[:, 1])[2]) > 100


def test_boundaries_crs_supplies_a_missing_crs(tmp_path):
    path = tmp_path / "t.shp"
    gdf = gpd.GeoDataFrame(
        {"name": ["A"]}, geometry=[shapely.box(500000, 3100000, 501000, 3101000)]
    )
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        gdf.to_file(path)  # no CRS: no .prj, as many county files come
    with pytest.raises(InputError, match=r"have no CRS.*set boundaries_crs"):
        read_boundaries(path)
    out = read_boundaries(path, crs="EPSG:32650")
    assert out.crs.to_epsg() == 32650
    assert out.geometry.iloc[0].area == pytest.approx(1e6)


def test_invalid_polygons_are_repaired_and_reported(tmp_path):
    bowtie = shapely.Polygon([(119.0, 28.0), (119.1, 28.1), (119.1, 28.0), (119.0, 28.1)])
    assert not bowtie.is_valid
    path = write(tmp_path / "t.geojson", ["蝴蝶村", "好村"],
                 [bowtie, shapely.box(119.2, 28.0, 119.3, 28.1)])  # fmt: skip
    with pytest.warns(RepairedGeometryWarning, match="1 invalid unit polygon.*蝴蝶村"):
        out = read_boundaries(path, name="乡镇名称")
    assert out.geometry.is_valid.all()
    assert out.geometry.iloc[0].area == pytest.approx(0.005, rel=1e-9)  # two triangles


def test_bad_boundary_files(tmp_path):
    with pytest.raises(InputError, match="boundaries file not found"):
        read_boundaries(tmp_path / "none.geojson")
    path = write(tmp_path / "l.geojson", ["路"], [shapely.LineString([(0, 0), (1, 1)])])
    with pytest.raises(InputError, match="units must be polygons, found LineString"):
        read_boundaries(path, name="乡镇名称")
    path = write(tmp_path / "p.geojson", ["甲"], [shapely.box(0, 0, 1, 1)])
    with pytest.raises(
        InputError, match=r"no column 'name'.*columns are 乡镇名称.*boundaries_name"
    ):
        read_boundaries(path)


def test_gbk_shapefile_without_cpg_keeps_its_names(tmp_path):
    """County boundary files often come as GBK Shapefiles with no .cpg: read as GBK."""
    path = tmp_path / "乡镇.shp"
    names = ["城关镇", "龙渊乡", "八都镇"]
    boxes = [shapely.box(119.0 + i / 10, 28.0, 119.09 + i / 10, 28.09) for i in range(3)]
    gpd.GeoDataFrame({"乡镇名称": names}, geometry=boxes, crs=4326).to_file(path, encoding="gbk")
    path.with_suffix(".cpg").unlink()
    out = read_boundaries(path, name="乡镇名称")
    assert out["unit"].tolist() == names
