"""Logged models through the real MLflow client against a live Atrium, and the exact JSON of each route."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.test import Client
from mlflow.entities import LoggedModelOutput, LoggedModelStatus
from mlflow.exceptions import MlflowException

from apps.experiments.models import Artifact, LoggedModel, RunOutput
from apps.experiments.models import LoggedModelStatus as Status
from apps.experiments.services.logged_models import LOGGED_MODELS_TAG, logged_model_create
from apps.experiments.services.tracking import experiment_create, run_create
from apps.teams.services import token_issue


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def experiment(fraud_team, alice):
    return experiment_create(team=fraud_team, by=alice, name="Chargebacks")


@pytest.fixture
def run(experiment, alice):
    return run_create(experiment=experiment, by=alice, run_name="baseline")


def _client(user) -> Client:
    _, raw = token_issue(user=user, name=f"{user.username} logged models")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _post(client, route, body, method="POST", prefix="/api/2.0/mlflow/"):
    return client.generic(method, f"{prefix}{route}", json.dumps(body), content_type="application/json")


# --- the real client ------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_client_creates_uploads_finalizes_tags_and_searches(
    mlflow_client_for, alice, experiment, run, tmp_path
):
    client = mlflow_client_for(alice)
    params = {f"p{index:03d}": str(index) for index in range(150)}  # 100 in the create, 50 in a batch
    model = client.create_logged_model(
        str(experiment.pk), name="gbm", source_run_id=run.uuid, tags={"stage": "dev"}, params=params
    )
    assert model.status == LoggedModelStatus.PENDING
    assert model.source_run_id == run.uuid
    assert model.artifact_location == f"mlflow-artifacts:/{experiment.pk}/models/{model.model_id}/artifacts"
    assert len(client.get_logged_model(model.model_id).params) == 150

    files = tmp_path / "model"
    (files / "data").mkdir(parents=True)
    (files / "MLmodel").write_text("flavors: {}\n")
    (files / "data" / "weights.bin").write_bytes(b"\x00\x01" * 500)
    client.log_model_artifacts(model.model_id, str(files))
    assert {info.path for info in client.list_logged_model_artifacts(model.model_id)} == {"MLmodel", "data"}
    assert Artifact.objects.filter(logged_model__model_id=model.model_id).count() == 2

    ready = client.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    assert ready.status == LoggedModelStatus.READY
    client.set_logged_model_tags(model.model_id, {"stage": "prod", "owner": "alice"})
    client.delete_logged_model_tag(model.model_id, "owner")
    assert client.get_logged_model(model.model_id).tags == {"stage": "prod"}

    client.log_outputs(run.uuid, [LoggedModelOutput(model.model_id, step=4)])
    assert RunOutput.objects.get(run=run).step == 4

    found = client.search_logged_models(experiment_ids=[str(experiment.pk)], filter_string="name = 'gbm'")
    assert [item.model_id for item in found] == [model.model_id]
    assert (
        client.search_logged_models(experiment_ids=[str(experiment.pk)], filter_string="tags.stage = 'dev'")
        == []
    )

    client.delete_logged_model(model.model_id)
    with pytest.raises(MlflowException, match="not found"):
        client.get_logged_model(model.model_id)


@pytest.mark.django_db(transaction=True)
def test_sklearn_log_model_and_load_back_by_model_id(mlflow_as, alice, fraud_team):
    """MLflow 3 without a run: a PENDING model, its files through the proxy, READY; models:/ loads it."""
    from sklearn.linear_model import LogisticRegression

    mlflow = mlflow_as(alice)
    features = np.array([[0.0, 1.0], [1.0, 0.0], [0.9, 0.1], [0.1, 0.8]])
    labels = np.array([0, 1, 1, 0])
    model = LogisticRegression().fit(features, labels)
    info = mlflow.sklearn.log_model(model, name="fraud-classifier", serialization_format="skops")

    stored = LoggedModel.objects.get(model_id=info.model_id)
    assert stored.status == Status.READY
    assert stored.name == "fraud-classifier"
    assert stored.experiment.team == fraud_team  # MLflow's default experiment "0" is the team's Default
    paths = set(Artifact.objects.filter(logged_model=stored).values_list("path", flat=True))
    assert {"MLmodel", "model.skops"} <= paths
    assert not any(path.endswith((".pkl", ".pickle")) for path in paths)

    loaded = mlflow.sklearn.load_model(f"models:/{info.model_id}")
    assert loaded.predict(features).tolist() == model.predict(features).tolist()


@pytest.mark.django_db(transaction=True)
def test_bob_cannot_see_or_change_alices_logged_model(mlflow_client_for, alice, bob, experiment):
    model = logged_model_create(experiment=experiment, by=alice, name="secret-gbm")
    client = mlflow_client_for(bob)
    calls = [
        lambda: client.get_logged_model(model.model_id),
        lambda: client.finalize_logged_model(model.model_id, LoggedModelStatus.READY),
        lambda: client.set_logged_model_tags(model.model_id, {"x": "y"}),
        lambda: client.delete_logged_model(model.model_id),
        lambda: client.create_logged_model(str(experiment.pk), name="planted"),
    ]
    for call in calls:
        with pytest.raises(MlflowException) as raised:
            call()
        # set_logged_model_tags reads the model first and words the 404 itself.
        assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST" or "not have access" in str(raised.value)
    assert client.search_logged_models(experiment_ids=[str(experiment.pk)]) == []
    model.refresh_from_db()
    assert (model.status, model.tags, model.lifecycle_stage) == (Status.PENDING, {}, "active")
    assert LoggedModel.objects.count() == 1


# --- exact JSON -------------------------------------------------------------------------------------
def test_the_get_response_has_mlflows_shape(experiment, run, alice):
    model = logged_model_create(
        experiment=experiment, by=alice, name="gbm", source_run=run, model_type="sklearn", params={"a": "1"}
    )
    response = _client(alice).get(f"/api/2.0/mlflow/logged-models/{model.model_id}")
    assert response.status_code == 200
    body = json.loads(response.content)["model"]
    assert body["info"] == {
        "experiment_id": str(experiment.pk),
        "model_id": model.model_id,
        "name": "gbm",
        "artifact_uri": model.artifact_location,
        "creation_timestamp_ms": body["info"]["creation_timestamp_ms"],
        "last_updated_timestamp_ms": body["info"]["last_updated_timestamp_ms"],
        "status": "LOGGED_MODEL_PENDING",
        "model_type": "sklearn",
        "source_run_id": run.uuid,
    }
    assert isinstance(body["info"]["creation_timestamp_ms"], int)
    assert body["data"] == {"params": [{"key": "a", "value": "1"}]}


@pytest.mark.parametrize("prefix", ["/api/2.0/mlflow/", "/api/3.0/mlflow/"])
def test_search_answers_on_both_api_versions(experiment, alice, prefix):
    logged_model_create(experiment=experiment, by=alice, name="gbm")
    response = _post(
        _client(alice), "logged-models/search", {"experiment_ids": [str(experiment.pk)]}, prefix=prefix
    )
    assert response.status_code == 200
    assert [item["info"]["name"] for item in json.loads(response.content)["models"]] == ["gbm"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"experiment_ids": "1"},
        {"experiment_ids": [True]},
        {"experiment_ids": ["1"], "max_results": "many"},
        {"experiment_ids": ["1"], "order_by": "name"},
        {"experiment_ids": ["1"], "filter": "name = "},
        {"experiment_ids": ["x"]},
    ],
)
def test_search_refuses_malformed_requests(experiment, alice, body):
    response = _post(_client(alice), "logged-models/search", body)
    assert response.status_code == 400
    assert json.loads(response.content)["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("logged-models", {}),
        ("logged-models", {"experiment_id": "EXP", "name": "m"}),
        ("logged-models", {"experiment_id": "{exp}", "name": "bad/name"}),
        ("logged-models", {"experiment_id": "{exp}", "params": [{"key": "../x", "value": "1"}]}),
        ("logged-models", {"experiment_id": "{exp}", "tags": "not a list"}),
    ],
)
def test_create_refuses_malformed_requests_and_writes_nothing(experiment, alice, route, body):
    body = {
        key: (value.format(exp=experiment.pk) if isinstance(value, str) else value)
        for key, value in body.items()
    }
    response = _post(_client(alice), route, body)
    assert response.status_code in {400, 404}
    assert json.loads(response.content)["error_code"] in {
        "INVALID_PARAMETER_VALUE",
        "RESOURCE_DOES_NOT_EXIST",
    }
    assert not LoggedModel.objects.exists()


def test_finalize_takes_the_status_name_or_number_and_refuses_others(experiment, alice):
    model = logged_model_create(experiment=experiment, by=alice, name="gbm")
    client = _client(alice)
    route = f"logged-models/{model.model_id}"
    assert _post(client, route, {"model_id": model.model_id, "status": 2}, "PATCH").status_code == 200
    response = _post(client, route, {"status": "LOGGED_MODEL_UPLOAD_FAILED"}, "PATCH")
    assert json.loads(response.content)["model"]["info"]["status"] == "LOGGED_MODEL_UPLOAD_FAILED"
    for bad in ({"status": "DONE"}, {}, {"model_id": "m-other", "status": 2}):
        response = _post(client, route, bad, "PATCH")
        assert response.status_code == 400, bad
    assert json.loads(_post(client, route, {"status": "PENDING"}, "PATCH").content)["error_code"] == (
        "INVALID_PARAMETER_VALUE"
    )


def test_a_read_only_member_reads_but_is_refused_writes(experiment, alice, ann):
    model = logged_model_create(experiment=experiment, by=alice, name="gbm")
    client = _client(ann)
    assert client.get(f"/api/2.0/mlflow/logged-models/{model.model_id}").status_code == 200
    for route, body, method in [
        (f"logged-models/{model.model_id}", {"status": 2}, "PATCH"),
        (f"logged-models/{model.model_id}/tags", {"tags": [{"key": "a", "value": "b"}]}, "PATCH"),
        (f"logged-models/{model.model_id}", {}, "DELETE"),
        ("logged-models", {"experiment_id": str(experiment.pk), "name": "x"}, "POST"),
    ]:
        response = _post(client, route, body, method)
        assert response.status_code == 403, route
        assert json.loads(response.content)["error_code"] == "PERMISSION_DENIED"
    assert LoggedModel.objects.count() == 1


# --- MLflow 2's runs/log-model with the exact JSON MLflow 2.22 sends ------------------------------------
def mlflow2_log_model_body(run) -> dict:
    """What `mlflow.sklearn.log_model(model, "model")` of MLflow 2.22 POSTs to runs/log-model."""
    model_json = {
        "run_id": run.uuid,
        "artifact_path": "model",
        "utc_time_created": "2025-05-01 10:00:00.123456",
        "flavors": {
            "python_function": {
                "model_path": "model.pkl",
                "predict_fn": "predict",
                "loader_module": "mlflow.sklearn",
                "python_version": "3.11.7",
                "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
            },
            "sklearn": {
                "pickled_model": "model.pkl",
                "sklearn_version": "1.4.2",
                "serialization_format": "cloudpickle",
                "code": None,
            },
        },
        "model_uuid": "3f9a1c2b7d8e4f60a1b2c3d4e5f60718",
    }
    return {"run_id": run.uuid, "model_json": json.dumps(model_json)}


def test_mlflow2_log_model_records_the_model_in_the_runs_history(run, alice):
    client = _client(alice)
    response = _post(client, "runs/log-model", mlflow2_log_model_body(run))
    assert response.status_code == 200
    assert json.loads(response.content) == {}
    assert _post(client, "runs/log-model", mlflow2_log_model_body(run)).status_code == 200  # a retry
    history = json.loads(run.tags.get(key=LOGGED_MODELS_TAG).value)
    assert len(history) == 1
    assert history[0]["artifact_path"] == "model"
    assert history[0]["flavors"]["sklearn"]["pickled_model"] == "model.pkl"


@pytest.mark.parametrize(
    "body",
    [
        {"model_json": "{}"},
        {"run_id": "{run}"},
        {"run_id": "{run}", "model_json": "not json"},
        {"run_id": "{run}", "model_json": json.dumps({"artifact_path": "model"})},
        {"run_id": "{run}", "model_json": 42},
    ],
)
def test_mlflow2_log_model_refuses_malformed_requests(run, alice, body):
    body = {
        key: (value.format(run=run.uuid) if isinstance(value, str) and "{run}" in value else value)
        for key, value in body.items()
    }
    response = _post(_client(alice), "runs/log-model", body)
    assert response.status_code == 400
    assert json.loads(response.content)["error_code"] == "INVALID_PARAMETER_VALUE"
    assert not run.tags.filter(key=LOGGED_MODELS_TAG).exists()


def test_bob_cannot_record_a_model_on_alices_run(run, bob):
    response = _post(_client(bob), "runs/log-model", mlflow2_log_model_body(run))
    assert response.status_code == 404
    assert json.loads(response.content)["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert not run.tags.filter(key=LOGGED_MODELS_TAG).exists()


def test_run_outputs_refuse_a_model_the_caller_cannot_see(fraud_team, platform_team, run, alice, bob):
    bobs_experiment = experiment_create(team=platform_team, by=bob, name="Pipelines")
    bobs_run = run_create(experiment=bobs_experiment, by=bob)
    alices_model = logged_model_create(experiment=run.experiment, by=alice, name="gbm")
    response = _post(
        _client(bob),
        "runs/outputs",
        {"run_id": bobs_run.uuid, "models": [{"model_id": alices_model.model_id}]},
    )
    assert response.status_code == 404
    assert not RunOutput.objects.exists()
