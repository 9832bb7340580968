"""/account/tokens/: list, create (shown once), revoke."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.teams.models import PersonalAccessToken
from apps.teams.services import token_digest, token_issue

pytestmark = pytest.mark.django_db

URL = "/account/tokens/"


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_lists_my_tokens_with_prefix_and_status_only(alice_client, alice, bob):
    token, raw = token_issue(user=alice, name="laptop")
    token_issue(user=bob, name="bob's secret")
    html = alice_client.get(URL).content.decode()
    assert "laptop" in html
    assert token.prefix in html
    assert "Active" in html
    assert raw not in html
    assert token.digest not in html
    assert "bob&#x27;s secret" not in html and "bob's secret" not in html


def test_creating_shows_the_token_once_with_a_warning(alice_client, alice):
    response = alice_client.post(URL, {"name": "notebook"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    raw = response.context["raw_token"]
    html = response.content.decode()
    assert raw in html
    assert "will not be shown again" in html
    assert 'id="copy-token"' in html
    token = PersonalAccessToken.objects.get(user=alice)
    assert token.digest == token_digest(raw)
    assert raw not in alice_client.get(URL).content.decode()


def test_an_expiry_date_is_kept(alice_client, alice):
    day = timezone.localdate() + timedelta(days=10)
    alice_client.post(URL, {"name": "ci", "expires_on": day.isoformat()})
    assert PersonalAccessToken.objects.get(user=alice).expires_at.date() == day


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "expires_on": "2001-01-01"}, "expires_on"),
        ({"name": "ok", "expires_on": "tomorrow-ish"}, "expires_on"),
    ],
)
def test_bad_input_shows_field_errors_and_creates_nothing(alice_client, data, field):
    response = alice_client.post(URL, data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "raw_token" not in response.context
    assert not PersonalAccessToken.objects.exists()


def test_revoking_my_token_takes_effect(alice_client, alice):
    token, _ = token_issue(user=alice, name="laptop")
    response = alice_client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in response.content.decode()
    assert token.history.latest().history_user == alice


def test_revoking_needs_a_post(alice_client, alice):
    token, _ = token_issue(user=alice, name="laptop")
    assert alice_client.get(f"/account/tokens/{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_another_users_token_is_a_404(alice_client, bob):
    token, _ = token_issue(user=bob, name="bob's")
    assert alice_client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_token_page_runs_a_fixed_number_of_queries(alice_client, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token_issue(user=alice, name="t0")
    with CaptureQueriesContext(connection) as few:
        alice_client.get(URL)
    for n in range(1, 10):
        token_issue(user=alice, name=f"t{n}")
    with CaptureQueriesContext(connection) as many:
        alice_client.get(URL)
    assert len(many) == len(few)
