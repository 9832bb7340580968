"""Who gets in: bearer tokens, sessions, and every way a token can be wrong."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.teams.models import PersonalAccessToken
from apps.teams.services import token_issue, token_revoke

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def assert_401_json(response):
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"] == "unauthenticated"


def test_no_credentials_is_a_401_with_a_bearer_challenge(alice):
    response = APIClient().get(ME)
    assert_401_json(response)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_valid_bearer_token_authenticates_its_user(alice):
    _, raw = token_issue(user=alice, name="ci")
    response = bearer(raw).get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_using_a_token_records_when_it_was_last_used(alice):
    token, raw = token_issue(user=alice, name="ci")
    assert token.last_used_at is None
    bearer(raw).get(ME)
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at <= timezone.now()


def test_an_expired_token_is_a_401(alice):
    token, raw = token_issue(user=alice, name="old", expires_at=timezone.now() + timedelta(days=1))
    PersonalAccessToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_401_json(bearer(raw).get(ME))


def test_a_revoked_token_is_a_401(alice):
    token, raw = token_issue(user=alice, name="gone")
    token_revoke(token=token, by=alice)
    response = bearer(raw).get(ME)
    assert_401_json(response)
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_token_of_an_inactive_user_is_a_401(alice):
    _, raw = token_issue(user=alice, name="ci")
    alice.is_active = False
    alice.save()
    assert_401_json(bearer(raw).get(ME))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Bearer not-a-token",
        "Bearer atr_unknownunknownunknownunknownunknown",
        "bearer atr_" + "x" * 600,
        "   ",
    ],
)
def test_a_malformed_or_unknown_bearer_header_is_a_401(alice, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_401_json(client.get(ME))


def test_a_non_latin_header_is_a_401_not_a_500(alice):
    client = APIClient()
    response = client.get(ME, HTTP_AUTHORIZATION="Bearer atr_\u00e9\u00e9")
    assert_401_json(response)


def test_a_bad_token_does_not_fall_back_to_the_session(alice):
    client = APIClient()
    client.force_login(alice)
    client.credentials(HTTP_AUTHORIZATION="Bearer atr_wrong")
    assert client.get(ME).status_code == 401


def test_another_scheme_falls_through_to_the_session(alice):
    client = APIClient()
    client.force_login(alice)
    client.credentials(HTTP_AUTHORIZATION="Basic YWxpY2U6eA==")
    assert client.get(ME).json()["username"] == "alice"


def test_session_authentication_works_for_the_browser(alice):
    client = APIClient()
    client.force_login(alice)
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_session_writes_need_the_csrf_token_but_bearer_writes_do_not(alice):
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(alice)
    assert session.post("/api/v1/tokens/", {"name": "x"}, format="json").status_code == 403
    _, raw = token_issue(user=alice, name="ci")
    assert bearer(raw).post("/api/v1/tokens/", {"name": "x"}, format="json").status_code == 201
