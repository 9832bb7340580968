from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from apps.community.api import discussions, follows, views

router = SimpleRouter()
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("categories", discussions.CategoryViewSet, basename="category")
router.register("threads", discussions.ThreadViewSet, basename="thread")
router.register("posts", discussions.PostViewSet, basename="post")
router.register("follows", follows.FollowViewSet, basename="follow")

urlpatterns = router.urls

# --- ideas, votes, announcements, activity (c2) ---
from apps.community.api import activity as activity_api  # noqa: E402
from apps.community.api import announcements as announcements_api  # noqa: E402
from apps.community.api import ideas as ideas_api  # noqa: E402

ideas_router = SimpleRouter()
ideas_router.register("ideas", ideas_api.IdeaViewSet, basename="idea")
ideas_router.register("announcements", announcements_api.AnnouncementViewSet, basename="announcement")
urlpatterns += ideas_router.urls
urlpatterns += [
    path("activity/", activity_api.ActivityView.as_view(), name="activity-list"),
    re_path(
        r"^activity/(?P<label>[a-z_]+\.[a-z_]+)/(?P<pk>[0-9]+)/$",
        activity_api.AssetActivityView.as_view(),
        name="asset-activity",
    ),
]
