"""Community writes, one module per area. Notification services are re-exported for older imports."""

# --- ideas and announcements (c2) ---
from apps.community.services.announcements import (  # noqa: F401, E402
    announcement_create,
    announcement_dismiss,
    announcement_end,
    announcement_update,
)
from apps.community.services.ideas import (  # noqa: F401, E402
    idea_create,
    idea_delete,
    idea_link_add,
    idea_link_remove,
    idea_transition,
    idea_unvote,
    idea_update,
    idea_vote,
    idea_vote_toggle,
)
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
