"""Reads for the model registry: every query starts from `RegisteredModel.objects.restrict(user, action)`.

Names are unique per team, not globally, so a name lookup resolves among the models the user
can see, preferring their own teams: first the teams where their role may add assets (by name,
so the team `team_for_new_asset` picks comes first), then their other teams, then models other
teams share with them. Another team's private model never answers to a name.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404

from apps.core.permissions import Action, Role
from apps.core.querysets import member_team_ids
from apps.registry import search
from apps.registry.models import (
    ModelAlias,
    ModelVersion,
    ModelVersionStage,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
)

logger = logging.getLogger(__name__)

SEARCH_MODELS_DEFAULT = 100
SEARCH_MODELS_MAX = 1000
SEARCH_VERSIONS_DEFAULT = 10_000
SEARCH_VERSIONS_MAX = 200_000

MODEL_ORDER_KEYS = {
    "name": "name",
    "timestamp": "updated_at",
    "last_updated_timestamp": "updated_at",
    "creation_timestamp": "created_at",
}
VERSION_ORDER_KEYS = {
    "name": "registered_model__name",
    "version_number": "version",
    "creation_timestamp": "created_at",
    "last_updated_timestamp": "updated_at",
}


# --- single objects ------------------------------------------------------------------------
def _not_found(message: str) -> Http404:
    return Http404(message)


def registered_model_get(*, user, pk) -> RegisteredModel:
    """The registered model if `user` may see it, else 404 (never 403: no existence leak)."""
    model = RegisteredModel.objects.restrict(user, Action.VIEW).select_related("team").filter(pk=pk).first()
    if model is None:
        raise _not_found("No such registered model.")
    return model


def registered_model_user_may(*, user, registered_model: RegisteredModel, action: str) -> bool:
    """Whether `user` may take `action` on a registered model they can already see (one query)."""
    return RegisteredModel.objects.restrict(user, action).filter(pk=registered_model.pk).exists()


def _require(user, registered_model: RegisteredModel, action: str) -> None:
    if action != Action.VIEW and not registered_model_user_may(
        user=user, registered_model=registered_model, action=action
    ):
        raise PermissionDenied(
            f"Your role in {registered_model.team.name} may not {action} the registered model "
            f"'{registered_model.name}'."
        )


def registered_models_named(*, user, name: str) -> QuerySet[RegisteredModel]:
    """Models called `name` that `user` may see, the preferred one first (see the module doc)."""
    if user.is_superuser:
        rank = Value(2, output_field=IntegerField())
    else:
        rank = Case(
            When(team_id__in=member_team_ids(user, Action.ADD), then=Value(0)),
            When(team_id__in=member_team_ids(user, Action.VIEW), then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    return (
        RegisteredModel.objects.restrict(user, Action.VIEW)
        .filter(name=name)
        .select_related("team")
        .annotate(preference=rank)
        .order_by("preference", "team__name", "id")
    )


def registered_model_by_name(*, user, name: str, action: str = Action.VIEW) -> RegisteredModel:
    """The model called `name` that `user` may see (preferring their teams'), checked for `action`.

    Raises Http404 when there is none and PermissionDenied when the user may see it but not act.
    """
    model = registered_models_named(user=user, name=name).first() if name else None
    if model is None:
        raise _not_found(f"Registered Model with name={name} not found")
    _require(user, model, action)
    return model


def parse_version(version) -> int:
    """A version number from MLflow's string (refusing anything but a positive integer)."""
    try:
        number = int(str(version).strip())
    except (TypeError, ValueError):
        raise ValidationError(
            f"Parameter 'version' must be an integer, got '{version}'.", code="invalid"
        ) from None
    if number < 1:
        raise ValidationError(
            f"Parameter 'version' must be a positive integer, got '{version}'.", code="invalid"
        )
    return number


def _version_queryset() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related(
        "registered_model__team", "run", "logged_model"
    ).prefetch_related("tags", "aliases")


def model_version_get(*, user, registered_model: RegisteredModel, version) -> ModelVersion:
    """Version `version` of a model the caller already resolved through restrict, else 404."""
    number = parse_version(version)
    found = _version_queryset().filter(registered_model=registered_model, version=number).first()
    if found is None:
        raise _not_found(f"Model Version (name={registered_model.name}, version={number}) not found")
    return found


def model_version_by_name(*, user, name: str, version, action: str = Action.VIEW) -> ModelVersion:
    """Version `version` of the model `name` resolves to for `user`, checked for `action`."""
    number = parse_version(version)
    model = registered_models_named(user=user, name=name).first() if name else None
    if model is None:
        raise _not_found(f"Model Version (name={name}, version={number}) not found")
    found = model_version_get(user=user, registered_model=model, version=number)
    _require(user, model, action)
    return found


def model_version_by_alias(*, user, name: str, alias: str) -> ModelVersion:
    """The version alias `alias` of model `name` points at (`latest`: the highest version)."""
    model = registered_model_by_name(user=user, name=name)
    if alias.lower() == "latest":
        found = _version_queryset().filter(registered_model=model).order_by("-version").first()
        if found is None:
            raise _not_found(f"Latest version not found for model {name}.")
        return found
    found = _version_queryset().filter(registered_model=model, aliases__alias=alias).first()
    if found is None:
        raise ValidationError(f"Registered model alias {alias} not found.", code="invalid")
    return found


def latest_versions(
    *, registered_model: RegisteredModel, stages: list[str] | None = None
) -> list[ModelVersion]:
    """The highest version in each stage (or in the given stages), as MLflow's get-latest-versions."""
    canonical = {stage.lower(): stage for stage in ModelVersionStage.values}
    wanted = set(ModelVersionStage.values)
    if stages:
        wanted = set()
        for stage in stages:
            if stage.lower() not in canonical:
                raise ValidationError(
                    f"Invalid Model Version stage: {stage}. Value must be one of "
                    f"{', '.join(ModelVersionStage.values)}.",
                    code="invalid",
                )
            wanted.add(canonical[stage.lower()])
    newer = ModelVersion.objects.filter(
        registered_model=OuterRef("registered_model"),
        current_stage=OuterRef("current_stage"),
        version__gt=OuterRef("version"),
    )
    return list(
        _version_queryset()
        .filter(registered_model=registered_model, current_stage__in=wanted)
        .filter(~Exists(newer))
        .order_by("version")
    )


# --- search (MLflow) -----------------------------------------------------------------------
def _limit(max_results, *, default: int, maximum: int) -> int:
    if max_results is None:
        return default
    if max_results < 1:
        raise ValidationError(
            f"Invalid value for max_results. It must be a positive integer, but got {max_results}",
            code="invalid",
        )
    if max_results > maximum:
        raise ValidationError(
            f"Invalid value for request parameter max_results. It must be at most {maximum}, "
            f"but got value {max_results}",
            code="invalid",
        )
    return max_results


def _ordering(parsed: list[tuple[str, bool]], tiebreak: list[tuple[str, bool]]) -> list[str]:
    fields = [name for name, _ in parsed]
    ordering = [f"{'' if ascending else '-'}{name}" for name, ascending in parsed]
    ordering += [f"{'' if ascending else '-'}{name}" for name, ascending in tiebreak if name not in fields]
    return ordering + ["id"]


def registered_model_prefetches() -> list:
    newer = ModelVersion.objects.filter(
        registered_model=OuterRef("registered_model"),
        current_stage=OuterRef("current_stage"),
        version__gt=OuterRef("version"),
    )
    latest = (
        ModelVersion.objects.filter(~Exists(newer))
        .select_related("run", "logged_model")
        .prefetch_related("tags")
        .order_by("version")
    )
    return [
        "tags",
        Prefetch("aliases", queryset=ModelAlias.objects.select_related("model_version").order_by("alias")),
        Prefetch("versions", queryset=latest, to_attr="latest_versions"),
    ]


@dataclass
class Page:
    """One page of search results and the token of the next page ("" at the end)."""

    items: list
    next_page_token: str


def registered_model_search(
    *, user, filter_string: str | None = None, max_results: int | None = None, order_by=None, page_token=None
) -> Page:
    """MLflow's search-registered-models over the models `user` may see (fixed number of queries)."""
    limit = _limit(max_results, default=SEARCH_MODELS_DEFAULT, maximum=SEARCH_MODELS_MAX)
    offset = search.page_token_offset(page_token)
    clauses = search.parse_filter(filter_string)
    prompts = search.asks_for_prompts(clauses)
    condition = search.prompt_condition(RegisteredModelTag.objects.all(), "registered_model", prompts=prompts)
    for clause in clauses:
        if clause.kind == "tag":
            condition &= search.tag_condition(RegisteredModelTag.objects.all(), "registered_model", clause)
        elif clause.key == "name":
            if clause.comparator not in {"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"}:
                raise ValidationError(
                    f"Invalid comparator for attribute: {clause.comparator}", code="invalid"
                )
            condition &= search.string_condition("name", clause.comparator, clause.value)
        else:
            raise ValidationError(f"Invalid attribute name: {clause.key}", code="invalid")
    ordering = _ordering(search.parse_order_by(order_by, allowed=MODEL_ORDER_KEYS), [("name", True)])
    models = list(
        RegisteredModel.objects.restrict(user, Action.VIEW)
        .filter(condition)
        .select_related("team")
        .prefetch_related(*registered_model_prefetches())
        .order_by(*ordering)[offset : offset + limit + 1]
    )
    next_token = search.page_token_for(offset + limit) if len(models) > limit else ""
    return Page(models[:limit], next_token)


def model_version_search(
    *, user, filter_string: str | None = None, max_results: int | None = None, order_by=None, page_token=None
) -> Page:
    """MLflow's search-model-versions over the versions of models `user` may see."""
    limit = _limit(max_results, default=SEARCH_VERSIONS_DEFAULT, maximum=SEARCH_VERSIONS_MAX)
    offset = search.page_token_offset(page_token)
    string_fields = {"name": "registered_model__name", "run_id": "run_uuid", "source_path": "source"}
    clauses = search.parse_filter(filter_string)
    prompts = search.asks_for_prompts(clauses)
    condition = search.prompt_condition(ModelVersionTag.objects.all(), "model_version", prompts=prompts)
    for clause in clauses:
        if clause.kind == "tag":
            condition &= search.tag_condition(ModelVersionTag.objects.all(), "model_version", clause)
        elif clause.key in string_fields:
            if clause.comparator in {"IN", "NOT IN"} and clause.key == "source_path":
                raise ValidationError(
                    f"Invalid comparator for attribute: {clause.comparator}", code="invalid"
                )
            if clause.comparator in {"<", "<=", ">", ">="}:
                raise ValidationError(
                    f"Invalid comparator for attribute: {clause.comparator}", code="invalid"
                )
            condition &= search.string_condition(string_fields[clause.key], clause.comparator, clause.value)
        elif clause.key == "version_number":
            condition &= search.numeric_condition("version", clause.comparator, clause.value)
        else:
            raise ValidationError(f"Invalid attribute name: {clause.key}", code="invalid")
    parsed = search.parse_order_by(
        order_by or ["last_updated_timestamp DESC", "name ASC", "version_number DESC"],
        allowed=VERSION_ORDER_KEYS,
    )
    ordering = _ordering(parsed, [("registered_model__name", True), ("version", False)])
    visible = RegisteredModel.objects.restrict(user, Action.VIEW).values("pk")
    versions = list(
        _version_queryset()
        .filter(registered_model__in=visible)
        .filter(condition)
        .order_by(*ordering)[offset : offset + limit + 1]
    )
    next_token = search.page_token_for(offset + limit) if len(versions) > limit else ""
    return Page(versions[:limit], next_token)


# --- pages -----------------------------------------------------------------------------------
MODEL_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "team": ("team__name", "name", "id"),
    "-team": ("-team__name", "name", "id"),
    "versions": ("version_count", "name", "id"),
    "-versions": ("-version_count", "name", "id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
DEFAULT_MODEL_SORT = "name"


def registered_model_list(
    *, user, team=None, visibility: str = "", text: str = "", sort: str = DEFAULT_MODEL_SORT
) -> QuerySet[RegisteredModel]:
    """Registered models `user` may see, with version count, latest version and aliases (3 queries)."""
    models = (
        RegisteredModel.objects.restrict(user, Action.VIEW)
        .select_related("team")
        .annotate(version_count=Count("versions", distinct=True), latest_version=Max("versions__version"))
        .prefetch_related(
            Prefetch("aliases", queryset=ModelAlias.objects.select_related("model_version").order_by("alias"))
        )
    )
    if team is not None:
        models = models.filter(team=team)
    if visibility:
        models = models.filter(visibility=visibility)
    text = (text or "").strip()
    if text:
        models = models.filter(Q(name__icontains=text) | Q(description__icontains=text))
    return models.order_by(*MODEL_SORTS.get(sort, MODEL_SORTS[DEFAULT_MODEL_SORT]))


def registered_model_versions(*, registered_model: RegisteredModel) -> list[ModelVersion]:
    """A model's versions, newest first, with their runs, logged models, aliases and tags."""
    return list(
        ModelVersion.objects.filter(registered_model=registered_model)
        .select_related("run__experiment", "logged_model", "created_by")
        .prefetch_related(Prefetch("aliases", queryset=ModelAlias.objects.order_by("alias")), "tags")
        .order_by("-version")
    )


def registered_model_owners(*, registered_model: RegisteredModel) -> list:
    """The owning team's data officers: the people to ask about this model."""
    membership_model = apps.get_model("teams", "Membership")
    return list(
        membership_model.objects.filter(team_id=registered_model.team_id, role=Role.DATA_OFFICER)
        .select_related("user")
        .order_by("user__username")
    )


def registered_model_creatable_teams(*, user) -> QuerySet:
    """Teams in which `user` may register models."""
    team_model = apps.get_model("teams", "Team")
    if user.is_superuser:
        return team_model.objects.order_by("name")
    return team_model.objects.filter(pk__in=member_team_ids(user, Action.ADD)).order_by("name")


def registered_models_for_registration(*, user) -> QuerySet[RegisteredModel]:
    """Models `user` may add versions to (the "existing model" choices of the register form)."""
    return (
        RegisteredModel.objects.restrict(user, Action.CHANGE)
        .select_related("team")
        .order_by("name", "team__name")
    )


# --- the model's history: the model, its versions, aliases and tags in one timeline -----------
@dataclass
class HistoryEvent:
    """One change in a model's life, described for a person."""

    when: datetime
    who: str
    verb: str  # "created", "changed", "deleted"
    subject: str  # "Model", "Version 3", "Alias champion", "Tag owner"
    text: str


def _sentence(changes: list[str]) -> str:
    text = "; ".join(changes)
    return text[:1].upper() + text[1:] + "."


def _who(record) -> str:
    user = record.history_user
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()


def _model_event(record, previous) -> HistoryEvent | None:
    if record.history_type == "+":
        return HistoryEvent(
            record.history_date, _who(record), "created", "Model", f"Registered as “{record.name}”."
        )
    if record.history_type == "-":
        return HistoryEvent(record.history_date, _who(record), "deleted", "Model", "Deleted.")
    changes = []
    if previous is not None:
        if previous.name != record.name:
            changes.append(f"renamed “{previous.name}” → “{record.name}”")
        if previous.description != record.description:
            changes.append("description edited")
        if previous.visibility != record.visibility:
            changes.append(f"visibility {previous.visibility} → {record.visibility}")
    if not changes:
        return None
    return HistoryEvent(record.history_date, _who(record), "changed", "Model", _sentence(changes))


def _version_event(record, previous) -> HistoryEvent | None:
    subject = f"Version {record.version}"
    if record.history_type == "+":
        origin = f" from {record.source}" if record.source else ""
        return HistoryEvent(record.history_date, _who(record), "created", subject, f"Registered{origin}.")
    if record.history_type == "-":
        return HistoryEvent(record.history_date, _who(record), "deleted", subject, "Deleted.")
    changes = []
    if previous is not None:
        if previous.current_stage != record.current_stage:
            changes.append(f"stage {previous.current_stage} → {record.current_stage}")
        if previous.description != record.description:
            changes.append("description edited")
        if previous.status != record.status:
            changes.append(f"status {previous.status} → {record.status}")
    if not changes:
        return None
    return HistoryEvent(record.history_date, _who(record), "changed", subject, _sentence(changes))


def _alias_event(record, previous, numbers: dict[int, int]) -> HistoryEvent:
    subject = f"Alias {record.alias}"
    target = numbers.get(record.model_version_id)
    target_text = f"version {target}" if target else "a deleted version"
    if record.history_type == "+":
        return HistoryEvent(record.history_date, _who(record), "created", subject, f"Set on {target_text}.")
    if record.history_type == "-":
        return HistoryEvent(record.history_date, _who(record), "deleted", subject, "Removed.")
    before = numbers.get(previous.model_version_id) if previous is not None else None
    before_text = f"version {before}" if before else "another version"
    return HistoryEvent(
        record.history_date, _who(record), "changed", subject, f"Moved from {before_text} to {target_text}."
    )


def _tag_event(record, subject_prefix: str = "") -> HistoryEvent:
    subject = f"{subject_prefix}Tag {record.key}"
    if record.history_type == "-":
        return HistoryEvent(record.history_date, _who(record), "deleted", subject, "Removed.")
    verb = "created" if record.history_type == "+" else "changed"
    shown = record.value if len(record.value) <= 120 else record.value[:117] + "…"
    return HistoryEvent(record.history_date, _who(record), verb, subject, f"Set to “{shown}”.")


def _with_previous(records: list) -> list[tuple]:
    """(record, the record before it of the same object) pairs; records come oldest first."""
    last: dict[int, object] = {}
    pairs = []
    for record in records:
        pairs.append((record, last.get(record.id)))
        last[record.id] = record
    return pairs


def registered_model_history(*, registered_model: RegisteredModel, limit: int = 200) -> list[HistoryEvent]:
    """The model's timeline, newest first: itself, its versions (stages), aliases (moves) and tags.

    Reads each history table once (5 queries); the model must come from `restrict` already.
    """
    pk = registered_model.pk
    version_history = ModelVersion.history.model
    model_records = list(
        RegisteredModel.history.model.objects.filter(id=pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    version_records = list(
        version_history.objects.filter(registered_model_id=pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    numbers = {record.id: record.version for record in version_records}
    alias_records = list(
        ModelAlias.history.model.objects.filter(registered_model_id=pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    tag_records = list(
        RegisteredModelTag.history.model.objects.filter(registered_model_id=pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    version_tag_records = list(
        ModelVersionTag.history.model.objects.filter(model_version_id__in=list(numbers))
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    events: list[HistoryEvent | None] = []
    events += [_model_event(record, previous) for record, previous in _with_previous(model_records)]
    events += [_version_event(record, previous) for record, previous in _with_previous(version_records)]
    events += [_alias_event(record, previous, numbers) for record, previous in _with_previous(alias_records)]
    events += [_tag_event(record) for record in tag_records]
    events += [
        _tag_event(record, f"Version {numbers.get(record.model_version_id, '?')} · ")
        for record in version_tag_records
    ]
    kept = [event for event in events if event is not None]
    kept.sort(key=lambda event: event.when, reverse=True)
    return kept[:limit]


# --- a version's signature, from its MLmodel file --------------------------------------------
MLMODEL_MAX_BYTES = 256 * 1024


@dataclass
class Signature:
    """A model's input and output columns as the MLmodel file declares them."""

    inputs: list[dict]
    outputs: list[dict]
    params: list[dict]


def _columns(text) -> list[dict]:
    if not text:
        return []
    try:
        items = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return []
    if not isinstance(items, list):
        return []
    columns = []
    for item in items:
        if isinstance(item, dict):
            kind = item.get("type", "")
            if kind == "tensor":
                spec = item.get("tensor-spec") or {}
                kind = f"tensor {spec.get('dtype', '')} {spec.get('shape', '')}".strip()
            columns.append(
                {"name": str(item.get("name", "")), "type": str(kind), "required": item.get("required", True)}
            )
    return columns


def model_version_signature(*, model_version: ModelVersion) -> Signature | None:
    """The signature in the version's MLmodel file, when Atrium stores its artifacts; else None."""
    import yaml
    from django.core.files.storage import default_storage

    artifact_model = apps.get_model("experiments", "Artifact")
    if model_version.logged_model_id:
        found = artifact_model.objects.filter(
            logged_model_id=model_version.logged_model_id, path="MLmodel"
        ).first()
    elif model_version.run_id and model_version.source.startswith("runs:/"):
        relative = model_version.source.split("/", 2)[2] if model_version.source.count("/") >= 2 else ""
        path = f"{relative.strip('/')}/MLmodel" if relative.strip("/") else "MLmodel"
        found = artifact_model.objects.filter(run_id=model_version.run_id, path=path).first()
    else:
        found = None
    if found is None or found.size > MLMODEL_MAX_BYTES:
        return None
    try:
        with default_storage.open(found.storage_name, "rb") as handle:
            document = yaml.safe_load(handle.read(MLMODEL_MAX_BYTES))
    except Exception:  # a missing or unreadable file only means no signature to show
        logger.warning("Could not read the MLmodel file of %s", model_version, exc_info=True)
        return None
    signature = document.get("signature") if isinstance(document, dict) else None
    if not isinstance(signature, dict):
        return None
    return Signature(
        inputs=_columns(signature.get("inputs")),
        outputs=_columns(signature.get("outputs")),
        params=_columns(signature.get("params")),
    )


# --- registering a run's model -------------------------------------------------------------------
@dataclass
class RunModelSource:
    """A model a run produced that can become a version: its source URI and a label for people."""

    uri: str
    label: str


def run_for_registration(*, user, uuid: str):
    """The run `uuid` if `user` may see it, else 404."""
    run_model = apps.get_model("experiments", "Run")
    run = (
        run_model.objects.restrict(user, Action.VIEW)
        .select_related("experiment__team")
        .filter(uuid=uuid)
        .first()
    )
    if run is None:
        raise _not_found("No such run.")
    return run


def run_model_sources(*, run) -> list[RunModelSource]:
    """What of `run` can be registered: its logged models (MLflow 3) and MLmodel folders (MLflow 2)."""
    logged_model = apps.get_model("experiments", "LoggedModel")
    artifact_model = apps.get_model("experiments", "Artifact")
    sources = [
        RunModelSource(f"models:/{logged.model_id}", f"{logged.name} · logged model {logged.model_id[:12]}")
        for logged in logged_model.objects.filter(source_run=run, lifecycle_stage="active").order_by(
            "-created_at"
        )
    ]
    folders = artifact_model.objects.filter(run=run, path__endswith="MLmodel").values_list("path", flat=True)
    for path in folders.order_by("path")[:50]:
        folder = path[: -len("MLmodel")].strip("/")
        if folder or path == "MLmodel":
            uri = f"runs:/{run.uuid}/{folder}" if folder else f"runs:/{run.uuid}"
            sources.append(RunModelSource(uri, f"{folder or '(artifact root)'} · run artifacts"))
    return sources


def run_registrations(*, user, run) -> list[ModelVersion]:
    """Versions registered from `run` in models `user` may see."""
    visible = RegisteredModel.objects.restrict(user, Action.VIEW).values("pk")
    return list(
        ModelVersion.objects.filter(run=run, registered_model__in=visible)
        .select_related("registered_model")
        .order_by("registered_model__name", "version")
    )
