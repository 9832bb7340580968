"""PostgreSQL full-text search: the stored tsvector with its GIN index, used by the ranking (services run)."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.search.backends import PostgresFtsBackend, backend
from apps.search.selectors import SearchFilters, search_hits, search_ranked
from tests.services import require_services

pytestmark = [pytest.mark.django_db, pytest.mark.services]


@pytest.fixture(autouse=True)
def postgres():
    require_services()


def test_postgres_uses_the_stored_vector_and_its_gin_index(catalog):
    assert isinstance(backend(), PostgresFtsBackend)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'search_searchdocument' "
            "AND indexname = 'search_document_vector_gin'"
        )
        assert "gin (search_vector)" in cursor.fetchone()[0].lower()
        cursor.execute(
            "SELECT count(*) FROM search_searchdocument "
            "WHERE search_vector @@ to_tsquery('english', 'card:*')"
        )
        assert cursor.fetchone()[0] >= 2


def test_postgres_ranks_title_matches_first_with_prefixes_and_stemming(alice, catalog):
    hits = search_hits(
        search_ranked(user=alice, text="card transac", filters=SearchFilters()), text="card transac"
    )
    assert hits[0].name == "Card transactions"
    assert "Merchant list" in [hit.name for hit in hits]
    assert hits[0].score > hits[-1].score


def test_postgres_filters_permissions_before_matching(bob, catalog):
    hits = search_hits(
        search_ranked(user=bob, text="transactions", filters=SearchFilters()), text="transactions"
    )
    assert {hit.name for hit in hits} == {"Merchant list", "Warehouse transactions"}


def test_the_planner_can_use_the_gin_index(root, catalog):
    # Tiny tables: forbid sequential and plain index scans (a walk of the primary key with a
    # filter is otherwise as cheap here, depending on the statistics the other tests left), so
    # the plan shows which index serves the match: a GIN index is read by a bitmap scan.
    query = search_ranked(user=root, text="card", filters=SearchFilters()).query
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        sql, params = query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_indexscan = on")
        cursor.execute("SET enable_seqscan = on")
    assert "search_document_vector_gin" in plan
