"""The bulk path: search_reindex rebuilds what signals would have written, and picks up bulk inserts."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from apps.catalog.models import Column, Dataset
from apps.search.models import SearchDocument, SearchFacetValue
from apps.search.selectors import SearchFilters, search_matching

pytestmark = pytest.mark.django_db


def snapshot():
    documents = sorted(
        SearchDocument.objects.values_list(
            "asset_type", "object_id", "title", "body", "team_id", "visibility", "url"
        )
    )
    facets = sorted(
        SearchFacetValue.objects.values_list("document__asset_type", "document__object_id", "facet", "value")
    )
    return documents, facets


def test_reindexing_rebuilds_the_same_index(catalog):
    before = snapshot()
    out = io.StringIO()
    call_command("search_reindex", "--batch-size", "2", stdout=out)
    assert snapshot() == before
    assert "catalog.dataset: 3 documents" in out.getvalue()


def test_reindexing_picks_up_rows_inserted_in_bulk(alice, fraud_team, catalog):
    dataset = Dataset.objects.bulk_create(
        [Dataset(team=fraud_team, name="Bulk ledger", slug="bulk-ledger", visibility="internal")]
    )[0]
    Column.objects.bulk_create([Column(dataset=dataset, name="bulk_amount")])
    assert not search_matching(user=alice, text="bulk", filters=SearchFilters()).exists()
    call_command(
        "search_reindex", "--type", "catalog.dataset", "--type", "catalog.column", stdout=io.StringIO()
    )
    assert search_matching(user=alice, text="bulk", filters=SearchFilters()).count() == 2
    assert search_matching(user=alice, text="chargeback", filters=SearchFilters()).count() == 3


def test_an_unknown_type_is_a_clear_error(db):
    with pytest.raises(CommandError, match="Unknown type"):
        call_command("search_reindex", "--type", "catalog.nothing")
