"""Training pipeline on scikit-learn's demo data: metrics, plots, importances, determinism, refusals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from apps.experiments.tests import training_data
from apps.experiments.training import plots
from apps.experiments.training.data import DataError, frame_prepare, task_infer
from apps.experiments.training.estimators import ESTIMATORS, params_validate
from apps.experiments.training.pipeline import TrainingError, train

HOLDOUT = {"method": "holdout", "test_size": 0.25}
KFOLD = {"method": "kfold", "folds": 4}


def prepared(frame, target, *, task="auto", validation=HOLDOUT, features=None):
    features = features or [column for column in frame.columns if column != target]
    return frame_prepare(frame, target=target, features=features, task=task, validation=validation)


def run(data, estimator="random_forest", *, params=None, validation=HOLDOUT, search=None, seed=1):
    return train(
        data, estimator_key=estimator, params=params or {}, validation=validation, search=search, seed=seed
    )


def test_iris_classification_on_a_holdout_reports_every_metric():
    data = prepared(training_data.iris(), "species")
    assert data.task == "classification" and data.classes == ["setosa", "versicolor", "virginica"]
    outcome = run(data, "logistic_regression")
    assert set(outcome.metrics) == {"accuracy", "balanced_accuracy", "f1", "precision", "recall", "roc_auc"}
    assert outcome.metrics["accuracy"] > 0.85 and outcome.metrics["roc_auc"] > 0.95
    assert outcome.average == "macro" and outcome.scoring == "f1_macro"
    assert outcome.rows == {"train": 112, "validation": 38}
    assert set(outcome.train_metrics) == set(outcome.metrics)
    assert outcome.confusion["labels"] == ["setosa", "versicolor", "virginica"]
    assert sum(map(sum, outcome.confusion["matrix"])) == 38
    assert outcome.importance_method == "coefficient"
    assert set(outcome.importances) == {"sepal_length", "sepal_width", "petal_length", "petal_width"}
    assert outcome.residuals is None and outcome.roc is None  # ROC curves are drawn for two classes


def test_binary_classification_scores_the_positive_class_and_draws_a_roc_curve():
    data = prepared(training_data.breast_cancer(), "target")
    assert data.task == "classification" and data.classes == [0, 1]
    outcome = run(data, "random_forest", params={"n_estimators": 30})
    assert outcome.average == "binary"
    assert outcome.metrics["roc_auc"] > 0.95
    assert outcome.roc["fpr"][0] == 0.0 and outcome.roc["tpr"][-1] == 1.0
    assert outcome.importance_method == "impurity"
    top = plots.importance_ranking(outcome.importances)[0][0]
    assert top.startswith(("worst", "mean"))


def test_a_svm_without_probabilities_still_gets_a_binary_roc_auc_from_its_decision_function():
    data = prepared(training_data.breast_cancer(), "target")
    outcome = run(data, "linear_svm")
    assert "roc_auc" in outcome.metrics and outcome.metrics["roc_auc"] > 0.95


def test_regression_on_diabetes_reports_rmse_mae_r2_and_residuals():
    data = prepared(training_data.diabetes(), "target")
    assert data.task == "regression"
    outcome = run(data, "ridge", params={"alpha": 1.0})
    assert set(outcome.metrics) == {"rmse", "mae", "r2"}
    assert 40 < outcome.metrics["rmse"] < 70 and 0.3 < outcome.metrics["r2"] < 0.6
    assert outcome.metrics["mae"] < outcome.metrics["rmse"]
    residuals = outcome.residuals
    assert len(residuals["predicted"]) == outcome.rows["validation"] == 111
    assert all(
        math.isclose(a - p, r)
        for p, a, r in zip(residuals["predicted"], residuals["actual"], residuals["residual"], strict=True)
    )
    assert outcome.confusion is None


def test_kfold_reports_the_mean_and_each_fold_and_fits_the_final_model_on_every_row():
    data = prepared(training_data.iris(), "species", validation=KFOLD)
    outcome = run(data, "decision_tree", params={"max_depth": 3}, validation=KFOLD)
    assert len(outcome.fold_metrics) == 4
    assert outcome.metrics["accuracy"] == pytest.approx(
        np.mean([fold["accuracy"] for fold in outcome.fold_metrics])
    )
    assert outcome.metrics_std["accuracy"] >= 0
    assert sum(map(sum, outcome.confusion["matrix"])) == 150  # out-of-fold predictions of every row
    assert outcome.rows == {"train": 150, "validation": 150}
    assert outcome.model.named_steps["model"].tree_.max_depth <= 3


def test_kfold_on_a_zero_one_integer_target_draws_its_confusion_matrix_and_roc_curve():
    data = prepared(training_data.breast_cancer(), "target", validation=KFOLD)
    outcome = run(data, "random_forest", params={"n_estimators": 20}, validation=KFOLD)
    assert outcome.confusion["labels"] == ["0", "1"]
    assert sum(map(sum, outcome.confusion["matrix"])) == 569
    assert outcome.roc is not None and outcome.metrics["roc_auc"] > 0.95


def test_models_without_native_importances_get_permutation_importances():
    data = prepared(training_data.iris(), "species")
    outcome = run(data, "k_neighbors")
    assert outcome.importance_method == "permutation"
    ranking = plots.importance_ranking(outcome.importances)
    assert ranking[0][0].startswith("petal")  # petals separate the species, sepals barely
    kfold = run(prepared(training_data.iris(), "species", validation=KFOLD), "svm", validation=KFOLD)
    assert kfold.importance_method == "permutation" and len(kfold.importances) == 4


def test_text_and_missing_values_are_imputed_and_one_hot_encoded():
    data = prepared(training_data.mixed(), "churned")
    assert data.numeric == ["usage", "tenure"] and data.categorical == ["plan"]
    outcome = run(data, "hist_gradient_boosting")
    names = list(outcome.model.named_steps["preprocess"].get_feature_names_out())
    assert names[:2] == ["num__usage", "num__tenure"] and "cat__plan_basic" in names
    assert outcome.metrics["accuracy"] > 0.8
    assert set(outcome.importances) == {"plan", "usage", "tenure"}  # one-hot columns add up to their source


def test_the_same_seed_gives_the_same_model_and_metrics_and_another_seed_differs():
    def once(seed):
        data = prepared(training_data.mixed(), "churned")
        outcome = run(data, "random_forest", params={"n_estimators": 20}, seed=seed)
        return outcome.metrics, outcome.model.predict_proba(data.X)[:, 1]

    first_metrics, first_scores = once(11)
    second_metrics, second_scores = once(11)
    assert first_metrics == second_metrics
    assert np.array_equal(first_scores, second_scores)
    _other_metrics, other_scores = once(12)
    assert not np.array_equal(first_scores, other_scores)


def test_a_grid_search_tries_every_candidate_and_keeps_the_best():
    data = prepared(training_data.iris(), "species")
    search = {"method": "grid", "space": {"max_depth": [1, 3]}, "folds": 3}
    outcome = run(data, "decision_tree", search=search)
    assert [candidate.params["max_depth"] for candidate in outcome.candidates] == [1, 3]
    assert outcome.best_candidate == 1 and outcome.params["max_depth"] == 3  # depth 1 cannot split 3 species
    assert all(len(candidate.scores) == 3 for candidate in outcome.candidates)


def test_a_random_search_samples_ranges_reproducibly():
    data = prepared(training_data.diabetes(), "target", validation=KFOLD)
    search = {
        "method": "random",
        "space": {"alpha": {"min": 0.001, "max": 10.0, "log": True}},
        "n_iter": 4,
        "folds": 3,
    }

    def once():
        return run(data, "ridge", search=search, validation=KFOLD)

    first, second = once(), once()
    alphas = [candidate.params["alpha"] for candidate in first.candidates]
    assert len(alphas) == 4 and all(0.001 <= alpha <= 10 for alpha in alphas)
    assert alphas == [candidate.params["alpha"] for candidate in second.candidates]
    assert first.params["alpha"] == alphas[first.best_candidate]
    assert all(isinstance(value, float) for value in alphas)  # plain floats, JSON-ready


def test_every_allowed_estimator_trains_on_each_of_its_tasks():
    frames = {
        "classification": (training_data.mixed(120), "churned"),
        "regression": (training_data.diabetes(), "target"),
    }
    for key, estimator in ESTIMATORS.items():
        for task in estimator.tasks:
            frame, target = frames[task]
            data = prepared(frame, target, task=task)
            params = params_validate(estimator, task, {})
            for name in ("n_estimators", "max_iter"):  # small models: this test is about coverage
                if name in params and key != "logistic_regression" and not key.endswith("svm"):
                    params[name] = 10
            outcome = run(data, key, params=params)
            assert outcome.task == task and outcome.metrics, key
            assert outcome.importances, key


def test_the_task_is_inferred_from_the_target():
    assert task_infer(pd.Series(["a", "b", "a"])) == "classification"
    assert task_infer(pd.Series([True, False, True])) == "classification"
    assert task_infer(pd.Series([0, 1, 2, 1, 0])) == "classification"
    assert task_infer(pd.Series([0.5, 1.25, 3.0])) == "regression"
    assert task_infer(pd.Series(range(100))) == "regression"  # many distinct whole numbers: a quantity


def test_figures_and_tables_are_plain_json_and_csv():
    data = prepared(training_data.iris(), "species")
    outcome = run(data, "random_forest", params={"n_estimators": 10})
    figure = plots.confusion_figure(outcome.confusion)
    assert figure["data"][0]["type"] == "heatmap" and figure["layout"]["yaxis"]["autorange"] == "reversed"
    header, rows = plots.confusion_table(outcome.confusion)
    assert header == ["true \\ predicted", "setosa", "versicolor", "virginica"] and rows[0][0] == "setosa"
    text = plots.csv_text(*plots.importance_table(outcome.importances, method=outcome.importance_method))
    assert text.splitlines()[0] == "rank,feature,importance (impurity)"
    bars = plots.importance_figure(outcome.importances, method="impurity")
    assert bars["data"][0]["orientation"] == "h" and len(bars["data"][0]["y"]) == 4


# --- refusals, each with its message ----------------------------------------------------------


def refusal(frame, target, **options) -> str:
    with pytest.raises(DataError) as caught:
        prepared(frame, target, **options)
    return str(caught.value)


def test_a_missing_target_column_is_named():
    message = refusal(training_data.iris(), "colour", features=["sepal_length"])
    assert message.startswith(
        "The target column colour is not in this dataset version; choose one of its columns"
    )


def test_a_date_feature_cannot_be_encoded():
    frame = training_data.iris()
    frame["measured_on"] = pd.date_range("2024-01-01", periods=len(frame))
    message = refusal(frame, "species")
    assert message == (
        "The feature measured_on holds dates or times, which Atrium cannot encode as a feature; "
        "leave it out, or add numeric columns derived from it (year, day of week …) to the dataset."
    )


def test_an_identifier_like_text_feature_cannot_be_encoded():
    frame = training_data.iris()
    frame["sample_id"] = [f"S-{index:04d}" for index in range(len(frame))]
    assert refusal(frame, "species") == (
        "The feature sample_id is text with 150 distinct values (the limit is 100); it looks like an "
        "identifier or free text that one-hot encoding cannot use. Leave it out."
    )


def test_binary_blobs_cannot_be_encoded():
    frame = training_data.iris()
    frame["blob"] = [b"\x00\x01"] * len(frame)
    assert refusal(frame, "species").startswith(
        "The feature blob holds values that are neither numbers nor text"
    )


def test_too_few_rows():
    frame = training_data.iris().head(8)
    assert refusal(frame, "species") == "Only 8 rows with a target value: training needs at least 10."


def test_rows_without_a_target_are_dropped_and_counted():
    frame = training_data.iris()
    frame.loc[:140, "species"] = None
    assert refusal(frame, "species") == "Only 9 rows with a target value: training needs at least 10."
    frame = training_data.iris()
    frame.loc[:9, "species"] = None
    data = prepared(frame, "species")
    assert data.dropped_missing_target == 10 and len(data.X) == 140


def test_a_single_class_cannot_be_learnt():
    frame = training_data.iris()
    frame["species"] = "setosa"
    assert refusal(frame, "species") == (
        "The target column species has a single class (setosa); classification needs at least two."
    )


def test_every_class_needs_enough_rows_for_the_split():
    frame = training_data.iris().iloc[list(range(0, 100)) + [120]]
    assert refusal(frame, "species") == (
        "The class virginica of species has only 1 row; every class needs at least 2 for a stratified "
        "hold-out split."
    )
    frame = training_data.iris().iloc[list(range(0, 100)) + [120, 121, 122]]
    assert refusal(frame, "species", validation={"method": "kfold", "folds": 5}) == (
        "The class virginica of species has only 3 rows; every class needs at least 5 for a stratified "
        "split into 5 folds."
    )


def test_regression_needs_a_numeric_target():
    assert refusal(training_data.iris(), "species", task="regression") == (
        "The target column species holds text, not numbers; regression needs a numeric target. "
        "Choose classification instead."
    )


def test_a_holdout_too_small_for_every_class_is_explained():
    frame = training_data.iris().iloc[list(range(0, 100)) + [120, 121]]
    data = prepared(frame, "species", validation={"method": "holdout", "test_size": 0.05})
    with pytest.raises(TrainingError) as caught:
        run(data, "decision_tree", validation={"method": "holdout", "test_size": 0.05})
    assert str(caught.value) == (
        "The held-out rows have no example of the class virginica; "
        "use a larger held-out fraction or k-fold validation."
    )
