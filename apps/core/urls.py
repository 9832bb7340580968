from django.urls import include, path

from apps.core import views

section_patterns = (
    [
        path(f"{slug}/", views.SectionPlaceholderView.as_view(section=slug), name=slug)
        for slug in views.SECTIONS
    ],
    "section",
)

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("home/jobs/", views.HomeJobsPartialView.as_view(), name="home_jobs"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
    path("", include(section_patterns)),
]
