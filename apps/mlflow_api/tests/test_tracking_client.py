"""The unmodified `mlflow` client against a live Atrium: a new user's script, end to end.

Each test is a script a data scientist would write; the assertions read everything back through
the client, and check the rows Atrium stored where the client cannot see them (history, lineage).
"""

import math

import pytest
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException, RestException

from apps.experiments.models import Experiment, LatestMetric, Run
from apps.experiments.models import Metric as MetricRow
from apps.experiments.models import Param as ParamRow

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_users_script_logs_nested_runs_and_reads_them_back(mlflow_as, alice, fraud_team):
    import pandas as pd

    mlflow = mlflow_as(alice)
    experiment = mlflow.set_experiment("Churn")
    assert Experiment.objects.get(pk=experiment.experiment_id).team == fraud_team
    frame = pd.DataFrame({"amount": [1.0, 2.5, 3.0], "fraud": [0, 1, 0]})
    dataset = mlflow.data.from_pandas(frame, name="cards", targets="fraud")
    with mlflow.start_run(run_name="parent", description="Baseline sweep") as parent:
        mlflow.log_param("alpha", 0.1)
        mlflow.log_params({"depth": 3, "model": "gbm"})
        mlflow.log_metric("rmse", 0.5, step=1)
        mlflow.log_metrics({"rmse": 0.4, "mae": 0.3}, step=2)
        mlflow.set_tag("team", "fraud")
        mlflow.set_tags({"stage": "dev", "owner": "alice"})
        mlflow.log_input(dataset, context="training")
        client = mlflow.MlflowClient()
        client.log_batch(
            parent.info.run_id,
            metrics=[Metric("loss", 1.0 / (step + 1), 1_700_000_000_000 + step, step) for step in range(50)],
            params=[Param("batch", "yes")],
            tags=[RunTag("batched", "true")],
        )
        for index in range(3):
            with mlflow.start_run(nested=True, run_name=f"child-{index}"):
                mlflow.log_param("depth", index + 1)
                mlflow.log_metric("rmse", 0.3 - index / 10)

    run = client.get_run(parent.info.run_id)
    assert run.info.status == "FINISHED" and run.info.end_time >= run.info.start_time
    assert run.data.params == {"alpha": "0.1", "depth": "3", "model": "gbm", "batch": "yes"}
    assert run.data.metrics == {"rmse": 0.4, "mae": 0.3, "loss": 1.0 / 50}
    assert run.data.tags["mlflow.note.content"] == "Baseline sweep"
    assert {"team", "stage", "owner", "batched", "mlflow.runName", "mlflow.user"} <= set(run.data.tags)
    [dataset_input] = run.inputs.dataset_inputs
    assert dataset_input.dataset.name == "cards"
    assert {tag.key: tag.value for tag in dataset_input.tags} == {"mlflow.data.context": "training"}
    stored = Run.objects.get(uuid=parent.info.run_id)
    assert stored.description == "Baseline sweep" and stored.user == alice

    history = client.get_metric_history(parent.info.run_id, "loss")
    assert [(metric.step, metric.value) for metric in history] == [
        (step, 1.0 / (step + 1)) for step in range(50)
    ]

    children = mlflow.search_runs(
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
        order_by=["metrics.rmse ASC"],
        output_format="list",
    )
    assert [child.info.run_name for child in children] == ["child-2", "child-1", "child-0"]
    ids, nested = [experiment.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    by_depth = ["params.depth DESC"]
    page = client.search_runs(ids, nested, max_results=2, order_by=by_depth)
    assert len(page) == 2 and page.token
    rest = client.search_runs(ids, nested, max_results=2, order_by=by_depth, page_token=page.token)
    assert len(rest) == 1 and not rest.token
    assert [r.info.run_name for r in [*page, *rest]] == ["child-2", "child-1", "child-0"]
    assert [e.name for e in mlflow.search_experiments(filter_string="name LIKE 'Ch%'")] == ["Churn"]

    doomed = children[0].info.run_id
    client.delete_run(doomed)
    assert doomed not in {r.info.run_id for r in mlflow.search_runs(output_format="list")}
    deleted = client.search_runs([experiment.experiment_id], run_view_type=2)  # DELETED_ONLY
    assert [r.info.run_id for r in deleted] == [doomed]
    client.restore_run(doomed)
    assert client.get_run(doomed).info.lifecycle_stage == "active"


def test_runs_without_an_experiment_go_to_the_teams_default_experiment(mlflow_as, alice, fraud_team):
    mlflow = mlflow_as(alice)
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0)
    experiment = Experiment.objects.get(runs__uuid=run.info.run_id)
    assert (experiment.name, experiment.team) == ("Default", fraud_team)
    assert run.info.run_name  # a generated name, as MLflow gives


def test_set_experiment_twice_and_rename_delete_restore(mlflow_as, alice):
    mlflow = mlflow_as(alice)
    first = mlflow.set_experiment("Churn")
    assert mlflow.set_experiment("Churn").experiment_id == first.experiment_id
    client = mlflow.MlflowClient()
    client.set_experiment_tag(first.experiment_id, "goal", "recall")
    client.rename_experiment(first.experiment_id, "Churn v2")
    assert client.get_experiment_by_name("Churn") is None
    renamed = client.get_experiment_by_name("Churn v2")
    assert renamed.tags["goal"] == "recall"
    client.delete_experiment(first.experiment_id)
    assert client.get_experiment(first.experiment_id).lifecycle_stage == "deleted"
    with pytest.raises(MlflowException, match="deleted"):
        mlflow.set_experiment("Churn v2")
    client.restore_experiment(first.experiment_id)
    with pytest.raises(MlflowException) as exists:
        client.create_experiment("Churn v2")
    assert exists.value.error_code == "RESOURCE_ALREADY_EXISTS"


@pytest.mark.parametrize("how", ["password", "token"])
def test_basic_auth_with_a_password_or_a_token(mlflow_as, alice, how):
    from apps.teams.services import token_issue
    from conftest import PASSWORD

    if how == "password":
        mlflow = mlflow_as(alice, password=PASSWORD)
    else:
        _, raw = token_issue(user=alice, name="basic")
        mlflow = mlflow_as(alice, password=raw)
    mlflow.set_experiment(f"Basic {how}")
    with mlflow.start_run():
        mlflow.log_param("auth", how)
    assert ParamRow.objects.get().value == how


def test_a_wrong_password_is_unauthenticated(mlflow_as, alice):
    mlflow = mlflow_as(alice, password="not-her-password")  # noqa: S106
    with pytest.raises(MlflowException) as refused:
        mlflow.search_experiments()
    assert "401" in str(refused.value) or "UNAUTHENTICATED" in str(refused.value)


def test_another_teams_token_cannot_read_or_write_a_private_experiment(mlflow_client_for, alice, bob):
    alices = mlflow_client_for(alice)
    experiment_id = alices.create_experiment("Private churn")
    run = alices.create_run(experiment_id)
    alices.log_metric(run.info.run_id, "auc", 0.9)

    bobs = mlflow_client_for(bob)
    calls = [
        lambda: bobs.get_experiment(experiment_id),
        lambda: bobs.get_run(run.info.run_id),
        lambda: bobs.get_metric_history(run.info.run_id, "auc"),
        lambda: bobs.log_metric(run.info.run_id, "auc", 0.1),
        lambda: bobs.log_param(run.info.run_id, "x", "1"),
        lambda: bobs.set_tag(run.info.run_id, "x", "1"),
        lambda: bobs.delete_run(run.info.run_id),
        lambda: bobs.create_run(experiment_id),
        lambda: bobs.rename_experiment(experiment_id, "Mine now"),
    ]
    for call in calls:
        with pytest.raises(MlflowException) as refused:
            call()
        assert refused.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert bobs.get_experiment_by_name("Private churn") is None
    assert bobs.search_runs([experiment_id]) == []
    assert "Private churn" not in [e.name for e in bobs.search_experiments()]
    # bob's own experiment of the same name is his, and does not reveal alice's
    mine = bobs.create_experiment("Private churn")
    assert mine != experiment_id and bobs.get_experiment_by_name("Private churn").experiment_id == mine
    assert MetricRow.objects.filter(value=0.1).count() == 0
    assert Run.objects.get(uuid=run.info.run_id).lifecycle_stage == "active"


# --- bad input: MLflow's error codes, nothing half-written ------------------------------------------
@pytest.fixture
def alice_run(mlflow_client_for, alice):
    client = mlflow_client_for(alice)
    run = client.create_run(client.create_experiment("Bad input"))
    return client, run.info.run_id


def _code(call) -> str:
    with pytest.raises((MlflowException, RestException)) as refused:
        call()
    return refused.value.error_code


def test_bad_input_through_the_client(alice_run):
    client, run_id = alice_run
    client.log_param(run_id, "alpha", "0.1")
    assert _code(lambda: client.log_param(run_id, "alpha", "0.2")) == "INVALID_PARAMETER_VALUE"
    assert _code(lambda: client.log_param(run_id, "k" * 251, "v")) == "INVALID_PARAMETER_VALUE"
    assert _code(lambda: client.set_tag(run_id, "../escape", "v")) == "INVALID_PARAMETER_VALUE"
    assert _code(lambda: client.get_run("0" * 32)) == "RESOURCE_DOES_NOT_EXIST"
    batch = [Metric("ok", 1.0, 1, 0)]
    bad_params = [Param("beta", "1"), Param("alpha", "other")]
    assert (
        _code(lambda: client.log_batch(run_id, metrics=batch, params=bad_params)) == "INVALID_PARAMETER_VALUE"
    )
    assert (
        ParamRow.objects.filter(key="beta").count() == 0 and MetricRow.objects.filter(key="ok").count() == 0
    )


def test_nan_and_infinity_round_trip(alice_run):
    client, run_id = alice_run
    client.log_metric(run_id, "nan", math.nan, step=0)
    client.log_metric(run_id, "inf", math.inf, step=0)
    client.log_metric(run_id, "ninf", -math.inf, step=0)
    metrics = client.get_run(run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert metrics["inf"] > 1e308 and metrics["ninf"] < -1e308
    assert math.isnan(client.get_metric_history(run_id, "nan")[0].value)
    assert LatestMetric.objects.get(key="nan").is_nan


def test_bad_requests_over_http(mlflow_as, mlflow_http, alice):
    mlflow = mlflow_as(alice)
    token = mlflow_as.token
    client = mlflow.MlflowClient()
    run_id = client.create_run(client.create_experiment("Raw")).info.run_id
    cases = [
        ("runs/log-metric", {"run_id": run_id, "key": "m", "timestamp": 1}),  # missing value
        ("runs/log-metric", {"run_id": run_id, "key": "m", "value": "high", "timestamp": 1}),
        ("runs/log-metric", {"run_id": run_id, "key": "m", "value": 1, "timestamp": "noon"}),
        ("runs/log-metric", {"run_id": run_id, "key": "m", "value": 1, "timestamp": -5}),
        ("runs/log-metric", {"run_id": run_id, "key": ["m"], "value": 1, "timestamp": 1}),
        ("runs/log-parameter", {"run_id": run_id, "value": "1"}),  # missing key
        ("runs/log-batch", {"run_id": run_id, "metrics": {"key": "m"}}),  # not a list
        ("runs/log-batch", {"run_id": run_id, "metrics": [{"key": "m", "value": None, "timestamp": 1}]}),
        ("runs/log-batch", {"run_id": run_id, "params": [{"key": "p", "value": 5}]}),
        ("runs/set-tag", {"run_id": run_id, "key": "t", "value": "v" * 8001}),
        # the client splits big batches itself; the server still holds MLflow's limits
        ("runs/log-batch", {"run_id": run_id, "metrics": [{"key": "m", "value": 1, "timestamp": 1}] * 1001}),
        (
            "runs/log-batch",
            {"run_id": run_id, "params": [{"key": f"p{i}", "value": "1"} for i in range(101)]},
        ),
        ("runs/search", {"experiment_ids": ["1"], "filter": "metrics.m >"}),
        ("runs/search", {"experiment_ids": ["1"], "page_token": "garbage!"}),
        ("runs/search", {"experiment_ids": ["1"], "order_by": ["metrics.m sideways"]}),
        ("experiments/create", {"name": ""}),
        ("experiments/create", {"name": 5}),
        ("runs/log-inputs", {"run_id": run_id, "datasets": [{"dataset": {"name": "x"}}]}),
    ]
    for route, body in cases:
        response = mlflow_http(token, "POST", route, json=body)
        assert response.status_code == 400, (route, body, response.status_code, response.text)
        payload = response.json()
        assert payload["error_code"] == "INVALID_PARAMETER_VALUE", (route, body, payload)
        assert "SELECT" not in payload["message"] and "sqlite" not in payload["message"].lower()
    assert not MetricRow.objects.exists() and not ParamRow.objects.exists()
    assert mlflow_http(token, "POST", "runs/no-such-route", json={}).status_code == 404
    assert mlflow_http(token, "DELETE", "runs/get").status_code == 404  # never 405
    assert mlflow_http(None, "POST", "runs/log-metric", json={"run_id": run_id}).status_code == 401
