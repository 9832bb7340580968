"""Reads for notifications: always the signed-in person's own, through `restrict`."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from apps.community.models import Notification, NotificationPreference
from apps.core.notifications import event_type, event_types


def notification_list(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first, with what a list row shows."""
    notifications = Notification.objects.restrict(user).select_related("actor")
    if unread_only:
        notifications = notifications.unread()
    return notifications.order_by("-created_at", "-id")


def notification_unread_count(*, user) -> int:
    """How many of the user's notifications are unread (one query)."""
    return Notification.objects.restrict(user).unread().count()


def notification_get(*, user, pk) -> Notification:
    """One of the user's notifications, else 404 (someone else's is as unknown as a missing one)."""
    notification = Notification.objects.restrict(user).filter(pk=pk).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


def notification_preferences(*, user) -> list[dict]:
    """Every known event type with the user's choice (or the default) for inbox, email and digest."""
    saved = {row.event: row for row in NotificationPreference.objects.restrict(user)}
    rows = []
    for event in event_types():
        preference = saved.get(event.name)
        rows.append(
            {
                "event": event.name,
                "label": event.label,
                "in_app": preference.in_app if preference else True,
                "email": preference.email if preference else event.email_by_default,
                "digest": preference.digest if preference else False,
            }
        )
    return rows


def event_label(name: str) -> str:
    event = event_type(name)
    return event.label if event else name
