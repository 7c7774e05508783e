"""Coverage figures: shares of residents within the thresholds, per unit and per station."""
