from django.urls import path

from apps.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.JobListView.as_view(), name="job_list"),
    path("start/", views.JobStartView.as_view(), name="job_start"),
    path("<int:pk>/", views.JobView.as_view(), name="job_detail"),
    path("<int:pk>/progress/", views.JobProgressView.as_view(), name="job_progress"),
    path("<int:pk>/cancel/", views.JobCancelView.as_view(), name="job_cancel"),
]
