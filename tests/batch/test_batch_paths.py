"""Batch paths and freshness: nested mappings resolve against their file; sidecars count."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import distributed
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from fixtures.synthetic import write_population

from coverage.batch import load_batch, plan_region, run_batch, run_region
from coverage.batch.fingerprint import fingerprint, input_problems, sidecars
from coverage.cli import main


def _two_level(case, root: Path) -> Path:
    """The README's two-level layout: data/ beside config/, paths inside mappings."""
    data = root / "county-a" / "data"
    data.mkdir(parents=True)
    for path in (case.stations, case.population, case.network):
        shutil.copy(path, data / path.name)
    gpd.read_file(case.boundaries).to_file(data / "township.shp", encoding="utf-8")
    config = root / "county-a" / "config" / "region.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(
        "name: county-a\n"
        "stations: ../data/stations.csv\n"
        f"population: {{raster: ../data/{case.population.name}}}\n"
        f"network: ../data/{case.network.name}\n"
        "boundaries: {township: ../data/township.shp}\n"
        "boundaries_name: name\n"
        f"speed_kmh: {case.speed_kmh}\n"
        "minutes: [5]\n",
        encoding="utf-8",
    )
    return config


@pytest.fixture
def province(grid_case, tmp_path):
    """A batch over one two-level region and one inline region with nested mappings."""
    case = grid_case(boundaries=True)
    root = tmp_path / "province"
    config = _two_level(case, root)
    batch = root / "batch.yaml"
    batch.write_text(
        "out: results\n"
        "regions:\n"
        "  - county-a/config/region.yaml\n"
        "  - name: county-b\n"
        "    stations: county-a/data/stations.csv\n"
        f"    population: {{raster: county-a/data/{case.population.name}}}\n"
        f"    network: county-a/data/{case.network.name}\n"
        "    boundaries: {township: county-a/data/township.shp}\n"
        "    boundaries_name: name\n"
        f"    speed_kmh: {case.speed_kmh}\n"
        "    minutes: [5]\n",
        encoding="utf-8",
    )
    # decoys: files of the same names where the current folder would find them
    elsewhere = tmp_path / "elsewhere"
    for folder in (tmp_path / "data", elsewhere / "county-a" / "data"):
        folder.mkdir(parents=True)
        write_population(folder / case.population.name, case.counts * 7, case.spacing_m)
    return case, config, batch, elsewhere


def _covered(case) -> float:
    return float(case.counts[case.node_minutes() <= 5.0].sum())


def test_two_level_batch_from_another_folder_equals_run(province, tmp_path, monkeypatch):
    case, config, batch_file, elsewhere = province
    monkeypatch.chdir(elsewhere)
    batch = load_batch(batch_file)
    a, b = batch.regions
    data = (batch_file.parent / "county-a" / "data").resolve()
    for region in (a, b):
        assert region.config.population.raster == data / case.population.name
        assert region.config.boundaries == {"township": data / "township.shp"}
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with distributed.Client(cluster) as client:
        report = run_batch(batch, client=client)  # the worker started in elsewhere/ too
    cluster.close()
    assert [o.status for o in report.outcomes] == ["ok", "ok"], report.outcomes
    run_out = tmp_path / "run-out"
    monkeypatch.chdir(config.parent)
    assert main(["run", config.name, "--out", str(run_out), "--quiet"]) == 0
    expected = json.loads((run_out / "summary.json").read_text(encoding="utf-8"))
    assert expected["population_total"] == pytest.approx(case.counts.sum())  # no decoy
    assert expected["population_covered"] == pytest.approx(_covered(case))
    units = pd.read_csv(run_out / "units_township.csv", encoding="utf-8-sig")
    for region in (a, b):
        got = json.loads((region.out / "summary.json").read_text(encoding="utf-8"))
        for key in ("population_total", "population_covered", "coverage_by_minutes"):
            assert got[key] == expected[key], (region.name, key)
        pd.testing.assert_frame_equal(
            pd.read_csv(region.out / "units_township.csv", encoding="utf-8-sig"), units
        )


def test_editing_a_nested_raster_or_a_dbf_reruns_the_region(province):
    case, _, batch_file, _ = province
    region = load_batch(batch_file).regions[0]
    assert run_region(region).status == "ok"
    again = run_region(region)
    assert again.status == "skipped", again.message
    # a raster given inside the population mapping
    write_population(region.config.population.raster, case.counts * 2, case.spacing_m)
    plan = plan_region(region)
    assert plan.action == "run" and "population.raster" in plan.reason
    outcome = run_region(region)
    assert outcome.status == "ok"
    assert outcome.figures["population"] == pytest.approx(2 * case.counts.sum())
    assert run_region(region).status == "skipped"
    # only the .dbf of the township shapefile changes: new unit names
    shp = region.config.boundaries["township"]
    renamed = gpd.read_file(shp).replace({"name": {"west": "西区", "east": "东区"}})
    scratch = shp.parent / "scratch"
    scratch.mkdir()
    renamed.to_file(scratch / shp.name, encoding="utf-8")
    assert (scratch / shp.name).read_bytes() == shp.read_bytes()  # same geometry bytes
    shutil.copy(scratch / shp.with_suffix(".dbf").name, shp.with_suffix(".dbf"))
    shutil.rmtree(scratch)
    plan = plan_region(region)
    assert plan.action == "run" and "boundaries.township" in plan.reason, plan.reason
    assert run_region(region).status == "ok"
    units = pd.read_csv(region.out / "units_township.csv", encoding="utf-8-sig")
    assert set(units["unit"]) == {"西区", "东区"}


def _vrt(path: Path, source: Path) -> Path:
    with rasterio.open(source) as src:
        t, width, height, wkt = src.transform, src.width, src.height, src.crs.to_wkt()
    path.write_text(
        f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">\n'
        f"  <SRS>{wkt.replace('&', '&amp;').replace('<', '&lt;')}</SRS>\n"
        f"  <GeoTransform>{t.c}, {t.a}, {t.b}, {t.f}, {t.d}, {t.e}</GeoTransform>\n"
        '  <VRTRasterBand dataType="Float32" band="1">\n'
        "    <NoDataValue>-99999</NoDataValue>\n"
        "    <SimpleSource>\n"
        f'      <SourceFilename relativeToVRT="1">{source.name}</SourceFilename>\n'
        "      <SourceBand>1</SourceBand>\n"
        "    </SimpleSource>\n"
        "  </VRTRasterBand>\n"
        "</VRTDataset>\n",
        encoding="utf-8",
    )
    return path


def test_a_vrt_source_and_an_aux_xml_count(grid_case):
    case = grid_case()
    vrt = _vrt(case.folder / "population.vrt", case.population)
    with rasterio.open(vrt) as src:  # a real VRT: it reads the source's people
        assert float(np.nansum(src.read(1, masked=True))) == pytest.approx(case.counts.sum())
    text = case.config.read_text(encoding="utf-8")
    case.config.write_text(
        text.replace("population: population.tif", "population: {raster: population.vrt}")
    )
    from coverage import load_config

    config = load_config(case.config)
    assert sidecars(config.population.raster) == [case.population]
    before = fingerprint(config)["inputs"]["population.raster"]
    write_population(case.population, case.counts + 1, case.spacing_m)
    after = fingerprint(config)["inputs"]["population.raster"]
    assert before["sha256"] == after["sha256"]  # the VRT itself did not change
    assert before != after
    aux = case.folder / "population.vrt.aux.xml"
    aux.write_text("<PAMDataset/>", encoding="utf-8")
    assert fingerprint(config)["inputs"]["population.raster"] != after


def test_dry_run_reports_missing_and_unreadable_inputs(province, capsys):
    case, config, batch_file, _ = province
    data = config.parent.parent / "data"
    (data / "township.dbf").unlink()
    (data / case.population.name).rename(data / "moved.tif")
    code = main(["batch", str(batch_file), "--dry-run"])
    out, err = capsys.readouterr()
    assert code == 2
    lines = out.splitlines()
    for name in ("county-a", "county-b"):
        line = next(x for x in lines if re.match(rf"fail\s+{name}:", x))
        assert f"population.raster: {data.resolve() / case.population.name} not found" in line
        assert "boundaries.township" in line and "needs its .dbf" in line
    assert err.strip() == "error: inputs missing or unreadable in county-a, county-b"
    region = load_batch(batch_file).regions[0]
    assert len(input_problems(region.config)) == 2
    outcome = run_region(region)  # a run reports the same, without reading anything
    assert outcome.status == "failed" and "not found" in outcome.message
    assert not region.out.exists()


def test_regions_no_longer_listed_are_dropped_and_foreign_folders_refused(province):
    from coverage.batch.region import check_batch_folder, drop_old_regions, prepare_batch_folder
    from coverage.errors import InputError
    from coverage.outputs.folder import publish_folder

    _, _, batch_file, _ = province
    batch = load_batch(batch_file)
    prepare_batch_folder(batch)  # what run_batch does first: the folder gets its manifest
    for name in ("county-a", "county-b", "county-gone"):
        with publish_folder(batch.out / name, kind="batch-region") as stage:
            (stage / "summary.json").write_text("{}", encoding="utf-8")
    with publish_folder(batch.out / "siting", kind="siting") as stage:  # not a region: kept
        (stage / "sites.csv").write_text("id\n", encoding="utf-8")
    check_batch_folder(batch)
    assert drop_old_regions(batch) == [batch.out / "county-gone"]
    assert sorted(p.name for p in batch.out.iterdir() if not p.name.startswith(".")) == [
        "county-a",
        "county-b",
        "siting",
    ]
    (batch.out / "county-b" / ".coverage15-manifest.json").unlink()
    with pytest.raises(InputError, match="county-b: the output folder is not empty"):
        check_batch_folder(batch)


def test_a_path_in_any_nested_mapping_is_found_and_resolved(tmp_path, monkeypatch):
    """population.totals.file came after the batch code: found with no change there."""
    from coverage.batch.fingerprint import region_inputs

    (tmp_path / "county").mkdir()
    (tmp_path / "county" / "region.yaml").write_text(
        "name: c\nstations: s.csv\nnetwork: n.osm\nboundaries: {township: t.geojson}\n"
        "population: {raster: p.tif, totals: {file: 七普.xlsx, level: township, column: x}}\n",
        encoding="utf-8",
    )
    batch_file = tmp_path / "batch.yaml"
    batch_file.write_text("regions: [county/region.yaml]\n", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    config = load_batch(batch_file).regions[0].config
    folder = (tmp_path / "county").resolve()
    assert dict(region_inputs(config)) == {
        "stations": folder / "s.csv",
        "population.raster": folder / "p.tif",
        "population.totals.file": folder / "七普.xlsx",
        "network": folder / "n.osm",
        "boundaries.township": folder / "t.geojson",
    }
    assert [p.split(":")[0] for p in input_problems(config)] == list(dict(region_inputs(config)))
