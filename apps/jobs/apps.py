import logging

from django.apps import AppConfig
from django.db import DatabaseError
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)


class JobsConfig(AppConfig):
    name = "apps.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        from apps.jobs import demo  # noqa: F401 - registers the demo/diagnostic kinds

        post_migrate.connect(_ensure_sweep_schedule, sender=self, dispatch_uid="jobs-sweep-schedule")


def _ensure_sweep_schedule(sender, using="default", **kwargs) -> None:
    """Beat's periodic sweep exists after every migrate (and after test flushes)."""
    from apps.jobs.services import job_sweep_schedule_ensure

    try:
        job_sweep_schedule_ensure(using=using)
    except DatabaseError:  # django_celery_beat not migrated on this database (yet)
        logger.warning("Could not create the job sweep schedule", exc_info=True)
