"""Reads for OpenLineage records, always through restrict."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from apps.catalog.models import Dataset
from apps.catalog.openlineage.models import OpenLineageDatasetQuality, OpenLineageJob, OpenLineageRun
from apps.core.permissions import Action


def dataset_quality_latest(*, user, dataset) -> OpenLineageDatasetQuality | None:
    """The latest quality facets reported for `dataset`, if the user may see it (one query)."""
    return (
        OpenLineageDatasetQuality.objects.restrict(user, Action.VIEW)
        .filter(dataset=dataset)
        .select_related("run__job")
        .order_by("-recorded_at", "-id")
        .first()
    )


# --- pipelines: OpenLineage jobs and their runs ----------------------------------------------------
PIPELINE_RUNS_SHOWN = 50


def _latest_run(field: str):
    runs = OpenLineageRun.objects.filter(job=OuterRef("pk"))
    runs = runs.order_by(F("started_at").desc(nulls_last=True), "-pk")
    return Subquery(runs.values(field)[:1])


def pipeline_list(*, user, team=None, state: str = "", text: str = "") -> QuerySet[OpenLineageJob]:
    """The OpenLineage jobs `user` may see, each with its run count and latest run's state and time."""
    jobs = (
        OpenLineageJob.objects.restrict(user, Action.VIEW)
        .select_related("team")
        .annotate(
            run_count=Count("runs"),
            last_state=_latest_run("state"),
            last_started_at=_latest_run("started_at"),
            last_ended_at=_latest_run("ended_at"),
        )
    )
    if team is not None:
        jobs = jobs.filter(team=team)
    if state:
        jobs = jobs.filter(last_state=state)
    text = (text or "").strip()
    if text:
        jobs = jobs.filter(Q(name__icontains=text) | Q(namespace__icontains=text))
    return jobs.order_by(F("last_started_at").desc(nulls_last=True), "namespace", "name", "pk")


def pipeline_get(*, user, pk) -> OpenLineageJob:
    """The OpenLineage job if `user` may see it, else 404 (never 403: no existence leak)."""
    job = OpenLineageJob.objects.restrict(user, Action.VIEW).select_related("team").filter(pk=pk).first()
    if job is None:
        raise Http404("No such pipeline.")
    return job


def pipeline_runs(*, user, job: OpenLineageJob, limit: int = PIPELINE_RUNS_SHOWN) -> list[OpenLineageRun]:
    """The job's latest runs, newest first."""
    runs = OpenLineageRun.objects.restrict(user, Action.VIEW).filter(job=job)
    return list(runs.order_by(F("started_at").desc(nulls_last=True), "-pk")[:limit])


def pipeline_datasets(*, user, job: OpenLineageJob) -> dict[str, list[Dataset]]:
    """The datasets the job reads and writes, as its ingested lineage edges say: only those `user` sees."""
    from apps.lineage.models import Edge, Provenance

    edges = Edge.objects.restrict(user, Action.VIEW).filter(
        provenance=Provenance.INGESTED,
        transformation=job.name[:300],
        facets__job__namespace=job.namespace,
        facets__job__name=job.name,
        source_type=ContentType.objects.get_for_model(Dataset),
        target_type=ContentType.objects.get_for_model(Dataset),
    )
    ends = list(edges.values_list("source_id", "target_id"))
    wanted = {pk for pair in ends for pk in pair}
    datasets = Dataset.objects.restrict(user, Action.VIEW).filter(pk__in=wanted).select_related("team")
    by_pk = {dataset.pk: dataset for dataset in datasets.order_by("name", "pk")}
    inputs = sorted({by_pk[source] for source, _ in ends if source in by_pk}, key=lambda d: (d.name, d.pk))
    outputs = sorted({by_pk[target] for _, target in ends if target in by_pk}, key=lambda d: (d.name, d.pk))
    return {"inputs": inputs, "outputs": outputs}
