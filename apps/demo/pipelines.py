"""Demo pipelines: a week of Data Platform's nightly jobs, reported as OpenLineage events.

The events go through the real receiver and its job (`openlineage_event_receive`, then the
queued `catalog.openlineage_event` job run in this process after the demo rows commit, as a
worker would; the worker later finds them done): an Airflow ingestion
that failed one night on the acquirer's renamed `mcc` column, and the dbt model built from it.
Their datasets join the catalog, the runs show on the Pipelines pages, the edges in lineage.
Data Platform makes both pipelines and their datasets internal, so everyone can follow them.

Idempotent: nothing is sent once the first pipeline exists.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model

from apps.catalog.models import Dataset
from apps.catalog.openlineage.models import OpenLineageJob
from apps.catalog.openlineage.services import openlineage_event_receive
from apps.catalog.services import dataset_update
from apps.core.history import acting_user
from apps.jobs.services import job_run
from apps.teams.models import Team

TEAM = "Data Platform"
PRODUCER = "https://github.com/apache/airflow/tree/providers-openlineage/2.3.0"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
WAREHOUSE = "postgres://warehouse.platform:5432"
FEED = ("s3://acquirer-feeds", "merchants/daily.csv")
RAW = (WAREHOUSE, "raw.merchant_feed")
DIRECTORY = (WAREHOUSE, "analytics.merchant_directory")
NIGHTS = 7
FAILED_NIGHT = 4  # counted from the oldest
FAILURE = (
    'psycopg.errors.UndefinedColumn: column "mcc" of relation "merchant_feed" does not exist\n'
    "LINE 1: INSERT INTO raw.merchant_feed (merchant_id, name, mcc, country) ...\n"
    "The acquirer renamed mcc to merchant_category_code in its feed; the load was rolled back."
)
PIPELINES = (
    {
        "namespace": "airflow://platform",
        "name": "ingest_merchant_feed",
        "inputs": [FEED],
        "outputs": [RAW],
        "minutes": 6,
        "facets": {
            "documentation": {
                "description": "Loads the acquirer's nightly merchant file into the warehouse's raw schema."
            },
            "sourceCodeLocation": {
                "type": "git",
                "url": "https://git.example.org/platform/dags",
                "path": "dags/ingest_merchant_feed.py",
            },
        },
    },
    {
        "namespace": "dbt://warehouse.platform",
        "name": "build_merchant_directory",
        "inputs": [RAW],
        "outputs": [DIRECTORY],
        "minutes": 3,
        "facets": {
            "documentation": {"description": "The merchant directory: one row per merchant, deduplicated."},
            "sql": {
                "query": (
                    "select merchant_id, max(name) as name, max(mcc) as mcc, max(country) as country\n"
                    "from raw.merchant_feed\ngroup by merchant_id"
                )
            },
        },
    },
)


def _dataset(pair: tuple[str, str]) -> dict:
    return {"namespace": pair[0], "name": pair[1]}


def _event(pipeline: dict, *, run_id: str, state: str, when: datetime, facets: dict | None = None) -> dict:
    return {
        "eventType": state,
        "eventTime": when.isoformat().replace("+00:00", "Z"),
        "run": {"runId": run_id, "facets": facets or {}},
        "job": {"namespace": pipeline["namespace"], "name": pipeline["name"], "facets": pipeline["facets"]},
        "inputs": [_dataset(pair) for pair in pipeline["inputs"]],
        "outputs": [_dataset(pair) for pair in pipeline["outputs"]],
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
    }


def _night_events(night: int, start: datetime) -> list[dict]:
    """One night: the ingestion, then (unless it failed) the dbt model that reads its table."""
    events = []
    for index, pipeline in enumerate(PIPELINES):
        run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"atrium-demo/{pipeline['name']}/{night}"))
        began = start + timedelta(minutes=15 * index)
        events.append(_event(pipeline, run_id=run_id, state="START", when=began))
        ended = began + timedelta(minutes=pipeline["minutes"], seconds=7 * night)
        if index == 0 and night == FAILED_NIGHT:
            error = {"errorMessage": {"message": FAILURE, "programmingLanguage": "python"}}
            events.append(_event(pipeline, run_id=run_id, state="FAIL", when=ended, facets=error))
            break  # the dbt model waits for a successful load
        events.append(_event(pipeline, run_id=run_id, state="COMPLETE", when=ended))
    return events


def demo_pipelines_ensure() -> dict[str, int]:
    if OpenLineageJob.objects.filter(name=PIPELINES[0]["name"]).exists():
        return {}
    team = Team.objects.get(name=TEAM)
    people = {user.username: user for user in get_user_model().objects.filter(username__in=["bob", "diana"])}
    engineer, officer = people["bob"], people["diana"]
    now = datetime.now(tz=UTC)
    last_night = now.replace(hour=2, minute=0, second=0, microsecond=0)
    if last_night + timedelta(hours=1) > now:  # before 03:00 tonight's runs have not all finished
        last_night -= timedelta(days=1)
    events = 0
    for night in range(NIGHTS):
        start = last_night - timedelta(days=NIGHTS - 1 - night)
        for body in _night_events(night, start):
            event, _ = openlineage_event_receive(body=body, user=engineer, team=team)
            job_run(job_id=event.job_id)  # in order: a run's START before its COMPLETE
            events += 1
    _share_with_everyone(team=team, by=officer)
    return {"openlineage events": events}


def _share_with_everyone(*, team, by) -> None:
    """Data Platform's officer makes the pipelines and the datasets they registered internal."""
    names = [pipeline["name"] for pipeline in PIPELINES]
    with acting_user(by):
        for job in OpenLineageJob.objects.filter(team=team, name__in=names):
            job.visibility = "internal"
            job.save(update_fields=["visibility", "updated_at"])
    qualified = [name for _, name in (FEED, RAW, DIRECTORY)]
    for dataset in Dataset.objects.filter(team=team, qualified_name__in=qualified):
        dataset_update(dataset=dataset, by=by, visibility="internal")
