"""Planning figures on the real Comoros data: islands as units, health facilities by tier."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
from rasterio.features import rasterize

from coverage import load_network, read_population, read_stations
from coverage.compute import compute_coverage
from coverage.engine.access import AccessModel
from coverage.metrics.options import MetricOptions
from coverage.metrics.targets import targets_from_mapping

# The Comoros table lists eight sites twice, 1-24 m apart (tests/metrics/test_metrics_duplicates.py)
COMOROS_DUPLICATES = "ignore::coverage.metrics.duplicates.DuplicateStationWarning"


def _islands(pbf) -> gpd.GeoDataFrame:
    import pyrosm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm's pandas/shapely deprecation noise
        b = pyrosm.OSM(str(pbf)).get_boundaries()
    b = b[b["admin_level"] == "4"]
    return gpd.GeoDataFrame(
        {"unit": b["name"].to_numpy()}, geometry=b.geometry.to_numpy(), crs=4326
    )


@pytest.mark.filterwarnings(COMOROS_DUPLICATES)
@pytest.mark.shared
def test_comoros_planning_figures(shared_data):
    comoros = shared_data / "comoros"
    pbf = comoros / "comores-latest.osm.pbf"
    stations = read_stations(comoros / "health.gpkg")
    stations["tier"] = np.where(stations["amenity"].eq("hospital"), "township", "village")
    stations["services"] = np.where(
        stations["tier"].eq("township"), "参保登记、异地就医备案", "参保登记"
    )
    res = compute_coverage(
        load_network(pbf),
        stations,
        read_population(comoros / "com_ppp_2020_UNadj.tif"),
        AccessModel(mode="walk"),
        units={"island": _islands(pbf)},
        options=MetricOptions(
            targets=targets_from_mapping({"island": {2024: 1.0}}), catchment_by_tier=True
        ),
    )
    s = res.summary
    minutes, people = res.point_minutes, res.demand.population
    islands = res.units["island"]
    assert len(islands) == 3
    # independent reference: burn the islands on the raster (a cell counts by its centre)
    grid = res.demand.grid
    burnt = rasterize(
        [(g, i + 1) for i, g in enumerate(res.unit_polygons["island"].to_crs(grid.crs).geometry)],
        out_shape=grid.shape,
        transform=grid.transform,
    )
    for i, row in islands.iterrows():
        expected = grid.counts[(burnt == i + 1) & grid.valid].sum()
        assert row["population"] == pytest.approx(expected, rel=1e-3), row["unit"]
    assert (islands["population_covered"] <= islands["population"]).all()
    assert islands["population_covered"].sum() <= s["population_covered"] + 1e-6
    assert (islands["mean_minutes"] > 15).all() and (islands["p90_minutes"] > 60).all()
    assert s["units_by_level"]["island"]["units_covered"] == 0
    assert res.targets["units_to_cover"].tolist() == [3]
    # gaps hold exactly the residents beyond 15 minutes
    beyond = float(people[~(minutes <= 15)].sum())
    assert res.gaps["population"].sum() == pytest.approx(beyond, rel=1e-9)
    assert res.gaps["population"].is_monotonic_decreasing
    # an item every station offers is the overall coverage; fewer stations never do better
    by_item = res.services.set_index("service")["coverage_share"]
    assert by_item["参保登记"] == pytest.approx(s["coverage_share"], rel=1e-12)
    assert by_item["异地就医备案"] <= by_item["参保登记"]
    # every reachable resident has a nearest station of each tier
    for tier, station in res.tier_point_station.items():
        mine = res.stations["tier"].eq(tier).to_numpy()
        assert np.isin(station[station >= 0], np.flatnonzero(mine)).all()
        total = res.stations.loc[mine, "tier_catchment_population"].sum()
        assert total == pytest.approx(people[station >= 0].sum(), rel=1e-9)
    # every site has a recommendation; the eight listed twice only once
    duplicate = res.stations["duplicate_of"].notna()
    assert duplicate.sum() == 8
    assert res.stations["staff_recommended"].notna().to_numpy().tolist() == (~duplicate).tolist()
