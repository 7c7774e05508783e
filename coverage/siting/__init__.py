"""Siting new stations: candidates, coverage sets from the network, MCLP/LSCP solvers.

Modules, in the order data flows: :mod:`~coverage.siting.candidates` (where a
station could go), :mod:`~coverage.siting.coverage_sets` (whom each site would
reach, a sparse matrix), :mod:`~coverage.siting.optimise` (which sites to choose,
exact or greedy), :mod:`~coverage.siting.robustness` (what closing a station would
cost) and :mod:`~coverage.siting.plan` (all of it in one call, and the output files).
"""

from .plan import SitingResult, run_siting, site_stations, write_siting_outputs

__all__ = ["SitingResult", "run_siting", "site_stations", "write_siting_outputs"]
