"""Health checks for /healthz and the Prometheus exposition for /metrics.

Both endpoints are for load balancers and monitoring systems: they answer fast
(short timeouts, no retries) and say which part failed without leaking its address.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.apps import apps
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

BROKER_TIMEOUT_SECONDS = 2.0


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _failure(exc: BaseException, started: float) -> dict:
    # The class names the kind of failure; messages may carry host names or passwords.
    return {"ok": False, "error": exc.__class__.__name__, "latency_ms": _elapsed_ms(started)}


def check_database() -> dict:
    """The default database answers a trivial query."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "unavailable"
        return _failure(exc, started)
    return {"ok": True, "vendor": connection.vendor, "latency_ms": _elapsed_ms(started)}


def check_broker() -> dict:
    """The Celery broker accepts a connection within BROKER_TIMEOUT_SECONDS (one try, no retries)."""
    from portal.celery import app

    started = time.perf_counter()
    try:
        timeouts = {
            "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
            "socket_timeout": BROKER_TIMEOUT_SECONDS,
        }
        with app.connection_for_write(
            connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=timeouts
        ) as conn:
            transport = conn.transport_cls
            if transport == "filesystem":
                _check_filesystem_broker(conn.transport_options)
            else:
                conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # a broker down raises many kinds of errors
        return _failure(exc, started)
    return {"ok": True, "transport": str(transport), "latency_ms": _elapsed_ms(started)}


def _check_filesystem_broker(options: dict) -> None:
    """The embedded broker is a folder: it answers when its folders exist and are writable."""
    for key in ("data_folder_in", "data_folder_out"):
        folder = options.get(key)
        if not folder or not Path(folder).is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise FileNotFoundError(key)


def health_checks() -> dict[str, dict]:
    """Every dependency the portal needs to serve requests and run jobs, with its state."""
    return {"database": check_database(), "broker": check_broker()}


class JobStateCollector:
    """Job counts by state (every state, zeros included) and by kind, read at scrape time."""

    def collect(self):
        job_model = apps.get_model("jobs", "Job")
        statuses = [value for value, _ in job_model._meta.get_field("status").choices]
        by_status = GaugeMetricFamily("atrium_jobs", "Background jobs by state", labels=["status"])
        by_kind = GaugeMetricFamily(
            "atrium_jobs_by_kind", "Background jobs by kind and state", labels=["kind", "status"]
        )
        oldest = GaugeMetricFamily(
            "atrium_jobs_oldest_queued_age_seconds", "Age of the oldest job still waiting for a worker"
        )
        up = GaugeMetricFamily("atrium_jobs_scrape_ok", "1 when job counts could be read from the database")
        try:
            rows = list(job_model.objects.order_by().values("kind", "status").annotate(n=Count("id")))
            oldest_queued = job_model.objects.filter(status="queued").aggregate(at=Min("created_at"))["at"]
        except Exception:  # a database outage must not break the request metrics beside it
            up.add_metric([], 0)
            yield up
            return
        totals = dict.fromkeys(statuses, 0)
        for row in rows:
            totals[row["status"]] = totals.get(row["status"], 0) + row["n"]
            by_kind.add_metric([row["kind"], row["status"]], row["n"])
        for status, count in totals.items():
            by_status.add_metric([status], count)
        age = (timezone.now() - oldest_queued).total_seconds() if oldest_queued else 0.0
        oldest.add_metric([], max(age, 0.0))
        up.add_metric([], 1)
        yield from (by_status, by_kind, oldest, up)


def _process_metrics() -> bytes:
    """This process's metrics, or every web process's when gunicorn runs several (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def prometheus_exposition() -> tuple[bytes, str]:
    """The /metrics body in Prometheus text format and its content type."""
    jobs_registry = CollectorRegistry(auto_describe=False)
    jobs_registry.register(JobStateCollector())
    return _process_metrics() + generate_latest(jobs_registry), CONTENT_TYPE_LATEST
