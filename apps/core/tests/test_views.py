"""The base layout, sign-in/out, the home page, section placeholders and vendored static assets."""

import re
from urllib.parse import urlparse

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from apps.core.context_processors import NAVIGATION
from apps.core.views import SECTIONS

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def running_job(alice, fraud_team):
    from apps.jobs.models import Job

    return Job.objects.create(
        kind="profile_dataset",
        status="running",
        progress=40,
        progress_message="Scanning",
        requester=alice,
        team=fraud_team,
    )


# --- layout ---------------------------------------------------------------------


def test_the_layout_has_every_area_search_user_menu_and_the_htmx_csrf_header(signed_in, alice):
    body = signed_in(alice).get(reverse("home")).content.decode()
    for entry in NAVIGATION:
        assert f">{entry.label}</span>" in body, entry.label
    assert 'id="global-search"' in body
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
    assert "/account/tokens/" in body
    assert reverse("api-docs") in body
    assert reverse("password_change") in body
    assert f'<form method="post" action="{reverse("logout")}"' in body
    assert reverse("admin:index") not in body  # alice is not staff


def test_staff_see_the_admin_link(signed_in, olivia):
    assert reverse("admin:index") in signed_in(olivia).get(reverse("home")).content.decode()


def test_the_current_area_is_marked_active(signed_in, alice):
    body = signed_in(alice).get(reverse("catalog:dataset_list")).content.decode()
    active = re.findall(r'<li class="nav-item active">\s*<a class="nav-link" href="([^"]+)"', body)
    assert active == [reverse("catalog:dataset_list")]


def test_messages_appear_as_toasts(signed_in, alice, fraud_team):
    client = signed_in(alice)
    response = client.post(
        reverse("catalog:dataset_create"),
        {"team": fraud_team.pk, "name": "Chargebacks", "visibility": "private"},
        follow=True,
    )
    assert 'class="toast show' in response.content.decode()
    assert "Chargebacks" in response.content.decode()


# --- sign in and out ------------------------------------------------------------


def test_the_sign_in_page_signs_people_in(client, alice):
    page = client.get(reverse("login"))
    assert "Sign in to your account" in page.content.decode()
    response = client.post(
        reverse("login"), {"username": "alice", "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_a_wrong_password_says_so_without_a_500(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()


def test_the_demo_hint_shows_only_in_debug(client, settings):
    settings.DEBUG = False
    assert "Local demo" not in client.get(reverse("login")).content.decode()
    settings.DEBUG = True
    assert "Local demo" in client.get(reverse("login")).content.decode()


def test_sign_out_is_a_post(signed_in, alice):
    client = signed_in(alice)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302  # signed out: sent to sign in


def test_the_password_change_form_reports_field_errors(signed_in, alice):
    response = signed_in(alice).post(
        reverse("password_change"), {"old_password": "wrong", "new_password1": "a", "new_password2": "b"}
    )
    assert response.status_code == 200
    assert 'id="id_old_password_errors"' in response.content.decode()


# --- home -----------------------------------------------------------------------


def test_home_shows_my_teams_with_my_role(signed_in, alice, fraud_team):
    body = signed_in(alice).get(reverse("home")).content.decode()
    assert "Fraud Analytics" in body
    assert "Data scientist" in body


def test_home_shows_running_jobs_with_a_polling_progress_bar(signed_in, alice, running_job):
    body = signed_in(alice).get(reverse("home")).content.decode()
    assert "Profile dataset" in body
    assert "width: 40%" in body
    assert f'hx-get="{reverse("home_jobs")}"' in body
    partial = signed_in(alice).get(reverse("home_jobs")).content.decode()
    assert "<html" not in partial
    assert "width: 40%" in partial


def test_home_stops_polling_when_no_job_runs(signed_in, alice):
    body = signed_in(alice).get(reverse("home")).content.decode()
    assert "No jobs running" in body
    assert 'hx-trigger="every' not in body


def test_home_activity_shows_who_did_what(signed_in, olivia, alice, private_dataset):
    response = signed_in(olivia).get(reverse("home"))
    lines = [(item.who, item.verb, item.name) for item in response.context["activity"]]
    assert ("alice", "created", "Card transactions") in lines


def test_home_activity_of_an_outsider_never_mentions_a_private_dataset(
    signed_in, bob, private_dataset, running_job
):
    body = signed_in(bob).get(reverse("home")).content.decode()
    assert "Card transactions" not in body
    assert "Profile dataset" not in body  # Fraud's job


def test_home_runs_a_fixed_number_of_queries(
    signed_in, alice, fraud_team, running_job, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.catalog.services import dataset_create, dataset_update

    client = signed_in(alice)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("home"))
    for index in range(10):
        dataset = dataset_create(team=fraud_team, by=alice, name=f"Dataset {index}")
        dataset_update(dataset=dataset, by=alice, domain="x")
    with django_assert_num_queries(len(before)):
        client.get(reverse("home"))


def test_home_requires_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- placeholders ---------------------------------------------------------------


@pytest.mark.parametrize("slug", sorted(SECTIONS))
def test_each_area_not_built_yet_says_so_plainly(signed_in, alice, slug):
    response = signed_in(alice).get(reverse(f"section:{slug}"))
    title = SECTIONS[slug][0]
    assert response.status_code == 200
    assert f"{title} is not built yet" in response.content.decode()


# --- static assets: vendored, nothing from the internet ---------------------------

VENDORED = [
    "vendor/tabler-core-1.6.1/css/tabler.min.css",
    "vendor/tabler-core-1.6.1/js/tabler.min.js",
    "vendor/tabler-icons-webfont-3.49.0/tabler-icons.min.css",
    "vendor/tabler-icons-webfont-3.49.0/fonts/tabler-icons.woff2",
    "vendor/htmx.org-2.0.11/htmx.min.js",
    "plotly/plotly.min.js",
    "atrium/atrium.css",
    "atrium/atrium.js",
    "atrium/theme.js",
]


@pytest.mark.parametrize("path", VENDORED)
def test_static_assets_are_served_locally(path):
    assert finders.find(path), f"{path} is not found by the static files finders"


def every_page_url(world) -> list[str]:
    dataset, team = world["dataset"], world["team"]
    return [
        reverse("home"),
        reverse("home_jobs"),
        reverse("catalog:dataset_list"),
        reverse("catalog:dataset_create"),
        reverse("catalog:dataset_detail", args=[dataset.pk]),
        reverse("catalog:dataset_edit", args=[dataset.pk]),
        reverse("catalog:dataset_history", args=[dataset.pk]),
        reverse("teams:team_list"),
        reverse("teams:roles"),
        reverse("teams:team_detail", kwargs={"slug": team.slug}),
        reverse("teams:team_history", kwargs={"slug": team.slug}),
        reverse("jobs:job_list"),
        reverse("password_change"),
        reverse("password_change_done"),
        *[reverse(f"section:{slug}") for slug in SECTIONS],
    ]


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""", re.IGNORECASE)


def test_no_page_references_another_host(client, olivia, private_dataset, running_job, settings):
    settings.DEBUG = True  # the sign-in page's demo hint included
    pages = {reverse("login"): client.get(reverse("login"))}
    client.force_login(olivia)
    for url in every_page_url({"dataset": private_dataset, "team": private_dataset.team}):
        pages[url] = client.get(url)
    for url, response in pages.items():
        assert response.status_code == 200, url
        for link in EXTERNAL.findall(response.content.decode()):
            host = urlparse(link if not link.startswith("//") else "http:" + link).hostname
            assert host in (None, "testserver"), f"{url} references {link}"
