"""Community writes, one module per area. Notification services are re-exported for older imports."""

# --- ideas and announcements (c2) ---
from apps.community.services.announcements import (  # noqa: F401, E402
    announcement_create,
    announcement_dismiss,
    announcement_end,
    announcement_update,
)
from apps.community.services.discussions import (  # noqa: F401
    EVENT_ACCEPTED,
    EVENT_MENTION,
    EVENT_POST,
    EVENT_REPLY,
    EVENT_THREAD,
    category_creatable_teams,
    category_create,
    category_update,
    mentioned_people,
    post_create,
    post_edit,
    post_remove,
    reaction_toggle,
    thread_accept_answer,
    thread_create,
    thread_moderate,
    thread_update,
    thread_user_may,
)
from apps.community.services.follows import (  # noqa: F401
    follow_create,
    follow_delete,
    follow_ensure,
    follow_toggle,
    followers_of,
    follows_delete_for,
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
from apps.community.services.ratelimit import RateLimited, post_rate_limit_take  # noqa: F401
