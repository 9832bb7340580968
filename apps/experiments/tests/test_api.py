"""/api/v1/ for experiments, runs and logged models: reads through restrict, writes through the services."""

from __future__ import annotations

import math

import pytest
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from apps.catalog.models import DatasetVersion
from apps.core.history import acting_user
from apps.experiments.models import (
    Artifact,
    Experiment,
    LatestMetric,
    LoggedDataset,
    LoggedModel,
    Metric,
    Param,
    Run,
    RunInput,
    RunTag,
)
from apps.experiments.services.tracking import experiment_create

pytestmark = pytest.mark.django_db

START = 1_767_225_600_000  # 2026-01-01, in MLflow's milliseconds


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def make_run(experiment, user, *, name: str, index: int = 0, params=None, metrics=None, tags=None, **fields):
    """A finished run with params, metric histories (key → values by step) and tags, written directly."""
    with acting_user(user):
        run = Run.objects.create(
            experiment=experiment,
            name=name,
            user=user,
            user_name=user.username,
            status=fields.pop("status", "FINISHED"),
            start_time=START + index * 60_000,
            end_time=START + index * 60_000 + 30_000,
            **fields,
        )
        for key, value in (params or {}).items():
            Param.objects.create(run=run, key=key, value=str(value))
        for key, values in (metrics or {}).items():
            for step, value in enumerate(values):
                nan = isinstance(value, float) and math.isnan(value)
                Metric.objects.create(
                    run=run, key=key, value=0 if nan else value, step=step, timestamp=START + step, is_nan=nan
                )
            last = values[-1]
            nan = isinstance(last, float) and math.isnan(last)
            LatestMetric.objects.create(
                run=run, key=key, value=0 if nan else last, step=len(values) - 1, timestamp=START, is_nan=nan
            )
        for key, value in (tags or {}).items():
            RunTag.objects.create(run=run, key=key, value=value)
    return run


@pytest.fixture
def card_fraud(fraud_team, alice):
    """Fraud's private "Card fraud detection": three runs (one nested), metrics over epochs, an input."""
    experiment = experiment_create(
        team=fraud_team, by=alice, name="Card fraud detection", visibility="private"
    )
    parent = make_run(
        experiment,
        alice,
        name="grid-search",
        params={"estimator": "GradientBoostingClassifier"},
        metrics={"val/loss": [0.7, 0.5, 0.4], "roc_auc": [0.91]},
        tags={"mlflow.user": "alice", "stage": "tuning"},
        git_commit="9f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6",
        git_repo="https://git.example.org/fraud/models.git",
        environment={"python": "3.11.7", "packages": {"scikit-learn": "1.9.1"}},
        seed=42,
        source_name="train.py",
        entry_point="main",
    )
    children = [
        make_run(
            experiment,
            alice,
            name=f"trial-{depth}",
            index=depth,
            parent=parent,
            params={"max_depth": depth, "learning_rate": 0.1},
            metrics={"val/loss": [0.8, 0.6 - depth / 100], "roc_auc": [0.9 + depth / 100]},
        )
        for depth in (3, 5)
    ]
    return {"experiment": experiment, "parent": parent, "children": children, "runs": [parent, *children]}


@pytest.fixture
def merchant_churn(fraud_team, alice):
    """Fraud's internal experiment: every signed-in user may read it."""
    experiment = experiment_create(team=fraud_team, by=alice, name="Merchant churn", visibility="internal")
    run = make_run(experiment, alice, name="baseline", params={"C": 1.0}, metrics={"accuracy": [0.81]})
    return {"experiment": experiment, "run": run}


@pytest.fixture
def warehouse_forecast(platform_team, bob):
    experiment = experiment_create(team=platform_team, by=bob, name="Warehouse forecast")
    return {"experiment": experiment, "run": make_run(experiment, bob, name="prophet-ish")}


def experiment_url(experiment, suffix: str = "") -> str:
    return f"/api/v1/experiments/{experiment.pk}/{suffix}"


def run_url(run, suffix: str = "") -> str:
    return f"/api/v1/runs/{run.uuid}/{suffix}"


# --- who sees what ------------------------------------------------------------------------------


def test_the_outsider_lists_only_internal_experiments_and_their_runs(
    bob, card_fraud, merchant_churn, warehouse_forecast
):
    client = client_for(bob)
    names = [row["name"] for row in client.get("/api/v1/experiments/").json()["results"]]
    assert names == ["Merchant churn", "Warehouse forecast"]
    runs = client.get("/api/v1/runs/").json()
    assert {row["name"] for row in runs["results"]} == {"baseline", "prophet-ish"}
    assert client.get("/api/v1/runs/", {"experiment": card_fraud["experiment"].pk}).json()["count"] == 0
    assert client.get("/api/v1/experiments/", {"name": "card"}).json()["count"] == 0
    assert client.get("/api/v1/runs/", {"search": "trial"}).json()["count"] == 0
    assert client.get("/api/v1/logged-models/").json()["count"] == 0


def private_routes(card_fraud) -> list[tuple[str, str]]:
    experiment, run = card_fraud["experiment"], card_fraud["parent"]
    return [
        ("get", experiment_url(experiment)),
        ("put", experiment_url(experiment)),
        ("patch", experiment_url(experiment)),
        ("delete", experiment_url(experiment)),
        ("post", experiment_url(experiment, "restore/")),
        ("get", experiment_url(experiment, "runs/")),
        ("get", run_url(run)),
        ("patch", run_url(run)),
        ("delete", run_url(run)),
        ("post", run_url(run, "restore/")),
        ("get", run_url(run, "params/")),
        ("get", run_url(run, "metrics/")),
        ("get", run_url(run, "metrics/val/loss/")),
        ("get", run_url(run, "tags/")),
        ("post", run_url(run, "tags/")),
        ("delete", run_url(run, "tags/stage/")),
        ("get", run_url(run, "artifacts/")),
    ]


def test_the_outsider_gets_404_on_every_route_of_a_private_experiment(bob, card_fraud):
    client = client_for(bob)
    body = {"name": "mine", "note": "mine", "tags": {"stage": "mine"}, "key": "stage", "value": "mine"}
    for method, url in private_routes(card_fraud):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"
        assert response.json()["error"] == "not_found"
    experiment = Experiment.objects.get(pk=card_fraud["experiment"].pk)
    assert (experiment.name, experiment.lifecycle_stage) == ("Card fraud detection", "active")
    assert RunTag.objects.get(run=card_fraud["parent"], key="stage").value == "tuning"


def test_a_missing_experiment_and_run_answer_exactly_like_a_private_one(bob, card_fraud):
    client = client_for(bob)
    private = client.get(run_url(card_fraud["parent"], "params/"))
    missing = client.get(f"/api/v1/runs/{'0' * 32}/params/")
    assert (private.status_code, private.json()) == (missing.status_code, missing.json())
    private = client.get(experiment_url(card_fraud["experiment"]))
    missing = client.get("/api/v1/experiments/999999/")
    assert (private.status_code, private.json()) == (missing.status_code, missing.json())


def test_the_analyst_reads_everything_but_gets_403_on_every_write(ann, card_fraud):
    client = client_for(ann)
    for method, url in private_routes(card_fraud):
        response = getattr(client, method)(url, {"name": "x", "key": "stage", "value": "x"}, format="json")
        expected = 200 if method == "get" else 403
        assert response.status_code == expected, f"{method.upper()} {url}: {response.status_code}"
    assert RunTag.objects.get(run=card_fraud["parent"], key="stage").value == "tuning"
    assert Experiment.objects.get(pk=card_fraud["experiment"].pk).lifecycle_stage == "active"


def test_the_outsider_reads_an_internal_experiment_but_may_not_change_it(bob, merchant_churn):
    client = client_for(bob)
    experiment, run = merchant_churn["experiment"], merchant_churn["run"]
    assert client.get(experiment_url(experiment)).status_code == 200
    assert client.get(run_url(run, "metrics/accuracy/")).status_code == 200
    assert client.patch(experiment_url(experiment), {"name": "x"}, format="json").status_code == 403
    assert client.patch(run_url(run), {"name": "x"}, format="json").status_code == 403
    assert client.post(run_url(run, "tags/"), {"key": "k", "value": "v"}, format="json").status_code == 403


def test_a_grant_on_the_experiment_opens_it_and_its_runs_to_the_outsider(bob, card_fraud):
    assign_perm("view_experiment", bob, card_fraud["experiment"])
    client = client_for(bob)
    assert client.get(experiment_url(card_fraud["experiment"])).status_code == 200
    assert client.get("/api/v1/runs/").json()["count"] == 3
    assert client.patch(run_url(card_fraud["parent"]), {"name": "x"}, format="json").status_code == 403


def test_anonymous_requests_are_401(card_fraud):
    assert APIClient().get("/api/v1/experiments/").status_code == 401
    assert APIClient().get(run_url(card_fraud["parent"])).status_code == 401


# --- experiments -------------------------------------------------------------------------------


def test_the_experiment_list_filters_by_team_name_and_lifecycle(alice, card_fraud, merchant_churn):
    client = client_for(alice)
    body = client.get("/api/v1/experiments/", {"team": "fraud-analytics"}).json()
    assert [row["name"] for row in body["results"]] == ["Card fraud detection", "Merchant churn"]
    first = body["results"][0]
    assert first["run_count"] == 3
    assert first["team"] == "fraud-analytics" and first["team_name"] == "Fraud Analytics"
    assert first["runs_url"].endswith(f"/api/v1/experiments/{card_fraud['experiment'].pk}/runs/")
    assert client.get("/api/v1/experiments/", {"name": "churn"}).json()["count"] == 1
    assert client.get("/api/v1/experiments/", {"team": "data-platform"}).json()["count"] == 0
    client.delete(experiment_url(merchant_churn["experiment"]))
    assert client.get("/api/v1/experiments/").json()["count"] == 1
    deleted = client.get("/api/v1/experiments/", {"lifecycle": "deleted"}).json()
    assert [row["name"] for row in deleted["results"]] == ["Merchant churn"]
    assert client.get("/api/v1/experiments/", {"lifecycle": "all"}).json()["count"] == 2
    bad = client.get("/api/v1/experiments/", {"lifecycle": "gone"})
    assert bad.status_code == 400 and "lifecycle" in bad.json()["fields"]


def test_a_member_creates_an_experiment_and_history_names_her(alice, fraud_team):
    payload = {"team": "fraud-analytics", "name": "Chargeback prediction", "description": "# Why"}
    response = client_for(alice).post("/api/v1/experiments/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["visibility"], body["lifecycle_stage"], body["run_count"]) == ("private", "active", 0)
    assert body["created_by"] == "alice"
    assert "<h1>Why</h1>" in body["description_html"]
    assert body["artifact_location"] == f"mlflow-artifacts:/{body['id']}"
    assert Experiment.objects.get(pk=body["id"]).history.first().history_user == alice


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "No team"}, "team"),
        ({"team": "no-such-team", "name": "x"}, "team"),
        ({"team": "data-platform", "name": "x"}, "team"),
        ({"team": "fraud-analytics"}, "name"),
        ({"team": "fraud-analytics", "name": ""}, "name"),
        ({"team": "fraud-analytics", "name": "x" * 501}, "name"),
        ({"team": "fraud-analytics", "name": "Card fraud detection"}, "name"),
        ({"team": "fraud-analytics", "name": "x", "visibility": "public"}, "visibility"),
        ({"team": ["fraud-analytics"], "name": "x"}, "team"),
    ],
)
def test_bad_experiment_input_is_a_field_level_400(alice, card_fraud, platform_team, payload, field):
    response = client_for(alice).post("/api/v1/experiments/", payload, format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["error"] == "invalid"
    assert field in body["fields"], body


def test_the_analyst_and_the_outsider_may_not_create_in_fraud(ann, bob, fraud_team):
    for user in (ann, bob):
        response = client_for(user).post(
            "/api/v1/experiments/", {"team": "fraud-analytics", "name": "Nope"}, format="json"
        )
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["team"]
    assert not Experiment.objects.filter(name="Nope").exists()


def test_a_member_renames_an_experiment_but_not_its_team(alice, card_fraud, platform_team):
    url = experiment_url(card_fraud["experiment"])
    response = client_for(alice).patch(
        url, {"name": "Card fraud (EU)", "visibility": "internal"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["name"], response.json()["visibility"]) == ("Card fraud (EU)", "internal")
    moved = client_for(alice).patch(url, {"team": "data-platform"}, format="json")
    assert moved.status_code == 400 and "team" in moved.json()["fields"]


def test_a_member_deletes_and_restores_an_experiment_with_its_runs(alice, card_fraud):
    experiment = card_fraud["experiment"]
    officer = client_for(alice)
    assert officer.delete(experiment_url(experiment)).status_code == 204
    assert set(experiment.runs.values_list("lifecycle_stage", flat=True)) == {"deleted"}
    # Still found by its id, to read and restore.
    assert officer.get(experiment_url(experiment)).json()["lifecycle_stage"] == "deleted"
    restored = officer.post(experiment_url(experiment, "restore/"))
    assert restored.status_code == 200
    assert (restored.json()["lifecycle_stage"], restored.json()["run_count"]) == ("active", 3)
    assert Experiment.objects.get(pk=experiment.pk).history.first().history_user == alice


# --- runs --------------------------------------------------------------------------------------


def test_runs_are_listed_with_params_latest_metrics_and_tags(alice, card_fraud):
    body = client_for(alice).get(experiment_url(card_fraud["experiment"], "runs/")).json()
    assert body["count"] == 3
    by_name = {row["name"]: row for row in body["results"]}
    parent = by_name["grid-search"]
    assert parent["id"] == card_fraud["parent"].uuid
    assert parent["params"] == {"estimator": "GradientBoostingClassifier"}
    assert parent["metrics"] == {"roc_auc": 0.91, "val/loss": 0.4}
    assert parent["tags"] == {"mlflow.user": "alice", "stage": "tuning"}
    assert parent["user"] == "alice" and parent["status"] == "FINISHED"
    assert by_name["trial-5"]["parent"] == card_fraud["parent"].uuid


def test_runs_filter_by_status_user_parent_and_experiment_and_sort(alice, bob, card_fraud, merchant_churn):
    client = client_for(alice)
    Run.objects.filter(pk=card_fraud["children"][0].pk).update(status="FAILED")
    assert client.get("/api/v1/runs/", {"status": "FAILED"}).json()["count"] == 1
    assert client.get("/api/v1/runs/", {"status": ["FAILED", "FINISHED"]}).json()["count"] == 4
    assert client.get("/api/v1/runs/", {"user": "alice"}).json()["count"] == 4
    assert client.get("/api/v1/runs/", {"user": "bob"}).json()["count"] == 0
    nested = client.get("/api/v1/runs/", {"parent": card_fraud["parent"].uuid}).json()
    assert {row["name"] for row in nested["results"]} == {"trial-3", "trial-5"}
    only = client.get("/api/v1/runs/", {"experiment": merchant_churn["experiment"].pk}).json()
    assert [row["name"] for row in only["results"]] == ["baseline"]
    ordered = client.get("/api/v1/runs/", {"ordering": "name"}).json()["results"]
    assert [row["name"] for row in ordered] == ["baseline", "grid-search", "trial-3", "trial-5"]
    bad = client.get("/api/v1/runs/", {"status": "SLEEPING"})
    assert bad.status_code == 400 and "status" in bad.json()["fields"]


def test_runs_are_searched_and_sorted_with_mlflows_grammar(alice, bob, card_fraud, merchant_churn):
    client = client_for(alice)

    def names(**query):
        response = client.get("/api/v1/runs/", query)
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    assert set(names(filter="metrics.roc_auc > 0.92")) == {"trial-3", "trial-5"}
    assert names(filter="params.max_depth = '5'") == ["trial-5"]
    assert names(filter="tags.stage = 'tuning' and attributes.status = 'FINISHED'") == ["grid-search"]
    assert names(order_by="metrics.roc_auc DESC", experiment=card_fraud["experiment"].pk) == [
        "trial-5",
        "trial-3",
        "grid-search",
    ]
    assert names(order_by=["params.learning_rate ASC", "attributes.run_name DESC"])[:2] == [
        "trial-5",
        "trial-3",
    ]
    # Another team's private runs match nothing, whatever the filter says.
    outsider = client_for(bob).get("/api/v1/runs/", {"filter": "params.max_depth = '5'"}).json()
    assert outsider["count"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"filter": "metrics.roc_auc >>> 1"}, "filter"),
        ({"filter": "metrics.roc_auc > 0.9 OR params.x = '1'"}, "filter"),
        ({"filter": "nonsense.key = 1"}, "filter"),
        ({"order_by": "metrics.roc_auc SIDEWAYS"}, "order_by"),
    ],
)
def test_a_bad_search_is_a_field_level_400(alice, card_fraud, query, field):
    response = client_for(alice).get("/api/v1/runs/", query)
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]


def test_a_run_in_full_has_its_reproducibility_fields_and_inputs(alice, card_fraud, private_dataset):
    run = card_fraud["parent"]
    version = DatasetVersion.objects.create(dataset=private_dataset, number=1, content_hash="ab12" * 8)
    dataset = LoggedDataset.objects.create(
        experiment=card_fraud["experiment"], name="cards", digest="ab12ab12", source_type="atrium",
        source="atrium://datasets/1/versions/1", dataset_version=version,
    )  # fmt: skip
    RunInput.objects.create(run=run, dataset=dataset, context="training")
    body = client_for(alice).get(run_url(run)).json()
    assert body["reproducibility"] == {
        "source_type": "",
        "source_name": "train.py",
        "entry_point": "main",
        "git_repo": "https://git.example.org/fraud/models.git",
        "git_commit": "9f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6",
        "git_dirty": None,
        "environment": {"python": "3.11.7", "packages": {"scikit-learn": "1.9.1"}},
        "seed": 42,
        "training_job": None,
        "reproduced_from": None,
    }
    assert body["children"] == 2
    assert {m["key"]: (m["value"], m["step"]) for m in body["latest_metrics"]} == {
        "roc_auc": (0.91, 0),
        "val/loss": (0.4, 2),
    }
    [read] = body["inputs"]
    assert (read["name"], read["context"]) == ("cards", "training")
    assert read["dataset_version"]["number"] == 1
    assert read["dataset_version"]["dataset"] == private_dataset.pk


def test_an_input_from_a_dataset_the_reader_may_not_see_is_not_named(bob, merchant_churn, private_dataset):
    version = DatasetVersion.objects.create(dataset=private_dataset, number=1, content_hash="cd34" * 8)
    dataset = LoggedDataset.objects.create(
        experiment=merchant_churn["experiment"], name="merchants", digest="cd34", dataset_version=version
    )
    RunInput.objects.create(run=merchant_churn["run"], dataset=dataset, context="training")
    [read] = client_for(bob).get(run_url(merchant_churn["run"])).json()["inputs"]
    assert read["name"] == "merchants"
    assert read["dataset_version"] is None


def test_a_nan_metric_is_null_with_is_nan(alice, fraud_team):
    experiment = experiment_create(team=fraud_team, by=alice, name="Unstable")
    run = make_run(experiment, alice, name="diverged", metrics={"loss": [1.0, float("nan")]})
    client = client_for(alice)
    assert client.get(run_url(run)).json()["metrics"] == {"loss": None}
    history = client.get(run_url(run, "metrics/loss/")).json()["results"]
    assert [(p["step"], p["value"], p["is_nan"]) for p in history] == [(0, 1.0, False), (1, None, True)]


def test_metric_history_is_paginated_in_step_order_and_keys_may_contain_slashes(alice, card_fraud):
    client = client_for(alice)
    run = card_fraud["parent"]
    page = client.get(run_url(run, "metrics/val/loss/"), {"page_size": 2}).json()
    assert page["count"] == 3
    assert [(p["step"], p["value"]) for p in page["results"]] == [(0, 0.7), (1, 0.5)]
    rest = client.get(page["next"]).json()
    assert [(p["step"], p["value"]) for p in rest["results"]] == [(2, 0.4)]
    assert client.get(run_url(run, "metrics/no-such-metric/")).json()["count"] == 0
    latest = client.get(run_url(run, "metrics/")).json()["results"]
    assert [m["key"] for m in latest] == ["roc_auc", "val/loss"]


def test_params_tags_and_artifacts_of_a_run(alice, card_fraud):
    client = client_for(alice)
    run = card_fraud["children"][0]
    params = client.get(run_url(run, "params/")).json()["results"]
    assert params == [{"key": "learning_rate", "value": "0.1"}, {"key": "max_depth", "value": "3"}]
    Artifact.objects.create(
        experiment=run.experiment, run=run, path="plots/roc.plotly.json", storage_name="x/1", size=10
    )
    Artifact.objects.create(
        experiment=run.experiment, run=run, path="model/model.skops", storage_name="x/2", size=99
    )
    listed = client.get(run_url(run, "artifacts/")).json()["results"]
    assert [a["path"] for a in listed] == ["model/model.skops", "plots/roc.plotly.json"]
    plots = client.get(run_url(run, "artifacts/"), {"path": "plots/"}).json()["results"]
    assert [(a["path"], a["size"]) for a in plots] == [("plots/roc.plotly.json", 10)]
    proxy = (
        f"/api/2.0/mlflow-artifacts/artifacts/{run.experiment_id}/{run.uuid}/artifacts/plots/roc.plotly.json"
    )
    assert plots[0]["download_url"] == proxy


def test_a_member_renames_a_run_writes_its_note_and_sets_tags(alice, card_fraud):
    run = card_fraud["parent"]
    client = client_for(alice)
    payload = {"name": "gbm-grid", "note": "**Best** so far", "tags": {"reviewed": "yes"}}
    response = client.patch(run_url(run), payload, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "gbm-grid"
    assert body["note"] == "**Best** so far"
    assert "<strong>Best</strong>" in body["note_html"]
    assert body["tags"]["reviewed"] == "yes"
    assert body["tags"]["mlflow.note.content"] == "**Best** so far"
    assert Run.objects.get(pk=run.pk).history.first().history_user == alice


def test_tags_are_set_and_removed_one_by_one(alice, card_fraud):
    run = card_fraud["parent"]
    client = client_for(alice)
    response = client.post(run_url(run, "tags/"), {"key": "owner", "value": "fraud-ds"}, format="json")
    assert response.status_code == 200, response.json()
    assert RunTag.objects.get(run=run, key="owner").value == "fraud-ds"
    assert client.delete(run_url(run, "tags/owner/")).status_code == 204
    assert not RunTag.objects.filter(run=run, key="owner").exists()
    assert client.delete(run_url(run, "tags/owner/")).status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"tags": {"mlflow.user": "mallory"}}, "tags"),
        ({"tags": {"": "x"}}, "tags"),
        ({"tags": {"k" * 251: "x"}}, "tags"),
        ({"tags": ["not", "a", "dict"]}, "tags"),
        ({"name": "x" * 251}, "name"),
        ({"note": "x" * 8001}, "note"),
    ],
)
def test_bad_run_changes_are_field_level_400s(alice, card_fraud, payload, field):
    response = client_for(alice).patch(run_url(card_fraud["parent"]), payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert Run.objects.get(pk=card_fraud["parent"].pk).name == "grid-search"


def test_system_tags_cannot_be_set_or_removed_by_hand(alice, card_fraud):
    client = client_for(alice)
    run = card_fraud["parent"]
    refused = client.post(run_url(run, "tags/"), {"key": "mlflow.user", "value": "x"}, format="json")
    assert refused.status_code == 400 and "key" in refused.json()["fields"]
    assert client.delete(run_url(run, "tags/mlflow.user/")).status_code == 400
    assert RunTag.objects.get(run=run, key="mlflow.user").value == "alice"


def test_a_member_deletes_and_restores_a_run_and_a_deleted_run_is_still_found(alice, card_fraud):
    run = card_fraud["children"][0]
    client = client_for(alice)
    assert client.delete(run_url(run)).status_code == 204
    assert client.get("/api/v1/runs/").json()["count"] == 2
    assert client.get("/api/v1/runs/", {"lifecycle": "deleted"}).json()["count"] == 1
    assert client.get(run_url(run)).json()["lifecycle_stage"] == "deleted"
    restored = client.post(run_url(run, "restore/"))
    assert restored.status_code == 200 and restored.json()["lifecycle_stage"] == "active"


# --- logged models -----------------------------------------------------------------------------


def test_logged_models_are_read_only_and_follow_their_experiment(alice, bob, card_fraud, merchant_churn):
    private = LoggedModel.objects.create(
        experiment=card_fraud["experiment"],
        name="gbm",
        source_run=card_fraud["parent"],
        status="LOGGED_MODEL_READY",
    )
    internal = LoggedModel.objects.create(experiment=merchant_churn["experiment"], name="logreg")
    assert client_for(alice).get("/api/v1/logged-models/").json()["count"] == 2
    assert (
        client_for(alice).get("/api/v1/logged-models/", {"run": card_fraud["parent"].uuid}).json()["count"]
        == 1
    )
    outsider = client_for(bob)
    assert [row["id"] for row in outsider.get("/api/v1/logged-models/").json()["results"]] == [
        internal.model_id
    ]
    assert outsider.get(f"/api/v1/logged-models/{private.model_id}/").status_code == 404
    detail = client_for(alice).get(f"/api/v1/logged-models/{private.model_id}/").json()
    assert (detail["source_run"], detail["status"]) == (card_fraud["parent"].uuid, "LOGGED_MODEL_READY")
    assert client_for(alice).delete(f"/api/v1/logged-models/{private.model_id}/").status_code == 405


# --- fixed query counts, whatever the page size ------------------------------------------------


@pytest.fixture
def many_runs(fraud_team, alice):
    """Two experiments with 12 runs each: params, metrics, tags, artifacts, logged models."""
    experiments = []
    for name in ("Card fraud detection", "Merchant churn"):
        experiment = experiment_create(team=fraud_team, by=alice, name=name)
        for index in range(12):
            run = make_run(
                experiment,
                alice,
                name=f"{name[:4]}-{index}",
                index=index,
                params={"max_depth": index, "n_estimators": 100},
                metrics={"loss": [0.9, 0.5], "auc": [0.8]},
                tags={"mlflow.user": "alice"},
            )
            Artifact.objects.create(
                experiment=experiment, run=run, path=f"plots/{index}.json", storage_name=f"s/{index}", size=1
            )
            LoggedModel.objects.create(experiment=experiment, name=f"model-{index}", source_run=run)
        experiments.append(experiment)
    return experiments


# Per request: the token or session's user (1) and memberships for restrict are subqueries, so
# each list is count + page + one query per prefetched relation.
LIST_QUERIES = [
    # count, page, tags
    ("/api/v1/experiments/", 3),
    # count, page, params, latest metrics, tags
    ("/api/v1/runs/", 5),
    # the experiment visible, count, page, params, latest metrics, tags
    ("EXPERIMENT/runs/", 6),
    # the run visible, count, page
    ("RUN/params/", 3),
    ("RUN/metrics/", 3),
    ("RUN/metrics/loss/", 3),
    ("RUN/tags/", 3),
    ("RUN/artifacts/", 3),
    # count, page (experiment, run and user joined)
    ("/api/v1/logged-models/", 2),
]


@pytest.mark.parametrize(("path", "queries"), LIST_QUERIES)
@pytest.mark.parametrize("page_size", [2, 50])
def test_every_list_runs_a_fixed_number_of_queries(
    alice, many_runs, django_assert_num_queries, path, queries, page_size
):
    client = client_for(alice)
    run = Run.objects.filter(experiment=many_runs[0]).first()
    url = path.replace("EXPERIMENT/", experiment_url(many_runs[0])).replace("RUN/", run_url(run))
    with django_assert_num_queries(queries):
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) >= min(page_size, 1)


def test_a_run_in_full_runs_a_fixed_number_of_queries(alice, card_fraud, django_assert_num_queries):
    # the run, params, latest metrics, tags, inputs, logged models (prefetches), the child count is a subquery
    with django_assert_num_queries(6):
        assert client_for(alice).get(run_url(card_fraud["parent"])).status_code == 200
