"""Announcements: who may post to whom, the home page until dismissed or expired, pages and API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.community.models import Announcement
from apps.community.selectors import announcements as selectors
from apps.community.services import announcements as services

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_news(fraud_team, olivia, private_dataset):
    return services.announcement_create(
        by=olivia,
        team=fraud_team,
        title="Card transactions load is incomplete",
        body="Do **not** retrain.",
        severity="critical",
        asset=private_dataset,
    )


@pytest.fixture
def org_news(olivia):
    return services.announcement_create(by=olivia, team=None, title="Warehouse maintenance on Saturday")


def signed_in(client, user):
    client.force_login(user)
    return client


def home_titles(user) -> list[str]:
    return [view.announcement.title for view in selectors.announcement_home(user=user)]


# --- who may post -----------------------------------------------------------------------------------
def test_a_data_officer_announces_to_her_team_and_a_staff_officer_to_everyone(team_news, org_news):
    assert team_news.team is not None and org_news.team is None
    assert team_news.history.first().history_user == team_news.author


@pytest.mark.parametrize("who", ["alice", "ann", "bob"])
def test_members_without_the_data_officer_role_may_not_announce(request, fraud_team, who):
    user = request.getfixturevalue(who)
    with pytest.raises(ValidationError) as refused:
        services.announcement_create(by=user, team=fraud_team, title="Hello")
    assert "team" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.announcement_create(by=user, team=None, title="Hello everyone")
    assert not Announcement.objects.exists()


def test_a_data_officer_who_is_not_staff_may_announce_to_her_team_only(fraud_team, olivia):
    olivia.is_staff = False
    olivia.save()
    services.announcement_create(by=olivia, team=fraud_team, title="Team only")
    with pytest.raises(ValidationError):
        services.announcement_create(by=olivia, team=None, title="Everyone")


def test_another_teams_officer_may_not_announce_to_fraud(fraud_team, pam_like):
    with pytest.raises(ValidationError):
        services.announcement_create(by=pam_like, team=fraud_team, title="Hi Fraud")


@pytest.fixture
def pam_like(make_user, platform_team, root):
    from apps.teams.services import membership_set

    user = make_user("diana", is_staff=True)
    membership_set(team=platform_team, user=user, role="data_officer", by=root)
    return user


def test_dates_are_checked(fraud_team, olivia):
    now = timezone.now()
    with pytest.raises(ValidationError) as refused:
        services.announcement_create(
            by=olivia,
            team=fraud_team,
            title="x",
            starts_at=now + timedelta(days=2),
            expires_at=now + timedelta(days=1),
        )
    assert "expires_at" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.announcement_create(
            by=olivia, team=fraud_team, title="x", expires_at=now - timedelta(hours=1)
        )


def test_the_linked_asset_must_be_visible_to_the_poster(fraud_team, platform_team, pam_like, private_dataset):
    with pytest.raises(ValidationError) as refused:
        services.announcement_create(by=pam_like, team=platform_team, title="x", asset=private_dataset)
    assert refused.value.message_dict == {"asset": ["No such asset."]}


# --- the home page ----------------------------------------------------------------------------------
def test_a_team_announcement_reaches_its_members_only(team_news, org_news, alice, ann, bob):
    assert home_titles(alice) == [team_news.title, org_news.title]  # critical first
    assert home_titles(ann) == [team_news.title, org_news.title]
    assert home_titles(bob) == [org_news.title]


def test_it_shows_until_dismissed_or_expired(team_news, org_news, alice, olivia):
    services.announcement_dismiss(announcement=org_news, by=alice)
    services.announcement_dismiss(announcement=org_news, by=alice)  # twice is once
    assert home_titles(alice) == [team_news.title]
    assert org_news.title in home_titles(olivia)  # dismissal is per person
    past = timezone.now() - timedelta(hours=1)
    Announcement.objects.filter(pk=team_news.pk).update(starts_at=past - timedelta(days=1), expires_at=past)
    assert home_titles(alice) == []


def test_a_scheduled_announcement_waits_for_its_start(fraud_team, olivia, alice):
    later = services.announcement_create(
        by=olivia, team=fraud_team, title="Next week", starts_at=timezone.now() + timedelta(days=7)
    )
    assert home_titles(alice) == []
    assert [a.title for a in selectors.announcement_list(user=alice, scope="scheduled")] == [later.title]


def test_ending_stops_it_now_and_only_its_author_or_the_teams_officers_may(
    team_news, org_news, alice, olivia, root
):
    with pytest.raises(PermissionDenied):
        services.announcement_end(announcement=team_news, by=alice)
    services.announcement_end(announcement=team_news, by=olivia)
    assert team_news.state == "ended"
    assert [a.title for a in selectors.announcement_list(user=alice, scope="past")] == [team_news.title]
    services.announcement_end(announcement=org_news, by=root)
    assert home_titles(alice) == []


def test_the_linked_asset_shows_only_to_those_who_see_it(fraud_team, olivia, alice, bob, private_dataset):
    services.announcement_create(by=olivia, team=None, title="Card data moves", asset=private_dataset)
    (for_alice,) = selectors.announcement_home(user=alice)
    (for_bob,) = selectors.announcement_home(user=bob)
    assert for_alice.asset == private_dataset
    assert for_bob.asset is None


def test_the_home_page_shows_announcements_and_dismisses_them_with_htmx(client, team_news, alice):
    web = signed_in(client, alice)
    body = web.get(reverse("home")).content.decode()
    assert 'id="home-announcements"' in body and team_news.title in body
    assert "Do <strong>not</strong> retrain." in body
    response = web.post(
        reverse("community:announcement_dismiss", args=[team_news.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and response.content == b""
    assert team_news.title not in web.get(reverse("home")).content.decode()


def test_the_home_page_of_an_outsider_has_no_team_announcement(client, team_news, bob):
    body = signed_in(client, bob).get(reverse("home")).content.decode()
    assert team_news.title not in body
    assert 'id="home-announcements"' not in body


def test_the_home_page_query_count_does_not_grow_with_announcements(
    client, fraud_team, olivia, alice, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.announcement_create(by=olivia, team=fraud_team, title="First")
    web = signed_in(client, alice)
    web.get(reverse("home"))
    with CaptureQueriesContext(connection) as one:
        web.get(reverse("home"))
    for index in range(8):
        services.announcement_create(by=olivia, team=fraud_team, title=f"News {index}")
    with django_assert_max_num_queries(len(one)):
        web.get(reverse("home"))


# --- pages --------------------------------------------------------------------------------------------
def test_the_list_has_current_scheduled_and_past_tabs(client, team_news, alice):
    web = signed_in(client, alice)
    assert team_news.title in web.get(reverse("community:announcement_list")).content.decode()
    assert (
        team_news.title
        not in web.get(reverse("community:announcement_list"), {"scope": "past"}).content.decode()
    )


def test_posting_from_the_form(client, fraud_team, olivia):
    web = signed_in(client, olivia)
    form = web.get(reverse("community:announcement_create"))
    assert form.status_code == 200
    audiences = dict(form.context["form"].fields["audience"].choices)
    assert set(audiences) == {"organisation", fraud_team.slug}
    response = web.post(
        reverse("community:announcement_create"),
        {
            "audience": fraud_team.slug,
            "title": "Schema change",
            "severity": "warning",
            "body": "",
            "asset": "",
        },
    )
    created = Announcement.objects.get(title="Schema change")
    assert response.status_code == 302 and response["Location"] == created.get_absolute_url()
    assert created.team == fraud_team and created.severity == "warning"


def test_the_form_says_what_is_wrong_with_the_dates(client, fraud_team, olivia):
    response = signed_in(client, olivia).post(
        reverse("community:announcement_create"),
        {
            "audience": fraud_team.slug,
            "title": "x",
            "severity": "info",
            "starts_at": "2030-01-02T10:00",
            "expires_at": "2030-01-01T10:00",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["expires_at"]


def test_people_who_may_not_post_are_refused_the_form(client, alice):
    assert signed_in(client, alice).get(reverse("community:announcement_create")).status_code == 403


def test_editing_keeps_the_audience_and_is_refused_to_others(client, org_news, olivia, bob):
    response = signed_in(client, olivia).post(
        reverse("community:announcement_edit", args=[org_news.pk]),
        {"title": "Maintenance moved to Sunday", "severity": "warning", "body": "", "asset": ""},
    )
    assert response.status_code == 302
    org_news.refresh_from_db()
    assert (org_news.title, org_news.team) == ("Maintenance moved to Sunday", None)
    client.logout()
    assert (
        signed_in(client, bob).get(reverse("community:announcement_edit", args=[org_news.pk])).status_code
        == 403
    )


# --- API ----------------------------------------------------------------------------------------------
def test_the_api_lists_my_current_announcements_and_dismisses_one(client, team_news, org_news, alice, bob):
    web = signed_in(client, alice)
    rows = web.get(reverse("announcement-list")).json()["results"]
    assert {row["title"] for row in rows} == {team_news.title, org_news.title}
    linked = next(row for row in rows if row["id"] == team_news.pk)
    assert linked["asset"].startswith("catalog.dataset:") and linked["state"] == "current"
    dismissed = web.post(reverse("announcement-dismiss", args=[team_news.pk]))
    assert dismissed.status_code == 200 and dismissed.json()["dismissed"] is True
    rows = web.get(reverse("announcement-list"), {"dismissed": "false"}).json()["results"]
    assert [row["id"] for row in rows] == [org_news.pk]
    client.logout()
    as_bob = signed_in(client, bob).get(reverse("announcement-list")).json()["results"]
    assert [row["id"] for row in as_bob] == [org_news.pk]
    assert signed_in(client, bob).get(reverse("announcement-detail", args=[team_news.pk])).status_code == 404


def test_the_api_posts_with_field_errors(client, fraud_team, olivia, alice):
    web = signed_in(client, olivia)
    created = web.post(
        reverse("announcement-list"),
        json.dumps({"team": fraud_team.slug, "title": "API news", "severity": "critical"}),
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["team"] == fraud_team.slug and created.json()["author"] == "olivia"
    everyone = web.post(
        reverse("announcement-list"), json.dumps({"title": "To all"}), content_type="application/json"
    )
    assert everyone.status_code == 201 and everyone.json()["team"] is None
    bad = web.post(
        reverse("announcement-list"),
        json.dumps({"title": "", "severity": "loud", "asset": "catalog.dataset:999999"}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and {"title", "severity", "asset"} <= set(bad.json()["fields"])
    client.logout()
    refused = signed_in(client, alice).post(
        reverse("announcement-list"),
        json.dumps({"team": fraud_team.slug, "title": "Mine"}),
        content_type="application/json",
    )
    assert refused.status_code == 400 and "team" in refused.json()["fields"]


def test_the_api_ends_an_announcement(client, org_news, olivia, bob):
    assert signed_in(client, bob).post(reverse("announcement-end", args=[org_news.pk])).status_code == 403
    client.logout()
    ended = signed_in(client, olivia).post(reverse("announcement-end", args=[org_news.pk]))
    assert ended.status_code == 200 and ended.json()["state"] == "ended"
