"""What every profiling engine shares: targets, results, column kinds and JSON-safe values."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HISTOGRAM_BINS = 20
TOP_VALUES = 10
MASK = "•••"

# (percent, message) → None; the job's context.progress, or a no-op.
Progress = Callable[[float, str], None]


def no_progress(percent: float, message: str) -> None:
    """Progress sink for callers that do not report (benchmarks, previews)."""


class ProfilingError(Exception):
    """Data could not be read or profiled; the message is meant for people as is."""


@dataclass(frozen=True)
class FileTarget:
    """A Parquet or CSV file on a local path (DuckDB reads it directly)."""

    path: str
    file_format: str  # "parquet" or "csv"
    display_name: str = ""


@dataclass(frozen=True)
class TableTarget:
    """A table in a SQL database reached through a SQLAlchemy URL (credentials included)."""

    url: str = field(repr=False)
    table: str
    display_name: str = ""


@dataclass
class ProfileResult:
    """Per-column statistics of one body of data.

    `columns` maps a column name to its statistics (see `column_stats_template`);
    each entry carries its `position`, because JSON objects lose key order on PostgreSQL.
    """

    row_count: int
    columns: dict[str, dict[str, Any]]
    engine: str
    distinct_method: str  # "exact" (COUNT DISTINCT) or "approximate" (HyperLogLog)


@dataclass
class FrameResult:
    """Rows of a body of data as a pandas DataFrame, capped at a row limit (`truncated` when more exist)."""

    frame: Any  # pandas.DataFrame (imported lazily by the engines)
    truncated: bool
    columns: list[dict[str, str]]  # name and source type of each column read


@dataclass
class PreviewResult:
    """The first rows of a body of data: column names and types, then rows of JSON-safe cells."""

    columns: list[dict[str, str]]
    rows: list[list[Any]]


def column_kind(type_name: str) -> str:
    """numeric, temporal, boolean, string or other, from a database type's name."""
    name = (type_name or "").upper()
    if any(token in name for token in ("[]", "STRUCT", "MAP", "LIST", "UNION", "ARRAY", "JSON")):
        return "other"
    if name.startswith(("BOOL",)) or name in {"BIT", "TINYINT(1)"}:
        return "boolean"
    if name.startswith(("DATE", "TIMESTAMP", "DATETIME")):
        return "temporal"
    numeric = (
        "TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
        "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "REAL", "DECIMAL", "NUMERIC",
        "NUMBER", "SERIAL", "BIGSERIAL", "MEDIUMINT",
    )  # fmt: skip
    if name.split("(")[0].split(" ")[0] in numeric or name.startswith(("INT", "FLOAT", "DOUBLE")):
        return "numeric"
    if any(token in name for token in ("CHAR", "TEXT", "STRING", "VARCHAR", "ENUM", "UUID", "CLOB")):
        return "string"
    return "other"


def json_value(value: Any) -> Any:
    """A cell or statistic as a JSON-safe value (NaN and infinities become None, dates ISO text)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return json_value(float(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def bin_edges(low: float, high: float, bins: int = HISTOGRAM_BINS) -> list[float]:
    """Equal-width bin edges from `low` to `high` (one bin when all values are equal)."""
    if high <= low:
        return [low, high]
    width = (high - low) / bins
    # Twelve significant digits: 2.35, not 2.3499999999999996, on the axis and in the CSV.
    return [float(f"{low + width * index:.12g}") for index in range(bins)] + [high]


def bucket_counts(found: dict[int, int], bins: int) -> list[int]:
    """Counts per bucket index 0..bins-1 from a sparse {bucket: count} map."""
    counts = [0] * bins
    for bucket, count in (found or {}).items():
        if bucket is None:
            continue
        index = min(max(int(bucket), 0), bins - 1)
        counts[index] += int(count)
    return counts


def epoch_to_iso(seconds: float, *, date_only: bool) -> str:
    """An epoch second as ISO text (a date when the column holds dates)."""
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return moment.date().isoformat() if date_only else moment.isoformat(timespec="seconds")


def finish_column(stats: dict[str, Any], row_count: int) -> dict[str, Any]:
    """Fill the derived fields every column has (nulls, null fraction)."""
    count = int(stats.get("count") or 0)
    stats["nulls"] = max(0, row_count - count)
    stats["null_fraction"] = round(stats["nulls"] / row_count, 6) if row_count else 0.0
    return stats


def categories_histogram(top: list[dict[str, Any]]) -> dict[str, Any]:
    """The bar chart of a text or boolean column: its top values and their counts."""
    return {
        "type": "categories",
        "labels": [str(item["value"]) for item in top],
        "counts": [int(item["count"]) for item in top],
    }
