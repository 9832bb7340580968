"""Jobs in the data-officer admin: read-only, scoped to the officer's teams."""

from django.contrib import admin

from apps.core.admin_base import TeamScopedAdmin
from apps.core.querysets import member_team_ids
from apps.jobs.models import Job


@admin.register(Job)
class JobAdmin(TeamScopedAdmin):
    officer_may_add = False
    officer_may_change = False
    officer_may_delete = False
    list_display = ["__str__", "kind", "status", "progress", "team", "requester", "created_at", "finished_at"]
    list_filter = ["status", "kind"]
    search_fields = ["kind", "task_id", "requester__username"]
    list_select_related = ["team", "requester"]
    date_hierarchy = "created_at"

    def scoped_queryset(self, request, queryset):
        # By team only: Job.restrict also shows the requester's own jobs in other teams,
        # which a data officer does not answer for.
        return queryset.filter(team_id__in=member_team_ids(request.user, "manage"))

    def has_add_permission(self, request, *args) -> bool:
        return False  # jobs are created by the features that run them

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a job's row is written by its worker only

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.is_superuser(request)
