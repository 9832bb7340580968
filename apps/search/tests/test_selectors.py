"""Ranking, facets and permission filtering of the one search, on whichever backend the database has."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from guardian.shortcuts import assign_perm, remove_perm

from apps.catalog.models import Column, Dataset, GlossaryTerm
from apps.catalog.services import dataset_delete, dataset_update
from apps.search.models import SearchDocument
from apps.search.selectors import SearchFilters, search_facets, search_hits, search_matching, search_ranked

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["auto", "basic"])
def search_backend(request, settings):
    """Each test on the database's full-text backend (FTS5 or PostgreSQL) and on the icontains fallback."""
    settings.SEARCH_BACKEND = request.param
    return request.param


def names(user, text, **filters):
    query = QueryDict(mutable=True)
    for key, values in filters.items():
        query.setlist(key, values if isinstance(values, list) else [values])
    ranked = search_ranked(user=user, text=text, filters=SearchFilters.from_query(query))
    return [hit.name for hit in search_hits(ranked, text=text)]


def facet_counts(user, text, facet, **filters):
    query = QueryDict(mutable=True)
    for key, value in filters.items():
        query.setlist(key, [value])
    facets = search_facets(user=user, text=text, filters=SearchFilters.from_query(query))
    return {count.value: count.count for count in facets[facet]}


def test_saving_a_dataset_indexes_it_with_its_columns_and_term(catalog):
    cards = catalog["cards"]
    types = set(
        SearchDocument.objects.filter(access_type="catalog.dataset", access_id=cards.pk).values_list(
            "asset_type", flat=True
        )
    )
    assert types == {"catalog.dataset", "catalog.column"}
    assert SearchDocument.objects.filter(asset_type="catalog.glossaryterm").count() == 1


def test_title_matches_rank_before_body_matches(alice, catalog):
    # "Merchant list" has "card transactions" in its description only.
    found = names(alice, "card transactions")
    assert found[0] == "Card transactions"
    assert "Merchant list" in found
    assert found.index("Card transactions") < found.index("Merchant list")


def test_prefixes_match_as_you_type(alice, catalog):
    assert "Card transactions" in names(alice, "transac")
    assert "chargeback_flag" in names(alice, "chargeb fla")


def test_every_word_must_match(alice, catalog):
    assert names(alice, "card warehouse") == []


def test_punctuation_and_operators_in_the_query_are_only_words(alice, catalog):
    for text in ['"card', "card OR", "NEAR(card", "card*:", "col:card", "-card", "'; drop table x; --", "∑≠"]:
        names(alice, text)  # no error from the full-text syntax


def test_an_empty_query_without_filters_finds_nothing(alice, catalog):
    assert names(alice, "") == []
    assert names(alice, "   ") == []


def test_an_empty_query_with_a_filter_lists_the_filtered_documents(alice, catalog):
    assert names(alice, "", tag="pii") == ["Card transactions"]


def test_bob_never_sees_alices_private_dataset_or_its_columns(bob, catalog):
    assert names(bob, "card transactions") == ["Merchant list"]
    assert names(bob, "chargeback flag") == []
    assert names(bob, "transaction amount") == []
    # His own private dataset is found.
    assert "Warehouse transactions" in names(bob, "transactions")


def test_bob_sees_no_trace_of_the_private_dataset_in_counts_or_facets(bob, catalog):
    # Merchant list and the (internal) term whose definition says "card issuer".
    assert search_matching(user=bob, text="card", filters=SearchFilters()).count() == 2
    assert facet_counts(bob, "card", "type") == {"catalog.dataset": 1, "catalog.glossaryterm": 1}
    assert facet_counts(bob, "card", "tag") == {"finance": 1}  # never "pii", only on the private one
    assert facet_counts(bob, "transactions", "team") == {"fraud-analytics": 1, "data-platform": 1}
    assert facet_counts(bob, "", "term", tag="pii") == {}
    # The term itself is internal: it is found, but not the private dataset's column carrying it.
    assert facet_counts(bob, "chargeback", "type") == {"catalog.glossaryterm": 1}


def test_a_grant_opens_the_dataset_and_its_columns_and_revoking_closes_them(bob, catalog):
    cards = catalog["cards"]
    assign_perm("catalog.view_dataset", bob, cards)
    assert "Card transactions" in names(bob, "card")
    assert "chargeback_flag" in names(bob, "chargeback flag")
    assert facet_counts(bob, "card", "tag") == {"finance": 2, "pii": 1}
    remove_perm("catalog.view_dataset", bob, cards)
    assert "Card transactions" not in names(bob, "card")


def test_a_grant_to_bobs_team_opens_it_too(bob, platform_team, catalog):
    assign_perm("catalog.view_dataset", platform_team.group, catalog["cards"])
    assert "transaction_amount" in names(bob, "transaction amount")


def test_making_the_dataset_internal_opens_its_columns(alice, bob, catalog):
    dataset_update(dataset=catalog["cards"], by=alice, visibility="internal")
    assert "transaction_amount" in names(bob, "transaction amount")


def test_renaming_a_dataset_reindexes_its_columns(alice, catalog):
    dataset_update(dataset=catalog["cards"], by=alice, name="Card payments")
    assert "transaction_amount" in names(alice, "payments amount")
    column = SearchDocument.objects.get(asset_type="catalog.column", title="transaction_amount")
    assert "Card payments" in column.body and "Card transactions" not in column.body


def test_deleting_a_dataset_removes_it_and_its_columns(alice, catalog):
    dataset_delete(dataset=catalog["cards"], by=alice)
    assert names(alice, "card transactions") == ["Merchant list"]
    assert not SearchDocument.objects.filter(
        asset_type="catalog.column", access_id=catalog["cards"].pk
    ).exists()


def test_facets_count_the_matches_with_the_other_facets_applied(alice, catalog):
    # Columns carry their dataset's name in their body.
    assert facet_counts(alice, "transactions", "type") == {"catalog.dataset": 2, "catalog.column": 2}
    # Choosing a type narrows the other facets but keeps every type selectable.
    assert facet_counts(alice, "transactions", "type", type="catalog.column") == {
        "catalog.dataset": 2,
        "catalog.column": 2,
    }
    assert facet_counts(alice, "transactions", "tag", type="catalog.dataset") == {"finance": 2, "pii": 1}
    assert facet_counts(alice, "chargeback", "term") == {"Chargeback": 3}


def test_filters_narrow_the_hits(alice, catalog):
    assert set(names(alice, "transactions", type="catalog.column")) == {
        "transaction_amount",
        "chargeback_flag",
    }
    assert names(alice, "transactions", team="fraud-analytics", tag="pii") == ["Card transactions"]
    assert names(alice, "transactions", term="Chargeback", type="catalog.dataset") == ["Card transactions"]
    assert names(alice, "transactions", type="no.such") == []


def test_the_index_agrees_with_restrict_for_every_user(alice, ann, bob, olivia, root, catalog):
    assign_perm("catalog.view_dataset", bob, catalog["cards"])
    for user in (alice, ann, bob, olivia, root):
        visible = set(
            SearchDocument.objects.filter(
                pk__in=search_matching(
                    user=user, text="", filters=SearchFilters(type=["catalog.dataset"])
                ).values("pk")
            ).values_list("object_id", flat=True)
        )
        assert visible == set(Dataset.objects.restrict(user).values_list("pk", flat=True)), user
        columns = set(
            search_matching(user=user, text="", filters=SearchFilters(type=["catalog.column"])).values_list(
                "object_id", flat=True
            )
        )
        assert columns == set(Column.objects.restrict(user).values_list("pk", flat=True)), user
        terms = set(
            search_matching(
                user=user, text="", filters=SearchFilters(type=["catalog.glossaryterm"])
            ).values_list("object_id", flat=True)
        )
        assert terms == set(GlossaryTerm.objects.restrict(user).values_list("pk", flat=True)), user


def test_snippets_show_the_words_around_the_match_escaped(alice, catalog):
    dataset_update(
        dataset=catalog["cards"],
        by=alice,
        description="<script>x</script> "
        + "filler words " * 30
        + "the chargeback ratio per issuer "
        + "tail " * 40,
    )
    hit = search_hits(search_ranked(user=alice, text="ratio", filters=SearchFilters()), text="ratio")[0]
    assert "ratio per issuer" in hit.snippet
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert "<mark>ratio</mark>" in hit.snippet_html
    plain = search_hits(search_ranked(user=alice, text="filler", filters=SearchFilters()), text="filler")[0]
    assert "<script>" not in plain.snippet_html and "&lt;" in plain.snippet_html


def test_full_text_matches_agree_with_the_plain_sql_rule(
    alice, ann, bob, olivia, root, platform_team, catalog
):
    # On FTS5 the access tokens prefilter inside the index; they must hide nothing the rule shows.
    from apps.search.backends import BasicBackend
    from apps.search.selectors import search_visible_documents

    assign_perm("catalog.view_dataset", bob, catalog["cards"])
    assign_perm("catalog.view_dataset", platform_team.group, catalog["merchants"])
    for user in (alice, ann, bob, olivia, root):
        for word in ("card", "transactions", "chargeback", "merchant", "stock"):
            found = set(
                search_matching(user=user, text=word, filters=SearchFilters()).values_list("pk", flat=True)
            )
            expected = BasicBackend().match(search_visible_documents(user=user), [word])
            assert found == set(expected.values_list("pk", flat=True)), (user, word)
