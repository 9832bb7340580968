"""Version numbers under concurrency, on PostgreSQL (SELECT … FOR UPDATE on the model's row)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from apps.registry import services
from apps.registry.models import ModelVersion
from tests.services import require_services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

WRITERS = 4
VERSIONS_EACH = 5


@pytest.fixture(autouse=True)
def postgres():
    require_services()


def test_concurrent_registrations_get_consecutive_numbers(fraud_model, fraud_run, alice):
    source = f"runs:/{fraud_run.uuid}/model"
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def register() -> None:
        try:
            start.wait(timeout=30)
            for _ in range(VERSIONS_EACH):
                services.model_version_create(registered_model=fraud_model, by=alice, source=source)
        except BaseException as error:  # reported below; a thread cannot fail the test itself
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=register) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    numbers = sorted(
        ModelVersion.objects.filter(registered_model=fraud_model).values_list("version", flat=True)
    )
    assert numbers == list(range(1, WRITERS * VERSIONS_EACH + 1))


def test_the_model_row_is_locked_while_a_number_is_chosen(
    fraud_model, fraud_run, alice, django_assert_num_queries
):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        services.model_version_create(
            registered_model=fraud_model, by=alice, source=f"runs:/{fraud_run.uuid}/m"
        )
    assert any("FOR UPDATE" in query["sql"] for query in captured.captured_queries)
