"""Community pages, one module per area."""

# --- ideas, announcements, activity (c2) ---
from apps.community.views.activity import ActivityView, AssetActivityView  # noqa: F401, E402
from apps.community.views.announcements import (  # noqa: F401, E402
    AnnouncementCreateView,
    AnnouncementDismissView,
    AnnouncementEditView,
    AnnouncementEndView,
    AnnouncementListView,
    AnnouncementView,
)
from apps.community.views.discussions import (  # noqa: F401
    AssetDiscussionsView,
    AutocompleteView,
    CategoryCreateView,
    CategoryEditView,
    CategoryView,
    ForumHomeView,
    PostCreateView,
    PostEditView,
    PostReactView,
    PostRemoveView,
    PostRevisionsView,
    PreviewView,
    ThreadAcceptView,
    ThreadCreateView,
    ThreadEditView,
    ThreadModerateView,
    ThreadView,
)
from apps.community.views.follows import FollowListView, FollowToggleView  # noqa: F401
from apps.community.views.ideas import (  # noqa: F401, E402
    IdeaCreateView,
    IdeaDeleteView,
    IdeaEditView,
    IdeaHistoryView,
    IdeaLinkAddView,
    IdeaLinkRemoveView,
    IdeaListView,
    IdeaTransitionView,
    IdeaView,
    IdeaVoteView,
)
from apps.community.views.notifications import (  # noqa: F401
    NotificationBadgeView,
    NotificationListView,
    NotificationMarkAllReadView,
    NotificationMarkReadView,
    NotificationOpenView,
    NotificationPreferencesView,
)
