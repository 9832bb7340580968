"""The `catalog.profile` job kind: per-column statistics of one dataset version.

Params: `{"version_id": <DatasetVersion pk>}` (plus the version number, for people
reading the job page). Started from the dataset's Profile tab or the API by members
whose role allows `run`; the handler reports progress per phase and stores one
DatasetProfile per job, even when the message is delivered twice.
"""

from __future__ import annotations

from apps.jobs.registry import JobContext, JobError, job_kind

KIND = "catalog.profile"


@job_kind(
    KIND,
    label="Profile a dataset version",
    time_limit=1800,
    max_retries=2,
    description="Counts rows, nulls and distinct values, and computes statistics, top values and histograms.",
)
def profile_version(context: JobContext) -> dict:
    from apps.catalog.models import DatasetVersion
    from apps.catalog.profiling import ProfilingError
    from apps.catalog.services.profiling import version_profile_create

    version_id = context.params.get("version_id")
    version = (
        DatasetVersion.objects.select_related("dataset__source").filter(pk=version_id).first()
        if isinstance(version_id, int)
        else None
    )
    if version is None:
        raise JobError("The dataset version to profile no longer exists.")
    context.progress(2, f"Profiling {version.dataset.name} version {version.number}")
    try:
        profile = version_profile_create(
            version=version, job=context.job, by=context.requester, progress=context.progress
        )
    except ProfilingError as exc:
        raise JobError(str(exc)) from None
    return {
        "dataset": version.dataset.name,
        "version": version.number,
        "rows": profile.row_count,
        "columns": len(profile.columns),
        "engine": profile.engine,
    }
