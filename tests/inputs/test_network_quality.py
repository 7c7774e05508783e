"""OSM data quality: ways with missing nodes are warned of, invalid coordinates stop the run."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.synthetic import write_osm_pbf, write_osm_xml
from pyproj import Transformer

from coverage.cli import main
from coverage.errors import InputError
from coverage.inputs.network import load_network
from coverage.inputs.osm_ways import IncompleteWaysWarning

CRS = "EPSG:32651"
_TO_LONLAT = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


def _line(n: int, spacing_m: float = 100.0):
    lon, lat = _TO_LONLAT.transform(300_000.0 + spacing_m * np.arange(n), np.full(n, 3_300_000.0))
    return np.asarray(lon), np.asarray(lat)


@pytest.mark.parametrize("writer", [write_osm_xml, write_osm_pbf])
def test_gaps_in_ways_are_left_out_and_warned(tmp_path, writer):
    lon, lat = _line(11)
    path = tmp_path / ("line.osm" if writer is write_osm_xml else "line.osm.pbf")
    # nodes 4, 5 and 8 of the 11 are missing: segments 1-2, 2-3, 6-7, 9-10, 10-11 remain
    # (500 m); the gaps 3 -> 6 and 7 -> 9 (500 m in a straight line) are lost
    writer(path, lon, lat, [list(range(1, 12))], [{"highway": "residential"}], frozenset({4, 5, 8}))
    with pytest.warns(IncompleteWaysWarning, match=r"1 of 1 ways .* 50\.0% .*\(0\.5 km\)"):
        net = load_network(path, metric_crs=CRS)
    pairs = {
        tuple(sorted(p))
        for p in zip(net.node_ids[net.edge_u], net.node_ids[net.edge_v], strict=False)
    }
    assert pairs == {(1, 2), (2, 3), (6, 7), (9, 10), (10, 11)}
    assert net.edge_length_m.sum() == pytest.approx(2 * 500.0, rel=1e-3)


@pytest.mark.parametrize("writer", [write_osm_xml, write_osm_pbf])
def test_gaps_in_ferry_ways_are_left_out_too(tmp_path, writer):
    lon, lat = _line(11)
    path = tmp_path / ("ferry.osm" if writer is write_osm_xml else "ferry.osm.pbf")
    # a road 1-4 and a ferry 4-11 whose node 7 is missing: the crossing 6 -> 8
    # (200 m) is lost, the road's 300 m and the ferry's 500 m either side remain
    writer(
        path,
        lon,
        lat,
        [[1, 2, 3, 4], list(range(4, 12))],
        [{"highway": "residential"}, {"route": "ferry"}],
        frozenset({7}),
    )
    with pytest.warns(IncompleteWaysWarning, match=r"1 of 2 ways .* 20\.0% .*\(0\.2 km\)"):
        net = load_network(path, metric_crs=CRS)
    pairs = {
        tuple(sorted(p))
        for p in zip(net.node_ids[net.edge_u], net.node_ids[net.edge_v], strict=False)
    }
    assert pairs == {(1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (8, 9), (9, 10), (10, 11)}


@pytest.mark.parametrize("writer", [write_osm_xml, write_osm_pbf])
def test_ways_cut_at_the_extract_edge_are_normal(tmp_path, writer, recwarn):
    lon, lat = _line(6)
    path = tmp_path / ("edge.osm" if writer is write_osm_xml else "edge.osm.pbf")
    writer(path, lon, lat, [[1, 2, 3, 4, 5, 6]], [{"highway": "residential"}], frozenset({1, 6}))
    net = load_network(path, metric_crs=CRS)
    assert net.edge_length_m.sum() == pytest.approx(2 * 300.0, rel=1e-3)
    assert not [w for w in recwarn if issubclass(w.category, IncompleteWaysWarning)]


@pytest.mark.parametrize(
    ("lon", "lat", "shown"),
    [(np.nan, 30.0, "lon nan"), (120.0, np.inf, "lat inf"), (120.0, 95.0, "lat 95.0")],
)
def test_invalid_coordinates_stop_the_run(tmp_path, lon, lat, shown):
    lons, lats = _line(3)
    lons[1], lats[1] = lon, lat
    path = write_osm_xml(tmp_path / "bad.osm", lons, lats, [[1, 2, 3]], [{"highway": "service"}])
    with pytest.raises(InputError, match=rf"bad\.osm: node 2 has an invalid coordinate .*{shown}"):
        load_network(path)


def test_invalid_coordinate_exits_2(grid_case, capsys):
    case = grid_case(fmt="xml")
    text = case.network.read_text(encoding="utf-8")
    first = text.index('lat="') + len('lat="')
    text = text[:first] + "nan" + text[text.index('"', first) :]
    case.network.write_text(text, encoding="utf-8")
    assert main(["run", str(case.config), "--out", str(case.folder / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "invalid coordinate" in err[0]


def test_pbf_and_xml_of_the_same_data_give_the_same_network_array_for_array(tmp_path):
    """Both readers keep the same ways (no planned, gone or area ways; ferries) in the
    same order: every array of the network is equal, node order included. Only the
    roads count in the gap warning: the proposed road missing half its nodes does not
    warn, the residential street's one gap does (1 of the 4 ways kept)."""
    import dataclasses

    lon, lat = _line(30, spacing_m=50.0)
    ways = [
        list(range(1, 9)),  # a street with node 5 missing: a gap
        [8, 9, 10, 11],  # a square: area=yes
        [11, 12, 13, 14, 15, 16, 17, 18, 19, 20],  # a proposed road missing 13-17
        [8, 21, 22],  # steps
        [22, 23, 24, 25],  # construction;footway (multi-valued)
        [22, 26, 27, 28, 29, 30],  # a ferry
        [3, 30],  # a track (back to the ferry landing)
    ]
    tags = [
        {"highway": "residential"},
        {"highway": "pedestrian", "area": "yes"},
        {"highway": "proposed"},
        {"highway": "steps"},
        {"highway": "construction;footway"},
        {"route": "ferry"},
        {"highway": "track"},
    ]
    missing = frozenset({5, 13, 14, 15, 16, 17})
    nets = []
    for writer, name in ((write_osm_xml, "same.osm"), (write_osm_pbf, "same.osm.pbf")):
        path = writer(tmp_path / name, lon, lat, ways, tags, missing)
        with pytest.warns(IncompleteWaysWarning, match=r"1 of 4 ways .* 1 of them with gaps"):
            nets.append(load_network(path, metric_crs=CRS))
    xml, pbf = nets
    for field in dataclasses.fields(xml):
        a, b = getattr(xml, field.name), getattr(pbf, field.name)
        if field.name == "source":
            continue
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=field.name)
        else:
            assert a == b, field.name
    assert set(pbf.node_ids.tolist()) == {1, 2, 3, 4, 6, 7, 8, 21, 22, 26, 27, 28, 29, 30}
    assert list(pbf.node_ids) == sorted(pbf.node_ids)  # in the files' order
