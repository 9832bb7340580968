"""OpenLineage events for pipeline tests: stored and mapped through the real receiver and mapper."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from apps.catalog.openlineage.services import openlineage_event_process, openlineage_event_receive

NAMESPACE = "postgres://warehouse:5432"
PRODUCER = "https://github.com/atrium/tests/pipelines"


def event(
    job: str, run_id: str, state: str, when: datetime, *, inputs=(), outputs=(), error: str = ""
) -> dict:
    facets = {"errorMessage": {"message": error, "programmingLanguage": "python"}} if error else {}
    return {
        "eventType": state,
        "eventTime": when.isoformat().replace("+00:00", "Z"),
        "run": {"runId": run_id, "facets": facets},
        "job": {"namespace": "airflow://tests", "name": job},
        "inputs": [{"namespace": NAMESPACE, "name": name} for name in inputs],
        "outputs": [{"namespace": NAMESPACE, "name": name} for name in outputs],
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }


def ingest(
    user, team, *, job: str, runs: int = 2, fail: str = "", inputs=("raw.cards",), outputs=None
) -> None:
    """`runs` completed nightly runs of `job` (reading `inputs`, writing `outputs`), then a failed
    one with the error `fail` if given."""
    outputs = outputs if outputs is not None else (f"clean.{job}",)
    start = datetime(2026, 11, 1, 2, tzinfo=UTC)
    bodies = []
    for night in range(runs + (1 if fail else 0)):
        run_id, began = str(uuid.uuid4()), start + timedelta(days=night)
        bodies.append(event(job, run_id, "START", began, inputs=inputs, outputs=outputs))
        failed = fail and night == runs
        ended, state = began + timedelta(minutes=5), "FAIL" if failed else "COMPLETE"
        bodies.append(
            event(job, run_id, state, ended, inputs=inputs, outputs=outputs, error=fail if failed else "")
        )
    for body in bodies:
        stored, _ = openlineage_event_receive(body=body, user=user, team=team)
        openlineage_event_process(event_id=stored.pk)
