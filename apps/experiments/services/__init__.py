"""Experiment writes, one module per area (tracking, artifacts, logged models); import from the module."""
