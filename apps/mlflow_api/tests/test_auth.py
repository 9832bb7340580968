"""The MLflow API's fast token lookup follows the teams rule exactly (revoked, expired, inactive, touch)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.mlflow_api.auth import token_user
from apps.teams.models import PersonalAccessToken
from apps.teams.services import token_authenticate, token_issue, token_revoke

pytestmark = pytest.mark.django_db


def test_a_usable_token_gives_its_user_and_touches_its_last_use_once_a_minute(alice):
    token, raw = token_issue(user=alice, name="laptop")
    assert token_user(raw) == alice == token_authenticate(raw).user
    touched = PersonalAccessToken.objects.get(pk=token.pk).last_used_at
    assert touched is not None
    token_user(raw)
    assert PersonalAccessToken.objects.get(pk=token.pk).last_used_at == touched  # within the minute
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=touched - timedelta(minutes=5))
    token_user(raw)
    assert PersonalAccessToken.objects.get(pk=token.pk).last_used_at > touched - timedelta(minutes=5)


def test_revoked_expired_unknown_and_inactive_are_refused_as_by_the_teams_rule(alice, bob):
    _, revoked = token_issue(user=alice, name="old")
    token_revoke(token=PersonalAccessToken.objects.get(name="old"), by=alice)
    expired_token, expired = token_issue(
        user=alice, name="short", expires_at=timezone.now() + timedelta(hours=1)
    )
    PersonalAccessToken.objects.filter(pk=expired_token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    _, bobs = token_issue(user=bob, name="bob")
    bob.is_active = False
    bob.save()
    for raw in (revoked, expired, bobs, "atr_not-a-token", "", "x" * 300):
        assert token_user(raw) is None
        assert token_authenticate(raw) is None
