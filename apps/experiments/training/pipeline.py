"""Preprocessing, search, validation and the final fit: prepared data in, a model and its evaluation out.

The scikit-learn pipeline is always the same shape:

    Pipeline([
        ("preprocess", ColumnTransformer([
            ("num", Pipeline([("impute", SimpleImputer(strategy="median")),
                              ("scale", StandardScaler())]), numeric),
            ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                              ("onehot", OneHotEncoder(handle_unknown="infrequent_if_exist",
                                                       max_categories=20))]), categorical),
        ])),
        ("model", <the allowed estimator with validated hyper-parameters and the seed>),
    ])

Everything random takes the seed (splits, folds, search sampling, estimators, permutation
importance), and everything runs on one thread, so the same data, spec and code give the same
model and metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import (
    KFold,
    ParameterSampler,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from apps.experiments.training import evaluation
from apps.experiments.training.data import ONE_HOT_MAX_CATEGORIES, PreparedData
from apps.experiments.training.estimators import (
    CLASSIFICATION,
    estimator_build,
    estimator_get,
    params_validate,
)
from apps.experiments.training.spec import GRID, KFOLD, grid_points

Progress = Callable[[float, str], None]
RESIDUAL_POINTS = 2000


def _no_progress(percent: float, message: str) -> None:
    """Progress sink for callers that do not report."""


class TrainingError(ValueError):
    """Training could not finish as asked (e.g. the estimator refused the data); meant for people."""


def preprocessor_build(*, numeric: list[str], categorical: list[str]) -> ColumnTransformer:
    """Impute and scale numbers; impute and one-hot encode text (rare categories grouped)."""
    transformers = []
    if numeric:
        transformers.append(
            (
                "num",
                Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]),
                list(numeric),
            )
        )
    if categorical:
        transformers.append(
            (
                "cat",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        (
                            "onehot",
                            OneHotEncoder(
                                handle_unknown="infrequent_if_exist",
                                max_categories=ONE_HOT_MAX_CATEGORIES,
                                sparse_output=False,
                            ),
                        ),
                    ]
                ),
                list(categorical),
            )
        )
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=True)


def pipeline_build(*, data: PreparedData, estimator_key: str, params: dict[str, Any], seed: int) -> Pipeline:
    """The full pipeline (preprocessing + the allowed estimator) for `data`'s columns."""
    estimator = estimator_get(estimator_key)
    model = estimator_build(estimator, data.task, params, seed=seed)
    return Pipeline(
        [
            ("preprocess", preprocessor_build(numeric=data.numeric, categorical=data.categorical)),
            ("model", model),
        ]
    )


def folds_for(task: str, folds: int, seed: int):
    """Stratified folds for classification, plain shuffled folds for regression."""
    if task == CLASSIFICATION:
        return StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return KFold(n_splits=folds, shuffle=True, random_state=seed)


@dataclass
class Candidate:
    """One point of a search: its hyper-parameters and cross-validated score."""

    params: dict[str, Any]
    mean: float
    std: float
    scores: list[float]


@dataclass
class TrainingOutcome:
    """What training produced: the fitted pipeline, the effective hyper-parameters and the evaluation."""

    model: Pipeline
    task: str
    params: dict[str, Any]  # effective hyper-parameters (the search's best when searching)
    metrics: dict[str, float]  # held-out metrics, or the mean over folds
    metrics_std: dict[str, float] = field(default_factory=dict)  # over folds (k-fold only)
    train_metrics: dict[str, float] = field(default_factory=dict)
    fold_metrics: list[dict[str, float]] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    best_candidate: int | None = None
    confusion: dict[str, Any] | None = None
    roc: dict[str, list[float]] | None = None
    residuals: dict[str, list[float]] | None = None
    importances: dict[str, float] = field(default_factory=dict)
    importance_method: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    scoring: str = ""
    average: str = ""


def _fit(pipeline: Pipeline, X, y) -> Pipeline:
    try:
        return pipeline.fit(X, y)
    except (ValueError, TypeError) as error:
        detail = str(error).strip().splitlines()[0][:300] if str(error).strip() else error.__class__.__name__
        raise TrainingError(f"The estimator could not be fitted on this data: {detail}") from None


def _search(
    data: PreparedData,
    *,
    estimator_key: str,
    params: dict[str, Any],
    search: dict[str, Any],
    X,
    y,
    seed: int,
    progress: Progress,
    start: float,
    end: float,
) -> tuple[dict[str, Any], list[Candidate], int]:
    """Try each candidate with inner cross-validation; the best mean score wins (the first on ties)."""
    estimator = estimator_get(estimator_key)
    if search["method"] == GRID:
        points = grid_points(search["space"])
    else:
        points = list(
            ParameterSampler(_distributions(search["space"]), n_iter=search["n_iter"], random_state=seed)
        )
    scoring = evaluation.SEARCH_SCORING[data.task]
    splitter = folds_for(data.task, search["folds"], seed)
    candidates: list[Candidate] = []
    for index, point in enumerate(points):
        progress(
            start + (end - start) * index / max(1, len(points)),
            f"Search: candidate {index + 1} of {len(points)}",
        )
        merged = params_validate(estimator, data.task, {**params, **_plain(point)})
        pipeline = pipeline_build(data=data, estimator_key=estimator_key, params=merged, seed=seed)
        try:
            scores = cross_val_score(
                pipeline, X, y, cv=splitter, scoring=scoring, n_jobs=1, error_score="raise"
            )
        except (ValueError, TypeError) as error:
            detail = (
                str(error).strip().splitlines()[0][:300] if str(error).strip() else error.__class__.__name__
            )
            raise TrainingError(
                f"Search candidate {index + 1} ({_describe(point)}) failed: {detail}"
            ) from None
        candidates.append(
            Candidate(
                params=merged,
                mean=float(np.mean(scores)),
                std=float(np.std(scores)),
                scores=[float(s) for s in scores],
            )
        )
    best = max(range(len(candidates)), key=lambda i: (candidates[i].mean, -i))
    return candidates[best].params, candidates, best


def _plain(point: dict[str, Any]) -> dict[str, Any]:
    """numpy scalars from a sampler as plain Python values."""
    return {key: value.item() if isinstance(value, np.generic) else value for key, value in point.items()}


def _describe(point: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(_plain(point).items()))


def _distributions(space: dict[str, Any]) -> dict[str, Any]:
    """Lists as they are; numeric ranges as uniform or log-uniform distributions (integers rounded)."""
    from scipy import stats

    distributions: dict[str, Any] = {}
    for name, values in space.items():
        if isinstance(values, dict):
            low, high = values["min"], values["max"]
            if isinstance(low, int) and isinstance(high, int):
                distributions[name] = stats.randint(low, high + 1)
            elif values.get("log"):
                distributions[name] = stats.loguniform(low, high)
            else:
                distributions[name] = stats.uniform(low, high - low)
        else:
            distributions[name] = list(values)
    return distributions


def _evaluate(pipeline: Pipeline, X, y, data: PreparedData) -> tuple[dict[str, float], np.ndarray, Any]:
    predicted = pipeline.predict(X)
    if data.task == CLASSIFICATION:
        scores, kind = evaluation.class_scores(pipeline, X)
        values = evaluation.classification_metrics(
            y, predicted, classes=data.classes, scores=scores, score_kind=kind
        )
        return values, predicted, scores
    return evaluation.regression_metrics(y, predicted), predicted, None


def train(data: PreparedData, **options) -> TrainingOutcome:
    """Search (optional), validate (hold-out or k-fold), fit the final model and measure it, on one thread.

    One thread for BLAS and OpenMP (histogram boosting) keeps the numbers bit-identical from run to
    run, and keeps a worker from taking every core of a shared machine.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _train(data, **options)


def _train(
    data: PreparedData,
    *,
    estimator_key: str,
    params: dict[str, Any],
    validation: dict[str, Any],
    search: dict[str, Any] | None,
    seed: int,
    progress: Progress = _no_progress,
) -> TrainingOutcome:
    X, y = data.X, data.y
    estimator = estimator_get(estimator_key)
    params = params_validate(estimator, data.task, params)
    classification = data.task == CLASSIFICATION
    scoring = evaluation.SEARCH_SCORING[data.task]
    outcome_extra: dict[str, Any] = {
        "scoring": scoring,
        "average": evaluation.averaging(data.classes) if classification else "",
    }

    if validation["method"] == KFOLD:
        candidates: list[Candidate] = []
        best = None
        if search:
            params, candidates, best = _search(
                data, estimator_key=estimator_key, params=params, search=search, X=X, y=y,
                seed=seed, progress=progress, start=20, end=50,
            )  # fmt: skip
        folds = validation["folds"]
        splitter = folds_for(data.task, folds, seed)
        fold_metrics: list[dict[str, float]] = []
        # Out-of-fold predictions keep the target's dtype: an object array of 0/1 integers is an
        # "unknown" target type to scikit-learn's metrics.
        oof_pred = np.empty(len(y), dtype=y.to_numpy().dtype if classification else float)
        oof_scores: np.ndarray | None = None
        importances_per_fold: list[dict[str, float]] = []
        start = 50 if search else 20
        for index, (train_index, test_index) in enumerate(splitter.split(X, y)):
            progress(start + (85 - start) * index / folds, f"Fold {index + 1} of {folds}: fitting")
            pipeline = _fit(
                pipeline_build(data=data, estimator_key=estimator_key, params=params, seed=seed),
                X.iloc[train_index], y.iloc[train_index],
            )  # fmt: skip
            values, predicted, scores = _evaluate(pipeline, X.iloc[test_index], y.iloc[test_index], data)
            fold_metrics.append(values)
            oof_pred[test_index] = predicted
            if scores is not None:
                if oof_scores is None:
                    oof_scores = np.zeros((len(y), *scores.shape[1:]), dtype=float)
                oof_scores[test_index] = scores
            if evaluation.native_importances(pipeline, features=list(X.columns)) is None:
                importances_per_fold.append(
                    evaluation.permutation_importances(
                        pipeline, X.iloc[test_index], y.iloc[test_index], scoring=scoring, seed=seed
                    )
                )
        means, stds = evaluation.summarise_folds(fold_metrics)
        progress(86, "Fitting the final model on every row")
        model = _fit(pipeline_build(data=data, estimator_key=estimator_key, params=params, seed=seed), X, y)
        outcome = TrainingOutcome(
            model=model, task=data.task, params=params, metrics=means, metrics_std=stds,
            fold_metrics=fold_metrics, candidates=candidates, best_candidate=best,
            rows={"train": len(X), "validation": len(X)}, **outcome_extra,
        )  # fmt: skip
        y_eval, pred_eval, scores_eval = (
            y,
            oof_pred,
            oof_scores,
        )
        native = evaluation.native_importances(model, features=list(X.columns))
        if native is not None:
            outcome.importances, outcome.importance_method = native, _native_method(model)
        else:
            outcome.importances, _ = evaluation.summarise_folds(importances_per_fold)
            outcome.importance_method = "permutation"
    else:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=validation["test_size"], random_state=seed, stratify=y if classification else None
        )
        if classification and set(y_test) != set(data.classes):
            missing = sorted(set(map(str, data.classes)) - set(map(str, y_test)))
            raise TrainingError(
                f"The held-out rows have no example of the class {', '.join(missing[:5])}; "
                "use a larger held-out fraction or k-fold validation."
            )
        candidates, best = [], None
        if search:
            params, candidates, best = _search(
                data, estimator_key=estimator_key, params=params, search=search, X=X_train, y=y_train,
                seed=seed, progress=progress, start=20, end=70,
            )  # fmt: skip
        progress(72 if search else 40, "Fitting the model")
        model = _fit(
            pipeline_build(data=data, estimator_key=estimator_key, params=params, seed=seed), X_train, y_train
        )
        progress(80, "Evaluating on the held-out rows")
        test_metrics, pred_eval, scores_eval = _evaluate(model, X_test, y_test, data)
        train_metrics, _pred, _scores = _evaluate(model, X_train, y_train, data)
        y_eval = y_test
        outcome = TrainingOutcome(
            model=model, task=data.task, params=params, metrics=test_metrics, train_metrics=train_metrics,
            candidates=candidates, best_candidate=best,
            rows={"train": len(X_train), "validation": len(X_test)}, **outcome_extra,
        )  # fmt: skip
        native = evaluation.native_importances(model, features=list(X.columns))
        if native is not None:
            outcome.importances, outcome.importance_method = native, _native_method(model)
        else:
            progress(84, "Measuring permutation importances")
            outcome.importances = evaluation.permutation_importances(
                model, X_test, y_test, scoring=scoring, seed=seed
            )
            outcome.importance_method = "permutation"

    if classification:
        outcome.confusion = evaluation.confusion(y_eval, pred_eval, classes=data.classes)
        outcome.roc = evaluation.roc_points(y_eval, scores_eval, classes=data.classes)
    else:
        outcome.residuals = evaluation.residuals(y_eval, pred_eval, limit=RESIDUAL_POINTS, seed=seed)
    return outcome


def _native_method(model: Pipeline) -> str:
    estimator = model.named_steps["model"]
    return "impurity" if hasattr(estimator, "feature_importances_") else "coefficient"


def predictions_frame(model: Pipeline, X: pd.DataFrame) -> pd.Series:
    """The model's predictions for `X` (used by tests and the reproduce comparison)."""
    return pd.Series(model.predict(X), index=X.index)
