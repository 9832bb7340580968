"""The estimator allow-list: which scikit-learn models people may train, with which hyper-parameters.

Nothing a person sends reaches scikit-learn unchecked: every estimator names its classes per
task, and every hyper-parameter its type, range or choices and default. `params_validate`
turns raw input (form strings or JSON values) into typed values, field by field, and
`estimator_build` instantiates the class with exactly those values plus the seed.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

CLASSIFICATION = "classification"
REGRESSION = "regression"
TASKS = (CLASSIFICATION, REGRESSION)
BOTH = TASKS


@dataclass(frozen=True)
class Param:
    """One hyper-parameter a person may set: its type, bounds or choices, and default."""

    name: str
    kind: str  # "int", "float", "choice" or "bool"
    default: Any
    label: str
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False  # e.g. a regularisation strength must be > 0
    choices: tuple[Any, ...] = ()  # for "choice": the allowed values (None allowed when listed)
    nullable: bool = False  # None (an empty field) is allowed and means `null_label`
    null_label: str = ""
    log: bool = False  # random search samples this range on a log scale
    tasks: tuple[str, ...] = BOTH

    def describe_range(self) -> str:
        """The allowed values in words, for help texts and error messages."""
        if self.kind == "choice":
            return "one of " + ", ".join(choice_label(value) for value in self.choices)
        if self.kind == "bool":
            return "true or false"
        low = "" if self.minimum is None else f"{'>' if self.exclusive_minimum else '≥'} {_num(self.minimum)}"
        high = "" if self.maximum is None else f"≤ {_num(self.maximum)}"
        noun = "a whole number" if self.kind == "int" else "a number"
        bounds = " and ".join(part for part in (low, high) if part)
        text = f"{noun} {bounds}".strip()
        if self.nullable:
            text += f", or empty for {self.null_label or 'none'}"
        return text


def _num(value: float) -> str:
    return f"{value:g}"


def choice_label(value: Any) -> str:
    return "none" if value is None else str(value)


@dataclass(frozen=True)
class Estimator:
    """An allowed estimator: its scikit-learn class per task and its allowed hyper-parameters."""

    key: str
    label: str
    classes: dict[str, str]  # task -> "module.Class"
    params: tuple[Param, ...]
    description: str = ""
    fixed: dict[str, dict[str, Any]] = field(default_factory=dict)  # task -> settings people cannot change

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(task for task in TASKS if task in self.classes)

    def params_for(self, task: str) -> tuple[Param, ...]:
        return tuple(param for param in self.params if task in param.tasks)

    def param(self, name: str, task: str) -> Param | None:
        return next((param for param in self.params_for(task) if param.name == name), None)

    def class_path(self, task: str) -> str:
        return self.classes[task]


# --- shared parameter definitions ---------------------------------------------------------


def _max_depth(default: int | None = None, maximum: int = 100) -> Param:
    return Param(
        "max_depth", "int", default, "Maximum depth", "How deep each tree may grow.",
        minimum=1, maximum=maximum, nullable=True, null_label="unlimited",
    )  # fmt: skip


MIN_SAMPLES_SPLIT = Param(
    "min_samples_split", "int", 2, "Minimum samples to split", "Rows a node needs before it may split.",
    minimum=2, maximum=1000,
)  # fmt: skip
MIN_SAMPLES_LEAF = Param(
    "min_samples_leaf", "int", 1, "Minimum samples per leaf", "Rows each leaf must keep.",
    minimum=1, maximum=1000,
)  # fmt: skip
CLASS_WEIGHT = Param(
    "class_weight", "choice", None, "Class weights",
    "“balanced” weighs classes inversely to their frequency (for imbalanced targets).",
    choices=(None, "balanced"), tasks=(CLASSIFICATION,),
)  # fmt: skip
FIT_INTERCEPT = Param("fit_intercept", "bool", True, "Fit an intercept")
N_ESTIMATORS = Param(
    "n_estimators", "int", 100, "Number of trees", minimum=1, maximum=1000,
)  # fmt: skip
LEARNING_RATE = Param(
    "learning_rate", "float", 0.1, "Learning rate", "How much each tree corrects the previous ones.",
    minimum=0.0, maximum=1.0, exclusive_minimum=True, log=True,
)  # fmt: skip
C_PARAM = Param(
    "C", "float", 1.0, "Inverse regularisation (C)", "Smaller values regularise more.",
    minimum=0.0, maximum=1e6, exclusive_minimum=True, log=True,
)  # fmt: skip
ALPHA = Param(
    "alpha", "float", 1.0, "Regularisation strength (alpha)", "Larger values regularise more.",
    minimum=0.0, maximum=1e6, exclusive_minimum=True, log=True,
)  # fmt: skip
MAX_ITER = Param("max_iter", "int", 1000, "Maximum iterations", minimum=10, maximum=100_000)


ESTIMATORS: dict[str, Estimator] = {
    estimator.key: estimator
    for estimator in (
        Estimator(
            "logistic_regression", "Logistic regression",
            {CLASSIFICATION: "sklearn.linear_model.LogisticRegression"},
            (C_PARAM, MAX_ITER, CLASS_WEIGHT, FIT_INTERCEPT),
            "A linear model of the class probabilities; a strong, fast baseline.",
        ),
        Estimator(
            "linear_regression", "Linear regression (least squares)",
            {REGRESSION: "sklearn.linear_model.LinearRegression"},
            (FIT_INTERCEPT,),
            "Ordinary least squares; the baseline for regression.",
        ),
        Estimator(
            "ridge", "Ridge regression",
            {REGRESSION: "sklearn.linear_model.Ridge"},
            (ALPHA, FIT_INTERCEPT),
            "Least squares with an L2 penalty: stable with correlated features.",
        ),
        Estimator(
            "lasso", "Lasso regression",
            {REGRESSION: "sklearn.linear_model.Lasso"},
            (
                Param(
                    "alpha", "float", 0.1, "Regularisation strength (alpha)",
                    "Larger values zero out more features.",
                    minimum=0.0, maximum=1e6, exclusive_minimum=True, log=True,
                ),
                MAX_ITER, FIT_INTERCEPT,
            ),
            "Least squares with an L1 penalty: selects features by zeroing others.",
        ),
        Estimator(
            "elastic_net", "Elastic net regression",
            {REGRESSION: "sklearn.linear_model.ElasticNet"},
            (
                Param(
                    "alpha", "float", 0.1, "Regularisation strength (alpha)",
                    minimum=0.0, maximum=1e6, exclusive_minimum=True, log=True,
                ),
                Param(
                    "l1_ratio", "float", 0.5, "L1 ratio", "0 is a pure L2 penalty, 1 a pure L1 penalty.",
                    minimum=0.0, maximum=1.0,
                ),
                MAX_ITER, FIT_INTERCEPT,
            ),
            "A mix of the ridge and lasso penalties.",
        ),
        Estimator(
            "random_forest", "Random forest",
            {
                CLASSIFICATION: "sklearn.ensemble.RandomForestClassifier",
                REGRESSION: "sklearn.ensemble.RandomForestRegressor",
            },
            (
                N_ESTIMATORS, _max_depth(), MIN_SAMPLES_SPLIT, MIN_SAMPLES_LEAF,
                Param(
                    "max_features", "choice", "sqrt", "Features per split",
                    "How many features each split considers (none: all of them).",
                    choices=("sqrt", "log2", None),
                ),
                Param("bootstrap", "bool", True, "Bootstrap samples"),
                CLASS_WEIGHT,
            ),
            "Many decorrelated trees averaged; robust with little tuning.",
        ),
        Estimator(
            "gradient_boosting", "Gradient boosting",
            {
                CLASSIFICATION: "sklearn.ensemble.GradientBoostingClassifier",
                REGRESSION: "sklearn.ensemble.GradientBoostingRegressor",
            },
            (
                N_ESTIMATORS, LEARNING_RATE, _max_depth(3, maximum=20), MIN_SAMPLES_LEAF,
                Param(
                    "subsample", "float", 1.0, "Row subsample",
                    "Fraction of rows each tree sees (< 1: stochastic).",
                    minimum=0.0, maximum=1.0, exclusive_minimum=True,
                ),
            ),
            "Trees added one after another, each correcting the previous ones.",
        ),
        Estimator(
            "hist_gradient_boosting", "Histogram gradient boosting",
            {
                CLASSIFICATION: "sklearn.ensemble.HistGradientBoostingClassifier",
                REGRESSION: "sklearn.ensemble.HistGradientBoostingRegressor",
            },
            (
                Param("max_iter", "int", 100, "Boosting iterations", minimum=1, maximum=1000),
                LEARNING_RATE,
                _max_depth(None, maximum=50),
                Param("max_leaf_nodes", "int", 31, "Maximum leaves per tree", minimum=2, maximum=1024),
                Param("min_samples_leaf", "int", 20, "Minimum samples per leaf", minimum=1, maximum=10_000),
                Param(
                    "l2_regularization", "float", 0.0, "L2 regularisation", minimum=0.0, maximum=1e4,
                ),
                CLASS_WEIGHT,
            ),
            "Fast gradient boosting on binned features; the best choice for larger tables.",
            fixed={CLASSIFICATION: {"early_stopping": False}, REGRESSION: {"early_stopping": False}},
        ),
        Estimator(
            "k_neighbors", "k-nearest neighbours",
            {
                CLASSIFICATION: "sklearn.neighbors.KNeighborsClassifier",
                REGRESSION: "sklearn.neighbors.KNeighborsRegressor",
            },
            (
                Param("n_neighbors", "int", 5, "Neighbours", minimum=1, maximum=500),
                Param(
                    "weights", "choice", "uniform", "Weights",
                    "“distance” lets nearer neighbours count more.", choices=("uniform", "distance"),
                ),
                Param(
                    "p", "int", 2, "Minkowski power", "1 is Manhattan distance, 2 Euclidean.",
                    minimum=1, maximum=2,
                ),
            ),
            "Predicts from the most similar training rows.",
        ),
        Estimator(
            "decision_tree", "Decision tree",
            {
                CLASSIFICATION: "sklearn.tree.DecisionTreeClassifier",
                REGRESSION: "sklearn.tree.DecisionTreeRegressor",
            },
            (_max_depth(), MIN_SAMPLES_SPLIT, MIN_SAMPLES_LEAF, CLASS_WEIGHT),
            "One tree of if/else rules; easy to read, prone to overfit.",
        ),
        Estimator(
            "svm", "Support vector machine (kernel)",
            {CLASSIFICATION: "sklearn.svm.SVC", REGRESSION: "sklearn.svm.SVR"},
            (
                C_PARAM,
                Param("kernel", "choice", "rbf", "Kernel", choices=("rbf", "linear", "poly", "sigmoid")),
                Param("gamma", "choice", "scale", "Kernel coefficient (gamma)", choices=("scale", "auto")),
                Param(
                    "degree", "int", 3, "Polynomial degree", "Used by the poly kernel only.",
                    minimum=1, maximum=10,
                ),
                Param(
                    "epsilon", "float", 0.1, "Epsilon", "Width of the no-penalty tube.",
                    minimum=0.0, maximum=1e4, tasks=(REGRESSION,),
                ),
                CLASS_WEIGHT,
            ),
            "A kernel SVM; strong on small and medium tables, slow beyond tens of thousands of rows.",
        ),
        Estimator(
            "linear_svm", "Linear support vector machine",
            {CLASSIFICATION: "sklearn.svm.LinearSVC", REGRESSION: "sklearn.svm.LinearSVR"},
            (
                C_PARAM,
                Param("max_iter", "int", 2000, "Maximum iterations", minimum=10, maximum=100_000),
                CLASS_WEIGHT,
            ),
            "A linear SVM; scales to many rows and features.",
        ),
    )
}  # fmt: skip


def estimator_choices(task: str | None = None) -> list[tuple[str, str]]:
    """(key, label) of the estimators available for `task` (all of them when None)."""
    return [
        (estimator.key, estimator.label)
        for estimator in ESTIMATORS.values()
        if task is None or task in estimator.classes
    ]


def params_in_declared_order(values: dict[str, Any], estimator: Estimator | None) -> dict[str, Any]:
    """Hyper-parameter values in the estimator's order, then any others by name (PostgreSQL's
    jsonb keeps no key order, so a stored spec comes back in its own)."""
    rank = {param.name: index for index, param in enumerate(estimator.params)} if estimator else {}
    return dict(sorted(values.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0])))


def estimator_get(key: str) -> Estimator:
    """The allowed estimator named `key`; KeyError when it is not on the allow-list."""
    return ESTIMATORS[key]


# --- validation -------------------------------------------------------------------------------


class ParamError(ValueError):
    """A hyper-parameter value outside its type or range; the message is meant for people."""


def param_value(param: Param, raw: Any) -> Any:
    """One typed, range-checked value for `param` from form text or a JSON value."""
    if isinstance(raw, str):
        raw = raw.strip()
    if raw is None or raw == "" or (isinstance(raw, str) and raw.lower() in ("none", "null")):
        if param.nullable or (param.kind == "choice" and None in param.choices):
            return None
        if raw is None or raw == "":
            raise ParamError("This hyper-parameter needs a value: " + param.describe_range() + ".")
    if param.kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
            return raw.lower() in ("true", "1", "yes", "on")
        raise ParamError("Enter true or false.")
    if param.kind == "choice":
        for choice in param.choices:
            if raw == choice or (choice is not None and isinstance(raw, str) and raw == str(choice)):
                return choice
        raise ParamError(f"Choose {param.describe_range()}.")
    if isinstance(raw, bool):
        raise ParamError(f"Enter {param.describe_range()}.")
    try:
        number = float(raw) if not isinstance(raw, int | float) else raw
    except (TypeError, ValueError):
        raise ParamError(f"Enter {param.describe_range()}.") from None
    if isinstance(number, float) and not math.isfinite(number):
        raise ParamError(f"Enter a finite number: {param.describe_range()}.")
    if param.kind == "int":
        if float(number) != int(number):
            raise ParamError(f"Enter a whole number: {param.describe_range()}.")
        number = int(number)
    else:
        number = float(number)
    too_low = param.minimum is not None and (
        number <= param.minimum if param.exclusive_minimum else number < param.minimum
    )
    too_high = param.maximum is not None and number > param.maximum
    if too_low or too_high:
        raise ParamError(f"Out of range: enter {param.describe_range()}.")
    return number


def params_validate(estimator: Estimator, task: str, raw: dict[str, Any] | None) -> dict[str, Any]:
    """Typed values for every hyper-parameter of `estimator` on `task` (defaults where none given).

    Raises `ParamsInvalid` with one message per offending name; names the estimator does not
    accept are refused, never passed on.
    """
    raw = dict(raw or {})
    allowed = {param.name: param for param in estimator.params_for(task)}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in raw:
        if name not in allowed:
            accepted = ", ".join(allowed) or "none"
            errors[str(name)[:60]] = (
                f"{estimator.label} does not take a hyper-parameter named “{str(name)[:60]}” "
                f"for {task} (it takes: {accepted})."
            )
    for name, param in allowed.items():
        if name not in raw:
            values[name] = param.default
            continue
        try:
            values[name] = param_value(param, raw[name])
        except ParamError as error:
            errors[name] = str(error)
    if errors:
        raise ParamsInvalid(errors)
    return values


class ParamsInvalid(ValueError):  # noqa: N818 - reads as the condition it names
    """Hyper-parameters that failed validation: {name: message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


def estimator_build(estimator: Estimator, task: str, params: dict[str, Any], *, seed: int | None):
    """An unfitted estimator with exactly the validated `params` (and the seed, if it takes one)."""
    module_name, _, class_name = estimator.class_path(task).rpartition(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    allowed = {param.name for param in estimator.params_for(task)}
    unknown = set(params) - allowed
    if unknown:  # validated input never gets here; a guard against programming mistakes
        raise ParamsInvalid(dict.fromkeys(sorted(unknown), "not on the allow-list"))
    settings = {**estimator.fixed.get(task, {}), **params}
    instance = cls(**settings)
    if seed is not None and "random_state" in instance.get_params():
        instance.set_params(random_state=seed)
    return instance


def estimators_for_columns(tasks: Iterable[str]) -> list[Estimator]:
    """The estimators that fit at least one of `tasks`."""
    wanted = set(tasks)
    return [estimator for estimator in ESTIMATORS.values() if wanted & set(estimator.classes)]
