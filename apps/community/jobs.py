"""Job kinds of the community app: email delivery of notifications, immediate and as a daily digest."""

from __future__ import annotations

from apps.jobs.registry import JobContext, job_kind


@job_kind(
    "community.send_notification_emails",
    label="Send notification emails",
    time_limit=300,
    max_retries=5,
    description="Emails notifications to the people who want them by email, once each.",
)
def send_notification_emails(context: JobContext) -> dict:
    from apps.community.services import notification_emails_send

    ids = [int(pk) for pk in context.params.get("notification_ids", [])]
    return notification_emails_send(notification_ids=ids, progress=context.progress)


@job_kind(
    "community.send_notification_digest",
    label="Send notification digests",
    time_limit=1800,
    max_retries=3,
    description="One email per person with the notifications they asked to receive as a daily digest.",
)
def send_notification_digest(context: JobContext) -> dict:
    from apps.community.services import notification_digest_send

    return notification_digest_send(progress=context.progress)
