"""The SQL engine: aggregates pushed down into the source database with SQLAlchemy Core.

The warehouse scans its own table; only a few rows of aggregates travel back:
1. one SELECT with every column's count, distinct count (exact COUNT(DISTINCT)),
   min/max/mean/std of numbers and min/max of dates;
2. per numeric or temporal column, one GROUP BY over a CASE of 20 equal-width bins;
3. per text column, one GROUP BY … ORDER BY count DESC LIMIT 10.

Every connection is read-only with a statement timeout: PostgreSQL through
`default_transaction_read_only` and `statement_timeout`, MySQL/MariaDB through
`SESSION TRANSACTION READ ONLY` and `MAX_EXECUTION_TIME`, SQLite by opening the
file with `mode=ro` and a progress handler that interrupts a statement past its deadline.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from django.conf import settings
from sqlalchemy.engine import make_url

from apps.catalog.profiling.common import (
    HISTOGRAM_BINS,
    TOP_VALUES,
    FrameResult,
    PreviewResult,
    ProfileResult,
    ProfilingError,
    Progress,
    bin_edges,
    categories_histogram,
    column_kind,
    finish_column,
    json_value,
    no_progress,
)

SUPPORTED_BACKENDS = ("postgresql", "sqlite", "mysql", "mariadb")


@contextmanager
def read_only_connection(url: str, *, timeout: int | None = None):
    """A read-only connection with a statement timeout (seconds) to the database at `url`."""
    seconds = int(timeout or settings.PROFILING_SQL_TIMEOUT_SECONDS)
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - any malformed URL is the same problem for people
        raise ProfilingError("The source's database URL is not a valid SQLAlchemy URL.") from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ProfilingError(f"Profiling supports PostgreSQL, MySQL/MariaDB and SQLite, not {backend}.")
    _check_address(parsed, backend)
    engine = _engine(parsed, backend, seconds)
    try:
        try:
            connection = engine.connect()
        except sa.exc.SQLAlchemyError as exc:
            raise ProfilingError(f"Could not connect to the source database: {_first_line(exc)}") from None
        try:
            yield connection
        finally:
            connection.close()
    finally:
        engine.dispose()


def _check_address(parsed, backend: str) -> None:
    """Apply the sources' allow-lists again at connect time: SQLite files under CATALOG_FOLDER_ROOTS,
    database hosts off the deny-list (DNS may have changed since the source was registered)."""
    from apps.catalog.connectors import ConnectorError
    from apps.catalog.connectors.folders import server_path_resolve
    from apps.catalog.connectors.sql import host_resolve

    try:
        if backend == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                server_path_resolve(parsed.database, what="SQLite file")
        else:
            host_resolve(parsed.host, parsed.port)
    except ConnectorError as error:
        raise ProfilingError(str(error)) from None


class _DeadlineConnection(sqlite3.Connection):
    """A SQLite connection that carries the deadline of its running statement."""

    atrium_deadline: list[float]


def _engine(parsed, backend: str, seconds: int) -> sa.Engine:
    if backend == "sqlite":
        path = parsed.database or ""
        if not path or path == ":memory:":
            raise ProfilingError("An in-memory SQLite database has no tables to profile.")

        def creator():
            connection = sqlite3.connect(
                f"file:{path}?mode=ro",
                uri=True,
                timeout=10,
                check_same_thread=False,
                factory=_DeadlineConnection,
            )
            connection.atrium_deadline = [time.monotonic() + seconds]
            # A non-zero return interrupts the running statement ("interrupted" error).
            connection.set_progress_handler(
                lambda: int(time.monotonic() > connection.atrium_deadline[0]), 10_000
            )
            return connection

        engine = sa.create_engine("sqlite://", creator=creator, poolclass=sa.pool.NullPool)

        @sa.event.listens_for(engine, "before_cursor_execute")
        def reset_deadline(conn, cursor, statement, parameters, context, executemany):
            raw = conn.connection.driver_connection
            raw.atrium_deadline[0] = time.monotonic() + seconds

        return engine
    if backend == "postgresql":
        options = f"-c statement_timeout={seconds * 1000} -c default_transaction_read_only=on"
        return sa.create_engine(
            parsed, poolclass=sa.pool.NullPool, connect_args={"options": options, "connect_timeout": 10}
        )
    engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 10})

    @sa.event.listens_for(engine, "connect")
    def limit_session(dbapi_connection, record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET SESSION MAX_EXECUTION_TIME = {seconds * 1000}")
            cursor.execute("SET SESSION TRANSACTION READ ONLY")

    return engine


def _first_line(exc: Exception) -> str:
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return (text[0] if text else exc.__class__.__name__)[:300]


def reflect_table(connection, table_name: str) -> sa.Table:
    """The table named `table_name` ("table" or "schema.table"), with its columns."""
    inspector = sa.inspect(connection)
    candidates: list[tuple[str | None, str]] = [(None, table_name)]
    if "." in table_name:
        schema, _, name = table_name.rpartition(".")
        candidates.insert(0, (schema, name))
    for schema, name in candidates:
        try:
            if inspector.has_table(name, schema=schema):
                return sa.Table(name, sa.MetaData(), schema=schema, autoload_with=connection)
        except sa.exc.SQLAlchemyError as exc:
            raise ProfilingError(f"Could not read the table {table_name}: {_first_line(exc)}") from None
    raise ProfilingError(f"The table {table_name} does not exist in the source database (any more).")


def _type_name(column: sa.Column, dialect) -> str:
    try:
        return column.type.compile(dialect=dialect)
    except Exception:  # noqa: BLE001 - exotic types still get profiled as "other"
        return column.type.__class__.__name__.upper()


def _execute(connection, statement, table_name: str):
    try:
        return connection.execute(statement)
    except sa.exc.OperationalError as exc:
        message = _first_line(exc)
        if "interrupted" in message or "timeout" in message.lower() or "canceling statement" in message:
            raise ProfilingError(
                f"The source database stopped the query on {table_name} at the statement timeout "
                f"({settings.PROFILING_SQL_TIMEOUT_SECONDS} s)."
            ) from None
        raise ProfilingError(f"The source database refused a query on {table_name}: {message}") from None
    except sa.exc.SQLAlchemyError as exc:
        raise ProfilingError(
            f"The source database refused a query on {table_name}: {_first_line(exc)}"
        ) from None


def profile_table(
    url: str, table_name: str, *, progress: Progress = no_progress, timeout: int | None = None
) -> ProfileResult:
    """Per-column statistics of a table, computed inside its database."""
    progress(5, "Connecting to the source database")
    with read_only_connection(url, timeout=timeout) as connection:
        progress(8, "Reading the table's columns")
        table = reflect_table(connection, table_name)
        dialect = connection.dialect
        columns: dict[str, dict[str, Any]] = {}
        for position, column in enumerate(table.columns):
            type_name = _type_name(column, dialect)
            columns[column.name] = {"position": position, "type": type_name, "kind": column_kind(type_name)}

        progress(15, f"Computing statistics of {len(columns)} columns in the source database")
        row_count = _aggregate(connection, table, columns, table_name)

        numeric = [name for name, stats in columns.items() if stats["kind"] in ("numeric", "temporal")]
        texts = [name for name, stats in columns.items() if stats["kind"] == "string"]
        steps = max(1, len(numeric) + len(texts))
        for index, name in enumerate(numeric):
            progress(50 + 45 * index / steps, f"Building the histogram of {name}")
            _histogram(connection, table, name, columns[name], table_name)
        for index, name in enumerate(texts, start=len(numeric)):
            progress(50 + 45 * index / steps, f"Finding the top values of {name}")
            top = _top_values(connection, table, name, table_name)
            columns[name]["top"] = top
            columns[name]["histogram"] = categories_histogram(top)
        for stats in columns.values():
            finish_column(stats, row_count)
            stats.pop("_low", None)
            stats.pop("_high", None)
            stats.setdefault("top", [])
    return ProfileResult(
        row_count=row_count,
        columns=columns,
        engine=f"sql-pushdown {dialect.name}",
        distinct_method="exact",
    )


def _aggregate(connection, table: sa.Table, columns: dict[str, dict], table_name: str) -> int:
    expressions: list[Any] = [sa.func.count().label("row_count")]
    layout: list[tuple[str, str]] = []
    stddev_native = connection.dialect.name in ("postgresql", "mysql", "mariadb")

    def add(column: str, statistic: str, expression) -> None:
        expressions.append(expression.label(f"s{len(layout)}"))
        layout.append((column, statistic))

    for name, stats in columns.items():
        column = table.c[name]
        kind = stats["kind"]
        add(name, "count", sa.func.count(column))
        if kind == "other":
            continue
        add(name, "distinct", sa.func.count(sa.distinct(column)))
        if kind == "numeric":
            as_float = sa.cast(column, sa.Float)
            add(name, "min", sa.func.min(column))
            add(name, "max", sa.func.max(column))
            add(name, "mean", sa.func.avg(as_float))
            if stddev_native:
                add(name, "std", sa.func.stddev_samp(as_float))
            else:
                add(name, "_sum", sa.func.sum(as_float))
                add(name, "_sum_squares", sa.func.sum(as_float * as_float))
        elif kind == "temporal":
            add(name, "min", sa.func.min(column))
            add(name, "max", sa.func.max(column))
        elif kind == "string":
            add(name, "min_length", sa.func.min(sa.func.length(column)))
            add(name, "max_length", sa.func.max(sa.func.length(column)))
        elif kind == "boolean":
            add(name, "_true", sa.func.sum(sa.case((column == sa.true(), 1), else_=0)))
    row = _execute(connection, sa.select(*expressions).select_from(table), table_name).one()
    row_count = int(row[0] or 0)
    for (name, statistic), value in zip(layout, row[1:], strict=True):
        columns[name][statistic] = value
    for stats in columns.values():
        _finish_aggregates(stats)
    return row_count


def _finish_aggregates(stats: dict[str, Any]) -> None:
    stats["count"] = int(stats.get("count") or 0)
    if "distinct" in stats:
        stats["distinct"] = int(stats["distinct"] or 0)
        stats["distinct_approximate"] = False
    kind = stats["kind"]
    if kind == "numeric":
        low, high = stats.get("min"), stats.get("max")
        stats["_low"] = float(low) if low is not None else None
        stats["_high"] = float(high) if high is not None else None
        stats["min"], stats["max"] = json_value(low), json_value(high)
        stats["mean"] = json_value(stats.get("mean"))
        if "_sum" in stats:
            count, total, squares = stats["count"], stats.pop("_sum"), stats.pop("_sum_squares")
            variance = (float(squares) - float(total) ** 2 / count) / (count - 1) if count > 1 else None
            stats["std"] = max(0.0, variance) ** 0.5 if variance is not None else None
        else:
            stats["std"] = json_value(stats.get("std"))
    elif kind == "temporal":
        low, high = stats.get("min"), stats.get("max")
        stats["_low"], stats["_high"] = low, high
        stats["min"], stats["max"] = json_value(low), json_value(high)
    elif kind == "boolean":
        true_count = int(stats.pop("_true", 0) or 0)
        top = [
            {"value": "true", "count": true_count},
            {"value": "false", "count": stats["count"] - true_count},
        ]
        stats["top"] = sorted([item for item in top if item["count"]], key=lambda item: -item["count"])
        stats["histogram"] = categories_histogram(stats["top"])
    for key in ("min_length", "max_length"):
        if key in stats and stats[key] is not None:
            stats[key] = int(stats[key])


def _as_moment(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _histogram(connection, table: sa.Table, name: str, stats: dict, table_name: str) -> None:
    """Counts over 20 equal-width bins, bucketed by a portable CASE inside the database."""
    low, high = stats.get("_low"), stats.get("_high")
    if low is None or high is None:
        return
    column = table.c[name]
    if stats["kind"] == "temporal":
        start, end = _as_moment(low), _as_moment(high)
        if start is None or end is None:
            return
        is_date = isinstance(low, dt.date) and not isinstance(low, dt.datetime)
        seconds = bin_edges(0.0, (end - start).total_seconds())
        moments = [start + dt.timedelta(seconds=value) for value in seconds]
        bounds: list[Any] = [moment.date() if is_date else moment for moment in moments]
        shown = [json_value(bound) for bound in bounds]
    else:
        bounds = bin_edges(float(low), float(high))
        shown = bounds
    bins = len(bounds) - 1
    if bins == 1:
        stats["histogram"] = {"type": "bins", "edges": shown, "counts": [stats["count"]]}
        return
    bucket = sa.case(
        *[(column < bounds[index + 1], index) for index in range(bins - 1)], else_=bins - 1
    ).label("bucket")
    statement = (
        sa.select(bucket, sa.func.count().label("n"))
        .select_from(table)
        .where(column.is_not(None))
        .group_by(bucket)
    )
    counts = [0] * bins
    for index, count in _execute(connection, statement, table_name):
        if index is not None:
            counts[min(max(int(index), 0), bins - 1)] += int(count)
    stats["histogram"] = {"type": "bins", "edges": shown, "counts": counts}


def _top_values(connection, table: sa.Table, name: str, table_name: str) -> list[dict[str, Any]]:
    column = table.c[name]
    count = sa.func.count().label("n")
    statement = (
        sa.select(column, count)
        .where(column.is_not(None))
        .group_by(column)
        .order_by(sa.desc("n"), column)
        .limit(TOP_VALUES)
    )
    return [
        {"value": str(json_value(value)), "count": int(n)}
        for value, n in _execute(connection, statement, table_name)
    ]


def preview_table(url: str, table_name: str, *, limit: int, timeout: int | None = None) -> PreviewResult:
    """The first `limit` rows of a table (SELECT … LIMIT, in the database)."""
    with read_only_connection(url, timeout=timeout) as connection:
        table = reflect_table(connection, table_name)
        rows = _execute(connection, sa.select(table).limit(int(limit)), table_name).all()
        dialect = connection.dialect
        columns = [{"name": column.name, "type": _type_name(column, dialect)} for column in table.columns]
    return PreviewResult(columns=columns, rows=[[json_value(cell) for cell in row] for row in rows])


def read_table_frame(
    url: str, table_name: str, *, limit: int, columns: list[str] | None = None, timeout: int | None = None
) -> FrameResult:
    """The table's first `limit` rows (ordered by its primary key when it has one) as a pandas DataFrame."""
    import pandas as pd

    with read_only_connection(url, timeout=timeout) as connection:
        table = reflect_table(connection, table_name)
        wanted = list(columns) if columns is not None else [column.name for column in table.columns]
        missing = [column for column in wanted if column not in table.c]
        if missing:
            raise ProfilingError(f"The table {table_name} has no column named {', '.join(missing[:5])}.")
        statement = sa.select(*[table.c[column] for column in wanted])
        # Without an order a database may return any rows under a LIMIT; the key makes reads repeatable.
        key = list(table.primary_key.columns)
        if key:
            statement = statement.order_by(*key)
        rows = _execute(connection, statement.limit(int(limit) + 1), table_name).all()
        dialect = connection.dialect
        types = {column: _type_name(table.c[column], dialect) for column in wanted}
    truncated = len(rows) > limit
    frame = pd.DataFrame([tuple(row) for row in rows[:limit]], columns=wanted)
    for column in wanted:
        # NUMERIC arrives as Decimal objects; analysis wants floats (or integers) in a numeric column.
        if column_kind(types[column]) == "numeric" and frame[column].dtype == object:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return FrameResult(
        frame=frame,
        truncated=truncated,
        columns=[{"name": column, "type": types[column]} for column in wanted],
    )


__all__ = ["HISTOGRAM_BINS", "preview_table", "profile_table", "read_table_frame", "read_only_connection"]
