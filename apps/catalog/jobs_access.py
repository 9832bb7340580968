"""The scheduled expiry of access grants: a job kind, and the beat task that starts it when due.

Beat runs `access_expiry_check_task` every few minutes; it enqueues one
`catalog.revoke_expired_access` job only when some approved request has run
out, so the jobs page shows each expiry run without an empty run every tick.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps.catalog.services import access as _access  # noqa: F401 - registers the notification events
from apps.jobs.registry import JobContext, job_kind

logger = logging.getLogger(__name__)

KIND = "catalog.revoke_expired_access"
SCHEDULE_NAME = "catalog: revoke expired access grants"
CHECK_TASK = "apps.catalog.jobs_access.access_expiry_check_task"


@job_kind(
    KIND,
    label="Revoke expired dataset access",
    time_limit=600,
    max_retries=3,
    description="Removes dataset grants whose access request has expired and tells the people who had them.",
)
def revoke_expired_access(context: JobContext) -> dict:
    from apps.catalog.services.access import access_requests_expire

    context.progress(10, "Looking for expired grants")
    result = access_requests_expire()
    context.progress(100, f"Expired {result['expired']} grant{'s' if result['expired'] != 1 else ''}")
    return result


def access_expiry_enqueue_if_due() -> int | None:
    """Enqueue the expiry job when an approved request is past its end and no such job is waiting."""
    from apps.catalog.models import AccessRequest, AccessRequestStatus
    from apps.jobs.models import Job, JobStatus
    from apps.jobs.services import job_enqueue

    due = AccessRequest.objects.filter(status=AccessRequestStatus.APPROVED, expires_at__lte=timezone.now())
    if not due.exists():
        return None
    if Job.objects.filter(kind=KIND, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
        return None
    return job_enqueue(kind=KIND, requester=None).pk


@shared_task(acks_late=True, ignore_result=True)
def access_expiry_check_task() -> int | None:
    """Beat's tick: start the expiry job when grants are due."""
    return access_expiry_enqueue_if_due()


def access_expiry_schedule_ensure(*, using: str = "default") -> None:
    """Beat's periodic expiry check exists (idempotent; run after migrate)."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    seconds = max(1, int(getattr(settings, "ACCESS_EXPIRY_CHECK_SECONDS", 300)))
    schedule, _ = IntervalSchedule.objects.using(using).get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    task = PeriodicTask.objects.using(using).filter(name=SCHEDULE_NAME).first()
    if task is not None and task.interval_id == schedule.pk and task.task == CHECK_TASK:
        return
    task = task or PeriodicTask(name=SCHEDULE_NAME)
    task.task, task.interval, task.enabled = CHECK_TASK, schedule, True
    task.description = "Starts the job that revokes dataset grants whose access request expired."
    task.save(using=using)


def ensure_schedule_after_migrate(sender, using="default", **kwargs) -> None:
    from django.db import DatabaseError

    try:
        access_expiry_schedule_ensure(using=using)
    except DatabaseError:  # django_celery_beat not migrated on this database (yet)
        logger.warning("Could not create the access expiry schedule", exc_info=True)
