"""coverage15: what share of residents reach a service point within 15 minutes.

The public API is a handful of functions, in the order data flows:

>>> import coverage  # doctest: +SKIP
>>> cfg = coverage.load_config("county.yaml")  # doctest: +SKIP
>>> result = coverage.run_coverage(cfg)  # doctest: +SKIP
>>> coverage.write_outputs(result, "out/county")  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .compute import compute_coverage
from .config import RunConfig, load_config
from .datasets import prepare_demo
from .engine.access import AccessModel
from .errors import CoverageError, InputError
from .fetch import FetchResult, fetch_dem, fetch_osm, fetch_worldpop
from .inputs.boundaries import read_boundaries
from .inputs.network import Network, load_network
from .inputs.population import PopulationGrid, read_population
from .inputs.stations import read_stations
from .metrics.options import MetricOptions
from .outputs.write import write_outputs
from .pipeline import access_model, run_coverage
from .results import CoverageResult
from .siting import SitingResult, run_siting, site_stations, write_siting_outputs
from .whatif import add_station, move_station, remove_station

__all__ = [
    "AccessModel",
    "CoverageError",
    "CoverageResult",
    "FetchResult",
    "InputError",
    "MetricOptions",
    "Network",
    "PopulationGrid",
    "RunConfig",
    "SitingResult",
    "__version__",
    "access_model",
    "add_station",
    "compute_coverage",
    "fetch_dem",
    "fetch_osm",
    "fetch_worldpop",
    "load_config",
    "load_network",
    "move_station",
    "prepare_demo",
    "read_boundaries",
    "read_population",
    "read_stations",
    "remove_station",
    "run_coverage",
    "run_siting",
    "site_stations",
    "write_outputs",
    "write_siting_outputs",
]
