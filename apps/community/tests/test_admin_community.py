"""Ideas and announcements in the data-officer admin: scoped to the officer's teams, saved by services."""

import pytest
from django.urls import reverse

from apps.community.models import Idea
from apps.community.services.announcements import announcement_create
from apps.community.services.ideas import idea_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def fraud_idea(fraud_team, alice):
    return idea_create(team=fraud_team, by=alice, title="Merchant categories")


@pytest.fixture
def platform_idea(platform_team, bob):
    return idea_create(team=platform_team, by=bob, title="Faster ingestion")


def test_the_officer_lists_her_teams_ideas_only(client, olivia, fraud_idea, platform_idea):
    client.force_login(olivia)
    body = client.get(reverse("admin:community_idea_changelist")).content.decode()
    assert fraud_idea.title in body and platform_idea.title not in body


def test_editing_from_the_admin_goes_through_the_service_and_keeps_the_status(client, olivia, fraud_idea):
    client.force_login(olivia)
    url = reverse("admin:community_idea_change", args=[fraud_idea.pk])
    response = client.post(
        url,
        {"title": "Merchant category codes", "visibility": "private", "description": "", "status": "done"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    fraud_idea.refresh_from_db()
    assert (fraud_idea.title, fraud_idea.visibility, fraud_idea.status) == (
        "Merchant category codes",
        "private",
        "proposed",
    )
    assert fraud_idea.history.first().history_user == olivia


def test_ideas_and_announcements_are_not_added_from_the_admin(client, olivia, root):
    for user in (olivia, root):
        client.force_login(user)
        assert client.get(reverse("admin:community_idea_add")).status_code == 403
        assert client.get(reverse("admin:community_announcement_add")).status_code == 403


def test_an_organisation_wide_announcement_is_its_authors_in_the_admin(
    client, olivia, fraud_team, make_user, root
):
    from apps.teams.services import membership_set

    other = make_user("fiona", is_staff=True)
    membership_set(team=fraud_team, user=other, role="data_officer", by=root)
    mine = announcement_create(by=olivia, team=None, title="Maintenance on Saturday")
    client.force_login(other)
    assert mine.title not in client.get(reverse("admin:community_announcement_changelist")).content.decode()
    client.force_login(olivia)
    assert mine.title in client.get(reverse("admin:community_announcement_changelist")).content.decode()
    assert Idea.objects.count() == 0
