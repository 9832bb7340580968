from django.urls import path

from apps.teams import views

app_name = "teams"
urlpatterns = [
    path("", views.TeamListView.as_view(), name="team_list"),
    # Before <slug>/: a team cannot take the slug "roles".
    path("roles/", views.RolesView.as_view(), name="roles"),
    path("<slug:slug>/", views.TeamView.as_view(), name="team_detail"),
    path("<slug:slug>/history/", views.TeamHistoryView.as_view(), name="team_history"),
    path("<slug:slug>/members/add/", views.MemberAddView.as_view(), name="member_add"),
    path("<slug:slug>/members/<int:pk>/role/", views.MemberRoleView.as_view(), name="member_role"),
    path("<slug:slug>/members/<int:pk>/remove/", views.MemberRemoveView.as_view(), name="member_remove"),
]
