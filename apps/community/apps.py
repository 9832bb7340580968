import logging

from django.apps import AppConfig
from django.core import checks
from django.db import DatabaseError
from django.db.models.signals import post_delete, post_migrate

logger = logging.getLogger(__name__)


class CommunityConfig(AppConfig):
    name = "apps.community"
    label = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        from apps.community import ideas_registry, jobs, search_documents  # noqa: F401 - jobs: email kinds
        from apps.community.services import followers_of, notify
        from apps.community.services.discussions import register_events
        from apps.core.assets import on_asset_register
        from apps.core.notifications import set_followers_handler, set_notification_handler

        set_notification_handler(notify)
        _register_notification_targets()
        ideas_registry.register()  # ideas as assets and in search, announcements on home, the activity feed
        set_followers_handler(followers_of)
        register_events()
        search_documents.register()
        on_asset_register(_watch_asset_deletions)
        checks.register(_check_rate_limits)
        post_migrate.connect(_ensure_schedules, sender=self, dispatch_uid="community-schedules")


def _register_notification_targets() -> None:
    from apps.community.models import Category, Post, Thread
    from apps.core.notifications import register_notification_target

    for model in (Thread, Post, Category):
        register_notification_target(model)


def _ensure_schedules(sender, using="default", **kwargs) -> None:
    from apps.community.schedules import digest_schedule_ensure

    try:
        digest_schedule_ensure(using=using)
    except DatabaseError:  # django_celery_beat not migrated on this database (yet)
        logger.warning("Could not create the notification digest schedule", exc_info=True)


def _asset_deleted(sender, instance, **kwargs) -> None:
    """A deleted asset takes its discussions and follows with it (history keeps what they said)."""
    from apps.community.services.discussions import threads_delete_on
    from apps.community.services.follows import follows_delete_for

    threads_delete_on(asset=instance)
    follows_delete_for(target=instance)


def _watch_asset_deletions(registered) -> None:
    uid = registered.model._meta.label_lower
    post_delete.connect(_asset_deleted, sender=registered.model, dispatch_uid=f"community-asset-delete-{uid}")


def _check_rate_limits(app_configs=None, **kwargs):
    from django.core.exceptions import ImproperlyConfigured

    from apps.community.services.ratelimit import post_rate_limits

    try:
        post_rate_limits()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="community.E001")]
    return []
