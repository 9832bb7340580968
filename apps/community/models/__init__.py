"""Community models, one module per area: notifications, discussions, ideas, announcements, follows."""

from apps.community.models.notifications import (  # noqa: F401
    Notification,
    NotificationPreference,
    NotificationPreferenceQuerySet,
    NotificationQuerySet,
)
