"""Believable experiment data for the page tests, browser screenshots and the runs-table benchmark.

Writes rows directly (the tracking services are for the MLflow adapter and training jobs; this
builds hundreds of runs in a few statements). Deterministic for a given seed: a model-selection
experiment with a grid search as nested runs, curves that converge, a failed and a running run,
tags, a dataset input and plotly figures as artifacts.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Sequence

from apps.core.history import acting_user
from apps.experiments.models import (
    Experiment,
    LatestMetric,
    Metric,
    Param,
    Run,
    RunStatus,
    RunTag,
)
from apps.experiments.services.artifacts import artifact_store_bytes

MODELS = ("random_forest", "gradient_boosting", "logistic_regression")
LOSS_METRICS = ("val_loss", "train_loss")
SCORE_METRICS = ("accuracy", "f1", "roc_auc")


def _curve(kind: str, quality: float, steps: int, rng: random.Random) -> list[float]:
    """A training curve: losses fall towards 1 - quality, scores rise towards quality, with noise."""
    values = []
    for step in range(steps):
        progress = 1 - math.exp(-3 * (step + 1) / max(steps, 1))
        noise = rng.gauss(0, 0.006)
        if kind == "loss":
            values.append(round(1.2 - (1.2 - (1 - quality)) * progress + noise, 6))
        else:
            values.append(round(0.5 + (quality - 0.5) * progress + noise, 6))
    return values


def build_experiment(
    *,
    team,
    by,
    name: str = "Card fraud classifier",
    visibility: str = "private",
    runs: int = 12,
    steps: int = 25,
    extra_metrics: int = 0,
    children: int = 3,
    seed: int = 7,
    artifacts: bool = True,
    description: str = "Which model flags card fraud best on the **March** transactions?",
) -> Experiment:
    """An experiment with `runs` top-level runs (+ `children` nested ones under the first)."""
    rng = random.Random(seed)
    with acting_user(by):
        experiment = Experiment.objects.create(
            team=team, name=name, visibility=visibility, description=description, created_by=by
        )
        experiment.artifact_location = f"mlflow-artifacts:/{experiment.pk}"
        experiment.save(update_fields=["artifact_location"])
    now = int(time.time() * 1000)
    specs = []
    for index in range(runs):
        model = MODELS[index % len(MODELS)]
        status = RunStatus.FINISHED
        if index == 2:
            status = RunStatus.FAILED
        elif index == 0 and runs > 3:
            status = RunStatus.RUNNING
        specs.append((f"{model.replace('_', '-')}-{index + 1}", model, status, None))
    parent_index = 1 if runs > 1 else 0
    for child in range(children):
        specs.append(
            (
                f"search-trial-{child + 1}",
                MODELS[parent_index % len(MODELS)],
                RunStatus.FINISHED,
                parent_index,
            )
        )
    created: list[Run] = []
    for index, (run_name, _model, status, _parent) in enumerate(specs):
        start = now - (len(specs) - index) * 3_600_000 - rng.randint(0, 600_000)
        end = None if status == RunStatus.RUNNING else start + rng.randint(20_000, 900_000)
        created.append(
            Run(
                experiment=experiment,
                name=run_name,
                user=by,
                user_name=by.get_username(),
                status=status,
                start_time=start,
                end_time=end,
                source_type="LOCAL",
                source_name="train.py",
                entry_point="train.py",
                git_commit=f"{rng.getrandbits(160):040x}",
                git_repo="https://git.example.org/fraud/card-models.git",
                git_dirty=index % 4 == 3,
                environment={
                    "python": "3.11.7",
                    "platform": "Linux-6.1-x86_64",
                    "packages": {"scikit-learn": "1.9.1", "numpy": "2.3.4", "pandas": "3.1.0"},
                },
                seed=1000 + index,
                artifact_uri=f"mlflow-artifacts:/{experiment.pk}/runs/placeholder/artifacts",
            )
        )
    with acting_user(by):
        Run.objects.bulk_create(created)
    created = list(Run.objects.filter(experiment=experiment).order_by("id"))
    for run, (_, _, _, parent) in zip(created, specs, strict=True):
        if parent is not None:
            run.parent = created[parent]
        run.artifact_uri = f"mlflow-artifacts:/{experiment.pk}/{run.uuid}/artifacts"
    Run.objects.bulk_update(created, ["parent", "artifact_uri"])
    params, points, latest, tags = [], [], [], []
    metric_names = [*LOSS_METRICS, *SCORE_METRICS, *[f"extra_metric_{i:02d}" for i in range(extra_metrics)]]
    for index, (run, (_, model, status, _)) in enumerate(zip(created, specs, strict=True)):
        depth = 3 + (index * 5) % 12
        quality = {"random_forest": 0.93, "gradient_boosting": 0.95, "logistic_regression": 0.88}[model]
        quality = min(0.995, quality + rng.uniform(-0.03, 0.03) + depth / 1000)
        for key, value in (
            ("model", model),
            ("max_depth", str(depth)),
            ("n_estimators", str(100 * (1 + index % 4))),
            ("learning_rate", str([0.01, 0.05, 0.1, 0.2][index % 4])),
            ("class_weight", ["balanced", "none"][index % 2]),
            ("seed", str(run.seed)),
        ):
            params.append(Param(run=run, key=key, value=value))
        run_steps = max(1, steps // 3) if status == RunStatus.FAILED else steps
        for key in metric_names:
            kind = "loss" if key in LOSS_METRICS else "score"
            series = _curve(kind, quality, run_steps, rng) if key in (*LOSS_METRICS, *SCORE_METRICS) else None
            if series is None:
                series = [round(rng.random(), 6) for _ in range(max(1, run_steps // 5))]
            for step, value in enumerate(series):
                points.append(
                    Metric(run=run, key=key, value=value, step=step, timestamp=run.start_time + step * 1000)
                )
            latest.append(
                LatestMetric(
                    run=run,
                    key=key,
                    value=series[-1],
                    step=len(series) - 1,
                    timestamp=run.start_time + (len(series) - 1) * 1000,
                )
            )
        tags.extend(
            [
                RunTag(run=run, key="stage", value="candidate" if quality > 0.94 else "baseline"),
                RunTag(run=run, key="dataset", value="card-transactions@v3"),
                RunTag(run=run, key="mlflow.user", value=run.user_name),
                RunTag(run=run, key="mlflow.source.name", value="train.py"),
                RunTag(run=run, key="mlflow.runName", value=run.name),
            ]
        )
        if run.parent_id:
            tags.append(RunTag(run=run, key="mlflow.parentRunId", value=run.parent.uuid))
    Param.objects.bulk_create(params, batch_size=2000)
    Metric.objects.bulk_create(points, batch_size=5000)
    LatestMetric.objects.bulk_create(latest, batch_size=5000)
    RunTag.objects.bulk_create(tags, batch_size=2000)
    if artifacts and created:
        add_artifacts(experiment=experiment, run=created[min(1, len(created) - 1)])
    return experiment


def figure_json(kind: str) -> str:
    """A small plotly figure as training jobs log them (`plots/<name>.plotly.json`)."""
    if kind == "confusion_matrix":
        figure = {
            "data": [
                {
                    "type": "heatmap",
                    "z": [[912, 31], [18, 139]],
                    "x": ["legitimate", "fraud"],
                    "y": ["legitimate", "fraud"],
                    "colorscale": "Blues",
                    "texttemplate": "%{z}",
                }
            ],
            "layout": {"xaxis": {"title": {"text": "predicted"}}, "yaxis": {"title": {"text": "actual"}}},
        }
    else:
        features = ["amount", "merchant_risk", "hour", "country_mismatch", "velocity_24h"]
        figure = {
            "data": [{"type": "bar", "orientation": "h", "x": [0.31, 0.24, 0.12, 0.19, 0.14], "y": features}],
            "layout": {"xaxis": {"title": {"text": "importance"}}},
        }
    return json.dumps(figure)


def add_artifacts(
    *, experiment: Experiment, run: Run, files: Sequence[tuple[str, bytes]] | None = None
) -> None:
    """Store a few artifacts for `run` (a model folder, a CSV, plotly figures) and index them."""
    files = files or [
        ("model/MLmodel", b"artifact_path: model\nflavors:\n  sklearn:\n    sklearn_version: 1.9.1\n"),
        ("model/requirements.txt", b"scikit-learn==1.9.1\nnumpy==2.3.4\n"),
        ("model/model.skops", bytes(range(256)) * 8),
        ("predictions.csv", b"id,label,score\n1,fraud,0.91\n2,legitimate,0.07\n3,legitimate,0.12\n"),
        ("metrics.json", b'{"accuracy": 0.951, "f1": 0.874}'),
        ("plots/confusion_matrix.plotly.json", figure_json("confusion_matrix").encode()),
        ("plots/feature_importance.plotly.json", figure_json("feature_importance").encode()),
    ]
    for path, content in files:
        artifact_store_bytes(run=run, path=path, content=content, by=run.user)
