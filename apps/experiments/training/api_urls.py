"""/api/v1/ routes of training, included by the experiments API URLs."""

from django.urls import path

from apps.experiments.training import api

urlpatterns = [
    path("training-jobs/", api.TrainingJobListView.as_view(), name="training-job-list"),
    path("training-jobs/<int:pk>/", api.TrainingJobDetailView.as_view(), name="training-job-detail"),
    path("runs/<str:run_uuid>/reproduce/", api.RunReproduceView.as_view(), name="run-reproduce"),
    path("training/estimators/", api.EstimatorListView.as_view(), name="training-estimator-list"),
]
