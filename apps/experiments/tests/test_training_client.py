"""A trained run seen from the real MLflow client: its params and metrics, and runs:/<id>/model loads."""

from __future__ import annotations

import pytest

from apps.experiments.models import Run
from apps.experiments.tests import training_data
from apps.experiments.tests.training_data import iris_spec
from apps.experiments.training import services
from apps.jobs.services import job_run
from apps.mlflow_api.tests.conftest import mlflow_as  # noqa: F401 - the live-server client fixture

pytestmark = pytest.mark.django_db(transaction=True)

media = training_data.media
iris_version = training_data.iris_version
fraud_experiment = training_data.fraud_experiment


def test_the_client_reads_the_run_and_loads_its_model(
    mlflow_as,  # noqa: F811 - the fixture imported above
    iris_version,
    fraud_experiment,
    alice,
    bob,
    monkeypatch,
):
    job = services.training_start(data=iris_spec(iris_version, fraud_experiment), by=alice)
    assert job_run(job_id=job.pk) == "succeeded"
    run = Run.objects.get(training_job=job)

    mlflow = mlflow_as(alice)
    seen = mlflow.get_run(run.uuid)
    assert seen.info.status == "FINISHED"
    assert seen.data.params["estimator"] == "random_forest" and seen.data.params["seed"] == "7"
    assert seen.data.metrics["accuracy"] > 0.8
    assert seen.data.tags["atrium.training.job"] == str(job.pk)

    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")  # MLflow asks this for every format
    model = mlflow.sklearn.load_model(f"runs:/{run.uuid}/model")
    flowers = training_data.iris().drop(columns=["species"])
    assert set(model.predict(flowers)) == {"setosa", "versicolor", "virginica"}

    from mlflow.exceptions import MlflowException

    outsider = mlflow_as(bob)
    with pytest.raises(MlflowException) as caught:
        outsider.sklearn.load_model(f"runs:/{run.uuid}/model")
    assert "RESOURCE_DOES_NOT_EXIST" in str(caught.value) or "not found" in str(caught.value).lower()
