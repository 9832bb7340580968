"""Connectors: reading CSV/Parquet files, folder allow-lists, SQL URL checks and the host deny-list."""

import io
import os
import re
import socket
import sqlite3

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from apps.catalog.connectors import ConnectorError
from apps.catalog.connectors.files import file_inspect, human_size
from apps.catalog.connectors.folders import Folder, location_check, server_path_resolve
from apps.catalog.connectors.sql import (
    address_denied,
    describe_error,
    sql_connection_test,
    sql_introspect,
    sql_url_parse,
    table_fingerprint,
    url_display,
)


@pytest.fixture
def roots(tmp_path, settings):
    root = tmp_path / "data"
    root.mkdir()
    settings.CATALOG_FOLDER_ROOTS = [str(root)]
    settings.CATALOG_STORAGE_PREFIXES = ["shared/"]
    return root


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


# --- files ------------------------------------------------------------------------------------


def test_a_csv_file_gives_its_schema_row_count_and_sha256():
    content = b"id,amount,name\n1,2.5,a\n2,3.5,b\n3,,c\n"
    info = file_inspect(io.BytesIO(content), name="orders.csv")
    assert info.format == "csv"
    assert info.row_count == 3
    assert [(c["name"], c["type"]) for c in info.schema] == [
        ("id", "int64"),
        ("amount", "double"),
        ("name", "string"),
    ]
    import hashlib

    assert info.content_hash == hashlib.sha256(content).hexdigest()
    assert info.size_bytes == len(content)


def test_a_value_late_in_a_large_csv_that_breaks_the_inferred_type_is_read_as_text(monkeypatch):
    from apps.catalog.connectors import files

    monkeypatch.setattr(files, "CSV_BLOCK_SIZE", 64)
    content = b"code,n\n" + b"1,1\n" * 100 + b"X9,2\n"
    info = file_inspect(io.BytesIO(content), name="codes.csv")
    assert info.row_count == 101
    assert info.schema[0] == {"name": "code", "type": "string", "nullable": True}
    assert info.schema[1]["type"] == "int64"


def test_a_parquet_file_is_read_from_its_footer():
    table = pa.table({"x": pa.array([1, 2, 3], pa.int32()), "y": ["a", "b", None]})
    info = file_inspect(io.BytesIO(parquet_bytes(table)), name="t.parquet")
    assert (info.format, info.row_count) == ("parquet", 3)
    assert [c["type"] for c in info.schema] == ["int32", "string"]


def test_a_utf16_csv_is_detected_by_its_byte_order_mark():
    info = file_inspect(io.BytesIO("city,n\nZürich,1\n".encode("utf-16")), name="cities.csv")
    assert info.encoding == "utf-16"
    assert info.row_count == 1
    assert info.schema[0]["name"] == "city"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "empty (0 bytes)"),
        ("city\nZürich\n".encode("latin-1"), "latin.csv", "not UTF-8 text: byte 7 (line 2)"),
        (b"a,b\n1,2\n3,4,5\n", "ragged.csv", "a row has 3 fields where the header has 2"),
        (b'a,b\n"1,2\n', "quote.csv", "malformed"),
        (b"a,a\n1,2\n", "dup.csv", "names the column “a” twice"),
        (b"a,b\n1\x002\n", "nul.csv", "binary data"),
        (b"PAR1 this is not parquet at all", "broken.parquet", "not a valid Parquet file"),
        (b"hello", "notes.txt", "CSV and Parquet"),
    ],
)
def test_bad_files_get_a_clear_message(content, name, message):
    with pytest.raises(ConnectorError, match=re.escape(message)):
        file_inspect(io.BytesIO(content), name=name)


def test_a_truncated_parquet_file_is_refused():
    data = parquet_bytes(pa.table({"x": list(range(100))}))
    with pytest.raises(ConnectorError, match="not a valid Parquet file"):
        file_inspect(io.BytesIO(data[: len(data) // 2]), name="half.parquet")


def test_a_file_over_the_limit_is_refused_while_reading():
    with pytest.raises(ConnectorError, match="larger than the limit of 1 KiB"):
        file_inspect(io.BytesIO(b"a\n" + b"1\n" * 2000), name="big.csv", max_bytes=1024)


def test_human_sizes_read_naturally():
    assert human_size(512 * 1024 * 1024) == "512 MiB"
    assert human_size(100) == "100 bytes"
    assert human_size(1536) == "1.5 KiB"


# --- folders ----------------------------------------------------------------------------------


def test_a_folder_under_an_allowed_root_is_accepted_and_listed(roots):
    (roots / "sales" / "2026").mkdir(parents=True)
    (roots / "sales" / "orders.csv").write_text("a\n1\n")
    (roots / "sales" / "2026" / "q1.parquet").write_bytes(parquet_bytes(pa.table({"x": [1]})))
    (roots / "sales" / "readme.md").write_text("skip me")
    assert location_check(str(roots / "sales")) == str(roots / "sales")
    assert location_check("sales") == str(roots / "sales")  # relative to the first root
    folder = Folder(str(roots / "sales"))
    assert [entry.relative for entry in folder.files()] == ["orders.csv", "2026/q1.parquet"]
    assert "2 CSV or Parquet files" in folder.check()


@pytest.mark.parametrize("path", ["/etc", "/", "../../etc"])
def test_paths_outside_the_roots_or_with_dotdot_are_refused(roots, path):
    with pytest.raises(ConnectorError):
        server_path_resolve(path)


def test_dotdot_inside_an_allowed_path_is_refused(roots):
    (roots / "a").mkdir()
    with pytest.raises(ConnectorError, match="“..”"):
        server_path_resolve(str(roots / "a" / ".." / "a"))


def test_a_symlink_out_of_the_roots_is_refused_as_a_folder_and_skipped_as_a_file(roots, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("password\nhunter2\n")
    os.symlink(outside, roots / "escape")
    with pytest.raises(ConnectorError, match="allowed folders"):
        server_path_resolve(str(roots / "escape"))
    (roots / "inbox").mkdir()
    os.symlink(outside / "secret.csv", roots / "inbox" / "secret.csv")
    (roots / "inbox" / "ok.csv").write_text("a\n1\n")
    assert [entry.relative for entry in Folder(str(roots / "inbox")).files()] == ["ok.csv"]


def test_storage_prefixes_must_be_allow_listed(roots):
    assert location_check("storage://shared/team-a") == "storage://shared/team-a/"
    with pytest.raises(ConnectorError, match="only these object-storage prefixes"):
        location_check("storage://catalog/uploads/")
    with pytest.raises(ConnectorError, match="“..”"):
        location_check("storage://shared/../catalog/")


# --- SQL URLs and the deny-list ----------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "fe80::1",
        "224.0.0.1",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
        "::",
        "ff02::1",
        "::ffff:169.254.169.254",
        "100.100.100.200",
    ],
)
def test_link_local_metadata_multicast_and_unspecified_addresses_are_denied(address):
    assert address_denied(address)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "192.168.1.20", "8.8.8.8", "::1"])
def test_ordinary_addresses_are_allowed(address):
    assert not address_denied(address)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@169.254.169.254/db",
        "mysql+pymysql://u@[fe80::1]:3306/db",
        "postgresql://u@224.0.0.1/db",
        "postgresql://u@0.0.0.0/db",
        "postgresql://u@metadata.google.internal/db",
    ],
)
def test_urls_to_denied_hosts_are_refused(url):
    with pytest.raises(ConnectorError, match="metadata|link-local"):
        sql_url_parse(url)


def test_a_host_name_resolving_to_a_metadata_address_is_refused(monkeypatch):
    def fake(host, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(ConnectorError, match="resolves to 169.254.169.254"):
        sql_url_parse("postgresql://u@innocent.example/db")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Enter the database"),
        ("not a url", "not a SQLAlchemy URL"),
        ("oracle://u@db.example/x", "does not connect with “oracle”"),
        ("postgresql://u@127.0.0.1/db?host=169.254.169.254", "host is not allowed"),
        ("postgresql://u@127.0.0.1", "names no database"),
        ("sqlite://", "names a database file"),
        ("sqlite:///:memory:", "names a database file"),
        ("sqlite:////etc/passwd", "allowed folders"),
    ],
)
def test_bad_urls_get_a_clear_message(url, message, roots):
    with pytest.raises(ConnectorError, match=re.escape(message)):
        sql_url_parse(url)


def test_driver_names_are_normalised_and_the_display_url_has_no_password():
    url = sql_url_parse("postgres://reader@127.0.0.1:5432/shop", password="s3cret!")  # noqa: S106 - a test value
    assert url.drivername == "postgresql+psycopg"
    assert url.password == "s3cret!"  # noqa: S105 - a test value
    assert url_display(url) == "postgresql+psycopg://reader@127.0.0.1:5432/shop"
    assert sql_url_parse("mysql://root@127.0.0.1/test").drivername == "mysql+pymysql"


@pytest.fixture
def shop_sqlite(roots):
    path = roots / "shop.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL);"
            "INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace');"
            "INSERT INTO orders VALUES (1, 1, 9.5);"
        )
    return path


def test_a_sqlite_file_under_a_root_is_tested_and_introspected_read_only(shop_sqlite):
    url = sql_url_parse(f"sqlite:///{shop_sqlite}")
    assert "2 tables visible" in sql_connection_test(url)["message"]
    tables, errors = sql_introspect(url)
    assert errors == []
    by_path = {table.path: table for table in tables}
    assert set(by_path) == {"customers", "orders"}
    assert by_path["customers"].row_count == 2
    assert by_path["customers"].schema[1] == {"name": "name", "type": "text", "nullable": False}
    assert by_path["orders"].content_hash == table_fingerprint(by_path["orders"].schema, 1)


def test_a_file_that_is_not_sqlite_gets_a_clear_message(roots):
    (roots / "fake.sqlite3").write_bytes(b"this is not a database, just text" * 10)
    url = sql_url_parse(f"sqlite:///{roots / 'fake.sqlite3'}")
    with pytest.raises(ConnectorError, match="not a SQLite database"):
        sql_connection_test(url)


def test_an_unreachable_server_gets_a_clear_message_without_the_password():
    url = sql_url_parse("postgresql://u:topsecret@127.0.0.1:1/db")
    with pytest.raises(ConnectorError) as caught:
        sql_connection_test(url)
    assert "Cannot reach the database server at 127.0.0.1:1" in str(caught.value)
    assert "topsecret" not in str(caught.value)


def test_database_errors_are_described_without_sql():
    class FakeError(Exception):
        pass

    url = sql_url_parse("mysql+pymysql://root:pw@127.0.0.1:3306/test")
    error = FakeError(1045, "Access denied for user 'root'@'localhost' (using password: YES)")
    assert describe_error(error, url) == "The database refused the user name or password (user “root”)."
    assert (
        describe_error(FakeError("SELECT * FROM x failed"), url)
        == "The database answered with an error (FakeError)."
    )
