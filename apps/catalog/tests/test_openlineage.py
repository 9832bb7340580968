"""The OpenLineage receiver, driven by the real openlineage-python client's HTTP transport.

The client posts to a live server; the event is stored and a job is queued; the
test then runs the job in-process (as a worker would) and checks the catalog.
"""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    data_quality_assertions_dataset,
    data_quality_metrics_input_dataset,
    output_statistics_output_dataset,
    schema_dataset,
)
from openlineage.client.transport.http import HttpConfig, HttpTransport

from apps.catalog.models import Column, Dataset, DatasetVersion
from apps.catalog.openlineage.models import (
    OpenLineageDatasetQuality,
    OpenLineageEvent,
    OpenLineageEventStatus,
    OpenLineageJob,
    OpenLineageRun,
)
from apps.jobs.models import Job as JobRow
from apps.jobs.services import job_run
from apps.lineage.models import Edge
from apps.teams.services import token_issue

pytestmark = pytest.mark.django_db(transaction=True)

PRODUCER = "https://github.com/atrium/tests/openlineage"
NAMESPACE = "postgres://warehouse:5432"


@pytest.fixture
def token(alice):
    _, raw = token_issue(user=alice, name="openlineage producer")
    return raw


def client_for(live_server, token: str | None, *, gzip_body: bool = False) -> OpenLineageClient:
    config: dict = {"url": live_server.url, "endpoint": "api/v1/lineage", "retry": {"total": 0}}
    if token:
        config["auth"] = {"type": "api_key", "apiKey": token}
    if gzip_body:
        config["compression"] = "gzip"
    return OpenLineageClient(transport=HttpTransport(HttpConfig.from_dict(config)))


def schema(*columns: tuple[str, str]) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name=name, type=kind) for name, kind in columns]
    )


def run_event(state, run_id: str, *, when: datetime, job_name: str = "clean_transactions", outputs=True):
    raw = InputDataset(
        namespace=NAMESPACE,
        name="raw.transactions",
        facets={"schema": schema(("id", "BIGINT"), ("amount", "DECIMAL"), ("card", "VARCHAR"))},
        inputFacets={
            "dataQualityMetrics": data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
                rowCount=1000,
                columnMetrics={
                    "amount": data_quality_metrics_input_dataset.ColumnMetrics(nullCount=3, distinctCount=870)
                },
            ),
        },
    )
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            "amount_eur": column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(
                        namespace=NAMESPACE,
                        name="raw.transactions",
                        field="amount",
                        transformations=[
                            column_lineage_dataset.Transformation(type="DIRECT", subtype="TRANSFORMATION")
                        ],
                    )
                ]
            ),
            "card_hash": column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(
                        namespace=NAMESPACE, name="raw.transactions", field="card"
                    )
                ],
                transformationType="MASKED",
            ),
        }
    )
    clean = OutputDataset(
        namespace=NAMESPACE,
        name="clean.transactions",
        facets={
            "schema": schema(("id", "BIGINT"), ("amount_eur", "DECIMAL"), ("card_hash", "VARCHAR")),
            "columnLineage": lineage,
            "dataQualityAssertions": data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
                assertions=[
                    data_quality_assertions_dataset.Assertion(
                        assertion="not_null", success=True, column="id"
                    ),
                    data_quality_assertions_dataset.Assertion(assertion="unique", success=False, column="id"),
                ]
            ),
            "somethingNobodyKnows": {
                "_producer": PRODUCER,
                "_schemaURL": "https://example.org/x.json",
                "x": 1,
            },
        },
        outputFacets={
            "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=997, size=52_000
            )
        },
    )
    return RunEvent(
        eventType=state,
        eventTime=when.isoformat(),
        run=Run(runId=run_id),
        job=Job(namespace="airflow", name=job_name),
        producer=PRODUCER,
        inputs=[raw],
        outputs=[clean] if outputs else [],
    )


def process_all() -> None:
    """What the worker does: run every queued job (each maps one stored event)."""
    for job in JobRow.objects.filter(kind="catalog.openlineage_event", status="queued").order_by("id"):
        job_run(job_id=job.pk)


def test_start_then_complete_maps_runs_datasets_versions_columns_edges_and_quality(live_server, token, alice):
    client = client_for(live_server, token)
    run_id = str(uuid.uuid4())
    start = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    client.emit(run_event(RunState.START, run_id, when=start))
    client.emit(run_event(RunState.COMPLETE, run_id, when=start + timedelta(minutes=7)))
    assert OpenLineageEvent.objects.count() == 2
    process_all()

    assert set(OpenLineageEvent.objects.values_list("status", flat=True)) == {
        OpenLineageEventStatus.PROCESSED
    }
    ol_job = OpenLineageJob.objects.get()
    assert (ol_job.namespace, ol_job.name, ol_job.team.name) == (
        "airflow",
        "clean_transactions",
        "Fraud Analytics",
    )
    run = OpenLineageRun.objects.get()
    assert (run.run_id, run.state, run.duration) == (run_id, "COMPLETE", timedelta(minutes=7))

    raw = Dataset.objects.get(namespace=NAMESPACE, qualified_name="raw.transactions")
    clean = Dataset.objects.get(namespace=NAMESPACE, qualified_name="clean.transactions")
    assert (raw.team.name, raw.visibility, clean.name) == ("Fraud Analytics", "private", "clean.transactions")
    assert list(clean.columns.values_list("name", "data_type")) == [
        ("id", "BIGINT"), ("amount_eur", "DECIMAL"), ("card_hash", "VARCHAR"),
    ]  # fmt: skip
    assert Column.objects.filter(dataset=raw).count() == 3

    [version] = DatasetVersion.objects.filter(dataset=clean)
    assert (version.row_count, version.size_bytes, version.created_by) == (997, 52_000, alice)
    assert version.producer == "openlineage:clean_transactions"
    assert [c["name"] for c in version.schema] == ["id", "amount_eur", "card_hash"]
    assert not DatasetVersion.objects.filter(dataset=raw).exists()  # inputs are read, not written

    edge = Edge.objects.get(source_id=raw.pk, target_id=clean.pk, target_type__model="dataset")
    assert (edge.provenance, edge.transformation, edge.producer) == (
        "ingested",
        "clean_transactions",
        PRODUCER,
    )
    assert edge.facets["last_run_id"] == run_id
    columns = edge.columns.values_list("source_column", "target_column", "transformation")
    assert sorted(columns) == [
        ("amount", "amount_eur", "DIRECT: TRANSFORMATION"), ("card", "card_hash", "MASKED"),
    ]  # fmt: skip

    quality = {q.dataset_id: q for q in OpenLineageDatasetQuality.objects.all()}
    assert quality[raw.pk].metrics["rowCount"] == 1000
    assert quality[raw.pk].metrics["columnMetrics"]["amount"]["nullCount"] == 3
    assert (quality[clean.pk].assertions_passed, quality[clean.pk].assertions_failed) == (1, 1)
    stored = OpenLineageEvent.objects.get(event_type="COMPLETE").body
    assert stored["outputs"][0]["facets"]["somethingNobodyKnows"]["x"] == 1  # unknown facets kept


def test_the_dataset_page_shows_the_quality_facets_and_the_lineage_tab(live_server, token, alice, client):
    run_id = str(uuid.uuid4())
    client_for(live_server, token).emit(run_event(RunState.COMPLETE, run_id, when=datetime.now(UTC)))
    process_all()
    clean = Dataset.objects.get(qualified_name="clean.transactions")
    raw = Dataset.objects.get(qualified_name="raw.transactions")
    client.force_login(alice)
    html = client.get(raw.get_absolute_url()).content.decode()
    assert "Reported by OpenLineage" in html
    assert "1,000" in html or "1000" in html
    html = client.get(clean.get_absolute_url()).content.decode()
    assert "1 of 2 assertions passed" in html
    lineage = client.get(f"/lineage/catalog.dataset/{clean.pk}/").content.decode()
    assert "clean_transactions" in lineage and "raw.transactions" in lineage


def test_a_failed_run_records_its_state_and_no_version(live_server, token):
    client = client_for(live_server, token)
    run_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    client.emit(run_event(RunState.START, run_id, when=now))
    client.emit(run_event(RunState.FAIL, run_id, when=now + timedelta(seconds=30)))
    process_all()
    run = OpenLineageRun.objects.get()
    assert (run.state, run.ended_at - run.started_at) == ("FAIL", timedelta(seconds=30))
    assert not DatasetVersion.objects.exists()
    assert Edge.objects.filter(provenance="ingested", source_type__model="dataset").count() == 1


def test_a_late_start_does_not_undo_a_completed_run(live_server, token):
    client = client_for(live_server, token)
    run_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    client.emit(run_event(RunState.COMPLETE, run_id, when=now + timedelta(minutes=1)))
    process_all()
    client.emit(run_event(RunState.START, run_id, when=now))
    process_all()
    run = OpenLineageRun.objects.get()
    assert run.state == "COMPLETE"
    assert run.started_at < run.ended_at


def test_gzip_bodies_are_accepted(live_server, token):
    client_for(live_server, token, gzip_body=True).emit(
        run_event(RunState.START, str(uuid.uuid4()), when=datetime.now(UTC))
    )
    assert OpenLineageEvent.objects.get().event_type == "START"


def test_a_retried_event_is_stored_and_applied_once(live_server, token):
    event = run_event(RunState.COMPLETE, str(uuid.uuid4()), when=datetime.now(UTC))
    client = client_for(live_server, token)
    client.emit(event)
    client.emit(event)
    assert OpenLineageEvent.objects.count() == 1
    assert JobRow.objects.filter(kind="catalog.openlineage_event").count() == 1
    process_all()
    # A re-delivered job message finds the job finished and does nothing.
    job_run(job_id=JobRow.objects.get(kind="catalog.openlineage_event").pk)
    assert DatasetVersion.objects.count() == 1
    assert Edge.objects.filter(target_type__model="dataset").count() == 1


def test_a_second_run_adds_a_version_and_a_version_to_version_edge(live_server, token):
    client = client_for(live_server, token)
    now = datetime.now(UTC)
    for offset in (0, 60):
        client.emit(run_event(RunState.COMPLETE, str(uuid.uuid4()), when=now + timedelta(minutes=offset)))
        process_all()
    clean = Dataset.objects.get(qualified_name="clean.transactions")
    assert list(clean.versions.order_by("number").values_list("number", flat=True)) == [1, 2]
    assert Edge.objects.filter(target_type__model="dataset").count() == 1  # one dataset edge, refreshed


def test_without_a_token_the_receiver_answers_401_in_json(live_server):
    response = requests.post(f"{live_server.url}/api/v1/lineage", json={"eventType": "START"}, timeout=10)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    with pytest.raises(requests.HTTPError) as refused:  # the real client, without a token
        client_for(live_server, None).emit(
            run_event(RunState.START, str(uuid.uuid4()), when=datetime.now(UTC))
        )
    assert refused.value.response.status_code == 401
    with pytest.raises(requests.HTTPError) as revoked:
        client_for(live_server, "atr_not-a-real-token").emit(
            run_event(RunState.START, str(uuid.uuid4()), when=datetime.now(UTC))
        )
    assert revoked.value.response.status_code == 401
    assert not OpenLineageEvent.objects.exists()


def test_a_user_of_another_team_cannot_see_the_resulting_private_datasets_or_edges(
    live_server, token, bob, client
):
    client_for(live_server, token).emit(
        run_event(RunState.COMPLETE, str(uuid.uuid4()), when=datetime.now(UTC))
    )
    process_all()
    clean = Dataset.objects.get(qualified_name="clean.transactions")
    edge = Edge.objects.get(target_type__model="dataset")
    client.force_login(bob)
    assert client.get(clean.get_absolute_url()).status_code == 404
    assert client.get(f"/lineage/catalog.dataset/{clean.pk}/").status_code == 404
    assert client.get(f"/api/v1/lineage/edges/{edge.pk}/").status_code == 404
    assert client.get("/api/v1/lineage/edges/").json()["count"] == 0
    assert "clean.transactions" not in client.get("/catalog/datasets/").content.decode()


def test_an_outsiders_events_never_write_into_another_teams_dataset(live_server, token, bob):
    client_for(live_server, token).emit(
        run_event(RunState.COMPLETE, str(uuid.uuid4()), when=datetime.now(UTC))
    )
    process_all()
    _, bob_token = token_issue(user=bob, name="bob producer")
    client_for(live_server, bob_token).emit(
        run_event(RunState.COMPLETE, str(uuid.uuid4()), when=datetime.now(UTC), job_name="bobs_job")
    )
    process_all()
    bobs = OpenLineageEvent.objects.get(job_name="bobs_job")
    assert bobs.status == OpenLineageEventStatus.PROCESSED
    assert {item["reason"] for item in bobs.result["skipped"]} == {"not visible", "not writable by you"}
    assert DatasetVersion.objects.count() == 1
    assert not Edge.objects.filter(transformation="bobs_job").exists()


# --- raw HTTP: what producers may get wrong -------------------------------------------------------
def post(live_server, token, body, *, headers=None, path="/api/v1/lineage"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})}
    return requests.post(
        f"{live_server.url}{path}", data=data, headers=headers, timeout=10, allow_redirects=False
    )


def valid_body() -> dict:
    return {
        "eventType": "START",
        "eventTime": "2026-03-01T02:00:00Z",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "airflow", "name": "load"},
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }


def test_the_receiver_answers_with_and_without_a_trailing_slash_and_never_redirects(live_server, token):
    assert post(live_server, token, valid_body()).status_code == 201
    assert post(live_server, token, valid_body(), path="/api/v1/lineage/").status_code == 201
    assert OpenLineageEvent.objects.count() == 2


def test_a_raw_gzip_body_is_accepted_and_a_gzip_bomb_is_refused(live_server, token, settings):
    body = gzip.compress(json.dumps(valid_body()).encode())
    assert post(live_server, token, body, headers={"Content-Encoding": "gzip"}).status_code == 201
    bomb = gzip.compress(b" " * (11 * 1024 * 1024))
    response = post(live_server, token, bomb, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert post(live_server, token, b"not gzip", headers={"Content-Encoding": "gzip"}).status_code == 400
    assert post(live_server, token, b"{}", headers={"Content-Encoding": "br"}).status_code == 400


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.pop("eventTime"), "eventTime"),
        (lambda b: b.update(eventTime="yesterday"), "eventTime"),
        (lambda b: b.update(eventType="DONE"), "eventType"),
        (lambda b: b["run"].update(runId="not-a-uuid"), "run.runId"),
        (lambda b: b["job"].pop("name"), "job.name"),
        (lambda b: b.update(job="load"), "job"),
        (lambda b: b.update(inputs={"namespace": "x"}), "inputs"),
        (lambda b: b.update(outputs=[{"namespace": "x"}]), "outputs[0].name"),
        (lambda b: b["run"].update(facets=[]), "run.facets"),
        (lambda b: b.update(producer=5), "producer"),
    ],
)
def test_an_event_off_the_spec_is_a_400_naming_the_field_and_nothing_is_stored(
    live_server, token, change, field
):
    body = valid_body()
    change(body)
    response = post(live_server, token, body)
    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()
    assert not OpenLineageEvent.objects.exists()
    assert not JobRow.objects.exists()


@pytest.mark.parametrize("body", [b"", b"[1, 2]", b"{not json", "\u00e9".encode("latin-1"), b"{}", b'"text"'])
def test_a_body_that_is_not_an_event_is_a_400_with_a_clear_message(live_server, token, body):
    response = post(live_server, token, body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert response.json()["detail"]


def test_dataset_and_job_events_are_accepted(live_server, token):
    dataset_event = {
        "eventTime": "2026-03-01T02:00:00Z", "producer": PRODUCER,
        "dataset": {"namespace": NAMESPACE, "name": "ref.countries",
                    "facets": {"schema": {"fields": [{"name": "iso", "type": "CHAR(2)"}]}}},
    }  # fmt: skip
    job_event = {
        "eventTime": "2026-03-01T02:00:00Z", "producer": PRODUCER,
        "job": {"namespace": "airflow", "name": "enrich"},
        "inputs": [{"namespace": NAMESPACE, "name": "ref.countries"}],
        "outputs": [{"namespace": NAMESPACE, "name": "enriched"}],
    }  # fmt: skip
    assert post(live_server, token, dataset_event).status_code == 201
    assert post(live_server, token, job_event).status_code == 201
    process_all()
    countries = Dataset.objects.get(qualified_name="ref.countries")
    assert list(countries.columns.values_list("name", flat=True)) == ["iso"]
    assert Edge.objects.filter(transformation="enrich", source_id=countries.pk).exists()


def test_the_team_parameter_chooses_the_owning_team_and_is_checked(live_server, token, alice, platform_team):
    assert (
        post(live_server, token, valid_body(), path="/api/v1/lineage?team=data-platform").status_code == 400
    )
    assert (
        post(live_server, token, valid_body(), path="/api/v1/lineage?team=fraud-analytics").status_code == 201
    )


def test_a_user_in_no_team_that_may_add_is_refused_with_400(live_server, ann):
    _, raw = token_issue(user=ann, name="analyst token")
    response = post(live_server, raw, valid_body())
    assert response.status_code == 400
    assert "team" in response.json()["fields"]
