"""How registered models are indexed by search (registered in RegistryConfig.ready())."""

from __future__ import annotations

from apps.core.assets import SearchEntry, register_search


def registered_model_document(registered_model) -> SearchEntry:
    """A registered model: name; description, tags and aliases as body."""
    tags = list(registered_model.tags.all())
    aliases = [alias.alias for alias in registered_model.aliases.all()]
    body = " ".join(
        part
        for part in (
            registered_model.description,
            *(f"{tag.key} {tag.value[:100]}" for tag in tags),
            *aliases,
        )
        if part
    )
    return SearchEntry(
        title=registered_model.name,
        body=body,
        team_id=registered_model.team_id,
        visibility=registered_model.visibility,
        url=registered_model.get_absolute_url(),
    )


def register() -> None:
    from apps.registry.models import RegisteredModel

    register_search(
        RegisteredModel,
        document=registered_model_document,
        queryset=lambda: RegisteredModel.objects.prefetch_related("tags", "aliases"),
    )
