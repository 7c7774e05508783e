"""Station tables as county offices write them: GBK CSV, .xlsx, Chinese headers, GCJ-02."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from pyproj import Geod

from coverage.errors import InputError
from coverage.inputs.crs import wgs84_to_bd09, wgs84_to_gcj02
from coverage.inputs.stations import check_station_extent, read_stations
from coverage.inputs.tables import TableWarning
from coverage.inputs.tiers import UnknownTierWarning

GEOD = Geod(ellps="WGS84")

# Four stations of a county around Longquan, Zhejiang (WGS84).
WGS = np.array([[119.1410, 28.0740], [119.1520, 28.0805], [119.0902, 28.1103], [119.2011, 28.0412]])
HEADER = ["序号", "站点名称", "层级", "经度", "纬度", "地址", "服务事项", "工作人员"]
ROWS = [
    [
        "1",
        "龙泉市医保服务中心",
        "县级医保服务中心",
        "城关镇中山路1号",
        "参保登记、异地备案、门诊慢特病",
        "6",
    ],
    ["2", "剑池街道医保服务站", "街道医保服务站", "剑池街道", "参保登记，缴费；查询", "3"],
    ["3", "兰巨乡豫章村医保服务点", "村医保服务点", "豫章村", "查询|缴费", "1"],
    ["4", "农商银行城东支行", "医银合作", "城东", "缴费", "2"],
]


def metres(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])[2])


def coords_of(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([gdf.geometry.x, gdf.geometry.y])


def write_csv(path, coords, *, encoding, title=True):
    lines = ["龙泉市医保服务点一览表,,,,,,,"] if title else []
    lines.append(",".join(HEADER))
    for row, (x, y) in zip(ROWS, coords, strict=True):
        lines.append(",".join([*row[:3], f"{x:.7f}", f"{y:.7f}", *row[3:4],
                               f'"{row[4]}"', row[5]]))  # fmt: skip
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_xlsx(path, coords, *, sheet="服务点", title=True):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "说明"
    ws.append(["本表为龙泉市医保服务点清单"])
    data = book.create_sheet(sheet)
    if title:
        data.append(["龙泉市医保服务点一览表"])
    data.append(HEADER)
    for row, (x, y) in zip(ROWS, coords, strict=True):
        data.append([int(row[0]), row[1], row[2], float(x), float(y), row[3], row[4], int(row[5])])
    book.save(path)
    return path


def check_table(gdf: gpd.GeoDataFrame) -> None:
    assert gdf.crs.to_epsg() == 4326
    assert gdf["id"].tolist() == ["1", "2", "3", "4"]
    assert gdf["name"].tolist()[0] == "龙泉市医保服务中心"
    assert gdf["tier"].tolist() == ["county", "township", "village", "partner-bank"]
    assert gdf["tier_original"].tolist()[3] == "医银合作"
    assert gdf["address"].tolist()[0] == "城关镇中山路1号"
    assert gdf["services"].tolist() == [
        "参保登记|异地备案|门诊慢特病", "参保登记|缴费|查询", "查询|缴费", "缴费"
    ]  # fmt: skip
    assert gdf["services_count"].tolist() == [3, 3, 2, 1]
    assert gdf["staff"].tolist() == [6, 3, 1, 2]
    assert list(gdf.columns[:4]) == ["id", "name", "tier", "tier_original"]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_every_encoding_with_title_row(tmp_path, encoding):
    gdf = read_stations(write_csv(tmp_path / "s.csv", WGS, encoding=encoding))
    check_table(gdf)
    assert metres(coords_of(gdf), WGS).max() < 1e-6
    assert gdf.attrs["file_rows"] == [3, 4, 5, 6]  # title row 1, header row 2


def test_gb18030_only_characters_are_detected(tmp_path):
    path = tmp_path / "s.csv"
    # 𠮷 is outside GBK; GB18030 encodes it with four bytes
    path.write_bytes("名称,经度,纬度\n𠮷村服务点,119.1,28.1\n".encode("gb18030"))
    assert read_stations(path)["name"].tolist() == ["𠮷村服务点"]


def test_encoding_override_and_its_error(tmp_path):
    path = write_csv(tmp_path / "s.csv", WGS, encoding="gbk")
    assert read_stations(path, encoding="gbk")["tier"].tolist()[0] == "county"
    with pytest.raises(InputError, match=r"s\.csv: the station table is not valid utf-8"):
        read_stations(path, encoding="utf-8")


def test_xlsx_with_named_sheet_and_gcj02(tmp_path):
    gx, gy = wgs84_to_gcj02(WGS[:, 0], WGS[:, 1])
    path = write_xlsx(tmp_path / "s.xlsx", np.column_stack([gx, gy]))
    gdf = read_stations(path, sheet="服务点", crs="GCJ-02")
    check_table(gdf)
    assert metres(coords_of(gdf), WGS).max() < 0.5
    # the same sheet by number; without the CRS the points sit hundreds of metres off
    raw = read_stations(path, sheet=1)
    assert (metres(coords_of(raw), WGS) > 100).all()
    with pytest.raises(InputError, match=r"no sheet named 'stations'.*说明, 服务点"):
        read_stations(path, sheet="stations")


def test_bd09_and_published_gcj02_point(tmp_path):
    bx, by = wgs84_to_bd09(WGS[:, 0], WGS[:, 1])
    path = write_csv(tmp_path / "bd.csv", np.column_stack([bx, by]), encoding="gbk")
    gdf = read_stations(path, crs="BD-09")
    assert metres(coords_of(gdf), WGS).max() < 0.5
    # the coordtransform reference pair: GCJ-02 (116.41024449916938, 39.91640428150164)
    # is WGS84 (116.404, 39.915)
    ref = tmp_path / "ref.csv"
    ref.write_text("name,lon,lat\nTiananmen,116.41024449916938,39.91640428150164\n")
    out = coords_of(read_stations(ref, crs="GCJ-02"))
    assert metres(out, np.array([[116.404, 39.915]]))[0] < 0.5


def test_columns_mapping_for_unrecognised_headers(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "网点,性质,东西,南北,办理\nA点,乡镇医保服务站,119.1,28.1,缴费\nB点,其他,119.2,28.2,\n",
        encoding="utf-8",
    )
    with pytest.warns(UnknownTierWarning, match="其他.*rows 3"):
        gdf = read_stations(
            path,
            columns={"name": "网点", "tier": "性质", "lon": "东西", "lat": "南北",
                     "services": "办理"},
        )  # fmt: skip
    assert gdf["name"].tolist() == ["A点", "B点"]
    assert gdf["tier"].tolist() == ["township", "其他"]  # unknown kept, never dropped
    assert gdf["services_count"].tolist() == [1, 0]
    with pytest.raises(InputError, match="'经' named in the columns mapping are not in the file"):
        read_stations(path, columns={"lon": "经", "lat": "南北"})


def test_vector_files_carry_chinese_attributes(tmp_path):
    gx, gy = wgs84_to_gcj02(WGS[:, 0], WGS[:, 1])
    frame = pd.DataFrame(ROWS, columns=[h for h in HEADER if h not in ("经度", "纬度")])
    layer = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(gx, gy), crs=4326)
    for name in ("s.geojson", "s.gpkg", "s.shp"):
        path = tmp_path / name
        # Chinese shapefiles are usually GBK (10-byte field names hold 5 Chinese characters)
        layer.to_file(path, encoding="gbk") if name.endswith(".shp") else layer.to_file(path)
        gdf = read_stations(path, crs="GCJ-02")
        assert gdf["tier"].tolist() == ["county", "township", "village", "partner-bank"]
        assert metres(coords_of(gdf), WGS).max() < 0.5
    # a GBK Shapefile without its .cpg (as many county files come) reads the same
    (tmp_path / "s.cpg").unlink()
    gdf = read_stations(tmp_path / "s.shp", crs="GCJ-02")
    assert gdf["name"].tolist() == [row[1] for row in ROWS]  # 站点名称
    assert gdf["tier"].tolist() == ["county", "township", "village", "partner-bank"]
    # a projected layer is converted by its own CRS
    utm = layer.set_crs(4326, allow_override=True).to_crs(32650)
    utm.to_file(tmp_path / "utm.gpkg")
    back = read_stations(tmp_path / "utm.gpkg")
    assert metres(coords_of(back), np.column_stack([gx, gy])).max() < 1e-3


def test_swapped_columns_are_explained(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("name,lon,lat\nA,28.07,119.14\nB,28.08,119.15\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"rows 2, 3: latitude 119.14 .*look swapped"):
        read_stations(path)
    # within ±90 both ways, a GCJ-02 table is still caught: swapped it would be in China
    path.write_text("name,lon,lat\nA,28.07,89.14\nB,28.08,89.15\n", encoding="utf-8")
    with pytest.raises(InputError, match="outside China but would lie inside it"):
        read_stations(path, crs="GCJ-02")


def test_projected_metres_given_as_degrees(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("名称,经度,纬度\nA,40513123.5,3107234.1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row.* 2: .*look like projected metres.*EPSG:4549"):
        read_stations(path)
    with pytest.raises(InputError, match="looks like degrees, but stations_crs is the projected"):
        read_stations(tmp_path.joinpath("d.csv"), crs="EPSG:4549") if (
            tmp_path.joinpath("d.csv").write_text("lon,lat\n119.1,28.1\n") and False
        ) else read_stations(tmp_path / "d.csv", crs="EPSG:4549")


def test_bad_rows_are_named_with_file_rows(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes("县医保服务点\n名称,经度,纬度\nA,119.1,28.1\n\nB,,28.2\n".encode("gbk"))
    with pytest.raises(InputError, match=r"row 5: column '经度' is empty or not a number"):
        read_stations(path)
    path.write_text("编号,名称,经度,纬度\n7,A,119.1,28.1\n7,B,119.2,28.2\n", encoding="utf-8")
    with pytest.raises(InputError, match="rows 2, 3: duplicate station id '7'"):
        read_stations(path)
    (tmp_path / "s.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match=r"\.xls workbooks are not read; save the sheet as \.xlsx"):
        read_stations(tmp_path / "s.xls")


def test_extent_check_names_rows_and_swaps(tmp_path):
    path = write_csv(tmp_path / "s.csv", WGS, encoding="gbk")
    gdf = read_stations(path)
    bounds = (119.0, 28.0, 119.3, 28.2)
    check_station_extent(gdf, bounds, margin_m=1000, what="the road network")  # inside: quiet
    with pytest.raises(InputError, match=r"rows 3, 4, 5, 6: 4 station\(s\) lie outside the road"):
        check_station_extent(
            gdf, (110.0, 20.0, 110.5, 20.5), margin_m=1000, what="the road network"
        )
    swapped = (28.0, 119.0, 28.2, 119.3)
    with pytest.raises(InputError, match="look swapped"):
        check_station_extent(gdf, swapped, margin_m=1000, what="the road network")


def test_bom_followed_by_gbk_is_read_as_gbk(tmp_path):
    # a UTF-8 byte-order mark, then GBK text: the mark used to swallow the 'id' header
    path = tmp_path / "s.csv"
    body = "id,name,lon,lat\n站一,城关站,119.1,28.1\n站二,东站,119.2,28.2\n".encode("gbk")
    path.write_bytes(b"\xef\xbb\xbf" + body)
    with pytest.warns(TableWarning, match=r"s\.csv: the station table starts with a UTF-8"):
        gdf = read_stations(path)
    assert gdf["id"].tolist() == ["站一", "站二"]
    assert gdf["name"].tolist() == ["城关站", "东站"]
    # the encoding named: the mark is dropped without a warning
    assert read_stations(path, encoding="gbk")["id"].tolist() == ["站一", "站二"]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("id,lon,lat,Lon", r"columns 'lon' and 'Lon' both read as lon"),
        ("id,LAT ,lon,lat", r"columns 'LAT' and 'lat' both read as lat"),
        ("id,经度,lat,lon", r"columns 'lon' and '经度' are both names of lon.*stations_columns"),
        ("id,经度（GCJ-02）,纬度,经度", r"columns '经度（GCJ-02）' and '经度' both read as lon"),
    ],
)
def test_ambiguous_headers_are_refused_naming_both(tmp_path, header, message):
    path = tmp_path / "s.csv"
    path.write_text(f"{header}\nA,119.1,28.1,119.2\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_stations(path)


def test_an_ambiguous_coordinate_can_be_chosen_with_a_mapping(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id,经度,纬度,lon\nA,119.1,28.1,5\n", encoding="utf-8")
    gdf = read_stations(path, columns={"lon": "经度"})
    assert (gdf.geometry.x.tolist(), gdf.geometry.y.tolist()) == ([119.1], [28.1])
    # the other way round: 'lon' chosen, 经度 left as an ordinary column
    path.write_text("id,经度,纬度,lon\nA,5,28.1,119.2\n", encoding="utf-8")
    gdf = read_stations(path, columns={"lon": "lon"})
    assert gdf.geometry.x.tolist() == [119.2] and gdf["经度"].tolist() == ["5"]


def test_non_coordinate_aliases_follow_the_order_of_preference(tmp_path):
    # 序号 (serial number) and 编号 (code) side by side, as county sheets have them
    path = tmp_path / "s.csv"
    path.write_text("序号,编号,经度,纬度\n1,LQ-007,119.1,28.1\n", encoding="utf-8")
    gdf = read_stations(path)
    assert gdf["id"].tolist() == ["LQ-007"]
    assert gdf["序号"].tolist() == ["1"]


def test_control_characters_are_stripped_with_a_warning(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "id,name,lon,lat,note\nA\x00,Sta\x07tion\x1b 1,119.1,28.1,ok\nB,East,119.2,28.2,x\x7fy\n",
        encoding="utf-8",
    )
    with pytest.warns(TableWarning) as caught:
        gdf = read_stations(path)
    assert gdf["id"].tolist() == ["A", "B"]
    assert gdf["name"].tolist() == ["Station 1", "East"]
    assert gdf["note"].tolist() == ["ok", "xy"]
    (warning,) = caught
    text = str(warning.message)
    assert "s.csv" in text and "'id' (row 2)" in text and "'name' (row 2)" in text
    assert "'note' (row 3)" in text


def test_columns_named_like_outputs_are_kept_under_another_name(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "id,lon,lat,catchment_population,snap_distance_m,input_capacity,capacity\n"
        "A,119.1,28.1,5000,12,a,b\n",
        encoding="utf-8",
    )
    with pytest.warns(TableWarning, match="have the name of a column this tool writes") as w:
        gdf = read_stations(path)
    assert gdf["input_catchment_population"].tolist() == ["5000"]
    assert gdf["input_snap_distance_m"].tolist() == ["12"]
    # an input column already called input_capacity keeps its name; 'capacity' moves past it
    assert gdf["input_capacity"].tolist() == ["a"]
    assert gdf["input_input_capacity"].tolist() == ["b"]
    for name in ("catchment_population", "snap_distance_m", "capacity"):
        assert name not in gdf.columns
    assert "'capacity'" in str(w[0].message)
