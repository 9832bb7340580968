from apps.core.views import ObjectListView, ObjectView
from apps.teams.models import Team


class TeamListView(ObjectListView):
    model = Team
    template_name = "teams/team_list.html"


class TeamView(ObjectView):
    model = Team
    template_name = "teams/team_detail.html"
    slug_url_kwarg = "slug"
