"""Clipping the real Comoros files: people and roads inside the area are kept exactly."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

import coverage
from coverage.engine.access import AccessModel
from coverage.fetch import clip_pbf, clip_raster

pytestmark = pytest.mark.shared

MOHELI_BBOX = (43.62, -12.45, 43.93, -12.2)


def _islands(pbf):
    import pyrosm

    b = pyrosm.OSM(str(pbf)).get_boundaries()
    b = b[b["admin_level"].astype(str) == "4"]
    return b.dissolve(by="name", as_index=False)[["name", "geometry"]]


# the OSM health sites list 8 facilities twice (see tests/metrics/test_metrics_comoros.py)
@pytest.mark.filterwarnings("ignore::coverage.metrics.duplicates.DuplicateStationWarning")
def test_worldpop_clipped_to_each_island_matches_the_per_unit_population(shared_data, tmp_path):
    comoros = shared_data / "comoros"
    tif = comoros / "com_ppp_2020_UNadj.tif"
    islands = _islands(comoros / "comores-latest.osm.pbf")
    assert len(islands) == 3
    # per-island people as compute_coverage counts them (cell centre within the polygon)
    net = coverage.load_network(comoros / "comores-latest.osm.pbf")
    stations = coverage.read_stations(comoros / "health.gpkg")
    pop = coverage.read_population(tif)
    islands.to_file(tmp_path / "islands.geojson", driver="GeoJSON")
    units = coverage.read_boundaries(tmp_path / "islands.geojson")
    result = coverage.compute_coverage(net, stations, pop, AccessModel(mode=net.mode), units=units)
    by_unit = result.units["unit"].set_index("unit")["population"]
    clipped_total = 0.0
    for _, row in islands.iterrows():
        out = clip_raster(tif, tmp_path / "island.tif", boundary=row.geometry)
        with rasterio.open(out) as ds:
            data = ds.read(1, masked=True)
        people = float(data.sum(dtype=np.float64))
        assert people == pytest.approx(by_unit[row["name"]], rel=1e-9)
        clipped_total += people
    # coastal cells whose centre lies at sea (outside every island polygon) count nowhere
    assert clipped_total == pytest.approx(by_unit.sum(), rel=1e-9) and clipped_total < pop.total


def test_osm_clipped_to_moheli_keeps_the_road_graph_inside(shared_data, tmp_path):
    pbf = shared_data / "comoros" / "comores-latest.osm.pbf"
    out = clip_pbf(pbf, tmp_path / "moheli.osm.pbf", bbox=MOHELI_BBOX)
    assert out.stat().st_size < pbf.stat().st_size / 3
    full = coverage.load_network(pbf)
    part = coverage.load_network(out, metric_crs=full.crs)
    w, s, e, n = MOHELI_BBOX

    def inside_edges(net):
        keep = (net.lon >= w) & (net.lon <= e) & (net.lat >= s) & (net.lat <= n)
        ids = net.node_ids
        both = keep[net.edge_u] & keep[net.edge_v]
        return set(ids[keep].tolist()), set(
            zip(ids[net.edge_u[both]].tolist(), ids[net.edge_v[both]].tolist(), strict=True)
        )

    full_nodes, full_edges = inside_edges(full)
    part_nodes, part_edges = inside_edges(part)
    assert len(full_nodes) > 5000
    assert part_nodes == full_nodes and part_edges == full_edges
