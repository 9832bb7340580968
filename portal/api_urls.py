"""/api/v1/: every app's REST routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("apps.teams.api.urls")),
    path("", include("apps.jobs.api.urls")),
    path("", include("apps.catalog.api.urls")),
]
