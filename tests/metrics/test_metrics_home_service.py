"""The home-service list against an independent aggregation of the uncovered group cells."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from coverage.engine.access import AccessModel
from coverage.metrics.home_service import home_service_list
from coverage.metrics.options import MetricOptions

THRESHOLD = 15.0


def _group(line_world, demand) -> np.ndarray:
    """People aged 65+: a fifth of each cell, none where k is a multiple of 7."""
    grid = demand.grid
    k = (grid.shape[0] - 1) - demand.rows
    return np.where(k % 7 == 0, 0.0, demand.population / 5.0)


def _reference(line_world, place_of_k) -> pd.DataFrame:
    """By hand: the line world's cells, their group, minutes and station, grouped by place."""
    cells = line_world.cells()
    cells["group"] = np.where(cells["k"] % 7 == 0, 0.0, cells["people"] / 5.0)
    cells = cells[(cells["group"] > 0) & (cells["minutes"] > THRESHOLD)].copy()
    cells["place"] = cells["k"].map(place_of_k)
    cells["weighted"] = cells["group"] * cells["minutes"]
    ref = cells.groupby("place").agg(
        people=("group", "sum"),
        cells=("group", "size"),
        weighted=("weighted", "sum"),
        max_minutes=("minutes", "max"),
    )
    ref["mean_minutes"] = ref["weighted"] / ref["people"]
    ref["station"] = cells.groupby("place").apply(
        lambda g: g.groupby("station")["group"].sum().idxmax(), include_groups=False
    )
    return ref.sort_values("people", ascending=False, kind="stable")


def _check(table, ref, kinds):
    assert table["place"].tolist() == ref.index.tolist()
    assert table["rank"].tolist() == list(range(1, len(ref) + 1))
    assert table["kind"].tolist() == [kinds[p] for p in ref.index]
    np.testing.assert_allclose(table["people"], ref["people"], rtol=1e-12)
    assert table["cells"].tolist() == ref["cells"].tolist()
    np.testing.assert_allclose(table["mean_minutes"], ref["mean_minutes"], rtol=1e-9)
    np.testing.assert_allclose(table["max_minutes"], ref["max_minutes"], rtol=1e-9)
    assert table["nearest_station"].tolist() == [["A", "B"][s] for s in ref["station"]]
    assert (table["unreachable"] == 0).all()


def _village(k: int) -> str:
    return ["V1", "V2", "V3", "V4"][min(k // 10, 3)]


def _listed(line_world, line_result, polygons):
    """The line world's home-service list of age_65_plus, placed in ``polygons``."""
    from coverage.metrics.membership import units_of_demand as _units_of_demand

    demand = dataclasses.replace(
        line_result.demand, groups={"age_65_plus": _group(line_world, line_result.demand)}
    )
    table = home_service_list(
        demand,
        "age_65_plus",
        line_result.point_minutes,
        line_result.point_station,
        THRESHOLD,
        units=(_units_of_demand(polygons, demand), polygons["unit"].tolist()),
        station_ids=["A", "B"],
        station_names=["Station <A>", "站点B"],
    )
    return demand, table


def test_by_village(line_world, line_result):
    demand, table = _listed(line_world, line_result, line_result.unit_polygons["village"])
    ref = _reference(line_world, _village)
    _check(table, ref, dict.fromkeys(ref.index, "unit"))
    assert table["nearest_station_name"].tolist()[0] in ("Station <A>", "站点B")
    # the layer: each place's cells, 100 m x 100 m each
    np.testing.assert_allclose(table.geometry.area, table["cells"] * 1e4, rtol=1e-9)
    # together, exactly the uncovered people of the group
    values = demand.groups["age_65_plus"]
    assert table["people"].sum() == pytest.approx(
        values[line_result.point_minutes > THRESHOLD].sum(), rel=1e-12
    )


def test_outside_units_by_gap_area(line_world, line_result):
    two = line_result.unit_polygons["village"].iloc[:2].reset_index(drop=True)  # V1, V2 only
    _, table = _listed(line_world, line_result, two)

    # outside V1 and V2, uncovered group cells lie at k 20, 22, 40, 41, 43, 44 (k 21 and
    # 42 have no group): 4-connected runs of k along the road, rebuilt here by hand
    def place(k: int) -> str:
        return _village(k) if k < 20 else f"run{k}"

    ref = _reference(line_world, place)
    # gap areas are 4-connected runs of k: rebuild them independently
    runs: dict[str, str] = {}
    ks = sorted(int(p[3:]) for p in ref.index if p.startswith("run"))
    label = 0
    for i, k in enumerate(ks):
        if i == 0 or k != ks[i - 1] + 1:
            label += 1
        runs[f"run{k}"] = f"run-{label}"
    cells = ref.copy()
    cells["area"] = [runs.get(p, p) for p in cells.index]
    cells["north"] = [int(p[3:]) if p.startswith("run") else -1 for p in cells.index]
    grouped = cells.groupby("area").agg(
        people=("people", "sum"),
        cells=("cells", "sum"),
        weighted=("weighted", "sum"),
        max_minutes=("max_minutes", "max"),
        station=("station", "first"),
        north=("north", "max"),
    )
    grouped["mean_minutes"] = grouped["weighted"] / grouped["people"]
    # ties: units in their order, then gap areas in raster order (the northernmost first)
    grouped["order"] = [
        -1 if not a.startswith("run-") else 100 - n
        for a, n in zip(grouped.index, grouped["north"], strict=True)
    ]
    grouped = grouped.sort_values(["people", "order"], ascending=[False, True], kind="stable")
    gap_names, n = {}, 0
    for area in grouped.index:
        if area.startswith("run-"):
            n += 1
            gap_names[area] = f"gap {n}"
    grouped.index = [gap_names.get(a, a) for a in grouped.index]
    kinds = {p: ("gap" if p.startswith("gap") else "unit") for p in grouped.index}
    _check(table, grouped, kinds)


def test_no_uncovered_people(line_world, line_result):
    table = home_service_list(
        line_result.demand,
        "population",
        np.zeros(len(line_result.demand)),
        line_result.point_station,
        THRESHOLD,
    )
    assert table.empty and list(table.columns)[-1] == "geometry"


# the Comoros table lists eight sites twice, 1-24 m apart (test_metrics_duplicates.py)
@pytest.mark.filterwarnings("ignore::coverage.metrics.duplicates.DuplicateStationWarning")
@pytest.mark.shared
def test_comoros_home_service_by_island(shared_data):
    """Every resident beyond 15 minutes, placed by island; checked against a rasterised sum."""
    import warnings

    import geopandas as gpd
    import pyrosm
    from rasterio.features import rasterize

    from coverage import load_network, read_population, read_stations
    from coverage.compute import compute_coverage
    from coverage.metrics.service_plan import HomeService, ServiceOptions

    comoros = shared_data / "comoros"
    pbf = comoros / "comores-latest.osm.pbf"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm's pandas/shapely deprecation noise
        b = pyrosm.OSM(str(pbf)).get_boundaries()
    b = b[b["admin_level"] == "4"]
    islands = gpd.GeoDataFrame(
        {"unit": b["name"].to_numpy()}, geometry=b.geometry.to_numpy(), crs=4326
    )
    res = compute_coverage(
        load_network(pbf),
        read_stations(comoros / "health.gpkg"),
        read_population(comoros / "com_ppp_2020_UNadj.tif"),
        AccessModel(mode="walk"),
        units={"island": islands},
        options=MetricOptions(service=ServiceOptions(home_service=HomeService("population"))),
    )
    home = res.home_service
    grid = res.demand.grid
    minutes = np.full(grid.shape, np.inf)
    minutes[res.demand.rows, res.demand.cols] = res.point_minutes
    uncovered = grid.valid & (grid.counts > 0) & ~(minutes <= 15.0)
    burnt = rasterize(
        [(g, i + 1) for i, g in enumerate(res.unit_polygons["island"].to_crs(grid.crs).geometry)],
        out_shape=grid.shape,
        transform=grid.transform,
    )
    units = home[home["kind"] == "unit"].set_index("place")
    for i, name in enumerate(res.unit_polygons["island"]["unit"]):
        expected = grid.counts[uncovered & (burnt == i + 1)].sum()
        assert units.loc[name, "people"] == pytest.approx(expected, rel=1e-3), name
    # the rest lies outside the island polygons (coastal cells), in gap areas
    outside = grid.counts[uncovered & (burnt == 0)].sum()
    assert home.loc[home["kind"] == "gap", "people"].sum() == pytest.approx(outside, rel=1e-2)
    assert home["people"].sum() == pytest.approx(grid.counts[uncovered].sum(), rel=1e-9)
    assert home["rank"].tolist() == list(range(1, len(home) + 1))
