from django.urls import path

from apps.teams import views

app_name = "teams"
urlpatterns = [
    path("", views.TeamListView.as_view(), name="team_list"),
    path("<slug:slug>/", views.TeamView.as_view(), name="team_detail"),
]
