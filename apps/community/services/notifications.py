"""Writes for notifications: create them with the event, mark them read, send emails, set preferences."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import models, transaction
from django.utils import timezone

from apps.community.models import Notification, NotificationPreference
from apps.core.history import acting_user
from apps.core.notifications import event_type

logger = logging.getLogger(__name__)

EMAIL_JOB_KIND = "community.send_notification_emails"
DIGEST_JOB_KIND = "community.send_notification_digest"
MESSAGE_MAX = 500


def user_may_see(*, user, target: models.Model | None) -> bool:
    """Whether `user` may see `target` through its model's `restrict` (no target: yes)."""
    if target is None:
        return True
    manager = type(target)._default_manager
    if not hasattr(manager.all(), "restrict"):
        return bool(user.is_active and user.is_superuser)
    return manager.all().restrict(user, "view").filter(pk=target.pk).exists()


def _preferences(users: list, event: str) -> dict[int, NotificationPreference]:
    rows = NotificationPreference.objects.filter(user__in=users, event=event)
    return {row.user_id: row for row in rows}


def notify(
    *,
    recipients: Iterable,
    event: str,
    actor=None,
    target: models.Model | None = None,
    message: str,
    url: str = "",
) -> list[Notification]:
    """Notify `recipients` of `event` in the caller's transaction; email goes out by a job after commit.

    Recipients who cannot see `target` are skipped, so is the actor (no one is told of their own act),
    and so is anyone who turned both the inbox and email off for this kind of event.
    """
    unique = {user.pk: user for user in recipients if user is not None and user.is_active}
    if actor is not None:
        unique.pop(actor.pk, None)
    people = [user for user in unique.values() if user_may_see(user=user, target=target)]
    if not people:
        return []
    preferences = _preferences(people, event)
    default_email = getattr(event_type(event), "email_by_default", True)
    now = timezone.now()
    target_fields = {}
    if target is not None:
        target_fields = {
            "target_type": ContentType.objects.get_for_model(target),
            "target_id": str(target.pk),
        }
    created = []
    for user in people:
        preference = preferences.get(user.pk)
        in_app = preference.in_app if preference else True
        email = (preference.email if preference else default_email) and bool(user.email)
        if not in_app and not email:
            continue
        created.append(
            Notification(
                recipient=user,
                event=event,
                actor=actor,
                message=message[:MESSAGE_MAX],
                url=url[:500],
                # Someone who wants email only still gets the row (it carries the email) but no badge.
                read_at=None if in_app else now,
                **target_fields,
            )
        )
    with transaction.atomic():
        for notification in created:
            notification.save()
        immediate = [
            n.pk
            for n in created
            if _wants_email(preferences.get(n.recipient_id), default_email, n.recipient)
            and not _wants_digest(preferences.get(n.recipient_id))
        ]
        if immediate:
            transaction.on_commit(lambda: _enqueue_emails(immediate))
    return created


def _wants_email(preference, default_email: bool, user) -> bool:
    return bool(user.email) and (preference.email if preference else default_email)


def _wants_digest(preference) -> bool:
    return bool(preference and preference.digest)


def _enqueue_emails(notification_ids: list[int]) -> None:
    """Create the email job (its own transaction, after the event's commit)."""
    from apps.jobs.services import job_enqueue

    try:
        job_enqueue(kind=EMAIL_JOB_KIND, requester=None, params={"notification_ids": notification_ids})
    except Exception:  # the event is committed; a lost email must not turn it into an error
        logger.exception("Could not enqueue notification emails %s", notification_ids)


def notification_mark_read(*, notification: Notification, by) -> Notification:
    """Mark one of `by`'s notifications read (idempotent)."""
    if notification.recipient_id != by.pk:
        raise PermissionError("Only the recipient may mark a notification read.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of `user` read; returns how many."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_preference_set(
    *, user, event: str, in_app: bool, email: bool, digest: bool
) -> NotificationPreference:
    """Set how `user` hears about `event` (recorded in history)."""
    with transaction.atomic(), acting_user(user):
        preference, _ = NotificationPreference.objects.get_or_create(user=user, event=event)
        preference.in_app, preference.email, preference.digest = in_app, email, digest
        preference.save()
    return preference


def _subject(notification: Notification) -> str:
    return f"[Atrium] {notification.message}"[:200]


def _absolute(url: str) -> str:
    return f"{settings.ATRIUM_BASE_URL}{url}" if url.startswith("/") else url


def notification_emails_send(*, notification_ids: list[int], progress=None) -> dict[str, int]:
    """Email the given notifications not emailed yet, once each (a re-run sends nothing twice)."""
    pending = (
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .select_related("recipient")
        .order_by("pk")
    )
    sent = 0
    rows = list(pending)
    for index, notification in enumerate(rows, start=1):
        # Claim the row first: a parallel or re-delivered run skips it.
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed or not notification.recipient.email:
            continue
        body = notification.message
        if notification.url:
            body += f"\n\nOpen it in Atrium: {_absolute(notification.url)}"
        body += "\n\nChange which emails you get on your notification settings page."
        send_mail(_subject(notification), body, None, [notification.recipient.email])
        sent += 1
        if progress is not None:
            progress(100 * index / len(rows), f"Sent {sent} of {len(rows)}")
    return {"sent": sent}


def notification_digest_send(*, progress=None) -> dict[str, int]:
    """One email per person with the digest-preferred notifications not emailed yet."""
    digest_events = NotificationPreference.objects.filter(digest=True, email=True).values_list(
        "user_id", "event"
    )
    wanted: dict[int, set[str]] = defaultdict(set)
    for user_id, event in digest_events:
        wanted[user_id].add(event)
    sent = 0
    users = get_user_model().objects.filter(pk__in=list(wanted)).order_by("pk")
    for user in users:
        rows = list(
            Notification.objects.filter(
                recipient=user, event__in=wanted[user.pk], emailed_at__isnull=True
            ).order_by("created_at")
        )
        if not rows or not user.email:
            continue
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(emailed_at=timezone.now())
        lines = [f"- {row.message}" + (f" ({_absolute(row.url)})" if row.url else "") for row in rows]
        send_mail(
            f"[Atrium] Your digest: {len(rows)} notification{'s' if len(rows) != 1 else ''}",
            "\n".join(lines),
            None,
            [user.email],
        )
        sent += 1
    return {"sent": sent}
