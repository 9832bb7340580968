"""Metrics for one set of predictions, and feature importances: pure functions over arrays.

Classification: accuracy, balanced accuracy, F1, precision and recall (the positive class's for
two classes, the unweighted mean over classes — "macro" — for more), ROC AUC (from probabilities,
or from the decision function for two classes; one-vs-rest macro for more classes, which needs
probabilities), the confusion matrix. Regression: RMSE, MAE, R², residuals.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn import metrics as sk_metrics

from apps.experiments.training.estimators import CLASSIFICATION

CLASSIFICATION_METRICS = ("accuracy", "balanced_accuracy", "f1", "precision", "recall", "roc_auc")
REGRESSION_METRICS = ("rmse", "mae", "r2")
# What a search maximises, per task (a scikit-learn scorer name).
SEARCH_SCORING = {CLASSIFICATION: "f1_macro", "regression": "neg_root_mean_squared_error"}
SEARCH_SCORING_LABEL = {CLASSIFICATION: "macro F1", "regression": "negative RMSE"}


def averaging(classes: list[Any]) -> str:
    """'binary' for two classes (scores of the positive, second class), 'macro' for more."""
    return "binary" if len(classes) == 2 else "macro"


def class_scores(model, X) -> tuple[np.ndarray | None, str]:
    """Scores for ROC AUC: class probabilities when the model has them, else its decision function."""
    if hasattr(model, "predict_proba"):
        try:
            return np.asarray(model.predict_proba(X)), "proba"
        except AttributeError:  # e.g. a meta-estimator whose final step lacks predict_proba
            pass
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X)), "decision"
    return None, ""


def classification_metrics(
    y_true, y_pred, *, classes: list[Any], scores: np.ndarray | None, score_kind: str
) -> dict[str, float]:
    """Accuracy, balanced accuracy, F1, precision, recall and (when scores allow it) ROC AUC."""
    average = averaging(classes)
    extra: dict[str, Any] = {"average": average, "zero_division": 0}
    if average == "binary":
        extra["pos_label"] = classes[1]
        extra["labels"] = classes
    else:
        extra["labels"] = classes
    values = {
        "accuracy": sk_metrics.accuracy_score(y_true, y_pred),
        "balanced_accuracy": sk_metrics.balanced_accuracy_score(y_true, y_pred),
        "f1": sk_metrics.f1_score(y_true, y_pred, **extra),
        "precision": sk_metrics.precision_score(y_true, y_pred, **extra),
        "recall": sk_metrics.recall_score(y_true, y_pred, **extra),
    }
    auc = roc_auc(y_true, scores, classes=classes, score_kind=score_kind)
    if auc is not None:
        values["roc_auc"] = auc
    return {key: float(value) for key, value in values.items()}


def roc_auc(y_true, scores: np.ndarray | None, *, classes: list[Any], score_kind: str) -> float | None:
    """ROC AUC, or None when it is undefined (one class present) or the scores do not allow it."""
    if scores is None:
        return None
    present = set(np.asarray(y_true).tolist())
    if len(present) < 2:
        return None
    try:
        if len(classes) == 2:
            positive = scores[:, 1] if scores.ndim == 2 else scores
            return float(sk_metrics.roc_auc_score(np.asarray(y_true) == classes[1], positive))
        if score_kind != "proba" or len(present) < len(classes):
            return None  # one-vs-rest needs probabilities and every class in the evaluated rows
        return float(
            sk_metrics.roc_auc_score(y_true, scores, multi_class="ovr", average="macro", labels=classes)
        )
    except ValueError:
        return None


def roc_points(y_true, scores: np.ndarray | None, *, classes: list[Any]) -> dict[str, list[float]] | None:
    """The ROC curve of a two-class problem (false/true positive rates), or None."""
    if scores is None or len(classes) != 2 or len(set(np.asarray(y_true).tolist())) < 2:
        return None
    positive = scores[:, 1] if scores.ndim == 2 else scores
    fpr, tpr, _thresholds = sk_metrics.roc_curve(np.asarray(y_true) == classes[1], positive)
    return {"fpr": [float(v) for v in fpr], "tpr": [float(v) for v in tpr]}


def confusion(y_true, y_pred, *, classes: list[Any]) -> dict[str, Any]:
    """The confusion matrix: rows are true classes, columns predicted ones, in `classes` order."""
    matrix = sk_metrics.confusion_matrix(y_true, y_pred, labels=classes)
    return {"labels": [str(label) for label in classes], "matrix": matrix.astype(int).tolist()}


def regression_metrics(y_true, y_pred) -> dict[str, float]:
    """RMSE, MAE and R² (R² is undefined on fewer than two rows)."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    values = {
        "rmse": math.sqrt(sk_metrics.mean_squared_error(y_true, y_pred)),
        "mae": sk_metrics.mean_absolute_error(y_true, y_pred),
    }
    if len(y_true) >= 2:
        values["r2"] = sk_metrics.r2_score(y_true, y_pred)
    return {key: float(value) for key, value in values.items()}


def residuals(y_true, y_pred, *, limit: int, seed: int) -> dict[str, list[float]]:
    """Predicted values, actual values and residuals (actual − predicted), at most `limit` points."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    index = np.arange(len(y_true))
    if len(index) > limit:
        index = np.sort(np.random.default_rng(seed).choice(index, size=limit, replace=False))
    return {
        "predicted": [float(v) for v in y_pred[index]],
        "actual": [float(v) for v in y_true[index]],
        "residual": [float(v) for v in (y_true - y_pred)[index]],
    }


def summarise_folds(folds: list[dict[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
    """Mean and standard deviation of each metric over folds (a metric missing in a fold is skipped there)."""
    keys = sorted({key for fold in folds for key in fold})
    means: dict[str, float] = {}
    stds: dict[str, float] = {}
    for key in keys:
        values = [fold[key] for fold in folds if key in fold and math.isfinite(fold[key])]
        if values:
            means[key] = float(np.mean(values))
            stds[key] = float(np.std(values))
    return means, stds


# --- feature importances ----------------------------------------------------------------------


def native_importances(pipeline, *, features: list[str]) -> dict[str, float] | None:
    """Importances the fitted estimator knows (trees: impurity; linear: |coefficient|), per input column.

    One-hot columns add up to their source column; None when the estimator has neither.
    """
    model = pipeline.named_steps["model"]
    if hasattr(model, "feature_importances_"):
        raw = np.asarray(model.feature_importances_, dtype=float)
    elif hasattr(model, "coef_"):
        coef = np.asarray(model.coef_, dtype=float)
        raw = np.abs(coef) if coef.ndim == 1 else np.abs(coef).mean(axis=0)
    else:
        return None
    try:
        names = list(pipeline.named_steps["preprocess"].get_feature_names_out())
    except (AttributeError, ValueError):
        return None
    if len(names) != len(raw):
        return None
    totals = dict.fromkeys(features, 0.0)
    for name, value in zip(names, raw, strict=True):
        totals[source_column(name, features)] += float(value)
    return totals


def source_column(transformed: str, features: list[str]) -> str:
    """The input column a transformed feature came from ("cat__colour_red" → "colour")."""
    _prefix, _sep, rest = transformed.partition("__")
    rest = rest or transformed
    if rest in features:
        return rest
    # One-hot names are "<column>_<category>"; the longest matching column wins ("a_b" over "a").
    candidates = [name for name in features if rest.startswith(f"{name}_")]
    return max(candidates, key=len) if candidates else rest


def permutation_importances(
    pipeline, X, y, *, scoring: str, seed: int, repeats: int = 5, limit: int = 1000
) -> dict[str, float]:
    """Mean drop of the score when each input column is shuffled (on at most `limit` rows)."""
    from sklearn.inspection import permutation_importance

    if len(X) > limit:
        index = np.sort(np.random.default_rng(seed).choice(np.arange(len(X)), size=limit, replace=False))
        X, y = X.iloc[index], y.iloc[index]
    result = permutation_importance(
        pipeline, X, y, scoring=scoring, n_repeats=repeats, random_state=seed, n_jobs=1
    )
    return {name: float(value) for name, value in zip(X.columns, result.importances_mean, strict=True)}
