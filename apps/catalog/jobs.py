"""Job kinds of the catalog's sources: "Test connection" and "Sync" (registered at app start)."""

from __future__ import annotations

from apps.catalog.connectors import ConnectorError
from apps.catalog.models import DataSource
from apps.catalog.services.sources import JOB_SYNC, JOB_TEST, source_connection_test, source_sync
from apps.jobs.registry import JobContext, JobError, job_kind


def _source(context: JobContext) -> DataSource:
    source = DataSource.objects.select_related("team").filter(pk=context.params.get("source_id")).first()
    if source is None:
        raise JobError("The source was deleted before the job ran.")
    return source


@job_kind(JOB_TEST, label="Test a source's connection", time_limit=120, max_retries=0)
def source_test_task(context: JobContext) -> dict:
    """Connect to the source (or look at its folder) and report what is there."""
    source = _source(context)
    context.progress(10, f"Connecting to {source.name}")
    try:
        return source_connection_test(source=source)
    except ConnectorError as error:
        raise JobError(str(error)) from None


@job_kind(JOB_SYNC, label="Sync a source", time_limit=3600, max_retries=2)
def source_sync_task(context: JobContext) -> dict:
    """Read the source's tables or files into datasets, columns and versions."""
    source = _source(context)
    context.progress(2, f"Listing the tables and files of {source.name}")
    try:
        summary = source_sync(source=source, by=context.requester, job=context.job, progress=context.progress)
    except ConnectorError as error:
        raise JobError(str(error)) from None
    return {
        "message": _headline(summary),
        "datasets_added": len(summary["added"]),
        "datasets_changed": len(summary["changed"]),
        "datasets_removed": len(summary["removed"]),
        "unchanged": summary["unchanged"],
        "errors": len(summary["errors"]),
    }


def _headline(summary: dict) -> str:
    parts = [
        f"{summary['tables']} read",
        f"{len(summary['added'])} new",
        f"{len(summary['changed'])} changed",
    ]
    if summary["removed"]:
        parts.append(f"{len(summary['removed'])} gone")
    if summary["errors"]:
        parts.append(f"{len(summary['errors'])} unreadable")
    return "Synced: " + ", ".join(parts) + "."
