"""Whether PostgreSQL and a networked broker (Redis/RabbitMQ) are configured and reachable.

Tests marked `services` call `require_services()` (or use the `services` fixture):
they are skipped when the services are absent, unless REQUIRE_SERVICES=1, which
turns the absence into a failure (CI's PostgreSQL + Redis run).
"""

from __future__ import annotations

import os

import pytest

NETWORK_BROKERS = ("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://")


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes", "on"}


def missing_services() -> list[str]:
    """Why the services are unusable here; empty when PostgreSQL and the broker both answer."""
    from django.conf import settings
    from django.db import connection

    problems = []
    if connection.vendor != "postgresql":
        problems.append(
            f"the database is {connection.vendor}, not PostgreSQL (set DATABASE_URL=postgres://…)"
        )
    else:
        try:
            connection.ensure_connection()
        except Exception as exc:  # any driver error means "not reachable"
            problems.append(f"PostgreSQL is not reachable ({exc.__class__.__name__})")
    broker_url = settings.CELERY_BROKER_URL
    if not broker_url.startswith(NETWORK_BROKERS):
        problems.append("the broker is not Redis or RabbitMQ (set CELERY_BROKER_URL=redis://…)")
    else:
        from portal.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=3)
        except Exception as exc:  # a broker down raises many kinds of errors
            problems.append(f"the broker is not reachable ({exc.__class__.__name__})")
    return problems


def require_services() -> None:
    """Skip the calling test when the services are absent; fail instead when REQUIRE_SERVICES=1."""
    problems = missing_services()
    if not problems:
        return
    message = "PostgreSQL + Redis tests need services: " + "; ".join(problems)
    if services_required():
        pytest.fail("REQUIRE_SERVICES=1 but " + message, pytrace=False)
    pytest.skip(message)


@pytest.fixture
def services(django_db_blocker):
    """Use in a test (or `pytest.mark.usefixtures("services")`) that needs PostgreSQL and Redis."""
    with django_db_blocker.unblock():
        require_services()
