"""Regenerate the pictures under ``docs/img/`` from real data, as an official would see them.

The Comoros stands in for a county (as in ``notebooks/02_county_workflow.ipynb``):
the health facilities as stations with tiers taken from their OSM ``amenity``, the
islands (OSM ``admin_level=4``) as townships and the communes (``admin_level=8``) as
villages, walking and e-bike, in Chinese. The embedded demo (central Helsinki) gives
the English pages. The print maps are copied from the run's folder; the pages are
screenshot in headless Chromium with the network cut (``--proxy-server`` to a dead
port), as in a county office without internet::

    python scripts/docs_images.py [--shared ../shared/data] [--out docs/img]

Needs Debian's ``chromium`` for the screenshots (skipped with a message without it).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

import coverage
from coverage.outputs.write import write_mode_outputs
from coverage.pipeline import run_coverage_modes

TIER_OF_AMENITY = {
    "hospital": "county",
    "clinic": "township",
    "doctors": "township",
    "pharmacy": "partner-pharmacy",
}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--proxy-server=127.0.0.1:9",  # no network: a page that needs a CDN shows it
    "--hide-scrollbars",
]


def comoros_county(shared: Path, work: Path) -> Path:
    """Write the stand-in county's inputs and configuration into ``work``; its path."""
    import pyrosm

    folder = shared / "comoros"
    pbf = folder / "comores-latest.osm.pbf"
    facilities = coverage.read_stations(folder / "health.gpkg")
    table = pd.DataFrame(
        {
            "编号": facilities["id"],
            "名称": facilities["name"].replace({"": None}).fillna(facilities["id"]),
            "tier": facilities["amenity"].map(TIER_OF_AMENITY).fillna("village"),
            "经度": facilities.geometry.x.round(6),
            "纬度": facilities.geometry.y.round(6),
        }
    )
    table.to_csv(work / "stations.csv", index=False, encoding="utf-8-sig")
    osm = pyrosm.OSM(str(pbf))
    boundaries = osm.get_boundaries()
    islands = boundaries[boundaries["admin_level"].astype(str) == "4"]
    islands = islands.dissolve(by="name", as_index=False)[["name", "geometry"]]
    islands.to_file(work / "township.geojson", driver="GeoJSON")
    villages_of(osm, islands).to_file(work / "village.geojson", driver="GeoJSON")
    config = work / "county.yaml"
    config.write_text(
        "\n".join(
            [
                "name: 大科摩罗县",
                "stations: stations.csv",
                f"population: {(folder / 'com_ppp_2020_UNadj.tif').as_posix()}",
                f"network: {pbf.as_posix()}",
                "boundaries: {township: township.geojson, village: village.geojson}",
                "boundaries_name: {township: name, village: name}",
                "modes: [walk, ebike]",
                "minutes: [15, 30]",
                "unit_covered_share: 0.9",
                "targets: {township: {2024: 1.0}, village: {2024: 0.3}}",
                "lang: zh",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return config


def villages_of(osm: object, islands: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Villages as the Voronoi cells of the OSM place nodes, cut to the islands.

    OSM has commune boundaries for one island only; every island has its places.
    """
    places = osm.get_pois(custom_filter={"place": ["city", "town", "village", "hamlet"]})  # type: ignore[attr-defined]
    places = places[places.geometry.geom_type == "Point"].copy()
    tags = places["tags"].map(lambda t: json.loads(t) if isinstance(t, str) else {})
    places["name"] = tags.map(lambda t: t.get("name:fr") or t.get("name:en") or t.get("name"))
    places = places.dropna(subset=["name"])
    metric = places.estimate_utm_crs()
    points = places.to_crs(metric)
    land = islands.to_crs(metric).union_all()
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(points.geometry)), extend_to=land)
    frame = gpd.GeoDataFrame(geometry=list(cells.geoms), crs=metric)
    frame = frame.sjoin(points[["name", "geometry"]], predicate="contains").drop(
        columns="index_right"
    )
    frame["geometry"] = frame.geometry.intersection(land)
    frame = frame[~frame.geometry.is_empty].dissolve(by="name", as_index=False)
    return frame[["name", "geometry"]].to_crs("EPSG:4326")


def screenshot(page: Path, png: Path, *, width: int = 1400, height: int = 1000) -> bool:
    """Screenshot ``page`` in headless Chromium, offline; False when Chromium is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print(f"skipped {png.name}: no chromium on PATH", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory(prefix="docs-chromium-") as profile:
        subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "--virtual-time-budget=10000",
                f"--screenshot={png}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args(argv)
    # the county's configuration is written in a temporary folder: its paths are absolute
    args.shared = args.shared.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="docs-images-") as tmp:
        work = Path(tmp)
        if (args.shared / "comoros").is_dir():
            config = coverage.load_config(comoros_county(args.shared, work))
            results = run_coverage_modes(config)
            out = work / "out"
            write_mode_outputs(results, out, lang="zh")
            for mode in results:
                shutil.copyfile(out / mode / "map.png", args.out / f"static_comoros_{mode}_zh.png")
            shutil.copyfile(
                out / "ebike" / "map_village.png", args.out / "static_comoros_village_ebike_zh.png"
            )
            screenshot(out / "walk" / "map.html", args.out / "html_comoros_map_zh.png")
            screenshot(
                out / "walk" / "report.html", args.out / "html_comoros_report_zh.png", height=2400
            )
        else:
            print(f"skipped the Comoros pictures: no {args.shared / 'comoros'}", file=sys.stderr)
        porto = args.shared / "porto_alegre"
        if porto.is_dir():
            config = work / "porto_alegre.yaml"
            config.write_text(
                "\n".join(
                    [
                        "name: Porto Alegre",
                        f"stations: {(porto / 'poa_points_of_interest.csv').as_posix()}",
                        f"population: {{points: {(porto / 'poa_hexgrid.csv').as_posix()}}}",
                        f"network: {(porto / 'poa_osm.pbf').as_posix()}",
                        "minutes: [15]",
                        "lang: zh",
                    ]
                )
                + "\n",
                encoding="utf-8",
            )
            result = coverage.run_coverage(coverage.load_config(config))
            coverage.write_outputs(result, work / "poa", lang="zh")
            shutil.copyfile(
                work / "poa" / "map.png", args.out / "static_porto_alegre_points_zh.png"
            )
            screenshot(work / "poa" / "map.html", args.out / "html_porto_alegre_points_zh.png")
        demo = coverage.load_config(coverage.prepare_demo(work / "demo"))
        result = coverage.run_coverage(demo)
        coverage.write_outputs(result, work / "demo_zh", lang="zh")
        shutil.copyfile(work / "demo_zh" / "map.png", args.out / "static_demo_zh.png")
        coverage.write_outputs(result, work / "demo_en", lang="en")
        screenshot(work / "demo_en" / "map.html", args.out / "html_demo_map.png")
        screenshot(work / "demo_en" / "report.html", args.out / "html_demo_report.png", height=2400)
    print(f"pictures written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
