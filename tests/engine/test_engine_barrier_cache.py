"""The water-mask cache: a re-run reads the mask it built, a changed input rebuilds it."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from test_engine_barriers import RIVER, UTM, X0, Y0, _river_town

from coverage.engine import barrier_cache
from coverage.engine.barrier_cache import cached_barrier
from coverage.engine.barriers import WaterMask, barrier_for_network


def _layer(path, polygons):
    gpd.GeoDataFrame(geometry=polygons, crs=UTM).to_file(path, driver="GeoJSON")
    return path


def _legs(mask: WaterMask) -> np.ndarray:
    """Which of a fan of legs across the town the mask blocks."""
    rng = np.random.default_rng(3)
    x0, y0 = X0 + rng.uniform(-200, 2200, 400), Y0 + rng.uniform(-300, 400, 400)
    x1, y1 = X0 + rng.uniform(-200, 2200, 400), Y0 + rng.uniform(-300, 400, 400)
    return mask.blocked(x0, y0, x1, y1)


def test_a_rerun_reads_the_mask_it_built(tmp_path, monkeypatch):
    net = _river_town()
    layer = _layer(tmp_path / "river.geojson", [RIVER])
    fresh = barrier_for_network(net, osm_water=False, layer=layer, cell_m=5.0)
    assert fresh is not None
    first = cached_barrier(net, osm_water=False, layer=layer, cell_m=5.0, cache_dir=tmp_path / "c")
    entries = list((tmp_path / "c").glob("water-*.npz"))
    assert len(entries) == 1

    def no_build(*args, **kwargs):
        raise AssertionError("the mask was built again")

    monkeypatch.setattr(barrier_cache, "barrier_for_network", no_build)
    again = cached_barrier(net, osm_water=False, layer=layer, cell_m=5.0, cache_dir=tmp_path / "c")
    assert isinstance(again, WaterMask) and isinstance(again.land, np.memmap)  # read in place
    for mask in (first, again):
        assert isinstance(mask, WaterMask)
        np.testing.assert_array_equal(mask.water, fresh.water)
        np.testing.assert_array_equal(mask.land, fresh.land)
        np.testing.assert_array_equal(mask.wet_shore.data, fresh.wet_shore.data)
        np.testing.assert_array_equal(mask.dry_shore.data, fresh.dry_shore.data)
        assert (mask.x0, mask.y1, mask.cell_m, mask.crs) == (
            fresh.x0,
            fresh.y1,
            fresh.cell_m,
            fresh.crs,
        )
        np.testing.assert_array_equal(_legs(mask), _legs(fresh))
    assert _legs(fresh).any() and not _legs(fresh).all()  # the fan does meet the river


def test_a_changed_layer_or_grid_builds_a_new_mask(tmp_path):
    net = _river_town()
    layer = _layer(tmp_path / "river.geojson", [RIVER])
    cache = tmp_path / "c"
    river = cached_barrier(net, osm_water=False, layer=layer, cell_m=5.0, cache_dir=cache)
    wider = shapely.box(X0 - 500, Y0 + 100, X0 + 2500, Y0 + 200)
    _layer(layer, [wider])  # same name, new content
    widened = cached_barrier(net, osm_water=False, layer=layer, cell_m=5.0, cache_dir=cache)
    assert river is not None and widened is not None
    assert widened.water.sum() > river.water.sum()
    coarser = cached_barrier(net, osm_water=False, layer=layer, cell_m=10.0, cache_dir=cache)
    assert coarser is not None and coarser.cell_m == 10.0
    assert len(list(cache.glob("water-*.npz"))) == 3


def test_no_water_is_cached_and_a_damaged_entry_is_rebuilt(tmp_path):
    net = _river_town()
    far = shapely.box(X0 + 90_000, Y0, X0 + 91_000, Y0 + 1_000)  # outside the mask's extent
    layer = _layer(tmp_path / "far.geojson", [far])
    cache = tmp_path / "c"
    assert cached_barrier(net, osm_water=False, layer=layer, cache_dir=cache) is None
    (entry,) = cache.glob("water-*.npz")
    assert barrier_cache.read_barrier(cache, entry.stem) == barrier_cache.NO_WATER
    assert cached_barrier(net, osm_water=False, layer=layer, cache_dir=cache) is None
    river = _layer(tmp_path / "river.geojson", [RIVER])
    built = cached_barrier(net, osm_water=False, layer=river, cell_m=5.0, cache_dir=cache)
    (entry,) = (e for e in cache.glob("water-*.npz") if e.stem != entry.stem)
    entry.write_bytes(entry.read_bytes()[:100])  # cut short
    assert barrier_cache.read_barrier(cache, entry.stem) is None
    rebuilt = cached_barrier(net, osm_water=False, layer=river, cell_m=5.0, cache_dir=cache)
    assert built is not None and rebuilt is not None
    np.testing.assert_array_equal(rebuilt.water, built.water)
    # the land labels live beside the entry: missing or cut short, the entry is rebuilt
    land = cache / f"{entry.stem}.land.npy"
    assert isinstance(barrier_cache.read_barrier(cache, entry.stem), WaterMask)
    land.write_bytes(land.read_bytes()[:-10])
    assert barrier_cache.read_barrier(cache, entry.stem) is None
    land.unlink()
    assert barrier_cache.read_barrier(cache, entry.stem) is None
    again = cached_barrier(net, osm_water=False, layer=river, cell_m=5.0, cache_dir=cache)
    assert again is not None and land.is_file()
    np.testing.assert_array_equal(again.land, built.land)


@pytest.mark.shared
@pytest.mark.filterwarnings("ignore::coverage.metrics.duplicates.DuplicateStationWarning")
def test_comoros_rerun_from_the_cache_gives_the_same_minutes(tmp_path, shared_data):
    """The real county by the sea: the cached run equals the uncached one, resident by resident."""
    folder = shared_data / "comoros"
    from coverage import run_coverage
    from coverage.config import config_from_dict

    config = config_from_dict(
        {
            "name": "comoros",
            "stations": str(folder / "health.gpkg"),
            "population": str(folder / "com_ppp_2020_UNadj.tif"),
            "network": str(folder / "comores-latest.osm.pbf"),
            "minutes": [15],
            "cache_dir": str(tmp_path / "cache"),
        },
        base_dir=None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the population left out, said in other tests
        plain = run_coverage(config.replace(cache=False))
        cold = run_coverage(config)
        warm = run_coverage(config)
    assert len(list((tmp_path / "cache").glob("water-*.npz"))) == 1
    for result in (cold, warm):
        np.testing.assert_array_equal(result.point_minutes, plain.point_minutes)
        assert result.summary["population_covered"] == plain.summary["population_covered"]
