"""MLflow's JSON for the model registry (mlflow/protos/model_registry.proto), as MLflow's server writes it.

Protobuf's JSON: optional fields are left out when unset, repeated fields when empty; int64
timestamps are numbers (milliseconds); a version number is a string.
"""

from __future__ import annotations

from datetime import datetime

from apps.registry.models import ModelVersion, RegisteredModel


def millis(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


def _tags(tags) -> list[dict]:
    return [{"key": tag.key, "value": tag.value} for tag in sorted(tags, key=lambda tag: tag.key)]


def model_version_json(
    version: ModelVersion, *, name: str | None = None, aliases: list[str] | None = None
) -> dict:
    """A ModelVersion message; `aliases` (unless given) and `tags` come from prefetched relations."""
    data: dict = {
        "name": name or version.registered_model.name,
        "version": str(version.version),
        "creation_timestamp": millis(version.created_at),
        "last_updated_timestamp": millis(version.updated_at),
        "current_stage": version.current_stage,
        "source": version.source,
        "status": version.status,
    }
    if version.user_name:
        data["user_id"] = version.user_name
    if version.description:
        data["description"] = version.description
    if version.run_uuid:
        data["run_id"] = version.run_uuid
    if version.status_message:
        data["status_message"] = version.status_message
    tags = _tags(version.tags.all())
    if tags:
        data["tags"] = tags
    if version.run_link:
        data["run_link"] = version.run_link
    if aliases is None:
        aliases = [alias.alias for alias in version.aliases.all()]
    aliases = sorted(aliases)
    if aliases:
        data["aliases"] = aliases
    if version.logged_model_id and version.logged_model is not None:
        data["model_id"] = version.logged_model.model_id
    return data


def registered_model_json(model: RegisteredModel, *, latest: list[ModelVersion] | None = None) -> dict:
    """A RegisteredModel message with its tags, aliases and latest version per stage."""
    data: dict = {
        "name": model.name,
        "creation_timestamp": millis(model.created_at),
        "last_updated_timestamp": millis(model.updated_at),
    }
    if model.description:
        data["description"] = model.description
    if latest is None:
        latest = getattr(model, "latest_versions", None)
    if latest:
        aliases_by_version: dict[int, list[str]] = {}
        for alias in model.aliases.all():
            aliases_by_version.setdefault(alias.model_version_id, []).append(alias.alias)
        data["latest_versions"] = [
            model_version_json(version, name=model.name, aliases=aliases_by_version.get(version.pk, []))
            for version in latest
        ]
    tags = _tags(model.tags.all())
    if tags:
        data["tags"] = tags
    aliases = [
        {"alias": alias.alias, "version": str(alias.model_version.version)}
        for alias in sorted(model.aliases.all(), key=lambda alias: alias.alias)
    ]
    if aliases:
        data["aliases"] = aliases
    return data
