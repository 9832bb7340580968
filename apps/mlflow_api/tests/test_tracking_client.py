"""The unmodified `mlflow` client against a live Atrium: a new user's script, end to end."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_users_script_logs_nested_runs_and_reads_them_back(mlflow_as, alice):
    mlflow = mlflow_as(alice)
    mlflow.set_experiment("Churn")
    with mlflow.start_run(run_name="parent") as parent:
        mlflow.log_param("alpha", 0.1)
        mlflow.log_metric("rmse", 0.5, step=1)
        mlflow.log_metrics({"rmse": 0.4, "mae": 0.3}, step=2)
        mlflow.set_tag("team", "fraud")
        with mlflow.start_run(nested=True, run_name="child") as child:
            mlflow.log_params({"a": 1, "b": "x"})
    runs = mlflow.search_runs(filter_string="metrics.rmse < 0.45", output_format="list")
    assert [run.info.run_id for run in runs] == [parent.info.run_id]
    client = mlflow.MlflowClient()
    history = client.get_metric_history(parent.info.run_id, "rmse")
    assert [(metric.step, metric.value) for metric in history] == [(1, 0.5), (2, 0.4)]
    got = client.get_run(child.info.run_id)
    assert got.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert got.data.params == {"a": "1", "b": "x"}
    assert client.get_run(parent.info.run_id).info.status == "FINISHED"
