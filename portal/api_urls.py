"""/api/v1/: every app's REST routes."""

from django.urls import include, path, re_path

from apps.core.api.exceptions import api_not_found

urlpatterns = [
    path("", include("apps.teams.api.urls")),
    path("", include("apps.jobs.api.urls")),
    path("", include("apps.catalog.api.urls")),
    path("", include("apps.community.api.urls")),
    path("", include("apps.lineage.api.urls")),
    path("", include("apps.search.api.urls")),
    path("", include("apps.experiments.api.urls")),
    path("", include("apps.registry.api.urls")),
]

# Last, whatever is added above: an unknown API route is a JSON 404, not an HTML page.
urlpatterns += [re_path(r"^.*$", api_not_found, name="api-not-found")]
