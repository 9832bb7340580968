"""The training job kinds: `experiments.train` and `experiments.reproduce`.

Params: `{"spec": <training spec>, ...}` (plus `reproduce_of: <run uuid>` for a reproduction and
a few readable names for the job page). Started from the "Train a model" form, a run's Reproduce
button or the API, never from the generic jobs API (the spec needs the training checks).
"""

from __future__ import annotations

from django.conf import settings

from apps.jobs.registry import JobContext, job_kind

TIME_LIMIT = int(getattr(settings, "TRAINING_TIME_LIMIT_SECONDS", 3600))
FEATURES_SHOWN = 12


def training_params_items(params: dict) -> list[tuple[str, str]]:
    """A training or reproduce job's params for the generic job page: the spec, readable."""
    from apps.experiments.training.estimators import ESTIMATORS, params_in_declared_order

    spec = params.get("spec") or {}
    estimator = ESTIMATORS.get(spec.get("estimator") or "")
    items: list[tuple[str, str]] = []
    if params.get("reproduce_of"):
        items.append(("Reproduces", params.get("run_name") or params["reproduce_of"]))
    items.append(("Dataset version", params.get("dataset") or f"version id {spec.get('dataset_version')}"))
    items.append(("Target", f"{spec.get('target', '—')} ({spec.get('task') or 'auto'})"))
    features = list(spec.get("features") or [])
    if not features:
        items.append(("Features", "every other column"))
    else:
        shown = ", ".join(str(name) for name in features[:FEATURES_SHOWN])
        more = len(features) - FEATURES_SHOWN
        items.append((f"Features ({len(features)})", shown + (f" and {more} more" if more > 0 else "")))
    items.append(("Estimator", estimator.label if estimator else str(spec.get("estimator", "—"))))
    hyper = params_in_declared_order(spec.get("params") or {}, estimator)
    items.append(
        (
            "Hyper-parameters",
            ", ".join(f"{key}={'none' if value is None else value}" for key, value in hyper.items())
            or "the estimator's defaults",
        )
    )
    search = spec.get("search")
    if search:
        keys = ", ".join(sorted(search.get("space") or {}))
        tries = (
            f", {search['n_iter']} tries" if search.get("method") == "random" and search.get("n_iter") else ""
        )
        items.append(
            ("Search", f"{search.get('method')} search over {keys}{tries}, {search.get('folds')}-fold")
        )
    validation = spec.get("validation") or {}
    if validation.get("method") == "kfold":
        items.append(("Validation", f"{validation.get('folds')}-fold cross-validation"))
    else:
        items.append(("Validation", f"{round(float(validation.get('test_size', 0.2)) * 100):g}% held out"))
    items.append(("Seed", str(spec.get("seed", "—"))))
    if spec.get("max_rows"):
        items.append(("Rows read at most", f"{int(spec['max_rows']):,}"))
    return items


@job_kind(
    "experiments.train",
    label="Train a model",
    time_limit=TIME_LIMIT,
    max_retries=2,
    description="Trains a scikit-learn model on a dataset version and records it as a run.",
    describe_params=training_params_items,
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
    describe_params=training_params_items,
)
def reproduce(context: JobContext) -> dict:
    from apps.experiments.training.services import training_execute

    return training_execute(job=context.job, progress=context.progress)
