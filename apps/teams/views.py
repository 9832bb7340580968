"""Team pages: directory, team page with members/assets/activity, member management, roles table."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import ListView, TemplateView, View

from apps.core.activity import activity_url
from apps.core.permissions import Action, Role, permission_table
from apps.core.views import ObjectHistoryView
from apps.teams import selectors
from apps.teams.forms import MemberAddForm, MemberRoleForm, member_removal_error
from apps.teams.models import Membership, Team
from apps.teams.services import membership_remove, membership_set


def permission_table_context() -> dict:
    return {"permission_actions": Action.choices, "permission_rows": permission_table()}


class TeamListView(LoginRequiredMixin, ListView):
    """Every team, with its kind, member count and the viewer's role."""

    template_name = "teams/team_list.html"
    context_object_name = "teams"

    def get_queryset(self):
        return selectors.team_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(role_choices=Role.choices, **kwargs)


class TeamView(LoginRequiredMixin, TemplateView):
    """A team's page: Members, Assets (restricted), Activity; History on its own page."""

    template_name = "teams/team_detail.html"

    def get_team(self) -> Team:
        return selectors.team_get(user=self.request.user, slug=self.kwargs["slug"])

    def get(self, request, *args, **kwargs):
        self.team = self.get_team()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, add_form=None, role_errors=None, **kwargs):
        user = self.request.user
        team = self.team
        can_manage = selectors.team_user_may_manage(user=user, team=team)
        members = selectors.team_members(team=team)
        asset_groups = selectors.team_assets(user=user, team=team)
        my_role = next((m for m in members if m.user_id == user.pk), None)
        return super().get_context_data(
            team=team,
            members=members,
            my_membership=my_role,
            can_manage=can_manage,
            add_form=add_form or (MemberAddForm(team=team) if can_manage else None),
            role_errors=role_errors or {},
            asset_groups=asset_groups,
            asset_count=sum(len(group.items) for group in asset_groups),
            activity=selectors.team_activity(user=user, team=team),
            activity_url=activity_url(team=team),
            role_choices=Role.choices,
            **{"active_tab": self.request.GET.get("tab", "members"), **kwargs},
        )


class TeamManageMixin(LoginRequiredMixin):
    """Loads the team (404 if unknown) and requires the `manage` action on it (403 otherwise)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.team = selectors.team_get(user=request.user, slug=kwargs["slug"])
        if not selectors.team_user_may_manage(user=request.user, team=self.team):
            raise PermissionDenied("Only the team's data officers may manage its members.")
        return super().dispatch(request, *args, **kwargs)

    def membership(self) -> Membership:
        return get_object_or_404(
            Membership.objects.select_related("user", "team"), pk=self.kwargs["pk"], team=self.team
        )

    def render_team(self, **context):
        view = TeamView()
        view.setup(self.request, slug=self.team.slug)
        view.team = self.team
        return view.render_to_response(view.get_context_data(active_tab="members", **context))

    def back(self):
        return redirect(f"{self.team.get_absolute_url()}?tab=members")


class MemberAddView(TeamManageMixin, View):
    """Add a member by username with a role."""

    def post(self, request, slug):
        form = MemberAddForm(request.POST, team=self.team)
        if not form.is_valid():
            return self.render_team(add_form=form)
        user = form.cleaned_data["user"]
        membership = membership_set(
            team=self.team, user=user, role=form.cleaned_data["role"], by=request.user
        )
        messages.success(
            request, f"{user.get_username()} joined {self.team.name} as {membership.get_role_display()}."
        )
        return self.back()


class MemberRoleView(TeamManageMixin, View):
    """Change one member's role."""

    def post(self, request, slug, pk):
        membership = self.membership()
        form = MemberRoleForm(request.POST, membership=membership)
        if not form.is_valid():
            return self.render_team(role_errors={membership.pk: form.errors["role"]})
        if form.cleaned_data["role"] != membership.role:
            membership = membership_set(
                team=self.team, user=membership.user, role=form.cleaned_data["role"], by=request.user
            )
            who, role = membership.user.get_username(), membership.get_role_display()
            messages.success(request, f"{who} is now {role} in {self.team.name}.")
        return self.back()


class MemberRemoveView(TeamManageMixin, View):
    """Remove a member from the team."""

    def post(self, request, slug, pk):
        membership = self.membership()
        error = member_removal_error(membership)
        if error:
            return self.render_team(role_errors={membership.pk: [error]})
        username = membership.user.get_username()
        membership_remove(membership=membership, by=request.user)
        messages.success(request, f"{username} was removed from {self.team.name}.")
        return self.back()


class TeamHistoryView(ObjectHistoryView):
    """Changes to the team itself (name, kind, description)."""

    model = Team
    template_name = "teams/team_history.html"
    slug_url_kwarg = "slug"
    context_object_name = "team"
    list_crumb = ("Teams", "teams:team_list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(active_tab="history", **kwargs)


class RolesView(LoginRequiredMixin, TemplateView):
    """What each role may do on its own team's assets, from the code's one table."""

    template_name = "teams/roles.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**permission_table_context(), **kwargs)
