"""Clipping: rasters keep exactly the people of the kept cells; PBF keeps whole ways."""

from __future__ import annotations

import gzip

import numpy as np
import osmium
import pytest
import rasterio
import shapely
from fetch_server import (
    GRID_N,
    POP_SHAPE,
    POP_TRANSFORM,
    TILE_SIDE,
    dem_value,
    grid_lonlat,
    grid_node_id,
    grid_ways,
    hgt_tile,
    population_array,
    write_grid_pbf,
    write_population_tif,
)

from coverage.errors import InputError
from coverage.fetch import check_bbox, clip_pbf, clip_raster, hgt_to_geotiff, merge_tiles


def _read_osm(path):
    nodes, ways, rels = {}, {}, {}
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node():
            nodes[obj.id] = (obj.location.lon, obj.location.lat)
        elif obj.is_way():
            ways[obj.id] = [n.ref for n in obj.nodes]
        else:
            rels[obj.id] = [(m.type, m.ref) for m in obj.members]
    return nodes, ways, rels


def test_raster_bbox_clip_keeps_the_touching_cells_exactly(tmp_path):
    src = write_population_tif(tmp_path / "pop.tif")
    # cell edges are at 119.000 + 0.004 k; this box cuts through cells on every side
    west, south, east, north = 119.0413, 28.0702, 119.1205, 28.1599
    out = clip_raster(src, tmp_path / "clip.tif", bbox=(west, south, east, north))
    # by hand: columns whose [left, right) touches (west, east), rows likewise from the top
    c0, c1 = int(np.floor((west - 119.0) / 0.004)), int(np.ceil((east - 119.0) / 0.004))
    r0, r1 = int(np.floor((28.2 - north) / 0.004)), int(np.ceil((28.2 - south) / 0.004))
    assert (c0, c1, r0, r1) == (10, 31, 10, 33)
    expected = population_array()[r0:r1, c0:c1]
    with rasterio.open(out) as ds:
        got = ds.read(1)
        assert ds.nodata == -99999.0
        assert ds.transform.c == pytest.approx(119.0 + c0 * 0.004)
        assert ds.transform.f == pytest.approx(28.2 - r0 * 0.004)
    np.testing.assert_array_equal(got, expected)
    assert got.sum(dtype=np.float64) == pytest.approx(expected.sum(dtype=np.float64), rel=1e-12)


def test_raster_boundary_clip_conserves_people_by_cell_centre(tmp_path):
    src = write_population_tif(tmp_path / "pop.tif")
    county = shapely.Polygon([(119.01, 28.05), (119.17, 28.03), (119.12, 28.19), (119.01, 28.05)])
    out = clip_raster(src, tmp_path / "county.tif", boundary=county)
    # brute force: every source cell whose centre lies in the polygon
    data = population_array().astype(np.float64)
    rows, cols = np.mgrid[0 : POP_SHAPE[0], 0 : POP_SHAPE[1]]
    cx, cy = POP_TRANSFORM * (cols + 0.5, rows + 0.5)
    inside = shapely.contains_xy(county, cx, cy) & (data != -99999.0)
    with rasterio.open(out) as ds:
        got = ds.read(1).astype(np.float64)
        valid = got != ds.nodata
    assert valid.sum() == inside.sum()
    assert got[valid].sum() == pytest.approx(data[inside].sum(), rel=1e-9)


def test_raster_clip_outside_raises(tmp_path):
    src = write_population_tif(tmp_path / "pop.tif")
    with pytest.raises(InputError, match="does not overlap the raster"):
        clip_raster(src, tmp_path / "x.tif", bbox=(100, 10, 101, 11))
    assert not (tmp_path / "x.tif").exists()


def test_pbf_bbox_clip_keeps_whole_ways_and_their_relations(tmp_path):
    src = write_grid_pbf(tmp_path / "grid.osm.pbf")
    # nodes with column 1..2 and row 1..2 lie inside
    box = (119.01, 28.01, 119.05, 28.05)
    out = clip_pbf(src, tmp_path / "clip.osm.pbf", bbox=box)
    nodes, ways, rels = _read_osm(out)
    inside = {grid_node_id(i, j) for i in (1, 2) for j in (1, 2)}
    kept_ways = {w for w, refs in grid_ways().items() if inside & set(refs)}
    assert kept_ways == {101, 102, 201, 202}
    assert set(ways) == kept_ways
    assert set(nodes) == {n for w in kept_ways for n in grid_ways()[w]}
    for nid, (lon, lat) in nodes.items():
        assert (lon, lat) == pytest.approx(grid_lonlat(nid))
    assert rels == {}  # the bus route uses rows 0 and 5 only
    # a box touching row 0 keeps the relation, with its members as they were
    nodes, ways, rels = _read_osm(
        clip_pbf(src, tmp_path / "row0.osm.pbf", bbox=(119.015, 27.99, 119.025, 28.005))
    )
    assert set(ways) == {100, 201} and rels == {900: [("w", 100), ("w", 105)]}


def test_pbf_polygon_clip_and_errors(tmp_path):
    src = write_grid_pbf(tmp_path / "grid.osm.pbf")
    tri = shapely.Polygon([(118.99, 27.99), (119.035, 27.99), (118.99, 28.035)])
    nodes, ways, _ = _read_osm(clip_pbf(src, tmp_path / "tri.osm.pbf", boundary=tri))
    # inside the triangle: (0,0), (1,0), (0,1) -> rows 0, 1 and columns 0, 1
    assert set(ways) == {100, 101, 200, 201}
    assert len(nodes) == 4 * GRID_N - 4
    with pytest.raises(InputError, match="no OSM node or way lies in the area"):
        clip_pbf(src, tmp_path / "none.osm.pbf", bbox=(100, 10, 101, 11))
    assert not (tmp_path / "none.osm.pbf").exists()
    with pytest.raises(InputError, match="either a bbox"):
        clip_pbf(src, tmp_path / "y.osm.pbf")


def test_pbf_way_crossing_the_area_without_a_node_inside_is_kept(tmp_path):
    src = write_grid_pbf(tmp_path / "grid.osm.pbf")
    # the box holds part of the row-0 street between nodes (0, 0) and (1, 0), no node
    nodes, ways, rels = _read_osm(
        clip_pbf(src, tmp_path / "cross.osm.pbf", bbox=(119.005, 27.995, 119.015, 28.005))
    )
    assert set(ways) == {100}
    assert set(nodes) == set(grid_ways()[100])
    assert rels == {900: [("w", 100), ("w", 105)]}


def test_clipped_pbf_loads_as_a_network(tmp_path):
    import coverage

    src = write_grid_pbf(tmp_path / "grid.osm.pbf")
    out = clip_pbf(src, tmp_path / "clip.osm.pbf", bbox=(119.01, 28.01, 119.05, 28.05))
    net = coverage.load_network(out)
    # 4 full streets of 6 nodes crossing at 4 nodes: 20 nodes, 4 x 5 segments both ways
    assert (net.n_nodes, net.n_edges) == (20, 40)


def test_hgt_tiles_merge_on_their_grid(tmp_path):
    tifs = []
    for name in ("N28E119", "N28E120", "N27E119"):
        gz = tmp_path / f"{name}.hgt.gz"
        gz.write_bytes(hgt_tile(name))
        tifs.append(hgt_to_geotiff(gz, tmp_path / f"{name}.tif"))
    with rasterio.open(tifs[0]) as ds:
        assert ds.shape == (TILE_SIDE, TILE_SIDE)
        assert ds.bounds.left == pytest.approx(119 - 0.5 / 120)
        assert ds.bounds.top == pytest.approx(29 + 0.5 / 120)
    box = (119.8, 27.9, 120.3, 28.2)
    out = merge_tiles(tifs, tmp_path / "dem.tif", bbox=box)
    with rasterio.open(out) as ds:
        h = ds.read(1)
        t = ds.transform
        assert ds.res == pytest.approx((1 / 120, 1 / 120))
        assert t.c <= box[0] and t.f >= box[3]
        assert ds.bounds.right >= box[2] and ds.bounds.bottom <= box[1]
        assert ds.bounds.right - box[2] < 1 / 120 and box[0] - t.c < 1 / 120
        rows, cols = np.mgrid[0 : h.shape[0], 0 : h.shape[1]]
        lon, lat = t * (cols + 0.5, rows + 0.5)
    known = (lon <= 120 + 1e-9) | (lat >= 28 - 1e-9)  # N27E120 (south-east) was not given
    np.testing.assert_array_equal(h[known], dem_value(lon[known], lat[known]))
    assert (h[~known] == -32768).all() and (~known).sum() > 0


def test_hgt_bad_size_and_name(tmp_path):
    bad = tmp_path / "N28E119.hgt.gz"
    bad.write_bytes(gzip.compress(b"\x00" * 1001))
    with pytest.raises(InputError, match="not a square grid"):
        hgt_to_geotiff(bad, tmp_path / "x.tif")
    noname = tmp_path / "tile.hgt"
    noname.write_bytes(b"\x00" * 8)
    with pytest.raises(InputError, match="no code like N28E119"):
        hgt_to_geotiff(noname, tmp_path / "y.tif")


@pytest.mark.parametrize("bad", ["1,2,3", "a,b,c,d", (10, 5, 9, 6), (0, 10, 1, 9), (0, -91, 1, 0)])
def test_bbox_validation(bad):
    with pytest.raises(InputError, match="bbox"):
        check_bbox(bad)


def test_clipped_pbf_keeps_the_data_date_of_its_source(tmp_path):
    """A county cut from a Geofabrik extract is dated by the extract's replication
    timestamp (not by a scan of its objects, nor by the day it was cut)."""
    from coverage.inputs.dates import data_date

    grid = write_grid_pbf(tmp_path / "grid.osm.pbf")
    header = osmium.io.Header()
    header.set("osmosis_replication_timestamp", "2021-04-08T20:21:02Z")
    header.set("osmosis_replication_sequence_number", "2958")
    src = tmp_path / "dated.osm.pbf"
    with osmium.SimpleWriter(osmium.io.File(str(src), "pbf"), header=header) as writer:
        for obj in osmium.FileProcessor(str(grid)):
            writer.add(obj)
    out = clip_pbf(src, tmp_path / "clip.osm.pbf", bbox=(119.01, 28.01, 119.05, 28.05))
    reader = osmium.io.Reader(str(out), osmium.osm.osm_entity_bits.NOTHING)
    try:
        assert reader.header().get("osmosis_replication_sequence_number", "") == "2958"
    finally:
        reader.close()
    found = data_date(out)
    assert (found.date, found.basis) == ("2021-04-08", "osm_replication")
    undated = clip_pbf(grid, tmp_path / "undated.osm.pbf", bbox=(119.01, 28.01, 119.05, 28.05))
    assert data_date(undated).basis != "osm_replication"
