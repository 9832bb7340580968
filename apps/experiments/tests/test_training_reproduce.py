"""Reproduce: the same data version, spec, seed and code give the same metrics; what prevents it is named."""

from __future__ import annotations

import pytest

from apps.experiments.models import Run, RunStatus
from apps.experiments.tests import training_data
from apps.experiments.tests.training_data import iris_spec
from apps.experiments.training import reproducibility, services
from apps.experiments.training.selectors import run_reproduction_comparison, run_reproductions
from apps.jobs.models import JobStatus
from apps.jobs.services import job_run

pytestmark = pytest.mark.django_db

media = training_data.media
iris_version = training_data.iris_version
fraud_experiment = training_data.fraud_experiment


@pytest.fixture
def trained_run(iris_version, fraud_experiment, alice) -> Run:
    job = services.training_start(data=iris_spec(iris_version, fraud_experiment), by=alice)
    assert job_run(job_id=job.pk) == "succeeded"
    return Run.objects.get(training_job=job)


FLOWERS = training_data.iris().drop(columns=["species"])


def _model(run: Run, job):
    from apps.experiments.services.artifacts import artifact_open
    from apps.experiments.training.persistence import model_load_trusted

    _artifact, handle = artifact_open(run=run, path="model/model.skops")
    with handle:
        return model_load_trusted(handle.read(), expected_sha256=job.result["model_sha256"])


def reproduce(run: Run, by):
    job = services.run_reproduce(run=run, by=by)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    return job, Run.objects.filter(training_job=job).first()


def test_a_reproduction_matches_exactly_and_is_linked(trained_run, alice):
    job, again = reproduce(trained_run, alice)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.kind == "experiments.reproduce" and job.result["reproduction"] == "identical"
    assert again.reproduced_from == trained_run and again.status == RunStatus.FINISHED
    assert again.experiment_id == trained_run.experiment_id and again.seed == trained_run.seed
    assert again.name == f"{trained_run.name} (reproduction)"
    tags = dict(again.tags.values_list("key", "value"))
    assert tags["atrium.reproduce.of"] == trained_run.uuid and tags["atrium.reproduce.result"] == "identical"
    original_tags = dict(trained_run.tags.values_list("key", "value"))
    assert tags["atrium.data.digest"] == original_tags["atrium.data.digest"]
    # The model file's zip container holds timestamps; the model inside predicts exactly the same.
    original_model = _model(trained_run, trained_run.training_job)
    assert _model(again, job).predict(FLOWERS).tolist() == original_model.predict(FLOWERS).tolist()
    comparison = run_reproduction_comparison(user=alice, run=again)
    assert comparison["status"] == "identical" and comparison["original"] == trained_run
    assert {row["key"] for row in comparison["metrics"]} >= {"accuracy", "f1", "roc_auc"}
    assert all(row["difference"] == 0 for row in comparison["metrics"])
    assert [row["status"] for row in run_reproductions(user=alice, run=trained_run)] == ["identical"]


def test_the_comparison_names_what_differs():
    compared = reproducibility.metrics_compare(
        {"accuracy": 0.9, "rmse": 2.0, "r2": 0.5}, {"accuracy": 0.9, "rmse": 2.0 + 1e-12, "r2": 0.4}
    )
    statuses = {row["key"]: row["status"] for row in compared["metrics"]}
    assert statuses == {"accuracy": "identical", "rmse": "within_tolerance", "r2": "different"}
    assert compared["status"] == "different"
    assert reproducibility.metrics_compare({"a": 1.0}, {"a": 1.0 + 1e-13})["status"] == "within_tolerance"
    assert reproducibility.metrics_compare({"a": 1.0}, {})["status"] == "different"


def refusal(run: Run, by) -> services.ReproduceRefused:
    with pytest.raises(services.ReproduceRefused) as caught:
        services.run_reproduce(run=run, by=by)
    return caught.value


def test_a_deleted_data_version_cannot_be_reproduced(trained_run, iris_version, alice):
    from apps.catalog.models import DatasetVersion

    DatasetVersion.objects.filter(pk=iris_version.pk).delete()
    assert refusal(trained_run, alice).messages == [
        "The dataset version this run trained on was deleted, so the run cannot be reproduced."
    ]


def test_changed_packages_do_not_stop_a_reproduction_and_the_verdict_lists_them(
    trained_run, alice, monkeypatch
):
    real = reproducibility.environment_capture()
    changed = {**real, "packages": {**real["packages"], "scikit-learn": "0.24.2"}}
    monkeypatch.setattr(reproducibility, "environment_capture", lambda: changed)  # e.g. after an upgrade
    job, again = reproduce(trained_run, alice)
    assert job.status == JobStatus.SUCCEEDED, job.error
    listed = f"scikit-learn: {real['packages']['scikit-learn']} then, 0.24.2 now"
    assert dict(again.tags.values_list("key", "value"))["atrium.reproduce.differences"] == listed
    comparison = run_reproduction_comparison(user=alice, run=again)
    assert comparison["differences"] == [
        {"what": "scikit-learn", "recorded": real["packages"]["scikit-learn"], "now": "0.24.2"}
    ]
    assert comparison["status"] == "identical"  # the numbers survived the (pretended) upgrade


def test_changed_code_is_listed(trained_run, alice, monkeypatch):
    recorded = trained_run.environment["atrium"]
    monkeypatch.setattr(
        reproducibility, "code_version", lambda: {**recorded, "git_commit": "f" * 40, "version": "9"}
    )
    job, again = reproduce(trained_run, alice)
    assert job.status == JobStatus.SUCCEEDED, job.error
    differences = run_reproduction_comparison(user=alice, run=again)["differences"]
    assert differences[0]["what"] in ("Atrium code (git commit)", "Atrium version")


def test_a_reproduction_on_the_same_code_lists_no_differences(trained_run, alice):
    _job, again = reproduce(trained_run, alice)
    assert run_reproduction_comparison(user=alice, run=again)["differences"] == []
    assert "atrium.reproduce.differences" not in dict(again.tags.values_list("key", "value"))


def test_changed_rows_behind_the_same_version_are_detected(trained_run, iris_version, media, alice):
    frame = training_data.iris()
    frame.loc[0, "sepal_length"] = 9.9  # the stored file changed in place, the version did not
    frame.to_csv(media / iris_version.storage_path, index=False)
    job, again = reproduce(trained_run, alice)
    assert job.status == JobStatus.FAILED
    assert job.error == (
        "The rows read from Card transactions version 1 differ from those the original run read (its data "
        "digest changed), so the run cannot be reproduced."
    )
    assert again.status == RunStatus.FAILED


def test_only_finished_training_runs_can_be_reproduced(trained_run, fraud_experiment, alice):
    from apps.experiments.services.tracking import run_create

    logged = run_create(experiment=fraud_experiment, by=alice, run_name="from a notebook")
    assert refusal(logged, alice).messages == [
        "Only runs trained by Atrium can be reproduced here; this run was logged by a client."
    ]
    Run.objects.filter(pk=trained_run.pk).update(status=RunStatus.FAILED)
    trained_run.refresh_from_db()
    assert refusal(trained_run, alice).messages == [
        "Only finished runs can be reproduced; this run is failed."
    ]


def test_permissions_are_checked(trained_run, ann, bob):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(Http404):
        services.run_reproduce(run=trained_run, by=bob)
    with pytest.raises(PermissionDenied):
        services.run_reproduce(run=trained_run, by=ann)
