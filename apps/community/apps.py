import logging

from django.apps import AppConfig
from django.db import DatabaseError
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)


class CommunityConfig(AppConfig):
    name = "apps.community"
    label = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        from apps.community import jobs  # noqa: F401 - registers the email delivery kinds
        from apps.community.services import notify
        from apps.core.notifications import set_notification_handler

        set_notification_handler(notify)
        from apps.community import ideas_registry

        ideas_registry.register()  # ideas as assets and in search, announcements on home, the activity feed
        post_migrate.connect(_ensure_schedules, sender=self, dispatch_uid="community-schedules")


def _ensure_schedules(sender, using="default", **kwargs) -> None:
    from apps.community.schedules import digest_schedule_ensure

    try:
        digest_schedule_ensure(using=using)
    except DatabaseError:  # django_celery_beat not migrated on this database (yet)
        logger.warning("Could not create the notification digest schedule", exc_info=True)
