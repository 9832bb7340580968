"""Experiment pages (namespace `experiments`): experiments, runs, compare; training under training/."""

from django.urls import include, path

from apps.experiments.views import compare as compare_views
from apps.experiments.views import experiments as views
from apps.experiments.views import runs as run_views

app_name = "experiments"
urlpatterns = [
    path("training/", include("apps.experiments.training.urls")),
    path("", views.ExperimentListView.as_view(), name="experiment_list"),
    path("export.csv", views.ExperimentExportView.as_view(), name="experiment_export"),
    path("new/", views.ExperimentCreateView.as_view(), name="experiment_create"),
    path("<int:pk>/", views.ExperimentView.as_view(), name="experiment_detail"),
    path("<int:pk>/about/", views.ExperimentAboutView.as_view(), name="experiment_about"),
    path("<int:pk>/runs.csv", views.ExperimentRunsExportView.as_view(), name="experiment_runs_export"),
    path("<int:pk>/columns/", views.ExperimentColumnsView.as_view(), name="experiment_columns"),
    path("<int:pk>/edit/", views.ExperimentEditView.as_view(), name="experiment_edit"),
    path(
        "<int:pk>/delete/",
        views.ExperimentLifecycleView.as_view(operation="delete"),
        name="experiment_delete",
    ),
    path(
        "<int:pk>/restore/",
        views.ExperimentLifecycleView.as_view(operation="restore"),
        name="experiment_restore",
    ),
    path("<int:pk>/history/", views.ExperimentHistoryView.as_view(), name="experiment_history"),
]

# Runs: tabs in the order of UX.md, the note, artifacts, delete/restore.
urlpatterns += [
    path("runs/<str:uuid>/", run_views.RunView.as_view(), name="run_detail"),
    path("runs/<str:uuid>/params/", run_views.RunParamsView.as_view(), name="run_params"),
    path("runs/<str:uuid>/metrics/", run_views.RunMetricsView.as_view(), name="run_metrics"),
    path("runs/<str:uuid>/metrics.csv", run_views.RunMetricsExportView.as_view(), name="run_metrics_export"),
    path("runs/<str:uuid>/artifacts/", run_views.RunArtifactsView.as_view(), name="run_artifacts"),
    path(
        "runs/<str:uuid>/artifacts/download/<path:path>",
        run_views.RunArtifactDownloadView.as_view(),
        name="run_artifact_download",
    ),
    path("runs/<str:uuid>/note/", run_views.RunNoteView.as_view(), name="run_note"),
    path(
        "runs/<str:uuid>/delete/", run_views.RunLifecycleView.as_view(operation="delete"), name="run_delete"
    ),
    path(
        "runs/<str:uuid>/restore/",
        run_views.RunLifecycleView.as_view(operation="restore"),
        name="run_restore",
    ),
    path("runs/<str:uuid>/history/", run_views.RunHistoryView.as_view(), name="run_history"),
]

# Comparing runs (from the runs table's checkboxes or ?runs=<uuid>,<uuid>).
urlpatterns += [
    path("compare/", compare_views.RunCompareView.as_view(), name="run_compare"),
    path("compare/export.csv", compare_views.RunCompareExportView.as_view(), name="run_compare_export"),
]
