"""Experiment pages (namespace `experiments`); training pages live under training/."""

from django.urls import include, path

app_name = "experiments"
urlpatterns = [
    path("training/", include("apps.experiments.training.urls")),
]
