"""Full-text matching and ranking per database: PostgreSQL FTS, SQLite FTS5, or a plain fallback.

Every backend turns the typed text into prefix terms (as-you-type: "transac" finds
"transactions"), keeps the documents matching all of them, and ranks them without
corpus-wide statistics (a rank that counted other teams' private documents would
leak them): title matches before body matches.
"""

from __future__ import annotations

import functools
import re
import sqlite3

from django.conf import settings
from django.db import connection
from django.db.models import Case, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import Expression, RawSQL

FTS_TABLE = "search_fts"
MATCH_SQL = "SELECT rowid FROM search_fts WHERE search_fts MATCH %s"
MAX_TERMS = 8
TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def terms(text: str) -> list[str]:
    """The words of a query, lower-cased, at most MAX_TERMS (punctuation never reaches SQL)."""
    return [word.lower() for word in TOKEN.findall(text or "")][:MAX_TERMS]


@functools.cache
def fts5_available() -> bool:
    """Whether this SQLite library has FTS5 (asked of the library, not the database: no query)."""
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE probe USING fts5(text)")
    except sqlite3.OperationalError:
        return False
    return True


class BasicBackend:
    """icontains on title and body: works everywhere, scans every visible row."""

    name = "basic"
    uses_access_tokens = False

    def match(self, documents: QuerySet, words: list[str], access: list[str] | None = None) -> QuerySet:
        for word in words:
            documents = documents.filter(Q(title__icontains=word) | Q(body__icontains=word))
        return documents

    def rank(self, documents: QuerySet, words: list[str]) -> QuerySet:
        in_title = Q()
        for word in words:
            in_title &= Q(title__icontains=word)
        return documents.annotate(
            score=Case(
                When(title__iexact=" ".join(words), then=Value(3.0)),
                When(in_title, then=Value(2.0)),
                default=Value(1.0),
                output_field=FloatField(),
            )
        )


class SqliteFtsBackend(BasicBackend):
    """SQLite FTS5 (porter stemming, prefix terms) over an external-content table kept by triggers.

    The FTS table also indexes each document's access as tokens (migration 0003), so the match
    can apply the permission rule inside the inverted index: only visible matches are read.
    """

    name = "fts5"
    uses_access_tokens = True

    @staticmethod
    def expression(words: list[str], column: str = "{title body}", access: list[str] | None = None) -> str:
        # Words are [^\W_]+ only, so quoting them is enough to keep FTS5 syntax out; tokens are ours.
        phrase = " ".join(f'"{word}"*' for word in words)
        expression = f"{column} : ({phrase})"
        if access is not None:
            expression += " AND acl : (" + (" OR ".join(f'"{token}"' for token in access) or '"none"') + ")"
        return expression

    def match(self, documents: QuerySet, words: list[str], access: list[str] | None = None) -> QuerySet:
        expression = self.expression(words, access=access)
        return documents.filter(id__in=RawSQL(MATCH_SQL, [expression]))  # noqa: S611 - bound parameter

    def rank(self, documents: QuerySet, words: list[str]) -> QuerySet:
        title_hits = RawSQL(MATCH_SQL, [self.expression(words, "title")])  # noqa: S611 - bound parameter
        return documents.annotate(
            score=Case(
                When(title__iexact=" ".join(words), then=Value(3.0)),
                When(id__in=title_hits, then=Value(2.0)),
                default=Value(1.0),
                output_field=FloatField(),
            )
        )


class StoredVector(Expression):
    """The search table's `search_vector` column (added by migration 0002 on PostgreSQL only, so it is
    not a model field), referenced through the query's alias so it also works inside subqueries."""

    def __init__(self, alias: str | None = None):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())
        self.alias = alias

    def resolve_expression(self, query=None, *args, **kwargs):
        clone = self.copy()
        clone.alias = query.get_initial_alias() if query is not None else self.alias
        return clone

    def relabeled_clone(self, change_map):
        return self.__class__(change_map.get(self.alias, self.alias))

    def as_sql(self, compiler, connection):
        column = connection.ops.quote_name("search_vector")
        return f"{compiler.quote_name_unless_alias(self.alias)}.{column}", []

    def get_group_by_cols(self):
        return [self]


class PostgresFtsBackend(BasicBackend):
    """PostgreSQL full-text search on the stored, GIN-indexed `search_vector` (title weight A, body B)."""

    name = "postgres"
    config = "english"
    uses_access_tokens = True

    @staticmethod
    def vector():
        return StoredVector()

    def query(self, words: list[str]):
        from django.contrib.postgres.search import SearchQuery

        # Weights A (title) and B (body) only: D holds the access tokens (migration 0004).
        return SearchQuery(" & ".join(f"{word}:*AB" for word in words), config=self.config, search_type="raw")

    def match(self, documents: QuerySet, words: list[str], access: list[str] | None = None) -> QuerySet:
        from django.contrib.postgres.search import SearchQuery

        query = self.query(words)
        if access is not None:
            tokens = " | ".join(f"{token}:D" for token in access) or "none:D"
            query = query & SearchQuery(tokens, config="simple", search_type="raw")
        return documents.alias(search_vector=self.vector()).filter(search_vector=query)

    def rank(self, documents: QuerySet, words: list[str]) -> QuerySet:
        from django.contrib.postgres.search import SearchRank

        # ts_rank reads only the document itself (no corpus statistics), so ranks cannot leak.
        return documents.annotate(
            score=SearchRank(self.vector(), self.query(words), weights=[0.1, 0.2, 0.4, 1.0])
            + Case(When(title__iexact=" ".join(words), then=Value(1.0)), default=Value(0.0))
        )


def access_token(kind: str, value) -> str:
    """One FTS5 access token, as migration 0003's view derives them (letters and digits only)."""
    if kind == "visibility":
        return f"v{value}"
    if kind == "team":
        return f"t{value}"
    label, object_id = value
    return f"a{label.replace('.', '')}x{object_id}"


def backend() -> BasicBackend:
    """The backend for the default database (settings.SEARCH_BACKEND may force one: basic, fts5, postgres)."""
    forced = getattr(settings, "SEARCH_BACKEND", "auto")
    if forced == "basic":
        return BasicBackend()
    if connection.vendor == "postgresql":
        return PostgresFtsBackend()
    if connection.vendor == "sqlite" and fts5_available():
        return SqliteFtsBackend()
    return BasicBackend()
