"""Work over many runs: ensembles, comparisons and sweeps."""
