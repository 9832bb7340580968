"""Writes and business rules for teams, memberships and tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.core.history import acting_user
from apps.teams.models import Membership, PersonalAccessToken, Team

TOKEN_PREFIX = "atr_"  # noqa: S105 -- a public marker that makes leaked tokens greppable, not a secret


@transaction.atomic
def team_create(*, name: str, kind: str, by, slug: str = "", description: str = "") -> Team:
    """Create a team and the auth group it acts through for object grants."""
    slug = slug or slugify(name)[:60]
    group, _ = Group.objects.get_or_create(name=f"team:{slug}")
    team = Team(name=name, slug=slug, kind=kind, description=description, group=group)
    team.full_clean()
    with acting_user(by):
        team.save()
    return team


@transaction.atomic
def team_update(*, team: Team, by, **changes) -> Team:
    """Change a team's name, kind or description (its slug and group stay put)."""
    allowed = {"name", "kind", "description"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Cannot change {sorted(unknown)} on a team.")
    for field, value in changes.items():
        setattr(team, field, value)
    team.full_clean()
    with acting_user(by):
        team.save()
    return team


@transaction.atomic
def membership_set(*, team: Team, user, role: str, by) -> Membership:
    """Give `user` exactly one role in `team` (adding or changing the membership)."""
    with acting_user(by):
        membership = Membership.objects.filter(team=team, user=user).first()
        if membership is None:
            membership = Membership(team=team, user=user, role=role)
        else:
            membership.role = role
        membership.full_clean()
        membership.save()
    user.groups.add(team.group)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by) -> None:
    """Remove a user from a team, and from the group its grants flow through."""
    membership.user.groups.remove(membership.team.group)
    with acting_user(by):
        membership.delete()


def token_digest(raw_token: str) -> str:
    """SHA-256 of the raw token: tokens are random and long, so a fast hash is enough."""
    return hashlib.sha256(raw_token.encode()).hexdigest()


def token_issue(*, user, name: str, expires_at: datetime | None = None) -> tuple[PersonalAccessToken, str]:
    """Issue a personal access token; returns the row and the raw token, which is never stored."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PersonalAccessToken(
        user=user, name=name, prefix=raw[:12], digest=token_digest(raw), expires_at=expires_at
    )
    token.full_clean(exclude=["digest"])
    with acting_user(user):
        token.save()
    return token, raw


def token_revoke(*, token: PersonalAccessToken, by) -> PersonalAccessToken:
    """Revoke a token for good; revoking twice keeps the first revocation time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        with acting_user(by):
            token.save(update_fields=["revoked_at", "updated_at"])
    return token


def token_authenticate(raw_token: str) -> PersonalAccessToken | None:
    """The usable token matching `raw_token`, with its last-used time touched; None otherwise."""
    if not raw_token or not raw_token.startswith(TOKEN_PREFIX) or len(raw_token) > 200:
        return None
    token = (
        PersonalAccessToken.objects.usable()
        .select_related("user")
        .filter(digest=token_digest(raw_token), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Touch at most once a minute, without a history row: it is not a change anyone made.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
