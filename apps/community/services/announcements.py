"""Writes for announcements: post, edit, end, dismiss.

Who may post (docs/community-ideas.md): to a team, its data officers (the `manage` action
in that team) and superusers; to the whole organisation, superusers and staff data officers
(staff holding `manage` in at least one team). Editing and ending: the same people for a
team announcement, the author or a superuser for an organisation-wide one.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from apps.community.models import Announcement, AnnouncementDismissal, AnnouncementSeverity
from apps.core.assets import asset_type
from apps.core.history import acting_user
from apps.core.permissions import Action
from apps.core.querysets import member_team_ids

ANNOUNCEMENT_FIELDS = {"title", "body", "severity", "starts_at", "expires_at", "asset"}


def announcement_user_may_post(*, user, team) -> bool:
    """Whether `user` may announce to `team` (None: the whole organisation)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    officer_of = member_team_ids(user, Action.MANAGE)
    if team is None:
        return bool(user.is_staff) and officer_of.exists()
    return officer_of.filter(team_id=team.pk).exists()


def announcement_user_may_change(*, user, announcement: Announcement) -> bool:
    return Announcement.objects.restrict(user, Action.CHANGE).filter(pk=announcement.pk).exists()


def _asset_fields(*, by, asset: models.Model | None) -> dict:
    if asset is None:
        return {"asset_type": None, "asset_id": None}
    if asset_type(asset) is None or not hasattr(type(asset)._default_manager.all(), "restrict"):
        raise ValidationError({"asset": "Only catalog assets (datasets, models …) can be linked."})
    if not type(asset)._default_manager.all().restrict(by, Action.VIEW).filter(pk=asset.pk).exists():
        raise ValidationError({"asset": "No such asset."})
    return {"asset_type": ContentType.objects.get_for_model(asset), "asset_id": asset.pk}


def _check_dates(starts_at: datetime, expires_at: datetime | None, *, was_expires_at=None) -> None:
    if expires_at is None:
        return
    if expires_at <= starts_at:
        raise ValidationError({"expires_at": "The announcement must expire after it starts."})
    if expires_at <= timezone.now() and expires_at != was_expires_at:
        raise ValidationError({"expires_at": "This date has passed: the announcement would never show."})


@transaction.atomic
def announcement_create(
    *,
    by,
    team=None,
    title: str,
    body: str = "",
    severity: str = AnnouncementSeverity.INFO,
    starts_at: datetime | None = None,
    expires_at: datetime | None = None,
    asset: models.Model | None = None,
) -> Announcement:
    """Announce to `team`'s members, or with no team to everyone, from `starts_at` until `expires_at`."""
    if not announcement_user_may_post(user=by, team=team):
        where = team.name if team is not None else "the whole organisation"
        raise ValidationError({"team": f"You may not post announcements to {where}."})
    starts_at = starts_at or timezone.now()
    _check_dates(starts_at, expires_at)
    announcement = Announcement(
        team=team,
        title=(title or "").strip(),
        body=body or "",
        severity=severity,
        author=by,
        starts_at=starts_at,
        expires_at=expires_at,
        **_asset_fields(by=by, asset=asset),
    )
    announcement.full_clean()
    with acting_user(by):
        announcement.save()
    return announcement


@transaction.atomic
def announcement_update(*, announcement: Announcement, by, **changes) -> Announcement:
    """Change an announcement's text, severity, dates or asset (its audience stays put)."""
    unknown = set(changes) - ANNOUNCEMENT_FIELDS
    if unknown:
        raise ValueError(f"Cannot change {sorted(unknown)} on an announcement.")
    if not announcement_user_may_change(user=by, announcement=announcement):
        raise PermissionDenied("Only its author or the team's data officers may change this announcement.")
    was_expires_at = announcement.expires_at
    if "asset" in changes:
        for field, value in _asset_fields(by=by, asset=changes.pop("asset")).items():
            setattr(announcement, field, value)
    for field, value in changes.items():
        setattr(announcement, field, value.strip() if field == "title" else value)
    _check_dates(announcement.starts_at, announcement.expires_at, was_expires_at=was_expires_at)
    announcement.full_clean()
    with acting_user(by):
        announcement.save()
    return announcement


@transaction.atomic
def announcement_end(*, announcement: Announcement, by) -> Announcement:
    """Stop showing the announcement now (one not started yet is withdrawn)."""
    if not announcement_user_may_change(user=by, announcement=announcement):
        raise PermissionDenied("Only its author or the team's data officers may end this announcement.")
    now = timezone.now()
    if announcement.expires_at is not None and announcement.expires_at <= now:
        return announcement
    announcement.starts_at = min(announcement.starts_at, now)
    announcement.expires_at = now
    with acting_user(by):
        announcement.save()
    return announcement


def announcement_dismiss(*, announcement: Announcement, by) -> AnnouncementDismissal:
    """Hide the announcement from `by`'s home page (idempotent); the caller loaded it through restrict."""
    dismissal, _ = AnnouncementDismissal.objects.get_or_create(announcement=announcement, user=by)
    return dismissal
