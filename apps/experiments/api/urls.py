"""/api/v1/ routes for experiments, runs (and their params, metrics, tags, artifacts) and logged models."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.experiments.api import views

router = SimpleRouter()
router.register("experiments", views.ExperimentViewSet, basename="experiment")
router.register("runs", views.RunViewSet, basename="run")
router.register("logged-models", views.LoggedModelViewSet, basename="logged-model")

RUN = "runs/<str:run_uuid>/"
urlpatterns = [
    *router.urls,
    path(
        "experiments/<int:experiment_pk>/runs/",
        views.RunViewSet.as_view({"get": "list"}),
        name="experiment-runs",
    ),
    path(f"{RUN}params/", views.RunParamViewSet.as_view({"get": "list"}), name="run-param-list"),
    path(f"{RUN}metrics/", views.RunMetricViewSet.as_view({"get": "list"}), name="run-metric-list"),
    # Metric keys may contain slashes (MLflow allows "val/loss"): the rest of the path is the key.
    path(
        f"{RUN}metrics/<path:key>/",
        views.RunMetricHistoryViewSet.as_view({"get": "list"}),
        name="run-metric-history",
    ),
    path(f"{RUN}tags/", views.RunTagViewSet.as_view({"get": "list", "post": "create"}), name="run-tag-list"),
    path(f"{RUN}tags/<path:key>/", views.RunTagViewSet.as_view({"delete": "destroy"}), name="run-tag-detail"),
    path(f"{RUN}artifacts/", views.RunArtifactViewSet.as_view({"get": "list"}), name="run-artifact-list"),
    # Training: training-jobs/, runs/<id>/reproduce/, training/estimators/ (apps/experiments/training/api.py).
    path("", include("apps.experiments.training.api_urls")),
]
