"""Thin Celery wrappers scheduled by beat."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def notification_digest_task() -> int:
    """Enqueue the daily digest job (beat); the job row shows what was sent."""
    from apps.community.services import DIGEST_JOB_KIND
    from apps.jobs.services import job_enqueue

    return job_enqueue(kind=DIGEST_JOB_KIND, requester=None).pk
