"""Reaching any registered asset from community features (idea links, announcements, activity pages).

Assets are named by a key "<app_label>.<model>:<id>" (as in lineage) and always read through
their own type's `restrict`: an asset the reader may not see is the same as one that does not exist.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import Http404

from apps.core.assets import asset_type, asset_types
from apps.core.permissions import Action

PICKER_LIMIT = 500


def asset_key(obj: models.Model) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def asset_model(label: str) -> type[models.Model]:
    """The registered, restrictable asset model for "app_label.model", else 404."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        raise Http404("No such asset type.") from None
    if asset_type(model) is None or not hasattr(model._default_manager.all(), "restrict"):
        raise Http404("No such asset type.")
    return model


def asset_get(*, user, label: str, pk, action: str = Action.VIEW) -> models.Model:
    """The asset if `user` may take `action` on it, else 404 (no existence leak)."""
    model = asset_model(label)
    try:
        obj = model._default_manager.all().restrict(user, action).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        obj = None
    if obj is None:
        raise Http404("No such asset.")
    return obj


def asset_from_key(*, user, key: str) -> models.Model:
    """The visible asset named by `key`; ValueError for a malformed key, unknown type or hidden asset."""
    label, _, raw_id = (key or "").strip().rpartition(":")
    if not label or not raw_id.isdigit() or len(raw_id) > 18:
        raise ValueError("Name an asset as <app_label>.<model>:<id>, e.g. catalog.dataset:12.")
    try:
        return asset_get(user=user, label=label, pk=raw_id)
    except Http404:
        raise ValueError("No such asset.") from None


def resolve_assets(*, user, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], models.Model]:
    """(content type id, object id) → the asset, for those `user` may see (one query per type)."""
    by_type: dict[int, set[int]] = defaultdict(set)
    for type_id, object_id in keys:
        by_type[type_id].add(object_id)
    found: dict[tuple[int, int], models.Model] = {}
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None or asset_type(model) is None:
            continue
        queryset = model._default_manager.all()
        if not hasattr(queryset, "restrict"):
            continue
        related = ["team"] if "team" in {f.name for f in model._meta.get_fields()} else []
        for obj in queryset.restrict(user, Action.VIEW).select_related(*related).filter(pk__in=ids):
            found[(type_id, obj.pk)] = obj
    return found


def asset_picker_choices(
    *, user, exclude: models.Model | None = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Team-owned assets `user` can see, grouped by type, for a picker (one query per type).

    Community objects (ideas) are not offered: an idea links to the data and models it would change.
    """
    groups = []
    for registered in asset_types():
        model = registered.model
        if registered.section == "community" or "team" not in {f.name for f in model._meta.get_fields()}:
            continue
        objects = model.objects.restrict(user, Action.VIEW).select_related("team")
        if exclude is not None and type(exclude) is model:
            objects = objects.exclude(pk=exclude.pk)
        options = [(asset_key(obj), f"{obj} ({obj.team.name})") for obj in objects[:PICKER_LIMIT]]
        if options:
            groups.append((registered.label, options))
    return groups
