"""Writes for follows, and who follows what (for notifications by any app through core's hook)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q

from apps.community.models import Follow
from apps.community.models.follows import is_followable
from apps.core.assets import asset_team_path, is_asset
from apps.core.history import acting_user
from apps.core.permissions import Action


def _target_fields(target: models.Model) -> dict:
    return {"target_type": ContentType.objects.get_for_model(target), "target_id": target.pk}


def _visible(user, target: models.Model) -> bool:
    objects = type(target)._default_manager.all()
    if not hasattr(objects, "restrict"):
        return False
    return objects.restrict(user, Action.VIEW).filter(pk=target.pk).exists()


def follow_create(*, user, target: models.Model) -> Follow:
    """`user` follows `target` (idempotent); it must be followable and visible to them."""
    if not is_followable(target):
        raise ValidationError({"target": "This kind of object cannot be followed."})
    if not _visible(user, target):
        raise ValidationError({"target": "No such object."})  # the same answer as for a missing one
    existing = Follow.objects.filter(user=user, **_target_fields(target)).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic(), acting_user(user):
            return Follow.objects.create(user=user, **_target_fields(target))
    except IntegrityError:  # followed twice at once
        return Follow.objects.get(user=user, **_target_fields(target))


def follow_delete(*, user, target: models.Model) -> bool:
    """`user` stops following `target`; whether they were following it."""
    follow = Follow.objects.filter(user=user, **_target_fields(target)).first()
    if follow is None:
        return False
    with transaction.atomic(), acting_user(user):
        follow.delete()
    return True


def follow_toggle(*, user, target: models.Model) -> bool:
    """Follow or unfollow; returns whether `user` now follows `target`."""
    if Follow.objects.filter(user=user, **_target_fields(target)).exists():
        follow_delete(user=user, target=target)
        return False
    follow_create(user=user, target=target)
    return True


def follow_ensure(*, user, target: models.Model) -> None:
    """Follow without a visibility check (the caller just acted on `target`: they see it)."""
    if user is None or Follow.objects.filter(user=user, **_target_fields(target)).exists():
        return
    try:
        with transaction.atomic(), acting_user(user):
            Follow.objects.create(user=user, **_target_fields(target))
    except IntegrityError:
        pass


def _team_id_of(target: models.Model) -> int | None:
    """The id of the team that owns an asset (its own, or its parent's), else None."""
    path = asset_team_path(type(target)) if is_asset(target) else None
    if path is None:
        return None
    return type(target)._default_manager.filter(pk=target.pk).values_list(f"{path}_id", flat=True).first()


def followers_of(*, target: models.Model, include_team: bool = True) -> models.QuerySet:
    """People following `target`; for an asset, also the followers of its owning team.

    Not filtered by visibility: `notify` drops whoever may not see the target.
    """
    condition = Q(
        follows__target_type=ContentType.objects.get_for_model(target), follows__target_id=target.pk
    )
    team_id = _team_id_of(target) if include_team else None
    if team_id is not None:
        team_type = ContentType.objects.get_by_natural_key("teams", "team")
        condition |= Q(follows__target_type=team_type, follows__target_id=team_id)
    return get_user_model().objects.filter(condition, is_active=True).distinct()


def follows_delete_for(*, target: models.Model) -> int:
    """Forget every follow of a deleted object (called when an asset or thread is deleted)."""
    deleted, _ = Follow.objects.filter(**_target_fields(target)).delete()
    return deleted
