"""Community writes, one module per area. Notification services are re-exported for older imports."""

from apps.community.services.notifications import (  # noqa: F401
    DIGEST_JOB_KIND,
    EMAIL_JOB_KIND,
    notification_digest_send,
    notification_emails_send,
    notification_mark_read,
    notification_preference_set,
    notifications_mark_all_read,
    notify,
    user_may_see,
)
