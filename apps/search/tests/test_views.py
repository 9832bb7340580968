"""The search page and its htmx partial: hits, facets, empty states, fixed query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.catalog.models import Column
from apps.catalog.services import dataset_create
from apps.search.backends import backend  # noqa: E402

pytestmark = pytest.mark.django_db


def test_the_page_asks_for_words_before_searching(client, alice):
    client.force_login(alice)
    response = client.get(reverse("search:search"))
    assert response.status_code == 200
    assert "Find data, terms and models" in response.content.decode()
    assert 'hx-trigger="keyup changed delay:250ms' in response.content.decode()


def test_the_page_lists_hits_with_type_team_snippet_and_link(client, alice, catalog):
    client.force_login(alice)
    response = client.get(reverse("search:search"), {"q": "card"})
    body = response.content.decode()
    assert response.status_code == 200
    assert f'href="/catalog/datasets/{catalog["cards"].pk}/"' in body
    assert "Fraud Analytics" in body
    assert "ti ti-table" in body
    assert "<mark>card</mark>" in body.lower()
    assert 'data-facet="type"' in body and 'data-facet="tag"' in body


def test_an_htmx_request_gets_only_the_results(client, alice, catalog):
    client.force_login(alice)
    response = client.get(reverse("search:search"), {"q": "card"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert "Card transactions" in body


def test_no_result_says_what_to_try(client, alice, catalog):
    client.force_login(alice)
    response = client.get(reverse("search:search"), {"q": "zebra"})
    assert "Nothing found for “zebra”" in response.content.decode()


def test_facet_links_toggle_their_value(client, alice, catalog):
    client.force_login(alice)
    response = client.get(reverse("search:search"), {"q": "transactions", "tag": "pii"})
    facets = {f.value: f for f in response.context["facets"]["tag"]}
    assert facets["pii"].selected and "tag=pii" not in facets["pii"].url
    assert "tag=finance" in facets["finance"].url and "tag=pii" in facets["finance"].url


def test_bobs_page_shows_nothing_of_alices_private_dataset(client, bob, catalog):
    client.force_login(bob)
    body = client.get(reverse("search:search"), {"q": "card transactions"}).content.decode()
    assert f"/catalog/datasets/{catalog['cards'].pk}/" not in body
    assert "pii" not in body
    assert "Merchant list" in body


def test_strange_input_never_fails(client, alice, catalog):
    client.force_login(alice)
    for query in (
        {"q": "a" * 5000},
        {"q": "\x00"},
        {"page": "x", "q": "card"},
        {"page": "999", "q": "card"},
        {"type": ["", "x"]},
    ):
        assert client.get(reverse("search:search"), query).status_code == 200


def test_the_top_bar_search_box_submits_to_the_search_page(client, alice):
    client.force_login(alice)
    body = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("search:search")}"' in body


def _grow(fraud_team, alice, count: int) -> None:
    for index in range(count):
        dataset = dataset_create(team=fraud_team, by=alice, name=f"Ledger {index}", visibility="internal")
        Column.objects.create(dataset=dataset, name=f"ledger_amount_{index}", data_type="double")


@pytest.mark.parametrize("size", [2, 30])
def test_the_page_runs_a_fixed_number_of_queries(
    client, alice, fraud_team, catalog, size, django_assert_num_queries
):
    _grow(fraud_team, alice, size)
    client.force_login(alice)
    # session, user; (full-text: the user's access tokens); type/team/status facets, the total,
    # tag/term facets and the page ids in one statement; the page rows
    with django_assert_num_queries(4 + backend().uses_access_tokens):
        response = client.get(reverse("search:search"), {"q": "ledger"})
    assert response.context["page_obj"].paginator.count == 2 * size


def test_every_page_shows_the_next_ranked_hits_and_a_page_past_the_end_shows_the_last(
    client, alice, fraud_team, catalog
):
    from apps.search.selectors import SearchFilters, search_ranked

    _grow(fraud_team, alice, 25)  # 50 "ledger" hits: pages of 20, 20, 10
    client.force_login(alice)
    ranked = [d.title for d in search_ranked(user=alice, text="ledger", filters=SearchFilters())]
    shown = []
    for number in ("1", "2", "3"):
        response = client.get(reverse("search:search"), {"q": "ledger", "page": number})
        shown += [hit.name for hit in response.context["hits"]]
    assert shown == ranked and len(shown) == 50
    past = client.get(reverse("search:search"), {"q": "ledger", "page": "99"})
    assert past.context["page_obj"].number == 3
    assert [hit.name for hit in past.context["hits"]] == ranked[40:]
    for junk in ("0", "-1", "x", "9" * 30):
        assert client.get(reverse("search:search"), {"q": "ledger", "page": junk}).status_code == 200
