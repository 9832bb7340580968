"""Training writes: start a training job, run it (recording a run), and reproduce a finished run.

Who may do what:
- training reads a catalog DatasetVersion the requester may **view** (PII columns only for those
  who see PII unmasked) and records a run in an experiment where the requester may **run** jobs;
- both are checked when the job is started (field errors for the form and the API) and again
  when the worker runs it (rights may have changed in between).

The job is idempotent: a re-delivered message finds the run it already created (`Run.training_job`)
and either returns the finished result or completes the same run; metric points carry the run's
start time as their timestamp, so writing them again stores nothing new.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from apps.catalog.models import DatasetVersion
from apps.core.permissions import Action
from apps.experiments.models import Experiment, LifecycleStage, Run, RunStatus
from apps.experiments.training import plots, reproducibility
from apps.experiments.training.data import DataError, PreparedData, frame_prepare
from apps.experiments.training.estimators import CLASSIFICATION, ParamsInvalid, estimator_get
from apps.experiments.training.evaluation import SEARCH_SCORING_LABEL
from apps.experiments.training.persistence import ModelRefused, Signature, model_files
from apps.experiments.training.pipeline import TrainingError, TrainingOutcome, train
from apps.experiments.training.spec import (
    AUTO,
    KFOLD,
    SEED_MAX,
    SpecInvalid,
    params_resolve,
    search_candidates,
    spec_check_columns,
    spec_clean,
)
from apps.jobs.models import Job
from apps.jobs.registry import JobCancelled, JobError
from apps.jobs.services import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

TRAIN_KIND = "experiments.train"
REPRODUCE_KIND = "experiments.reproduce"
TRAINING_KINDS = (TRAIN_KIND, REPRODUCE_KIND)
SOURCE_NAME = "atrium:experiments.train"
DATA_CONTEXT = "training"


# --- starting -----------------------------------------------------------------------------------


@dataclass
class TrainingTargets:
    """The objects a spec names, checked for the requester."""

    version: DatasetVersion
    experiment: Experiment


def training_targets_check(*, spec: dict[str, Any], by) -> TrainingTargets:
    """The version (viewable) and experiment (may run) a spec names; SpecInvalid on the offending field."""
    errors: dict[str, list[str]] = {}
    version = (
        DatasetVersion.objects.restrict(by, Action.VIEW)
        .select_related("dataset", "dataset__team")
        .filter(pk=spec["dataset_version"])
        .first()
    )
    if version is None:
        errors["dataset_version"] = ["No such dataset version, or you may not see it."]
    experiment = (
        Experiment.objects.restrict(by, Action.VIEW)
        .select_related("team")
        .filter(pk=spec["experiment"], lifecycle_stage=LifecycleStage.ACTIVE)
        .first()
    )
    if experiment is None:
        errors["experiment"] = ["No such experiment, or you may not see it."]
    elif not Experiment.objects.restrict(by, Action.RUN).filter(pk=experiment.pk).exists():
        errors["experiment"] = [
            f"Your role in {experiment.team.name} may not run training jobs in {experiment.name}."
        ]
    if errors:
        raise SpecInvalid(errors)
    return TrainingTargets(version=version, experiment=experiment)


def _pii_check(*, spec: dict[str, Any], version: DatasetVersion, by) -> None:
    """Refuse PII columns to someone who does not see them unmasked (the catalog's masking rule)."""
    from apps.catalog.selectors.profiling import dataset_pii_columns, dataset_sees_pii

    dataset = version.dataset
    pii = dataset_pii_columns(user=by, dataset=dataset)
    chosen = {spec["target"], *spec["features"]}
    flagged = sorted(chosen & pii)
    if flagged and not dataset_sees_pii(user=by, dataset=dataset):
        field = "target" if spec["target"] in pii else "features"
        raise SpecInvalid(
            {
                field: [
                    f"{', '.join(flagged)} {'is' if len(flagged) == 1 else 'are'} flagged as personal data "
                    f"(PII) in {dataset.name}; only people who may edit the dataset can train on "
                    f"{'it' if len(flagged) == 1 else 'them'}."
                ]
            }
        )


def version_columns(version: DatasetVersion) -> list[str]:
    """The version's column names from its schema snapshot (empty when unknown)."""
    return [
        column["name"] for column in version.schema or [] if isinstance(column, dict) and column.get("name")
    ]


def training_spec_prepare(*, data: Any, by) -> tuple[dict[str, Any], TrainingTargets]:
    """A cleaned spec whose version, experiment and columns the requester may use (SpecInvalid otherwise)."""
    spec = spec_clean(data)
    targets = training_targets_check(spec=spec, by=by)
    columns = version_columns(targets.version)
    if columns:  # a version without a recorded schema is checked by the job against its data
        spec = spec_check_columns(spec, columns)
    _pii_check(spec=spec, version=targets.version, by=by)
    if spec["seed"] is None:
        # A reproducible run needs a seed: draw one and record it.
        spec["seed"] = random.SystemRandom().randrange(SEED_MAX)
    return spec, targets


def training_experiment_teams(*, user):
    """Teams where `user` may create an experiment to train into (by name)."""
    from apps.core.querysets import member_team_ids
    from apps.teams.models import Team

    teams = Team.objects.order_by("name")
    return teams if user.is_superuser else teams.filter(pk__in=member_team_ids(user, Action.ADD))


def _experiment_new(*, by, name: str, team_id: Any) -> Experiment:
    """A new experiment for the training, in a team where `by` may add assets (SpecInvalid otherwise)."""
    from apps.experiments.services import tracking

    team = training_experiment_teams(user=by).filter(pk=team_id).first() if str(team_id).isdigit() else None
    if team is None:
        raise SpecInvalid({"new_experiment_team": ["Choose a team where you may create experiments."]})
    try:
        return tracking.experiment_create(team=team, by=by, name=name)
    except ValidationError as error:
        raise SpecInvalid({"new_experiment_name": error.messages}) from None


def training_start(*, data: Any, by, new_experiment: dict[str, Any] | None = None) -> Job:
    """Validate a training spec for `by` and enqueue the `experiments.train` job.

    With `new_experiment` ({"name", "team"}) the run goes to a new experiment, created in the
    same transaction: a spec that fails validation leaves no experiment behind.
    """
    from apps.jobs.services import job_enqueue

    with transaction.atomic():
        if new_experiment is not None:
            experiment = _experiment_new(
                by=by, name=new_experiment.get("name", ""), team_id=new_experiment.get("team")
            )
            data = {**(data if isinstance(data, dict) else {}), "experiment": experiment.pk}
        spec, targets = training_spec_prepare(data=data, by=by)
        estimator = estimator_get(spec["estimator"])
        return job_enqueue(
            kind=TRAIN_KIND,
            requester=by,
            team=targets.experiment.team,
            target=targets.experiment,
            params={
                "spec": spec,
                "dataset": f"{targets.version.dataset.name} v{targets.version.number}",
                "estimator": estimator.label,
                "target_column": spec["target"],
            },
        )


# --- running ------------------------------------------------------------------------------------


class TrainingFailed(Exception):  # noqa: N818 - reads as what happened
    """A failure whose message goes to the job and the run as is."""


def training_execute(*, job: Job, progress) -> dict[str, Any]:
    """Run a training (or reproduce) job: one run recorded, completed once even if delivered twice."""
    spec_data = (job.params or {}).get("spec")
    requester = job.requester
    if requester is None or not requester.is_active:
        raise JobError("The person who started this training can no longer sign in; it was not run.")
    run = Run.objects.filter(training_job=job).select_related("experiment").first()
    if run is not None and run.status == RunStatus.FINISHED:
        progress(100, "Already trained by this job")
        return (job.result or {}) or _result(run=run, metrics={}, model_sha256="")
    experiment_id = spec_data.get("experiment") if isinstance(spec_data, dict) else None
    experiment = (
        Experiment.objects.select_related("team").filter(pk=experiment_id).first()
        if isinstance(experiment_id, int)
        else None
    )
    if experiment is None or experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise JobError("The experiment to record this training in no longer exists (or was deleted).")
    original = _original_run(job)
    if original is None and (job.params or {}).get("reproduce_of"):
        raise JobError("The run to reproduce no longer exists.")
    if run is None:
        progress(2, "Starting the run")
        run = _run_start(job=job, experiment=experiment, spec_data=spec_data, by=requester, original=original)
    try:
        return _execute(
            job=job, run=run, spec_data=spec_data, by=requester, original=original, progress=progress
        )
    except JobCancelled:
        _run_end(run=run, by=requester, status=RunStatus.KILLED, message="The training job was cancelled.")
        raise
    except SoftTimeLimitExceeded:
        from apps.jobs.registry import get_job_kind

        limit = get_job_kind(job.kind).time_limit
        _run_end(
            run=run, by=requester, status=RunStatus.FAILED,
            message=f"Training took longer than its time limit of {limit} seconds.",
        )  # fmt: skip
        raise
    except TrainingFailed as failure:
        _run_end(run=run, by=requester, status=RunStatus.FAILED, message=str(failure))
        raise JobError(str(failure)) from None
    except TRANSIENT_ERRORS:
        raise  # the database or network hiccuped: the job is retried and completes this same run
    except Exception as error:
        message = (
            f"Training failed unexpectedly ({error.__class__.__name__}); the worker log has the details."
        )
        logger.exception("Training job %s failed", job.pk)
        _run_end(run=run, by=requester, status=RunStatus.FAILED, message=message)
        raise


def _original_run(job: Job) -> Run | None:
    uuid = (job.params or {}).get("reproduce_of")
    return Run.objects.filter(uuid=uuid).first() if uuid else None


def _run_start(*, job: Job, experiment: Experiment, spec_data: Any, by, original: Run | None) -> Run:
    """The run this job records into, created once (the job row is the idempotency key)."""
    from apps.experiments.services import tracking

    code = reproducibility.code_version()
    spec = spec_data if isinstance(spec_data, dict) else {}
    name = str(spec.get("run_name") or "")[:200]
    if original is not None and not name:
        name = f"{original.name or original.uuid[:8]} (reproduction)"[:250]
    tags = {
        "mlflow.source.type": "JOB",
        "mlflow.source.name": SOURCE_NAME,
        "mlflow.user": by.get_username(),
        "atrium.training.job": str(job.pk),
        "atrium.code.version": reproducibility.code_label(code),
    }
    if code.get("git_commit"):
        tags["mlflow.source.git.commit"] = code["git_commit"]
        tags["mlflow.source.git.dirty"] = "true" if code.get("git_dirty") else "false"
    if original is not None:
        tags["atrium.reproduce.of"] = original.uuid
    environment = {**reproducibility.environment_capture(), "atrium": code}
    seed = spec.get("seed") if isinstance(spec.get("seed"), int) else None
    with transaction.atomic():
        existing = Run.objects.filter(training_job=job).first()
        if existing is not None:
            return existing
        return tracking.run_create(
            experiment=experiment,
            by=by,
            tags=tags,
            run_name=name,
            seed=seed,
            environment=environment,
            training_job=job,
            reproduced_from=original,
        )


def _execute(*, job: Job, run: Run, spec_data: Any, by, original: Run | None, progress) -> dict[str, Any]:
    from apps.catalog.profiling import ProfilingError
    from apps.catalog.selectors.profiling import version_frame

    started = time.monotonic()
    # Rights and inputs are checked again: they may have changed since the job was queued.
    try:
        spec = spec_clean(spec_data)
        targets = training_targets_check(spec=spec, by=by)
    except SpecInvalid as error:
        raise TrainingFailed(f"The training spec is not valid: {error}") from None
    if spec["seed"] is None:
        raise TrainingFailed("The training spec has no seed; start the training again.")
    version = targets.version
    differences = _reproduce_check(original=original, progress=progress) if original is not None else []

    progress(5, f"Reading {version.dataset.name} version {version.number}")
    columns = [*spec["features"], spec["target"]] if spec["features"] else None
    try:
        if columns is not None:
            _pii_check(spec=spec, version=version, by=by)
        read = version_frame(user=by, version=version, columns=columns, max_rows=spec["max_rows"])
    except SpecInvalid as error:
        raise TrainingFailed(str(error)) from None
    except ProfilingError as error:
        message = str(error)
        if "has no column named" in message:
            named = message.rsplit("has no column named ", 1)[1].rstrip(".")
            missing = [name.strip() for name in named.split(",")]
            if spec["target"] in missing:
                message = _missing_target(spec["target"], version, version_columns(version))
            else:
                message = (
                    f"The feature column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                    f"{'are' if len(missing) > 1 else 'is'} not in "
                    f"{version.dataset.name} version {version.number}."
                )
        raise TrainingFailed(message) from None
    except Http404:
        raise TrainingFailed("The dataset version no longer exists, or you may no longer read it.") from None
    frame = read.frame
    if not spec["features"]:
        if spec["target"] not in frame.columns:
            raise TrainingFailed(_missing_target(spec["target"], version, list(frame.columns)))
        spec = spec_check_columns({**spec, "features": []}, list(frame.columns))
        _pii_check(spec=spec, version=version, by=by)
    data_digest = frame_digest(frame)
    if original is not None:
        recorded = _tag(original, "atrium.data.digest")
        if recorded and recorded != data_digest:
            raise TrainingFailed(
                f"The rows read from {version.dataset.name} version {version.number} differ from those the "
                "original run read (its data digest changed), so the run cannot be reproduced."
            )

    progress(12, f"Checking {len(frame)} rows")
    try:
        prepared = frame_prepare(
            frame, target=spec["target"], features=spec["features"], task=spec["task"],
            validation=spec["validation"],
        )  # fmt: skip
        estimator = estimator_get(spec["estimator"])
        params = params_resolve(estimator, prepared.task, spec["params"])
    except DataError as error:
        raise TrainingFailed(str(error)) from None
    except ParamsInvalid as error:
        raise TrainingFailed(f"Hyper-parameters not valid for {prepared.task}: {error}") from None

    _log_start(run=run, by=by, spec=spec, prepared=prepared, params=params, version=version,
               truncated=read.truncated, data_digest=data_digest)  # fmt: skip

    progress(18, _training_message(spec))
    try:
        outcome = train(
            prepared, estimator_key=spec["estimator"], params=params, validation=spec["validation"],
            search=spec["search"], seed=spec["seed"], progress=progress,
        )  # fmt: skip
    except (TrainingError, ParamsInvalid) as error:
        raise TrainingFailed(str(error)) from None

    progress(88, "Recording metrics")
    _log_outcome(run=run, by=by, outcome=outcome, spec=spec)
    progress(91, "Saving plots")
    _store_plots(run=run, by=by, outcome=outcome)
    progress(94, "Saving the model")
    try:
        facts = _store_model(run=run, by=by, outcome=outcome, prepared=prepared, spec=spec)
    except ModelRefused as error:
        raise TrainingFailed(str(error)) from None
    _store_summary(run=run, by=by, spec=spec, outcome=outcome, prepared=prepared, params=params, read=read)

    comparison = None
    if original is not None:
        from apps.experiments.training.selectors import run_metric_values

        comparison = reproducibility.metrics_compare(
            run_metric_values(run=original), run_metric_values(run=run)
        )
    from apps.experiments.services import tracking

    finishing_tags = {
        "atrium.model.sha256": facts["sha256"],
        "atrium.training.seconds": f"{time.monotonic() - started:.1f}",
    }
    if comparison is not None:
        finishing_tags["atrium.reproduce.result"] = comparison["status"]
    if differences:
        finishing_tags["atrium.reproduce.differences"] = reproducibility.differences_text(differences)[:5000]
    tracking.run_tags_set(run=run, by=by, tags=finishing_tags)
    _run_end(run=run, by=by, status=RunStatus.FINISHED)
    progress(99, "Done")
    result = _result(run=run, metrics=outcome.metrics, model_sha256=facts["sha256"])
    if comparison is not None:
        result["reproduction"] = comparison["status"].replace("_", " ")
    return result


def _missing_target(target: str, version: DatasetVersion, columns: list[str]) -> str:
    shown = ", ".join(map(str, columns[:12])) + (" …" if len(columns) > 12 else "")
    where = f"{version.dataset.name} version {version.number}"
    listed = f"; its columns are {shown}." if columns else "."
    return f"The target column {target} is not in {where}{listed}"


def _training_message(spec: dict[str, Any]) -> str:
    if spec["search"]:
        return f"Searching {search_candidates(spec['search'])} candidates"
    if spec["validation"]["method"] == KFOLD:
        return f"Training on {spec['validation']['folds']} folds"
    return "Training"


def _result(*, run: Run, metrics: dict[str, float], model_sha256: str) -> dict[str, Any]:
    result: dict[str, Any] = {"run": run.uuid, "run_name": run.name, "experiment": run.experiment.name}
    for key, value in metrics.items():
        result[key] = round(value, 6)
    if model_sha256:
        result["model_sha256"] = model_sha256
    return result


def _tag(run: Run, key: str) -> str:
    tag = run.tags.filter(key=key).first()
    return tag.value if tag else ""


def frame_digest(frame) -> str:
    """sha256 of the rows read (values, column names and types): what the model actually saw."""
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(json.dumps([[str(name), str(dtype)] for name, dtype in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _text(value: Any) -> str:
    return "None" if value is None else str(value)


def _log_start(
    *,
    run: Run,
    by,
    spec: dict[str, Any],
    prepared: PreparedData,
    params: dict[str, Any],
    version: DatasetVersion,
    truncated: bool,
    data_digest: str,
) -> None:
    """Params (the spec, hyper-parameters unless searched), the data's identity, the lineage input."""
    from apps.experiments.services import tracking

    validation = spec["validation"]
    features = ",".join(spec["features"])
    settings_params = {
        "estimator": spec["estimator"],
        "task": prepared.task,
        "target": spec["target"],
        "features": features
        if len(features) <= 6000
        else f"{len(spec['features'])} columns (see training/spec.json)",
        "validation": validation["method"],
        "seed": str(spec["seed"]),
        "max_rows": str(spec["max_rows"]),
        "dataset": f"{version.dataset.name} v{version.number}",
        "dataset_version_id": str(version.pk),
        "search": spec["search"]["method"] if spec["search"] else "none",
    }  # fmt: skip
    if validation["method"] == KFOLD:
        settings_params["folds"] = str(validation["folds"])
    else:
        settings_params["test_size"] = str(validation["test_size"])
    if spec["search"]:
        settings_params["search_candidates"] = str(search_candidates(spec["search"]))
        settings_params["search_folds"] = str(spec["search"]["folds"])
    hyper = {} if spec["search"] else {name: _text(value) for name, value in params.items()}
    tags = {
        "atrium.training.estimator": spec["estimator"],
        "atrium.training.task": prepared.task,
        "atrium.dataset.version": f"{version.dataset.name} v{version.number}",
        "atrium.dataset.content_hash": version.content_hash or "",
        "atrium.data.digest": data_digest,
        "atrium.data.truncated": "true" if truncated else "false",
        "atrium.seed": str(spec["seed"]),
    }
    tracking.run_batch_log(
        run=run, by=by, params=list({**settings_params, **hyper}.items()), tags=list(tags.items())
    )
    schema = json.dumps(
        {
            "mlflow_colspec": [
                {"name": column["name"], "type": column["type"]} for column in prepared.signature
            ]
        }
    )
    tracking.run_inputs_log(
        run=run,
        by=by,
        datasets=[
            tracking.DatasetInputSpec(
                name=version.dataset.name[:500],
                digest=(version.content_hash or data_digest)[:36],
                source_type="atrium",
                source=json.dumps({"uri": f"atrium:datasets/{version.dataset_id}/versions/{version.number}"}),
                schema=schema,
                tags=(("mlflow.data.context", DATA_CONTEXT),),
            )
        ],
    )


def _points(run: Run, values: dict[str, float], *, step: int = 0, prefix: str = "") -> list[tuple]:
    timestamp = run.start_time or 0
    return [(f"{prefix}{key}", float(value), timestamp, step) for key, value in sorted(values.items())]


def _log_outcome(*, run: Run, by, outcome: TrainingOutcome, spec: dict[str, Any]) -> None:
    """Metrics (final, per fold, per search candidate) and, after a search, the winning hyper-parameters."""
    from apps.experiments.services import tracking

    points = _points(run, outcome.metrics)
    points += _points(run, outcome.train_metrics, prefix="train_")
    points += _points(run, outcome.metrics_std, prefix="std_")
    for index, fold in enumerate(outcome.fold_metrics, start=1):
        points += _points(run, fold, step=index, prefix="cv_")
    for index, candidate in enumerate(outcome.candidates, start=1):
        points += _points(run, {"search_score": candidate.mean}, step=index)
    if outcome.best_candidate is not None:
        points += _points(run, {"search_best_score": outcome.candidates[outcome.best_candidate].mean})
    points += _points(
        run, {"rows_train": outcome.rows["train"], "rows_validation": outcome.rows["validation"]}
    )
    params = []
    if spec["search"]:
        params = [(name, _text(value)) for name, value in sorted(outcome.params.items())]
    for start in range(0, max(len(points), 1), 900):  # MLflow's batch limit is 1000 metrics
        tracking.run_batch_log(
            run=run, by=by, metrics=points[start : start + 900], params=params if start == 0 else []
        )
    tracking.run_tags_set(
        run=run,
        by=by,
        tags={
            "atrium.training.importance": outcome.importance_method,
            "atrium.training.scoring": outcome.scoring,
        },
    )


def _store(run: Run, by, path: str, content: bytes) -> None:
    from apps.experiments.services.artifacts import artifact_store_bytes

    artifact_store_bytes(run=run, path=path, content=content, by=by)


def _store_table(
    run: Run, by, name: str, figure: dict[str, Any], table: tuple[list[str], list[list[Any]]]
) -> None:
    _store(run, by, f"plots/{name}.plotly.json", json.dumps(figure).encode())
    _store(run, by, f"plots/{name}.csv", plots.csv_text(*table).encode())


def _store_plots(*, run: Run, by, outcome: TrainingOutcome) -> None:
    """Figures as plotly JSON artifacts with their data as CSV next to them."""
    if outcome.confusion is not None:
        _store_table(
            run,
            by,
            "confusion_matrix",
            plots.confusion_figure(outcome.confusion),
            plots.confusion_table(outcome.confusion),
        )
    if outcome.roc is not None:
        _store_table(
            run,
            by,
            "roc_curve",
            plots.roc_figure(outcome.roc, auc=outcome.metrics.get("roc_auc")),
            plots.roc_table(outcome.roc),
        )
    if outcome.residuals is not None:
        _store_table(
            run,
            by,
            "residuals",
            plots.residuals_figure(outcome.residuals),
            plots.residuals_table(outcome.residuals),
        )
    if outcome.importances:
        _store_table(
            run, by, "feature_importance",
            plots.importance_figure(outcome.importances, method=outcome.importance_method),
            plots.importance_table(outcome.importances, method=outcome.importance_method),
        )  # fmt: skip
    if outcome.candidates:
        candidates = [{"params": c.params, "mean": c.mean, "std": c.std} for c in outcome.candidates]
        _store_table(
            run, by, "search",
            plots.search_figure(candidates, scoring_label=SEARCH_SCORING_LABEL[outcome.task]),
            plots.search_table(candidates),
        )  # fmt: skip


def _store_model(
    *, run: Run, by, outcome: TrainingOutcome, prepared: PreparedData, spec: dict[str, Any]
) -> dict:
    """The model folder (skops + MLmodel + signature) under the run's `model/` artifacts."""
    output_type = "double"
    if outcome.task == CLASSIFICATION:
        output_type = {"bool": "boolean", "int64": "long"}.get(str(prepared.y.dtype), "string")
    signature = Signature(
        inputs=prepared.signature, target=spec["target"], output_type=output_type, task=outcome.task,
        classes=prepared.classes,
    )  # fmt: skip
    files, facts = model_files(model=outcome.model, signature=signature, run_uuid=run.uuid)
    for path, content in files.items():
        _store(run, by, path, content)
    return facts


def _store_summary(
    *, run: Run, by, spec, outcome: TrainingOutcome, prepared: PreparedData, params, read
) -> None:
    """training/spec.json (what was asked, what ran) and training/metrics.json (every number)."""
    summary = {
        "spec": spec,
        "task": outcome.task,
        "effective_params": outcome.params,
        "columns": prepared.signature,
        "classes": [value.item() if hasattr(value, "item") else value for value in prepared.classes],
        "rows_read": len(read.frame),
        "rows_dropped_missing_target": prepared.dropped_missing_target,
        "truncated_at": read.max_rows if read.truncated else None,
    }
    metrics = {
        "metrics": outcome.metrics,
        "metrics_std": outcome.metrics_std,
        "train_metrics": outcome.train_metrics,
        "folds": outcome.fold_metrics,
        "search": [
            {"params": c.params, "mean": c.mean, "std": c.std, "scores": c.scores} for c in outcome.candidates
        ],
        "best_candidate": outcome.best_candidate,
        "importances": outcome.importances,
        "importance_method": outcome.importance_method,
        "scoring": outcome.scoring,
        "average": outcome.average,
        "rows": outcome.rows,
    }
    _store(run, by, "training/spec.json", json.dumps(summary, indent=2, default=str).encode())
    _store(run, by, "training/metrics.json", json.dumps(metrics, indent=2, default=str).encode())


def _run_end(*, run: Run, by, status: str, message: str = "") -> None:
    """Finish the run (FINISHED, FAILED or KILLED); a failure's message goes to its notes and a tag."""
    from apps.experiments.services import tracking

    run.refresh_from_db()
    if message:
        note = f"**Training {'was cancelled' if status == RunStatus.KILLED else 'failed'}:** {message}"
        tracking.run_tags_set(
            run=run,
            by=by,
            tags={"atrium.training.error": message[:8000], "mlflow.note.content": note},
            check_active=False,
        )
    if run.status in (RunStatus.RUNNING, RunStatus.SCHEDULED):
        tracking.run_update(run=run, by=by, status=status, end_time=tracking._now_ms())


# --- reproduce ----------------------------------------------------------------------------------


def run_training_spec(*, run: Run) -> dict[str, Any] | None:
    """The spec a training run ran with (from its job), or None when the run was not trained by Atrium."""
    job = run.training_job
    if job is None or job.kind not in TRAINING_KINDS:
        return None
    spec = (job.params or {}).get("spec")
    return spec if isinstance(spec, dict) else None


def _reproduce_differences(original: Run) -> list[dict[str, str]]:
    """What differs between the code and packages `original` recorded and this process's."""
    return reproducibility.environment_differences(
        recorded_code=reproducibility.recorded_code(original),
        recorded_environment=original.environment or {},
        current_code=reproducibility.code_version(),
        current_environment=reproducibility.environment_capture(),
    )


def _reproduce_check(*, original: Run, progress) -> list[dict[str, str]]:
    """In the worker: compare the code and packages with the original run's, and say so if they differ.

    A difference does not stop the reproduction: on today's code it answers the question that
    matters after an upgrade (do the numbers still come out the same?), and the verdict says
    plainly that the code or packages were not the original ones.
    """
    progress(3, "Comparing the code and environment with the original run")
    differences = _reproduce_differences(original)
    if differences:
        progress(4, f"Not the original code or packages: {reproducibility.differences_text(differences)}")
    return differences


class ReproduceRefused(ValidationError):
    """A run that cannot be reproduced (not Atrium's, not finished, deleted, its data gone)."""


def run_reproduce(*, run: Run, by) -> Job:
    """Re-run a finished training run with the same data version, spec, seed and code; a new linked run."""
    from apps.jobs.services import job_enqueue

    if not Run.objects.restrict(by, Action.VIEW).filter(pk=run.pk).exists():
        raise Http404("No such run.")
    if not Experiment.objects.restrict(by, Action.RUN).filter(pk=run.experiment_id).exists():
        raise PermissionDenied(f"Your role in {run.experiment.team.name} may not run training jobs here.")
    spec = run_training_spec(run=run)
    if spec is None:
        raise ReproduceRefused(
            "Only runs trained by Atrium can be reproduced here; this run was logged by a client."
        )
    if run.status != RunStatus.FINISHED:
        raise ReproduceRefused(
            f"Only finished runs can be reproduced; this run is {run.get_status_display().lower()}."
        )
    if (
        run.lifecycle_stage != LifecycleStage.ACTIVE
        or run.experiment.lifecycle_stage != LifecycleStage.ACTIVE
    ):
        raise ReproduceRefused("Restore the run (and its experiment) before reproducing it.")
    version = DatasetVersion.objects.select_related("dataset").filter(pk=spec.get("dataset_version")).first()
    if version is None:
        raise ReproduceRefused(
            "The dataset version this run trained on was deleted, so the run cannot be reproduced."
        )
    if not DatasetVersion.objects.restrict(by, Action.VIEW).filter(pk=version.pk).exists():
        raise ReproduceRefused(
            "You may no longer read the dataset version this run trained on, so you cannot reproduce it."
        )
    try:
        spec = spec_clean(spec)
        if spec["task"] == AUTO:
            spec["task"] = _tag(run, "atrium.training.task") or AUTO
        targets = training_targets_check(spec={**spec, "experiment": run.experiment_id}, by=by)
    except SpecInvalid as error:
        raise ReproduceRefused(f"This run's spec cannot run again: {error}") from None
    spec = {**spec, "experiment": run.experiment_id, "run_name": ""}
    return job_enqueue(
        kind=REPRODUCE_KIND,
        requester=by,
        team=targets.experiment.team,
        target=targets.experiment,
        params={
            "spec": spec,
            "reproduce_of": run.uuid,
            "run_name": run.name,
            "dataset": f"{version.dataset.name} v{version.number}",
        },
    )
