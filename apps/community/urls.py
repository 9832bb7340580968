from django.urls import path, re_path

from apps.community import views

app_name = "community"
urlpatterns = [
    path("notifications/", views.NotificationListView.as_view(), name="notification_list"),
    path("notifications/badge/", views.NotificationBadgeView.as_view(), name="notification_badge"),
    path(
        "notifications/read-all/", views.NotificationMarkAllReadView.as_view(), name="notification_read_all"
    ),
    path(
        "notifications/settings/",
        views.NotificationPreferencesView.as_view(),
        name="notification_preferences",
    ),
    path("notifications/<int:pk>/", views.NotificationOpenView.as_view(), name="notification_open"),
    path("notifications/<int:pk>/read/", views.NotificationMarkReadView.as_view(), name="notification_read"),
    # --- ideas, announcements, activity (c2) ---
    path("ideas/", views.IdeaListView.as_view(), name="idea_list"),
    path("ideas/new/", views.IdeaCreateView.as_view(), name="idea_create"),
    path("ideas/<int:pk>/", views.IdeaView.as_view(), name="idea_detail"),
    path("ideas/<int:pk>/edit/", views.IdeaEditView.as_view(), name="idea_edit"),
    path("ideas/<int:pk>/history/", views.IdeaHistoryView.as_view(), name="idea_history"),
    path("ideas/<int:pk>/vote/", views.IdeaVoteView.as_view(), name="idea_vote"),
    path("ideas/<int:pk>/status/", views.IdeaTransitionView.as_view(), name="idea_transition"),
    path("ideas/<int:pk>/links/", views.IdeaLinkAddView.as_view(), name="idea_link_add"),
    path(
        "ideas/<int:pk>/links/<int:link_pk>/delete/",
        views.IdeaLinkRemoveView.as_view(),
        name="idea_link_remove",
    ),
    path("ideas/<int:pk>/delete/", views.IdeaDeleteView.as_view(), name="idea_delete"),
    path("announcements/", views.AnnouncementListView.as_view(), name="announcement_list"),
    path("announcements/new/", views.AnnouncementCreateView.as_view(), name="announcement_create"),
    path("announcements/<int:pk>/", views.AnnouncementView.as_view(), name="announcement_detail"),
    path("announcements/<int:pk>/edit/", views.AnnouncementEditView.as_view(), name="announcement_edit"),
    path("announcements/<int:pk>/end/", views.AnnouncementEndView.as_view(), name="announcement_end"),
    path(
        "announcements/<int:pk>/dismiss/",
        views.AnnouncementDismissView.as_view(),
        name="announcement_dismiss",
    ),
    path("activity/", views.ActivityView.as_view(), name="activity"),
    re_path(
        r"^activity/(?P<label>[a-z_]+\.[a-z_]+)/(?P<pk>[0-9]+)/$",
        views.AssetActivityView.as_view(),
        name="asset_activity",
    ),
]

# Discussions: the forum home, categories, threads, posts, the editor's helpers, any asset's Discussion tab.
urlpatterns += [
    path("", views.ForumHomeView.as_view(), name="home"),
    path("categories/new/", views.CategoryCreateView.as_view(), name="category_create"),
    path("c/<slug:slug>/", views.CategoryView.as_view(), name="category_detail"),
    path("c/<slug:slug>/edit/", views.CategoryEditView.as_view(), name="category_edit"),
    path("new/", views.ThreadCreateView.as_view(), name="thread_create"),
    path("t/<int:pk>/", views.ThreadView.as_view(), name="thread_detail"),
    path("t/<int:pk>/reply/", views.PostCreateView.as_view(), name="post_create"),
    path("t/<int:pk>/edit/", views.ThreadEditView.as_view(), name="thread_edit"),
    path("t/<int:pk>/accept/", views.ThreadAcceptView.as_view(), name="thread_accept"),
    path("t/<int:pk>/moderate/", views.ThreadModerateView.as_view(), name="thread_moderate"),
    path("posts/<int:pk>/edit/", views.PostEditView.as_view(), name="post_edit"),
    path("posts/<int:pk>/revisions/", views.PostRevisionsView.as_view(), name="post_revisions"),
    path("posts/<int:pk>/remove/", views.PostRemoveView.as_view(), name="post_remove"),
    path("posts/<int:pk>/react/", views.PostReactView.as_view(), name="post_react"),
    path("preview/", views.PreviewView.as_view(), name="preview"),
    path("autocomplete/", views.AutocompleteView.as_view(), name="autocomplete"),
    re_path(
        r"^discussions/on/(?P<label>[a-z_]+\.[a-z_]+)/(?P<pk>[0-9]+)/$",
        views.AssetDiscussionsView.as_view(),
        name="asset_discussions",
    ),
]

# Follows: the button any page includes, and one's own list.
urlpatterns += [
    path("follow/", views.FollowToggleView.as_view(), name="follow_toggle"),
    path("following/", views.FollowListView.as_view(), name="follow_list"),
]
