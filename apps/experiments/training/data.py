"""From a DataFrame to model inputs: column kinds, the task from the target, and every data check.

Pure functions over pandas (no database): the job reads the version through the catalog
(`apps.catalog.selectors.profiling.version_frame`) and hands the frame here. Every refusal is a
`DataError` whose message names the column and says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from apps.experiments.training.estimators import CLASSIFICATION, REGRESSION
from apps.experiments.training.spec import AUTO, KFOLD

NUMERIC = "numeric"
CATEGORICAL = "categorical"
MIN_ROWS = 10
# A text column with more distinct values than this looks like an identifier or free text:
# one-hot encoding it would add thousands of columns and learn nothing that generalises.
MAX_CATEGORIES = 100
# One-hot keeps the most frequent categories and groups the rest as "infrequent".
ONE_HOT_MAX_CATEGORIES = 20
# A whole-number target with at most this many distinct values is read as classes.
CLASS_LIKE_MAX_DISTINCT = 20


class DataError(ValueError):
    """The data cannot be trained on as asked; the message is meant for people as is."""


@dataclass
class PreparedData:
    """Features, target and what was learnt about them on the way."""

    X: pd.DataFrame
    y: pd.Series
    task: str
    numeric: list[str]
    categorical: list[str]
    classes: list[Any] = field(default_factory=list)
    dropped_missing_target: int = 0
    signature: list[dict[str, Any]] = field(default_factory=list)  # name, type, kind per feature


def _is_bool(series: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(series):
        return True
    if series.dtype == object:
        values = series.dropna()
        return len(values) > 0 and all(isinstance(value, bool | np.bool_) for value in values)
    return False


def _is_text(series: pd.Series) -> bool:
    if pd.api.types.is_string_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype):
        values = series.dropna()
        return all(isinstance(value, str) for value in values.head(1000))
    return False


def column_kind(series: pd.Series) -> str:
    """numeric, categorical, or a reason the column cannot be a feature ("datetime", "other")."""
    if _is_bool(series):
        return NUMERIC
    if pd.api.types.is_numeric_dtype(series):
        return NUMERIC
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
        return "datetime"
    if _is_text(series):
        return CATEGORICAL
    values = series.dropna()
    if len(values) and all(isinstance(value, str) for value in values.head(1000)):
        return CATEGORICAL
    if len(values) and all(hasattr(value, "isoformat") for value in values.head(1000)):
        return "datetime"
    return "other"


def mlflow_type(series: pd.Series) -> str:
    """The column's type in MLflow's signature vocabulary."""
    if _is_bool(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "long"
    if pd.api.types.is_float_dtype(series):
        return "double"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    return "string"


def task_infer(y: pd.Series) -> str:
    """Classification for text, booleans and whole numbers with few distinct values; else regression."""
    values = y.dropna()
    if _is_bool(values) or not pd.api.types.is_numeric_dtype(values):
        return CLASSIFICATION
    numbers = values.astype(float)
    whole = bool(np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)))
    if whole and values.nunique() <= CLASS_LIKE_MAX_DISTINCT:
        return CLASSIFICATION
    return REGRESSION


def frame_prepare(
    frame: pd.DataFrame, *, target: str, features: list[str], task: str, validation: dict[str, Any]
) -> PreparedData:
    """Checked features and target: column kinds, rows without a target dropped, enough rows and classes."""
    if target not in frame.columns:
        raise DataError(
            f"The target column {target} is not in this dataset version; choose one of its columns "
            f"({', '.join(map(str, list(frame.columns)[:8]))}{' …' if len(frame.columns) > 8 else ''})."
        )
    missing = [name for name in features if name not in frame.columns]
    if missing:
        raise DataError(f"The feature column{'s' if len(missing) > 1 else ''} {', '.join(missing[:5])} "
                        f"{'are' if len(missing) > 1 else 'is'} not in this dataset version.")  # fmt: skip
    if target in features:
        raise DataError(f"The target column {target} cannot also be a feature.")

    present = frame[target].notna()
    dropped = int((~present).sum())
    data = frame.loc[present, [*features, target]].reset_index(drop=True)
    y = data[target]
    if len(data) == 0:
        raise DataError(f"The target column {target} has no values: every row is empty there.")

    if task == AUTO:
        task = task_infer(y)
    if task == REGRESSION:
        if _is_bool(y) or not pd.api.types.is_numeric_dtype(y):
            raise DataError(
                f"The target column {target} holds text, not numbers; regression needs a numeric "
                "target. Choose classification instead."
            )
        y = y.astype(float)
        if not np.all(np.isfinite(y.to_numpy())):
            raise DataError(f"The target column {target} holds infinite values; regression cannot use them.")
    else:
        if _is_bool(y):
            y = y.astype(bool)
        elif pd.api.types.is_float_dtype(y) and np.all(y == np.round(y)):
            y = y.astype(np.int64)  # 0.0/1.0 read from a file with missing values elsewhere
        elif not pd.api.types.is_numeric_dtype(y):
            y = y.astype(str)

    numeric: list[str] = []
    categorical: list[str] = []
    signature: list[dict[str, Any]] = []
    X = data[features].copy()
    for name in features:
        series = X[name]
        kind = column_kind(series)
        if kind == "datetime":
            raise DataError(
                f"The feature {name} holds dates or times, which Atrium cannot encode as a feature; "
                "leave it out, or add numeric columns derived from it (year, day of week …) to the dataset."
            )
        if kind == "other":
            raise DataError(
                f"The feature {name} holds values that are neither numbers nor text (e.g. lists or "
                "binary data), which Atrium cannot encode; leave it out."
            )
        if kind == CATEGORICAL:
            distinct = int(series.nunique(dropna=True))
            if distinct > MAX_CATEGORIES:
                raise DataError(
                    f"The feature {name} is text with {distinct} distinct values (the limit is "
                    f"{MAX_CATEGORIES}); it looks like an identifier or free text that one-hot encoding "
                    "cannot use. Leave it out."
                )
            X[name] = series.astype(object).where(series.notna(), np.nan)
            categorical.append(name)
        else:
            if _is_bool(series):
                X[name] = series.astype(float)
            numeric.append(name)
            if series.notna().sum() == 0:
                raise DataError(f"The feature {name} has no values at all; leave it out.")
        signature.append({"name": name, "type": mlflow_type(series), "kind": kind})

    rows = len(X)
    if rows < MIN_ROWS:
        raise DataError(
            f"Only {rows} row{'s' if rows != 1 else ''} with a target value: "
            f"training needs at least {MIN_ROWS}."
        )
    folds = int(validation.get("folds") or 0) if validation.get("method") == KFOLD else 0
    if folds and rows < folds * 2:
        raise DataError(f"{rows} rows are too few for {folds}-fold cross-validation; use fewer folds.")

    classes: list[Any] = []
    if task == CLASSIFICATION:
        counts = y.value_counts()
        if len(counts) < 2:
            only = counts.index[0] if len(counts) else "?"
            raise DataError(
                f"The target column {target} has a single class ({only}); classification needs at least two."
            )
        if len(counts) > 1000:
            raise DataError(
                f"The target column {target} has {len(counts)} classes; is it continuous? Choose regression."
            )
        smallest = counts.idxmin()
        needed = folds if folds else 2
        if counts.min() < needed:
            raise DataError(
                f"The class {smallest} of {target} has only {int(counts.min())} row"
                f"{'s' if counts.min() != 1 else ''}; every class needs at least {needed} "
                f"for a stratified {'split into ' + str(folds) + ' folds' if folds else 'hold-out split'}."
            )
        classes = sorted(counts.index.tolist(), key=_sort_key)
    return PreparedData(
        X=X,
        y=y.reset_index(drop=True),
        task=task,
        numeric=numeric,
        categorical=categorical,
        classes=classes,
        dropped_missing_target=dropped,
        signature=signature,
    )


def _sort_key(value: Any):
    return (0, value) if isinstance(value, int | float | np.integer | np.floating) else (1, str(value))
