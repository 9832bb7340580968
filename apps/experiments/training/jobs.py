"""The training job kinds: `experiments.train` and `experiments.reproduce`.

Params: `{"spec": <training spec>, ...}` (plus `reproduce_of: <run uuid>` for a reproduction and
a few readable names for the job page). Started from the "Train a model" form, a run's Reproduce
button or the API, never from the generic jobs API (the spec needs the training checks).
"""

from __future__ import annotations

from django.conf import settings

from apps.jobs.registry import JobContext, job_kind

TIME_LIMIT = int(getattr(settings, "TRAINING_TIME_LIMIT_SECONDS", 3600))


@job_kind(
    "experiments.train",
    label="Train a model",
    time_limit=TIME_LIMIT,
    max_retries=2,
    description="Trains a scikit-learn model on a dataset version and records it as a run.",
)
def train(context: JobContext) -> dict:
    from apps.experiments.training.services import training_execute

    return training_execute(job=context.job, progress=context.progress)


@job_kind(
    "experiments.reproduce",
    label="Reproduce a run",
    time_limit=TIME_LIMIT,
    max_retries=2,
    description="Trains again with a run's data version, spec, seed and code, and compares the metrics.",
)
def reproduce(context: JobContext) -> dict:
    from apps.experiments.training.services import training_execute

    return training_execute(job=context.job, progress=context.progress)
