"""The file engine: an embedded DuckDB reads Parquet and CSV straight from their path.

Passes over the data, whatever the number of columns:
1. the row count (free for Parquet: it is in the footer);
2. one aggregate query for every column: non-null count, distinct count (exact
   COUNT(DISTINCT) up to PROFILING_EXACT_DISTINCT_MAX_ROWS rows, HyperLogLog's
   approx_count_distinct above), min/max/mean/std of numbers, min/max of dates,
   text lengths, true counts of booleans;
3. one query with a `histogram()` aggregate per numeric and temporal column (20 equal-width bins);
4. one GROUP BY per text column for its top 10 values (Parquet reads only that column).

DuckDB runs with `memory_limit` (spilling to a temp folder under var/ beyond it) and
`threads` from settings, so a file larger than memory is profiled in bounded memory.
"""

# ruff: noqa: S608 - SQL is assembled from quoted identifiers (_quote), literals (_literal) and numbers only

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings

from apps.catalog.profiling.common import (
    TOP_VALUES,
    FrameResult,
    PreviewResult,
    ProfileResult,
    ProfilingError,
    Progress,
    bin_edges,
    bucket_counts,
    categories_histogram,
    column_kind,
    epoch_to_iso,
    finish_column,
    json_value,
    no_progress,
)

PARQUET_MAGIC = b"PAR1"
CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


def file_format(path: str) -> str:
    """ "parquet" or "csv", from the file's first bytes and its name; ProfilingError otherwise."""
    name = os.path.basename(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except FileNotFoundError:
        raise ProfilingError(f"The file {name} no longer exists where this version points.") from None
    except OSError as exc:
        raise ProfilingError(f"The file {name} cannot be opened ({exc.strerror or exc}).") from None
    if not head:
        raise ProfilingError(f"The file {name} is empty (0 bytes): there is nothing to profile.")
    if head == PARQUET_MAGIC:
        return "parquet"
    lowered = name.lower()
    if lowered.endswith(PARQUET_SUFFIXES):
        raise ProfilingError(f"The file {name} is named like Parquet but is not a Parquet file.")
    if lowered.endswith(CSV_SUFFIXES) or "." not in lowered:
        return "csv"
    raise ProfilingError(f"The file {name} is neither Parquet nor CSV; Atrium profiles those two formats.")


def _literal(text: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def _quote(name: str) -> str:
    """A SQL identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def connect(*, memory_limit: str | None = None, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the profiling limits applied."""
    connection = duckdb.connect(database=":memory:")
    limit = memory_limit or settings.PROFILING_MEMORY_LIMIT
    thread_count = settings.PROFILING_THREADS if threads is None else threads
    spill = Path(settings.VAR_DIR) / "duckdb-tmp"
    spill.mkdir(parents=True, exist_ok=True)
    connection.execute(f"SET memory_limit = {_literal(str(limit))}")
    connection.execute(f"SET temp_directory = {_literal(str(spill))}")
    if thread_count and thread_count > 0:
        connection.execute(f"SET threads = {int(thread_count)}")
    # External access stays on for read_parquet/read_csv, but nothing may install extensions.
    connection.execute("SET autoinstall_known_extensions = false")
    return connection


def _open(connection: duckdb.DuckDBPyConnection, path: str, fmt: str) -> list[tuple[str, str]]:
    """Expose the file as the view `data`; returns (name, type) per column."""
    if fmt == "parquet":
        source = f"read_parquet({_literal(path)})"
    else:
        # Sniff types from a generous sample; a wrong guess later in the file is reported, not hidden.
        source = f"read_csv({_literal(path)}, header = true, sample_size = 20480)"
    name = os.path.basename(path)
    try:
        connection.execute(f"CREATE OR REPLACE VIEW data AS SELECT * FROM {source}")
        described = connection.execute("DESCRIBE SELECT * FROM data").fetchall()
    except duckdb.Error as exc:
        raise ProfilingError(_read_error(name, fmt, exc)) from None
    if not described:
        raise ProfilingError(f"The file {name} has no columns.")
    return [(str(row[0]), str(row[1])) for row in described]


def _read_error(name: str, fmt: str, exc: Exception) -> str:
    """A person-readable reason a file could not be read (DuckDB's first line, no internals)."""
    text = str(exc).strip()
    # DuckDB appends the offending line, suggestions and its sniffer settings; keep the reason.
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith((" ", "Original Line", "Possible Solution"))
    ]
    detail = " ".join(lines[:2])
    for prefix in ("Invalid Input Error: ", "IO Error: ", "Conversion Error: ", "Binder Error: "):
        detail = detail.removeprefix(prefix)
    lowered = text.lower()
    if "unicode" in lowered or "utf-8" in lowered or "utf8" in lowered:
        return f"The file {name} is not valid UTF-8 text; save it as UTF-8 and upload it again."
    kind = "Parquet" if fmt == "parquet" else "CSV"
    return f"The file {name} could not be read as {kind}: {detail[:300]}"


def _run(connection, sql: str, name: str, fmt: str):
    try:
        return connection.execute(sql).fetchall()
    except duckdb.Error as exc:
        raise ProfilingError(_read_error(name, fmt, exc)) from None


def profile_file(
    path: str,
    *,
    fmt: str | None = None,
    progress: Progress = no_progress,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> ProfileResult:
    """Per-column statistics of a Parquet or CSV file, in four passes whatever its width."""
    fmt = fmt or file_format(path)
    name = os.path.basename(path)
    connection = connect(memory_limit=memory_limit, threads=threads)
    try:
        progress(5, "Reading the schema")
        schema = _open(connection, path, fmt)
        progress(10, "Counting rows")
        row_count = int(_run(connection, "SELECT count(*) FROM data", name, fmt)[0][0])
        exact = row_count <= settings.PROFILING_EXACT_DISTINCT_MAX_ROWS
        columns = {
            column: {"position": position, "type": data_type, "kind": column_kind(data_type)}
            for position, (column, data_type) in enumerate(schema)
        }

        progress(15, f"Computing statistics of {len(columns)} columns")
        _aggregate(connection, columns, exact=exact, name=name, fmt=fmt)

        progress(55, "Building histograms")
        _histograms(connection, columns, name=name, fmt=fmt)

        texts = [column for column, stats in columns.items() if stats["kind"] == "string"]
        for index, column in enumerate(texts):
            progress(75 + 20 * index / max(1, len(texts)), f"Finding the top values of {column}")
            top = _top_values(connection, column, name=name, fmt=fmt)
            columns[column]["top"] = top
            columns[column]["histogram"] = categories_histogram(top)
        for stats in columns.values():
            finish_column(stats, row_count)
            if stats["kind"] != "boolean" and stats["kind"] != "string":
                stats.setdefault("top", [])
    finally:
        connection.close()
    return ProfileResult(
        row_count=row_count,
        columns=columns,
        engine=f"duckdb {duckdb.__version__}",
        distinct_method="exact" if exact else "approximate",
    )


def _aggregate(connection, columns: dict[str, dict], *, exact: bool, name: str, fmt: str) -> None:
    """One query computing every column's aggregates."""
    expressions: list[str] = []
    layout: list[tuple[str, str]] = []  # (column, statistic) per selected expression

    def add(column: str, statistic: str, sql: str) -> None:
        expressions.append(sql)
        layout.append((column, statistic))

    for column, stats in columns.items():
        quoted = _quote(column)
        kind = stats["kind"]
        add(column, "count", f"count({quoted})")
        if kind != "other":
            distinct = f"count(DISTINCT {quoted})" if exact else f"approx_count_distinct({quoted})"
            add(column, "distinct", distinct)
        if kind == "numeric":
            integer = "INT" in stats["type"].upper() and "INTERVAL" not in stats["type"].upper()
            cast = "HUGEINT" if integer else "DOUBLE"
            add(column, "min", f"min({quoted})::{cast}")
            add(column, "max", f"max({quoted})::{cast}")
            add(column, "mean", f"avg({quoted}::DOUBLE)")
            add(column, "std", f"stddev_samp({quoted}::DOUBLE)")
            add(column, "_low", f"min({quoted}::DOUBLE)")
            add(column, "_high", f"max({quoted}::DOUBLE)")
        elif kind == "temporal":
            add(column, "min", f"min({quoted})::VARCHAR")
            add(column, "max", f"max({quoted})::VARCHAR")
            add(column, "_low", f"epoch(min({quoted}))::DOUBLE")
            add(column, "_high", f"epoch(max({quoted}))::DOUBLE")
        elif kind == "string":
            add(column, "min_length", f"min(length({quoted}::VARCHAR))")
            add(column, "max_length", f"max(length({quoted}::VARCHAR))")
        elif kind == "boolean":
            add(column, "_true", f"count_if({quoted})")
    row = _run(connection, "SELECT " + ", ".join(expressions) + " FROM data", name, fmt)[0]
    for (column, statistic), value in zip(layout, row, strict=True):
        stats = columns[column]
        if statistic in ("count", "distinct", "min_length", "max_length", "_true"):
            stats[statistic] = int(value) if value is not None else (0 if statistic != "min_length" else None)
        else:
            stats[statistic] = json_value(value)
        if (
            statistic in ("min", "max")
            and isinstance(stats[statistic], int)
            and abs(stats[statistic]) > 2**63
        ):
            stats[statistic] = float(stats[statistic])
    for stats in columns.values():
        stats["distinct_approximate"] = not exact and "distinct" in stats
        if stats["kind"] == "boolean":
            true_count = stats.pop("_true", 0)
            top = [
                {"value": "true", "count": true_count},
                {"value": "false", "count": stats["count"] - true_count},
            ]
            stats["top"] = sorted([item for item in top if item["count"]], key=lambda item: -item["count"])
            stats["histogram"] = categories_histogram(stats["top"])


def _histograms(connection, columns: dict[str, dict], *, name: str, fmt: str) -> None:
    """One query with a histogram() per numeric/temporal column over 20 equal-width bins."""
    expressions: list[str] = []
    planned: list[tuple[str, list[float]]] = []
    for column, stats in columns.items():
        low, high = stats.pop("_low", None), stats.pop("_high", None)
        if stats["kind"] not in ("numeric", "temporal") or low is None or high is None:
            continue
        edges = bin_edges(float(low), float(high))
        bins = len(edges) - 1
        value = (
            f"epoch({_quote(column)})::DOUBLE" if stats["kind"] == "temporal" else f"{_quote(column)}::DOUBLE"
        )
        if bins == 1:
            stats["histogram"] = _bins_histogram(stats, edges, [stats["count"]])
            continue
        width = (float(high) - float(low)) / bins
        expressions.append(
            f"histogram(least(greatest(floor(({value} - {float(low)!r}) / {width!r}), 0), {bins - 1})"
            f"::INTEGER) FILTER (WHERE {_quote(column)} IS NOT NULL)"
        )
        planned.append((column, edges))
    if not expressions:
        return
    row = _run(connection, "SELECT " + ", ".join(expressions) + " FROM data", name, fmt)[0]
    for (column, edges), found in zip(planned, row, strict=True):
        stats = columns[column]
        stats["histogram"] = _bins_histogram(stats, edges, bucket_counts(found or {}, len(edges) - 1))


def _bins_histogram(stats: dict, edges: list[float], counts: list[int]) -> dict[str, Any]:
    if stats["kind"] == "temporal":
        date_only = stats["type"].upper() == "DATE"
        shown: list[Any] = [epoch_to_iso(edge, date_only=date_only) for edge in edges]
    else:
        shown = [json_value(edge) for edge in edges]
    return {"type": "bins", "edges": shown, "counts": counts}


def _top_values(connection, column: str, *, name: str, fmt: str) -> list[dict[str, Any]]:
    quoted = _quote(column)
    rows = _run(
        connection,
        f"SELECT {quoted}::VARCHAR AS value, count(*) AS n FROM data WHERE {quoted} IS NOT NULL "
        f"GROUP BY 1 ORDER BY n DESC, value LIMIT {TOP_VALUES}",
        name,
        fmt,
    )
    return [{"value": value, "count": int(count)} for value, count in rows]


PLAIN_TYPES = ("BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "VARCHAR")


def preview_file(path: str, *, limit: int, fmt: str | None = None) -> PreviewResult:
    """The first `limit` rows (DuckDB reads no further than it needs)."""
    fmt = fmt or file_format(path)
    name = os.path.basename(path)
    connection = connect(threads=1)
    try:
        schema = _open(connection, path, fmt)
        # Numbers, booleans and text travel as they are; everything else as its text form.
        selected = [
            _quote(column) if data_type.upper() in PLAIN_TYPES else f"{_quote(column)}::VARCHAR"
            for column, data_type in schema
        ]
        rows = _run(connection, f"SELECT {', '.join(selected)} FROM data LIMIT {int(limit)}", name, fmt)
    finally:
        connection.close()
    return PreviewResult(
        columns=[{"name": column, "type": data_type} for column, data_type in schema],
        rows=[[json_value(cell) for cell in row] for row in rows],
    )


def read_file_frame(
    path: str, *, limit: int, columns: list[str] | None = None, fmt: str | None = None
) -> FrameResult:
    """The file's first `limit` rows (only `columns`, in that order, when given) as a pandas DataFrame.

    DuckDB keeps the file's row order (insertion order is preserved), so the same file and
    limit always give the same rows; one row past the limit tells whether more exist.
    """
    fmt = fmt or file_format(path)
    name = os.path.basename(path)
    connection = connect()
    try:
        schema = _open(connection, path, fmt)
        types = dict(schema)
        wanted = list(columns) if columns is not None else [column for column, _type in schema]
        missing = [column for column in wanted if column not in types]
        if missing:
            raise ProfilingError(f"The file {name} has no column named {', '.join(missing[:5])}.")
        selected = ", ".join(_quote(column) for column in wanted) or "*"
        try:
            frame = connection.execute(f"SELECT {selected} FROM data LIMIT {int(limit) + 1}").df()
        except duckdb.Error as exc:
            raise ProfilingError(_read_error(name, fmt, exc)) from None
    finally:
        connection.close()
    truncated = len(frame) > limit
    if truncated:
        frame = frame.iloc[:limit]
    return FrameResult(
        frame=frame,
        truncated=truncated,
        columns=[{"name": column, "type": types[column]} for column in wanted],
    )
