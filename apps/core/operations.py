"""Health checks and Prometheus metrics exposition."""

from __future__ import annotations

import time

from django.apps import apps
from django.db import connection
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST


def check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "unavailable"
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def check_broker() -> dict:
    from portal.celery import app

    started = time.perf_counter()
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:  # a broker down raises many kinds of errors
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "transport": str(transport), "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def health_checks() -> dict[str, dict]:
    return {"database": check_database(), "broker": check_broker()}


class JobStateCollector:
    """Job counts by kind and state, read from the Job table at scrape time."""

    def collect(self):
        gauge = GaugeMetricFamily("atrium_jobs", "Background jobs by kind and state", labels=["kind", "status"])
        job_model = apps.get_model("jobs", "Job")
        from django.db.models import Count

        for row in job_model.objects.values("kind", "status").annotate(n=Count("id")).order_by():
            gauge.add_metric([row["kind"], row["status"]], row["n"])
        yield gauge


def prometheus_exposition() -> tuple[bytes, str]:
    jobs_registry = CollectorRegistry(auto_describe=False)
    jobs_registry.register(JobStateCollector())
    return generate_latest(REGISTRY) + generate_latest(jobs_registry), CONTENT_TYPE_LATEST
