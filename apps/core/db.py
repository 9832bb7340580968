"""SQL for the few statements a client runs thousands of times a minute.

Django's PostgreSQL cursors bind parameters on the client, so the server parses and plans each
statement anew; for a short statement planning costs more than running it. `prepared_cursor()`
hands out a cursor whose statements PostgreSQL prepares once per connection and then only
executes (psycopg's server-side binding with `prepare=True`). It is still Django's cursor
wrapper, so query logging, `CaptureQueriesContext` and `execute_wrapper` see every statement.

Use it for fixed SQL with explicit columns (never `SELECT *`: a prepared statement's result
columns cannot change under it), on hot paths only. `DATABASE_PREPARED_STATEMENTS = False` turns
it into a plain cursor, for a connection pooler in transaction mode that cannot keep prepared
statements (PgBouncer before 1.21). On other databases it is the plain cursor.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections


def _preparing_cursor_classes():
    import psycopg
    from django.db.backends.postgresql.base import CursorDebugWrapper
    from django.db.backends.utils import CursorWrapper

    class PreparingCursor(psycopg.Cursor):
        """Server-side binding; every statement is prepared (settings raise psycopg's threshold
        out of reach, so nothing else is)."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)

    class PreparedDebugWrapper(CursorDebugWrapper):
        """Logs the statement as written (%s placeholders): a prepared execution leaves psycopg
        no query text for Django's `last_executed_query`."""

        def execute(self, sql, params=None):
            with self.debug_sql(sql, params):
                return CursorWrapper.execute(self, sql, params)

    return PreparingCursor, PreparedDebugWrapper


_CLASSES = None


@contextmanager
def prepared_cursor():
    """A cursor (Django's wrapper) whose statements PostgreSQL plans once per connection."""
    global _CLASSES  # noqa: PLW0603 - the classes are made once, on first use (psycopg is optional)
    db = connections[DEFAULT_DB_ALIAS]  # the thread's own; looked up once, not at every attribute
    if db.vendor != "postgresql" or not getattr(settings, "DATABASE_PREPARED_STATEMENTS", True):
        with db.cursor() as cursor:
            yield cursor
        return
    if _CLASSES is None:
        _CLASSES = _preparing_cursor_classes()
    preparing_cursor, debug_wrapper = _CLASSES
    db.ensure_connection()
    db.validate_thread_sharing()
    raw = preparing_cursor(db.connection)
    cursor = debug_wrapper(raw, db) if db.queries_logged else db.make_cursor(raw)
    with cursor:
        yield cursor


def model_columns(model) -> list[str]:
    """The model's concrete columns, in field order: what `instance_from_row` takes."""
    return [field.column for field in model._meta.concrete_fields]


def statement_cache(build):
    """Cache an SQL text builder per database vendor and arguments (the text only depends on them:
    names come from the models, quoted by the vendor's rules; values always go as parameters).
    The texts used last are kept (a statement per row count would otherwise grow without end)."""
    cached = functools.lru_cache(maxsize=256)(lambda vendor, *args: build(*args))

    @functools.wraps(build)
    def text(*args):
        return cached(connection.vendor, *args)

    return text


@functools.cache
def _row_converters(model, alias: str, vendor: str) -> tuple[list[tuple], list[str]]:
    """(position, column, converters) of each concrete field the ORM converts values of, and
    every field's attribute name: found once per model and database."""
    fields = model._meta.concrete_fields
    converting = []
    for position, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if converters:
            converting.append((position, column, converters))
    return converting, [field.attname for field in fields]


def instance_from_row(model, values):
    """A model instance from a row of `model_columns(model)`, converted as the ORM would (SQLite's
    datetimes and booleans, for one)."""
    db = connections[DEFAULT_DB_ALIAS]
    converting, attnames = _row_converters(model, db.alias, db.vendor)
    if len(values) != len(attnames):
        raise ValueError(f"{model.__name__} has {len(attnames)} columns, the row {len(values)}")
    converted = list(values)
    for position, column, converters in converting:
        value = converted[position]
        for converter in converters:
            value = converter(value, column, db)
        converted[position] = value
    return model.from_db(db.alias, attnames, converted)


@functools.cache
def _in_field_order(model, names: tuple[str, ...]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields if field.attname in names]


def instance_from_fields(model, loaded: dict):
    """A model instance with only `loaded` (attribute name → database value, already converted)
    loaded; the other fields are deferred, as with `QuerySet.only`."""
    names = _in_field_order(model, tuple(loaded))
    return model.from_db(connection.alias, names, [loaded[name] for name in names])
