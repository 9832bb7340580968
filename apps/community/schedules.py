"""Beat schedules of the community app, created idempotently after every migrate."""

from __future__ import annotations

DIGEST_TASK_NAME = "community: daily notification digest"


def digest_schedule_ensure(*, using: str = "default") -> None:
    """A daily 07:00 UTC crontab running the digest task (created once, then left alone)."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if PeriodicTask.objects.using(using).filter(name=DIGEST_TASK_NAME).exists():
        return
    schedule, _ = CrontabSchedule.objects.using(using).get_or_create(
        minute="0", hour="7", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask(
        name=DIGEST_TASK_NAME,
        task="apps.community.tasks.notification_digest_task",
        crontab=schedule,
        enabled=True,
        description="Emails each person who asked for it one digest of their notifications.",
    ).save(using=using)
