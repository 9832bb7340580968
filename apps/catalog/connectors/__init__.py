"""Readers for what sources point at: files (CSV, Parquet) and SQL databases (SQLAlchemy).

Connectors know nothing of models: they take a file, a folder or a URL and return plain
descriptions (schema, row count, content hash). Every failure a person should read is a
`ConnectorError` whose message says what is wrong and what to do — never SQL, a stack
trace or a password.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ConnectorError(Exception):
    """A failure meant for people: the message is shown as is."""


@dataclass
class TableInfo:
    """What a sync learns about one table or file."""

    path: str  # "schema.table" or a file's path relative to its folder
    name: str  # a person-readable dataset name
    schema: list[dict] = field(default_factory=list)
    row_count: int | None = None
    content_hash: str = ""
    size_bytes: int | None = None
    format: str = ""
