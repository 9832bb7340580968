"""Profiling engines: DuckDB over Parquet/CSV and SQL pushdown give the same, correct statistics."""

from __future__ import annotations

import statistics

import pytest

from apps.catalog.profiling import ProfilingError
from apps.catalog.profiling.files import file_format, preview_file, profile_file
from apps.catalog.profiling.sql import preview_table, profile_table, read_only_connection
from apps.catalog.tests.profiling_data import (
    SECRET_EMAIL,
    customers_table,
    write_csv,
    write_parquet,
    write_sqlite,
)

ROWS = 40


@pytest.fixture(autouse=True)
def folder_roots(tmp_path, settings):
    """SQLite files are read only under CATALOG_FOLDER_ROOTS, like every server path."""
    settings.CATALOG_FOLDER_ROOTS = [str(tmp_path)]


AMOUNTS = [float(i) for i in range(ROWS) if i % 4 != 0]


def check_customer_statistics(result, *, approximate: bool = False) -> None:
    columns = result.columns
    assert result.row_count == ROWS
    assert [name for name, _ in sorted(columns.items(), key=lambda item: item[1]["position"])] == [
        "id", "email", "amount", "signed_up", "segment", "active",
    ]  # fmt: skip
    amount = columns["amount"]
    assert amount["kind"] == "numeric"
    assert (amount["count"], amount["nulls"], amount["null_fraction"]) == (30, 10, 0.25)
    assert amount["min"] == 1.0 and amount["max"] == 39.0
    assert amount["mean"] == pytest.approx(statistics.mean(AMOUNTS))
    assert amount["std"] == pytest.approx(statistics.stdev(AMOUNTS))
    assert amount["histogram"]["type"] == "bins"
    assert len(amount["histogram"]["edges"]) == 21 and sum(amount["histogram"]["counts"]) == 30
    identifiers = columns["id"]
    assert (identifiers["min"], identifiers["max"], identifiers["distinct"]) == (1, ROWS, ROWS)
    assert identifiers["distinct_approximate"] is approximate
    signed_up = columns["signed_up"]
    assert signed_up["kind"] == "temporal"
    assert signed_up["min"].startswith("2024-01-01") and signed_up["max"].startswith("2024-02-09")
    assert sum(signed_up["histogram"]["counts"]) == ROWS
    segment = columns["segment"]
    assert segment["kind"] == "string"
    assert segment["top"] == [
        {"value": "retail", "count": 20},
        {"value": "business", "count": 10},
        {"value": "public", "count": 10},
    ]
    assert segment["histogram"] == {
        "type": "categories",
        "labels": ["retail", "business", "public"],
        "counts": [20, 10, 10],
    }
    assert columns["email"]["top"][0] == {"value": SECRET_EMAIL, "count": 20}
    active = columns["active"]
    assert active["kind"] == "boolean"
    assert {item["value"]: item["count"] for item in active["top"]} == {"true": 26, "false": 14}


def test_duckdb_profiles_a_parquet_file_with_every_statistic(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    phases = []
    result = profile_file(
        str(write_parquet(tmp_path / "customers.parquet")), progress=lambda p, m: phases.append((p, m))
    )
    check_customer_statistics(result)
    assert result.engine.startswith("duckdb ") and result.distinct_method == "exact"
    messages = [message for _, message in phases]
    assert messages[:3] == ["Reading the schema", "Counting rows", "Computing statistics of 6 columns"]
    assert "Building histograms" in messages and any("top values of segment" in m for m in messages)
    assert [percent for percent, _ in phases] == sorted(percent for percent, _ in phases)


def test_duckdb_reads_csv_straight_from_its_path(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    check_customer_statistics(profile_file(str(write_csv(tmp_path / "customers.csv"))))


def test_distinct_counts_become_approximate_above_the_exact_limit(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    settings.PROFILING_EXACT_DISTINCT_MAX_ROWS = 10
    result = profile_file(str(write_parquet(tmp_path / "customers.parquet")))
    assert result.distinct_method == "approximate"
    assert result.columns["id"]["distinct_approximate"] is True
    assert result.columns["id"]["distinct"] == pytest.approx(ROWS, rel=0.1)


def test_memory_limit_and_threads_are_applied_to_duckdb(tmp_path, settings):
    from apps.catalog.profiling.files import connect

    settings.VAR_DIR = tmp_path
    connection = connect(memory_limit="256MB", threads=1)
    limit, threads = connection.execute(
        "SELECT current_setting('memory_limit'), current_setting('threads')"
    ).fetchone()
    connection.close()
    assert threads == 1
    assert (
        limit.replace(" ", "").upper() in {"256.0MB", "244.1MIB", "256MB"} or "MiB" in limit or "MB" in limit
    )


def test_sql_pushdown_matches_duckdb_on_the_same_rows(tmp_path, settings):
    database = write_sqlite(tmp_path / "shop.sqlite3")
    result = profile_table(f"sqlite:///{database}", "customers")
    check_customer_statistics(result)
    assert result.engine == "sql-pushdown sqlite" and result.distinct_method == "exact"
    assert profile_table(f"sqlite:///{database}", "main.customers").row_count == ROWS


def test_sql_connections_are_read_only(tmp_path):
    import sqlalchemy as sa

    database = write_sqlite(tmp_path / "shop.sqlite3")
    with read_only_connection(f"sqlite:///{database}") as connection, pytest.raises(sa.exc.OperationalError):
        connection.execute(sa.text("DELETE FROM customers"))
    with read_only_connection(f"sqlite:///{database}") as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM customers")).scalar() == ROWS


def test_a_statement_past_the_timeout_is_stopped_with_a_clear_error(tmp_path):
    import sqlalchemy as sa

    from apps.catalog.profiling.sql import _execute

    database = write_sqlite(tmp_path / "shop.sqlite3")
    endless = sa.text(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"
    )
    with (
        read_only_connection(f"sqlite:///{database}", timeout=1) as connection,
        pytest.raises(ProfilingError, match="statement timeout"),
    ):
        _execute(connection, endless, "customers")


@pytest.mark.parametrize(
    ("url", "table", "message"),
    [
        ("sqlite:///{tmp}/shop.sqlite3", "no_such_table", "does not exist"),
        ("sqlite:///{tmp}/missing/none.sqlite3", "customers", "Could not connect"),
        ("oracle://scott:tiger@db/orcl", "customers", "supports PostgreSQL, MySQL/MariaDB and SQLite"),
        ("not a url", "customers", "not a valid SQLAlchemy URL"),
    ],
)
def test_sql_sources_fail_with_a_clear_message(tmp_path, url, table, message):
    write_sqlite(tmp_path / "shop.sqlite3")
    with pytest.raises(ProfilingError, match=message):
        profile_table(url.format(tmp=tmp_path), table)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "is empty"),
        ("broken.parquet", b"PAR1 this is not really parquet", "could not be read as Parquet"),
        ("fake.parquet", b"id,name\n1,x\n", "named like Parquet but is not"),
        ("latin1.csv", "id,name\n1,Müller\n2,Françoise\n".encode("latin-1"), "not valid UTF-8"),
        ("picture.png", b"\x89PNG\r\n\x1a\n", "neither Parquet nor CSV"),
    ],
)
def test_unreadable_files_fail_with_a_clear_message(tmp_path, settings, name, content, message):
    settings.VAR_DIR = tmp_path
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ProfilingError, match=message):
        profile_file(str(path))


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(ProfilingError, match="no longer exists"):
        file_format(str(tmp_path / "gone.parquet"))


def test_all_null_and_constant_columns_profile_without_errors(tmp_path, settings):
    import pyarrow as pa
    import pyarrow.parquet as pq

    settings.VAR_DIR = tmp_path
    path = tmp_path / "odd.parquet"
    pq.write_table(pa.table({"nothing": pa.array([None] * 5, type=pa.float64()), "same": [7] * 5}), path)
    result = profile_file(str(path))
    assert result.columns["nothing"]["nulls"] == 5 and "histogram" not in result.columns["nothing"]
    assert result.columns["same"]["histogram"] == {"type": "bins", "edges": [7.0, 7.0], "counts": [5]}


def test_previews_read_only_the_first_rows_as_json_safe_cells(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    preview = preview_file(str(write_parquet(tmp_path / "customers.parquet")), limit=3)
    assert [column["name"] for column in preview.columns][:2] == ["id", "email"]
    assert len(preview.rows) == 3
    assert preview.rows[0][:4] == [1, SECRET_EMAIL, None, "2024-01-01"]
    database = write_sqlite(tmp_path / "shop.sqlite3")
    from_sql = preview_table(f"sqlite:///{database}", "customers", limit=2)
    assert from_sql.rows[1][:3] == [2, "person1@example.org", 1.0]
    assert len(customers_table(5)) == 5


def test_sqlite_files_outside_the_allowed_folders_are_refused(tmp_path, settings):
    database = write_sqlite(tmp_path / "shop.sqlite3")
    settings.CATALOG_FOLDER_ROOTS = [str(tmp_path / "elsewhere")]
    with pytest.raises(ProfilingError, match="reads only under the allowed folders"):
        profile_table(f"sqlite:///{database}", "customers")


def test_database_hosts_on_the_deny_list_are_refused_at_connect_time():
    with pytest.raises(ProfilingError, match="link-local, cloud-metadata"):
        profile_table("postgresql://user:secret@169.254.169.254/db", "customers")
