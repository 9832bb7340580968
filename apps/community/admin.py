"""Community objects in the data-officer admin: scoped to the officer's teams, saved through the services."""

from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.core.exceptions import PermissionDenied, ValidationError

from apps.community.models import Announcement, Category, Idea, Post, Thread
from apps.community.services import announcements as announcement_services
from apps.community.services import discussions as discussion_services
from apps.community.services import ideas as idea_services
from apps.core.admin_base import TeamScopedAdmin
from apps.core.permissions import Action


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


# --- discussions (c3) ---
class DiscussionAdmin(TeamScopedAdmin):
    """Forum objects: scoped through their `restrict(user, "manage")` (what the officer moderates);
    started and written on the site, never added or deleted here (posts are removed, not deleted)."""

    officer_may_add = False
    officer_may_delete = False

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def team_id_of(self, obj) -> int | None:
        # A deleted thread or post has no team of its own to judge it by: superusers only.
        return getattr(obj, "team_id", None) if isinstance(obj, Category) else None


@admin.register(Category)
class CategoryAdmin(DiscussionAdmin):
    """The officer's teams' forum categories (organisation-wide ones: superusers); saved by the service."""

    list_display = ["name", "team", "visibility", "position", "created_at"]
    list_filter = [("team", RelatedOnlyFieldListFilter), "visibility"]
    search_fields = ["name", "description"]
    list_select_related = ["team"]
    fields = ["name", "slug", "team", "visibility", "position", "description", "created_at", "updated_at"]
    readonly_fields = ["slug", "team", "created_at", "updated_at"]

    def team_id_of(self, obj) -> int | None:
        return obj.team_id

    def save_model(self, request, obj, form, change):
        # Also a revert: `obj` carries the historical values of the editable fields.
        discussion_services.category_update(
            by=request.user,
            category=obj,
            name=obj.name,
            description=obj.description,
            position=obj.position,
            visibility=obj.visibility,
        )


@admin.register(Thread)
class ThreadAdmin(DiscussionAdmin):
    """Discussions the officer moderates (their teams' assets and categories): title, kind, pin, lock,
    close, saved through the services so history and rules hold."""

    list_display = [
        "title", "kind", "category", "author", "post_count", "is_pinned", "is_locked", "closed_at",
    ]  # fmt: skip
    list_filter = ["kind", "is_pinned", "is_locked"]
    search_fields = ["title"]
    list_select_related = ["category", "author"]
    fields = [
        "title", "kind", "category", "asset_type", "asset_id", "author", "is_pinned", "is_locked",
        "closed_at", "accepted_post", "post_count", "created_at", "updated_at",
    ]  # fmt: skip
    readonly_fields = [
        "category", "asset_type", "asset_id", "author", "accepted_post", "post_count", "created_at",
        "updated_at",
    ]  # fmt: skip

    def save_model(self, request, obj, form, change):
        discussion_services.thread_update(by=request.user, thread=obj, title=obj.title, kind=obj.kind)
        discussion_services.thread_moderate(
            by=request.user,
            thread=obj,
            pinned=obj.is_pinned,
            locked=obj.is_locked,
            closed=obj.closed_at is not None,
        )


@admin.register(Post)
class PostAdmin(DiscussionAdmin):
    """Posts in the discussions the officer moderates: edit (kept in history, revertable) or remove."""

    list_display = ["excerpt", "thread", "author", "is_opening", "created_at", "edited_at", "removed_at"]
    list_filter = ["is_opening", ("removed_at", admin.EmptyFieldListFilter)]
    search_fields = ["body", "thread__title"]
    list_select_related = ["thread", "author"]
    fields = [
        "thread", "author", "body", "reply_to", "is_opening", "created_at", "edited_at", "removed_at",
        "removed_by",
    ]  # fmt: skip
    readonly_fields = [
        "thread", "author", "reply_to", "is_opening", "created_at", "edited_at", "removed_at", "removed_by",
    ]  # fmt: skip
    actions = ["remove_posts"]

    def scoped_queryset(self, request, queryset):
        # Only posts in threads the officer moderates (not every post they wrote elsewhere).
        return queryset.filter(thread__in=Thread.objects.restrict(request.user, Action.MANAGE).values("pk"))

    def has_change_permission(self, request, obj=None) -> bool:
        # A removed post is read-only: its text lives in its history, not to be reverted back into view.
        if obj is not None and obj.removed_at is not None:
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description="Text")
    def excerpt(self, post) -> str:
        if post.removed_at is not None:
            return "(removed)"
        return post.body[:80] + ("…" if len(post.body) > 80 else "")

    def save_model(self, request, obj, form, change):
        # Also a revert. The service compares with the stored text, so it gets the stored post.
        stored = Post.objects.select_related("thread").get(pk=obj.pk)
        discussion_services.post_edit(by=request.user, post=stored, body=obj.body)

    @admin.action(description="Remove the selected posts (they show as removed; their text stays in history)")
    def remove_posts(self, request, queryset):
        removed = 0
        for post in queryset.filter(removed_at__isnull=True).select_related("thread"):
            try:
                discussion_services.post_remove(by=request.user, post=post)
            except (PermissionDenied, ValidationError) as refused:
                self.message_user(request, f"{post}: {refused}", messages.ERROR)
            else:
                removed += 1
        self.message_user(request, f"Removed {removed} post{'s' if removed != 1 else ''}.", messages.SUCCESS)
