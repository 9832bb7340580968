"""Tracking writes: experiments, runs, params, metrics, tags and dataset inputs (MLflow's semantics).

Deleting is MLflow's soft delete: the row stays with `lifecycle_stage="deleted"` and can be
restored; deleting an experiment deletes its active runs and restoring it restores them.

Every function takes the objects to change (found through `apps.experiments.selectors.tracking`,
which checks the caller's rights) and the acting user `by`. Validation happens before the first
write, and callers run each request in one transaction, so a refused request writes nothing.
Writes are idempotent where MLflow's are: the same param again, the same metric point again
(the unique constraint + ignore_conflicts) and the same dataset input again change nothing.

Hot paths (log_metric, log_batch) are a handful of statements whatever the batch size: one
insert for the points, one upsert for the latest values, one read + at most two writes for tags
(with history through simple-history's bulk helpers).
"""

from __future__ import annotations

import json
import platform
import random
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from apps.core.assets import assets_changed
from apps.core.db import prepared_cursor, statement_cache
from apps.core.history import acting_user
from apps.core.permissions import Action
from apps.experiments.errors import (
    PERMISSION_DENIED,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    TrackingError,
    invalid,
)
from apps.experiments.models import (
    Experiment,
    ExperimentTag,
    LatestMetric,
    LifecycleStage,
    LoggedDataset,
    Metric,
    Param,
    Run,
    RunInput,
    RunStatus,
    RunTag,
)
from apps.experiments.search_documents import SYSTEM_TAG_PREFIX
from apps.experiments.validation import (
    MAX_DATASET_DIGEST_SIZE,
    MAX_DATASET_NAME_SIZE,
    MAX_DATASET_PROFILE_SIZE,
    MAX_DATASET_SCHEMA_SIZE,
    MAX_DATASET_SOURCE_SIZE,
    MAX_INPUT_TAG_KEY_SIZE,
    MAX_INPUT_TAG_VALUE_SIZE,
    exceeds_maximum_length,
    sanitize_metric_value,
    validate_batch_limits,
    validate_experiment_name,
    validate_experiment_tag,
    validate_metric,
    validate_param,
    validate_tag,
)
from apps.teams.models import Team
from apps.teams.selectors import TEAM_TAG, team_for_new_asset

RUN_NAME_TAG = "mlflow.runName"
PARENT_RUN_TAG = "mlflow.parentRunId"
DATASET_CONTEXT_TAG = "mlflow.data.context"
ARTIFACT_SCHEME = "mlflow-artifacts:"

# MLflow's system tags that Atrium also keeps on the run itself (reproducibility fields).
SYSTEM_TAG_FIELDS = {
    "mlflow.note.content": "description",
    "mlflow.source.type": "source_type",
    "mlflow.source.name": "source_name",
    "mlflow.source.git.commit": "git_commit",
    "mlflow.source.git.repoURL": "git_repo",
    "mlflow.gitRepoURL": "git_repo",
    "mlflow.project.entryPoint": "entry_point",
}
SYSTEM_TAGS = {
    *SYSTEM_TAG_FIELDS,
    RUN_NAME_TAG,
    PARENT_RUN_TAG,
    "mlflow.user",
    "mlflow.source.git.dirty",
    "atrium.seed",
}
_FIELD_LIMITS = {"source_type": 32, "source_name": 500, "git_commit": 64, "git_repo": 500, "entry_point": 500}

Metric_ = tuple[str, float, int, int]  # (key, value, timestamp ms, step)


@dataclass(frozen=True)
class DatasetInputSpec:
    """One dataset input of log_inputs, as the client describes it."""

    name: str
    digest: str
    source_type: str = ""
    source: str = ""
    schema: str = ""
    profile: str = ""
    tags: tuple[tuple[str, str], ...] = ()


def _now_ms() -> int:
    return int(timezone.now().timestamp() * 1000)


def _check_run_active(run: Run) -> None:
    if run.lifecycle_stage != LifecycleStage.ACTIVE:
        raise invalid(
            f"The run {run.uuid} must be in the 'active' state. Current state is {run.lifecycle_stage}."
        )


def _check_experiment_active(experiment: Experiment) -> None:
    if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise invalid(
            f"The experiment {experiment.pk} must be in the 'active' state. "
            f"Current state is {experiment.lifecycle_stage}."
        )


# --- experiments ---------------------------------------------------------------------------------
def experiment_team_for(*, user, tags: dict[str, str] | None = None) -> Team:
    """The team a new experiment of `user` belongs to, as for every new asset (`team_for_new_asset`:
    the `atrium.team` tag, else the user's only team, else the first where they may add), with its
    refusals as MLflow errors (PERMISSION_DENIED; INVALID_PARAMETER_VALUE for an unknown slug).
    """
    try:
        return team_for_new_asset(user=user, tags=tags)
    except PermissionDenied as refused:
        raise TrackingError(
            f"You cannot create experiments there: {refused} Ask its data officer for a role that may "
            "add assets.",
            PERMISSION_DENIED,
        ) from None
    except ValidationError as error:
        message = " ".join(error.messages)
        if not (tags or {}).get(TEAM_TAG, "").strip():  # no team at all: a matter of permission
            raise TrackingError(
                "You belong to no team where you may create experiments; ask a team's data officer to "
                "add you.",
                PERMISSION_DENIED,
            ) from None
        raise invalid(message) from None


EXPERIMENT_FIELDS = {"name", "description", "visibility"}


def experiment_name_check(*, team: Team, name: str, exclude_pk: int | None = None) -> str:
    """The stripped name, or an error on `name`: empty, overlong, or taken in `team` (deleted ones too)."""
    name = validate_experiment_name((name or "").strip() if isinstance(name, str) else name)
    if Experiment.objects.filter(team=team, name=name).exclude(pk=exclude_pk).exists():
        raise TrackingError(
            f"{team.name} already has an experiment named “{name}” (perhaps deleted). Pick another.",
            RESOURCE_ALREADY_EXISTS,
            field="name",
        )
    return name


@transaction.atomic
def experiment_create(
    *,
    by,
    name: str,
    team: Team | None = None,
    tags: dict[str, str] | None = None,
    description: str = "",
    visibility: str = "private",
    artifact_location: str = "",
) -> Experiment:
    """Create an experiment in `team` (default: `experiment_team_for`), with MLflow's tags.

    Its artifacts go to the MLflow artifact proxy (`mlflow-artifacts:/<id>`); another location
    is refused, so clients never write outside Atrium's storage.
    """
    tags = dict(tags or {})
    for key, value in tags.items():
        validate_experiment_tag(key, value)
    if artifact_location and not artifact_location.startswith(ARTIFACT_SCHEME):
        raise invalid(
            "Atrium stores artifacts itself (through the mlflow-artifacts proxy); "
            "an experiment's artifact_location cannot be set."
        )
    if team is None:
        team = experiment_team_for(user=by, tags=tags)
    name = experiment_name_check(team=team, name=name)
    if visibility not in {"private", "internal"}:
        raise TrackingError(f"Unknown visibility '{visibility}'.", field="visibility")
    experiment = Experiment(
        team=team,
        name=name,
        description=description or tags.get("mlflow.note.content", ""),
        visibility=visibility,
        created_by=by if getattr(by, "pk", None) else None,
    )
    with acting_user(by):
        experiment.save()
        # The default location needs the id; set it on the row and on its creation record so the
        # history shows one creation, not a creation plus a change nobody made.
        location = artifact_location or f"{ARTIFACT_SCHEME}/{experiment.pk}"
        Experiment.objects.filter(pk=experiment.pk).update(artifact_location=location)
        experiment.history.filter(history_type="+").update(artifact_location=location)
        experiment.artifact_location = location
        if tags:
            bulk_create_with_history(
                [ExperimentTag(experiment=experiment, key=key, value=value) for key, value in tags.items()],
                ExperimentTag,
                default_user=by,
            )
    return experiment


@transaction.atomic
def experiment_default_get_or_create(*, by, name: str = "Default") -> Experiment:
    """The experiment for MLflow's default id "0": `name` in the user's team, made on first use."""
    team = experiment_team_for(user=by)
    experiment = Experiment.objects.filter(team=team, name=name).first()
    if experiment is None:
        experiment = experiment_create(by=by, name=name, team=team)
    return experiment


@transaction.atomic
def experiment_update(*, experiment: Experiment, by, **changes) -> Experiment:
    """Rename an experiment (MLflow's update), change its description (Markdown) or its visibility."""
    unknown = set(changes) - EXPERIMENT_FIELDS
    if unknown:
        raise ValueError(f"Cannot change {sorted(unknown)} on an experiment.")
    if "name" in changes:
        name = (changes["name"] or "").strip() if isinstance(changes["name"], str) else changes["name"]
        if name != experiment.name and experiment.lifecycle_stage != LifecycleStage.ACTIVE:
            # MLflow answers INVALID_STATE (a 500); a refused rename is the caller's input, so 400.
            raise TrackingError("Restore the experiment before renaming it.", field="name")
        changes["name"] = experiment_name_check(team=experiment.team, name=name, exclude_pk=experiment.pk)
    if "visibility" in changes and changes["visibility"] not in {"private", "internal"}:
        raise TrackingError(f"Unknown visibility '{changes['visibility']}'.", field="visibility")
    changed = [field for field, value in changes.items() if getattr(experiment, field) != value]
    for field in changed:
        setattr(experiment, field, changes[field])
    if changed:
        with acting_user(by):
            experiment.save(update_fields=[*changed, "updated_at"])
    return experiment


def _runs_set_lifecycle(*, runs: list[Run], by, stage: str) -> int:
    now = timezone.now()
    for run in runs:
        run.lifecycle_stage = stage
        run.deleted_at = now if stage == LifecycleStage.DELETED else None
        run.updated_at = now
    if runs:
        bulk_update_with_history(
            runs, Run, ["lifecycle_stage", "deleted_at", "updated_at"], batch_size=500, default_user=by
        )
        assets_changed(objects=runs)  # no save signals in a bulk update: search re-indexes them
    return len(runs)


@transaction.atomic
def experiment_delete(*, experiment: Experiment, by) -> Experiment:
    """Soft-delete an experiment and its active runs (MLflow's delete; restorable; twice is once)."""
    if experiment.lifecycle_stage == LifecycleStage.DELETED:
        return experiment
    experiment.lifecycle_stage = LifecycleStage.DELETED
    experiment.deleted_at = timezone.now()
    with acting_user(by):
        experiment.save(update_fields=["lifecycle_stage", "deleted_at", "updated_at"])
    runs = list(experiment.runs.filter(lifecycle_stage=LifecycleStage.ACTIVE))
    _runs_set_lifecycle(runs=runs, by=by, stage=LifecycleStage.DELETED)
    return experiment


@transaction.atomic
def experiment_restore(*, experiment: Experiment, by) -> Experiment:
    """Bring a deleted experiment back, with its runs (as MLflow's SQL store does)."""
    if experiment.lifecycle_stage == LifecycleStage.ACTIVE:
        return experiment
    experiment.lifecycle_stage = LifecycleStage.ACTIVE
    experiment.deleted_at = None
    with acting_user(by):
        experiment.save(update_fields=["lifecycle_stage", "deleted_at", "updated_at"])
    runs = list(experiment.runs.filter(lifecycle_stage=LifecycleStage.DELETED))
    _runs_set_lifecycle(runs=runs, by=by, stage=LifecycleStage.ACTIVE)
    return experiment


@transaction.atomic
def experiment_tag_set(*, experiment: Experiment, by, key: str, value: str) -> ExperimentTag:
    """Set (add or replace) one tag of an experiment; `mlflow.note.content` is its description."""
    key, value = validate_experiment_tag(key, value)
    _check_experiment_active(experiment)
    with acting_user(by):
        tag = ExperimentTag.objects.filter(experiment=experiment, key=key).first()
        if tag is None:
            tag = ExperimentTag.objects.create(experiment=experiment, key=key, value=value)
        elif tag.value != value:
            tag.value = value
            tag.save(update_fields=["value"])
        if key == "mlflow.note.content" and experiment.description != value:
            experiment.description = value
            experiment.save(update_fields=["description", "updated_at"])
    return tag


@transaction.atomic
def experiment_tag_delete(*, experiment: Experiment, by, key: str) -> None:
    """Remove one tag of an experiment; RESOURCE_DOES_NOT_EXIST when it has no such tag."""
    _check_experiment_active(experiment)
    tag = ExperimentTag.objects.filter(experiment=experiment, key=key).first()
    if tag is None:
        raise TrackingError(
            f"No tag with name: {key} in experiment with id {experiment.pk}", RESOURCE_DOES_NOT_EXIST
        )
    with acting_user(by):
        tag.delete()


# --- runs ----------------------------------------------------------------------------------------
_ADJECTIVES = [
    "able",
    "amazing",
    "bold",
    "brave",
    "bright",
    "calm",
    "capable",
    "careful",
    "clean",
    "clever",
    "curious",
    "daring",
    "dazzling",
    "eager",
    "efficient",
    "elegant",
    "fearless",
    "funny",
    "gentle",
    "glamorous",
    "golden",
    "grand",
    "handsome",
    "honest",
    "humble",
    "kindly",
    "likeable",
    "lively",
    "loud",
    "luminous",
    "merciful",
    "mysterious",
    "nimble",
    "orderly",
    "patient",
    "polite",
    "powerful",
    "receptive",
    "redolent",
    "resilient",
    "righteous",
    "rogue",
    "rumbling",
    "salty",
    "secretive",
    "selective",
    "sincere",
    "skillful",
    "smiling",
    "sneaky",
    "spiffy",
    "stately",
    "suave",
    "thoughtful",
    "traveling",
    "unique",
    "upbeat",
    "useful",
    "valuable",
    "vaunted",
    "victorious",
    "welcoming",
    "whimsical",
    "wise",
    "worried",
    "youthful",
    "zealous",
]
_NOUNS = [
    "ant",
    "ape",
    "asp",
    "auk",
    "bass",
    "bat",
    "bear",
    "bee",
    "bird",
    "boar",
    "bug",
    "calf",
    "carp",
    "cat",
    "cod",
    "colt",
    "conch",
    "cow",
    "crab",
    "crane",
    "croc",
    "crow",
    "cub",
    "deer",
    "doe",
    "dog",
    "dolphin",
    "donkey",
    "dove",
    "duck",
    "eel",
    "elk",
    "fawn",
    "finch",
    "fish",
    "flea",
    "fly",
    "foal",
    "fowl",
    "fox",
    "frog",
    "gnat",
    "gnu",
    "goat",
    "goose",
    "grouse",
    "grub",
    "gull",
    "hare",
    "hawk",
    "hen",
    "hog",
    "horse",
    "hound",
    "jay",
    "kit",
    "kite",
    "koi",
    "lamb",
    "lark",
    "loon",
    "lynx",
    "mare",
    "midge",
    "mink",
    "mole",
    "moose",
    "moth",
    "mouse",
    "mule",
    "newt",
    "owl",
    "ox",
    "panda",
    "penguin",
    "perch",
    "pig",
    "pug",
    "quail",
    "ram",
    "rat",
    "ray",
    "robin",
    "roo",
    "rook",
    "seal",
    "shad",
    "shark",
    "sheep",
    "shoat",
    "shrew",
    "shrike",
    "skink",
    "skunk",
    "sloth",
    "slug",
    "smelt",
    "snail",
    "snake",
    "snipe",
    "sow",
    "sponge",
    "squid",
    "squirrel",
    "stag",
    "steed",
    "stoat",
    "stork",
    "swan",
    "tern",
    "toad",
    "trout",
    "turtle",
    "vole",
    "wasp",
    "whale",
    "wolf",
    "worm",
    "wren",
    "yak",
    "zebra",
]


def run_name_generate() -> str:
    """A memorable name like MLflow's (`bold-crane-42`) for runs the client did not name."""
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(0, 999)}"  # noqa: S311


def _system_fields(run: Run, tags: dict[str, str]) -> list[str]:
    """Copy MLflow's system tags onto the run's own reproducibility fields; returns changed fields."""
    changed = []
    for key, field in SYSTEM_TAG_FIELDS.items():
        if key in tags:
            value = tags[key]
            limit = _FIELD_LIMITS.get(field)
            value = value[:limit] if limit else value
            if getattr(run, field) != value:
                setattr(run, field, value)
                changed.append(field)
    if RUN_NAME_TAG in tags and run.name != tags[RUN_NAME_TAG][:250]:
        run.name = tags[RUN_NAME_TAG][:250]
        changed.append("name")
    if "mlflow.user" in tags and not run.user_name:
        run.user_name = tags["mlflow.user"][:250]
        changed.append("user_name")
    if "mlflow.source.git.dirty" in tags:
        dirty = tags["mlflow.source.git.dirty"].strip().lower() in {"true", "1", "yes"}
        if run.git_dirty != dirty:
            run.git_dirty = dirty
            changed.append("git_dirty")
    if "atrium.seed" in tags:
        try:
            seed = int(tags["atrium.seed"])
        except ValueError:
            seed = None
        if seed is not None and run.seed != seed:
            run.seed = seed
            changed.append("seed")
    if PARENT_RUN_TAG in tags:
        parent_uuid = tags[PARENT_RUN_TAG]
        # Only a run of the same experiment can be the parent: nesting never crosses permissions.
        parent = Run.objects.filter(uuid=parent_uuid, experiment_id=run.experiment_id).only("pk").first()
        parent_id = parent.pk if parent is not None and parent.pk != run.pk else None
        if run.parent_id != parent_id:
            run.parent_id = parent_id
            changed.append("parent")
    return changed


def _validated_tags(
    tags: Iterable[tuple[str, str]] | dict[str, str] | None, path: str = "tags"
) -> dict[str, str]:
    items = tags.items() if isinstance(tags, dict) else (tags or ())
    result: dict[str, str] = {}
    for index, (key, value) in enumerate(items):
        key, value = validate_tag(key, value, f"{path}[{index}]")
        result[key] = value  # the last value of a repeated key wins, as in MLflow
    return result


@transaction.atomic
def run_create(
    *,
    experiment: Experiment,
    by,
    start_time: int | None = None,
    tags: Iterable[tuple[str, str]] | dict[str, str] | None = None,
    run_name: str = "",
    parent: Run | None = None,
    seed: int | None = None,
    environment: dict | None = None,
    training_job=None,
    reproduced_from: Run | None = None,
) -> Run:
    """Start a run in `experiment` (status RUNNING); MLflow's system tags fill the reproducibility fields."""
    _check_experiment_active(experiment)
    tag_values = _validated_tags(tags)
    name_tag = tag_values.get(RUN_NAME_TAG)
    if run_name and name_tag and run_name != name_tag:
        raise invalid(
            "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values "
            f"(run_name='{run_name}', mlflow.runName='{name_tag}')."
        )
    if run_name and len(run_name) > 250:
        raise invalid(exceeds_maximum_length("run_name", 250))
    run_name = run_name or name_tag or run_name_generate()
    tag_values.setdefault(RUN_NAME_TAG, run_name)
    if parent is not None:
        if parent.experiment_id != experiment.pk:
            raise invalid("A nested run must belong to its parent's experiment.")
        tag_values.setdefault(PARENT_RUN_TAG, parent.uuid)
    run = Run(
        experiment=experiment,
        name=run_name,
        user=by,
        user_name=getattr(by, "username", "") or "",
        status=RunStatus.RUNNING,
        start_time=start_time if start_time is not None else _now_ms(),
        seed=seed,
        environment=environment or {},
        training_job=training_job,
        reproduced_from=reproduced_from,
    )
    run.artifact_uri = (
        f"{experiment.artifact_location or ARTIFACT_SCHEME + '/' + str(experiment.pk)}/{run.uuid}/artifacts"
    )
    _system_fields(run, tag_values)
    if parent is not None:
        run.parent = parent
    with acting_user(by):
        run.save()
        bulk_create_with_history(
            [RunTag(run=run, key=key, value=value) for key, value in tag_values.items()],
            RunTag,
            default_user=by,
        )
    if any(not key.startswith(SYSTEM_TAG_PREFIX) for key in tag_values):
        assets_changed(objects=[run])  # indexed for search on save, before its tags were written
    return run


@transaction.atomic
def run_update(
    *, run: Run, by, status: str | None = None, end_time: int | None = None, name: str | None = None
) -> Run:
    """Change a run's status, end time or name (MLflow's update_run; the name tag follows the name)."""
    _check_run_active(run)
    changed = []
    if status is not None:
        if status not in RunStatus.values:
            raise invalid(
                f"Invalid value '{status}' for parameter 'status': expected one of {RunStatus.values}."
            )
        if run.status != status:
            run.status = status
            changed.append("status")
    if end_time is not None and run.end_time != end_time:
        run.end_time = end_time
        changed.append("end_time")
    with acting_user(by):
        if name:
            if len(name) > 250:
                raise invalid(exceeds_maximum_length("run_name", 250))
            if run.name != name:
                run.name = name
                changed.append("name")
            _tags_write(run, by, {RUN_NAME_TAG: name}, system_fields=False)
        if changed:
            run.save(update_fields=[*changed, "updated_at"])
    return run


@transaction.atomic
def run_delete(*, run: Run, by) -> Run:
    """Soft-delete a run (restorable); its metrics, params and artifacts stay."""
    if run.lifecycle_stage != LifecycleStage.DELETED:
        _runs_set_lifecycle(runs=[run], by=by, stage=LifecycleStage.DELETED)
    return run


@transaction.atomic
def run_restore(*, run: Run, by) -> Run:
    """Bring a deleted run back (its experiment must be active, as in MLflow)."""
    if run.experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise invalid("Restore the experiment first: its runs come back with it.")
    if run.lifecycle_stage != LifecycleStage.ACTIVE:
        _runs_set_lifecycle(runs=[run], by=by, stage=LifecycleStage.ACTIVE)
    return run


@transaction.atomic
def run_note_set(*, run: Run, by, note: str) -> Run:
    """Set a run's Markdown note (MLflow's `mlflow.note.content` tag is the same text)."""
    run.description = note or ""
    with acting_user(by):
        run.save(update_fields=["description", "updated_at"])
        if run.description:
            _tags_write(run, by, {"mlflow.note.content": run.description}, system_fields=False)
        else:
            RunTag.objects.filter(run=run, key="mlflow.note.content").delete()
    return run


# --- params, metrics, tags -----------------------------------------------------------------------
def _validated_params(params: Iterable[tuple[str, str]], path: str = "params") -> dict[str, str]:
    result: dict[str, str] = {}
    for index, (key, value) in enumerate(params):
        key, value = validate_param(key, value, f"{path}[{index}]" if path else "")
        if key in result and result[key] != value:
            raise invalid(
                f"Duplicate parameter keys have been submitted: ['{key}']. Please ensure the request "
                "contains only one param value per param key."
            )
        result[key] = value
    return result


def _params_new(run: Run, params: dict[str, str]) -> list[Param]:
    """The params not logged yet; refuses a key logged before with another value (a read, no write)."""
    if not params:
        return []
    existing = dict(Param.objects.filter(run_id=run.pk, key__in=list(params)).values_list("key", "value"))
    changed = {key: (old, params[key]) for key, old in existing.items() if old != params[key]}
    if changed:
        key, (old, new) = next(iter(changed.items()))
        raise invalid(
            f"Changing param values is not allowed. Param with key='{key}' was already logged with "
            f"value='{old}' for run ID='{run.uuid}'. Attempted logging new value '{new}'."
        )
    return [
        Param(run_id=run.pk, key=key, value=value) for key, value in params.items() if key not in existing
    ]


def _params_write(new: list[Param]) -> None:
    if new:
        Param.objects.bulk_create(new, ignore_conflicts=True)


# The hot paths check everything (validation, the run's state, params' earlier values) before their
# transaction opens, so a refusal never leaves an enclosing transaction broken, and the writes
# themselves run in one transaction without a savepoint (one round trip less per request).
def run_params_log(*, run: Run, by, params: Iterable[tuple[str, str]] | dict[str, str]) -> None:
    """Log params; the same value again is fine, another value for a logged key is refused (no write)."""
    _check_run_active(run)
    items = params.items() if isinstance(params, dict) else params
    new = _params_new(run, _validated_params(items, path=""))
    with transaction.atomic(savepoint=False):
        _params_write(new)


def _validated_metrics(metrics: Iterable[Sequence], path: str = "metrics") -> list[Metric_]:
    result = []
    single = path == ""
    for index, metric in enumerate(metrics):
        key, value, timestamp, step = metric
        result.append(validate_metric(key, value, timestamp, step, "" if single else f"{path}[{index}]"))
    return result


METRIC_COLUMNS = ["run_id", "key", "value", "timestamp", "step", "is_nan"]
METRIC_PG_TYPES = ["bigint", "varchar", "float8", "bigint", "bigint", "boolean"]


def _metric_points(metrics: list[Metric_]) -> tuple[list[tuple], dict[str, tuple]]:
    """`(key, stored value, timestamp, step, is_nan)` of each point (duplicates dropped, order kept)
    and each key's latest point among them as `(step, timestamp, stored value, is_nan)`."""
    points = {}
    latest: dict[str, tuple] = {}
    for key, value, timestamp, step in metrics:
        is_nan, stored = sanitize_metric_value(value)
        points[(key, stored, timestamp, step, is_nan)] = None
        candidate = (step, timestamp, stored, is_nan)
        current = latest.get(key)
        if current is None or candidate[:3] > current[:3]:
            latest[key] = candidate
    return list(points), latest


def _metric_rows(run: Run, metrics: list[Metric_]) -> tuple[list[tuple], dict[str, tuple]]:
    """The rows to store (`_metric_points` with the run first) and each key's latest point."""
    points, latest = _metric_points(metrics)
    run_pk = run.pk
    return [(run_pk, *point) for point in points], latest


def _metrics_write(run: Run, metrics: list[Metric_]) -> None:
    if not metrics:
        return
    rows, latest = _metric_rows(run, metrics)
    _insert_ignoring_duplicates(Metric, METRIC_COLUMNS, rows, pg_types=METRIC_PG_TYPES)
    _latest_metrics_upsert(run.pk, latest)


def _metrics_write_in_one_statement(run: Run, metrics: list[Metric_]) -> None:
    """PostgreSQL: the points and the latest values in one statement, which is atomic on its own.

    A training loop sends single log_metric calls by the thousand; without a transaction around
    them each call saves the BEGIN and COMMIT round trips and one statement. Unless
    `METRICS_SYNCHRONOUS_COMMIT` is on, the statement also commits without waiting for its WAL
    flush (`synchronous_commit` off for its own implicit transaction only): a database server
    crash may lose the last fraction of a second of points, never corrupt or half-write them —
    the trade SQLite's WAL with `synchronous=NORMAL` makes for every write. Inside a caller's
    transaction the setting would outlive the statement, so there it is never changed.
    """
    rows, latest = _metric_rows(run, metrics)
    synchronous = settings.METRICS_SYNCHRONOUS_COMMIT or connection.in_atomic_block
    sql = _one_statement_sql(len(rows), len(latest), synchronous)
    with prepared_cursor() as cursor:
        cursor.execute(sql, [*_flat(rows), *_latest_metrics_params(run.pk, latest)])


@statement_cache
def _one_statement_sql(points: int, keys: int, synchronous: bool) -> str:
    points_sql = _values_insert_sql(Metric, tuple(METRIC_COLUMNS), points)
    latest_sql = _latest_metrics_upsert_sql(keys)
    if synchronous:
        return f"WITH points AS ({points_sql} ON CONFLICT DO NOTHING) {latest_sql}"
    # Data-modifying WITH queries always run; the main query sets the commit mode.
    return (
        f"WITH points AS ({points_sql} ON CONFLICT DO NOTHING), latest AS ({latest_sql}) "
        "SELECT set_config('synchronous_commit', 'off', true)"
    )


# From this many rows, PostgreSQL inserts try without ON CONFLICT first (see below).
OPTIMISTIC_INSERT_ROWS = 100


def _insert_ignoring_duplicates(
    model, columns: list[str], rows: list[tuple], pg_types: list[str] | None = None
) -> None:
    """Insert rows in one statement, skipping those that hit a unique constraint (a client retry).

    Django's bulk_create splits at SQLite's historical 999-variable limit (7 statements for 1000
    points); SQLite runs one prepared statement over all rows (executemany) at C speed, and
    PostgreSQL takes one array per column through unnest (or one multi-row VALUES statement per
    60,000 parameters when no column types are given).
    """
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            sql = _values_insert_sql(model, tuple(columns), 1)
            cursor.executemany(sql + " ON CONFLICT DO NOTHING", rows)
            return
        if pg_types is not None:  # one array per column: 6 parameters for any number of rows
            if len(rows) >= OPTIMISTIC_INSERT_ROWS:
                # COPY takes many rows in about half an INSERT's time and skips ON CONFLICT's
                # speculative insertion; rows already stored (a client's retry) fail it, and then
                # only the savepoint is undone and the INSERT below skips them.
                try:
                    with transaction.atomic():
                        _copy_rows(cursor, model, columns, rows)
                    return
                except IntegrityError:
                    pass
            insert, arrays = _unnest_insert_sql(model, columns, rows, pg_types)
            cursor.execute(insert + " ON CONFLICT DO NOTHING", arrays)
            return
        chunk = max(1, 60000 // len(columns))
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            cursor.execute(
                _values_insert_sql(model, tuple(columns), len(part)) + " ON CONFLICT DO NOTHING", _flat(part)
            )


def _table_and_columns(model, columns: list[str]) -> str:
    """`"table" ("col", …)`: names from the model, quoted; values always go as parameters."""
    quote = connection.ops.quote_name
    return f"{quote(model._meta.db_table)} ({', '.join(quote(column) for column in columns)})"


def _copy_rows(cursor, model, columns: list[str], rows: list[tuple]) -> None:
    """PostgreSQL's COPY FROM STDIN of `rows`; a constraint it breaks raises Django's IntegrityError."""
    statement = f"COPY {_table_and_columns(model, columns)} FROM STDIN"
    with connection.wrap_database_errors, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


@statement_cache
def _values_insert_sql(model, columns: tuple[str, ...], rows: int) -> str:
    """An INSERT of `rows` rows in one VALUES list (its text, hence its prepared plan, follows `rows`)."""
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return f"INSERT INTO {_table_and_columns(model, list(columns))} VALUES {', '.join([row] * rows)}"  # noqa: S608


def _flat(rows: list[tuple]) -> list:
    return [value for values in rows for value in values]


def _unnest_insert_sql(model, columns: list[str], rows: list[tuple], pg_types: list[str]) -> tuple[str, list]:
    """PostgreSQL's INSERT of many rows with one array parameter per column (any number of rows)."""
    unnest = ", ".join(f"%s::{kind}[]" for kind in pg_types)
    sql = f"INSERT INTO {_table_and_columns(model, columns)} SELECT * FROM unnest({unnest})"  # noqa: S608
    return sql, [list(column) for column in zip(*rows, strict=True)]


def _latest_metrics_upsert(run_pk: int, latest: dict[str, tuple]) -> None:
    """One statement: insert each key's latest point, or replace the stored one if this one is newer."""
    with connection.cursor() as cursor:
        cursor.execute(_latest_metrics_upsert_sql(len(latest)), _latest_metrics_params(run_pk, latest))


def _latest_metrics_params(run_pk: int, latest: dict[str, tuple]) -> list:
    return [
        value
        for key, (step, timestamp, stored, is_nan) in latest.items()
        for value in (run_pk, key, stored, timestamp, step, is_nan)
    ]


@statement_cache
def _latest_metrics_upsert_sql(keys: int) -> str:
    """Insert the latest point of each of `keys` keys, or replace the stored one if this one is newer."""
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * keys)
    return _latest_metrics_upsert_from(f"VALUES {values}")


def _latest_metrics_upsert_from(source: str) -> str:
    """The latest points of `source` (a VALUES list or a query of rows in METRIC_COLUMNS' order)
    inserted, or replacing the stored ones where newer.

    MLflow's rule: the latest point is the greatest (step, timestamp, value). The condition sits
    in the upsert itself, so concurrent writers cannot overwrite a newer point with an older one.
    """
    quote = connection.ops.quote_name
    table = quote(LatestMetric._meta.db_table)
    quoted = [quote(column) for column in METRIC_COLUMNS]
    step_c, time_c, value_c = quote("step"), quote("timestamp"), quote("value")
    return (
        f"INSERT INTO {table} ({', '.join(quoted)}) {source} "  # noqa: S608 - names from the model
        f"ON CONFLICT ({quote('run_id')}, {quote('key')}) DO UPDATE SET "
        + ", ".join(f"{column} = excluded.{column}" for column in quoted[2:])
        + f" WHERE (excluded.{step_c}, excluded.{time_c}, excluded.{value_c}) > "
        f"({table}.{step_c}, {table}.{time_c}, {table}.{value_c})"
    )


def metrics_log_with_access(
    access_sql: str, access_params: list, metrics: Iterable[Sequence]
) -> tuple[str, list] | None:
    """PostgreSQL: `access_sql` (a statement reading at most one row, whose last two columns are a
    run's id, `run_pk`, and whether its caller may log to it, `may_log`) made to also log `metrics`
    to that run when `may_log` holds, in the same statement: one round trip where reading the
    caller's access and then writing take two (a training loop sends one point per step).

    Returns the statement and its parameters, or None where this does not apply: another
    database, many points (`OPTIMISTIC_INSERT_ROWS`), or a point `run_metrics_log` would refuse
    (the ordinary way then reports it, after the run's own errors, as ever). The statement's row
    is `access_sql`'s; when `may_log` is false nothing was written. As `run_metrics_log`, it
    commits without waiting for its WAL flush unless `METRICS_SYNCHRONOUS_COMMIT` is on or it
    runs inside a transaction.
    """
    if connection.vendor != "postgresql":
        return None
    try:
        checked = _validated_metrics(metrics, path="")
    except TrackingError:
        return None
    if not checked or len(checked) >= OPTIMISTIC_INSERT_ROWS:
        return None
    points, latest = _metric_points(checked)
    latest_rows = [
        (key, stored, timestamp, step, is_nan) for key, (step, timestamp, stored, is_nan) in latest.items()
    ]
    synchronous = settings.METRICS_SYNCHRONOUS_COMMIT or connection.in_atomic_block
    sql = _metrics_with_access_sql(access_sql, len(points), len(latest_rows), synchronous)
    return sql, [*access_params, *_flat(points), *_flat(latest_rows)]


@statement_cache
def _metrics_with_access_sql(access_sql: str, points: int, keys: int, synchronous: bool) -> str:
    casts = "(" + ", ".join(f"%s::{kind}" for kind in METRIC_PG_TYPES[1:]) + ")"

    def rows_of(count: int) -> str:
        values = ", ".join([casts] * count)
        return f"SELECT access.run_pk, v.* FROM access, (VALUES {values}) AS v WHERE access.may_log"  # noqa: S608

    metric_table = _table_and_columns(Metric, METRIC_COLUMNS)
    commit = "" if synchronous else ", set_config('synchronous_commit', 'off', true)"
    return (
        f"WITH access AS ({access_sql}), "  # noqa: S608 - names from the models, values as parameters
        f"points AS (INSERT INTO {metric_table} {rows_of(points)} ON CONFLICT DO NOTHING), "
        f"latest AS ({_latest_metrics_upsert_from(rows_of(keys))}) "
        f"SELECT access.*{commit} FROM access"
    )


def run_metrics_log(*, run: Run, by, metrics: Iterable[Sequence]) -> None:
    """Log metric points `(key, value, timestamp_ms, step)`; a point sent twice is stored once."""
    _check_run_active(run)
    checked = _validated_metrics(metrics, path="")
    if checked and connection.vendor == "postgresql" and len(checked) < OPTIMISTIC_INSERT_ROWS:
        _metrics_write_in_one_statement(run, checked)
        return
    with transaction.atomic(savepoint=False):
        _metrics_write(run, checked)


def _tags_write(run: Run, by, tags: dict[str, str], *, system_fields: bool = True) -> None:
    if not tags:
        return
    existing = {tag.key: tag for tag in RunTag.objects.filter(run_id=run.pk, key__in=list(tags))}
    created = [
        RunTag(run_id=run.pk, key=key, value=value) for key, value in tags.items() if key not in existing
    ]
    updated = []
    for key, tag in existing.items():
        if tag.value != tags[key]:
            tag.value = tags[key]
            updated.append(tag)
    if created:
        bulk_create_with_history(created, RunTag, default_user=by)
    if updated:
        bulk_update_with_history(updated, RunTag, ["value"], default_user=by)
    if system_fields and run.get_deferred_fields() and any(key in SYSTEM_TAGS for key in tags):
        run = Run.objects.get(pk=run.pk)  # a run loaded for logging: the whole row before changing it
    changed = _system_fields(run, tags) if system_fields else []
    if changed:
        with acting_user(by):
            run.save(update_fields=[*changed, "updated_at"])


def run_tags_set(
    *, run: Run, by, tags: Iterable[tuple[str, str]] | dict[str, str], check_active: bool = True
) -> None:
    """Set tags on a run (add or replace); MLflow's system tags also update the run's own fields."""
    if check_active:
        _check_run_active(run)
    checked = _validated_tags(tags)
    with transaction.atomic(savepoint=False):
        _tags_write(run, by, checked)


@transaction.atomic
def run_tag_delete(*, run: Run, by, key: str) -> None:
    """Remove one tag of a run; RESOURCE_DOES_NOT_EXIST when it has no such tag."""
    _check_run_active(run)
    tag = RunTag.objects.filter(run_id=run.pk, key=key).first()
    if tag is None:
        raise TrackingError(f"No tag with name: {key} in run with id {run.uuid}", RESOURCE_DOES_NOT_EXIST)
    with acting_user(by):
        tag.delete()
        if key == "mlflow.note.content" and run.description:
            run.description = ""
            run.save(update_fields=["description", "updated_at"])


def run_batch_log(
    *,
    run: Run,
    by,
    metrics: Sequence[Sequence] = (),
    params: Sequence[tuple[str, str]] = (),
    tags: Sequence[tuple[str, str]] = (),
) -> None:
    """MLflow's log_batch: everything validated first (limits, keys, values), then written, or nothing."""
    validate_batch_limits(metrics=len(metrics), params=len(params), tags=len(tags))
    checked_metrics = _validated_metrics(metrics)
    checked_params = _validated_params(params)
    checked_tags = _validated_tags(tags)
    _check_run_active(run)
    new_params = _params_new(run, checked_params)
    with transaction.atomic(savepoint=False):
        _params_write(new_params)
        _metrics_write(run, checked_metrics)
        _tags_write(run, by, checked_tags)


# --- dataset inputs ------------------------------------------------------------------------------
_VERSION_URI = re.compile(r"(?:^atrium:/*|/catalog/)datasets/(\d+)/versions/(\d+)/?(?:$|[?#])")


def _source_uris(source: str) -> list[str]:
    uris = [source]
    try:
        decoded = json.loads(source)
    except ValueError:
        return uris
    if isinstance(decoded, dict):
        uris.extend(str(value) for key, value in decoded.items() if key in {"uri", "url", "path", "source"})
    return uris


def dataset_version_resolve(*, user, source: str, digest: str):
    """The catalog DatasetVersion a logged dataset is, if `user` can see it: by URI, else by content hash."""
    from apps.catalog.models import DatasetVersion

    visible = DatasetVersion.objects.restrict(user, Action.VIEW)
    for uri in _source_uris(source or ""):
        match = _VERSION_URI.search(uri)
        if match:
            version = visible.filter(dataset_id=int(match.group(1)), number=int(match.group(2))).first()
            if version is not None:
                return version
    digest = (digest or "").strip().lower()
    if len(digest) >= 8 and re.fullmatch(r"[0-9a-f]+", digest):
        candidates = list(
            visible.filter(Q(content_hash=digest) | Q(content_hash__startswith=digest)).order_by(
                "-created_at"
            )[:2]
        )
        exact = [version for version in candidates if version.content_hash == digest]
        if exact:
            return exact[0]
        if len(candidates) == 1:
            return candidates[0]
    return None


def _validated_inputs(datasets: Iterable[DatasetInputSpec]) -> list[DatasetInputSpec]:
    checked = []
    for index, spec in enumerate(datasets):
        path = f"datasets[{index}].dataset"
        if not spec.name:
            raise invalid(f"Missing value for required parameter '{path}.name'.")
        if not spec.digest:
            raise invalid(f"Missing value for required parameter '{path}.digest'.")
        for field, limit in (
            ("name", MAX_DATASET_NAME_SIZE),
            ("digest", MAX_DATASET_DIGEST_SIZE),
            ("source", MAX_DATASET_SOURCE_SIZE),
            ("schema", MAX_DATASET_SCHEMA_SIZE),
            ("profile", MAX_DATASET_PROFILE_SIZE),
        ):
            if len(getattr(spec, field) or "") > limit:
                raise invalid(exceeds_maximum_length(field, limit))
        for key, value in spec.tags:
            if not key:
                raise invalid(f"Missing value for required parameter 'datasets[{index}].tags.key'.")
            if len(key) > MAX_INPUT_TAG_KEY_SIZE:
                raise invalid(exceeds_maximum_length("key", MAX_INPUT_TAG_KEY_SIZE))
            if len(value or "") > MAX_INPUT_TAG_VALUE_SIZE:
                raise invalid(exceeds_maximum_length("value", MAX_INPUT_TAG_VALUE_SIZE))
        checked.append(spec)
    return checked


@transaction.atomic
def run_inputs_log(*, run: Run, by, datasets: Iterable[DatasetInputSpec]) -> list[RunInput]:
    """Record the datasets a run read; link each to its catalog version and draw the lineage edge."""
    from apps.lineage.models import Provenance
    from apps.lineage.services import edge_record

    checked = _validated_inputs(datasets)
    _check_run_active(run)
    inputs = []
    for spec in checked:
        logged = LoggedDataset.objects.filter(
            experiment_id=run.experiment_id, name=spec.name, digest=spec.digest
        ).first()
        if logged is None:
            logged = LoggedDataset.objects.create(
                experiment_id=run.experiment_id,
                name=spec.name,
                digest=spec.digest,
                source_type=spec.source_type[:64],
                source=spec.source,
                schema=spec.schema,
                profile=spec.profile,
                dataset_version=dataset_version_resolve(user=by, source=spec.source, digest=spec.digest),
            )
        tags = dict(spec.tags)
        run_input, _ = RunInput.objects.get_or_create(
            run=run,
            dataset=logged,
            defaults={"context": tags.get(DATASET_CONTEXT_TAG, "")[:100], "tags": tags},
        )
        inputs.append(run_input)
        if logged.dataset_version_id is not None:
            edge_record(
                source=logged.dataset_version,
                target=run,
                provenance=Provenance.JOB,
                transformation=run.name or run.uuid,
                by=by,
                producer=f"mlflow:run/{run.uuid}",
                facets={"context": run_input.context, "dataset": spec.name, "digest": spec.digest},
            )
    return inputs


# --- environment ---------------------------------------------------------------------------------
DEFAULT_ENVIRONMENT_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "skops",
    "pyarrow",
    "mlflow-skinny",
    "django",
)


def run_environment_capture(packages: Iterable[str] = DEFAULT_ENVIRONMENT_PACKAGES) -> dict:
    """The current process's environment for `Run.environment`: Python, platform, package versions."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "executable": sys.executable.rsplit("/", 1)[-1],
        "packages": versions,
    }
