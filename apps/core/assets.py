"""The asset registry: how generic features (history, jobs, lineage, discussions,
search, follows) reach any asset type without importing the app that owns it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class AssetType:
    model: type[models.Model]
    label: str
    icon: str  # a Tabler icon name, e.g. "database"
    section: str  # navigation section, e.g. "catalog"


_REGISTRY: dict[str, AssetType] = {}


def register_asset(model: type[models.Model], *, label: str, icon: str, section: str) -> None:
    """Declare `model` an asset; call from the owning app's AppConfig.ready()."""
    _REGISTRY[model._meta.label_lower] = AssetType(model=model, label=label, icon=icon, section=section)


def asset_type(model_or_instance) -> AssetType | None:
    return _REGISTRY.get(model_or_instance._meta.label_lower)


def asset_types() -> list[AssetType]:
    return list(_REGISTRY.values())


def is_asset(model_or_instance) -> bool:
    return asset_type(model_or_instance) is not None
