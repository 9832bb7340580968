"""Profiling engines: per-column statistics and previews, computed where the data lives.

- `files`: an embedded DuckDB reads Parquet and CSV files directly from their path,
  all columns' aggregates in one query, all histograms in a second, top values per
  text column; with a memory limit (spilling to disk beyond it) and a thread count.
- `sql`: SQLAlchemy Core aggregates pushed down into the source database, read-only
  and with a statement timeout, so a warehouse scans its own tables.

Both return the same plain dict (see `common.ProfileResult`) and know nothing of the ORM;
`apps.catalog.services.profiling` finds where a version's data lives and stores the result.
"""

from apps.catalog.profiling.common import (  # noqa: F401 - the package's public names
    FileTarget,
    FrameResult,
    PreviewResult,
    ProfileResult,
    ProfilingError,
    TableTarget,
)
