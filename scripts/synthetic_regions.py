"""Generated street-grid regions: real OSM files, a population GeoTIFF and stations.

Each region is a rectangular street grid written as a real OpenStreetMap file (XML
for small regions, PBF through osmium for large ones), a WGS84 population raster
(people per cell, seeded), a station table (CSV, lon/lat) at chosen grid nodes,
two unit polygons (west and east halves) and a run configuration ``region.yaml``
that names them. The tests of ``coverage.batch``, the sample batch under
``data/sample_batch/`` and the scale benchmark are all built from these.

Usage::

    python scripts/synthetic_regions.py data/sample_batch    # rewrite the sample batch inputs
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

__all__ = ["SAMPLE_REGIONS", "write_region", "write_sample_batch"]

_M_PER_DEG_LAT = 111_320.0


def _grid_lonlat(
    origin: tuple[float, float], nx: int, ny: int, spacing_m: float
) -> tuple[np.ndarray, np.ndarray]:
    lon0, lat0 = origin
    dlat = spacing_m / _M_PER_DEG_LAT
    dlon = spacing_m / (_M_PER_DEG_LAT * math.cos(math.radians(lat0)))
    return lon0 + dlon * np.arange(nx), lat0 + dlat * np.arange(ny)


def _node_id(i: int, j: int, nx: int) -> int:
    return 1 + j * nx + i


def _write_osm_xml(path: Path, lons: np.ndarray, lats: np.ndarray) -> None:
    nx, ny = lons.size, lats.size
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="coverage15">']
    for j in range(ny):
        for i in range(nx):
            lines.append(
                f'  <node id="{_node_id(i, j, nx)}" lat="{lats[j]:.7f}" lon="{lons[i]:.7f}"/>'
            )
    way = 1
    for j in range(ny):  # east-west streets
        refs = "".join(f'<nd ref="{_node_id(i, j, nx)}"/>' for i in range(nx))
        lines.append(f'  <way id="{way}">{refs}<tag k="highway" v="residential"/></way>')
        way += 1
    for i in range(nx):  # north-south streets
        refs = "".join(f'<nd ref="{_node_id(i, j, nx)}"/>' for j in range(ny))
        lines.append(f'  <way id="{way}">{refs}<tag k="highway" v="residential"/></way>')
        way += 1
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_osm_pbf(path: Path, lons: np.ndarray, lats: np.ndarray) -> None:
    import osmium

    nx, ny = lons.size, lats.size
    if path.exists():
        path.unlink()
    writer = osmium.SimpleWriter(str(path))
    try:
        for j in range(ny):
            lat = float(lats[j])
            for i in range(nx):
                writer.add_node(
                    osmium.osm.mutable.Node(id=_node_id(i, j, nx), location=(float(lons[i]), lat))
                )
        tags = {"highway": "residential"}
        way = 1
        for j in range(ny):
            nodes = [_node_id(i, j, nx) for i in range(nx)]
            writer.add_way(osmium.osm.mutable.Way(id=way, nodes=nodes, tags=tags))
            way += 1
        for i in range(nx):
            nodes = [_node_id(i, j, nx) for j in range(ny)]
            writer.add_way(osmium.osm.mutable.Way(id=way, nodes=nodes, tags=tags))
            way += 1
    finally:
        writer.close()


def _write_population(
    path: Path,
    bounds: tuple[float, float, float, float],
    cells: tuple[int, int],
    *,
    seed: int,
    window_rows: int = 1024,
) -> float:
    """Seeded integer people per cell (0..20, a tenth of the cells empty); returns the total."""
    west, south, east, north = bounds
    rows, cols = cells
    transform = Affine((east - west) / cols, 0.0, west, 0.0, -(north - south) / rows, north)
    rng = np.random.default_rng(seed)
    total = 0.0
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=rows,
        width=cols,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=transform,
        nodata=-1.0,
        compress="deflate",
        tiled=rows >= 256 and cols >= 256,
    ) as dst:
        for r0 in range(0, rows, window_rows):
            h = min(window_rows, rows - r0)
            people = rng.integers(0, 21, size=(h, cols)).astype(np.float32)
            people[rng.random((h, cols)) < 0.1] = 0.0
            total += float(people.sum(dtype=np.float64))
            dst.write(people, 1, window=rasterio.windows.Window(0, r0, cols, h))
    return total


def write_region(
    folder: str | os.PathLike[str],
    *,
    name: str,
    origin: tuple[float, float] = (114.0, 30.0),
    nodes: tuple[int, int] = (12, 10),
    spacing_m: float = 150.0,
    stations: Sequence[tuple[int, int]] = ((2, 2),),
    cells: tuple[int, int] | None = None,
    seed: int = 0,
    network_format: str = "xml",
    minutes: Sequence[float] = (5, 10, 15),
) -> Path:
    """Write one generated region and its run configuration into ``folder``.

    Parameters
    ----------
    folder : path-like
        Created if missing.
    name : str
        Region name (written into ``region.yaml``).
    origin : (float, float)
        Longitude and latitude of the south-west grid node.
    nodes : (int, int)
        Grid nodes west-east and south-north.
    spacing_m : float
        Distance between neighbouring nodes.
    stations : sequence of (int, int)
        Grid node (column, row) of each station.
    cells : (int, int), optional
        Raster rows and columns (default: one cell per 50 m).
    seed : int
        Seed of the population.
    network_format : {"xml", "pbf"}
        OSM file format.
    minutes : sequence of float
        Thresholds of the configuration.

    Returns
    -------
    pathlib.Path
        The configuration file ``region.yaml``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    nx, ny = nodes
    lons, lats = _grid_lonlat(origin, nx, ny, spacing_m)
    if network_format == "pbf":
        network = "network.osm.pbf"
        _write_osm_pbf(folder / network, lons, lats)
    else:
        network = "network.osm"
        _write_osm_xml(folder / network, lons, lats)
    pad_lon = (lons[1] - lons[0]) / 2
    pad_lat = (lats[1] - lats[0]) / 2
    bounds = (lons[0] - pad_lon, lats[0] - pad_lat, lons[-1] + pad_lon, lats[-1] + pad_lat)
    if cells is None:
        cells = (
            max(1, round(ny * spacing_m / 50.0)),
            max(1, round(nx * spacing_m / 50.0)),
        )
    _write_population(folder / "population.tif", bounds, cells, seed=seed)
    rows = ["id,name,tier,lon,lat"]
    for k, (i, j) in enumerate(stations):
        rows.append(f"s{k + 1},{name} station {k + 1},township,{lons[i]:.7f},{lats[j]:.7f}")
    (folder / "stations.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    mid = (bounds[0] + bounds[2]) / 2
    units = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": label},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [w, bounds[1]],
                            [e, bounds[1]],
                            [e, bounds[3]],
                            [w, bounds[3]],
                            [w, bounds[1]],
                        ]
                    ],
                },
            }
            for label, w, e in (("west", bounds[0], mid), ("east", mid, bounds[2]))
        ],
    }
    (folder / "units.geojson").write_text(json.dumps(units), encoding="utf-8")
    config = (
        f"name: {name}\n"
        "stations: stations.csv\n"
        "population: population.tif\n"
        f"network: {network}\n"
        "boundaries: units.geojson\n"
        "boundaries_name: name\n"
        "mode: walk\n"
        f"minutes: [{', '.join(f'{m:g}' for m in minutes)}]\n"
    )
    (folder / "region.yaml").write_text(config, encoding="utf-8")
    return folder / "region.yaml"


#: The sample batch: three small counties with different station layouts.
SAMPLE_REGIONS = {
    "north-county": {"origin": (114.00, 30.10), "stations": ((6, 6), (22, 16)), "seed": 1},
    "river-county": {"origin": (114.10, 30.00), "stations": ((15, 12),), "seed": 2},
    "hill-county": {"origin": (114.20, 30.05), "stations": ((2, 2),), "seed": 3},
}
_SAMPLE_NODES = (30, 24)

_SAMPLE_BATCH = """\
# The sample batch: three generated counties (street grids, seeded population).
# Regenerate the maps with `make batch-sample` (outputs in out/sample_batch/).
out: ../../out/sample_batch
defaults:
  mode: walk
  minutes: [5, 10, 15]
regions:
  - north-county/region.yaml
  - config: river-county/region.yaml
    minutes: [10, 15]          # inline overrides win over the region's own file
  - name: hill-county          # a region given entirely inline
    stations: hill-county/stations.csv
    population: hill-county/population.tif
    network: hill-county/network.osm
    boundaries: hill-county/units.geojson
"""


def write_sample_batch(folder: str | os.PathLike[str]) -> Path:
    """Write the sample batch (three regions and ``batch.yaml``) into ``folder``.

    Returns
    -------
    pathlib.Path
        The batch file.
    """
    folder = Path(folder)
    for name, spec in SAMPLE_REGIONS.items():
        write_region(folder / name, name=name, nodes=_SAMPLE_NODES, **spec)  # type: ignore[arg-type]
    (folder / "batch.yaml").write_text(_SAMPLE_BATCH, encoding="utf-8")
    return folder / "batch.yaml"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where the sample batch is written")
    print(write_sample_batch(parser.parse_args().folder))
