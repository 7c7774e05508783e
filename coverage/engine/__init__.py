"""The isochrone engine: snapping points to the network and compiled shortest paths."""
