"""/api/v1/tokens/: my tokens, shown once, never their digest, revocable."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.teams.models import PersonalAccessToken
from apps.teams.services import token_digest, token_issue

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_creating_a_token_returns_it_once_and_stores_only_its_digest(alice):
    response = client_for(alice).post("/api/v1/tokens/", {"name": "laptop"}, format="json")
    assert response.status_code == 201
    body = response.json()
    raw = body["token"]
    assert raw.startswith("atr_")
    assert body["prefix"] == raw[:12]
    assert body["status"] == "active"
    token = PersonalAccessToken.objects.get(pk=body["id"])
    assert token.digest == token_digest(raw)
    assert raw not in str(PersonalAccessToken.objects.filter(pk=token.pk).values().get())
    # The new token works at once.
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert bearer.get("/api/v1/me/").json()["username"] == "alice"


def test_listing_and_retrieving_never_show_the_token_or_its_digest(alice):
    token, raw = token_issue(user=alice, name="laptop")
    client = client_for(alice)
    listed = client.get("/api/v1/tokens/").json()["results"][0]
    detail = client.get(f"/api/v1/tokens/{token.pk}/").json()
    for body in (listed, detail):
        assert "token" not in body
        assert "digest" not in body
        assert token.digest not in str(body)
        assert raw not in str(body)


def test_a_user_sees_only_their_own_tokens(alice, bob):
    token, _ = token_issue(user=alice, name="alice's")
    token_issue(user=bob, name="bob's")
    client = client_for(bob)
    assert [t["name"] for t in client.get("/api/v1/tokens/").json()["results"]] == ["bob's"]
    assert client.get(f"/api/v1/tokens/{token.pk}/").status_code == 404
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 404
    assert client.post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_expiry_in_the_future_is_kept(alice):
    expires = (timezone.now() + timedelta(days=30)).isoformat()
    body = (
        client_for(alice).post("/api/v1/tokens/", {"name": "ci", "expires_at": expires}, format="json").json()
    )
    assert body["expires_at"] is not None
    assert PersonalAccessToken.objects.get(pk=body["id"]).expires_at > timezone.now()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "old", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "bad", "expires_at": "next tuesday"}, "expires_at"),
        ({"name": ""}, "name"),
        ({}, "name"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_bad_token_input_is_a_field_level_400(alice, payload, field):
    response = client_for(alice).post("/api/v1/tokens/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not PersonalAccessToken.objects.exists()


def test_delete_revokes_the_token_and_keeps_it_listed(alice):
    token, raw = token_issue(user=alice, name="laptop")
    client = client_for(alice)
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get(f"/api/v1/tokens/{token.pk}/").json()["status"] == "revoked"
    assert token.history.latest().history_user == alice


def test_post_revoke_revokes_once_and_is_idempotent(alice):
    token, _ = token_issue(user=alice, name="laptop")
    client = client_for(alice)
    first = client.post(f"/api/v1/tokens/{token.pk}/revoke/")
    assert first.status_code == 200
    assert first.json()["status"] == "revoked"
    second = client.post(f"/api/v1/tokens/{token.pk}/revoke/")
    assert second.json()["revoked_at"] == first.json()["revoked_at"]


def test_tokens_can_be_filtered_by_active(alice):
    token, _ = token_issue(user=alice, name="gone")
    token_issue(user=alice, name="live")
    client_for(alice).delete(f"/api/v1/tokens/{token.pk}/")
    client = client_for(alice)
    assert [t["name"] for t in client.get("/api/v1/tokens/", {"active": "true"}).json()["results"]] == [
        "live"
    ]
    assert [t["name"] for t in client.get("/api/v1/tokens/", {"active": "false"}).json()["results"]] == [
        "gone"
    ]


def test_tokens_cannot_be_edited(alice):
    token, _ = token_issue(user=alice, name="laptop")
    response = client_for(alice).patch(f"/api/v1/tokens/{token.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 405


def test_the_token_list_runs_a_fixed_number_of_queries(alice, django_assert_num_queries):
    client = client_for(alice)
    for n in range(2):
        token_issue(user=alice, name=f"t{n}")
    # count, page of tokens
    with django_assert_num_queries(2):
        assert client.get("/api/v1/tokens/").json()["count"] == 2
    for n in range(2, 12):
        token_issue(user=alice, name=f"t{n}")
    with django_assert_num_queries(2):
        assert client.get("/api/v1/tokens/").json()["count"] == 12
