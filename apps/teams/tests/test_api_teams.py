"""/api/v1/teams/, /api/v1/memberships/ and /api/v1/me/ with the fixed cast."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.teams.models import Membership, Team
from apps.teams.services import membership_set, team_create

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- teams ------------------------------------------------------------------


def test_every_signed_in_user_lists_every_team_with_member_counts(bob, alice, olivia):
    body = client_for(bob).get("/api/v1/teams/").json()
    assert body["count"] == 2
    counts = {team["slug"]: team["member_count"] for team in body["results"]}
    assert counts == {"fraud-analytics": 2, "data-platform": 1}


def test_a_team_is_retrieved_by_slug_with_its_description_rendered(bob, fraud_team, root):
    client_for(root).patch("/api/v1/teams/fraud-analytics/", {"description": "**Fraud** <script>x</script>"})
    body = client_for(bob).get("/api/v1/teams/fraud-analytics/").json()
    assert body["name"] == "Fraud Analytics"
    assert "<strong>Fraud</strong>" in body["description_html"]
    assert "<script>" not in body["description_html"]


def test_only_a_superuser_creates_teams(root, olivia):
    payload = {"name": "IT Operations", "kind": "it_operations"}
    assert client_for(olivia).post("/api/v1/teams/", payload).status_code == 403
    response = client_for(root).post("/api/v1/teams/", payload)
    assert response.status_code == 201
    assert response.json()["slug"] == "it-operations"
    team = Team.objects.get(slug="it-operations")
    assert team.history.get().history_user == root


def test_creating_a_team_with_bad_fields_is_a_field_level_400(root, fraud_team):
    response = client_for(root).post("/api/v1/teams/", {"name": "Fraud Analytics", "kind": "astrology"})
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"name", "kind"}


def test_the_data_officer_edits_the_team_and_history_names_them(olivia, fraud_team):
    response = client_for(olivia).patch("/api/v1/teams/fraud-analytics/", {"description": "We catch fraud."})
    assert response.status_code == 200
    assert response.json()["description"] == "We catch fraud."
    assert fraud_team.history.latest().history_user == olivia


def test_a_member_without_the_manage_right_gets_403_on_edit(alice, fraud_team):
    assert client_for(alice).patch("/api/v1/teams/fraud-analytics/", {"description": "x"}).status_code == 403


def test_another_teams_member_gets_403_on_edit_since_teams_are_visible(bob, fraud_team):
    assert client_for(bob).patch("/api/v1/teams/fraud-analytics/", {"description": "x"}).status_code == 403


def test_teams_cannot_be_deleted_through_the_api(root, fraud_team):
    response = client_for(root).delete("/api/v1/teams/fraud-analytics/")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_the_team_list_runs_a_fixed_number_of_queries(root, django_assert_num_queries):
    client = client_for(root)
    for n in range(2):
        team_create(name=f"Team {n}", kind="business", by=root)
    # count, page of teams with member counts
    with django_assert_num_queries(2):
        assert client.get("/api/v1/teams/").json()["count"] == 2
    for n in range(2, 12):
        team_create(name=f"Team {n}", kind="business", by=root)
    with django_assert_num_queries(2):
        assert client.get("/api/v1/teams/").json()["count"] == 12


# --- memberships --------------------------------------------------------------


def test_memberships_are_filterable_by_team_user_and_role(bob, alice, olivia, ann):
    client = client_for(bob)
    assert client.get("/api/v1/memberships/", {"team": "fraud-analytics"}).json()["count"] == 3
    assert [m["team"] for m in client.get("/api/v1/memberships/", {"user": "bob"}).json()["results"]] == [
        "data-platform"
    ]
    analysts = client.get("/api/v1/memberships/", {"role": "analyst"}).json()["results"]
    assert [m["user"] for m in analysts] == ["ann"]


def test_an_unknown_role_filter_is_a_field_level_400(alice):
    response = client_for(alice).get("/api/v1/memberships/", {"role": "wizard"})
    assert response.status_code == 400
    assert "role" in response.json()["fields"]


def test_the_data_officer_adds_changes_and_removes_members(olivia, bob, fraud_team):
    client = client_for(olivia)
    response = client.post(
        "/api/v1/memberships/", {"team": "fraud-analytics", "user": "bob", "role": "analyst"}
    )
    assert response.status_code == 201, response.json()
    membership = Membership.objects.get(team=fraud_team, user=bob)
    assert bob.groups.filter(pk=fraud_team.group_id).exists()
    assert membership.history.latest().history_user == olivia

    response = client.patch(f"/api/v1/memberships/{membership.pk}/", {"role": "data_engineer"})
    assert response.status_code == 200
    assert response.json()["role"] == "data_engineer"

    assert client.delete(f"/api/v1/memberships/{membership.pk}/").status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert not bob.groups.filter(pk=fraud_team.group_id).exists()
    assert Membership.history.filter(id=membership.pk, history_type="-").get().history_user == olivia


def test_a_member_who_is_not_the_data_officer_may_not_add_members(alice, bob, fraud_team):
    response = client_for(alice).post(
        "/api/v1/memberships/", {"team": "fraud-analytics", "user": "bob", "role": "analyst"}
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(team=fraud_team, user=bob).exists()


def test_another_teams_member_may_not_change_or_remove_memberships(bob, alice, fraud_team):
    membership = Membership.objects.get(team=fraud_team, user=alice)
    client = client_for(bob)
    assert client.patch(f"/api/v1/memberships/{membership.pk}/", {"role": "analyst"}).status_code == 403
    assert client.delete(f"/api/v1/memberships/{membership.pk}/").status_code == 403
    membership.refresh_from_db()
    assert membership.role == "data_scientist"


def test_a_membership_cannot_move_to_another_team_or_user(olivia, alice, fraud_team, platform_team):
    membership = Membership.objects.get(team=fraud_team, user=alice)
    response = client_for(olivia).patch(
        f"/api/v1/memberships/{membership.pk}/", {"team": "data-platform", "user": "olivia"}
    )
    assert response.status_code == 200
    membership.refresh_from_db()
    assert (membership.team, membership.user) == (fraud_team, alice)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"team": "no-such-team", "user": "bob", "role": "analyst"}, "team"),
        ({"team": "fraud-analytics", "user": "nobody", "role": "analyst"}, "user"),
        ({"team": "fraud-analytics", "user": "bob", "role": "wizard"}, "role"),
        ({"team": "fraud-analytics", "user": "alice", "role": "analyst"}, "user"),
        ({"team": "fraud-analytics", "user": "bob"}, "role"),
    ],
)
def test_bad_membership_input_is_a_field_level_400(olivia, alice, bob, payload, field):
    response = client_for(olivia).post("/api/v1/memberships/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_the_membership_list_runs_a_fixed_number_of_queries(
    root, fraud_team, make_user, django_assert_num_queries
):
    client = client_for(root)
    for n in range(2):
        membership_set(team=fraud_team, user=make_user(f"user{n}"), role="analyst", by=root)
    # count, page of memberships joined to team and user
    with django_assert_num_queries(2):
        assert client.get("/api/v1/memberships/").json()["count"] == 2
    for n in range(2, 12):
        membership_set(team=fraud_team, user=make_user(f"user{n}"), role="analyst", by=root)
    with django_assert_num_queries(2):
        assert client.get("/api/v1/memberships/").json()["count"] == 12


# --- me -----------------------------------------------------------------------


def test_me_shows_my_teams_roles_and_allowed_actions(alice, platform_team, root):
    membership_set(team=platform_team, user=alice, role="analyst", by=root)
    body = client_for(alice).get("/api/v1/me/").json()
    assert body["username"] == "alice"
    roles = {m["team"]["slug"]: (m["role"], m["actions"]) for m in body["memberships"]}
    assert roles["data-platform"] == ("analyst", ["view"])
    assert roles["fraud-analytics"][0] == "data_scientist"
    assert "add" in roles["fraud-analytics"][1]
    assert "password" not in body


def test_me_runs_the_same_queries_whatever_the_number_of_teams(alice, root):
    client = client_for(alice)
    with CaptureQueriesContext(connection) as one_team:
        client.get("/api/v1/me/")
    for n in range(5):
        membership_set(
            team=team_create(name=f"Team {n}", kind="business", by=root), user=alice, role="analyst", by=root
        )
    with CaptureQueriesContext(connection) as six_teams:
        assert len(client.get("/api/v1/me/").json()["memberships"]) == 6
    assert len(six_teams) == len(one_team) == 2


def test_me_is_read_only(alice):
    assert client_for(alice).post("/api/v1/me/", {}).status_code == 405
