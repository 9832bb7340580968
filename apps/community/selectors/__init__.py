"""Community reads, one module per area. Notification selectors are re-exported for older imports."""

# --- ideas, announcements, activity (c2) ---
from apps.community.selectors.activity import (  # noqa: F401, E402
    ActivityFilters,
    ActivityScope,
    activity_feed,
    activity_recent,
    register_activity_source,
)
from apps.community.selectors.announcements import (  # noqa: F401, E402
    announcement_get,
    announcement_home,
    announcement_list,
)
from apps.community.selectors.ideas import (  # noqa: F401, E402
    idea_get,
    idea_links,
    idea_list,
    idea_status_counts,
)
from apps.community.selectors.notifications import (  # noqa: F401
    event_label,
    notification_get,
    notification_list,
    notification_preferences,
    notification_unread_count,
)
