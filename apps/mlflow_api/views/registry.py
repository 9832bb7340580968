"""MLflow's model-registry routes: registered models, versions, stages, aliases and tags.

Thin adapters over apps/registry (selectors resolve names among what the caller may see, with
the action checked; services write). The registry raises Django's exceptions; `registry_route`
turns them into MLflow's errors: not visible → RESOURCE_DOES_NOT_EXIST (404, exactly as if it did
not exist), visible but not allowed → PERMISSION_DENIED (403), a name clash →
RESOURCE_ALREADY_EXISTS (400, which `log_model(registered_model_name=…)` relies on), anything
else invalid → INVALID_PARAMETER_VALUE (400).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404

from apps.core.permissions import Action
from apps.mlflow_api.endpoint import Args, mlflow_endpoint
from apps.mlflow_api.errors import (
    INVALID_PARAMETER_VALUE,
    PERMISSION_DENIED,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    STATUS_BY_CODE,
    MlflowError,
    invalid,
)
from apps.mlflow_api.serializers_registry import model_version_json, registered_model_json
from apps.registry import selectors, services
from apps.registry.models import RegisteredModel
from apps.teams.selectors import team_for_new_asset

ERROR_CODES = {
    "already_exists": RESOURCE_ALREADY_EXISTS,
    "not_found": RESOURCE_DOES_NOT_EXIST,
}


def _message(error: ValidationError) -> tuple[str, str]:
    """The first message of a (possibly field-keyed) ValidationError, and its code."""
    errors = (
        [item for items in error.error_dict.values() for item in items]
        if hasattr(error, "error_dict")
        else None
    )
    first = (errors or error.error_list)[0]
    message = first.message % first.params if first.params else first.message
    return str(message), first.code or "invalid"


def mlflow_error(error: Exception) -> MlflowError:
    """MLflow's error for one of the registry's Django exceptions."""
    if isinstance(error, ValidationError):
        message, code = _message(error)
        if code in STATUS_BY_CODE:  # already one of MLflow's codes (e.g. a TrackingError)
            return MlflowError(message, code)
        return MlflowError(message, ERROR_CODES.get(code, INVALID_PARAMETER_VALUE))
    if isinstance(error, Http404):
        return MlflowError(str(error) or "Not found.", RESOURCE_DOES_NOT_EXIST)
    return MlflowError(str(error) or "Permission denied.", PERMISSION_DENIED)


def registry_route(*methods: str) -> Callable:
    """`@mlflow_endpoint(*methods)` with the registry's exceptions mapped to MLflow's errors."""

    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def mapped(request, args: Args, **kwargs):
            try:
                return handler(request, args, **kwargs)
            except (ValidationError, Http404, PermissionDenied) as error:
                raise mlflow_error(error) from None

        return mlflow_endpoint(*methods)(mapped)

    return decorate


def _version_arg(args: Args) -> str:
    """MLflow sends the version as a string; accept an integer too."""
    value = args.data.get("version")
    if args.from_query and isinstance(value, list):
        value = value[-1] if value else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return args.string("version", required=True)


def _tags_arg(args: Args) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in args.objects("tags"):
        key, value = item.get("key"), item.get("value", "")
        if not isinstance(key, str) or not isinstance(value, str | None):
            raise invalid("Each tag needs a string 'key' and a string 'value'.")
        tags[key] = value or ""
    return tags


def _model(request, args: Args, action: str = Action.VIEW) -> RegisteredModel:
    return selectors.registered_model_by_name(
        user=request.mlflow_user, name=args.string("name", required=True), action=action
    )


def _model_response(model: RegisteredModel) -> dict:
    fresh = RegisteredModel.objects.select_related("team").get(pk=model.pk)
    prefetch_related_objects([fresh], *selectors.registered_model_prefetches())
    return {"registered_model": registered_model_json(fresh)}


def _version(request, args: Args, action: str = Action.VIEW):
    return selectors.model_version_by_name(
        user=request.mlflow_user,
        name=args.string("name", required=True),
        version=_version_arg(args),
        action=action,
    )


def _version_response(version) -> dict:
    fresh = selectors.model_version_get(
        user=None, registered_model=version.registered_model, version=version.version
    )
    return {"model_version": model_version_json(fresh)}


# --- registered models ----------------------------------------------------------------------------
@registry_route("POST")
def registered_models_create(request, args: Args) -> dict:
    user = request.mlflow_user
    name = args.string("name", required=True)
    tags = _tags_arg(args)
    services.model_name_check(name)
    team = team_for_new_asset(user=user, tags=tags)
    model = services.registered_model_create(
        team=team, by=user, name=name, description=args.string("description", default=""), tags=tags
    )
    return _model_response(model)


@registry_route("GET")
def registered_models_get(request, args: Args) -> dict:
    return _model_response(_model(request, args))


@registry_route("POST")
def registered_models_rename(request, args: Args) -> dict:
    model = _model(request, args, Action.CHANGE)
    new_name = args.string("new_name", required=True)
    services.registered_model_rename(registered_model=model, by=request.mlflow_user, new_name=new_name)
    return _model_response(model)


@registry_route("PATCH")
def registered_models_update(request, args: Args) -> dict:
    model = _model(request, args, Action.CHANGE)
    services.registered_model_update(
        registered_model=model, by=request.mlflow_user, description=args.string("description", default="")
    )
    return _model_response(model)


@registry_route("DELETE")
def registered_models_delete(request, args: Args) -> dict:
    model = _model(request, args, Action.DELETE)
    services.registered_model_delete(registered_model=model, by=request.mlflow_user)
    return {}


@registry_route("GET", "POST")
def registered_models_search(request, args: Args) -> dict:
    page = selectors.registered_model_search(
        user=request.mlflow_user,
        filter_string=args.string("filter"),
        max_results=args.integer("max_results"),
        order_by=[str(item) for item in args.list("order_by")],
        page_token=args.string("page_token"),
    )
    data: dict = {}
    if page.items:
        data["registered_models"] = [registered_model_json(model) for model in page.items]
    if page.next_page_token:
        data["next_page_token"] = page.next_page_token
    return data


@registry_route("GET", "POST")
def registered_models_get_latest_versions(request, args: Args) -> dict:
    model = _model(request, args)
    stages = [str(stage) for stage in args.list("stages")]
    versions = selectors.latest_versions(registered_model=model, stages=stages)
    return {"model_versions": [model_version_json(version) for version in versions]} if versions else {}


@registry_route("POST")
def registered_models_set_tag(request, args: Args) -> dict:
    model = _model(request, args, Action.CHANGE)
    services.registered_model_tag_set(
        registered_model=model,
        by=request.mlflow_user,
        key=args.string("key", required=True),
        value=args.string("value", default=""),
    )
    return {}


@registry_route("DELETE")
def registered_models_delete_tag(request, args: Args) -> dict:
    model = _model(request, args, Action.CHANGE)
    services.registered_model_tag_delete(
        registered_model=model, by=request.mlflow_user, key=args.string("key", required=True)
    )
    return {}


@registry_route("GET", "POST", "DELETE")
def registered_models_alias(request, args: Args) -> dict:
    """One path, three calls: GET reads a version by alias, POST sets an alias, DELETE removes it."""
    user = request.mlflow_user
    alias = args.string("alias", required=True)
    if request.method == "GET":
        version = selectors.model_version_by_alias(
            user=user, name=args.string("name", required=True), alias=alias
        )
        return {"model_version": model_version_json(version)}
    model = _model(request, args, Action.CHANGE)
    if request.method == "POST":
        services.model_alias_set(registered_model=model, by=user, alias=alias, version=_version_arg(args))
    else:
        services.model_alias_delete(registered_model=model, by=user, alias=alias)
    return {}


# --- model versions -----------------------------------------------------------------------------
@registry_route("POST")
def model_versions_create(request, args: Args) -> dict:
    model = _model(request, args, Action.CHANGE)
    version = services.model_version_create(
        registered_model=model,
        by=request.mlflow_user,
        source=args.string("source", required=True),
        run_id=args.string("run_id", default=""),
        model_id=args.string("model_id", default=""),
        run_link=args.string("run_link", default=""),
        description=args.string("description", default=""),
        tags=_tags_arg(args),
    )
    return _version_response(version)


@registry_route("GET")
def model_versions_get(request, args: Args) -> dict:
    return {"model_version": model_version_json(_version(request, args))}


@registry_route("PATCH")
def model_versions_update(request, args: Args) -> dict:
    version = _version(request, args, Action.CHANGE)
    services.model_version_update(
        model_version=version, by=request.mlflow_user, description=args.string("description", default="")
    )
    return _version_response(version)


@registry_route("DELETE")
def model_versions_delete(request, args: Args) -> dict:
    version = _version(request, args, Action.DELETE)
    services.model_version_delete(model_version=version, by=request.mlflow_user)
    return {}


@registry_route("GET", "POST")
def model_versions_search(request, args: Args) -> dict:
    page = selectors.model_version_search(
        user=request.mlflow_user,
        filter_string=args.string("filter"),
        max_results=args.integer("max_results"),
        order_by=[str(item) for item in args.list("order_by")],
        page_token=args.string("page_token"),
    )
    data: dict = {}
    if page.items:
        data["model_versions"] = [model_version_json(version) for version in page.items]
    if page.next_page_token:
        data["next_page_token"] = page.next_page_token
    return data


@registry_route("GET")
def model_versions_get_download_uri(request, args: Args) -> dict:
    version = _version(request, args)
    return {"artifact_uri": version.storage_location or version.source}


@registry_route("POST")
def model_versions_transition_stage(request, args: Args) -> dict:
    version = _version(request, args, Action.CHANGE)
    services.model_version_transition_stage(
        model_version=version,
        by=request.mlflow_user,
        stage=args.string("stage", required=True),
        archive_existing_versions=args.boolean("archive_existing_versions"),
    )
    return _version_response(version)


@registry_route("POST")
def model_versions_set_tag(request, args: Args) -> dict:
    version = _version(request, args, Action.CHANGE)
    services.model_version_tag_set(
        model_version=version,
        by=request.mlflow_user,
        key=args.string("key", required=True),
        value=args.string("value", default=""),
    )
    return {}


@registry_route("DELETE")
def model_versions_delete_tag(request, args: Args) -> dict:
    version = _version(request, args, Action.CHANGE)
    services.model_version_tag_delete(
        model_version=version, by=request.mlflow_user, key=args.string("key", required=True)
    )
    return {}


ROUTES: list[tuple] = [
    ("registered-models/create", registered_models_create, "registered-models-create"),
    ("registered-models/get", registered_models_get, "registered-models-get"),
    ("registered-models/rename", registered_models_rename, "registered-models-rename"),
    ("registered-models/update", registered_models_update, "registered-models-update"),
    ("registered-models/delete", registered_models_delete, "registered-models-delete"),
    ("registered-models/search", registered_models_search, "registered-models-search"),
    (
        "registered-models/get-latest-versions",
        registered_models_get_latest_versions,
        "registered-models-get-latest-versions",
    ),
    ("registered-models/set-tag", registered_models_set_tag, "registered-models-set-tag"),
    ("registered-models/delete-tag", registered_models_delete_tag, "registered-models-delete-tag"),
    ("registered-models/alias", registered_models_alias, "registered-models-alias"),
    ("model-versions/create", model_versions_create, "model-versions-create"),
    ("model-versions/get", model_versions_get, "model-versions-get"),
    ("model-versions/update", model_versions_update, "model-versions-update"),
    ("model-versions/delete", model_versions_delete, "model-versions-delete"),
    ("model-versions/search", model_versions_search, "model-versions-search"),
    ("model-versions/get-download-uri", model_versions_get_download_uri, "model-versions-get-download-uri"),
    ("model-versions/transition-stage", model_versions_transition_stage, "model-versions-transition-stage"),
    ("model-versions/set-tag", model_versions_set_tag, "model-versions-set-tag"),
    ("model-versions/delete-tag", model_versions_delete_tag, "model-versions-delete-tag"),
]
