"""Population: GHS-POP Mollweide and WorldPop rasters, clipping and reprojection that
conserve people, village tables and population groups."""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import CRS, Transformer

from coverage.errors import InputError
from coverage.inputs.crs import wgs84_to_gcj02
from coverage.inputs.population import (
    clip_population,
    demand_from_grid,
    read_population,
    read_population_points,
    reproject_population,
)

MOLLWEIDE = "ESRI:54009"


def ghs_pop(path, *, cell_m=1000.0, shape=(30, 40), seed=4):
    """A GHS-POP-style raster: Mollweide, float32 people per cell, nodata -200.

    Placed over Longquan, Zhejiang. Returns the path, the counts (nodata as 0) and the
    transform.
    """
    x0, y0 = Transformer.from_crs(4326, MOLLWEIDE, always_xy=True).transform(119.0, 28.2)
    left = np.floor(x0 / cell_m) * cell_m
    top = np.floor(y0 / cell_m) * cell_m
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 500, size=shape).astype(np.float32)
    data = counts.copy()
    data[:3, :5] = -200.0  # a nodata corner (sea / outside the product)
    counts[:3, :5] = 0.0
    transform = Affine(cell_m, 0.0, left, 0.0, -cell_m, top)
    profile = dict(driver="GTiff", width=shape[1], height=shape[0], count=1, dtype="float32",
                   crs=MOLLWEIDE, transform=transform, nodata=-200.0)  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path, counts.astype(np.float64), transform


def test_ghs_pop_mollweide_reads_exactly(tmp_path):
    path, counts, _ = ghs_pop(tmp_path / "ghs.tif")
    grid = read_population(path)
    assert grid.crs.equals(CRS.from_user_input(MOLLWEIDE))
    assert grid.total == counts.sum()
    assert int(grid.valid.sum()) == 30 * 40 - 15
    demand = demand_from_grid(grid)
    assert demand.total == counts.sum()


@pytest.mark.parametrize("cell_m", [100.0, 1000.0])  # the two GHS-POP resolutions
def test_clip_keeps_whole_cells_by_centre_and_conserves(tmp_path, cell_m):
    path, counts, t = ghs_pop(tmp_path / "ghs.tif", cell_m=cell_m)
    grid = read_population(path)
    # A study area drawn on cell edges in Mollweide (rows 5..19, cols 8..29), handed over
    # in WGS84 as a planner's boundary file would be: densified so edges stay straight.
    box = shapely.box(t.c + 8 * t.a, t.f + 20 * t.e, t.c + 30 * t.a, t.f + 5 * t.e)
    box = shapely.segmentize(box, cell_m / 20)
    to_wgs = Transformer.from_crs(MOLLWEIDE, 4326, always_xy=True)
    area = shapely.transform(box, lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1])))
    clipped = clip_population(grid, area, crs="EPSG:4326")
    expected = counts[5:20, 8:30].sum()
    assert clipped.total == expected
    assert clipped.shape == (15, 22)
    outside = grid.total - clipped.total
    assert outside == counts.sum() - expected
    assert clipped.transform.c == t.c + 8 * t.a and clipped.transform.f == t.f + 5 * t.e
    with pytest.raises(InputError, match="no populated cell of the raster lies inside"):
        clip_population(grid, shapely.box(0, 0, 1, 1), crs="EPSG:4326")


def test_reprojection_conserves_people_exactly(tmp_path):
    path, counts, _ = ghs_pop(tmp_path / "ghs.tif")
    grid = read_population(path)
    for size in (100.0, 1000.0, 2500.0):
        utm = reproject_population(grid, crs="EPSG:32650", cell_size_m=size)
        assert utm.total == pytest.approx(counts.sum(), rel=1e-12)
        assert utm.transform.a == size and utm.crs.to_epsg() == 32650


def test_group_rasters_must_share_the_grid(tmp_path):
    path, _, _ = ghs_pop(tmp_path / "ghs.tif")
    old_path, old, _ = ghs_pop(tmp_path / "old.tif", seed=9)
    grid, group = read_population(path), read_population(old_path)
    demand = demand_from_grid(grid, groups={"age_65_plus": group})
    assert demand.groups["age_65_plus"].sum() == old.sum()
    other, _, _ = ghs_pop(tmp_path / "coarse.tif", cell_m=2000.0, shape=(15, 20))
    with pytest.raises(InputError, match="group 'age_65_plus' is on another grid"):
        demand_from_grid(grid, groups={"age_65_plus": read_population(other)})


@pytest.mark.shared
def test_worldpop_comoros_conservation(shared_data):
    grid = read_population(shared_data / "comoros" / "com_ppp_2020_UNadj.tif")
    assert grid.total == pytest.approx(869_595, abs=1.0)
    assert int(grid.valid.sum()) == 203_208
    utm = reproject_population(grid, crs="EPSG:32738", cell_size_m=1000.0)
    assert utm.total == pytest.approx(grid.total, rel=1e-9)
    # the same area before and after: each island is surrounded by sea (no people), so
    # a box around Grande Comore holds the same people on either grid (within 0.1%)
    ngazidja = shapely.box(43.2, -11.97, 43.55, -11.33)
    before = clip_population(grid, ngazidja, crs="EPSG:4326").total
    after = clip_population(utm, ngazidja, crs="EPSG:4326").total
    assert after == pytest.approx(before, rel=1e-3)
    # clipping partitions people exactly
    rest = shapely.box(43.55, -12.5, 44.6, -11.0)
    assert before + clip_population(grid, rest, crs="EPSG:4326").total == pytest.approx(
        grid.total, rel=1e-12
    )


@pytest.mark.shared
def test_worldpop_hong_kong_conservation(shared_data):
    grid = read_population(shared_data / "hongkong_partial" / "hkg_ppp_2020_UNadj_constrained.tif")
    assert grid.total == pytest.approx(7_496_988, abs=2.0)
    assert int(grid.valid.sum()) == 41_288
    for size in (100.0, 1000.0):
        utm = reproject_population(grid, crs="EPSG:32650", cell_size_m=size)
        assert utm.total == pytest.approx(grid.total, rel=1e-9)
    mollweide = reproject_population(grid, crs=MOLLWEIDE, cell_size_m=1000.0)
    assert mollweide.total == pytest.approx(grid.total, rel=1e-9)
    # Hong Kong Island (people south of the harbour), before and after a 1 km grid
    island = shapely.box(114.11, 22.19, 114.27, 22.287)
    before = clip_population(grid, island, crs="EPSG:4326").total
    assert 1.0e6 < before < 1.5e6
    after = clip_population(mollweide, island, crs="EPSG:4326").total
    assert abs(after - before) / before < 0.05  # 1 km cells straddle the harbour edge


VILLAGES = [
    ("豫章村", 119.141, 28.074, 1200, 310),
    ("宏山村", 119.152, 28.081, 860, 190),
    ("安仁村", 119.090, 28.110, 2045, 512),
]


def test_village_table_in_gbk_with_gcj02_and_groups(tmp_path):
    gx, gy = wgs84_to_gcj02([v[1] for v in VILLAGES], [v[2] for v in VILLAGES])
    lines = ["某县行政村人口表", "村名,经度,纬度,常住人口,65岁以上人口"]
    lines += [
        f'{v[0]},{x:.7f},{y:.7f},"{v[3]:,}",{v[4]}'
        for v, x, y in zip(VILLAGES, gx, gy, strict=True)
    ]
    path = tmp_path / "villages.csv"
    path.write_bytes("\n".join(lines).encode("gbk"))
    demand = read_population_points(path, crs="GCJ-02", groups={"age_65_plus": "65岁以上人口"})
    assert demand.labels.tolist() == ["豫章村", "宏山村", "安仁村"]
    assert demand.population.tolist() == [1200, 860, 2045]
    assert demand.groups["age_65_plus"].tolist() == [310, 190, 512]
    assert demand.crs.to_epsg() == 4326 and demand.grid is None
    np.testing.assert_allclose(demand.x, [v[1] for v in VILLAGES], atol=5e-6)
    np.testing.assert_allclose(demand.y, [v[2] for v in VILLAGES], atol=5e-6)


def test_village_table_xlsx_and_bad_rows(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["name", "lon", "lat", "population"])
    for v in VILLAGES:
        ws.append([v[0], v[1], v[2], v[3]])
    book.save(tmp_path / "v.xlsx")
    demand = read_population_points(tmp_path / "v.xlsx")
    assert demand.total == 1200 + 860 + 2045
    with pytest.raises(InputError, match="no column 'old' for population group 'age_65_plus'"):
        read_population_points(tmp_path / "v.xlsx", groups={"age_65_plus": "old"})
    ws.append(["坏村", 119.2, 28.2, -5])
    book.save(tmp_path / "v.xlsx")
    with pytest.raises(InputError, match=r"row 5: column 'population' .* '-5', not a non-negative"):
        read_population_points(tmp_path / "v.xlsx")


def test_windowed_read_equals_full_read_then_clip(tmp_path):
    path, counts, t = ghs_pop(tmp_path / "ghs.tif", cell_m=100.0, shape=(60, 80))
    # a study area off the cell edges, given in WGS84 as boundary files are
    box = shapely.box(t.c + 20.3 * t.a, t.f + 41.6 * t.e, t.c + 55.2 * t.a, t.f + 12.7 * t.e)
    to_wgs = Transformer.from_crs(MOLLWEIDE, 4326, always_xy=True)
    area = shapely.transform(
        shapely.segmentize(box, 5.0),
        lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1])),
    )
    full = clip_population(read_population(path), area, crs="EPSG:4326")
    window = read_population(path, bounds=area.bounds, bounds_crs="EPSG:4326")
    # only the window was read: the rows of the area, and the columns of its WGS84
    # bounding box, which Mollweide shears at 28 degrees north
    assert window.shape[0] <= 29 + 4 and window.shape[0] * window.shape[1] < 60 * 80 / 2
    clipped = clip_population(window, area, crs="EPSG:4326")
    assert clipped.shape == full.shape == (29, 35)
    assert np.array_equal(clipped.counts, full.counts)
    assert np.array_equal(clipped.valid, full.valid)
    assert clipped.total == counts[13:42, 20:55].sum()  # cell centres 20.5..54.5, 13.5..41.5
    assert clipped.transform.almost_equals(full.transform, precision=1e-6)
    a, b = demand_from_grid(clipped), demand_from_grid(full)
    assert np.array_equal(a.population, b.population)
    np.testing.assert_allclose(a.x, b.x, rtol=0, atol=1e-6)
    np.testing.assert_allclose(a.y, b.y, rtol=0, atol=1e-6)
    with pytest.raises(InputError, match="does not overlap the study area"):
        read_population(path, bounds=(0.0, 0.0, 1.0, 1.0), bounds_crs="EPSG:4326")


def test_multiband_needs_band_and_infinite_cells_are_refused(tmp_path):
    path, counts, _ = ghs_pop(tmp_path / "ghs.tif")
    with rasterio.open(path) as src:
        profile, data = src.profile, src.read(1)
    profile["count"] = 3
    rgb = tmp_path / "rgb.tif"
    with rasterio.open(rgb, "w", **profile) as dst:
        nodata = data == -200.0
        dst.write(np.stack([np.where(nodata, -200.0, data * k) for k in (1, 2, 3)]))
    with pytest.raises(InputError, match=r"rgb.tif: the population raster has 3 bands.*band: 1"):
        read_population(rgb)
    assert read_population(rgb, band=2).total == 2 * counts.sum()
    with pytest.raises(InputError, match="no band 4; set population: band to a number from 1 to 3"):
        read_population(rgb, band=4)
    # WorldPop-like degrees: the cell is named by row, column, lon and lat
    profile.update(count=1, crs="EPSG:4326", nodata=-99999.0,
                   transform=Affine(0.001, 0, 43.0, 0, -0.001, -11.0))  # fmt: skip
    for value in (np.inf, -np.inf):
        bad = np.where(data == -200.0, -99999.0, data)
        bad[7, 11] = value
        inf = tmp_path / "inf.tif"
        with rasterio.open(inf, "w", **profile) as dst:
            dst.write(bad, 1)
        with pytest.raises(
            InputError,
            match=r"inf.tif: 1 cell\(s\) hold an infinite population .*row 8, column 12: "
            r"lon 43.01150, lat -11.00750",
        ):
            read_population(inf)
        # outside the window read, the cell is not looked at
        grid = read_population(inf, bounds=(43.02, -11.03, 43.03, -11.02), bounds_crs="EPSG:4326")
        assert np.isfinite(grid.counts).all()


@pytest.mark.shared
def test_national_raster_window_gives_the_county_exactly(shared_data, tmp_path):
    from fixtures.rasters import write_tiled_vrt

    county = shared_data / "comoros" / "com_ppp_2020_UNadj.tif"
    national = write_tiled_vrt(county, tmp_path / "national.vrt", tiles=(5, 4), at=(2, 1))
    nzwani = shapely.box(44.19, -12.39, 44.55, -12.05)  # OSM's Nzwani, in the county tile
    full = clip_population(read_population(county), nzwani, crs="EPSG:4326")
    window = read_population(national, bounds=nzwani.bounds, bounds_crs="EPSG:4326")
    with rasterio.open(national) as src:
        assert src.width * src.height == 20 * 1576 * 1270
    assert window.shape[0] * window.shape[1] < 1576 * 1270 / 4  # a small part of one tile
    cut = clip_population(window, nzwani, crs="EPSG:4326")
    assert np.array_equal(cut.counts, full.counts) and np.array_equal(cut.valid, full.valid)
    assert cut.total == full.total
    assert cut.total == pytest.approx(65_897, abs=1.0)  # what WorldPop 2020 puts there


def test_village_names_lose_control_characters_and_twin_columns_are_refused(tmp_path):
    from coverage.inputs.tables import TableWarning

    path = tmp_path / "v.csv"
    path.write_text("name,lon,lat,population\n豫章\x07村,119.1,28.1,1200\n", encoding="utf-8")
    with pytest.warns(TableWarning, match=r"v\.csv: control characters .*'name' \(row 2\)"):
        assert read_population_points(path).labels.tolist() == ["豫章村"]
    path.write_text("name,lon,lat,常住人口,户籍人口\nA,119.1,28.1,1200,1300\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"columns '常住人口' and '户籍人口' are both names"):
        read_population_points(path)
    # the one to use, named: the other is an ordinary column
    assert read_population_points(path, columns={"population": "户籍人口"}).total == 1300
