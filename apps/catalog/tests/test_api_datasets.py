"""/api/v1/datasets/: reads through restrict, writes through services, errors per field."""

import pytest
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from apps.catalog import services
from apps.catalog.models import Dataset

pytestmark = pytest.mark.django_db

LIST = "/api/v1/datasets/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def detail(dataset) -> str:
    return f"/api/v1/datasets/{dataset.pk}/"


# --- who sees what ------------------------------------------------------------


def test_the_outsider_never_sees_another_teams_private_dataset(bob, private_dataset, internal_dataset):
    client = client_for(bob)
    body = client.get(LIST).json()
    assert body["count"] == 1
    assert [d["slug"] for d in body["results"]] == ["merchant-list"]
    assert client.get(LIST, {"search": "Card"}).json()["count"] == 0
    assert client.get(LIST, {"team": "fraud-analytics", "visibility": "private"}).json()["count"] == 0
    response = client.get(detail(private_dataset))
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not found."}


def test_the_outsider_gets_404_not_403_when_writing_a_private_dataset(bob, private_dataset):
    client = client_for(bob)
    assert client.patch(detail(private_dataset), {"name": "mine"}, format="json").status_code == 404
    assert client.put(detail(private_dataset), {"name": "mine"}, format="json").status_code == 404
    assert client.delete(detail(private_dataset)).status_code == 404
    assert Dataset.objects.filter(pk=private_dataset.pk, name="Card transactions").exists()


def test_the_outsider_gets_403_when_changing_an_internal_dataset_they_can_see(bob, internal_dataset):
    response = client_for(bob).patch(detail(internal_dataset), {"name": "mine"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_the_analyst_sees_the_private_dataset_but_gets_403_on_change_and_delete(ann, private_dataset):
    client = client_for(ann)
    assert client.get(detail(private_dataset)).status_code == 200
    assert client.patch(detail(private_dataset), {"name": "renamed"}, format="json").status_code == 403
    assert client.delete(detail(private_dataset)).status_code == 403
    private_dataset.refresh_from_db()
    assert private_dataset.name == "Card transactions"


def test_a_guardian_grant_opens_one_dataset_to_the_outsider(bob, private_dataset):
    assign_perm("view_dataset", bob, private_dataset)
    client = client_for(bob)
    assert client.get(detail(private_dataset)).status_code == 200
    assert client.patch(detail(private_dataset), {"name": "x"}, format="json").status_code == 403


def test_anonymous_requests_are_401(private_dataset):
    assert APIClient().get(LIST).status_code == 401
    assert APIClient().get(detail(private_dataset)).status_code == 401


# --- writes ---------------------------------------------------------------------


def test_a_member_creates_a_dataset_with_a_slug_from_its_name(alice, fraud_team):
    payload = {"team": "fraud-analytics", "name": "Chargebacks 2024", "description": "# Chargebacks"}
    response = client_for(alice).post(LIST, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "chargebacks-2024"
    assert body["visibility"] == "private"
    assert body["team"] == "fraud-analytics"
    assert "<h1>Chargebacks</h1>" in body["description_html"]
    dataset = Dataset.objects.get(pk=body["id"])
    assert dataset.history.get().history_user == alice


def test_a_name_that_slugifies_like_another_gets_a_distinct_slug(alice, private_dataset):
    payload = {"team": "fraud-analytics", "name": "Card transactions!"}
    response = client_for(alice).post(LIST, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["slug"] == "card-transactions-2"


def test_a_duplicate_name_in_the_same_team_is_a_400_on_name(alice, private_dataset):
    payload = {"team": "fraud-analytics", "name": "card transactions"}
    response = client_for(alice).post(LIST, payload, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["name"]


def test_description_html_is_sanitized(alice, fraud_team):
    payload = {
        "team": "fraud-analytics",
        "name": "Evil",
        "description": "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
    }
    html = client_for(alice).post(LIST, payload, format="json").json()["description_html"]
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "<img" not in html


def test_creating_in_a_team_without_the_add_right_is_a_400_on_team(ann, bob, fraud_team):
    for user in (ann, bob):
        response = client_for(user).post(LIST, {"team": "fraud-analytics", "name": "Nope"}, format="json")
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["team"]
    assert not Dataset.objects.filter(name="Nope").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "No team"}, "team"),
        ({"team": "no-such-team", "name": "x"}, "team"),
        ({"team": "fraud-analytics"}, "name"),
        ({"team": "fraud-analytics", "name": ""}, "name"),
        ({"team": "fraud-analytics", "name": "x" * 201}, "name"),
        ({"team": "fraud-analytics", "name": "x", "visibility": "public"}, "visibility"),
        ({"team": ["fraud-analytics"], "name": "x"}, "team"),
    ],
)
def test_bad_dataset_input_is_a_field_level_400(alice, payload, field):
    response = client_for(alice).post(LIST, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert field in body["fields"]


def test_malformed_json_is_a_400_not_a_500(alice):
    response = client_for(alice).post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "malformed"


def test_an_unsupported_media_type_is_a_415(alice):
    response = client_for(alice).post(LIST, "<x/>", content_type="application/xml")
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


def test_a_member_edits_a_dataset_and_history_names_the_api_user(alice, private_dataset):
    response = client_for(alice).patch(
        detail(private_dataset), {"description": "Updated", "visibility": "internal"}, format="json"
    )
    assert response.status_code == 200
    private_dataset.refresh_from_db()
    assert (private_dataset.description, private_dataset.visibility) == ("Updated", "internal")
    latest = private_dataset.history.latest()
    assert latest.history_user == alice
    assert latest.history_type == "~"


def test_history_through_a_bearer_token_names_the_token_owner(alice, private_dataset):
    from apps.teams.services import token_issue

    _, raw = token_issue(user=alice, name="ci")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.patch(detail(private_dataset), {"domain": "payments"}, format="json").status_code == 200
    assert private_dataset.history.latest().history_user == alice


def test_a_datasets_team_cannot_be_changed(alice, private_dataset, platform_team):
    response = client_for(alice).patch(detail(private_dataset), {"team": "data-platform"}, format="json")
    assert response.status_code == 400
    assert "team" in response.json()["fields"]


def test_a_data_engineer_deletes_and_history_keeps_a_deletion_row(
    root, fraud_team, make_user, private_dataset
):
    from apps.teams.services import membership_set

    erin = make_user("erin")
    membership_set(team=fraud_team, user=erin, role="data_engineer", by=root)
    assert client_for(erin).delete(detail(private_dataset)).status_code == 204
    assert not Dataset.objects.filter(pk=private_dataset.pk).exists()
    deletion = Dataset.history.filter(id=private_dataset.pk, history_type="-").get()
    assert deletion.history_user == erin


def test_a_data_scientist_may_not_delete(alice, private_dataset):
    assert client_for(alice).delete(detail(private_dataset)).status_code == 403


# --- lists ---------------------------------------------------------------------


def test_datasets_filter_by_team_visibility_and_name(alice, private_dataset, internal_dataset):
    client = client_for(alice)
    assert client.get(LIST, {"visibility": "internal"}).json()["count"] == 1
    assert client.get(LIST, {"name": "card"}).json()["results"][0]["slug"] == "card-transactions"
    assert client.get(LIST, {"team": "data-platform"}).json()["count"] == 0
    names = [d["name"] for d in client.get(LIST, {"ordering": "-name"}).json()["results"]]
    assert names == ["Merchant list", "Card transactions"]


def test_an_invalid_filter_value_is_a_field_level_400(alice):
    response = client_for(alice).get(LIST, {"visibility": "everyone"})
    assert response.status_code == 400
    assert "visibility" in response.json()["fields"]


def test_an_invalid_page_is_a_json_404(alice, private_dataset):
    response = client_for(alice).get(LIST, {"page": 99})
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_page_size_is_capped(alice, private_dataset):
    body = client_for(alice).get(LIST, {"page_size": 100000}).json()
    assert body["count"] == 1


def test_the_dataset_list_runs_a_fixed_number_of_queries(alice, fraud_team, django_assert_num_queries):
    client = client_for(alice)

    def add(n):
        for i in range(n):
            services.dataset_create(team=fraud_team, by=alice, name=f"Dataset {Dataset.objects.count()} {i}")

    add(2)
    # count, page of datasets joined to their team (restrict is a subquery, not extra queries)
    with django_assert_num_queries(2):
        assert client.get(LIST).json()["count"] == 2
    add(20)
    with django_assert_num_queries(2):
        assert client.get(LIST).json()["count"] == 22
