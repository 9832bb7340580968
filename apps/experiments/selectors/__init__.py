"""Experiment reads, one module per area (tracking, pages); import from the module."""
