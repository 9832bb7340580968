"""Teams, memberships and tokens in the data-officer admin, saved through the teams' services.

A data officer edits their own team and its memberships; only a superuser
creates or deletes teams and sees personal access tokens (never their digest).
"""

from django.contrib import admin, messages

from apps.core.admin_base import TeamScopedAdmin, TeamScopedInline
from apps.teams import services
from apps.teams.models import Membership, PersonalAccessToken, Team


class MembershipInline(TeamScopedInline):
    model = Membership
    fields = ["user", "role"]
    extra = 0


def _save_memberships(request, formset) -> None:
    """Write an inline's memberships through membership_set / membership_remove (history, groups)."""
    formset.save(commit=False)
    for membership in formset.deleted_objects:
        services.membership_remove(membership=membership, by=request.user)
    for membership, changed_fields in formset.changed_objects:
        if "user" in changed_fields:  # a different person: the old one leaves the team
            previous = Membership.objects.select_related("user", "team").get(pk=membership.pk)
            services.membership_remove(membership=previous, by=request.user)
        services.membership_set(
            team=membership.team, user=membership.user, role=membership.role, by=request.user
        )
    for membership in formset.new_objects:
        services.membership_set(
            team=membership.team, user=membership.user, role=membership.role, by=request.user
        )


@admin.register(Team)
class TeamAdmin(TeamScopedAdmin):
    team_field = None  # the team is its own scope
    officer_may_add = False
    officer_may_delete = False
    list_display = ["name", "slug", "kind", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "description"]
    fields = ["name", "slug", "kind", "description", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "slug"] if obj is not None else readonly  # the slug is in every URL

    def save_model(self, request, obj, form, change):
        if change:
            # Also a revert: `obj` carries the historical values.
            services.team_update(
                team=obj, by=request.user, name=obj.name, kind=obj.kind, description=obj.description
            )
            return
        created = services.team_create(
            name=obj.name, kind=obj.kind, slug=obj.slug, description=obj.description, by=request.user
        )
        obj.pk = created.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        if formset.model is Membership:
            _save_memberships(request, formset)
        else:
            super().save_formset(request, form, formset, change)


@admin.register(Membership)
class MembershipAdmin(TeamScopedAdmin):
    list_display = ["user", "team", "role", "updated_at"]
    list_filter = [("team", admin.RelatedOnlyFieldListFilter), "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "team__name"]
    list_select_related = ["user", "team"]
    fields = ["team", "user", "role", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "team", "user"] if obj is not None else readonly  # only the role changes

    def save_model(self, request, obj, form, change):
        saved = services.membership_set(team=obj.team, user=obj.user, role=obj.role, by=request.user)
        # membership_set finds or creates the row; a revert of a removed membership gets a new one.
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.membership_remove(membership=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "team"):
            services.membership_remove(membership=membership, by=request.user)


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(TeamScopedAdmin):
    """Superusers only: tokens are personal, issued by their owner (or `manage.py issue_token`)."""

    superuser_only = True
    team_field = None
    list_display = ["name", "prefix", "user", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    # `digest` is never listed, shown or editable.
    fields = ["user", "name", "prefix", "expires_at", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_tokens"]

    def has_add_permission(self, request, *args) -> bool:
        return False  # a new token must be shown once to its owner: /account/tokens/ or issue_token

    @admin.action(description="Revoke selected tokens")
    def revoke_tokens(self, request, queryset):
        for token in queryset:
            services.token_revoke(token=token, by=request.user)
        messages.success(request, f"Revoked {queryset.count()} token(s).")
