"""Community reads, one module per area. Notification selectors are re-exported for older imports."""

from apps.community.selectors.notifications import (  # noqa: F401
    event_label,
    notification_get,
    notification_list,
    notification_preferences,
    notification_unread_count,
)
