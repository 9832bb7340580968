"""Demo training and registry: one real training job on a demo dataset, its model registered.

Fraud Analytics trains a random forest on its *Breast cancer Wisconsin* version 2 (every row)
through the real training job — k-fold validation, metrics, plots, a skops model with its
signature — run at once rather than left for a worker, so the demo has a real model the moment
seeding ends. The model is registered as `breast-cancer-screening` version 1 with the `champion`
alias (`models:/breast-cancer-screening@champion` loads it with the MLflow client).

Idempotent: the training runs only while the experiment has no trained run at all (a failed one
is logged, kept for people to read, and not tried again), and the registered model, its version
and alias are created only when missing.
"""

from __future__ import annotations

import logging
from collections import Counter

from django.contrib.auth import get_user_model

from apps.catalog.models import Dataset
from apps.experiments.models import Experiment, Run, RunStatus
from apps.experiments.services import tracking
from apps.teams.models import Team

logger = logging.getLogger(__name__)

TEAM = "Fraud Analytics"
TRAINER = "alice"
EXPERIMENT = "Breast cancer screening"
EXPERIMENT_DESCRIPTION = (
    "A model trained by Atrium's own training job on the catalog's **Breast cancer Wisconsin** "
    "(version 2, every row): open the run for its metrics, confusion matrix and feature importances, "
    "and press **Reproduce** to train it again from the same data, parameters and seed."
)
DATASET, VERSION = "Breast cancer Wisconsin", 2
MODEL = "breast-cancer-screening"
MODEL_DESCRIPTION = "Random forest screening of tumour samples (malignant or benign), from the demo training."
SPEC = {
    "target": "target",
    "features": [],
    "task": "classification",
    "estimator": "random_forest",
    "params": {"n_estimators": 100, "max_depth": 6},
    "search": None,
    "validation": {"method": "kfold", "folds": 5},
    "seed": 42,
    "run_name": "random-forest-kfold",
}


def demo_training_ensure() -> dict[str, int]:
    """Train the demo model (a real job, run now) and register it; empty the second time."""
    created: Counter[str] = Counter()
    team = Team.objects.filter(name=TEAM).first()
    trainer = get_user_model().objects.filter(username=TRAINER).first()
    dataset = Dataset.objects.filter(team=team, name=DATASET).first() if team else None
    version = dataset.versions.filter(number=VERSION).first() if dataset else None
    if team is None or trainer is None or version is None:
        return {}
    experiment = Experiment.objects.filter(team=team, name=EXPERIMENT).first()
    if experiment is None:
        experiment = tracking.experiment_create(
            team=team, by=trainer, name=EXPERIMENT, visibility="internal", description=EXPERIMENT_DESCRIPTION
        )
        created["experiments"] += 1
    if not Run.objects.filter(experiment=experiment, training_job__isnull=False).exists():
        _train(experiment=experiment, version=version, by=trainer)
        created["training jobs"] += 1
    run = _trained_run(experiment)
    if run is not None:
        created.update(_register(run=run, team=team, by=trainer))
    return dict(created)


def _trained_run(experiment: Experiment) -> Run | None:
    return (
        Run.objects.filter(experiment=experiment, training_job__isnull=False, status=RunStatus.FINISHED)
        .order_by("start_time")
        .first()
    )


def _train(*, experiment: Experiment, version, by) -> None:
    """Start the training job and run it in this process (the worker later finds it done)."""
    from apps.experiments.training.services import training_start
    from apps.jobs.services import job_run

    job = training_start(data={**SPEC, "dataset_version": version.pk, "experiment": experiment.pk}, by=by)
    outcome = job_run(job_id=job.pk, task_id=job.task_id, may_retry=False)
    if outcome != "succeeded":
        job.refresh_from_db()
        logger.warning("Demo training job %s %s: %s", job.pk, outcome, job.error)


def _register(*, run: Run, team: Team, by) -> Counter[str]:
    """The registered model with the run's model as version 1 and the `champion` alias on it."""
    from apps.registry import services as registry
    from apps.registry.models import ModelVersion, RegisteredModel

    created: Counter[str] = Counter()
    model = RegisteredModel.objects.filter(team=team, name=MODEL).first()
    if model is None:
        model = registry.registered_model_create(
            team=team, by=by, name=MODEL, description=MODEL_DESCRIPTION, visibility="internal",
            tags={"task": "classification", "dataset": f"{DATASET} v{VERSION}"},
        )  # fmt: skip
        created["registered models"] += 1
    version = ModelVersion.objects.filter(registered_model=model, run=run).first()
    if version is None:
        version = registry.model_version_create(
            registered_model=model,
            by=by,
            source=f"runs:/{run.uuid}/model",
            run_id=run.uuid,
            description="Trained by the demo training job: random forest, 5-fold validation, seed 42.",
        )
        created["model versions"] += 1
    if not model.aliases.filter(alias="champion").exists():
        registry.model_alias_set(registered_model=model, by=by, alias="champion", version=version.version)
        created["model aliases"] += 1
    return created
