"""The surface and isochrones are computed once and every file shows the same areas."""

from __future__ import annotations

import geopandas as gpd
import pytest

import coverage.engine.isochrones as isochrones_module
import coverage.outputs.map_layers as map_layers
import coverage.outputs.static as static
from coverage import load_config, run_coverage, write_outputs
from coverage.outputs import products as products_module


def _symmetric_difference_m2(a: gpd.GeoSeries, b: gpd.GeoSeries) -> float:
    return float(a.union_all().symmetric_difference(b.union_all()).area)


@pytest.mark.parametrize("kind", ["raster", "points"])
def test_three_isochrone_products_agree(grid_case, tmp_path, monkeypatch, kind):
    case = grid_case(n=7, minutes=[2.0, 4.0])
    if kind == "points":  # a population table: isochrones used to come from a fixed grid
        import rasterio

        with rasterio.open(case.population) as src:
            counts = src.read(1)
            rows, cols = (counts > 0).nonzero()
            xs, ys = rasterio.transform.xy(src.transform, rows, cols)
            crs = src.crs
        frame = gpd.GeoDataFrame(
            {"population": counts[rows, cols]}, geometry=gpd.points_from_xy(xs, ys), crs=crs
        ).to_crs("EPSG:4326")
        frame["lon"], frame["lat"] = frame.geometry.x, frame.geometry.y
        frame[["lon", "lat", "population"]].to_csv(case.folder / "people.csv", index=False)
        text = case.config.read_text(encoding="utf-8").replace(
            "population: population.tif", "population: {points: people.csv}"
        )
        case.config.write_text(text, encoding="utf-8")
    config = load_config(case.config).replace(isochrone_cell_m=50.0)
    result = run_coverage(config)

    calls = {"surface": 0, "products": 0}
    seen: dict[str, gpd.GeoDataFrame] = {}
    surface_fn = isochrones_module.travel_time_surface
    make_fn = products_module.make_products
    add_fn = map_layers.add_isochrones
    figure_fn = static.map_figure

    def counted_surface(*args, **kwargs):
        calls["surface"] += 1
        return surface_fn(*args, **kwargs)

    def counted_products(*args, **kwargs):
        calls["products"] += 1
        return make_fn(*args, **kwargs)

    def spy_html(fmap, isochrones, *args, **kwargs):
        seen["html"] = isochrones
        return add_fn(fmap, isochrones, *args, **kwargs)

    def spy_png(result, **kwargs):
        seen["png"] = kwargs["isochrones"]
        return figure_fn(result, **kwargs)

    monkeypatch.setattr(products_module, "travel_time_surface", counted_surface)
    monkeypatch.setattr("coverage.outputs.write.make_products", counted_products)
    monkeypatch.setattr("coverage.outputs.maps.add_isochrones", spy_html)
    monkeypatch.setattr(static, "map_figure", spy_png)
    out = tmp_path / "out"
    # in one process, so the spies see the print map too (a forked child's calls are its own)
    write_outputs(result, out, isochrone_cell_m=50.0, parallel=False)
    assert calls == {"surface": 1, "products": 1}

    written = gpd.read_file(out / "isochrones.geojson")
    assert sorted(written["minutes"]) == [2.0, 4.0]
    metric = result.network.crs
    for key in ("html", "png"):
        shown = seen[key].to_crs(metric)
        for minutes in (2.0, 4.0):
            a = written[written["minutes"] == minutes].to_crs(metric).geometry
            b = shown[shown["minutes"] == minutes].geometry
            assert a.union_all().area > 0
            # the same polygons (the GeoJSON is rounded to WGS84 decimals: under 1 m2)
            assert _symmetric_difference_m2(a, b) < 1.0
