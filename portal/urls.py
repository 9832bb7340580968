"""Top-level routes. Each app owns its own urls.py (HTML) and api/urls.py (REST)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    # The MLflow client's REST API (api/2.0/mlflow/…, api/2.0/mlflow-artifacts/…), see apps/mlflow_api;
    # first, as its clients call it thousands of times a run: five prefixes to try, where the
    # portal's own routes come in the hundreds.
    path("", include("apps.mlflow_api.urls")),
    path("", include("apps.core.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/", include("apps.teams.account_urls")),
    path("admin/", admin.site.urls),
    path("teams/", include("apps.teams.urls")),
    path("jobs/", include("apps.jobs.urls")),
    path("catalog/", include("apps.catalog.urls")),
    path("experiments/", include("apps.experiments.urls")),
    path("community/", include("apps.community.urls")),
    path("lineage/", include("apps.lineage.urls")),
    path("search/", include("apps.search.urls")),
    path("models/", include("apps.registry.urls")),
    path("api/v1/", include("portal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
