"""Training as a job: one run with everything needed to trust and reproduce it; every failure explained."""

from __future__ import annotations

import json

import pytest
import yaml

from apps.experiments.models import Artifact, Metric, Param, Run, RunStatus
from apps.experiments.tests import training_data
from apps.experiments.tests.training_data import add_frame_version, iris_spec
from apps.experiments.training import persistence, services
from apps.experiments.training.selectors import run_metric_values
from apps.experiments.training.spec import SpecInvalid
from apps.jobs.models import Job, JobStatus
from apps.jobs.services import job_enqueue, job_run

pytestmark = pytest.mark.django_db

media = training_data.media
iris_version = training_data.iris_version
fraud_experiment = training_data.fraud_experiment


def trained(spec: dict, by) -> tuple[Job, Run | None]:
    job = services.training_start(data=spec, by=by)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    return job, Run.objects.filter(training_job=job).first()


def tags(run: Run) -> dict[str, str]:
    return dict(run.tags.values_list("key", "value"))


def test_a_training_job_records_one_complete_run(iris_version, fraud_experiment, alice):
    job, run = trained(iris_spec(iris_version, fraud_experiment), alice)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 100
    assert run.status == RunStatus.FINISHED and run.experiment == fraud_experiment and run.user == alice
    assert job.result["run"] == run.uuid and job.result["accuracy"] > 0.8
    # Params: the spec and the effective hyper-parameters.
    params = dict(Param.objects.filter(run=run).values_list("key", "value"))
    assert params["estimator"] == "random_forest" and params["task"] == "classification"
    assert params["target"] == "species" and params["seed"] == "7" and params["validation"] == "holdout"
    assert params["n_estimators"] == "20" and params["max_depth"] == "4" and params["max_features"] == "sqrt"
    assert params["dataset"] == "Card transactions v1" and params["test_size"] == "0.25"
    # Metrics: the held-out ones, the training ones, row counts.
    metrics = run_metric_values(run=run)
    assert {"accuracy", "f1", "roc_auc", "precision", "recall", "train_accuracy", "rows_train"} <= set(
        metrics
    )
    assert metrics["rows_train"] == 112 and metrics["rows_validation"] == 38
    # Reproducibility: seed, environment, code version, data identity.
    assert run.seed == 7
    assert run.environment["packages"]["scikit-learn"] and run.environment["python"]
    assert "atrium" in run.environment
    run_tags = tags(run)
    assert run_tags["atrium.dataset.content_hash"] == iris_version.content_hash
    assert len(run_tags["atrium.data.digest"]) == 64
    assert run_tags["mlflow.source.type"] == "JOB" and run_tags["atrium.training.job"] == str(job.pk)
    assert run_tags["atrium.code.version"]
    # The dataset version is an input of the run, and a lineage edge says so.
    run_input = run.inputs.select_related("dataset").get()
    assert run_input.dataset.dataset_version == iris_version and run_input.context == "training"
    from apps.lineage.models import Edge

    assert Edge.objects.filter(source_id=iris_version.pk, target_id=run.pk).exists()


def test_the_run_keeps_its_model_plots_and_summary_as_artifacts(
    iris_version, fraud_experiment, alice, tmp_path, monkeypatch
):
    job, run = trained(iris_spec(iris_version, fraud_experiment), alice)
    paths = set(Artifact.objects.filter(run=run).values_list("path", flat=True))
    assert {
        "model/MLmodel", "model/model.skops", "model/requirements.txt", "model/python_env.yaml",
        "model/conda.yaml", "model/signature.json", "plots/confusion_matrix.plotly.json",
        "plots/confusion_matrix.csv", "plots/feature_importance.plotly.json", "plots/feature_importance.csv",
        "training/spec.json", "training/metrics.json",
    } <= paths  # fmt: skip
    assert "plots/roc_curve.plotly.json" not in paths  # three classes: no single ROC curve
    from apps.experiments.services.artifacts import artifact_open

    def read(path: str) -> bytes:
        _artifact, handle = artifact_open(run=run, path=path)
        with handle:
            return handle.read()

    blob = read("model/model.skops")
    assert persistence.sha256(blob) == job.result["model_sha256"] == tags(run)["atrium.model.sha256"]
    model = persistence.model_load_trusted(blob, expected_sha256=job.result["model_sha256"])
    import pandas as pd

    frame = training_data.iris().drop(columns=["species"])
    assert set(model.predict(frame)) <= {"setosa", "versicolor", "virginica"}
    mlmodel = yaml.safe_load(read("model/MLmodel"))
    assert mlmodel["run_id"] == run.uuid and mlmodel["flavors"]["sklearn"]["serialization_format"] == "skops"
    figure = json.loads(read("plots/confusion_matrix.plotly.json"))
    assert figure["data"][0]["type"] == "heatmap"
    assert read("plots/feature_importance.csv").decode().startswith("rank,feature,importance (impurity)")
    # The stored folder is a model the real MLflow client loads.
    import mlflow.sklearn

    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("MLmodel", "model.skops", "requirements.txt", "python_env.yaml", "conda.yaml"):
        (folder / name).write_bytes(read(f"model/{name}"))
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    loaded = mlflow.sklearn.load_model(str(folder))
    assert list(loaded.predict(frame)) == list(model.predict(frame))
    assert isinstance(frame, pd.DataFrame)


def test_a_redelivered_job_records_no_second_run(iris_version, fraud_experiment, alice):
    job, run = trained(iris_spec(iris_version, fraud_experiment), alice)
    points = Metric.objects.filter(run=run).count()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)  # the broker delivers the message again
    assert job_run(job_id=job.pk) == "succeeded"
    assert Run.objects.filter(training_job=job).count() == 1
    assert Metric.objects.filter(run=run).count() == points


def test_a_job_that_died_after_starting_its_run_completes_the_same_run(iris_version, fraud_experiment, alice):
    job = services.training_start(data=iris_spec(iris_version, fraud_experiment), by=alice)
    started = services._run_start(
        job=job, experiment=fraud_experiment, spec_data=job.params["spec"], by=alice, original=None
    )
    assert job_run(job_id=job.pk) == "succeeded"
    assert list(Run.objects.filter(training_job=job)) == [started]
    started.refresh_from_db()
    assert started.status == RunStatus.FINISHED


def test_kfold_logs_each_fold_and_a_search_each_candidate(iris_version, fraud_experiment, alice):
    spec = iris_spec(
        iris_version, fraud_experiment,
        estimator="decision_tree", params={},
        validation={"method": "kfold", "folds": 3},
        search={"method": "grid", "space": {"max_depth": [1, 3]}, "folds": 3},
    )  # fmt: skip
    job, run = trained(spec, alice)
    assert job.status == JobStatus.SUCCEEDED, job.error
    folds = Metric.objects.filter(run=run, key="cv_accuracy").order_by("step")
    assert [point.step for point in folds] == [1, 2, 3]
    candidates = Metric.objects.filter(run=run, key="search_score").order_by("step")
    assert [point.step for point in candidates] == [1, 2]
    params = dict(Param.objects.filter(run=run).values_list("key", "value"))
    assert params["max_depth"] == "3" and params["search"] == "grid" and params["folds"] == "3"
    assert "std_accuracy" in run_metric_values(run=run)
    assert Artifact.objects.filter(run=run, path="plots/search.plotly.json").exists()


def test_regression_stores_residuals(media, private_dataset, fraud_experiment, alice):
    version = add_frame_version(
        private_dataset, training_data.diabetes(), media=media, name="diabetes.csv", by=alice
    )
    spec = iris_spec(version, fraud_experiment, target="target", estimator="ridge", params={"alpha": 0.5})
    job, run = trained(spec, alice)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert {"rmse", "mae", "r2"} <= set(run_metric_values(run=run))
    assert Artifact.objects.filter(run=run, path="plots/residuals.plotly.json").exists()
    assert dict(Param.objects.filter(run=run).values_list("key", "value"))["task"] == "regression"


# --- starting: field-level refusals -----------------------------------------------------------


def refused(spec, by, **options) -> dict:
    with pytest.raises(SpecInvalid) as caught:
        services.training_start(data=spec, by=by, **options)
    return caught.value.errors


def test_an_outsider_can_neither_read_the_version_nor_use_the_experiment(iris_version, fraud_experiment, bob):
    errors = refused(iris_spec(iris_version, fraud_experiment), bob)
    assert errors == {
        "dataset_version": ["No such dataset version, or you may not see it."],
        "experiment": ["No such experiment, or you may not see it."],
    }


def test_an_analyst_may_not_run_training(iris_version, fraud_experiment, ann):
    errors = refused(iris_spec(iris_version, fraud_experiment), ann)
    assert errors == {
        "experiment": ["Your role in Fraud Analytics may not run training jobs in Iris models."]
    }


def test_columns_are_checked_against_the_version(iris_version, fraud_experiment, alice):
    errors = refused(
        iris_spec(iris_version, fraud_experiment, target="colour", features=["petal_width", "x"]), alice
    )
    assert errors == {
        "target": ["This dataset version has no column named colour."],
        "features": ["This dataset version has no column named x."],
    }


def test_pii_columns_are_refused_to_those_who_see_them_masked(
    media, internal_dataset, platform_team, bob, alice
):
    from apps.catalog.models import Column
    from apps.experiments.services.tracking import experiment_create

    frame = training_data.mixed()
    frame["email"] = [f"person{index % 50}@example.org" for index in range(len(frame))]
    version = add_frame_version(internal_dataset, frame, media=media, name="churn.csv", by=alice)
    Column.objects.create(dataset=internal_dataset, name="email", is_pii=True)
    experiment = experiment_create(team=platform_team, by=bob, name="Churn")
    spec = iris_spec(version, experiment, target="churned", params={})
    errors = refused({**spec, "features": ["plan", "email"]}, bob)
    assert errors == {
        "features": [
            "email is flagged as personal data (PII) in Merchant list; only people who may edit the dataset "
            "can train on it."
        ]
    }
    job, run = trained({**spec, "features": ["plan", "usage", "tenure"]}, bob)  # without it: fine
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert run.experiment == experiment


def test_a_new_experiment_is_created_with_the_training_or_not_at_all(iris_version, fraud_team, alice):
    from apps.experiments.models import Experiment

    spec = iris_spec(iris_version, fraud_experiment_stub := type("E", (), {"pk": None})())
    del fraud_experiment_stub
    errors = refused(
        {**spec, "target": "colour"}, alice, new_experiment={"name": "Flowers", "team": fraud_team.pk}
    )
    assert errors == {"target": ["This dataset version has no column named colour."]}
    assert not Experiment.objects.filter(name="Flowers").exists()
    job = services.training_start(
        data=spec, by=alice, new_experiment={"name": "Flowers", "team": fraud_team.pk}
    )
    assert Experiment.objects.get(name="Flowers").team == fraud_team and job.team == fraud_team


def test_a_seed_is_drawn_and_recorded_when_none_is_given(iris_version, fraud_experiment, alice):
    job = services.training_start(data=iris_spec(iris_version, fraud_experiment, seed=None), by=alice)
    assert isinstance(job.params["spec"]["seed"], int)


# --- failures in the job: a clear message on the job AND the run -------------------------------


def failed(spec: dict, by) -> tuple[Job, Run]:
    """Enqueue without the start checks (as a stale or hand-made job would be) and run it."""
    job = job_enqueue(kind=services.TRAIN_KIND, requester=by, params={"spec": spec})
    assert job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    run = Run.objects.get(training_job=job)
    assert run.status == RunStatus.FAILED
    assert tags(run)["atrium.training.error"] == job.error
    assert job.error in run.description
    return job, run


def test_a_missing_target_column_fails_clearly(iris_version, fraud_experiment, alice):
    job, _run = failed(
        iris_spec(iris_version, fraud_experiment, target="colour", features=["petal_width"]), alice
    )
    assert job.error == (
        "The target column colour is not in Card transactions version 1; its columns are sepal_length, "
        "sepal_width, petal_length, petal_width, species."
    )


def test_a_version_without_a_schema_is_checked_against_its_data(
    media, private_dataset, fraud_experiment, alice
):
    version = add_frame_version(
        private_dataset, training_data.iris(), media=media, name="plain.csv", by=alice, schema=False
    )
    job = services.training_start(data=iris_spec(version, fraud_experiment, target="colour"), by=alice)
    assert job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.error == (
        "The target column colour is not in Card transactions version 1; its columns are sepal_length, "
        "sepal_width, petal_length, petal_width, species."
    )
    assert Run.objects.get(training_job=job).status == RunStatus.FAILED


def test_an_unencodable_feature_fails_clearly(media, private_dataset, fraud_experiment, alice):
    frame = training_data.iris()
    frame["sample_id"] = [f"S-{index:04d}" for index in range(len(frame))]
    version = add_frame_version(private_dataset, frame, media=media, name="ids.csv", by=alice)
    job, _run = failed(iris_spec(version, fraud_experiment), alice)
    assert job.error == (
        "The feature sample_id is text with 150 distinct values (the limit is 100); it looks like an "
        "identifier or free text that one-hot encoding cannot use. Leave it out."
    )


def test_bad_hyper_parameters_fail_clearly(iris_version, fraud_experiment, alice):
    job, _run = failed(iris_spec(iris_version, fraud_experiment, params={"n_estimators": 0}), alice)
    assert job.error == (
        "The training spec is not valid: params.n_estimators: "
        "Out of range: enter a whole number ≥ 1 and ≤ 1000."
    )


def test_too_few_rows_fail_clearly(media, private_dataset, fraud_experiment, alice):
    version = add_frame_version(
        private_dataset, training_data.iris().head(6), media=media, name="few.csv", by=alice
    )
    job, _run = failed(iris_spec(version, fraud_experiment), alice)
    assert job.error == "Only 6 rows with a target value: training needs at least 10."


def test_a_single_class_fails_clearly(media, private_dataset, fraud_experiment, alice):
    version = add_frame_version(
        private_dataset, training_data.iris().head(40), media=media, name="one.csv", by=alice
    )
    job, _run = failed(iris_spec(version, fraud_experiment), alice)
    assert (
        job.error
        == "The target column species has a single class (setosa); classification needs at least two."
    )
