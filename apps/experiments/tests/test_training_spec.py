"""The training spec: defaults, every field's validation message, bounded searches, column checks."""

from __future__ import annotations

import pytest

from apps.experiments.training.spec import SpecInvalid, search_candidates, spec_check_columns, spec_clean

BASE = {"dataset_version": 3, "experiment": 5, "target": "species", "estimator": "random_forest"}


def errors_of(data: dict) -> dict:
    with pytest.raises(SpecInvalid) as caught:
        spec_clean(data)
    return caught.value.errors


def test_a_minimal_spec_gets_every_default():
    spec = spec_clean(BASE)
    assert spec["task"] == "auto"
    assert spec["features"] == []
    assert spec["validation"] == {"method": "holdout", "test_size": 0.2}
    assert spec["search"] is None and spec["seed"] is None and spec["max_rows"] == 200_000
    # Defaults common to both tasks are filled; the task-specific ones wait for the task.
    assert spec["params"]["n_estimators"] == 100 and "class_weight" not in spec["params"]


def test_form_strings_are_typed():
    spec = spec_clean(
        {
            **BASE,
            "task": "classification",
            "features": "sepal_length, petal_width",
            "params": {"n_estimators": "250", "max_depth": "", "bootstrap": "false", "max_features": "none"},
            "validation": {"method": "kfold", "folds": "4"},
            "seed": "7",
        }
    )
    assert spec["features"] == ["sepal_length", "petal_width"]
    assert spec["params"]["n_estimators"] == 250 and spec["params"]["max_depth"] is None
    assert spec["params"]["bootstrap"] is False and spec["params"]["max_features"] is None
    assert spec["params"]["class_weight"] is None  # classification fills its own defaults
    assert spec["validation"] == {"method": "kfold", "folds": 4} and spec["seed"] == 7


def test_an_estimator_that_does_one_task_decides_it():
    assert spec_clean({**BASE, "estimator": "logistic_regression"})["task"] == "classification"
    assert spec_clean({**BASE, "estimator": "ridge"})["task"] == "regression"


def test_required_fields_are_named():
    errors = errors_of({})
    assert errors["dataset_version"] == ["This field is required."]
    assert errors["experiment"] == ["This field is required."]
    assert errors["target"] == ["Choose the target column (the value to predict)."]
    assert errors["estimator"][0].startswith("Choose an estimator from the allow-list: logistic_regression")


def test_a_spec_must_be_an_object():
    assert errors_of(["not", "an", "object"]) == {
        "non_field_errors": ["The training spec must be an object."]
    }


def test_an_estimator_off_the_allow_list_is_refused():
    errors = errors_of({**BASE, "estimator": "sklearn.svm.SVC"})
    assert "allow-list" in errors["estimator"][0]


def test_an_estimator_for_the_other_task_is_refused():
    errors = errors_of({**BASE, "estimator": "logistic_regression", "task": "regression"})
    assert errors["estimator"] == [
        "Logistic regression does not do regression; choose another estimator or task."
    ]


@pytest.mark.parametrize(
    ("params", "name", "message"),
    [
        ({"n_estimators": 0}, "n_estimators", "Out of range: enter a whole number ≥ 1 and ≤ 1000."),
        ({"n_estimators": 2.5}, "n_estimators", "Enter a whole number: a whole number ≥ 1 and ≤ 1000."),
        ({"n_estimators": "many"}, "n_estimators", "Enter a whole number ≥ 1 and ≤ 1000."),
        ({"n_estimators": True}, "n_estimators", "Enter a whole number ≥ 1 and ≤ 1000."),
        (
            {"n_estimators": float("nan")},
            "n_estimators",
            "Enter a finite number: a whole number ≥ 1 and ≤ 1000.",
        ),
        ({"max_features": "all"}, "max_features", "Choose one of sqrt, log2, none."),
        ({"bootstrap": "maybe"}, "bootstrap", "Enter true or false."),
        (
            {"n_jobs": -1},
            "n_jobs",
            "Random forest does not take a hyper-parameter named “n_jobs”.",
        ),
    ],
)
def test_each_bad_hyper_parameter_gets_its_own_message(params, name, message):
    errors = errors_of({**BASE, "params": params})
    assert errors["params"] == {name: [message]}


def test_arbitrary_keyword_arguments_never_pass():
    errors = errors_of({**BASE, "task": "classification", "params": {"random_state": 1, "verbose": 3}})
    assert set(errors["params"]) == {"random_state", "verbose"}
    assert (
        "does not take a hyper-parameter named “verbose” for classification" in errors["params"]["verbose"][0]
    )


def test_an_exclusive_minimum_is_enforced():
    errors = errors_of({**BASE, "estimator": "ridge", "params": {"alpha": 0}})
    assert errors["params"] == {"alpha": ["Out of range: enter a number > 0 and ≤ 1e+06."]}


def test_a_grid_is_bounded():
    space = {"n_estimators": list(range(10, 110, 10)), "max_depth": [2, 4, 6, 8, 10, None]}
    errors = errors_of({**BASE, "search": {"method": "grid", "space": space}})
    assert errors["search"] == {
        "space": ["This grid has 60 candidates; the limit is 50. Try fewer values, or a random search."]
    }


def test_a_grid_counts_its_candidates():
    spec = spec_clean(
        {**BASE, "search": {"method": "grid", "space": {"max_depth": [2, 4, None], "n_estimators": "10,20"}}}
    )
    assert spec["search"] == {
        "method": "grid",
        "space": {"max_depth": [2, 4, None], "n_estimators": [10, 20]},
        "folds": 3,
    }
    assert search_candidates(spec["search"]) == 6


def test_a_random_search_takes_ranges_and_a_bounded_number_of_candidates():
    search = {"method": "random", "space": {"learning_rate": {"min": 0.01, "max": 0.5}}, "n_iter": 8}
    spec = spec_clean({**BASE, "estimator": "gradient_boosting", "search": search})
    assert spec["search"]["space"]["learning_rate"] == {"min": 0.01, "max": 0.5, "log": True}
    assert search_candidates(spec["search"]) == 8
    errors = errors_of({**BASE, "estimator": "gradient_boosting", "search": {**search, "n_iter": 500}})
    assert errors["search"] == {"n_iter": ["Enter the number of candidates from 1 to 50."]}


def test_search_mistakes_are_reported_per_field():
    errors = errors_of(
        {**BASE, "search": {"method": "bayes", "space": {"max_depth": [0], "nope": [1]}, "folds": 1}}
    )
    assert errors["search"]["method"] == ["Choose grid or random."]
    assert errors["search"]["space"]["max_depth"] == [
        "Out of range: enter a whole number ≥ 1 and ≤ 100, or empty for unlimited."
    ]
    assert errors["search"]["space"]["nope"] == [
        "Random forest does not take a hyper-parameter named “nope”."
    ]
    assert errors["search"]["folds"] == ["Enter folds from 2 to 10."]


def test_a_range_only_fits_a_random_search():
    errors = errors_of({**BASE, "search": {"method": "grid", "space": {"max_depth": {"min": 2, "max": 9}}}})
    assert errors["search"]["space"]["max_depth"] == [
        "A range (min, max) is only for numeric hyper-parameters in a random search."
    ]


@pytest.mark.parametrize(
    ("validation", "errors"),
    [
        (
            {"method": "holdout", "test_size": 0.9},
            {"test_size": ["Enter the held-out fraction from 0.05 to 0.5 (e.g. 0.2 for 20%)."]},
        ),
        ({"method": "kfold", "folds": 50}, {"folds": ["Enter folds from 2 to 10."]}),
        ({"method": "loo"}, {"method": ["Choose holdout or kfold."]}),
        ("holdout", {"non_field_errors": ["The validation must be an object (method, …)."]}),
    ],
)
def test_validation_mistakes(validation, errors):
    assert errors_of({**BASE, "validation": validation})["validation"] == errors


def test_seed_row_limit_and_features_are_checked():
    errors = errors_of(
        {**BASE, "seed": -1, "max_rows": 5, "features": ["species", "x"], "task": "clustering"}
    )
    assert errors["seed"] == ["Enter a seed from 0 to 4294967295."]
    assert errors["max_rows"] == ["Enter a row limit from 10 to 200000."]
    assert errors["features"] == ["The target column species cannot also be a feature."]
    assert errors["task"] == ["Choose classification, regression or auto (inferred from the target)."]


def test_columns_are_checked_against_the_version():
    spec = spec_clean({**BASE, "features": ["a", "b"]})
    assert spec_check_columns(spec, ["a", "b", "species"])["features"] == ["a", "b"]
    every = spec_check_columns(spec_clean(BASE), ["a", "species", "b"])
    assert every["features"] == ["a", "b"]
    with pytest.raises(SpecInvalid) as caught:
        spec_check_columns(spec, ["a", "label"])
    assert caught.value.errors == {
        "target": ["This dataset version has no column named species."],
        "features": ["This dataset version has no column named b."],
    }
    with pytest.raises(SpecInvalid) as caught:
        spec_check_columns(spec_clean(BASE), ["species"])
    assert caught.value.errors == {"features": ["Choose at least one feature column besides the target."]}


def test_the_errors_read_as_one_sentence_for_jobs():
    with pytest.raises(SpecInvalid) as caught:
        spec_clean({**BASE, "params": {"n_estimators": 0}})
    assert str(caught.value) == "params.n_estimators: Out of range: enter a whole number ≥ 1 and ≤ 1000."
