"""Reads for follows: a person's own, of things they may still see."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from apps.community.models import Follow
from apps.core.assets import asset_type


def follow_list(*, user, target_type: str = "") -> QuerySet[Follow]:
    """`user`'s follows of what they may still see, newest first; `target_type` as "catalog.dataset"."""
    follows = Follow.objects.restrict(user).select_related("target_type")
    if target_type:
        app_label, _, model = target_type.partition(".")
        follows = follows.filter(target_type__app_label=app_label, target_type__model=model)
    return follows.prefetch_related("target").order_by("-created_at", "-id")


def is_following(*, user, target: models.Model) -> bool:
    """Whether `user` follows `target` (one query)."""
    if user is None or not user.is_authenticated:
        return False
    return Follow.objects.filter(
        user_id=user.pk, target_type=ContentType.objects.get_for_model(target), target_id=target.pk
    ).exists()


def follower_count(*, target: models.Model) -> int:
    """How many people follow `target` (a count only: who they are is theirs)."""
    return Follow.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=target.pk
    ).count()


def follow_target_label(follow: Follow) -> tuple[str, str]:
    """(type label, Tabler icon) of what a follow points at."""
    target = follow.target
    if target is None:
        return "Removed", "circle-off"
    registered = asset_type(target)
    if registered is not None:
        return registered.label, registered.icon
    return {
        "community.thread": ("Discussion", "messages"),
        "community.category": ("Forum category", "folders"),
        "teams.team": ("Team", "users-group"),
    }.get(target._meta.label_lower, (target._meta.verbose_name.capitalize(), "circle"))


def follow_target_get(*, user, key: str) -> models.Model:
    """The followable object named "app_label.model:id" if `user` may see it, else 404."""
    from django.http import Http404

    from apps.community.models.follows import followable_models

    label, _, raw_id = (key or "").strip().rpartition(":")
    model = next((m for m in followable_models() if m._meta.label_lower == label.lower()), None)
    if model is None or not raw_id.isdigit() or len(raw_id) > 18:
        raise Http404("Nothing to follow here.")
    objects = model._default_manager.all()
    target = (
        objects.restrict(user, "view").filter(pk=int(raw_id)).first()
        if hasattr(objects, "restrict")
        else None
    )
    if target is None:
        raise Http404("Nothing to follow here.")
    return target


def follow_key(target: models.Model) -> str:
    return f"{target._meta.label_lower}:{target.pk}"
