"""Follows: a person keeps up with an asset, a thread, a forum category or a team.

The target is a (content type, id) pair, so any registered asset can be followed without
community importing the app that owns it. A follow is its owner's alone, and only while
they may still see what they follow: losing access to a dataset hides the follow (and
stops its notifications) without deleting it.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from apps.core.assets import asset_types
from apps.core.permissions import Action

# Followable besides every registered asset type.
FOLLOWABLE_LABELS = ("community.thread", "community.category", "teams.team")


def followable_models() -> list[type[models.Model]]:
    """Every model a person may follow: registered assets, threads, categories and teams."""
    found = {registered.model._meta.label_lower: registered.model for registered in asset_types()}
    for label in FOLLOWABLE_LABELS:
        found.setdefault(label, apps.get_model(label))
    return list(found.values())


def is_followable(model_or_instance) -> bool:
    label = model_or_instance._meta.label_lower
    return any(model._meta.label_lower == label for model in followable_models())


def target_condition(user, action: str = Action.VIEW) -> Q:
    """Q matching follows whose target `user` may see: one subquery per followable type."""
    condition = Q(pk__in=[])
    for model in followable_models():
        objects = model._default_manager.all()
        if not hasattr(objects, "restrict"):
            continue
        content_type = ContentType.objects.get_for_model(model)
        condition |= Q(
            target_type_id=content_type.pk, target_id__in=objects.restrict(user, action).values("pk")
        )
    return condition


class FollowQuerySet(models.QuerySet):
    def restrict(self, user, action: str = Action.VIEW) -> FollowQuerySet:
        """A person's own follows of things they may still see (superusers too: follows are personal)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        own = self.filter(user_id=user.pk)
        return own if user.is_superuser else own.filter(target_condition(user))


class Follow(models.Model):
    """One person following one asset, thread, category or team."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FollowQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "target_type", "target_id"], name="community_follow_once")
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="community_follow_target")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.target_type_id}:{self.target_id}"
