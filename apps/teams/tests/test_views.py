"""Team pages: the directory, a team's tabs and history, member management, the roles table."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from apps.core.permissions import Action, permission_table
from apps.teams.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def team_url(team, **query):
    url = reverse("teams:team_detail", kwargs={"slug": team.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# --- directory --------------------------------------------------------------------


def test_the_directory_lists_every_team_with_member_count_and_my_role(
    signed_in, alice, olivia, bob, fraud_team, platform_team
):
    response = signed_in(alice).get(reverse("teams:team_list"))
    teams = {team.name: team for team in response.context["teams"]}
    assert teams["Fraud Analytics"].member_count == 2
    assert teams["Fraud Analytics"].my_role == "data_scientist"
    assert teams["Data Platform"].my_role is None
    assert "Data scientist" in response.content.decode()


def test_the_directory_runs_a_fixed_number_of_queries(signed_in, alice, root, django_assert_num_queries):
    from apps.teams.services import team_create

    client = signed_in(alice)
    for index in range(10):
        team_create(name=f"Team {index}", kind="business", by=root)
    with django_assert_num_queries(3):  # session, user, teams annotated with counts and my role
        client.get(reverse("teams:team_list"))


# --- team page ------------------------------------------------------------------


def test_the_team_page_lists_members_with_their_roles(signed_in, alice, olivia, ann, fraud_team):
    response = signed_in(alice).get(team_url(fraud_team))
    members = [(m.user.username, m.role) for m in response.context["members"]]
    assert members[0] == ("olivia", "data_officer")  # data officers first
    assert set(members) == {("olivia", "data_officer"), ("alice", "data_scientist"), ("ann", "analyst")}
    assert not response.context["can_manage"]
    assert reverse("teams:member_add", kwargs={"slug": fraud_team.slug}) not in response.content.decode()


def test_the_assets_tab_shows_an_outsider_only_internal_assets(
    signed_in, bob, fraud_team, private_dataset, internal_dataset
):
    response = signed_in(bob).get(team_url(fraud_team, tab="assets"))
    body = response.content.decode()
    assert response.status_code == 200
    assert [item for group in response.context["asset_groups"] for item in group.items] == [internal_dataset]
    assert "Merchant list" in body
    assert "Card transactions" not in body
    assert f"/catalog/datasets/{private_dataset.pk}/" not in body


def test_the_activity_tab_hides_private_work_from_outsiders(
    signed_in, alice, bob, fraud_team, private_dataset
):
    insider = signed_in(alice).get(team_url(fraud_team, tab="activity")).content.decode()
    assert "Card transactions" in insider
    outsider = signed_in(bob).get(team_url(fraud_team, tab="activity"))
    assert "Card transactions" not in outsider.content.decode()
    assert any(item.kind == "Member" for item in outsider.context["activity"])


def test_an_unknown_team_is_404(signed_in, alice):
    assert signed_in(alice).get(reverse("teams:team_detail", kwargs={"slug": "nope"})).status_code == 404


def test_the_team_page_runs_a_fixed_number_of_queries(
    signed_in, alice, olivia, fraud_team, root, make_user, django_assert_num_queries
):
    from apps.catalog.services import dataset_create
    from apps.teams.services import membership_set

    client = signed_in(olivia)
    client.get(team_url(fraud_team))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(team_url(fraud_team))
    for index in range(8):
        membership_set(team=fraud_team, user=make_user(f"member{index}"), role="data_engineer", by=root)
        dataset_create(team=fraud_team, by=alice, name=f"Dataset {index}")
    with django_assert_num_queries(len(before)):
        client.get(team_url(fraud_team))


def test_team_history_shows_who_changed_the_team(signed_in, bob, root, fraud_team):
    from apps.teams.services import team_update

    team_update(team=fraud_team, by=root, description="We catch card fraud.")
    response = signed_in(bob).get(reverse("teams:team_history", kwargs={"slug": fraud_team.slug}))
    newest = response.context["history_rows"][0]
    assert newest.who == "root"
    assert [(c.field, c.old, c.new) for c in newest.changes] == [
        ("Description", None, "We catch card fraud.")
    ]


# --- member management ----------------------------------------------------------


def test_a_data_officer_adds_a_member_by_username(signed_in, olivia, bob, fraud_team):
    client = signed_in(olivia)
    response = client.post(
        reverse("teams:member_add", kwargs={"slug": fraud_team.slug}), {"username": "bob", "role": "analyst"}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(team=fraud_team, user=bob)
    assert membership.role == "analyst"
    assert membership.history.first().history_user == olivia
    assert fraud_team.group in bob.groups.all()
    assert "bob joined Fraud Analytics" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"username": "nobody", "role": "analyst"}, "username", "Nobody is called"),
        ({"username": "alice", "role": "analyst"}, "username", "already in Fraud Analytics"),
        ({"username": "bob", "role": "wizard"}, "role", "Select a valid choice"),
        ({"role": "analyst"}, "username", "This field is required"),
    ],
)
def test_adding_a_member_reports_errors_next_to_the_field(
    signed_in, olivia, alice, bob, fraud_team, data, field, message
):
    response = signed_in(olivia).post(reverse("teams:member_add", kwargs={"slug": fraud_team.slug}), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["add_form"].errors[field])
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert not Membership.objects.filter(team=fraud_team, user=bob).exists()


def test_a_data_officer_changes_a_role(signed_in, olivia, alice, fraud_team):
    membership = Membership.objects.get(team=fraud_team, user=alice)
    url = reverse("teams:member_role", kwargs={"slug": fraud_team.slug, "pk": membership.pk})
    assert signed_in(olivia).post(url, {"role": "ml_engineer"}).status_code == 302
    membership.refresh_from_db()
    assert membership.role == "ml_engineer"


def test_a_data_officer_removes_a_member(signed_in, olivia, ann, fraud_team):
    membership = Membership.objects.get(team=fraud_team, user=ann)
    url = reverse("teams:member_remove", kwargs={"slug": fraud_team.slug, "pk": membership.pk})
    assert signed_in(olivia).post(url).status_code == 302
    assert not Membership.objects.filter(team=fraud_team, user=ann).exists()
    assert fraud_team.group not in ann.groups.all()


def test_the_last_data_officer_can_be_neither_demoted_nor_removed(signed_in, olivia, fraud_team):
    client = signed_in(olivia)
    membership = Membership.objects.get(team=fraud_team, user=olivia)
    kwargs = {"slug": fraud_team.slug, "pk": membership.pk}
    demote = client.post(reverse("teams:member_role", kwargs=kwargs), {"role": "analyst"})
    assert "at least one data officer" in demote.content.decode()
    remove = client.post(reverse("teams:member_remove", kwargs=kwargs))
    assert "at least one data officer" in remove.content.decode()
    membership.refresh_from_db()
    assert membership.role == "data_officer"


def test_members_without_the_manage_action_get_403(signed_in, alice, ann, fraud_team):
    client = signed_in(alice)
    membership = Membership.objects.get(team=fraud_team, user=ann)
    kwargs = {"slug": fraud_team.slug, "pk": membership.pk}
    assert (
        client.post(
            reverse("teams:member_add", kwargs={"slug": fraud_team.slug}), {"username": "x"}
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("teams:member_role", kwargs=kwargs), {"role": "data_officer"}).status_code == 403
    )
    assert client.post(reverse("teams:member_remove", kwargs=kwargs)).status_code == 403
    membership.refresh_from_db()
    assert membership.role == "analyst"


def test_a_data_officer_of_another_team_may_not_manage_this_one(
    signed_in, make_user, platform_team, root, alice, fraud_team
):
    from apps.teams.services import membership_set

    diana = make_user("diana")
    membership_set(team=platform_team, user=diana, role="data_officer", by=root)
    membership = Membership.objects.get(team=fraud_team, user=alice)
    url = reverse("teams:member_remove", kwargs={"slug": fraud_team.slug, "pk": membership.pk})
    assert signed_in(diana).post(url).status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_membership_of_another_team_is_404_through_this_teams_url(signed_in, olivia, bob, fraud_team):
    membership = Membership.objects.get(user=bob)
    url = reverse("teams:member_remove", kwargs={"slug": fraud_team.slug, "pk": membership.pk})
    assert signed_in(olivia).post(url).status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_member_routes_refuse_get(signed_in, olivia, fraud_team):
    assert (
        signed_in(olivia).get(reverse("teams:member_add", kwargs={"slug": fraud_team.slug})).status_code
        == 405
    )


# --- roles table ----------------------------------------------------------------


def test_the_roles_page_renders_the_code_table(signed_in, ann):
    response = signed_in(ann).get(reverse("teams:roles"))
    assert response.context["permission_rows"] == permission_table()
    body = response.content.decode()
    assert "Analyst (read-only)" in body
    assert body.count('aria-label="yes"') == sum(sum(allowed) for _, allowed in permission_table())


def permission_table_markdown() -> str:
    lines = ["| Role | " + " | ".join(f"`{action}`" for action in Action.values) + " |"]
    lines.append("|---|" + "---|" * len(Action.values))
    for role, allowed in permission_table():
        lines.append(f"| {role} | " + " | ".join("✓" if yes else "" for yes in allowed) + " |")
    return "\n".join(lines)


def test_the_permission_doc_matches_the_code():
    doc = (Path(settings.BASE_DIR) / "docs" / "permissions.md").read_text()
    table = doc.split("<!-- permission-table:start -->\n", 1)[1].split("\n<!-- permission-table:end -->", 1)[
        0
    ]
    assert table == permission_table_markdown(), (
        "Update docs/permissions.md with:\n" + permission_table_markdown()
    )
