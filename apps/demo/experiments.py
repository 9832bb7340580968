"""Demo experiments: believable runs logged through the tracking services, as an MLflow client would.

- Fraud Analytics, private: "Card fraud detection" — logistic regression, random forests and
  gradient boosting on the shop's payments (a catalog dataset version, so lineage shows it), with
  loss curves over boosting stages, a random hyper-parameter search as nested runs, a failed and
  a running run, three git commits and their environments.
- ML Engineering, private: "Digits recognition" — small neural networks on the Digits versions,
  with per-epoch loss and accuracy.
- Data Platform, internal (everyone may read it): "Iris species — getting started", four classic
  classifiers on Iris.

Values come from a seeded random generator, so every seeding writes the same figures. Idempotent:
experiments are found by team and name, runs by name inside their experiment; what exists is left
as it is.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.catalog.models import Dataset, DatasetVersion
from apps.experiments.models import Experiment, Run
from apps.experiments.services import artifacts, tracking

REPOSITORIES = {
    "Fraud Analytics": "https://git.example.org/fraud-analytics/card-fraud.git",
    "ML Engineering": "https://git.example.org/ml-engineering/vision-playground.git",
    "Data Platform": "https://git.example.org/data-platform/ml-tutorials.git",
}
COMMITS = [
    "4f7c2e91b0d35a6c8e1f2a4b6c8d0e1f3a5b7c9d",
    "a93b1d07e2c4f6a8b0c2d4e6f8a0b2c4d6e8f0a2",
    "c1e5f9a3b7d1e5f9a3b7d1e5f9a3b7d1e5f9a3b7",
]
ENVIRONMENTS = [
    {"python": "3.11.9", "platform": "Linux-6.1.0-x86_64-with-glibc2.36",
     "packages": {"scikit-learn": "1.8.0", "numpy": "2.2.6", "pandas": "2.3.1", "mlflow-skinny": "3.1.0"}},
    {"python": "3.11.9", "platform": "Linux-6.1.0-x86_64-with-glibc2.36",
     "packages": {"scikit-learn": "1.9.1", "numpy": "2.3.1", "pandas": "3.1.0", "mlflow-skinny": "3.17.2"}},
]  # fmt: skip
DAY_MS = 24 * 3600 * 1000


@dataclass
class RunSpec:
    """One run to log: who, when (days before now), params, metric series, tags, status, nesting."""

    name: str
    user: str
    days_ago: float
    minutes: float
    params: dict[str, object]
    series: dict[str, list[float]]  # key → values by step
    final: dict[str, float]  # key → one value (step 0)
    tags: dict[str, str] = field(default_factory=dict)
    status: str = "FINISHED"
    commit: int = 0
    environment: int = 1
    seed: int = 42
    parent: str = ""  # name of the parent run (a hyper-parameter search)
    note: str = ""
    figures: dict[str, dict] = field(default_factory=dict)  # artifact path → plotly figure JSON


@dataclass
class ExperimentSpec:
    team: str
    name: str
    visibility: str
    description: str
    owner: str
    dataset: tuple[str, str, int]  # (team, dataset name, version number) the runs read
    source_name: str
    runs: Callable[[random.Random], list[RunSpec]]
    tags: dict[str, str] = field(default_factory=dict)


# --- the curves ---------------------------------------------------------------------------------
def _loss_curve(rng: random.Random, *, start: float, floor: float, steps: int, rate: float, overfit=0.0):
    """A decaying loss with noise; `overfit` bends it back up over the last third (validation)."""
    values = []
    for step in range(steps):
        value = floor + (start - floor) * math.exp(-rate * step)
        if overfit and step > steps * 0.6:
            value += overfit * (step - steps * 0.6) / steps
        values.append(round(max(value + rng.gauss(0, (start - floor) * 0.015), floor * 0.9), 5))
    return values


def _rising_curve(rng: random.Random, *, start: float, ceiling: float, steps: int, rate: float):
    return [
        round(min(ceiling - (ceiling - start) * math.exp(-rate * step) + rng.gauss(0, 0.002), 0.9999), 5)
        for step in range(steps)
    ]


def _classification_scores(rng: random.Random, auc: float) -> dict[str, float]:
    precision = min(0.99, auc - 0.16 + rng.gauss(0, 0.01))
    recall = min(0.99, auc - 0.22 + rng.gauss(0, 0.015))
    return {
        "roc_auc": round(auc, 4),
        "pr_auc": round(auc - 0.19 + rng.gauss(0, 0.01), 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4),
    }


# --- Card fraud detection -------------------------------------------------------------------------
CARD_FRAUD_NOTE = (
    "Chosen for the March release: best validation ROC AUC with stable loss. "
    "Depth 4 overfits less than depth 6 on the new velocity features."
)


def _gbm_run(rng: random.Random, *, name, user, days_ago, learning_rate, max_depth, n_estimators, subsample,
             commit, parent="", status="FINISHED", note="") -> RunSpec:  # fmt: skip
    stages = n_estimators // 10
    quality = 0.962 - abs(learning_rate - 0.08) * 0.25 - abs(max_depth - 4) * 0.006 - (1 - subsample) * 0.02
    auc = quality + rng.gauss(0, 0.003)
    train = _loss_curve(
        rng, start=0.69, floor=0.07 + 0.01 * (6 - max_depth), steps=stages, rate=learning_rate * 4
    )
    val = _loss_curve(
        rng, start=0.69, floor=0.11 + (0.962 - auc), steps=stages, rate=learning_rate * 3.6,
        overfit=0.03 * max(0, max_depth - 4),
    )  # fmt: skip
    val_auc = _rising_curve(rng, start=0.80, ceiling=auc, steps=stages, rate=learning_rate * 3)
    if status == "RUNNING":  # half-way through: the curves stop where the training is
        train, val, val_auc = train[: stages // 2], val[: stages // 2], val_auc[: stages // 2]
    final = {} if status == "RUNNING" else _classification_scores(rng, auc)
    if final:
        final["training_time_s"] = round(n_estimators * max_depth * 0.021 * subsample + rng.uniform(2, 6), 1)
    return RunSpec(
        name=name, user=user, days_ago=days_ago, minutes=final.get("training_time_s", 60) / 60 + 1,
        params={"estimator": "GradientBoostingClassifier", "learning_rate": learning_rate,
                "max_depth": max_depth, "n_estimators": n_estimators, "subsample": subsample,
                "feature_set": "velocity-v3" if commit else "baseline-v2", "class_weight": "balanced"},
        series={"train_loss": train, "val_loss": val, "val_roc_auc": val_auc}, final=final,
        tags={"model_family": "boosting"}, status=status, commit=commit, parent=parent, note=note,
    )  # fmt: skip


def card_fraud_runs(rng: random.Random) -> list[RunSpec]:
    """~25 runs over three weeks: baselines, forests, boosting, a nested random search, one failure."""
    runs: list[RunSpec] = []
    for index, c_value in enumerate((0.1, 1.0, 10.0)):
        auc = 0.905 + 0.006 * math.log10(c_value * 10) + rng.gauss(0, 0.002)
        runs.append(
            RunSpec(
                name=f"logreg-C{c_value:g}",
                user="alice",
                days_ago=21 - index * 0.2,
                minutes=2,
                params={
                    "estimator": "LogisticRegression",
                    "C": c_value,
                    "penalty": "l2",
                    "solver": "lbfgs",
                    "max_iter": 200,
                    "feature_set": "baseline-v2",
                    "class_weight": "balanced",
                },
                series={
                    "val_loss": _loss_curve(rng, start=0.69, floor=0.24 - index * 0.01, steps=20, rate=0.35)
                },
                final=_classification_scores(rng, auc),
                tags={"model_family": "linear"},
                commit=0,
                environment=0,
            )  # fmt: skip
        )
    forests = [(100, 6), (100, 12), (300, 6), (300, 12)]
    for index, (trees, depth) in enumerate(forests):
        auc = 0.938 + 0.004 * (trees == 300) + 0.006 * (depth == 12) + rng.gauss(0, 0.002)
        runs.append(
            RunSpec(
                name=f"rf-{trees}x{depth}",
                user="alice" if index % 2 == 0 else "max",
                days_ago=18 - index * 0.5,
                minutes=trees * depth / 300 + 1,
                params={
                    "estimator": "RandomForestClassifier",
                    "n_estimators": trees,
                    "max_depth": depth,
                    "min_samples_leaf": 5,
                    "feature_set": "baseline-v2",
                    "class_weight": "balanced",
                },
                series={
                    "oob_error": _loss_curve(
                        rng, start=0.12, floor=0.045 - depth * 0.001, steps=trees // 20, rate=0.4
                    )
                },
                final=_classification_scores(rng, auc),
                tags={"model_family": "forest"},
                commit=1,
            )  # fmt: skip
        )
    grid = [(0.05, 3), (0.05, 5), (0.1, 3), (0.1, 5)]
    for index, (rate, depth) in enumerate(grid):
        runs.append(
            _gbm_run(rng, name=f"gbm-lr{rate:g}-d{depth}", user="alice", days_ago=14 - index * 0.4,
                     learning_rate=rate, max_depth=depth, n_estimators=300, subsample=0.8, commit=1)
        )  # fmt: skip
    runs.append(
        RunSpec(
            name="mlp-256x128",
            user="max",
            days_ago=12,
            minutes=9,
            params={
                "estimator": "MLPClassifier",
                "hidden_layer_sizes": "(256, 128)",
                "alpha": 0.0001,
                "learning_rate_init": 0.01,
                "feature_set": "velocity-v3",
            },
            series={"train_loss": _loss_curve(rng, start=0.69, floor=0.2, steps=7, rate=0.3)},
            final={},
            tags={"model_family": "neural", "error": "MemoryError while expanding one-hot merchant ids"},
            status="FAILED",
            commit=2,
        )  # fmt: skip
    )
    search = "gbm-random-search"
    runs.append(
        RunSpec(
            name=search,
            user="alice",
            days_ago=9,
            minutes=48,
            params={
                "estimator": "GradientBoostingClassifier",
                "search": "random",
                "n_iter": 12,
                "cv": 5,
                "scoring": "roc_auc",
                "feature_set": "velocity-v3",
            },
            series={},
            final={},
            tags={"model_family": "boosting", "search": "random"},
            commit=2,
        )  # fmt: skip
    )
    best_index = 7
    for index in range(12):
        rate = round(rng.choice([0.03, 0.05, 0.08, 0.1, 0.15]), 2)
        depth = rng.choice([3, 4, 5, 6])
        trees = rng.choice([200, 300, 400])
        sample = rng.choice([0.7, 0.8, 1.0])
        if index == best_index:
            rate, depth, trees, sample = 0.08, 4, 400, 0.8
        runs.append(
            _gbm_run(rng, name=f"{search}-trial-{index + 1:02d}", user="alice",
                     days_ago=9 - (index + 1) * 0.002, learning_rate=rate, max_depth=depth,
                     n_estimators=trees, subsample=sample, commit=2, parent=search)
        )  # fmt: skip
    runs.append(
        _gbm_run(rng, name="gbm-lr0.08-d4-full-data", user="max", days_ago=0.05, learning_rate=0.08,
                 max_depth=4, n_estimators=600, subsample=0.8, commit=2, status="RUNNING")
    )  # fmt: skip
    # The search's parent carries its best child's score, as sklearn's search does.
    children = [run for run in runs if run.parent == search and run.final]
    best = max(children, key=lambda run: run.final["roc_auc"])
    best.note = CARD_FRAUD_NOTE
    for run in (best, *(r for r in runs if r.name in {"rf-300x12", "gbm-lr0.1-d3"})):
        run.figures = _figures(rng, run.final["roc_auc"])
    runs[[run.name for run in runs].index(search)].final = {
        "best_roc_auc": best.final["roc_auc"],
        "mean_fit_time_s": round(sum(c.final["training_time_s"] for c in children) / len(children), 1),
    }
    return runs


# --- Digits recognition --------------------------------------------------------------------------
def digits_runs(rng: random.Random) -> list[RunSpec]:
    runs = []
    networks = [("(64,)", 1e-4), ("(128,)", 1e-4), ("(128, 64)", 1e-4), ("(128, 64)", 1e-3),
                ("(256, 128)", 1e-3), ("(256, 128)", 1e-2)]  # fmt: skip
    for index, (hidden, alpha) in enumerate(networks):
        size = sum(int(part) for part in hidden.strip("()").split(",") if part.strip())
        accuracy = 0.955 + min(size, 384) / 384 * 0.025 - abs(math.log10(alpha) + 3) * 0.004
        epochs = 40
        runs.append(
            RunSpec(
                name=f"mlp-{hidden.strip('()').replace(', ', 'x').rstrip(',')}-a{alpha:g}",
                user="max",
                days_ago=16 - index * 1.5,
                minutes=3 + size / 100,
                params={
                    "estimator": "MLPClassifier",
                    "hidden_layer_sizes": hidden,
                    "alpha": alpha,
                    "solver": "adam",
                    "batch_size": 64,
                    "max_epochs": epochs,
                },
                series={
                    "train_loss": _loss_curve(
                        rng, start=2.3, floor=0.02 + alpha * 3, steps=epochs, rate=0.18
                    ),
                    "val_loss": _loss_curve(
                        rng,
                        start=2.3,
                        floor=0.09 + alpha * 2,
                        steps=epochs,
                        rate=0.16,
                        overfit=0.05 if alpha < 1e-3 else 0,
                    ),
                    "val_accuracy": _rising_curve(rng, start=0.35, ceiling=accuracy, steps=epochs, rate=0.2),
                },
                final={
                    "accuracy": round(accuracy + rng.gauss(0, 0.002), 4),
                    "macro_f1": round(accuracy - 0.003 + rng.gauss(0, 0.002), 4),
                },
                tags={"model_family": "neural"},
                commit=index // 3,
            )  # fmt: skip
        )
    return runs


# --- Iris, the internal getting-started experiment -------------------------------------------------
def iris_runs(rng: random.Random) -> list[RunSpec]:
    estimators = [
        ("logreg", {"estimator": "LogisticRegression", "C": 1.0}, 0.953),
        ("knn-5", {"estimator": "KNeighborsClassifier", "n_neighbors": 5}, 0.96),
        ("tree-d3", {"estimator": "DecisionTreeClassifier", "max_depth": 3}, 0.947),
        ("svc-rbf", {"estimator": "SVC", "kernel": "rbf", "C": 1.0}, 0.967),
    ]
    return [
        RunSpec(
            name=name,
            user="bob",
            days_ago=25 - index,
            minutes=0.5,
            params={**params, "cv": 5},
            series={"cv_accuracy": [round(accuracy + rng.gauss(0, 0.02), 4) for _ in range(5)]},
            final={"accuracy": accuracy, "macro_f1": round(accuracy - 0.002, 4)},
            tags={"model_family": "tutorial"},
            commit=0,
            environment=1,
        )  # fmt: skip
        for index, (name, params, accuracy) in enumerate(estimators)
    ]


EXPERIMENTS = (
    ExperimentSpec(
        team="Fraud Analytics",
        name="Card fraud detection",
        visibility="private",
        owner="alice",
        description=(
            "Which model flags fraudulent card payments best? Trained on the shop's **payments** "
            "(`is_fraud` label, ~2% positives), compared on validation ROC AUC and PR AUC.\n\n"
            "- baselines: logistic regression, random forests\n"
            "- gradient boosting, tuned by a random search (nested runs); the best trial carries a note"
        ),
        dataset=("Data Platform", "payments", 1),
        source_name="train_card_fraud.py",
        runs=card_fraud_runs,
        tags={"domain": "payments", "owner": "fraud-analytics"},
    ),
    ExperimentSpec(
        team="ML Engineering",
        name="Digits recognition",
        visibility="private",
        owner="max",
        description="Handwritten digits (8×8) with small multi-layer perceptrons; a sandbox for serving.",
        dataset=("ML Engineering", "Digits", 2),
        source_name="notebooks/digits_mlp.ipynb",
        runs=digits_runs,
    ),
    ExperimentSpec(
        team="Data Platform",
        name="Iris species — getting started",
        visibility="internal",
        owner="bob",
        description=(
            "A worked example everyone can read: four classic classifiers on **Iris**, "
            "5-fold cross-validation. "
            "Log your own runs from a notebook with `mlflow.set_experiment(...)` and compare them here."
        ),
        dataset=("Data Platform", "Iris", 2),
        source_name="tutorials/iris_getting_started.py",
        runs=iris_runs,
    ),
)


# --- writing them ----------------------------------------------------------------------------------
def demo_experiments_ensure(*, teams: dict, by) -> dict[str, int]:
    """The demo experiments and their runs, through the tracking services; empty the second time."""
    created: Counter[str] = Counter()
    users = {user.username: user for user in get_user_model().objects.filter(username__in=_usernames())}
    now_ms = int(timezone.now().timestamp() * 1000)
    for spec in EXPERIMENTS:
        team = teams.get(spec.team)
        if team is None or spec.owner not in users:
            continue
        experiment = Experiment.objects.filter(team=team, name=spec.name).first()
        if experiment is None:
            experiment = tracking.experiment_create(
                team=team,
                by=users[spec.owner],
                name=spec.name,
                visibility=spec.visibility,
                description=spec.description,
                tags=spec.tags,
            )
            created["experiments"] += 1
        existing = set(experiment.runs.values_list("name", flat=True))
        runs = spec.runs(random.Random(f"{spec.team}/{spec.name}"))  # the same figures every time
        if all(run.name in existing for run in runs):
            continue
        version = _dataset_version(teams, spec.dataset)
        parents = {
            run.name: run for run in experiment.runs.filter(name__in={r.parent for r in runs if r.parent})
        }
        for run_spec in runs:
            if run_spec.name in existing or run_spec.user not in users:
                continue
            run = _run_log(
                experiment=experiment, spec=run_spec, exp_spec=spec, user=users[run_spec.user],
                parent=parents.get(run_spec.parent), version=version, now_ms=now_ms,
            )  # fmt: skip
            parents[run.name] = run
            created["runs"] += 1
    return dict(created)


def _usernames() -> set[str]:
    return {spec.owner for spec in EXPERIMENTS} | {"alice", "max", "bob"}


def _dataset_version(teams: dict, dataset: tuple[str, str, int]) -> DatasetVersion | None:
    team_name, name, number = dataset
    team = teams.get(team_name)
    found = Dataset.objects.filter(team=team, name=name).first() if team is not None else None
    if found is None:
        return None
    return found.versions.filter(number=number).first() or found.versions.order_by("-number").first()


def _run_log(*, experiment, spec: RunSpec, exp_spec: ExperimentSpec, user, parent, version, now_ms) -> Run:
    """One run as an MLflow client logs it: start with system tags, params, metrics, inputs, end."""
    start = now_ms - int(spec.days_ago * DAY_MS)
    duration = int(spec.minutes * 60_000)
    repository = REPOSITORIES.get(experiment.team.name, "")
    tags = {
        "mlflow.user": user.username,
        "mlflow.source.type": "NOTEBOOK" if exp_spec.source_name.endswith(".ipynb") else "LOCAL",
        "mlflow.source.name": exp_spec.source_name,
        "mlflow.source.git.commit": COMMITS[spec.commit],
        "mlflow.source.git.repoURL": repository,
        "mlflow.source.git.dirty": "true" if spec.status == "RUNNING" else "false",
        "atrium.seed": str(spec.seed),
        **spec.tags,
    }
    if spec.note:
        tags["mlflow.note.content"] = spec.note
    run = tracking.run_create(
        experiment=experiment,
        by=user,
        start_time=start,
        run_name=spec.name,
        tags=tags,
        parent=parent,
        seed=spec.seed,
        environment=ENVIRONMENTS[spec.environment],
    )
    tracking.run_params_log(run=run, by=user, params={key: str(value) for key, value in spec.params.items()})
    points = []
    for key, values in spec.series.items():
        step_ms = max(duration // max(len(values), 1), 1)
        points.extend((key, value, start + step * step_ms, step) for step, value in enumerate(values))
    points.extend((key, value, start + duration, 0) for key, value in spec.final.items())
    for offset in range(0, len(points), 1000):  # MLflow's log_batch takes 1000 metrics at most
        tracking.run_metrics_log(run=run, by=user, metrics=points[offset : offset + 1000])
    if version is not None:
        tracking.run_inputs_log(
            run=run,
            by=user,
            datasets=[
                tracking.DatasetInputSpec(
                    name=version.dataset.name,
                    digest=(version.content_hash or "")[:12] or f"v{version.number}",
                    source_type="atrium",
                    source=f"atrium://datasets/{version.dataset_id}/versions/{version.number}",
                    tags=(("mlflow.data.context", "training"),),
                )
            ],
        )
    for path, figure in spec.figures.items():
        content = json.dumps(figure, separators=(",", ":")).encode()
        artifacts.artifact_store_bytes(run=run, path=path, content=content, by=user)
    if spec.status != "RUNNING":
        tracking.run_update(run=run, by=user, status=spec.status, end_time=start + duration)
    return run


# --- figures the best runs log (plotly JSON under plots/, drawn on the run's Artifacts tab) --------
FRAUD_FEATURES = [
    "velocity_1h", "amount_eur", "spend_7d_eur", "merchant_diversity_7d", "night_share",
    "country_mismatch", "card_age_days", "method_card",
]  # fmt: skip


def _figures(rng: random.Random, auc: float) -> dict[str, dict]:
    """A feature-importance bar chart and a ROC curve for a fraud model with this ROC AUC."""
    weights = sorted((rng.uniform(0.2, 1.0) ** 2 for _ in FRAUD_FEATURES), reverse=True)
    total = sum(weights)
    importance = [round(weight / total, 4) for weight in weights]
    # A ROC curve with (about) the given area: TPR = FPR ** k has area 1 / (k + 1).
    power = 1 / auc - 1
    fpr = [round(step / 50, 3) for step in range(51)]
    tpr = [round(value**power, 4) for value in fpr]
    layout = {"margin": {"l": 60, "r": 20, "t": 40, "b": 50}}
    return {
        "plots/feature_importance.plotly.json": {
            "data": [{"type": "bar", "orientation": "h", "x": importance[::-1], "y": FRAUD_FEATURES[::-1]}],
            "layout": {**layout, "title": {"text": "Feature importance"},
                       "xaxis": {"title": {"text": "importance"}}},
        },
        "plots/roc_curve.plotly.json": {
            "data": [
                {"type": "scatter", "mode": "lines", "x": fpr, "y": tpr, "name": f"ROC (AUC {auc:.3f})"},
                {"type": "scatter", "mode": "lines", "x": [0, 1], "y": [0, 1], "name": "chance",
                 "line": {"dash": "dot"}},
            ],
            "layout": {**layout, "title": {"text": "ROC curve (validation)"},
                       "xaxis": {"title": {"text": "false positive rate"}},
                       "yaxis": {"title": {"text": "true positive rate"}}},
        },
    }  # fmt: skip
