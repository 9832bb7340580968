"""/api/v1/training-jobs/ and runs/{id}/reproduce/: DRF field errors, 202 with the job, 404/403/409."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.experiments.models import Run
from apps.experiments.tests import training_data
from apps.experiments.tests.training_data import iris_spec
from apps.jobs.models import Job
from apps.jobs.services import job_run

pytestmark = pytest.mark.django_db

media = training_data.media
iris_version = training_data.iris_version
fraud_experiment = training_data.fraud_experiment
JOBS = "/api/v1/training-jobs/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_spec_starts_a_job_that_reports_its_run(iris_version, fraud_experiment, alice):
    client = client_for(alice)
    response = client.post(JOBS, iris_spec(iris_version, fraud_experiment), format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["run"] is None and body["spec"]["seed"] == 7
    assert body["url"] == f"{JOBS}{body['job']}/"
    job_run(job_id=body["job"])
    done = client.get(body["url"]).json()
    run = Run.objects.get(training_job_id=body["job"])
    assert done["status"] == "succeeded" and done["progress"] == 100
    assert done["run"] == run.uuid and done["run_status"] == "FINISHED" and done["metrics"]["accuracy"] > 0.8


def test_errors_come_field_by_field(iris_version, fraud_experiment, alice):
    spec = iris_spec(
        iris_version, fraud_experiment,
        target="colour", params={"n_estimators": 0, "criterion": "gini"},
        validation={"method": "kfold", "folds": 1}, search={"method": "grid", "space": {"max_depth": "x"}},
    )  # fmt: skip
    response = client_for(alice).post(JOBS, spec, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert fields["params"] == {
        "n_estimators": ["Out of range: enter a whole number ≥ 1 and ≤ 1000."],
        "criterion": ["Random forest does not take a hyper-parameter named “criterion”."],
    }
    assert fields["validation"] == {"folds": ["Enter folds from 2 to 10."]}
    assert fields["search"] == {
        "space": {"max_depth": ["Enter a whole number ≥ 1 and ≤ 100, or empty for unlimited."]}
    }
    assert not Job.objects.exists()
    response = client_for(alice).post(
        JOBS, {**iris_spec(iris_version, fraud_experiment), "target": "colour"}, format="json"
    )
    assert response.json()["fields"] == {"target": ["This dataset version has no column named colour."]}


def test_a_non_object_body_is_a_field_error(alice):
    response = client_for(alice).post(JOBS, [1, 2], format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"non_field_errors": ["The training spec must be an object."]}


def test_outsiders_get_the_same_answer_as_for_missing_objects(iris_version, fraud_experiment, bob):
    hidden = client_for(bob).post(JOBS, iris_spec(iris_version, fraud_experiment), format="json").json()
    missing = (
        client_for(bob)
        .post(
            JOBS,
            {**iris_spec(iris_version, fraud_experiment), "dataset_version": 987654, "experiment": 987653},
            format="json",
        )
        .json()
    )
    assert hidden == missing


def test_a_job_and_its_reproduction_are_404_for_outsiders_and_reproduce_is_403_for_analysts(
    iris_version, fraud_experiment, alice, ann, bob
):
    started = client_for(alice).post(JOBS, iris_spec(iris_version, fraud_experiment), format="json").json()
    job_run(job_id=started["job"])
    run = Run.objects.get(training_job_id=started["job"])
    assert client_for(bob).get(started["url"]).status_code == 404
    assert client_for(ann).get(started["url"]).status_code == 200
    reproduce = f"/api/v1/runs/{run.uuid}/reproduce/"
    assert client_for(bob).post(reproduce).status_code == 404
    assert client_for(ann).post(reproduce).status_code == 403
    response = client_for(alice).post(reproduce)
    assert response.status_code == 202 and response.json()["reproduce_of"] == run.uuid
    job_run(job_id=response.json()["job"])
    body = client_for(alice).get(response.json()["url"]).json()
    again = Run.objects.get(uuid=body["run"])
    assert (
        again.reproduced_from == run
        and body["metrics"] == client_for(alice).get(started["url"]).json()["metrics"]
    )


def test_a_run_that_cannot_be_reproduced_says_why(iris_version, fraud_experiment, alice):
    from apps.catalog.models import DatasetVersion

    started = client_for(alice).post(JOBS, iris_spec(iris_version, fraud_experiment), format="json").json()
    job_run(job_id=started["job"])
    run = Run.objects.get(training_job_id=started["job"])
    DatasetVersion.objects.filter(pk=iris_version.pk).delete()
    response = client_for(alice).post(f"/api/v1/runs/{run.uuid}/reproduce/")
    assert response.status_code == 409
    assert response.json() == {
        "error": "not_reproducible",
        "detail": "The dataset version this run trained on was deleted, so the run cannot be reproduced.",
    }


def test_the_estimator_allow_list_is_published(alice):
    body = client_for(alice).get("/api/v1/training/estimators/").json()
    forest = next(item for item in body if item["key"] == "random_forest")
    assert forest["tasks"] == ["classification", "regression"]
    trees = next(param for param in forest["params"] if param["name"] == "n_estimators")
    assert trees == {
        "name": "n_estimators", "label": "Number of trees", "type": "int", "default": 100, "minimum": 1,
        "maximum": 1000, "exclusive_minimum": False, "choices": None, "nullable": False,
        "tasks": ["classification", "regression"], "allowed": "a whole number ≥ 1 and ≤ 1000",
    }  # fmt: skip
    weights = next(param for param in forest["params"] if param["name"] == "class_weight")
    assert weights["tasks"] == ["classification"] and weights["choices"] == [None, "balanced"]
