"""Travel modes: speed tables, access, one-way and maxspeed, from OSM XML and PBF alike."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fixtures.synthetic import lattice_lonlat, write_osm_pbf, write_osm_xml

from coverage.errors import InputError
from coverage.inputs.network import (
    MODES,
    SPEEDS_KMH,
    load_network,
    load_networks,
    parse_maxspeed,
    speed_table,
)

# (from node, to node, tags); nodes are ids of a 5 x 5 lattice, 200 m apart
WAYS = [
    ("A", 1, 2, {"highway": "residential", "oneway": "yes"}),
    ("B", 2, 3, {"highway": "primary", "oneway": "-1", "maxspeed": "30 mph"}),
    ("C", 3, 4, {"highway": "footway"}),
    ("D", 4, 5, {"highway": "residential", "access": "private", "foot": "yes"}),
    ("E", 6, 7, {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}),
    ("F", 7, 8, {"highway": "residential", "junction": "roundabout"}),
    ("G", 8, 9, {"highway": "track", "motor_vehicle": "no"}),
    ("H", 9, 10, {"highway": "path", "bicycle": "no"}),
    ("I", 11, 12, {"highway": "motorway"}),
    ("J", 12, 13, {"highway": "secondary", "maxspeed": "CN:urban"}),
    ("K", 13, 14, {"highway": "steps"}),
    ("L", 14, 15, {"highway": "residential", "vehicle": "no"}),
    ("M", 16, 17, {"highway": "pedestrian", "area": "yes"}),
]

# mode -> {(from, to): km/h}
EXPECTED = {
    "walk": {
        **{(a, b): 5.0 for _, a, b, t in WAYS if t["highway"] not in ("motorway", "steps")},
        **{(b, a): 5.0 for _, a, b, t in WAYS if t["highway"] not in ("motorway", "steps")},
        (13, 14): 2.5,
        (14, 13): 2.5,
    },
    "bike": {
        (1, 2): 15.0,
        (3, 2): 15.0,
        (3, 4): 5.0,
        (4, 3): 5.0,
        (6, 7): 15.0,
        (7, 6): 15.0,
        (7, 8): 15.0,
        (8, 9): 12.0,
        (9, 8): 12.0,
        (12, 13): 15.0,
        (13, 12): 15.0,
    },
    "ebike": {
        (1, 2): 20.0,
        (3, 2): 22.0,
        (3, 4): 5.0,
        (4, 3): 5.0,
        (6, 7): 20.0,
        (7, 6): 20.0,
        (7, 8): 20.0,
        (8, 9): 15.0,
        (9, 8): 15.0,
        (12, 13): 22.0,
        (13, 12): 22.0,
    },
    "drive": {
        (1, 2): 25.0,
        (3, 2): 30 * 1.609344,
        (6, 7): 25.0,
        (7, 8): 25.0,
        (11, 12): 100.0,
        (12, 13): 50.0,
        (13, 12): 50.0,
    },
}
del EXPECTED["walk"][(16, 17)], EXPECTED["walk"][(17, 16)]  # area=yes


@pytest.fixture(scope="module", params=["xml", "pbf"])
def tagged_osm(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"tagged-{request.param}")
    lon, lat = lattice_lonlat(5, 200.0)
    ways = [[a, b] for _, a, b, _ in WAYS]
    tags = [t for *_, t in WAYS]
    if request.param == "xml":
        return write_osm_xml(folder / "tagged.osm", lon, lat, ways, tags)
    return write_osm_pbf(folder / "tagged.osm.pbf", lon, lat, ways, tags)


def _edges_kmh(net):
    ids = net.node_ids
    kmh = net.edge_length_m / net.edge_seconds * 3.6
    return {
        (int(ids[u]), int(ids[v])): float(k)
        for u, v, k in zip(net.edge_u, net.edge_v, kmh, strict=True)
    }


@pytest.mark.parametrize("mode", MODES)
def test_access_oneway_and_speeds_per_mode(tagged_osm, mode):
    got = _edges_kmh(load_network(tagged_osm, mode=mode))
    assert set(got) == set(EXPECTED[mode])
    for edge, kmh in EXPECTED[mode].items():
        assert got[edge] == pytest.approx(kmh, rel=1e-12), edge


def test_several_modes_parse_once_and_share_a_crs(tagged_osm):
    nets = load_networks(tagged_osm, modes=["walk", "drive", "walk"])
    assert list(nets) == ["walk", "drive"]
    assert nets["walk"].crs == nets["drive"].crs
    assert nets["drive"].mode == "drive"


def test_speed_overrides_flat_and_per_mode(tagged_osm):
    walk = load_network(tagged_osm, mode="walk", speeds_kmh={"residential": 4.5})
    got = _edges_kmh(walk)
    assert got[(1, 2)] == pytest.approx(4.5) and got[(3, 4)] == pytest.approx(5.0)
    nets = load_networks(tagged_osm, modes=["walk", "ebike"], speeds_kmh={"ebike": {"track": 12.0}})
    assert _edges_kmh(nets["ebike"])[(8, 9)] == pytest.approx(12.0)
    assert _edges_kmh(nets["walk"])[(8, 9)] == pytest.approx(5.0)
    with pytest.raises(InputError, match="speeds_kmh"):
        speed_table("walk", {"residential": -1})
    with pytest.raises(InputError, match="not known"):
        load_network(tagged_osm, mode="horse")


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("30 mph", 48.28032),
        ("10 knots", 18.52),
        ("60;40", 40.0),
        ("CN:urban", 50.0),
        ("cn:rural", 70.0),
        ("DE:rural", 100.0),
        ("XX:urban", 50.0),
        ("GB:nsl_single", 96.56),
        ("walk", 7.0),
        ("none", math.nan),
        ("signals", math.nan),
        ("fast", math.nan),
        (None, math.nan),
        ("0", math.nan),
    ],
)
def test_parse_maxspeed(value, kmh):
    got = parse_maxspeed(value)
    if math.isnan(kmh):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(kmh, rel=1e-9)


def test_default_tables_are_documented():
    import coverage.inputs.speeds as module

    doc = module.__doc__ or ""
    classes = set().union(*(SPEEDS_KMH[m] for m in MODES))
    assert {"motorway", "steps", "cycleway"} <= classes
    for hw in classes:
        line = next(line for line in doc.splitlines() if line.startswith(f"{hw} "))
        cells = line.split()
        for mode, cell in zip(MODES, cells[1:], strict=True):
            expected = SPEEDS_KMH[mode].get(hw)
            assert (cell == "\\-") if expected is None else float(cell) == expected, (hw, mode)
    assert np.all([v > 0 for table in SPEEDS_KMH.values() for v in table.values()])
