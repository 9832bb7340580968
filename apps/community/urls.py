from django.urls import path

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
]
