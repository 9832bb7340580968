"""Receive OpenLineage events (store once, enqueue) and map them onto the catalog (in a job).

Mapping rules, for the token's user (the event's `received_by`):
- jobs and runs become OpenLineageJob / OpenLineageRun rows; a run's state follows
  its events (a terminal state is never replaced by an earlier or non-terminal one);
- datasets are matched by (namespace, qualified_name) or created in the event's team;
  an existing dataset is written (columns, versions, quality) only when the user may
  change it, and read as an input only when they may see it — otherwise it is
  skipped and the event's result says so;
- schema facets update columns (a person's descriptions are kept); on COMPLETE each
  output gets a new DatasetVersion; columnLineage becomes column edges;
  dataQualityMetrics / dataQualityAssertions are stored for the dataset page;
- edges input dataset → output dataset (and input version → output version on
  COMPLETE) are recorded with provenance "ingested", named after the OpenLineage job.
Everything for one event happens in one transaction: nothing is stored half.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.catalog.models import Column, Dataset
from apps.catalog.openlineage.models import (
    TERMINAL_RUN_STATES,
    OpenLineageDatasetQuality,
    OpenLineageEvent,
    OpenLineageEventKind,
    OpenLineageEventStatus,
    OpenLineageJob,
    OpenLineageRun,
    OpenLineageRunState,
)
from apps.catalog.openlineage.validation import EventInvalid, event_parse
from apps.catalog.services.datasets import dataset_name_check, dataset_unique_slug
from apps.catalog.services.versions import dataset_version_record
from apps.core.history import acting_user
from apps.core.permissions import Action, roles_allowed
from apps.lineage.models import Provenance
from apps.lineage.services import edge_record

JOB_KIND = "catalog.openlineage_event"


class EventRejected(Exception):  # noqa: N818 - reads as the condition it names
    """The event is valid but cannot be applied for this user (e.g. a job owned by another team)."""


# --- receiving ------------------------------------------------------------------------------
def openlineage_team_for(*, user, slug: str | None = None):
    """The team new datasets and jobs go to: `slug` if the user may add there, else their first such team."""
    team_model = apps.get_model("teams", "Team")
    membership = apps.get_model("teams", "Membership")
    if slug:
        team = team_model.objects.filter(slug=slug).first()
        allowed = team is not None and (
            user.is_superuser
            or membership.objects.filter(user=user, team=team, role__in=roles_allowed(Action.ADD)).exists()
        )
        if not allowed:
            raise EventInvalid(
                "You may not add assets to that team.",
                {"team": [f"No team {slug!r} in which your role may add datasets."]},
            )
        return team
    first = (
        membership.objects.filter(user=user, role__in=roles_allowed(Action.ADD))
        .select_related("team")
        .order_by("created_at", "id")
        .first()
    )
    if first is None:
        raise EventInvalid(
            "Your token's user is in no team whose role may add datasets; OpenLineage events need one.",
            {"team": ["Join a team as data engineer, data scientist, ML engineer or data officer."]},
        )
    return first.team


def event_hash(body: dict) -> str:
    """SHA-256 of the canonical JSON of the event: a retried event hashes the same."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def openlineage_event_receive(*, body: Any, user, team) -> tuple[OpenLineageEvent, bool]:
    """Validate and store a raw event once, and enqueue its processing; (event, created)."""
    from apps.jobs.services import job_enqueue

    parsed = event_parse(body)
    digest = event_hash(body)
    existing = OpenLineageEvent.objects.filter(body_hash=digest).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic(), acting_user(user):
            event = OpenLineageEvent.objects.create(
                team=team,
                received_by=user,
                body=body,
                body_hash=digest,
                kind=parsed.kind,
                event_type=parsed.event_type,
                event_time=parsed.event_time,
                run_id=parsed.run_id,
                job_namespace=parsed.job_namespace,
                job_name=parsed.job_name,
                producer=parsed.producer,
            )
            job = job_enqueue(kind=JOB_KIND, requester=user, team=team, params={"event_id": event.pk})
            event.job = job
            event.save(update_fields=["job"])
    except IntegrityError:  # the same event arrived twice at once: the other request stored it
        return OpenLineageEvent.objects.get(body_hash=digest), False
    return event, True


# --- processing -----------------------------------------------------------------------------
def openlineage_event_process(*, event_id: int, job=None) -> dict:
    """Map one stored event onto the catalog; idempotent (a processed event is not applied again)."""
    event = OpenLineageEvent.objects.select_related("team", "received_by").get(pk=event_id)
    if event.status == OpenLineageEventStatus.PROCESSED:
        return event.result
    try:
        with transaction.atomic(), acting_user(event.received_by):
            result = _Mapper(event=event, job=job or event.job).apply()
            event.status = OpenLineageEventStatus.PROCESSED
            event.result = result
            event.error = ""
            event.processed_at = timezone.now()
            event.save(update_fields=["status", "result", "error", "processed_at"])
    except EventRejected as rejected:
        with acting_user(event.received_by):
            event.status = OpenLineageEventStatus.FAILED
            event.error = str(rejected)
            event.processed_at = timezone.now()
            event.save(update_fields=["status", "error", "processed_at"])
        raise
    return result


def _may(user, dataset: Dataset, action: str) -> bool:
    return Dataset.objects.restrict(user, action).filter(pk=dataset.pk).exists()


def _dataset_facets(spec: dict) -> dict:
    return {
        **(spec.get("facets") or {}),
        **(spec.get("inputFacets") or {}),
        **(spec.get("outputFacets") or {}),
    }


def _location(namespace: str, name: str) -> str:
    return f"{namespace.rstrip('/')}/{name.lstrip('/')}"[:1000]


class _Mapper:
    """Applies one event; collects what it did (and skipped) as the job's result."""

    def __init__(self, *, event: OpenLineageEvent, job):
        self.event = event
        self.job = job
        self.user = event.received_by
        self.team = event.team
        self.body = event.body
        self.result: dict[str, Any] = {
            "datasets_created": [],
            "versions": [],
            "edges": 0,
            "column_edges": 0,
            "skipped": [],
        }

    # datasets
    def dataset(self, spec: dict, *, write: bool) -> Dataset | None:
        namespace, name = spec["namespace"], spec["name"]
        dataset = (
            Dataset.objects.filter(namespace=namespace, qualified_name=name).select_related("team").first()
        )
        if dataset is None:
            return self.dataset_create(namespace, name)
        if not _may(self.user, dataset, Action.CHANGE if write else Action.VIEW):
            # Never name a dataset the user cannot see in the result they can read.
            self.result["skipped"].append(
                {
                    "namespace": namespace,
                    "name": name,
                    "reason": "not writable by you" if write else "not visible",
                }
            )
            return None
        return dataset

    def dataset_create(self, namespace: str, name: str) -> Dataset:
        display = name.strip()[:200] or "dataset"
        candidates = [display, f"{display} ({namespace})"[:200]]
        chosen = None
        for candidate in candidates:
            try:
                dataset_name_check(team=self.team, name=candidate)
                chosen = candidate
                break
            except Exception:  # noqa: S112 - the name is taken; try the next candidate
                continue
        if chosen is None:
            for n in range(2, 1000):
                candidate = f"{candidates[1][:190]} {n}"
                if not Dataset.objects.filter(team=self.team, name__iexact=candidate).exists():
                    chosen = candidate
                    break
        dataset = Dataset(
            team=self.team,
            name=chosen,
            slug=dataset_unique_slug(team=self.team, name=chosen),
            namespace=namespace[:500],
            qualified_name=name[:1000],
            source_path=name[:1000],
            description=f"Registered from OpenLineage (namespace `{namespace}`).",
        )
        dataset.full_clean()
        dataset.save()
        self.result["datasets_created"].append(dataset.pk)
        return dataset

    def columns(self, dataset: Dataset, spec: dict) -> list[dict]:
        """Schema facet → the dataset's columns (kept descriptions); returns the version schema."""
        fields = (_dataset_facets(spec).get("schema") or {}).get("fields")
        if not isinstance(fields, list):
            return []
        schema = []
        existing = {column.name: column for column in dataset.columns.all()}
        for position, field in enumerate(item for item in fields if isinstance(item, dict)):
            name = str(field.get("name") or "").strip()[:300]
            if not name:
                continue
            data_type = str(field.get("type") or "")[:100]
            description = str(field.get("description") or "")
            schema.append({"name": name, "type": data_type, "nullable": True})
            column = existing.get(name)
            if column is None:
                Column.objects.create(
                    dataset=dataset,
                    name=name,
                    position=position,
                    data_type=data_type,
                    description=description,
                )
                continue
            changed = False
            for attr, value in (("position", position), ("data_type", data_type)):
                if getattr(column, attr) != value:
                    setattr(column, attr, value)
                    changed = True
            if description and not column.description:
                column.description, changed = description, True
            if changed:
                column.save()
        return schema

    def quality(self, dataset: Dataset, spec: dict, run: OpenLineageRun | None) -> None:
        facets = _dataset_facets(spec)
        metrics = facets.get("dataQualityMetrics")
        assertions = (facets.get("dataQualityAssertions") or {}).get("assertions")
        if not isinstance(metrics, dict) and not isinstance(assertions, list):
            return
        OpenLineageDatasetQuality.objects.get_or_create(
            dataset=dataset,
            event=self.event,
            defaults={
                "run": run,
                "metrics": metrics if isinstance(metrics, dict) else {},
                "assertions": [a for a in assertions if isinstance(a, dict)]
                if isinstance(assertions, list)
                else [],
                "recorded_at": self.event.event_time,
            },
        )

    def version(self, dataset: Dataset, spec: dict, schema: list[dict], run: OpenLineageRun):
        facets = _dataset_facets(spec)
        declared = str((facets.get("version") or {}).get("datasetVersion") or "")[:128]
        content_hash = (
            declared
            or hashlib.sha256(
                f"openlineage:{run.run_id}:{dataset.namespace}:{dataset.qualified_name}".encode()
            ).hexdigest()
        )
        existing = dataset.versions.filter(content_hash=content_hash).first()
        if existing is not None:
            return existing
        statistics = facets.get("outputStatistics") or {}
        row_count = statistics.get("rowCount")
        size = statistics.get("size")
        version = dataset_version_record(
            dataset=dataset,
            schema=schema or (dataset.latest_version.schema if dataset.latest_version else []),
            row_count=row_count if isinstance(row_count, int) and row_count >= 0 else None,
            content_hash=content_hash,
            location=_location(dataset.namespace, dataset.qualified_name),
            by=self.user,
            job=self.job,
            producer=f"openlineage:{self.event.job_name}"[:200],
            size_bytes=size if isinstance(size, int) and size >= 0 else None,
        )
        self.result["versions"].append(version.pk)
        return version

    # jobs and runs
    def ol_job(self) -> OpenLineageJob:
        spec = self.body["job"]
        ol_job, _ = OpenLineageJob.objects.get_or_create(
            namespace=spec["namespace"], name=spec["name"], defaults={"team": self.team}
        )
        if not OpenLineageJob.objects.restrict(self.user, Action.CHANGE).filter(pk=ol_job.pk).exists():
            raise EventRejected(
                f"The OpenLineage job {spec['namespace']}/{spec['name']} is reported by another team; "
                "send its events with a token of that team."
            )
        facets = spec.get("facets") or {}
        if facets and {**ol_job.facets, **facets} != ol_job.facets:
            ol_job.facets = {**ol_job.facets, **facets}
            ol_job.save()
        return ol_job

    def run(self, ol_job: OpenLineageJob) -> OpenLineageRun:
        event, state, moment = self.event, self.event.event_type, self.event.event_time
        run_spec = self.body["run"]
        parent = ((run_spec.get("facets") or {}).get("parent") or {}).get("run") or {}
        run, created = OpenLineageRun.objects.get_or_create(
            run_id=event.run_id,
            defaults={
                "job": ol_job,
                "state": state,
                "started_at": moment,
                "ended_at": moment if state in TERMINAL_RUN_STATES else None,
                "last_event_time": moment,
                "parent_run_id": str(parent.get("runId") or "")[:64],
                "facets": run_spec.get("facets") or {},
            },
        )
        if created:
            return run
        if run.job_id != ol_job.pk:
            raise EventRejected(f"Run {event.run_id} belongs to another OpenLineage job.")
        current_terminal = run.state in TERMINAL_RUN_STATES
        new_terminal = state in TERMINAL_RUN_STATES
        if (new_terminal and not current_terminal) or (
            new_terminal == current_terminal
            and (run.last_event_time is None or moment >= run.last_event_time)
        ):
            run.state = state
            run.last_event_time = moment
        if state == OpenLineageRunState.START or run.started_at is None or moment < run.started_at:
            run.started_at = min(run.started_at or moment, moment)
        if new_terminal:
            run.ended_at = moment
        run.facets = {**run.facets, **(run_spec.get("facets") or {})}
        run.save()
        return run

    # the event kinds
    def apply(self) -> dict:
        kind = self.event.kind
        if kind == OpenLineageEventKind.DATASET:
            spec = self.body["dataset"]
            dataset = self.dataset(spec, write=True)
            if dataset is not None:
                self.columns(dataset, spec)
                self.quality(dataset, spec, None)
            return self.result
        ol_job = self.ol_job()
        run = self.run(ol_job) if kind == OpenLineageEventKind.RUN else None
        self.result["run_state"] = run.state if run else None
        inputs = [(spec, self.dataset(spec, write=False)) for spec in self.body.get("inputs") or []]
        outputs = [(spec, self.dataset(spec, write=True)) for spec in self.body.get("outputs") or []]
        input_versions = {}
        for spec, dataset in inputs:
            if dataset is None:
                continue
            if _may(self.user, dataset, Action.CHANGE):
                self.columns(dataset, spec)
                self.quality(dataset, spec, run)
            dataset.refresh_from_db(fields=["latest_version"])
            input_versions[dataset.pk] = dataset.latest_version
        complete = self.event.event_type == OpenLineageRunState.COMPLETE
        transformation = ol_job.name[:300]
        for spec, output in outputs:
            if output is None:
                continue
            schema = self.columns(output, spec)
            self.quality(output, spec, run)
            version = self.version(output, spec, schema, run) if complete and run else None
            lineage = self.column_lineage(spec)
            for in_spec, source in inputs:
                if source is None or source.pk == output.pk:
                    continue
                columns = lineage.get((in_spec["namespace"], in_spec["name"]), [])
                facets = {"job": {"namespace": ol_job.namespace, "name": ol_job.name}}
                if run is not None:
                    facets["last_run_id"] = run.run_id
                edge_record(
                    source=source,
                    target=output,
                    provenance=Provenance.INGESTED,
                    transformation=transformation,
                    by=self.user,
                    producer=self.event.producer,
                    facets=facets,
                    columns=columns,
                )
                self.result["edges"] += 1
                self.result["column_edges"] += len(columns)
                source_version = input_versions.get(source.pk)
                if version is not None and source_version is not None:
                    edge_record(
                        source=source_version,
                        target=version,
                        provenance=Provenance.INGESTED,
                        transformation=transformation,
                        by=self.user,
                        producer=self.event.producer,
                        facets={"run_id": run.run_id},
                        columns=columns,
                    )
                    self.result["edges"] += 1
        return self.result

    def column_lineage(self, spec: dict) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
        """columnLineage facet → {(input namespace, input name): [(input field, output field, how)]}."""
        fields = (_dataset_facets(spec).get("columnLineage") or {}).get("fields")
        found: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        if not isinstance(fields, dict):
            return found
        for output_field, detail in fields.items():
            if not isinstance(detail, dict):
                continue
            fallback = " ".join(
                str(detail.get(key) or "") for key in ("transformationType", "transformationDescription")
            ).strip()
            for source in detail.get("inputFields") or []:
                if not isinstance(source, dict) or not source.get("field"):
                    continue
                steps = [
                    ": ".join(str(t.get(key)) for key in ("type", "subtype") if t.get(key))
                    for t in source.get("transformations") or []
                    if isinstance(t, dict)
                ]
                how = ", ".join(step for step in steps if step) or fallback
                key = (str(source.get("namespace") or ""), str(source.get("name") or ""))
                found.setdefault(key, []).append((str(source["field"]), str(output_field), how))
        return found
