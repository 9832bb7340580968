"""Writes for notifications: create them with the event, mark them read, send emails, set preferences."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import get_connection, send_mail
from django.db import models, transaction
from django.db.models import Value
from django.utils import timezone

from apps.community.models import Notification, NotificationPreference
from apps.core.history import acting_user
from apps.core.notifications import event_type, is_notification_target

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


# People checked per query by `users_who_may_see` (SQLite allows 500 terms in a compound SELECT).
VISIBILITY_BATCH = 100


def users_who_may_see(*, users: list, target: models.Model | None) -> set[int]:
    """Ids of those `users` who may see `target`, each through the target model's own `restrict`.

    One query per hundred people: each person's `restrict(user, "view")` selects their id when
    the target is among the rows they may see, and the selects are joined by UNION ALL.
    """
    if target is None:
        return {user.pk for user in users}
    objects = type(target)._default_manager.all()
    if not hasattr(objects, "restrict"):
        return {user.pk for user in users if user.is_active and user.is_superuser}
    visible: set[int] = set()
    for start in range(0, len(users), VISIBILITY_BATCH):
        selects = [
            objects.restrict(user, "view")
            .filter(pk=target.pk)
            .order_by()
            .annotate(notification_viewer=Value(user.pk, output_field=models.BigIntegerField()))
            .values_list("notification_viewer", flat=True)
            for user in users[start : start + VISIBILITY_BATCH]
        ]
        selects = [select for select in selects if not select.query.is_empty()]
        if selects:
            visible.update(selects[0].union(*selects[1:], all=True))
    return visible


def _preferences(users: list, event: str) -> dict[int, NotificationPreference]:
    rows = NotificationPreference.objects.filter(user__in=[user.pk for user in users], event=event)
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
    and so is anyone who turned both the inbox and email off for this kind of event. A constant number
    of queries whatever the number of recipients (up to a hundred: one visibility query per hundred).
    Reading is checked again: a notification is shown and emailed only while its target is visible.
    """
    if target is not None and not is_notification_target(target):
        raise ValueError(
            f"{target._meta.label} is not a notification target: register it with "
            "apps.core.notifications.register_notification_target (or register_asset)."
        )
    unique = {user.pk: user for user in recipients if user is not None and user.is_active}
    if actor is not None:
        unique.pop(actor.pk, None)
    visible = users_who_may_see(users=list(unique.values()), target=target)
    people = [user for pk, user in unique.items() if pk in visible]
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
    immediate_recipients = set()
    for user in people:
        preference = preferences.get(user.pk)
        in_app = preference.in_app if preference else True
        email = _wants_email(preference, default_email, user)
        if not in_app and not email:
            continue
        if email and not _wants_digest(preference):
            immediate_recipients.add(user.pk)
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
    if not created:
        return []
    # Notifications have no history (each is itself the record of an event), so bulk_create is fine.
    created = Notification.objects.bulk_create(created)
    immediate = [n.pk for n in created if n.recipient_id in immediate_recipients]
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
    return Notification.objects.restrict(user).unread().update(read_at=timezone.now())


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
    """Email the given notifications not emailed yet, once each (a re-run sends nothing twice).

    Each recipient's rows are read through `Notification.objects.restrict(recipient)`: one whose
    target they may no longer see is not sent (one query per recipient, who gets one email per row).
    """
    recipient_ids = (
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .order_by()
        .values("recipient_id")
    )
    recipients = list(get_user_model().objects.filter(pk__in=recipient_ids).order_by("pk"))
    sent = 0
    with get_connection() as mail:  # one connection to the mail server for the whole run
        for position, recipient in enumerate(recipients, start=1):
            sent += _notification_emails_to(recipient, notification_ids, mail)
            if progress is not None:
                progress(100 * position / len(recipients), f"Sent {sent} emails")
    return {"sent": sent}


def _notification_emails_to(recipient, notification_ids: list[int], mail) -> int:
    """Email `recipient` each of the given notifications they may still see and nobody has emailed."""
    sent = 0
    rows = (
        Notification.objects.restrict(recipient)
        .filter(pk__in=notification_ids, emailed_at__isnull=True)
        .order_by("pk")
    )
    for notification in rows:
        # Claim the row first: a parallel or re-delivered run skips it.
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed or not recipient.email:
            continue
        body = notification.message
        if notification.url:
            body += f"\n\nOpen it in Atrium: {_absolute(notification.url)}"
        body += "\n\nChange which emails you get on your notification settings page."
        send_mail(_subject(notification), body, None, [recipient.email], connection=mail)
        sent += 1
    return sent


def notification_digest_send(*, progress=None) -> dict[str, int]:
    """One email per person with the digest-preferred notifications not emailed yet."""
    digest_events = NotificationPreference.objects.filter(digest=True, email=True).values_list(
        "user_id", "event"
    )
    wanted: dict[int, set[str]] = defaultdict(set)
    for user_id, event in digest_events:
        wanted[user_id].add(event)
    sent = 0
    users = list(get_user_model().objects.filter(pk__in=list(wanted), is_active=True).order_by("pk"))
    with get_connection() as mail:  # one connection to the mail server for the whole run
        for user in users:
            sent += _digest_to(user, wanted[user.pk], mail)
    return {"sent": sent}


def _digest_to(user, events: set[str], mail) -> int:
    """Email `user` one digest of their notifications of `events` not emailed yet (1 if sent, else 0)."""
    # Through `restrict`: what the person may no longer see stays out of the digest.
    rows = list(
        Notification.objects.restrict(user)
        .filter(event__in=events, emailed_at__isnull=True)
        .order_by("created_at", "pk")
    )
    if not rows or not user.email:
        return 0
    Notification.objects.filter(pk__in=[row.pk for row in rows]).update(emailed_at=timezone.now())
    lines = [f"- {row.message}" + (f" ({_absolute(row.url)})" if row.url else "") for row in rows]
    send_mail(
        f"[Atrium] Your digest: {len(rows)} notification{'s' if len(rows) != 1 else ''}",
        "\n".join(lines),
        None,
        [user.email],
        connection=mail,
    )
    return 1
