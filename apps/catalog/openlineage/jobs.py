"""The job kind that maps a stored OpenLineage event onto the catalog."""

from apps.catalog.openlineage.services import JOB_KIND, EventRejected, openlineage_event_process
from apps.jobs.registry import JobContext, JobError, job_kind


@job_kind(JOB_KIND, label="Process an OpenLineage event", time_limit=300, max_retries=3)
def openlineage_event_task(context: JobContext) -> dict:
    """Map one stored event onto datasets, versions, columns, quality and lineage edges."""
    context.progress(10, "Mapping the OpenLineage event onto the catalog")
    try:
        return openlineage_event_process(event_id=int(context.params["event_id"]), job=context.job)
    except EventRejected as rejected:
        raise JobError(str(rejected)) from None
