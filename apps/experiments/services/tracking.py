"""Writes for experiments and runs: create, describe, soft-delete and restore (MLflow's lifecycle).

Deleting is MLflow's soft delete: the row stays with `lifecycle_stage="deleted"` and can be
restored; deleting an experiment deletes its active runs with it and restoring it restores them
(as MLflow's SQL store does). Callers check permissions through `restrict` first; these functions
apply the business rules and record history for `by`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from apps.core.history import acting_user
from apps.experiments.models import Experiment, LifecycleStage, Run
from apps.teams.models import Team

EXPERIMENT_NAME_MAX_LENGTH = 500
EXPERIMENT_FIELDS = {"name", "description", "visibility"}


def experiment_name_check(*, team: Team, name: str, exclude_pk: int | None = None) -> None:
    """Refuse an empty or overlong name, or one another experiment of `team` has (an error on `name`)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the experiment a name."})
    if len(name) > EXPERIMENT_NAME_MAX_LENGTH:
        raise ValidationError({"name": f"Keep the name under {EXPERIMENT_NAME_MAX_LENGTH} characters."})
    if Experiment.objects.filter(team=team, name=name).exclude(pk=exclude_pk).exists():
        raise ValidationError(
            {"name": f"{team.name} already has an experiment named “{name}” (perhaps deleted). Pick another."}
        )


@transaction.atomic
def experiment_create(
    *,
    team: Team,
    by,
    name: str,
    visibility: str = "private",
    description: str = "",
    artifact_location: str = "",
) -> Experiment:
    """Create an experiment owned by `team`; its artifacts go to the MLflow artifact proxy by default."""
    name = (name or "").strip()
    experiment_name_check(team=team, name=name)
    experiment = Experiment(
        team=team,
        name=name,
        visibility=visibility,
        description=description or "",
        artifact_location=artifact_location,
        created_by=by if getattr(by, "pk", None) else None,
    )
    experiment.full_clean(exclude=["artifact_location"], validate_unique=False, validate_constraints=False)
    with acting_user(by):
        experiment.save()
        if not experiment.artifact_location:
            experiment.artifact_location = f"mlflow-artifacts:/{experiment.pk}"
            experiment.save(update_fields=["artifact_location"])
    return experiment


@transaction.atomic
def experiment_update(*, experiment: Experiment, by, **changes) -> Experiment:
    """Rename an experiment, change its description (Markdown) or its visibility."""
    unknown = set(changes) - EXPERIMENT_FIELDS
    if unknown:
        raise ValueError(f"Cannot change {sorted(unknown)} on an experiment.")
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if changes["name"] != experiment.name and experiment.lifecycle_stage != LifecycleStage.ACTIVE:
            raise ValidationError({"name": "Restore the experiment before renaming it."})
        experiment_name_check(team=experiment.team, name=changes["name"], exclude_pk=experiment.pk)
    for field, value in changes.items():
        setattr(experiment, field, value)
    experiment.full_clean(validate_unique=False, validate_constraints=False)
    with acting_user(by):
        experiment.save()
    return experiment


def _runs_set_lifecycle(*, runs: list[Run], by, stage: str) -> int:
    deleted_at = timezone.now() if stage == LifecycleStage.DELETED else None
    for run in runs:
        run.lifecycle_stage = stage
        run.deleted_at = deleted_at
        run.updated_at = timezone.now()
    if runs:
        bulk_update_with_history(
            runs, Run, ["lifecycle_stage", "deleted_at", "updated_at"], batch_size=500, default_user=by
        )
    return len(runs)


@transaction.atomic
def experiment_delete(*, experiment: Experiment, by) -> Experiment:
    """Soft-delete an experiment and its active runs (restorable)."""
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
    """Bring a deleted experiment back, with its runs."""
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
def run_delete(*, run: Run, by) -> Run:
    """Soft-delete a run (restorable); its metrics, params and artifacts stay."""
    if run.lifecycle_stage != LifecycleStage.DELETED:
        _runs_set_lifecycle(runs=[run], by=by, stage=LifecycleStage.DELETED)
    return run


@transaction.atomic
def run_restore(*, run: Run, by) -> Run:
    """Bring a deleted run back (its experiment must be active, as in MLflow)."""
    if run.experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise ValidationError("Restore the experiment first: its runs come back with it.")
    if run.lifecycle_stage != LifecycleStage.ACTIVE:
        _runs_set_lifecycle(runs=[run], by=by, stage=LifecycleStage.ACTIVE)
    return run


@transaction.atomic
def run_note_set(*, run: Run, by, note: str) -> Run:
    """Set a run's Markdown note (MLflow's `mlflow.note.content` tag is the same text)."""
    from apps.experiments.models import RunTag

    run.description = note or ""
    with acting_user(by):
        run.save(update_fields=["description", "updated_at"])
        if run.description:
            RunTag.objects.update_or_create(
                run=run, key="mlflow.note.content", defaults={"value": run.description}
            )
        else:
            RunTag.objects.filter(run=run, key="mlflow.note.content").delete()
    return run
