"""Training reads: what a person may train on and into, training jobs and their runs, reproductions."""

from __future__ import annotations

import math
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from apps.catalog.models import Dataset, DatasetVersion
from apps.core.permissions import Action
from apps.experiments.models import Experiment, LatestMetric, LifecycleStage, Run
from apps.experiments.training import reproducibility
from apps.experiments.training.services import TRAINING_KINDS, run_training_spec
from apps.jobs.models import Job


def training_experiments(*, user) -> QuerySet[Experiment]:
    """Active experiments where `user` may run training jobs, by team and name."""
    return (
        Experiment.objects.restrict(user, Action.RUN)
        .filter(lifecycle_stage=LifecycleStage.ACTIVE)
        .select_related("team")
        .order_by("team__name", "name", "pk")
    )


def training_version_get(*, user, pk: Any) -> DatasetVersion:
    """A dataset version `user` may view (404 otherwise), with its dataset."""
    try:
        wanted = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such dataset version.") from None
    version = (
        DatasetVersion.objects.restrict(user, Action.VIEW)
        .select_related("dataset", "dataset__team")
        .filter(pk=wanted)
        .first()
    )
    if version is None:
        raise Http404("No such dataset version.")
    return version


def training_versions(*, user, dataset: Dataset, limit: int = 50) -> list[DatasetVersion]:
    """The newest versions of a dataset `user` may view, for the version picker."""
    return list(
        DatasetVersion.objects.restrict(user, Action.VIEW).filter(dataset=dataset).order_by("-number")[:limit]
    )


def training_job_get(*, user, pk: Any) -> Job:
    """A training or reproduce job `user` may see, else 404."""
    try:
        wanted = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such training job.") from None
    job = (
        Job.objects.restrict(user, Action.VIEW)
        .filter(pk=wanted, kind__in=TRAINING_KINDS)
        .select_related("requester", "team")
        .first()
    )
    if job is None:
        raise Http404("No such training job.")
    return job


def training_job_run(*, user, job: Job) -> Run | None:
    """The run a training job recorded, if `user` may see it."""
    return (
        Run.objects.restrict(user, Action.VIEW).filter(training_job=job).select_related("experiment").first()
    )


def run_metric_values(*, run: Run) -> dict[str, float]:
    """The run's latest value of each metric (NaN where NaN was logged)."""
    return {
        key: (math.nan if is_nan else value)
        for key, value, is_nan in LatestMetric.objects.filter(run=run).values_list("key", "value", "is_nan")
    }


def run_reproducible(*, user, run: Run) -> bool:
    """Whether the run page offers Reproduce: an Atrium training run `user` may run jobs on."""
    if run_training_spec(run=run) is None:
        return False
    return Experiment.objects.restrict(user, Action.RUN).filter(pk=run.experiment_id).exists()


def run_reproduction_comparison(*, user, run: Run) -> dict[str, Any] | None:
    """For a reproduction: the original run (if `user` sees it) and the metric-by-metric comparison."""
    if run.reproduced_from_id is None:
        return None
    original = Run.objects.restrict(user, Action.VIEW).filter(pk=run.reproduced_from_id).first()
    if original is None:
        return None
    comparison = reproducibility.metrics_compare(run_metric_values(run=original), run_metric_values(run=run))
    return {
        "original": original,
        "differences": run_environment_differences(original=original, run=run),
        **comparison,
    }


def run_environment_differences(*, original: Run, run: Run) -> list[dict[str, str]]:
    """What differs between the code and packages two training runs recorded (empty: the same)."""
    return reproducibility.environment_differences(
        recorded_code=reproducibility.recorded_code(original),
        recorded_environment=original.environment or {},
        current_code=reproducibility.recorded_code(run),
        current_environment=run.environment or {},
    )


def run_reproductions(*, user, run: Run, limit: int = 20) -> list[dict[str, Any]]:
    """The reproductions of `run` `user` may see, newest first, each with its overall result."""
    reproductions = list(
        Run.objects.restrict(user, Action.VIEW)
        .filter(reproduced_from=run)
        .select_related("training_job")
        .order_by("-start_time", "-pk")[:limit]
    )
    if not reproductions:
        return []
    recorded = run_metric_values(run=run)
    values: dict[int, dict[str, float]] = {item.pk: {} for item in reproductions}
    for run_id, key, value, is_nan in LatestMetric.objects.filter(run__in=reproductions).values_list(
        "run_id", "key", "value", "is_nan"
    ):
        values[run_id][key] = math.nan if is_nan else value
    rows = []
    for item in reproductions:
        finished = item.status == "FINISHED"
        status = reproducibility.metrics_compare(recorded, values[item.pk])["status"] if finished else ""
        rows.append({"run": item, "status": status})
    return rows


def run_active_reproduce_job(*, user, run: Run) -> Job | None:
    """A reproduce job of `run` still queued or running, for the live progress on the run page."""
    from apps.experiments.training.services import REPRODUCE_KIND

    return (
        Job.objects.restrict(user, Action.VIEW)
        .active()
        .filter(kind=REPRODUCE_KIND, params__reproduce_of=run.uuid)
        .order_by("-created_at")
        .first()
    )
