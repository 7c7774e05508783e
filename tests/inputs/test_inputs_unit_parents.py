"""Villages under townships: containment by the largest share of area, or a parent column."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from coverage.errors import InputError
from coverage.inputs.boundaries import read_boundary_levels
from coverage.inputs.unit_parents import UnitParentWarning, assign_parents, rank_levels

UTM = "EPSG:32650"
X0, Y0 = 700_000.0, 3_110_000.0


def _frame(names, boxes, **columns) -> gpd.GeoDataFrame:
    geometry = [box(X0 + a, Y0 + b, X0 + c, Y0 + d) for a, b, c, d in boxes]
    return gpd.GeoDataFrame({"name": names, **columns}, geometry=geometry, crs=UTM)


# two townships side by side, 1,000 m wide each
TOWNS = _frame(["west", "east"], [(0, 0, 1000, 1000), (1000, 0, 2000, 1000)])
# 'straddle' lies 400 m in the west and 600 m in the east: the east holds most of it;
# 'nearly-west' lies 510 m west, 490 m east: the west, by 20 m
VILLAGES = _frame(
    ["straddle", "in-west", "nearly-west", "in-east"],
    [(600, 0, 1600, 300), (0, 300, 1000, 600), (490, 600, 1490, 1000), (1000, 300, 2000, 600)],
    乡镇名称=["west", "west", "east", "east"],
)


def _write(tmp_path, towns=TOWNS, villages=VILLAGES):
    # written as lon/lat, as county files are; containment is measured back in metres
    towns.to_crs(4326).to_file(tmp_path / "towns.geojson", driver="GeoJSON")
    villages.to_crs(4326).to_file(tmp_path / "villages.gpkg", driver="GPKG")
    return {"township": tmp_path / "towns.geojson", "village": tmp_path / "villages.gpkg"}


def test_a_straddling_village_goes_to_the_township_holding_most_of_it(tmp_path):
    levels = read_boundary_levels(_write(tmp_path))
    village = levels["village"]
    assert levels["village"].attrs["parent_level"] == "township"
    assert "parent" not in levels["township"]
    # grouped under the townships in their order, file order within a group
    assert village[["unit", "parent"]].values.tolist() == [
        ["in-west", "west"],
        ["nearly-west", "west"],
        ["straddle", "east"],
        ["in-east", "east"],
    ]


def test_the_parent_column_wins_over_containment(tmp_path):
    levels = read_boundary_levels(_write(tmp_path), parent={"village": "乡镇名称"})
    # the column puts 'straddle' in the west and 'nearly-west' in the east
    assert levels["village"][["unit", "parent"]].values.tolist() == [
        ["straddle", "west"],
        ["in-west", "west"],
        ["nearly-west", "east"],
        ["in-east", "east"],
    ]


def test_levels_are_ranked_by_unit_size_not_by_the_order_given(tmp_path):
    paths = _write(tmp_path)
    levels = read_boundary_levels({"village": paths["village"], "township": paths["township"]})
    assert list(levels) == ["village", "township"]
    assert rank_levels(levels) == ["township", "village"]
    assert levels["village"]["parent"].tolist() == ["west", "west", "east", "east"]


@pytest.mark.parametrize(
    ("parents", "parent", "message"),
    [
        (["west", "west", "wset", "east"], {"village": "乡镇名称"},
         r"villages\.gpkg: feature 3 \(nearly-west\) names township 'wset' in column '乡镇名称', "
         r"which is not a township unit \(did you mean 'west'\?\)"),
        (["west", None, "east", "east"], {"village": "乡镇名称"},
         r"feature 2 \(in-west\) has no township in column '乡镇名称'; fill it in"),
        (["west"] * 4, {"village": "乡镇"}, r"villages\.gpkg: no column '乡镇'.*boundaries_parent"),
        (["west"] * 4, {"township": "乡镇名称"}, r"boundaries_parent: 'township' has the largest"),
        (["west"] * 4, {"hamlet": "乡镇名称"}, r"boundaries_parent: level\(s\) hamlet have no"),
    ],
)  # fmt: skip
def test_bad_parent_settings_are_named(tmp_path, parents, parent, message):
    villages = VILLAGES.copy()
    villages["乡镇名称"] = parents
    towns = TOWNS.assign(乡镇名称=["county", "county"])
    with pytest.raises(InputError, match=message):
        read_boundary_levels(_write(tmp_path, towns, villages), parent=parent)


def test_a_village_outside_every_township_is_listed_without_one():
    towns = TOWNS.rename(columns={"name": "unit"})
    villages = VILLAGES.rename(columns={"name": "unit"})
    villages.loc[4] = ["far", "east", box(X0 + 5000, Y0, X0 + 6000, Y0 + 300)]
    with pytest.warns(UnitParentWarning, match=r"1 village unit\(s\) overlap no township.*far"):
        out = assign_parents({"township": towns, "village": villages})
    assert out["village"]["unit"].tolist()[-1] == "far"
    assert out["village"]["parent"].isna().tolist() == [False] * 4 + [True]


def test_one_level_has_no_parent_and_refuses_a_parent_column(tmp_path):
    paths = _write(tmp_path)
    one = read_boundary_levels(paths["village"])
    assert list(one["unit"].columns) == ["unit", "geometry"]
    with pytest.raises(InputError, match="needs a level above it"):
        read_boundary_levels({"village": paths["village"]}, parent={"village": "乡镇名称"})
