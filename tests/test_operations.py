"""/healthz and /metrics: what load balancers and Prometheus see."""

import socket

import pytest
from django.db.utils import OperationalError
from prometheus_client.parser import text_string_to_metric_families

from apps.core import operations

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def metric_samples(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


class BrokenConnection:
    vendor = "sqlite"

    def cursor(self):
        raise OperationalError("database is down")


def test_healthz_is_ok_when_the_database_and_the_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


def test_healthz_is_503_naming_the_broker_when_it_points_to_a_closed_port(client, monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_WRITE_URL", f"redis://127.0.0.1:{closed_port()}/0")

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_healthz_is_503_when_an_amqp_broker_is_down(client, monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_WRITE_URL", f"amqp://guest:guest@127.0.0.1:{closed_port()}//")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_the_broker_check_gives_up_on_a_server_that_never_answers(monkeypatch):
    # A listening socket that never accepts: the TCP handshake succeeds, the protocol never
    # does. Without its socket timeout the check would hang here forever.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("CELERY_BROKER_WRITE_URL", f"redis://127.0.0.1:{silent.getsockname()[1]}/0")

        result = operations.check_broker()

    assert result["ok"] is False


def test_healthz_is_503_when_the_embedded_broker_folder_is_missing(client, monkeypatch, tmp_path):
    from portal.celery import app

    monkeypatch.setenv("CELERY_BROKER_WRITE_URL", "filesystem://")
    options = dict(app.conf.broker_transport_options, data_folder_in=str(tmp_path / "missing"))
    monkeypatch.setitem(app.conf, "broker_transport_options", options)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_healthz_is_503_naming_the_database_when_it_fails(client, monkeypatch):
    monkeypatch.setattr(operations, "connection", BrokenConnection())

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == {
        "ok": False,
        "error": "OperationalError",
        "latency_ms": pytest.approx(0, abs=1000),
    }
    assert body["checks"]["broker"]["ok"] is True


def test_healthz_does_not_leak_the_failure_message(client, monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_WRITE_URL", f"redis://:s3cret@127.0.0.1:{closed_port()}/0")

    response = client.get("/healthz")

    assert b"s3cret" not in response.content
    assert b"127.0.0.1" not in response.content


def test_metrics_count_requests_and_their_latency_by_view(client):
    key = ("method", "GET"), ("status", "200"), ("view", "healthz")
    before = metric_samples(client)

    client.get("/healthz")
    client.get("/healthz")
    after = metric_samples(client)

    assert (
        after[("atrium_http_requests_total", key)] - before.get(("atrium_http_requests_total", key), 0) == 2
    )
    latency = ("atrium_http_request_duration_seconds_count", (("method", "GET"), ("view", "healthz")))
    assert after[latency] - before.get(latency, 0) == 2


def test_metrics_count_jobs_by_state_including_empty_states(client):
    from apps.jobs.models import Job, JobStatus

    Job.objects.create(kind="demo.sleep", status=JobStatus.QUEUED)
    Job.objects.create(kind="demo.sleep", status=JobStatus.SUCCEEDED)
    Job.objects.create(kind="catalog.profile", status=JobStatus.SUCCEEDED)

    samples = metric_samples(client)

    jobs = {labels[0][1]: value for (name, labels), value in samples.items() if name == "atrium_jobs"}
    assert jobs == {"queued": 1, "running": 0, "succeeded": 2, "failed": 0, "cancelled": 0}
    assert samples[("atrium_jobs_by_kind", (("kind", "demo.sleep"), ("status", "succeeded")))] == 1
    assert samples[("atrium_jobs_scrape_ok", ())] == 1
    assert samples[("atrium_jobs_oldest_queued_age_seconds", ())] >= 0


def test_metrics_still_answer_when_the_database_is_down(client, monkeypatch):
    from apps.jobs.models import Job

    def broken(*args, **kwargs):
        raise OperationalError("database is down")

    monkeypatch.setattr(Job.objects, "order_by", broken)

    samples = metric_samples(client)

    assert samples[("atrium_jobs_scrape_ok", ())] == 0
    assert any(name == "atrium_http_requests_total" for name, _ in samples)
