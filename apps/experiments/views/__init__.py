"""HTML views of experiments, runs and the compare view, one module per area; import from the module."""
