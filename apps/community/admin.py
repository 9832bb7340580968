"""Community objects in the data-officer admin: scoped to the officer's teams, saved through the services."""

from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter

from apps.community.models import Announcement, Idea
from apps.community.services import announcements as announcement_services
from apps.community.services import ideas as idea_services
from apps.core.admin_base import TeamScopedAdmin


# --- ideas and announcements (c2) ---
@admin.register(Idea)
class IdeaAdmin(TeamScopedAdmin):
    """The officer's teams' ideas: text and visibility editable (and revertable); status only through the
    workflow on the idea's page, so every step keeps its reason and notifies the voters."""

    # Ideas are proposed on the board: the author's vote and the officers' notification come with them.
    officer_may_add = False
    list_display = ["title", "team", "status", "visibility", "vote_count", "author", "created_at"]
    list_filter = [("team", RelatedOnlyFieldListFilter), "status", "visibility"]
    search_fields = ["title", "description"]
    list_select_related = ["team", "author"]
    fields = [
        "title", "team", "visibility", "description", "status", "status_reason", "author", "vote_count",
        "created_at", "updated_at",
    ]  # fmt: skip
    readonly_fields = [
        "team", "status", "status_reason", "author", "vote_count", "created_at", "updated_at",
    ]  # fmt: skip

    def has_add_permission(self, request, *args) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        # Also a revert: `obj` carries the historical values of the editable fields.
        idea_services.idea_update(
            idea=obj, by=request.user, title=obj.title, description=obj.description, visibility=obj.visibility
        )

    def delete_model(self, request, obj):
        idea_services.idea_delete(idea=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for idea in queryset:
            idea_services.idea_delete(idea=idea, by=request.user)


@admin.register(Announcement)
class AnnouncementAdmin(TeamScopedAdmin):
    """Announcements to the officer's teams and those they posted to everyone; posted from the site."""

    officer_may_add = False
    list_display = ["title", "team", "severity", "starts_at", "expires_at", "author"]
    list_filter = ["severity"]
    search_fields = ["title", "body"]
    list_select_related = ["team", "author"]
    fields = [
        "title",
        "team",
        "severity",
        "body",
        "starts_at",
        "expires_at",
        "author",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["team", "author", "created_at", "updated_at"]

    def has_add_permission(self, request, *args) -> bool:
        return False

    def in_scope(self, request, obj) -> bool:
        # An organisation-wide announcement has no team: it is its author's (and superusers').
        if obj.team_id is None and obj.pk is not None and not self.is_superuser(request):
            return self.get_queryset(request).filter(pk=obj.pk).exists()
        return super().in_scope(request, obj)

    def save_model(self, request, obj, form, change):
        announcement_services.announcement_update(
            announcement=obj,
            by=request.user,
            title=obj.title,
            body=obj.body,
            severity=obj.severity,
            starts_at=obj.starts_at,
            expires_at=obj.expires_at,
        )
