"""prepared_cursor: PostgreSQL plans a hot statement once per connection; Django still sees it."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.db import instance_from_row, model_columns, prepared_cursor, statement_cache

pytestmark = pytest.mark.django_db

STATEMENT = "SELECT %s::bigint + 1 AS atrium_prepared_probe"


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_runs_and_django_sees_it():
    with CaptureQueriesContext(connection) as queries, prepared_cursor() as cursor:
        cursor.execute("SELECT %s + 1 AS atrium_probe", [41])
        assert cursor.fetchone() == (42,)
    assert len(queries.captured_queries) == 1
    assert "atrium_probe" in queries.captured_queries[0]["sql"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_django_logs_a_prepared_statement_as_written():
    with CaptureQueriesContext(connection) as queries, prepared_cursor() as cursor:
        cursor.execute(STATEMENT, [41])
        assert cursor.fetchone() == (42,)
    assert [query["sql"] for query in queries.captured_queries] == [STATEMENT]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_postgresql_prepares_the_statement_once_per_connection():
    for value in (1, 2, 3):
        with prepared_cursor() as cursor:
            cursor.execute(STATEMENT, [value])
            assert cursor.fetchone() == (value + 1,)
    prepared = [text for text in _prepared_statements() if "atrium_prepared_probe" in text]
    assert len(prepared) == 1, prepared  # planned once, executed three times


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_django_own_cursors_never_prepare():
    for value in range(10):  # well past psycopg's default threshold of 5
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::int AS atrium_client_side_probe", [value])
    assert not [text for text in _prepared_statements() if "atrium_client_side_probe" in text]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_setting_turns_preparing_off(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False  # a pooler in transaction mode
    with prepared_cursor() as cursor:
        cursor.execute("SELECT %s::bigint AS atrium_unprepared_probe", [7])
        assert cursor.fetchone() == (7,)
    assert not [text for text in _prepared_statements() if "atrium_unprepared_probe" in text]


def test_a_row_becomes_the_instance_the_orm_would_load(alice):
    user_model = get_user_model()
    columns = ", ".join(connection.ops.quote_name(column) for column in model_columns(user_model))
    table = connection.ops.quote_name(user_model._meta.db_table)
    with prepared_cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [alice.pk])  # noqa: S608 - names from the model
        user = instance_from_row(user_model, cursor.fetchone())
    expected = user_model.objects.get(pk=alice.pk)
    assert user.pk == expected.pk and user.username == "alice" and user.is_active is True
    assert user.date_joined == expected.date_joined and user.date_joined.tzinfo is not None
    assert not user._state.adding  # a stored row: saving it updates, never inserts
    with pytest.raises(ValueError, match="columns"):
        instance_from_row(user_model, [alice.pk])


def test_a_statement_text_is_built_once_per_vendor_and_arguments(monkeypatch):
    built = []

    @statement_cache
    def text(rows: int) -> str:
        built.append(rows)
        return f"SELECT {', '.join(['%s'] * rows)} -- on {connection.vendor}"

    assert text(2) == text(2) == f"SELECT %s, %s -- on {connection.vendor}"
    assert text(3).startswith("SELECT %s, %s, %s")
    assert built == [2, 3]
    monkeypatch.setattr(connection, "vendor", "other")
    assert text(2) == "SELECT %s, %s -- on other"  # another database's quoting: built again
    assert built == [2, 3, 2]
