"""Generated inputs for the benchmarks: a jittered street grid and a population raster.

The grid stands for a rural county's walk network at scale: ``rows x cols`` nodes
about ``spacing_m`` apart (placed around Longquan, Zhejiang, with seeded random
jitter so that no two edges weigh the same), joined to their right and lower
neighbours, a seeded 5 % of links dropped, and a mix of highway classes (a few
``steps`` walk at half speed). It goes through the public
:func:`coverage.inputs.network.network_from_edges`, like a parsed OSM file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from coverage.inputs.network import Network, network_from_edges

LON0, LAT0 = 119.13, 28.07  # Longquan, Zhejiang
_M_PER_DEG_LAT = 111_320.0
_CLASSES = np.array(["residential", "footway", "track", "primary", "steps"], dtype=object)
_CLASS_P = np.array([0.6, 0.15, 0.1, 0.1, 0.05])


def grid_network(rows: int, cols: int, *, spacing_m: float = 60.0, seed: int = 0) -> Network:
    """A jittered ``rows x cols`` street grid as a walk :class:`Network`."""
    rng = np.random.default_rng(seed)
    r, c = np.divmod(np.arange(rows * cols, dtype=np.int64), cols)
    jitter = rng.uniform(-0.2, 0.2, size=(2, r.size)) * spacing_m
    north = (r * spacing_m + jitter[0]) / _M_PER_DEG_LAT
    east = (c * spacing_m + jitter[1]) / (_M_PER_DEG_LAT * np.cos(np.radians(LAT0)))
    lon, lat = LON0 + east, LAT0 + north
    ids = np.arange(r.size, dtype=np.int64) + 1_000_000  # OSM-like ids, not indices
    idx = np.arange(r.size, dtype=np.int64).reshape(rows, cols)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(u.size) >= 0.05
    u, v = u[keep], v[keep]
    highway = _CLASSES[rng.choice(_CLASSES.size, size=u.size, p=_CLASS_P)]
    ways = pd.DataFrame({"u": ids[u], "v": ids[v], "highway": highway})
    return network_from_edges(ids, lon, lat, ways, mode="walk", source=f"grid {rows}x{cols}")


def station_nodes(network: Network, count: int, *, seed: int = 1) -> np.ndarray:
    """``count`` distinct random node indices of a network (seeded)."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(network.n_nodes, size=min(count, network.n_nodes), replace=False))


def write_population_raster(path: Path, network: Network, *, cells: int, seed: int = 2) -> Path:
    """A WorldPop-like GeoTIFF of about ``cells`` cells over the network's extent.

    EPSG:4326, float32 people per cell (exponential, mean 0.5), nodata -99999 on
    a seeded 2 % of cells, deflate-compressed and tiled like a WorldPop download.
    """
    import rasterio
    from rasterio.transform import from_bounds

    side = int(np.ceil(np.sqrt(cells)))
    west, east = float(network.lon.min()), float(network.lon.max())
    south, north = float(network.lat.min()), float(network.lat.max())
    rng = np.random.default_rng(seed)
    values = rng.exponential(0.5, size=(side, side)).astype(np.float32)
    values[rng.random((side, side)) < 0.02] = -99999.0
    profile = {
        "driver": "GTiff",
        "width": side,
        "height": side,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": from_bounds(west, south, east, north, side, side),
        "nodata": -99999.0,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }
    if side >= 1024:
        profile.update(tiled=True, blockxsize=512, blockysize=512)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
    return path
