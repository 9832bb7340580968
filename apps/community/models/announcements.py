"""Announcements: what a data officer tells their team or the whole organisation, shown on the home page."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.models import TimeStampedModel
from apps.core.permissions import Action


class AnnouncementSeverity(models.TextChoices):
    INFO = "info", "Information"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class AnnouncementQuerySet(models.QuerySet):
    def restrict(self, user, action: str = Action.VIEW) -> AnnouncementQuerySet:
        """View: organisation-wide ones, and those of the user's teams (any role).

        Any other action (edit, end): the author, a data officer of the team (`manage`) for a
        team announcement, superusers for everything.
        """
        from apps.core.querysets import member_team_ids

        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if action == Action.VIEW:
            return self.filter(Q(team__isnull=True) | Q(team_id__in=member_team_ids(user, Action.VIEW)))
        return self.filter(
            Q(author_id=user.pk, team__isnull=True) | Q(team_id__in=member_team_ids(user, Action.MANAGE))
        )

    def current(self, now=None) -> AnnouncementQuerySet:
        """Started and not expired yet."""
        now = now or timezone.now()
        return self.filter(starts_at__lte=now).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class Announcement(TimeStampedModel):
    """A message to a team (or, with no team, the organisation) between `starts_at` and `expires_at`."""

    team = models.ForeignKey(
        "teams.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty: the whole organisation.",
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Markdown.")
    severity = models.CharField(
        max_length=16, choices=AnnouncementSeverity.choices, default=AnnouncementSeverity.INFO
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # An optional asset it is about (e.g. the dataset being deprecated), shown only to those who see it.
    asset_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    asset_id = models.PositiveBigIntegerField(null=True, blank=True)
    starts_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = AnnouncementQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                # Equal only when ended before it started (withdrawn); forms ask for a later end.
                condition=Q(expires_at__isnull=True) | Q(expires_at__gte=models.F("starts_at")),
                name="announcement_expires_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("community:announcement_detail", kwargs={"pk": self.pk})

    @property
    def is_organisation_wide(self) -> bool:
        return self.team_id is None

    def is_current(self, now=None) -> bool:
        now = now or timezone.now()
        return self.starts_at <= now and (self.expires_at is None or self.expires_at > now)

    @property
    def state(self) -> str:
        """ "current", "scheduled" (not started yet) or "ended"."""
        now = timezone.now()
        if self.expires_at is not None and self.expires_at <= now:
            return "ended"
        return "scheduled" if self.starts_at > now else "current"


class AnnouncementDismissal(models.Model):
    """One person has dismissed one announcement from their home page."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="dismissals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dismissed_at = models.DateTimeField(auto_now_add=True)

    # No history: a dismissal is one person's view of their home page, like a notification read.

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["announcement", "user"], name="announcement_dismissed_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} dismissed {self.announcement}"
