"""Community models, one module per area: notifications, discussions, ideas, announcements, follows."""

# --- ideas and announcements (c2) ---
from apps.community.models.announcements import (  # noqa: F401, E402
    Announcement,
    AnnouncementDismissal,
    AnnouncementQuerySet,
    AnnouncementSeverity,
)
from apps.community.models.discussions import (  # noqa: F401
    KIND_ICONS,
    Category,
    CategoryQuerySet,
    Emoji,
    Post,
    PostQuerySet,
    Reaction,
    ReactionQuerySet,
    Thread,
    ThreadKind,
    ThreadQuerySet,
)
from apps.community.models.follows import Follow, FollowQuerySet  # noqa: F401
from apps.community.models.ideas import (  # noqa: F401, E402
    OPEN_STATUSES,
    Idea,
    IdeaGroupObjectPermission,
    IdeaLink,
    IdeaQuerySet,
    IdeaStatus,
    IdeaStatusChange,
    IdeaUserObjectPermission,
    IdeaVote,
)
from apps.community.models.notifications import (  # noqa: F401
    Notification,
    NotificationPreference,
    NotificationPreferenceQuerySet,
    NotificationQuerySet,
)
