"""Benchmarks of coverage15 against reference tools (not part of the package)."""
