"""Community pages, one module per area."""

from apps.community.views.notifications import (  # noqa: F401
    NotificationBadgeView,
    NotificationListView,
    NotificationMarkAllReadView,
    NotificationMarkReadView,
    NotificationOpenView,
    NotificationPreferencesView,
)
