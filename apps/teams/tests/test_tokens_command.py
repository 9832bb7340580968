"""manage.py issue_token: a friendly line, then the token alone on the last line."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from apps.teams.models import PersonalAccessToken
from apps.teams.services import token_digest

pytestmark = pytest.mark.django_db


def issue(*args) -> list[str]:
    out = StringIO()
    call_command("issue_token", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_the_last_line_is_a_working_token(alice):
    lines = issue("alice")
    raw = lines[-1]
    assert len(lines) == 2
    assert raw.startswith("atr_") and " " not in raw
    assert PersonalAccessToken.objects.get(digest=token_digest(raw)).user == alice
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me/").json()["username"] == "alice"


def test_name_and_expiry_are_kept(alice):
    raw = issue("alice", "--name", "ci runner", "--expires-days", "7")[-1]
    token = PersonalAccessToken.objects.get(digest=token_digest(raw))
    assert token.name == "ci runner"
    assert token.expires_at is not None
    assert (token.expires_at - token.created_at).days in (6, 7)


def test_an_unknown_user_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        issue("nobody")
    assert not PersonalAccessToken.objects.exists()


def test_an_inactive_user_is_refused(alice):
    alice.is_active = False
    alice.save()
    with pytest.raises(CommandError, match="inactive"):
        issue("alice")


def test_a_non_positive_expiry_is_refused(alice):
    with pytest.raises(CommandError, match="expires-days"):
        issue("alice", "--expires-days", "0")


def test_a_too_long_name_is_a_clear_error(alice):
    with pytest.raises(CommandError, match="100"):
        issue("alice", "--name", "x" * 101)
