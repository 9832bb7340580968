"""GET /api/v1/search/: hits, facets, pagination, permission filtering, fixed query count."""

from __future__ import annotations

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from apps.catalog.models import Column
from apps.catalog.services import dataset_create
from apps.search.backends import backend  # noqa: E402

pytestmark = pytest.mark.django_db
URL = "/api/v1/search/"


def test_the_route_is_the_documented_path():
    assert reverse("search-list") == URL


def test_it_requires_a_signed_in_user(client, catalog):
    assert client.get(URL, {"q": "card"}).status_code in (401, 403)


def test_hits_have_type_name_team_url_score_and_snippet(client, alice, catalog):
    client.force_login(alice)
    data = client.get(URL, {"q": "card transactions"}).json()
    first = data["results"][0]
    assert first["name"] == "Card transactions"
    assert first["type"] == "catalog.dataset" and first["type_label"] == "Dataset"
    assert first["team"] == "Fraud Analytics" and first["team_slug"] == "fraud-analytics"
    assert first["url"] == f"/catalog/datasets/{catalog['cards'].pk}/"
    assert first["score"] > data["results"][-1]["score"]
    assert "fraud label" in first["snippet"] and "<mark>" not in first["snippet"]
    assert set(data["facets"]) == {"type", "team", "tag", "term", "status"}


def test_filters_by_type_team_tag_and_term(client, alice, catalog):
    client.force_login(alice)
    data = client.get(URL, {"q": "transactions", "type": "catalog.column"}).json()
    assert {hit["type"] for hit in data["results"]} == {"catalog.column"}
    data = client.get(URL, {"q": "transactions", "tag": "pii"}).json()
    assert [hit["name"] for hit in data["results"]] == ["Card transactions"]
    data = client.get(URL, {"q": "", "term": "Chargeback", "team": "fraud-analytics"}).json()
    assert data["count"] == 3  # the term, the dataset, the column


def test_bob_sees_none_of_alices_private_dataset_until_granted(client, bob, catalog):
    client.force_login(bob)
    data = client.get(URL, {"q": "card transactions"}).json()
    assert [hit["name"] for hit in data["results"]] == ["Merchant list"]
    assert data["count"] == 1
    assert {f["value"] for f in data["facets"]["tag"]} == {"finance"}
    assert str(catalog["cards"].pk) not in str([hit["url"] for hit in data["results"]])
    assign_perm("catalog.view_dataset", bob, catalog["cards"])
    data = client.get(URL, {"q": "card transactions"}).json()
    assert "Card transactions" in [hit["name"] for hit in data["results"]]


def test_pages_are_paginated(client, alice, fraud_team, catalog):
    for index in range(5):
        dataset_create(team=fraud_team, by=alice, name=f"Ledger {index}", visibility="private")
    client.force_login(alice)
    data = client.get(URL, {"q": "ledger", "page_size": 2}).json()
    assert data["count"] == 5 and len(data["results"]) == 2 and "page=2" in data["next"]
    assert client.get(URL, {"q": "ledger", "page": 99}).status_code == 404
    assert client.get(URL, {"q": "ledger", "page": "x"}).status_code == 404


def test_it_works_with_a_token(client, alice, catalog):
    from apps.teams.services import token_issue

    _, raw = token_issue(user=alice, name="search")
    response = client.get(URL, {"q": "card"}, headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200 and response.json()["count"] >= 1


@pytest.mark.parametrize("size", [2, 30])
def test_the_api_runs_a_fixed_number_of_queries(client, alice, fraud_team, size, django_assert_num_queries):
    for index in range(size):
        dataset = dataset_create(team=fraud_team, by=alice, name=f"Ledger {index}", visibility="internal")
        Column.objects.create(dataset=dataset, name=f"ledger_amount_{index}")
    client.force_login(alice)
    # session, user; (full-text: the user's access tokens); type/team/status facets, the total,
    # tag/term facets and the page ids in one statement; the page rows
    with django_assert_num_queries(4 + backend().uses_access_tokens):
        data = client.get(URL, {"q": "ledger", "page_size": 100}).json()
    assert data["count"] == 2 * size and len(data["results"]) == 2 * size


def test_api_pages_follow_the_ranking_and_a_page_past_the_end_is_a_404(client, alice, fraud_team):
    from apps.search.selectors import SearchFilters, search_ranked

    for index in range(7):
        dataset = dataset_create(team=fraud_team, by=alice, name=f"Ledger {index}", visibility="internal")
        Column.objects.create(dataset=dataset, name=f"ledger_amount_{index}")
    client.force_login(alice)
    ranked = [d.title for d in search_ranked(user=alice, text="ledger", filters=SearchFilters())]
    shown = []
    for number in (1, 2, 3):
        data = client.get(URL, {"q": "ledger", "page_size": 5, "page": number}).json()
        assert data["count"] == 14
        shown += [hit["name"] for hit in data["results"]]
    assert shown == ranked
    assert client.get(URL, {"q": "ledger", "page_size": 5, "page": 4}).status_code == 404
    assert client.get(URL, {"q": "ledger", "page": "x"}).status_code == 404
