"""Keeps the index in step with registered asset types (a cross-cutting concern, like history).

Receivers are connected per searchable model as each registers (before or after this app's
ready()), on save, delete, and changes to its many-to-many relations (tags, terms).
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from apps.core.assets import SearchType, on_assets_changed, on_search_register, search_type


def _saved(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    from apps.search.services import search_index_objects

    search_index_objects(objects=[instance], with_dependents=True)


def _deleted(sender, instance, **kwargs) -> None:
    from apps.search.services import search_remove_object

    search_remove_object(obj=instance)


def _relations_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    # Tags or terms added to or removed from a registered object: its facets change.
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    from apps.search.services import search_index_objects

    if not reverse and search_type(instance) is not None:
        search_index_objects(objects=[instance])
    elif reverse and pk_set and search_type(model) is not None:
        search_index_objects(objects=list(model._default_manager.filter(pk__in=pk_set)))


def _bulk_changed(objects) -> None:
    # Rows a service changed in bulk (no post_save): index them and what embeds them.
    from apps.search.services import search_index_objects

    search_index_objects(objects=objects, with_dependents=True)


def _watch(registered: SearchType) -> None:
    model = registered.model
    uid = model._meta.label_lower
    post_save.connect(_saved, sender=model, dispatch_uid=f"search-save-{uid}")
    post_delete.connect(_deleted, sender=model, dispatch_uid=f"search-delete-{uid}")
    for field in model._meta.many_to_many:
        m2m_changed.connect(
            _relations_changed,
            sender=field.remote_field.through,
            dispatch_uid=f"search-m2m-{uid}-{field.name}",
        )


def connect() -> None:
    on_search_register(_watch)
    on_assets_changed(_bulk_changed)
