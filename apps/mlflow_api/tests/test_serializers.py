"""MLflow JSON: a search page from plain parts equals the page from model rows, in fixed queries."""

import json
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.experiments.selectors.tracking import metric_history, run_get, runs_search
from apps.experiments.services.tracking import (
    DatasetInputSpec,
    experiment_create,
    run_batch_log,
    run_create,
    run_inputs_log,
)
from apps.mlflow_api.serializers import run_json
from apps.teams.services import token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(alice):
    experiment = experiment_create(by=alice, name="Parts")
    made = []
    for index in range(4):
        run = run_create(experiment=experiment, by=alice, run_name=f"run-{index}", start_time=1000 + index)
        run_batch_log(
            run=run,
            by=alice,
            metrics=[("loss", 1.0 / (index + 1), 5, 0), ("odd", math.nan, 5, 0)],
            params=[("depth", str(index))],
            tags=[("team", "fraud")],
        )
        run_inputs_log(
            run=run,
            by=alice,
            datasets=[
                DatasetInputSpec(name="cards", digest="abcd1234", tags=(("mlflow.data.context", "train"),))
            ],
        )
        made.append(run)
    return experiment, made


def test_a_page_from_parts_is_the_page_from_rows(alice, runs):
    experiment, _ = runs
    by_rows = runs_search(user=alice, experiment_ids=[experiment.pk])
    by_parts = runs_search(user=alice, experiment_ids=[experiment.pk], with_parts=True)
    expected = [run_json(run) for run in by_rows.runs]
    got = [run_json(run, by_parts.parts[run.pk]) for run in by_parts.runs]
    assert repr(got) == repr(expected)  # repr: NaN == NaN
    assert [row["info"]["run_name"] for row in got] == ["run-3", "run-2", "run-1", "run-0"]
    single = run_get(user=alice, run_id=by_rows.runs[0].uuid, prefetch=True)
    assert repr(run_json(single)) == repr(expected[0])


@pytest.mark.parametrize(
    ("filter_string", "order_by"),
    [
        ("", []),
        ("metrics.loss > 0.3 AND metrics.loss <= 1", ["metrics.loss ASC"]),
        ("metrics.odd != 0", ["metrics.loss DESC"]),
        ("params.depth = '2'", ["params.depth DESC"]),
        ("params.depth != '0' AND params.depth LIKE '%'", ["params.depth ASC"]),
        ("params.missing IS NULL AND params.depth IS NOT NULL", []),
        ("tags.team ILIKE 'FRA%'", ["tags.team ASC", "attributes.start_time DESC"]),
        ("attributes.run_name LIKE 'run-%' AND attributes.status = 'RUNNING'", ["attributes.run_name"]),
        ("attributes.run_name != 'run-1' AND attributes.user_id LIKE '%'", ["attributes.start_time"]),
        ("attributes.start_time >= 1001 AND attributes.start_time < 1003", []),
        ("datasets.name = 'cards' AND datasets.digest LIKE 'ab%'", []),
        ("datasets.context IN ('train')", ["metrics.odd ASC"]),
    ],
)
def test_a_search_by_plain_statements_finds_what_the_orm_finds(alice, runs, filter_string, order_by):
    """The MLflow API's search (its compiled statement, prepared on PostgreSQL) against the ORM's."""
    experiment, _ = runs
    search = {
        "user": alice,
        "experiment_ids": [experiment.pk],
        "filter_string": filter_string,
        "order_by": order_by,
    }
    expected = [run.uuid for run in runs_search(**search).runs]
    for _ in range(2):  # prepared on first use, executed from then on
        assert [row.uuid for row in runs_search(**search, with_parts=True).runs] == expected
    assert expected  # every filter here finds some runs, so the comparison can fail


@pytest.mark.parametrize("page_size", [1, 4])
def test_a_search_page_is_a_fixed_number_of_queries(alice, runs, django_assert_num_queries, page_size):
    experiment, _ = runs
    # the page of runs, then latest metrics, params, tags, inputs, outputs
    with django_assert_num_queries(6):
        page = runs_search(
            user=alice,
            experiment_ids=[experiment.pk],
            filter_string="metrics.loss > 0 AND params.depth != '9'",
            order_by=["metrics.loss ASC"],
            max_results=page_size,
            with_parts=True,
        )
        [run_json(run, page.parts[run.pk]) for run in page.runs]
    assert len(page.runs) == page_size


@pytest.mark.parametrize(
    ("method", "route", "arguments", "statements"),
    [
        # token, the page of runs, latest metrics, params, tags, inputs, outputs
        ("post", "runs/search", {"filter": "metrics.loss > 0", "order_by": ["metrics.loss ASC"]}, 7),
        ("get", "metrics/get-history", {"metric_key": "loss"}, 2),  # token with the run and access, points
    ],
)
def test_reads_run_no_transaction_and_a_fixed_number_of_statements(
    client, alice, runs, method, route, arguments, statements
):
    """Reads write nothing, so they skip BEGIN/COMMIT (or, inside a test's transaction, a savepoint)."""
    experiment, made = runs
    _, token = token_issue(user=alice, name="reads")
    if method == "post":
        arguments = {**arguments, "experiment_ids": [str(experiment.pk)]}
        call = lambda: client.post(  # noqa: E731
            f"/api/2.0/mlflow/{route}", json.dumps(arguments), content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )  # fmt: skip
    else:
        arguments = {**arguments, "run_id": made[0].uuid}
        call = lambda: client.get(f"/api/2.0/mlflow/{route}", arguments, HTTP_AUTHORIZATION=f"Bearer {token}")  # noqa: E731
    call()  # the token's last use is touched once a minute: not in the measured request
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200, response.content
    sql = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    assert not {"BEGIN", "SAVEPOINT", "RELEASE", "COMMIT"} & set(sql), sql
    assert len(sql) == statements, [query["sql"][:80] for query in queries.captured_queries]
    assert response.json()["runs" if method == "post" else "metrics"]


def test_history_pages_cover_every_point_once(alice, runs):
    _, made = runs
    run = made[0]
    run_batch_log(run=run, by=alice, metrics=[("curve", float(step), step, step) for step in range(25)])
    everything, token = metric_history(run=run, key="curve")
    assert token is None and [row[3] for row in everything] == list(range(25))
    seen, token = [], None
    while True:
        rows, token = metric_history(run=run, key="curve", max_results=10, page_token=token)
        seen += rows
        if token is None:
            break
    assert seen == everything


def test_a_cached_search_statement_still_applies_todays_permissions(alice, bob, root, runs, fraud_team):
    """The statement of a search is compiled once; who may see what is decided when it runs."""
    from apps.teams.models import Membership
    from apps.teams.services import membership_remove, membership_set

    experiment, made = runs
    search = {"experiment_ids": [experiment.pk], "filter_string": "metrics.loss > 0", "with_parts": True}
    assert len(runs_search(user=alice, **search).runs) == len(made)
    assert runs_search(user=bob, **search).runs == []  # a private experiment of another team
    membership_set(team=fraud_team, user=bob, role="analyst", by=root)
    assert len(runs_search(user=bob, **search).runs) == len(made)
    membership_remove(membership=Membership.objects.get(team=fraud_team, user=alice), by=root)
    assert runs_search(user=alice, **search).runs == []
    alice.is_superuser = True  # the user's own flags are part of the statement's key
    alice.save(update_fields=["is_superuser"])
    assert len(runs_search(user=alice, **search).runs) == len(made)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert runs_search(user=alice, **search).runs == []


def test_runs_create_answers_what_runs_get_then_reads_without_reading_the_run_back(client, alice, runs):
    """The new run's JSON is made from the run just saved and its tags (one statement), not read
    back with its five kinds of parts; it is the JSON runs/get then answers."""
    experiment, _ = runs
    _, token = token_issue(user=alice, name="create")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = {
        "experiment_id": str(experiment.pk),
        "start_time": 1_700_000_000_000,
        "run_name": "fresh",
        "tags": [{"key": "team", "value": "fraud"}, {"key": "mlflow.source.name", "value": "train.py"}],
    }
    client.post("/api/2.0/mlflow/runs/create", json.dumps(body), content_type="application/json", **headers)
    with CaptureQueriesContext(connection) as queries:
        created = client.post(
            "/api/2.0/mlflow/runs/create", json.dumps(body), content_type="application/json", **headers
        )
    assert created.status_code == 200, created.json()
    selects = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]
    assert not any('FROM "experiments_latestmetric"' in sql for sql in selects), selects
    assert not any('FROM "experiments_runinput"' in sql for sql in selects), selects
    run = created.json()["run"]
    fetched = client.get("/api/2.0/mlflow/runs/get", {"run_id": run["info"]["run_id"]}, **headers)
    assert run == fetched.json()["run"]
    assert {"key": "team", "value": "fraud"} in run["data"]["tags"]


def test_a_single_log_metric_is_one_statement_and_no_transaction_on_postgresql(client, alice, runs):
    """The token, the run and the caller's access, the point and the run's latest value: one statement."""
    _, made = runs
    _, token = token_issue(user=alice, name="singles")

    def log(step: int, value: float):
        body = {"run_id": made[0].uuid, "key": "acc", "value": value, "timestamp": 7, "step": step}
        return client.post(
            "/api/2.0/mlflow/runs/log-metric", json.dumps(body), content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )  # fmt: skip

    assert log(0, 0.5).status_code == 200  # the token's last use is touched once a minute: not measured
    with CaptureQueriesContext(connection) as queries:
        assert log(1, 0.7).status_code == 200
        assert log(1, 0.7).status_code == 200  # a client's retry: stored once
        assert log(0, 0.9).status_code == 200  # an older step does not replace the latest value
    if connection.vendor == "postgresql":
        sql = [query["sql"].split()[0].upper() for query in queries.captured_queries]
        assert sql == ["WITH"] * 3, sql
        assert all(query["sql"].startswith("WITH access AS") for query in queries.captured_queries)
    history, _ = metric_history(run=made[0], key="acc")
    assert [(row[1], row[3]) for row in history] == [(0.5, 0), (0.9, 0), (0.7, 1)]
    latest = made[0].latest_metrics.get(key="acc")
    assert (latest.value, latest.step) == (0.7, 1)


def test_a_batch_of_metrics_alone_is_logged_as_a_single_point_and_one_with_params_in_a_transaction(
    client, alice, runs
):
    """The fluent client's log_metrics at each step sends a small batch of metrics alone: one
    statement on PostgreSQL, as a single log_metric; a batch with params keeps its transaction."""
    _, made = runs
    _, token = token_issue(user=alice, name="batches")

    def batch(step: int, **extra):
        metrics = [{"key": key, "value": step / 10, "timestamp": 7, "step": step} for key in ("acc", "f1")]
        body = {"run_id": made[0].uuid, "metrics": metrics, **extra}
        return client.post(
            "/api/2.0/mlflow/runs/log-batch", json.dumps(body), content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )  # fmt: skip

    assert batch(0).status_code == 200  # the token's last use is touched once a minute: not measured
    with CaptureQueriesContext(connection) as alone:
        assert batch(1).status_code == 200
    with CaptureQueriesContext(connection) as with_params:
        assert batch(2, params=[{"key": "lr", "value": "0.1"}]).status_code == 200
    if connection.vendor == "postgresql":
        # The route's (empty) atomic block is a savepoint inside the test's transaction; outside
        # one it sends nothing (psycopg commits an idle connection without a round trip).
        sql = [query["sql"].split()[0] for query in alone.captured_queries]
        assert [word for word in sql if word not in {"SAVEPOINT", "RELEASE"}] == ["WITH"], sql
        assert len(with_params.captured_queries) > 1
    for key in ("acc", "f1"):
        history, _ = metric_history(run=made[0], key=key)
        assert [(row[1], row[3]) for row in history] == [(0.0, 0), (0.1, 1), (0.2, 2)]
        assert made[0].latest_metrics.get(key=key).step == 2
    assert made[0].params.get(key="lr").value == "0.1"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's commit modes")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("synchronous", [False, True])
def test_a_single_metric_point_commits_asynchronously_unless_told_otherwise(
    client, alice, runs, settings, synchronous
):
    """Outside a transaction the point's own statement turns off the wait for its WAL flush, for
    itself only: the connection's next transactions commit synchronously again."""
    settings.METRICS_SYNCHRONOUS_COMMIT = synchronous
    _, made = runs
    _, token = token_issue(user=alice, name="async")
    body = {"run_id": made[0].uuid, "key": "acc", "value": 0.25, "timestamp": 7, "step": 3}
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/api/2.0/mlflow/runs/log-metric", json.dumps(body), content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )  # fmt: skip
    assert response.status_code == 200
    [write] = [query["sql"] for query in queries.captured_queries if not query["sql"].startswith("UPDATE")]
    assert write.startswith("WITH access AS")
    assert ("set_config('synchronous_commit', 'off', true)" in write) is not synchronous
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    latest = made[0].latest_metrics.get(key="acc")
    assert (latest.value, latest.step) == (0.25, 3)
    history, _ = metric_history(run=made[0], key="acc")
    assert [(row[1], row[3]) for row in history] == [(0.25, 3)]
