"""Many regions from one batch file, on one machine or a Dask cluster, resumably.

A batch file holds shared ``defaults`` and a list of ``regions``; each region is a
run configuration file, a configuration file with inline overrides, or inline keys
alone. Paths written in the batch file are relative to the batch file; paths in a
region's own configuration file are relative to that file. Keys are layered
defaults < the region's file < the inline keys::

    out: out/province            # optional; default out/<batch file name>
    defaults:
      mode: walk
      minutes: [5, 10, 15]
    regions:
      - county-a/region.yaml     # a configuration file
      - config: county-b/region.yaml
        minutes: [10, 15]        # ... with overrides
      - name: county-c           # inline keys alone
        stations: county-c/stations.csv
        population: county-c/population.tif
        network: county-c/network.osm.pbf

Each region is one Dask task (:func:`run_region`) that writes its outputs into
``<out>/<region>/``. Nothing in a region folder is half-written: the region is
computed into a temporary folder next to it, which is renamed into place on
success. A ``batch_manifest.json`` in the folder records the content hash of every
input file and the configuration; a region whose inputs, configuration and
coverage15 version are unchanged since its last successful run is skipped. A region
that fails reports one line and leaves its previous outputs untouched; the others
finish. A worker process that dies mid-region (killed, out of memory) makes the
scheduler run the region again elsewhere. Files are shared through the file system:
on a cluster, every worker must see the input and output folders at the same paths.

After the regions, :func:`write_rollup` writes ``index.html`` (links to every
region's map and report) and ``batch_summary.csv`` (one row per region).
"""

from __future__ import annotations

from .cluster import BatchReport, run_batch
from .region import (
    MANIFEST_NAME,
    RegionOutcome,
    RegionPlan,
    plan_batch,
    plan_region,
    run_region,
)
from .rollup import INDEX_NAME, SUMMARY_NAME, write_rollup
from .spec import Batch, BatchRegion, batch_from_dict, load_batch

__all__ = [
    "INDEX_NAME",
    "MANIFEST_NAME",
    "SUMMARY_NAME",
    "Batch",
    "BatchRegion",
    "BatchReport",
    "RegionOutcome",
    "RegionPlan",
    "batch_from_dict",
    "load_batch",
    "plan_batch",
    "plan_region",
    "run_batch",
    "run_region",
    "write_rollup",
]
