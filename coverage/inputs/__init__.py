"""Readers for what planners hand in: stations, population, boundaries, road networks."""
