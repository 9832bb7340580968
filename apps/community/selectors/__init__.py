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
from apps.community.selectors.discussions import (  # noqa: F401
    ThreadFilters,
    ThreadRights,
    asset_discussion_url,
    asset_get,
    category_get,
    category_list,
    category_user_may,
    links_for,
    post_get,
    post_list,
    post_revisions,
    post_user_may,
    reactions_for,
    render_body,
    render_posts,
    thread_asset_links,
    thread_count_on,
    thread_counts_on,
    thread_get,
    thread_list,
    thread_rights,
)
from apps.community.selectors.follows import (  # noqa: F401
    follow_key,
    follow_list,
    follow_target_get,
    follow_target_label,
    follower_count,
    is_following,
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
