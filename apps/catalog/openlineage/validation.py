"""Minimal validation of OpenLineage events: enough to store and map them, no more.

Follows the OpenLineage spec's required fields: a RunEvent has eventType,
eventTime, run.runId (a UUID) and job.namespace + job.name; a DatasetEvent has
eventTime and dataset.namespace + dataset.name; a JobEvent has eventTime and
job.namespace + job.name. Facets must be objects; unknown facets are kept as they are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apps.catalog.openlineage.models import OpenLineageEventKind, OpenLineageRunState

MAX_NAME = 500


class EventInvalid(Exception):  # noqa: N818 - reads as the condition it names
    """The event does not follow the spec; `fields` maps a JSON path to its messages."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


@dataclass(frozen=True)
class ParsedEvent:
    kind: str
    event_type: str
    event_time: datetime
    run_id: str
    job_namespace: str
    job_name: str
    producer: str


def _name_pair(value: Any, path: str, errors: dict[str, list[str]]) -> tuple[str, str]:
    if not isinstance(value, dict):
        errors[path] = ["Must be an object with namespace and name."]
        return "", ""
    pair = []
    for key in ("namespace", "name"):
        text = value.get(key)
        if not isinstance(text, str) or not text.strip():
            errors[f"{path}.{key}"] = ["Required: a non-empty string."]
        elif len(text) > MAX_NAME:
            errors[f"{path}.{key}"] = [f"At most {MAX_NAME} characters."]
        pair.append(text if isinstance(text, str) else "")
    _facets(value, path, errors)
    return pair[0], pair[1]


def _facets(value: dict, path: str, errors: dict[str, list[str]]) -> None:
    for key in ("facets", "inputFacets", "outputFacets"):
        if key in value and not isinstance(value[key], dict):
            errors[f"{path}.{key}"] = ["Facets must be an object."]


def _datasets(body: dict, key: str, errors: dict[str, list[str]]) -> None:
    if key not in body or body[key] is None:
        return
    if not isinstance(body[key], list):
        errors[key] = ["Must be a list of datasets."]
        return
    for index, dataset in enumerate(body[key]):
        _name_pair(dataset, f"{key}[{index}]", errors)


def _event_time(body: dict, errors: dict[str, list[str]]) -> datetime | None:
    raw = body.get("eventTime")
    if not isinstance(raw, str):
        errors["eventTime"] = ["Required: an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z."]
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        errors["eventTime"] = [f"{raw[:60]!r} is not an ISO 8601 date-time."]
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def event_parse(body: Any) -> ParsedEvent:
    """Check an event against the spec's required fields; raises EventInvalid saying what to fix."""
    if not isinstance(body, dict):
        raise EventInvalid(
            "The body must be a JSON object: an OpenLineage RunEvent, DatasetEvent or JobEvent."
        )
    errors: dict[str, list[str]] = {}
    event_time = _event_time(body, errors)
    producer = body.get("producer", "")
    if not isinstance(producer, str):
        errors["producer"] = ["Must be a string (a URI naming the producer)."]
        producer = ""
    event_type, run_id, job_namespace, job_name = "", "", "", ""
    if "run" in body:
        kind = OpenLineageEventKind.RUN
        event_type = body.get("eventType")
        if event_type not in OpenLineageRunState.values:
            errors["eventType"] = [f"Required: one of {', '.join(OpenLineageRunState.values)}."]
            event_type = ""
        run = body.get("run")
        if not isinstance(run, dict):
            errors["run"] = ["Must be an object with a runId."]
        else:
            try:
                run_id = str(uuid.UUID(str(run.get("runId", ""))))
            except ValueError:
                errors["run.runId"] = ["Required: a UUID."]
            _facets(run, "run", errors)
        job_namespace, job_name = _name_pair(body.get("job"), "job", errors)
        _datasets(body, "inputs", errors)
        _datasets(body, "outputs", errors)
    elif "dataset" in body:
        kind = OpenLineageEventKind.DATASET
        _name_pair(body.get("dataset"), "dataset", errors)
    elif "job" in body:
        kind = OpenLineageEventKind.JOB
        job_namespace, job_name = _name_pair(body.get("job"), "job", errors)
        _datasets(body, "inputs", errors)
        _datasets(body, "outputs", errors)
    else:
        raise EventInvalid(
            "Not an OpenLineage event: a RunEvent has run and job, a DatasetEvent has dataset, "
            "a JobEvent has job."
        )
    if errors:
        raise EventInvalid("The event does not follow the OpenLineage spec.", errors)
    return ParsedEvent(
        kind=kind,
        event_type=event_type,
        event_time=event_time,
        run_id=run_id,
        job_namespace=job_namespace,
        job_name=job_name,
        producer=producer[:500],
    )
