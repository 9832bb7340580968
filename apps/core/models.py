"""Base models every domain app builds on."""

from django.db import models

from apps.core.querysets import RestrictedQuerySet


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private"
    INTERNAL = "internal", "Internal"


class TimeStampedModel(models.Model):
    """Creation and last-change times."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TeamOwnedModel(TimeStampedModel):
    """An asset owned by one team; readable by others only when internal or granted.

    Subclasses add `history = HistoricalRecords()` and declare their guardian
    grant tables as `user_grant_model` / `group_grant_model` (direct FKs).
    """

    team = models.ForeignKey("teams.Team", on_delete=models.PROTECT, related_name="+")
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PRIVATE, db_index=True
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        abstract = True
