"""Siting new stations: candidates, coverage sets from the network, MCLP/LSCP solvers."""
