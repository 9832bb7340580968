"""The asset registry: how generic features (history, jobs, lineage, discussions,
search, follows) reach any asset type without importing the app that owns it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class AssetType:
    model: type[models.Model]
    label: str
    icon: str  # a Tabler icon name, e.g. "database"
    section: str  # navigation section, e.g. "catalog"


_REGISTRY: dict[str, AssetType] = {}
_ASSET_LISTENERS: list[Callable[[AssetType], None]] = []


def register_asset(model: type[models.Model], *, label: str, icon: str, section: str) -> None:
    """Declare `model` an asset; call from the owning app's AppConfig.ready()."""
    registered = AssetType(model=model, label=label, icon=icon, section=section)
    _REGISTRY[model._meta.label_lower] = registered
    for listener in _ASSET_LISTENERS:
        listener(registered)


def on_asset_register(listener: Callable[[AssetType], None]) -> None:
    """Call `listener` for every asset type, registered before or after (e.g. to watch deletions)."""
    _ASSET_LISTENERS.append(listener)
    for registered in list(_REGISTRY.values()):
        listener(registered)


def asset_type(model_or_instance) -> AssetType | None:
    return _REGISTRY.get(model_or_instance._meta.label_lower)


def asset_types() -> list[AssetType]:
    return list(_REGISTRY.values())


def is_asset(model_or_instance) -> bool:
    return asset_type(model_or_instance) is not None


def asset_model(label: str) -> type[models.Model] | None:
    """The registered asset model named "app_label.model_name", or None."""
    registered = _REGISTRY.get((label or "").strip().lower())
    return registered.model if registered else None


def asset_key(obj: models.Model) -> str:
    """How an asset is named across apps and in URLs: "catalog.dataset:12"."""
    return f"{obj._meta.label_lower}:{obj.pk}"


def asset_parse_key(key: str) -> tuple[type[models.Model], int]:
    """ "catalog.dataset:12" → (Dataset, 12); a ValueError says what is wrong with the key."""
    label, _, raw_id = (key or "").strip().rpartition(":")
    if not label or not raw_id.isdigit() or len(raw_id) > 18:
        raise ValueError("Name an asset as <app_label>.<model>:<id>, e.g. catalog.dataset:12.")
    model = asset_model(label)
    if model is None:
        raise ValueError(f"{label!r} is not an asset type.")
    return model, int(raw_id)


def asset_team_path(model: type[models.Model]) -> str | None:
    """The lookup from an asset to its owning team: "team", or through the parent it inherits from."""
    names = {field.name for field in model._meta.get_fields()}
    if "team" in names:
        return "team"
    through = getattr(model, "restrict_through", None)
    if through is None and "dataset" in names and hasattr(model._default_manager.all(), "restrict"):
        through = "dataset"  # InheritedRestrictQuerySet's default parent
    if through is None:
        return None
    parent = model
    for part in through.split("__"):
        parent = parent._meta.get_field(part).related_model
    parent_path = asset_team_path(parent)
    return f"{through}__{parent_path}" if parent_path else None


# --- search: how each asset type is indexed ----------------------------------------------------
@dataclass(frozen=True)
class SearchEntry:
    """What search indexes for one object; `access` is the object whose permissions govern it
    (the object itself, or e.g. a column's dataset), `team_id`/`visibility` are that object's."""

    title: str
    body: str
    team_id: int | None
    visibility: str
    url: str
    access: models.Model | None = None
    tags: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    status: str = ""  # e.g. a quality status ("passing", "failing"); later issues fill it


@dataclass(frozen=True)
class SearchType:
    model: type[models.Model]
    document: Callable[[models.Model], SearchEntry | None]  # None: not searchable (e.g. a draft)
    # Objects to (re)index in bulk, with the select/prefetch `document` needs (default: all).
    queryset: Callable[[], models.QuerySet] | None = None
    # Other indexed objects whose entries embed this one's fields (a dataset's columns).
    dependents: Callable[[models.Model], Iterable[models.Model]] | None = None
    label: str = ""  # a person's name for the type (default: the asset registry's)
    icon: str = ""  # a Tabler icon name (default: the asset registry's)

    def bulk_queryset(self) -> models.QuerySet:
        return self.queryset() if self.queryset is not None else self.model._default_manager.all()


_SEARCH: dict[str, SearchType] = {}
_SEARCH_LISTENERS: list[Callable[[SearchType], None]] = []


def register_search(
    model: type[models.Model],
    *,
    document: Callable[[models.Model], SearchEntry | None],
    queryset: Callable[[], models.QuerySet] | None = None,
    dependents: Callable[[models.Model], Iterable[models.Model]] | None = None,
    label: str = "",
    icon: str = "",
) -> None:
    """Make `model` searchable (call from AppConfig.ready(), after `register_asset`).

    `document(obj)` returns the SearchEntry to index; the search app keeps the index
    up to date on save/delete and rebuilds it in bulk with `manage.py search_reindex`.
    """
    registered_asset = asset_type(model)
    registered = SearchType(
        model=model,
        document=document,
        queryset=queryset,
        dependents=dependents,
        label=label
        or (registered_asset.label if registered_asset else model._meta.verbose_name.capitalize()),
        icon=icon or (registered_asset.icon if registered_asset else "file"),
    )
    _SEARCH[model._meta.label_lower] = registered
    for listener in _SEARCH_LISTENERS:
        listener(registered)


def on_search_register(listener: Callable[[SearchType], None]) -> None:
    """Call `listener` for every searchable type, registered before or after (the search app's hook)."""
    _SEARCH_LISTENERS.append(listener)
    for registered in list(_SEARCH.values()):
        listener(registered)


def search_type(model_or_label) -> SearchType | None:
    label = model_or_label if isinstance(model_or_label, str) else model_or_label._meta.label_lower
    return _SEARCH.get(label)


def search_types() -> list[SearchType]:
    return list(_SEARCH.values())


# --- changes that send no save signal (bulk updates) ---------------------------------------------
_CHANGE_LISTENERS: list[Callable[[list[models.Model]], None]] = []


def on_assets_changed(listener: Callable[[list[models.Model]], None]) -> None:
    """Call `listener(objects)` whenever `assets_changed` reports objects (the search app's hook)."""
    _CHANGE_LISTENERS.append(listener)


def assets_changed(*, objects: Iterable[models.Model]) -> None:
    """Tell generic features that `objects` changed without their save signals (e.g. a bulk update)."""
    changed = list(objects)
    if changed:
        for listener in _CHANGE_LISTENERS:
            listener(changed)


# --- generic references to assets ----------------------------------------------------------------
def visible_assets_q(user, type_field: str, id_field: str, action: str = "view") -> models.Q:
    """Q matching rows whose (content type, id) pair names an asset `user` may take `action` on.

    For rows that point at any registered asset (idea links, discussion threads, follows …):
    each asset type's own `restrict` decides, one subquery per type; a deleted asset matches nothing.
    """
    from django.contrib.contenttypes.models import ContentType

    condition = models.Q(pk__in=[])
    for registered in asset_types():
        manager = registered.model._default_manager
        if not hasattr(manager.all(), "restrict"):
            continue
        condition |= models.Q(
            **{
                f"{type_field}_id": ContentType.objects.get_for_model(registered.model).pk,
                f"{id_field}__in": manager.all().restrict(user, action).values("pk"),
            }
        )
    return condition
