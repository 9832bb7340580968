"""Training pages, included by the experiments URLs under `training/` (namespace experiments:training)."""

from django.urls import path

from apps.experiments.training import views

app_name = "training"
urlpatterns = [
    path("new/", views.TrainingStartView.as_view(), name="start"),
    path("new/versions/", views.TrainingVersionsView.as_view(), name="versions"),
    path("new/params/", views.TrainingParamsView.as_view(), name="params"),
    path("jobs/<int:pk>/", views.TrainingJobView.as_view(), name="job_detail"),
    path("jobs/<int:pk>/progress/", views.TrainingJobProgressView.as_view(), name="job_progress"),
    path("runs/<str:uuid>/reproduce/", views.RunReproduceView.as_view(), name="reproduce"),
]
