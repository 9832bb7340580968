"""Reads for announcements: the current ones for a person's home page, the list, one announcement."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from apps.community.models import Announcement, AnnouncementDismissal
from apps.community.selectors.assets import resolve_assets
from apps.core.permissions import Action
from apps.core.querysets import member_team_ids

HOME_LIMIT = 5
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def announcement_list(*, user, scope: str = "current", team=None) -> QuerySet[Announcement]:
    """Announcements `user` may see: "current" (started, not expired), "past", "scheduled" or "all"."""
    now = timezone.now()
    announcements = (
        Announcement.objects.restrict(user, Action.VIEW)
        .select_related("team", "author")
        .annotate(
            dismissed=Exists(
                AnnouncementDismissal.objects.filter(announcement=OuterRef("pk"), user_id=user.pk)
            )
        )
    )
    if scope == "current":
        announcements = announcements.current(now)
    elif scope == "past":
        announcements = announcements.filter(expires_at__lte=now)
    elif scope == "scheduled":
        announcements = announcements.filter(starts_at__gt=now).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )
    if team == "organisation":
        announcements = announcements.filter(team__isnull=True)
    elif team is not None:
        announcements = announcements.filter(team=team)
    return announcements.order_by("-starts_at", "-id")


def announcement_get(*, user, pk) -> Announcement:
    """One announcement `user` may see, else 404."""
    announcement = (
        Announcement.objects.restrict(user, Action.VIEW)
        .select_related("team", "author")
        .filter(pk=pk)
        .first()
    )
    if announcement is None:
        raise Http404("No such announcement.")
    return announcement


@dataclass
class AnnouncementView:
    """An announcement with its linked asset resolved for one reader (None when they cannot see it)."""

    announcement: Announcement
    asset: object | None = None


def announcement_views(*, user, announcements) -> list[AnnouncementView]:
    """Attach each announcement's asset, if the reader may see it (one query per asset type)."""
    rows = list(announcements)
    keys = {(a.asset_type_id, a.asset_id) for a in rows if a.asset_type_id and a.asset_id}
    assets = resolve_assets(user=user, keys=keys)
    return [AnnouncementView(announcement=a, asset=assets.get((a.asset_type_id, a.asset_id))) for a in rows]


def announcement_home(*, user) -> list[AnnouncementView]:
    """The current announcements `user` has not dismissed, the most severe first (home page)."""
    now = timezone.now()
    announcements = (
        Announcement.objects.restrict(user, Action.VIEW)
        .current(now)
        .exclude(Exists(AnnouncementDismissal.objects.filter(announcement=OuterRef("pk"), user_id=user.pk)))
        .select_related("team", "author")
        .order_by("-starts_at", "-id")[:50]
    )
    rows = sorted(announcements, key=lambda a: (SEVERITY_ORDER.get(a.severity, 3), -a.starts_at.timestamp()))
    return announcement_views(user=user, announcements=rows[:HOME_LIMIT])


def announcement_home_panel(user) -> dict | None:
    """The home page panel's context (None: nothing to show)."""
    views = announcement_home(user=user)
    return {"announcement_views": views} if views else None


def announcement_postable_teams(*, user) -> QuerySet:
    """Teams `user` may announce to (their data-officer teams; every team for superusers)."""
    team_model = apps.get_model("teams", "Team")
    if user.is_superuser:
        return team_model.objects.order_by("name")
    return team_model.objects.filter(pk__in=member_team_ids(user, Action.MANAGE)).order_by("name")


def announcement_user_may_post_anywhere(*, user) -> bool:
    from apps.community.services.announcements import announcement_user_may_post

    return announcement_user_may_post(user=user, team=None) or announcement_postable_teams(user=user).exists()
