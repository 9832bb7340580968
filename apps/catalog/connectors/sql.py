"""SQL databases through SQLAlchemy: URL checks, connection tests and table introspection.

Supported: PostgreSQL (`postgresql+psycopg://`), MySQL/MariaDB (`mysql+pymysql://`,
`mariadb+pymysql://`) and SQLite (`sqlite:///` files under an allow-listed folder).

Safety:
- a host that resolves to a link-local, cloud-metadata, multicast, reserved or
  unspecified address is refused, at registration and again right before every
  connection; the connection then goes to the address that was checked (no DNS
  rebinding between the check and the connect);
- query parameters are limited to harmless ones (no `host=` or socket override);
- PostgreSQL sessions are read-only with a statement timeout; SQLite files are opened
  read-only;
- errors are turned into plain sentences: never SQL, a stack trace or the password.

Table fingerprint: a table's "content hash" is sha256 over its schema and row count
(`COUNT(*)`, pushed down to the database). It is cheap and changes whenever rows are
added or removed or the schema changes; an in-place UPDATE that keeps the count is
not detected (a full-table checksum would scan the warehouse on every sync).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import socket
from collections.abc import Callable

from apps.catalog.connectors import ConnectorError, TableInfo

DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mysql+pymysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
    "mariadb+pymysql": "mariadb+pymysql",
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
}
ALLOWED_QUERY = {"sslmode", "charset", "application_name", "sslrootcert_none"}
DENIED_HOSTNAMES = {
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
}
METADATA_NETWORKS = [
    ipaddress.ip_network(network)
    for network in (
        "169.254.0.0/16",  # link-local, incl. 169.254.169.254 (AWS, GCP, Azure, OpenStack metadata)
        "fe80::/10",  # IPv6 link-local
        "fd00:ec2::254/128",  # AWS metadata over IPv6
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "168.63.129.16/32",  # Azure wire server
        "0.0.0.0/8",  # "this network": 0.x connects to the local host on Linux
    )
]
CONNECT_TIMEOUT = 10
STATEMENT_TIMEOUT_MS = 120_000
MAX_TABLES = 5000
SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys"}
HINT = (
    "Write it like postgresql+psycopg://user@host:5432/database, "
    "mysql+pymysql://user@host:3306/database or sqlite:///path/to/file.sqlite3."
)


def _make_url(raw: str):
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    text = str(raw or "").strip()
    if not text:
        raise ConnectorError("Enter the database's SQLAlchemy URL. " + HINT)
    try:
        return make_url(text)
    except (ArgumentError, ValueError, TypeError):
        raise ConnectorError("This is not a SQLAlchemy URL. " + HINT) from None


def address_denied(address: str) -> bool:
    """Whether an IP address is link-local, cloud metadata, multicast, reserved or unspecified."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return False  # a database on the same machine (development, sidecars) is fine
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return True
    return any(ip.version == network.version and ip in network for network in METADATA_NETWORKS)


def host_resolve(host: str, port: int | None = None) -> list[str]:
    """The addresses `host` resolves to, refusing the whole host if any of them is deny-listed.

    An unresolvable host returns [] (the connection test reports it); a deny-listed one raises.
    """
    name = str(host or "").strip().strip("[]").rstrip(".").lower()
    if not name:
        raise ConnectorError("The URL has no host: write the database server's name or address after “@”.")
    if name in DENIED_HOSTNAMES:
        raise ConnectorError("Atrium does not connect to cloud metadata services.")
    try:
        infos = socket.getaddrinfo(name, port or None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    addresses = []
    for info in infos:
        address = info[4][0]
        if address_denied(address):
            raise ConnectorError(
                f"The host “{name}” resolves to {address.split('%', 1)[0]}, a link-local, cloud-metadata, "
                "multicast or reserved address; Atrium does not connect there."
            )
        if address not in addresses:
            addresses.append(address)
    return addresses


def sql_url_parse(raw_url: str, *, password: str = ""):
    """A checked SQLAlchemy URL (driver normalised, password merged in); ConnectorError otherwise."""
    url = _make_url(raw_url)
    driver = DRIVERS.get(url.drivername)
    if driver is None:
        raise ConnectorError(
            f"Atrium does not connect with “{url.drivername}”: use PostgreSQL, MySQL/MariaDB or SQLite. "
            + HINT
        )
    url = url.set(drivername=driver)
    if password:
        url = url.set(password=password)
    if driver == "sqlite":
        from apps.catalog.connectors.folders import server_path_resolve

        database = str(url.database or "").strip()
        if not database or database == ":memory:" or database.startswith("file:"):
            raise ConnectorError("A SQLite URL names a database file: sqlite:///path/to/file.sqlite3.")
        path = server_path_resolve(database, what="SQLite file")
        if not path.is_file():
            raise ConnectorError(f"There is no SQLite file at {path}.")
        return url.set(database=str(path), query={})._replace(
            host=None, port=None, username=None, password=None
        )
    unknown = set(url.query) - ALLOWED_QUERY
    if unknown:
        raise ConnectorError(
            f"The URL option{'s' if len(unknown) > 1 else ''} {', '.join(sorted(unknown))} "
            f"{'are' if len(unknown) > 1 else 'is'} not allowed; "
            f"only {', '.join(sorted(ALLOWED_QUERY))} may be set."
        )
    if not url.database:
        raise ConnectorError("The URL names no database: add “/database” after the host. " + HINT)
    host_resolve(url.host, url.port)
    return url


def url_display(url) -> str:
    """The URL as people may see it: no password."""
    return url._replace(password=None).render_as_string(hide_password=False)


def url_secret(url) -> str:
    """The full URL (with password) to encrypt at rest."""
    return url.render_as_string(hide_password=False)


def _engine(url):
    """An engine for one job: no pool, connect timeouts, read-only where the database allows it."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    dialect = url.get_backend_name()
    connect_args: dict = {}
    if dialect == "sqlite":
        from pathlib import Path
        from urllib.parse import quote

        readonly = f"sqlite:///file:{quote(Path(url.database).as_posix())}?mode=ro&uri=true"
        return create_engine(readonly, poolclass=NullPool)
    # Check the host again now (its DNS may have changed) and connect to the checked address.
    addresses = host_resolve(url.host, url.port)
    if dialect == "postgresql":
        connect_args = {
            "connect_timeout": CONNECT_TIMEOUT,
            "options": f"-c default_transaction_read_only=on -c statement_timeout={STATEMENT_TIMEOUT_MS}",
        }
        if addresses:
            connect_args["hostaddr"] = addresses[0]
    else:
        connect_args = {"connect_timeout": CONNECT_TIMEOUT, "read_timeout": STATEMENT_TIMEOUT_MS // 1000}
        if addresses:
            url = url.set(host=addresses[0])
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


def describe_error(error: Exception, url) -> str:
    """A plain sentence for a database error: never SQL, a stack trace or the password."""
    original = getattr(error, "orig", None) or error
    text = str(original).lower()
    code = original.args[0] if getattr(original, "args", None) and isinstance(original.args[0], int) else None
    where = f"{url.host}:{url.port}" if url.port else str(url.host)
    if url.get_backend_name() == "sqlite":
        if "not a database" in text:
            return "The file is not a SQLite database."
        return "Cannot open the SQLite file (it may have been moved, or Atrium may not read it)."
    if code in (1045, 1044, 1698) or "password authentication failed" in text or "access denied" in text:
        return f"The database refused the user name or password (user “{url.username or ''}”)."
    if "role" in text and "does not exist" in text:
        return f"The database has no user “{url.username or ''}”."
    if code == 1049 or ("database" in text and "does not exist" in text):
        return f"The database “{url.database}” does not exist on the server {where}."
    if any(
        marker in text
        for marker in ("could not translate host name", "failed to resolve host", "name or service not known",
                       "nodename nor servname", "temporary failure in name resolution")
    ):  # fmt: skip
        return f"Cannot find the host “{url.host}”: the name does not resolve."
    if "connection refused" in text:
        return (
            f"Cannot reach the database server at {where}: "
            "the connection was refused (is it running, is the port right?)."
        )
    if "timeout" in text or "timed out" in text:
        return f"Cannot reach the database server at {where}: the connection timed out."
    if code in (2003, 2005, 2013) or "could not connect" in text or "connection to server" in text:
        return f"Cannot reach the database server at {where}."
    if "ssl" in text:
        return f"The secure connection to {where} failed (check sslmode)."
    if "permission denied" in text:
        return "The database user may not read this (permission denied)."
    return f"The database answered with an error ({type(original).__name__})."


def _server_label(connection) -> str:
    dialect = connection.dialect
    name = {
        "postgresql": "PostgreSQL",
        "mysql": "MySQL/MariaDB",
        "mariadb": "MariaDB",
        "sqlite": "SQLite",
    }.get(dialect.name, dialect.name)
    version = ".".join(str(part) for part in (dialect.server_version_info or ()) if isinstance(part, int))
    return f"{name} {version}".strip()


def sql_connection_test(url) -> dict:
    """Connect, run SELECT 1 and count the tables visible; returns {"ok", "message", "server", "tables"}."""
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        engine = _engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                server = _server_label(connection)
                inspector = inspect(connection)
                tables = sum(
                    len(inspector.get_table_names(schema=schema))
                    for schema in _schemas(inspector, connection.dialect.name, {})
                )
        finally:
            engine.dispose()
    except ConnectorError:
        raise
    except (SQLAlchemyError, OSError, ValueError) as error:
        raise ConnectorError(describe_error(error, url)) from None
    who = f" as {url.username}" if url.username else ""
    return {
        "ok": True,
        "message": f"Connected to {server}{who}: {tables} table{'s' if tables != 1 else ''} visible.",
        "server": server,
        "tables": tables,
    }


def _schemas(inspector, dialect: str, options: dict) -> list[str | None]:
    """The schemas a sync reads: the chosen ones, else the default (on PostgreSQL: all user schemas)."""
    chosen = [str(schema) for schema in (options.get("schemas") or []) if str(schema).strip()]
    if chosen:
        return chosen
    if dialect == "postgresql":
        return sorted(
            name
            for name in inspector.get_schema_names()
            if name not in SYSTEM_SCHEMAS and not name.startswith("pg_")
        )
    return [None]  # MySQL: the URL's database; SQLite: main


def _type_name(column_type, dialect) -> str:
    try:
        return str(column_type.compile(dialect=dialect)).lower()[:100]
    except Exception:  # a type the dialect cannot render (custom or reflected as NullType)
        return type(column_type).__name__.lower()[:100]


def table_fingerprint(schema: list[dict], row_count: int | None) -> str:
    """A table's content hash: sha256 over its schema and row count (see the module docstring)."""
    payload = json.dumps({"schema": schema, "rows": row_count}, sort_keys=True, separators=(",", ":"))
    return "table:" + hashlib.sha256(payload.encode()).hexdigest()


def sql_introspect(
    url, *, options: dict | None = None, progress: Callable[[int, int, str], None] | None = None
) -> tuple[list[TableInfo], list[dict]]:
    """Every table's schema and row count (COUNT(*) in the database); returns (tables, per-table errors)."""
    from sqlalchemy import func, inspect, select, table
    from sqlalchemy.exc import SQLAlchemyError

    options = options or {}
    found: list[TableInfo] = []
    errors: list[dict] = []
    try:
        engine = _engine(url)
        try:
            with engine.connect() as connection:
                dialect = connection.dialect
                inspector = inspect(connection)
                default_schema = inspector.default_schema_name
                names = [
                    (schema, name)
                    for schema in _schemas(inspector, dialect.name, options)
                    for name in inspector.get_table_names(schema=schema)
                ][:MAX_TABLES]
                for index, (schema, name) in enumerate(names):
                    qualified = (
                        name
                        if schema in (None, default_schema) or dialect.name == "sqlite"
                        else f"{schema}.{name}"
                    )
                    path = name if dialect.name == "sqlite" else f"{schema or default_schema}.{name}"
                    if progress:
                        progress(index, len(names), qualified)
                    try:
                        columns = [
                            {
                                "name": str(column["name"]),
                                "type": _type_name(column["type"], dialect),
                                "nullable": bool(column.get("nullable", True)),
                            }
                            for column in inspector.get_columns(name, schema=schema)
                        ]
                        rows = connection.execute(
                            select(func.count()).select_from(table(name, schema=schema))
                        ).scalar_one()
                    except SQLAlchemyError as error:
                        connection.rollback()
                        errors.append({"path": path, "message": describe_error(error, url)})
                        continue
                    found.append(
                        TableInfo(
                            path=path,
                            name=qualified,
                            schema=columns,
                            row_count=int(rows),
                            content_hash=table_fingerprint(columns, int(rows)),
                            format="table",
                        )
                    )
        finally:
            engine.dispose()
    except ConnectorError:
        raise
    except (SQLAlchemyError, OSError, ValueError) as error:
        raise ConnectorError(describe_error(error, url)) from None
    return found, errors
