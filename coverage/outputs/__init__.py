"""What a run hands back: tables, rasters, maps and reports, written atomically."""
