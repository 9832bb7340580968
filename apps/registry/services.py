"""Writes and business rules for the model registry: models, versions, stages, aliases and tags.

Callers resolve objects through the selectors (restrict + the action) first; services check what
depends on the acting user themselves: the team a new model goes to and whether a version's
source is a run or logged model that user may see. Errors are Django's: ValidationError
(`code="already_exists"` for a name clash, `code="invalid"` otherwise) and PermissionDenied.
Every write is attributed to `by` in the history.
"""

from __future__ import annotations

import posixpath
import re
import urllib.parse
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from apps.core.assets import assets_changed
from apps.core.history import acting_user
from apps.core.models import Visibility
from apps.core.permissions import Action
from apps.registry.models import (
    NAME_MAX_LENGTH,
    ModelAlias,
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
)
from apps.teams.models import Team
from apps.teams.selectors import TEAM_TAG

TAG_VALUE_MAX_LENGTH = 100_000  # MLflow's MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH
SOURCE_MAX_LENGTH = 1000
RUN_LINK_MAX_LENGTH = 500
TAG_KEY_PATTERN = re.compile(r"^[/\w.\- :]*$")
ALIAS_PATTERN = re.compile(r"^[\w\-]*$")
VERSION_ALIAS_PATTERN = re.compile(r"^[vV]\d+$")


def _invalid(message: str, field: str | None = None) -> ValidationError:
    if field:
        return ValidationError({field: ValidationError(message, code="invalid")})
    return ValidationError(message, code="invalid")


# --- validation (MLflow's rules, mlflow/utils/validation.py) ---------------------------------
def _resolves_elsewhere(name: str) -> bool:
    normalized = posixpath.normpath(name)
    return normalized != name or normalized == "." or normalized.startswith(("..", "/"))


def model_name_check(name) -> str:
    """A registered model name as MLflow accepts it: not blank, no '/' or ':', at most 250 characters."""
    if not isinstance(name, str) or not name.strip():
        raise _invalid("Missing value for required parameter 'name'.", "name")
    if "/" in name or ":" in name:
        raise _invalid(f"Invalid model name '{name}'. Names cannot contain '/' or ':'.", "name")
    if _resolves_elsewhere(name) or "\x00" in name:
        raise _invalid(
            f"Invalid value '{name}' for parameter 'name': names must not resolve to other names.", "name"
        )
    if len(name) > NAME_MAX_LENGTH:
        raise _invalid(f"Model name exceeds the maximum length of {NAME_MAX_LENGTH} characters.", "name")
    return name


def tag_check(key, value) -> tuple[str, str]:
    """A tag key and value as MLflow accepts them for registered models and versions."""
    if not isinstance(key, str) or key == "":
        raise _invalid("Missing value for required parameter 'key'.", "key")
    if not TAG_KEY_PATTERN.match(key):
        raise _invalid(
            f"Invalid value '{key}' for parameter 'key' supplied: Names may only contain alphanumerics, "
            "underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).",
            "key",
        )
    if _resolves_elsewhere(key):
        raise _invalid(
            f"Invalid value '{key}' for parameter 'key': names must not resolve to other names.", "key"
        )
    if len(key) > NAME_MAX_LENGTH:
        raise _invalid(f"'key' exceeds the maximum length of {NAME_MAX_LENGTH} characters", "key")
    value = "" if value is None else value
    if not isinstance(value, str):
        raise _invalid("Tag values must be strings.", "value")
    if len(value) > TAG_VALUE_MAX_LENGTH:
        raise _invalid(f"'value' exceeds the maximum length of {TAG_VALUE_MAX_LENGTH} characters", "value")
    return key, value


def alias_check(alias) -> str:
    """An alias name MLflow accepts for setting: word characters and dashes, not `latest` or `v<n>`."""
    if not isinstance(alias, str) or alias == "":
        raise _invalid("Registered model alias name cannot be empty.", "alias")
    if not ALIAS_PATTERN.match(alias):
        raise _invalid(
            f"Invalid alias name: '{alias}'. Alias names may only contain alphanumerics, underscores "
            "and dashes.",
            "alias",
        )
    if len(alias) > NAME_MAX_LENGTH:
        raise _invalid(
            f"Registered model alias name exceeds the maximum length of {NAME_MAX_LENGTH}.", "alias"
        )
    if alias.lower() == "latest":
        raise _invalid("'latest' alias name (case insensitive) is reserved.", "alias")
    if VERSION_ALIAS_PATTERN.match(alias):
        raise _invalid(f"Version alias name '{alias}' is reserved.", "alias")
    return alias


def _clean_tags(tags) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for key, value in dict(tags or {}).items():
        key, value = tag_check(key, value)
        cleaned[key] = value
    return cleaned


def _touch(registered_model: RegisteredModel) -> None:
    # A version, alias or tag changed: the model's "last updated" moves (MLflow's
    # last_updated_timestamp). Not a change of the model's own fields, so no history row; the
    # change itself is in the version's, alias's or tag's history.
    now = timezone.now()
    RegisteredModel.objects.filter(pk=registered_model.pk).update(updated_at=now)
    registered_model.updated_at = now
    assets_changed(objects=[registered_model])  # its search entry lists its aliases and tags


# --- registered models ------------------------------------------------------------------------
def _name_taken(*, team: Team, name: str, exclude_pk: int | None = None) -> bool:
    return RegisteredModel.objects.filter(team=team, name=name).exclude(pk=exclude_pk).exists()


def _already_exists(name: str) -> ValidationError:
    return ValidationError(
        {"name": ValidationError(f"Registered Model (name={name}) already exists.", code="already_exists")}
    )


def registered_model_create(
    *,
    team: Team,
    by,
    name: str,
    description: str = "",
    tags: dict | None = None,
    visibility: str = Visibility.PRIVATE,
) -> RegisteredModel:
    """Register a model for `team` (the caller checked the `add` right); names are unique per team."""
    name = model_name_check(name)
    tags = {key: value for key, value in _clean_tags(tags).items() if key != TEAM_TAG}
    if visibility not in Visibility.values:
        raise _invalid(f"Unknown visibility '{visibility}'.", "visibility")
    if _name_taken(team=team, name=name):
        raise _already_exists(name)
    try:
        with transaction.atomic(), acting_user(by):
            model = RegisteredModel.objects.create(
                team=team, name=name, description=description or "", visibility=visibility, created_by=by
            )
            for key, value in tags.items():
                RegisteredModelTag.objects.create(registered_model=model, key=key, value=value)
    except IntegrityError:  # created concurrently under the same name
        raise _already_exists(name) from None
    return model


@transaction.atomic
def registered_model_rename(*, registered_model: RegisteredModel, by, new_name: str) -> RegisteredModel:
    """Rename a model; the new name must be free in its team."""
    if not isinstance(new_name, str) or not new_name.strip():
        raise _invalid("Missing value for required parameter 'new_name'.", "name")
    new_name = model_name_check(new_name)
    if new_name == registered_model.name:
        return registered_model
    if _name_taken(team=registered_model.team, name=new_name, exclude_pk=registered_model.pk):
        raise _already_exists(new_name)
    registered_model.name = new_name
    with acting_user(by):
        registered_model.save()
    return registered_model


@transaction.atomic
def registered_model_update(
    *, registered_model: RegisteredModel, by, description: str | None = None, visibility: str | None = None
) -> RegisteredModel:
    """Change a model's description (Markdown) and/or visibility; unchanged fields write nothing."""
    changed = False
    if description is not None and description != registered_model.description:
        registered_model.description = description
        changed = True
    if visibility is not None and visibility != registered_model.visibility:
        if visibility not in Visibility.values:
            raise _invalid(f"Unknown visibility '{visibility}'.", "visibility")
        registered_model.visibility = visibility
        changed = True
    if changed:
        with acting_user(by):
            registered_model.save()
    return registered_model


@transaction.atomic
def registered_model_delete(*, registered_model: RegisteredModel, by) -> None:
    """Delete a model with its versions, aliases and tags; the history keeps deletion rows by `by`."""
    with acting_user(by):
        registered_model.delete()


@transaction.atomic
def registered_model_tag_set(
    *, registered_model: RegisteredModel, by, key: str, value: str
) -> RegisteredModelTag:
    """Set a tag on a model (the same value again writes nothing)."""
    key, value = tag_check(key, value)
    with acting_user(by):
        tag, created = RegisteredModelTag.objects.get_or_create(
            registered_model=registered_model, key=key, defaults={"value": value}
        )
        changed = created or tag.value != value
        if not created and changed:
            tag.value = value
            tag.save()
    if changed:
        _touch(registered_model)
    return tag


@transaction.atomic
def registered_model_tag_delete(*, registered_model: RegisteredModel, by, key: str) -> None:
    """Remove a tag from a model (a missing tag is not an error, as in MLflow)."""
    tag_check(key, "")
    with acting_user(by):
        for tag in RegisteredModelTag.objects.filter(registered_model=registered_model, key=key):
            tag.delete()


# --- a version's source -----------------------------------------------------------------------
@dataclass
class ResolvedSource:
    """Where a new version's files are, and the run and logged model it came from."""

    source: str
    storage_location: str
    run: object | None
    logged_model: object | None


def _source_error(source: str, detail: str) -> ValidationError:
    return _invalid(f"Invalid model version source: '{source}'. {detail}", "source")


def _unquoted(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, urllib.parse.unquote(text)
    return text


def _path_parts(uri_path: str) -> list[str]:
    return [part for part in uri_path.split("/") if part]


def _visible_run(*, user, run_uuid: str, source: str):
    from apps.experiments.models import Run

    run = Run.objects.restrict(user, Action.VIEW).select_related("experiment").filter(uuid=run_uuid).first()
    if run is None:  # missing and invisible runs get the same answer
        raise _source_error(
            source, "The run_id request parameter must identify a run you can see that contains the source."
        )
    return run


def _visible_logged_model(*, user, model_id: str, source: str):
    from apps.experiments.models import LoggedModel

    logged_model = (
        LoggedModel.objects.restrict(user, Action.VIEW)
        .select_related("source_run")
        .filter(model_id=model_id)
        .first()
    )
    if logged_model is None:
        raise _source_error(source, "The model_id must identify a logged model you can see.")
    return logged_model


def _within(source_parts: list[str], root: str) -> bool:
    parsed = urllib.parse.urlsplit(root)
    root_parts = [_unquoted(part) for part in _path_parts(parsed.path)]
    return (
        parsed.scheme == "mlflow-artifacts"
        and not parsed.netloc
        and bool(root_parts)
        and (source_parts[: len(root_parts)] == root_parts)
    )


def model_version_source_resolve(*, user, source, run_id: str = "", model_id: str = "") -> ResolvedSource:
    """Check a new version's source against what `user` may see and find its run and logged model.

    Accepted: `models:/<model_id>` (MLflow 3's logged model), `models:/<name>/<version>` or
    `models:/<name>@<alias>` (an existing version), `runs:/<run_id>/<path>` and
    `mlflow-artifacts:/…` inside the artifact root of the given run or logged model (MLflow 2).
    Refused: local paths and `file:`, other hosts, `..` (also percent-encoded), NUL, backslashes.
    """
    if not isinstance(source, str) or not source.strip():
        raise _invalid("Missing value for required parameter 'source'.", "source")
    if len(source) > SOURCE_MAX_LENGTH:
        raise _source_error(source[:100] + "…", f"Sources are at most {SOURCE_MAX_LENGTH} characters.")
    decoded = _unquoted(source)
    if "\x00" in decoded or "\\" in decoded:
        raise _source_error(source, "It contains a NUL character or a backslash.")
    if any(part == ".." for part in re.split(r"[/]", decoded)):
        raise _source_error(source, "Relative path references ('..') are not allowed.")
    parsed = urllib.parse.urlsplit(source)
    scheme = parsed.scheme.lower()
    if scheme in {"", "file"} or re.match(r"^[A-Za-z]:", source):
        raise _source_error(source, "Local paths are not model sources here: log the model to a run first.")
    if parsed.netloc or source.startswith(f"{parsed.scheme}://"):
        raise _source_error(source, "Sources on other hosts are not accepted.")
    if parsed.query or parsed.fragment or "?" in source or "#" in source:
        raise _source_error(source, "Sources cannot carry a query string or a fragment.")
    run_id = run_id or ""
    model_id = model_id or ""
    parts = [_unquoted(part) for part in _path_parts(parsed.path)]

    if scheme == "models":
        return _models_source(user=user, source=source, parts=parts, run_id=run_id, model_id=model_id)
    if scheme == "runs":
        if model_id:
            raise _source_error(source, "A runs:/ source cannot be given with a model_id.")
        if not parts:
            raise _source_error(source, "Expected runs:/<run_id>/<path>.")
        if run_id and run_id != parts[0]:
            raise _source_error(source, "The run_id request parameter must identify the run in the source.")
        run = _visible_run(user=user, run_uuid=parts[0], source=source)
        relative = "/".join(parts[1:])
        storage = source
        if run.artifact_uri:
            storage = run.artifact_uri.rstrip("/") + (f"/{relative}" if relative else "")
        logged_model = _logged_model_of_run_path(run=run, relative=relative)
        return ResolvedSource(source, storage, run, logged_model)
    if scheme == "mlflow-artifacts":
        if model_id:
            logged_model = _visible_logged_model(user=user, model_id=model_id, source=source)
            if not _within(parts, logged_model.artifact_location):
                raise _source_error(source, "The source must be inside the logged model's artifacts.")
            run = logged_model.source_run
            if run_id:
                run = _visible_run(user=user, run_uuid=run_id, source=source)
            return ResolvedSource(source, source, run, logged_model)
        if not run_id:
            raise _source_error(
                source, "The run_id request parameter must identify the run that contains the source."
            )
        run = _visible_run(user=user, run_uuid=run_id, source=source)
        if not _within(parts, run.artifact_uri):
            raise _source_error(source, "The source must be inside the run's artifacts.")
        return ResolvedSource(source, source, run, None)
    raise _source_error(
        source,
        "Use models:/<model_id>, runs:/<run_id>/<path> or an mlflow-artifacts:/ URI of a run you can see.",
    )


def _logged_model_of_run_path(*, run, relative: str):
    """The logged model a run produced under that artifact path (MLflow 2 flavours name it so)."""
    from apps.experiments.models import LoggedModel

    if not relative:
        return None
    return (
        LoggedModel.objects.filter(source_run=run, name=relative.strip("/")).order_by("-created_at").first()
    )


def _models_source(*, user, source: str, parts: list[str], run_id: str, model_id: str) -> ResolvedSource:
    from apps.registry import selectors

    if len(parts) == 1 and "@" not in parts[0]:
        if model_id and model_id != parts[0]:
            raise _source_error(
                source, "The model_id request parameter must identify the model in the source."
            )
        logged_model = _visible_logged_model(user=user, model_id=parts[0], source=source)
        run = logged_model.source_run
        if run_id:
            run = _visible_run(user=user, run_uuid=run_id, source=source)
        return ResolvedSource(source, logged_model.artifact_location or source, run, logged_model)
    try:
        if len(parts) == 2 and parts[1].isdigit():
            origin = selectors.model_version_by_name(user=user, name=parts[0], version=parts[1])
        elif len(parts) == 1:
            name, _, alias = parts[0].rpartition("@")
            origin = selectors.model_version_by_alias(user=user, name=name, alias=alias)
        else:
            raise _source_error(
                source, "Expected models:/<model_id>, models:/<name>/<version> or models:/<name>@<alias>."
            )
    except (Http404, PermissionDenied, ValidationError) as error:
        if isinstance(error, ValidationError) and "source" in getattr(error, "error_dict", {}):
            raise
        raise _source_error(source, "It must name a model version you can see.") from None
    if (run_id and run_id != (origin.run_uuid or "")) or (
        model_id and model_id != getattr(origin.logged_model, "model_id", "")
    ):
        raise _source_error(
            source, "The run_id and model_id request parameters must match the referenced model version."
        )
    canonical = f"models:/{origin.registered_model.name}/{origin.version}"
    return ResolvedSource(
        canonical, origin.storage_location or origin.source, origin.run, origin.logged_model
    )


# --- model versions ---------------------------------------------------------------------------
def _next_version(registered_model: RegisteredModel) -> int:
    # Deleted versions live on in the history table, so their numbers are never handed out again
    # (MLflow keeps deleted versions as rows for the same reason).
    current = ModelVersion.objects.filter(registered_model=registered_model).aggregate(top=Max("version"))[
        "top"
    ]
    past = ModelVersion.history.model.objects.filter(registered_model_id=registered_model.pk).aggregate(
        top=Max("version")
    )["top"]
    return max(current or 0, past or 0) + 1


@transaction.atomic
def model_version_create(
    *,
    registered_model: RegisteredModel,
    by,
    source: str,
    run_id: str = "",
    model_id: str = "",
    run_link: str = "",
    description: str = "",
    tags: dict | None = None,
) -> ModelVersion:
    """Add the next version to a model (the caller checked `change` on it); READY at once.

    The model's row is locked while the number is chosen (SELECT … FOR UPDATE on PostgreSQL;
    SQLite's immediate transactions serialize writers), so concurrent registrations get
    consecutive numbers.
    """
    tags = _clean_tags(tags)
    resolved = model_version_source_resolve(user=by, source=source, run_id=run_id, model_id=model_id)
    if run_link and len(run_link) > RUN_LINK_MAX_LENGTH:
        raise _invalid(
            f"'run_link' exceeds the maximum length of {RUN_LINK_MAX_LENGTH} characters", "run_link"
        )
    locked = RegisteredModel.objects.select_for_update().get(pk=registered_model.pk)
    number = _next_version(locked)
    with acting_user(by):
        version = ModelVersion.objects.create(
            registered_model=locked,
            version=number,
            description=description or "",
            source=resolved.source,
            storage_location=resolved.storage_location,
            run=resolved.run,
            run_uuid=getattr(resolved.run, "uuid", "") or "",
            run_link=run_link or "",
            logged_model=resolved.logged_model,
            status=ModelVersionStatus.READY,
            created_by=by,
            user_name=by.get_username() if by is not None else "",
        )
        for key, value in tags.items():
            ModelVersionTag.objects.create(model_version=version, key=key, value=value)
    _touch(registered_model)
    version.registered_model = registered_model
    return version


@transaction.atomic
def model_version_update(*, model_version: ModelVersion, by, description: str | None) -> ModelVersion:
    """Change a version's description (Markdown)."""
    if description is not None and description != model_version.description:
        model_version.description = description
        with acting_user(by):
            model_version.save()
    return model_version


@transaction.atomic
def model_version_delete(*, model_version: ModelVersion, by) -> None:
    """Delete a version (its aliases go with it); its number is never reused."""
    registered_model = model_version.registered_model
    with acting_user(by):
        model_version.delete()
    _touch(registered_model)


@transaction.atomic
def model_version_tag_set(*, model_version: ModelVersion, by, key: str, value: str) -> ModelVersionTag:
    """Set a tag on a version (the same value again writes nothing)."""
    key, value = tag_check(key, value)
    with acting_user(by):
        tag, created = ModelVersionTag.objects.get_or_create(
            model_version=model_version, key=key, defaults={"value": value}
        )
        if not created and tag.value != value:
            tag.value = value
            tag.save()
    return tag


@transaction.atomic
def model_version_tag_delete(*, model_version: ModelVersion, by, key: str) -> None:
    """Remove a tag from a version (a missing tag is not an error)."""
    tag_check(key, "")
    with acting_user(by):
        for tag in ModelVersionTag.objects.filter(model_version=model_version, key=key):
            tag.delete()


def canonical_stage(stage) -> str:
    """MLflow's stage name for any casing of None/Staging/Production/Archived."""
    by_lower = {value.lower(): value for value in ModelVersionStage.values}
    if not isinstance(stage, str) or stage.lower() not in by_lower:
        raise _invalid(
            f"Invalid Model Version stage: {stage}. Value must be one of "
            f"{', '.join(ModelVersionStage.values)}.",
            "stage",
        )
    return by_lower[stage.lower()]


@transaction.atomic
def model_version_transition_stage(
    *, model_version: ModelVersion, by, stage: str, archive_existing_versions: bool = False
) -> ModelVersion:
    """Move a version to an MLflow 2 stage; optionally archive the others in that stage."""
    stage = canonical_stage(stage)
    active = {ModelVersionStage.STAGING, ModelVersionStage.PRODUCTION}
    if archive_existing_versions and stage not in active:
        raise _invalid(
            "Model version transition cannot archive existing model versions because "
            f"'{stage}' is not an Active stage. Valid stages are Staging, Production",
            "stage",
        )
    locked = RegisteredModel.objects.select_for_update().get(pk=model_version.registered_model_id)
    with acting_user(by):
        if archive_existing_versions:
            others = ModelVersion.objects.filter(registered_model=locked, current_stage=stage).exclude(
                pk=model_version.pk
            )
            for other in others:
                other.current_stage = ModelVersionStage.ARCHIVED
                other.save()
        if model_version.current_stage != stage:
            model_version.current_stage = stage
            model_version.save()
    _touch(model_version.registered_model)
    return model_version


# --- aliases ------------------------------------------------------------------------------------
@transaction.atomic
def model_alias_set(*, registered_model: RegisteredModel, by, alias: str, version) -> ModelAlias:
    """Point `alias` at a version of the model; moving it is one history row (old → new version)."""
    from apps.registry.selectors import parse_version

    alias = alias_check(alias)
    number = parse_version(version)
    target = ModelVersion.objects.filter(registered_model=registered_model, version=number).first()
    if target is None:
        raise ValidationError(
            {
                "version": ValidationError(
                    f"Model Version (name={registered_model.name}, version={number}) not found",
                    code="not_found",
                )
            }
        )
    RegisteredModel.objects.select_for_update().filter(pk=registered_model.pk).first()
    with acting_user(by):
        found = ModelAlias.objects.filter(registered_model=registered_model, alias=alias).first()
        if found is None:
            found = ModelAlias.objects.create(
                registered_model=registered_model, alias=alias, model_version=target
            )
        elif found.model_version_id != target.pk:
            found.model_version = target
            found.save()
        else:
            return found
    _touch(registered_model)
    return found


@transaction.atomic
def model_alias_delete(*, registered_model: RegisteredModel, by, alias: str) -> None:
    """Remove an alias (a missing alias is not an error, as in MLflow)."""
    if not isinstance(alias, str) or alias == "":
        raise _invalid("Registered model alias name cannot be empty.", "alias")
    with acting_user(by):
        for found in ModelAlias.objects.filter(registered_model=registered_model, alias=alias):
            found.delete()
    _touch(registered_model)
