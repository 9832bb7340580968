"""The training spec: what to train on which data, validated and JSON-serialisable.

A spec is a plain dict (stored on the Job's params and, flattened, as the run's params):

    {
      "dataset_version": 12,                 # catalog DatasetVersion id
      "experiment": 3,                       # Experiment id the run is recorded in
      "target": "species",
      "features": ["sepal_length", ...],     # empty: every other column
      "task": "auto",                        # "classification", "regression" or "auto" (from the target)
      "estimator": "random_forest",          # a key of estimators.ESTIMATORS
      "params": {"n_estimators": 200},       # validated against that estimator's allow-list
      "search": null,                        # or {"method": "grid"|"random", "space": {...},
                                             #     "n_iter": 10, "folds": 3}
      "validation": {"method": "holdout", "test_size": 0.2},   # or {"method": "kfold", "folds": 5}
      "seed": 42,
      "max_rows": 100000,                    # read at most this many rows of the version
      "run_name": ""
    }

`spec_clean` checks the shape and every value (no database access) and returns the cleaned
dict or raises `SpecInvalid` with DRF-style errors ({"field": ["message"], "params": {...}}).
`spec_check_columns` checks the column choices against a version's columns.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from django.conf import settings

from apps.experiments.training.estimators import (
    CLASSIFICATION,
    ESTIMATORS,
    REGRESSION,
    Estimator,
    ParamError,
    ParamsInvalid,
    param_value,
    params_validate,
)

AUTO = "auto"
TASK_CHOICES = (AUTO, CLASSIFICATION, REGRESSION)
HOLDOUT = "holdout"
KFOLD = "kfold"
GRID = "grid"
RANDOM = "random"
SEED_MAX = 2**32 - 1  # numpy's RandomState accepts seeds below 2**32
TEST_SIZE_RANGE = (0.05, 0.5)
FOLDS_RANGE = (2, 10)
DEFAULT_TEST_SIZE = 0.2
DEFAULT_FOLDS = 5
DEFAULT_SEARCH_FOLDS = 3
MAX_FEATURES = 500
MAX_CHOICES_PER_PARAM = 20


class SpecInvalid(ValueError):  # noqa: N818 - reads as the condition it names
    """A spec that failed validation; `errors` maps fields to messages (nested for params/search)."""

    def __init__(self, errors: dict[str, Any]):
        self.errors = errors
        super().__init__(spec_errors_text(errors))


def spec_errors_text(errors: dict[str, Any], prefix: str = "") -> str:
    """The errors as one sentence per field, for job and run messages."""
    parts: list[str] = []
    for field, value in errors.items():
        name = f"{prefix}{field}"
        if isinstance(value, dict):
            parts.append(spec_errors_text(value, prefix=f"{name}."))
        else:
            messages = value if isinstance(value, list | tuple) else [value]
            parts.append(f"{name}: {' '.join(str(message) for message in messages)}")
    return " ".join(parts)


def max_candidates() -> int:
    return int(getattr(settings, "TRAINING_MAX_CANDIDATES", 50))


def max_rows_limit() -> int:
    return int(getattr(settings, "TRAINING_MAX_ROWS", 200_000))


def _int(value: Any, *, low: int, high: int, what: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"Enter {what} from {low} to {high}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"Enter {what} from {low} to {high}.") from None
    if not math.isfinite(number) or number != int(number) or not low <= int(number) <= high:
        raise ValueError(f"Enter {what} from {low} to {high}.")
    return int(number)


def _id(value: Any, what: str) -> int:
    return _int(value, low=1, high=2**63 - 1, what=f"the {what}'s id (a whole number)")


def _text_list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        raise ValueError("Give a list of column names.")
    names = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ValueError("Each column name must be non-empty text.")
        names.append(item.strip())
    return names


def spec_clean(data: Any) -> dict[str, Any]:
    """The validated spec (defaults filled in), or SpecInvalid with an error per field."""
    if not isinstance(data, dict):
        raise SpecInvalid({"non_field_errors": ["The training spec must be an object."]})
    errors: dict[str, Any] = {}
    spec: dict[str, Any] = {}

    for field, what in (("dataset_version", "dataset version"), ("experiment", "experiment")):
        if data.get(field) in (None, ""):
            errors[field] = ["This field is required."]
            continue
        try:
            spec[field] = _id(data[field], what)
        except ValueError as error:
            errors[field] = [str(error)]

    target = data.get("target")
    if not isinstance(target, str) or not target.strip():
        errors["target"] = ["Choose the target column (the value to predict)."]
    else:
        spec["target"] = target.strip()
    try:
        features = _text_list(data.get("features"))
        if len(features) != len(set(features)):
            raise ValueError("A feature column is listed twice.")
        if len(features) > MAX_FEATURES:
            raise ValueError(f"Choose at most {MAX_FEATURES} feature columns.")
        if spec.get("target") in features:
            raise ValueError(f"The target column {spec['target']} cannot also be a feature.")
        spec["features"] = features
    except ValueError as error:
        errors["features"] = [str(error)]

    task = data.get("task") or AUTO
    if task not in TASK_CHOICES:
        errors["task"] = ["Choose classification, regression or auto (inferred from the target)."]
        task = AUTO

    estimator_key = data.get("estimator")
    estimator = ESTIMATORS.get(estimator_key) if isinstance(estimator_key, str) else None
    if estimator is None:
        allowed = ", ".join(ESTIMATORS)
        errors["estimator"] = [f"Choose an estimator from the allow-list: {allowed}."]
    else:
        spec["estimator"] = estimator.key
        if task != AUTO and task not in estimator.classes:
            errors["estimator"] = [f"{estimator.label} does not do {task}; choose another estimator or task."]
        elif task == AUTO and len(estimator.tasks) == 1:
            task = estimator.tasks[0]  # the estimator decides: logistic regression only classifies
    spec["task"] = task

    if estimator is not None and "estimator" not in errors:
        raw_params = data.get("params") or {}
        if not isinstance(raw_params, dict):
            errors["params"] = {"non_field_errors": ["Hyper-parameters must be an object of name: value."]}
        else:
            try:
                spec["params"] = params_clean(estimator, task, raw_params)
            except ParamsInvalid as error:
                errors["params"] = {name: [message] for name, message in error.errors.items()}
        try:
            spec["search"] = search_clean(estimator, task, data.get("search"))
        except SpecInvalid as error:
            errors["search"] = error.errors

    if spec.get("search") and isinstance(spec.get("params"), dict):
        # What the search varies is not a fixed value (the candidates fill it in).
        spec["params"] = {
            name: value for name, value in spec["params"].items() if name not in spec["search"]["space"]
        }

    try:
        spec["validation"] = validation_clean(data.get("validation"))
    except SpecInvalid as error:
        errors["validation"] = error.errors

    seed = data.get("seed")
    try:
        spec["seed"] = _int(seed, low=0, high=SEED_MAX, what="a seed") if seed not in (None, "") else None
    except ValueError as error:
        errors["seed"] = [str(error)]

    limit = max_rows_limit()
    try:
        rows = data.get("max_rows")
        spec["max_rows"] = limit if rows in (None, "") else _int(rows, low=10, high=limit, what="a row limit")
    except ValueError as error:
        errors["max_rows"] = [str(error)]

    name = data.get("run_name") or ""
    if not isinstance(name, str) or len(name) > 200:
        errors["run_name"] = ["Enter a run name of at most 200 characters."]
    else:
        spec["run_name"] = name.strip()

    if errors:
        raise SpecInvalid(errors)
    return spec


def params_clean(estimator: Estimator, task: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Typed hyper-parameters; with the task still `auto`, those of either task are accepted."""
    if task != AUTO:
        return params_validate(estimator, task, raw)
    # Accept what either task takes; the job validates again once the task is known.
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for candidate in estimator.tasks:
        relevant = {name: value for name, value in raw.items() if estimator.param(name, candidate)}
        try:
            values.update(params_validate(estimator, candidate, relevant))
        except ParamsInvalid as error:
            errors.update(error.errors)
    for name in raw:
        if not any(estimator.param(name, candidate) for candidate in estimator.tasks):
            errors[str(name)[:60]] = (
                f"{estimator.label} does not take a hyper-parameter named “{str(name)[:60]}”."
            )
    if errors:
        raise ParamsInvalid(errors)
    # Keep only what was given plus defaults common to both tasks; the job fills the rest.
    return {name: value for name, value in values.items() if name in raw or _common(estimator, name)}


def _common(estimator: Estimator, name: str) -> bool:
    return all(estimator.param(name, task) for task in estimator.tasks)


def params_resolve(estimator: Estimator, task: str, params: dict[str, Any]) -> dict[str, Any]:
    """The effective hyper-parameters once the task is known (raises ParamsInvalid for the other task's)."""
    return params_validate(estimator, task, params)


def search_clean(estimator: Estimator, task: str, raw: Any) -> dict[str, Any] | None:
    """A bounded grid or random search over allowed hyper-parameters, or None."""
    if raw in (None, "", {}):
        return None
    if not isinstance(raw, dict):
        raise SpecInvalid({"non_field_errors": ["The search must be an object (method, space …)."]})
    errors: dict[str, Any] = {}
    method = raw.get("method")
    if method not in (GRID, RANDOM):
        errors["method"] = ["Choose grid or random."]
    space_raw = raw.get("space")
    space: dict[str, Any] = {}
    if not isinstance(space_raw, dict) or not space_raw:
        errors["space"] = ["Give at least one hyper-parameter to search, with the values to try."]
    else:
        space_errors: dict[str, list[str]] = {}
        for name, values in space_raw.items():
            param = _search_param(estimator, task, name)
            if param is None:
                space_errors[str(name)[:60]] = [
                    f"{estimator.label} does not take a hyper-parameter named “{name}”."
                ]
                continue
            try:
                space[name] = _space_values(param, values, random=method == RANDOM)
            except ParamError as error:
                space_errors[name] = [str(error)]
        if space_errors:
            errors["space"] = space_errors
    limit = max_candidates()
    n_iter = None
    if method == RANDOM:
        try:
            n_iter = _int(raw.get("n_iter", 10), low=1, high=limit, what="the number of candidates")
        except ValueError as error:
            errors["n_iter"] = [str(error)]
    try:
        folds = _int(
            raw.get("folds", DEFAULT_SEARCH_FOLDS), low=FOLDS_RANGE[0], high=FOLDS_RANGE[1], what="folds"
        )
    except ValueError as error:
        errors["folds"] = [str(error)]
        folds = DEFAULT_SEARCH_FOLDS
    if method == GRID and space and "space" not in errors:
        count = math.prod(len(values) for values in space.values())
        if count > limit:
            errors["space"] = [
                f"This grid has {count} candidates; the limit is {limit}. "
                "Try fewer values, or a random search."
            ]
    if errors:
        raise SpecInvalid(errors)
    cleaned: dict[str, Any] = {"method": method, "space": space, "folds": folds}
    if n_iter is not None:
        cleaned["n_iter"] = n_iter
    return cleaned


def _search_param(estimator: Estimator, task: str, name: Any):
    if not isinstance(name, str):
        return None
    tasks = estimator.tasks if task == AUTO else (task,)
    return next((param for candidate in tasks if (param := estimator.param(name, candidate))), None)


def _space_values(param, values: Any, *, random: bool) -> Any:
    """A list of allowed values, or (random search only) a {"min", "max"} range of a numeric parameter."""
    if isinstance(values, dict):
        if not random or param.kind not in ("int", "float"):
            raise ParamError("A range (min, max) is only for numeric hyper-parameters in a random search.")
        low = param_value(param, values.get("min"))
        high = param_value(param, values.get("max"))
        if low is None or high is None or low >= high:
            raise ParamError("Give a range with min below max.")
        return {"min": low, "max": high, "log": bool(param.log and low > 0)}
    if isinstance(values, str):
        values = list(values.split(","))
    if not isinstance(values, list | tuple) or not values:
        raise ParamError("Give a list of values to try.")
    if len(values) > MAX_CHOICES_PER_PARAM:
        raise ParamError(f"Give at most {MAX_CHOICES_PER_PARAM} values.")
    cleaned = []
    for value in values:
        typed = param_value(param, value)
        if typed not in cleaned:
            cleaned.append(typed)
    return cleaned


def validation_clean(raw: Any) -> dict[str, Any]:
    """Holdout (test fraction) or k-fold (number of folds)."""
    if raw in (None, "", {}):
        return {"method": HOLDOUT, "test_size": DEFAULT_TEST_SIZE}
    if not isinstance(raw, dict):
        raise SpecInvalid({"non_field_errors": ["The validation must be an object (method, …)."]})
    method = raw.get("method", HOLDOUT)
    if method == HOLDOUT:
        value = raw.get("test_size", DEFAULT_TEST_SIZE)
        low, high = TEST_SIZE_RANGE
        try:
            fraction = float(value)
            if isinstance(value, bool) or not math.isfinite(fraction) or not low <= fraction <= high:
                raise ValueError
        except (TypeError, ValueError):
            raise SpecInvalid(
                {"test_size": [f"Enter the held-out fraction from {low} to {high} (e.g. 0.2 for 20%)."]}
            ) from None
        return {"method": HOLDOUT, "test_size": fraction}
    if method == KFOLD:
        try:
            folds = _int(
                raw.get("folds", DEFAULT_FOLDS), low=FOLDS_RANGE[0], high=FOLDS_RANGE[1], what="folds"
            )
        except ValueError as error:
            raise SpecInvalid({"folds": [str(error)]}) from None
        return {"method": KFOLD, "folds": folds}
    raise SpecInvalid({"method": ["Choose holdout or kfold."]})


def spec_check_columns(spec: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """The spec with its features filled in, checked against the version's column names."""
    errors: dict[str, list[str]] = {}
    available = list(columns)
    if spec["target"] not in available:
        errors["target"] = [f"This dataset version has no column named {spec['target']}."]
    missing = [name for name in spec["features"] if name not in available]
    if missing:
        errors["features"] = [f"This dataset version has no column named {', '.join(missing[:5])}."]
    if errors:
        raise SpecInvalid(errors)
    features = spec["features"] or [name for name in available if name != spec["target"]]
    if not features:
        raise SpecInvalid({"features": ["Choose at least one feature column besides the target."]})
    return {**spec, "features": features}


def search_candidates(search: dict[str, Any]) -> int:
    """How many candidates the search tries."""
    if search["method"] == RANDOM:
        return int(search["n_iter"])
    return math.prod(len(values) for values in search["space"].values())


def grid_points(space: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of a grid, in a stable order."""
    names = sorted(space)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(space[n] for n in names))]
