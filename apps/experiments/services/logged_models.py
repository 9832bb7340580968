"""Writes for logged models (MLflow 3) and the models a run records (MLflow 2's log-model).

MLflow 3's `log_model` creates a logged model (PENDING) in the run's experiment, links it to the
run as an output, uploads its files to the model's own artifact root through the artifact proxy
and finalizes it (READY, or UPLOAD_FAILED). MLflow 2 uploads the files under the run's root and
records the model's MLmodel summary in the run's `mlflow.log-model.history` tag (`runs/log-model`).
Callers hold objects obtained through `restrict` with the right action; these functions apply
MLflow's rules (names, limits, active experiments and runs) and record history.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from apps.core.history import acting_user
from apps.experiments.errors import RESOURCE_DOES_NOT_EXIST, TrackingError, invalid
from apps.experiments.models import (
    KEY_MAX_LENGTH,
    TAG_VALUE_MAX_LENGTH,
    Experiment,
    LifecycleStage,
    LoggedModel,
    LoggedModelStatus,
    Run,
    RunOutput,
)
from apps.experiments.services.artifacts import logged_model_artifact_location
from apps.experiments.services.tracking import run_name_generate, run_tags_set
from apps.experiments.validation import validate_param, validate_tag

LOGGED_MODELS_TAG = "mlflow.log-model.history"
MODEL_NAME_FORBIDDEN = ("/", ":", ".", "%", '"', "'")
MODEL_JSON_REQUIRED = {"artifact_path", "flavors", "utc_time_created", "run_id"}
MODEL_JSON_KEPT = ("run_id", "utc_time_created", "artifact_path", "model_uuid")
MAX_PARAMS_PER_REQUEST = 100
MAX_TAGS_PER_REQUEST = 100
MAX_OUTPUTS_PER_REQUEST = 100
MAX_MODEL_JSON_LENGTH = 1024 * 1024
FINAL_STATUSES = {LoggedModelStatus.READY, LoggedModelStatus.FAILED}
_STATUS_NUMBERS = {
    1: LoggedModelStatus.PENDING,
    2: LoggedModelStatus.READY,
    3: LoggedModelStatus.FAILED,
}


def logged_model_status_parse(value) -> str:
    """A LoggedModelStatus from MLflow's JSON: its name (`LOGGED_MODEL_READY`) or its number (2)."""
    if isinstance(value, int) and not isinstance(value, bool) and value in _STATUS_NUMBERS:
        return _STATUS_NUMBERS[value]
    if isinstance(value, str):
        if value.isdigit() and int(value) in _STATUS_NUMBERS:
            return _STATUS_NUMBERS[int(value)]
        upper = value.upper()
        for status in LoggedModelStatus:
            if upper in {status.value, status.value.removeprefix("LOGGED_MODEL_")}:
                return status.value
    raise invalid(
        f"Invalid value {json.dumps(value)} for parameter 'status' supplied: expected one of "
        f"{[status.value for status in LoggedModelStatus]}."
    )


def logged_model_name_check(name: str | None) -> None:
    """MLflow's rule for model names: non-empty, none of / : . % \" ' (they become paths and URIs)."""
    if name is None:
        return
    if not isinstance(name, str) or not name or any(char in name for char in MODEL_NAME_FORBIDDEN):
        raise invalid(
            f"Invalid model name ({name!r}) provided. Model name must be a non-empty string "
            f"and cannot contain the following characters: {MODEL_NAME_FORBIDDEN}"
        )
    if len(name) > KEY_MAX_LENGTH:
        raise invalid(f"'name' exceeds the maximum length of {KEY_MAX_LENGTH} characters")


def _params(
    params: Iterable[tuple[str, str]] | dict[str, str] | None, path: str = "params"
) -> dict[str, str]:
    items = list(params.items() if isinstance(params, dict) else params or [])
    checked = {}
    for index, (key, value) in enumerate(items):
        key, value = validate_param(key, value, f"{path}[{index}]")
        checked[key] = value
    return checked


def _tags(tags: Iterable[tuple[str, str]] | dict[str, str] | None, path: str = "tags") -> dict[str, str]:
    items = list(tags.items() if isinstance(tags, dict) else tags or [])
    checked = {}
    for index, (key, value) in enumerate(items):
        key, value = validate_tag(key, value, f"{path}[{index}]")
        checked[key] = value  # a key repeated in one call keeps its last value, as MLflow
    return checked


def _check_experiment_active(experiment: Experiment) -> None:
    if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise invalid(
            f"The experiment {experiment.pk} must be in the 'active' state. "
            f"Current state is {experiment.lifecycle_stage}."
        )


@transaction.atomic
def logged_model_create(
    *,
    experiment: Experiment,
    by,
    name: str | None = None,
    source_run: Run | None = None,
    model_type: str = "",
    params: Iterable[tuple[str, str]] | dict[str, str] | None = None,
    tags: Iterable[tuple[str, str]] | dict[str, str] | None = None,
) -> LoggedModel:
    """Create a PENDING logged model in `experiment` (a generated name when none), its files to come."""
    logged_model_name_check(name)
    _check_experiment_active(experiment)
    if source_run is not None and source_run.experiment_id != experiment.pk:
        raise invalid(
            f"The source run {source_run.uuid} belongs to experiment {source_run.experiment_id}, "
            f"not to experiment {experiment.pk}."
        )
    if model_type and len(model_type) > 100:
        raise invalid("'model_type' exceeds the maximum length of 100 characters")
    model = LoggedModel(
        experiment=experiment,
        name=name or run_name_generate(),
        source_run=source_run,
        model_type=model_type or "",
        status=LoggedModelStatus.PENDING,
        params=_params(params),
        tags=_tags(tags),
        user=by if getattr(by, "pk", None) else None,
    )
    model.artifact_location = logged_model_artifact_location(model)
    with acting_user(by):
        model.save()
    return model


@transaction.atomic
def logged_model_params_log(
    *, logged_model: LoggedModel, by, params: Iterable[tuple[str, str]] | dict[str, str]
) -> LoggedModel:
    """Add parameters to a logged model (the client sends them 100 at a time after the first 100)."""
    checked = _params(params)
    if len(checked) > MAX_PARAMS_PER_REQUEST:
        raise invalid(f"A request may log at most {MAX_PARAMS_PER_REQUEST} parameters; got {len(checked)}.")
    changed = {key: value for key, value in checked.items() if logged_model.params.get(key) != value}
    if changed:
        logged_model.params = {**logged_model.params, **changed}
        with acting_user(by):
            logged_model.save(update_fields=["params", "updated_at"])
    return logged_model


@transaction.atomic
def logged_model_finalize(*, logged_model: LoggedModel, by, status: str, message: str = "") -> LoggedModel:
    """Mark a logged model READY (its files are complete) or UPLOAD_FAILED; finalizing again is harmless."""
    status = logged_model_status_parse(status)
    if status not in FINAL_STATUSES:
        raise invalid(f"A logged model is finalized as {sorted(FINAL_STATUSES)}, not {status}.")
    if logged_model.status != status or logged_model.status_message != (message or ""):
        logged_model.status = status
        logged_model.status_message = message or ""
        with acting_user(by):
            logged_model.save(update_fields=["status", "status_message", "updated_at"])
    return logged_model


@transaction.atomic
def logged_model_delete(*, logged_model: LoggedModel, by) -> LoggedModel:
    """Soft-delete a logged model (MLflow's lifecycle); its files stay until the experiment is purged."""
    if logged_model.lifecycle_stage != LifecycleStage.DELETED:
        logged_model.lifecycle_stage = LifecycleStage.DELETED
        with acting_user(by):
            logged_model.save(update_fields=["lifecycle_stage", "updated_at"])
    return logged_model


@transaction.atomic
def logged_model_tags_set(
    *, logged_model: LoggedModel, by, tags: Iterable[tuple[str, str]] | dict[str, str]
) -> LoggedModel:
    """Add or replace tags of a logged model (e.g. `mlflow.modelVersions` when it is registered)."""
    checked = _tags(tags)
    if len(checked) > MAX_TAGS_PER_REQUEST:
        raise invalid(f"A request may set at most {MAX_TAGS_PER_REQUEST} tags; got {len(checked)}.")
    changed = {key: value for key, value in checked.items() if logged_model.tags.get(key) != value}
    if changed:
        logged_model.tags = {**logged_model.tags, **changed}
        with acting_user(by):
            logged_model.save(update_fields=["tags", "updated_at"])
    return logged_model


@transaction.atomic
def logged_model_tag_delete(*, logged_model: LoggedModel, by, key: str) -> LoggedModel:
    """Remove one tag of a logged model; RESOURCE_DOES_NOT_EXIST when it has no such tag."""
    if key not in logged_model.tags:
        raise TrackingError(
            f"No tag with key {key!r} found for model with ID {logged_model.model_id!r}.",
            RESOURCE_DOES_NOT_EXIST,
        )
    logged_model.tags = {name: value for name, value in logged_model.tags.items() if name != key}
    with acting_user(by):
        logged_model.save(update_fields=["tags", "updated_at"])
    return logged_model


def _check_run_active(run: Run) -> None:
    if run.lifecycle_stage != LifecycleStage.ACTIVE:
        raise invalid(
            f"The run {run.uuid} must be in the 'active' state. Current state is {run.lifecycle_stage}."
        )


@transaction.atomic
def run_outputs_log(*, run: Run, by, outputs: list[tuple[LoggedModel, int]]) -> list[RunOutput]:
    """Record the logged models a run produced, each at a step; recording one again changes nothing."""
    _check_run_active(run)
    if len(outputs) > MAX_OUTPUTS_PER_REQUEST:
        raise invalid(
            f"A request may log at most {MAX_OUTPUTS_PER_REQUEST} model outputs; got {len(outputs)}."
        )
    recorded = []
    for logged_model, step in outputs:
        if logged_model.experiment_id != run.experiment_id:
            raise invalid(
                f"The model {logged_model.model_id} belongs to another experiment than the run {run.uuid}."
            )
        output = RunOutput.objects.filter(run=run, logged_model=logged_model).first()
        if output is None:
            try:
                with transaction.atomic():
                    output = RunOutput.objects.create(run=run, logged_model=logged_model, step=step)
            except IntegrityError:  # the same output sent twice at once (a client retry)
                output = RunOutput.objects.get(run=run, logged_model=logged_model)
        recorded.append(output)
    return recorded


def model_json_parse(model_json) -> dict:
    """The MLmodel summary MLflow's `runs/log-model` sends, checked and reduced as MLflow's server does."""
    if not isinstance(model_json, str):
        raise invalid("Invalid value for parameter 'model_json' supplied: expected a string.")
    if len(model_json) > MAX_MODEL_JSON_LENGTH:
        raise invalid(f"'model_json' exceeds the maximum length of {MAX_MODEL_JSON_LENGTH} characters")
    try:
        model = json.loads(model_json)
    except ValueError:
        raise invalid(f"Malformed model info. \n {model_json[:200]} \n is not a valid JSON.") from None
    if not isinstance(model, dict):
        raise invalid("Malformed model info: expected a JSON object.")
    missing = MODEL_JSON_REQUIRED - set(model)
    if missing:
        raise invalid(f"Model json is missing mandatory fields: {sorted(missing)}")
    if not isinstance(model["flavors"], dict):
        raise invalid("Malformed model info: 'flavors' must be an object.")
    summary = {key: model[key] for key in MODEL_JSON_KEPT if key in model}
    summary["flavors"] = {
        flavor: (
            {key: value for key, value in config.items() if key != "config"}
            if isinstance(config, dict)
            else config
        )
        for flavor, config in model["flavors"].items()
    }
    return summary


@transaction.atomic
def run_logged_model_record(*, run: Run, by, model_json: str) -> list[dict]:
    """MLflow's log-model: append the model's summary to the run's `mlflow.log-model.history` tag."""
    summary = model_json_parse(model_json)
    _check_run_active(run)
    tag = run.tags.filter(key=LOGGED_MODELS_TAG).first()
    history = []
    if tag is not None:
        try:
            history = json.loads(tag.value)
        except ValueError:
            history = []
        if not isinstance(history, list):
            history = []
    if summary in history:  # a client retry: recorded once
        return history
    history.append(summary)
    value = json.dumps(history)
    if len(value) > TAG_VALUE_MAX_LENGTH:
        raise invalid(
            f"'{LOGGED_MODELS_TAG}' exceeds the maximum length of {TAG_VALUE_MAX_LENGTH} characters: "
            "the run records too many models"
        )
    run_tags_set(run=run, by=by, tags={LOGGED_MODELS_TAG: value})
    return history
