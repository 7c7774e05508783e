"""A hand-solvable "line world" for the metrics tests.

One straight north-south road of 45 nodes, 100 m apart, on the central meridian of a
transverse Mercator projection with scale 1 (so the geodesic edge lengths equal the
projected spacing). Road speed 6 km/h (1 minute per edge), access legs 0.6 km/h.

The population raster has 2 columns (west, east) x 45 rows of 100 m cells, centred
50 m either side of the road and level with the nodes: road node ``k`` (northing
``100 k``) is level with raster row ``44 - k``. A cell's access leg is 50 m = 5 min.
Station A (township) stands 15 m south of node 0, station B (village) 15 m south of
node 31: 1.5 min of access each. So the cell level with node ``k`` is exactly

    minutes(k) = 6.5 + min(k, |k - 31|)

from station A when ``k <= 15``, else from B. People: 10 in every east cell, 30 in the
west cells of rows k = 0..4, 0 in the other west cells; the west cell of k = 44 is
nodata.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from pyproj import CRS, Transformer
from shapely.geometry import box

from coverage.compute import compute_coverage
from coverage.engine.access import AccessModel
from coverage.inputs.network import Network, network_from_edges
from coverage.inputs.population import PopulationGrid
from coverage.inputs.stations import stations_from_frame
from coverage.metrics.options import MetricOptions
from coverage.results import CoverageResult

TMERC = CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=10 +k=1 +x_0=0 +y_0=0 +ellps=WGS84")
N_NODES = 45
STATION_NODES = (0, 31)


_METRIC_KEYS = tuple(f.name for f in dataclasses.fields(MetricOptions))


@dataclass(frozen=True)
class LineWorld:
    network: Network
    stations: gpd.GeoDataFrame
    grid: PopulationGrid
    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame

    def run(self, **kwargs: Any) -> CoverageResult:
        """compute_coverage on the line world (both unit levels unless ``units`` is given)."""
        kwargs.setdefault("units", {"township": self.townships, "village": self.villages})
        stations = kwargs.pop("stations", self.stations)
        access = {k: kwargs.pop(k) for k in ("minutes",) if k in kwargs}
        metrics = {k: kwargs.pop(k) for k in _METRIC_KEYS if k in kwargs}
        return compute_coverage(
            self.network,
            stations,
            self.grid,
            AccessModel(mode=self.network.mode, access_speed_kmh=0.6, **access),
            options=MetricOptions(**metrics),
            **kwargs,
        )

    @staticmethod
    def minutes(k: int) -> float:
        """Exact minutes of the cells level with node ``k``."""
        return 6.5 + min(k, abs(k - STATION_NODES[1]))

    @staticmethod
    def station(k: int) -> int:
        """Index of the nearest station of the cells level with node ``k``."""
        return 0 if k <= 15 else 1

    def cells(self) -> pd.DataFrame:
        """Every valid cell: k (road node level), column, people, minutes, station."""
        rows = []
        for r in range(N_NODES):
            k = N_NODES - 1 - r
            for c in range(2):
                if self.grid.valid[r, c]:
                    rows.append(
                        {
                            "k": k,
                            "col": c,
                            "people": float(self.grid.counts[r, c]),
                            "minutes": self.minutes(k),
                            "station": self.station(k),
                        }
                    )
        return pd.DataFrame(rows)


def _to_wgs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = Transformer.from_crs(TMERC, "EPSG:4326", always_xy=True).transform(x, y)
    return np.asarray(lon), np.asarray(lat)


def _band(y0: float, y1: float, name: str) -> dict[str, object]:
    return {"unit": name, "geometry": box(-100, y0, 100, y1)}


@pytest.fixture(scope="session")
def line_world() -> LineWorld:
    k = np.arange(N_NODES)
    lon, lat = _to_wgs(np.zeros(N_NODES), 100.0 * k)
    ways = pd.DataFrame({"u": k[:-1] + 1, "v": k[1:] + 1, "highway": "footway"})
    network = network_from_edges(
        k + 1, lon, lat, ways, speed_kmh=6.0, metric_crs=TMERC, source="line world"
    )
    s_lon, s_lat = _to_wgs(np.array([0.0, 0.0]), 100.0 * np.array(STATION_NODES) - 15.0)
    stations = stations_from_frame(
        pd.DataFrame(
            {
                "id": ["A", "B"],
                "name": ["Station <A>", "站点B"],
                "tier": ["township", "village"],
                "lon": s_lon,
                "lat": s_lat,
                "services": ["参保登记、异地就医备案", "参保登记"],
                "staff": ["2", "3"],
            }
        )
    )
    counts = np.zeros((N_NODES, 2))
    counts[:, 1] = 10.0
    for kk in range(5):
        counts[N_NODES - 1 - kk, 0] = 30.0
    valid = np.ones_like(counts, dtype=bool)
    valid[0, 0] = False  # west cell of k = 44
    grid = PopulationGrid(
        counts=counts,
        valid=valid,
        transform=Affine(100.0, 0.0, -100.0, 0.0, -100.0, 100.0 * (N_NODES - 1) + 50.0),
        crs=TMERC,
        source="line world",
    )
    townships = gpd.GeoDataFrame([_band(-50, 1950, "South"), _band(1950, 4450, "North")], crs=TMERC)
    villages = gpd.GeoDataFrame(
        [
            _band(-50, 950, "V1"),
            _band(950, 1950, "V2"),
            _band(1950, 2950, "V3"),
            _band(2950, 4450, "V4"),
            {"unit": "Empty", "geometry": box(1000, 0, 1100, 100)},
        ],
        crs=TMERC,
    )
    return LineWorld(network, stations, grid, townships, villages)


@pytest.fixture(scope="session")
def line_result(line_world: LineWorld) -> CoverageResult:
    """The line world's result with default options and both unit levels."""
    return line_world.run()
