"""Discussions: forum categories, threads on any asset or in a category, posts with replies and reactions.

A thread belongs either to a registered asset (through a content type, so community never
imports the app that owns it) or to a category. Who may see it follows from there:

- a thread on an asset is visible exactly to those who may see the asset (the asset model's
  own `restrict`, as one subquery per asset type — never a check per row);
- a thread in a category is visible to those who may see the category: organisation-wide
  categories to everyone signed in, a team's category to its members, or to everyone when
  the team made it internal.

Posts and reactions are visible exactly when their thread is.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from apps.core.assets import asset_types
from apps.core.models import TimeStampedModel, Visibility
from apps.core.permissions import Action, roles_allowed
from apps.core.querysets import member_team_ids


def _anonymous(user) -> bool:
    return user is None or not user.is_authenticated or not user.is_active


def _is_officer_anywhere(user) -> Exists:
    """True when `user` holds a role allowed to manage in some team (a data officer)."""
    from apps.teams.models import Membership

    return Exists(Membership.objects.filter(user_id=user.pk, role__in=roles_allowed(Action.MANAGE)))


# --- categories ---------------------------------------------------------------------------------
class CategoryQuerySet(models.QuerySet):
    def restrict(self, user, action: str = Action.VIEW) -> CategoryQuerySet:
        """View (and starting a thread, `add`): organisation-wide categories, internal ones, and the
        user's teams' private ones. Other actions (editing the category): the team's data officers;
        organisation-wide categories: superusers only."""
        if _anonymous(user):
            return self.none()
        if user.is_superuser:
            return self
        if action in (Action.VIEW, Action.ADD):
            return self.filter(
                Q(team__isnull=True)
                | Q(visibility=Visibility.INTERNAL)
                | Q(team_id__in=member_team_ids(user, Action.VIEW))
            )
        return self.filter(team_id__in=member_team_ids(user, Action.MANAGE))


class Category(TimeStampedModel):
    """A standalone forum: organisation-wide (no team) or a team's, private to it or internal."""

    team = models.ForeignKey(
        "teams.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty for an organisation-wide category.",
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True, help_text="Markdown.")
    visibility = models.CharField(
        max_length=16,
        choices=Visibility.choices,
        default=Visibility.INTERNAL,
        help_text="Private: only the team's members see it. Organisation-wide ones are always internal.",
    )
    position = models.PositiveIntegerField(default=0, help_text="Lower comes first on the forum home.")

    objects = CategoryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=False) | Q(visibility=Visibility.INTERNAL),
                name="community_category_org_wide_is_internal",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("community:category_detail", kwargs={"slug": self.slug})


# --- threads ------------------------------------------------------------------------------------
class ThreadKind(models.TextChoices):
    QUESTION = "question", "Question"
    IDEA = "idea", "Idea"
    ANNOUNCEMENT = "announcement", "Announcement"
    INCIDENT = "incident", "Incident"
    GENERAL = "general", "General"


KIND_ICONS = {
    ThreadKind.QUESTION: "help-circle",
    ThreadKind.IDEA: "bulb",
    ThreadKind.ANNOUNCEMENT: "speakerphone",
    ThreadKind.INCIDENT: "alert-triangle",
    ThreadKind.GENERAL: "message-circle",
}


def asset_condition(user, action: str, *, type_field: str = "asset_type", id_field: str = "asset_id") -> Q:
    """Q matching rows whose asset `user` may take `action` on: one subquery per registered asset type."""
    condition = Q(pk__in=[])
    for registered in asset_types():
        model = registered.model
        objects = model._default_manager.all()
        if not hasattr(objects, "restrict"):
            continue  # an asset type without the permission rule is nobody's to discuss
        content_type = ContentType.objects.get_for_model(model)
        condition |= Q(
            **{
                f"{type_field}_id": content_type.pk,
                f"{id_field}__in": objects.restrict(user, action).values("pk"),
            }
        )
    return condition


class ThreadQuerySet(models.QuerySet):
    def restrict(self, user, action: str = Action.VIEW) -> ThreadQuerySet:
        """Who may do what with a thread.

        - `view`, `add` (post in it): whoever may see its asset or its category;
        - `change` (edit the title, accept an answer): its author, or whoever may change the asset
          or is a member of the category's team with the change right;
        - `manage`, `delete` (pin, lock, close): whoever may manage the asset (its team's data
          officers, or a manage grant), the category's team's data officers, and for
          organisation-wide categories any data officer.
        """
        if _anonymous(user):
            return self.none()
        if user.is_superuser:
            return self
        visible = self.filter(thread_visible(user))
        if action in (Action.VIEW, Action.ADD):
            return visible
        moderates = asset_condition(user, Action.MANAGE) | Q(
            category__team_id__in=member_team_ids(user, Action.MANAGE)
        )
        moderates |= Q(category__isnull=False, category__team__isnull=True) & Q(_is_officer_anywhere(user))
        if action == Action.CHANGE:
            changes = asset_condition(user, Action.CHANGE) | Q(
                category__team_id__in=member_team_ids(user, Action.CHANGE)
            )
            return visible.filter(Q(author_id=user.pk) | changes | moderates)
        return visible.filter(moderates)


def thread_visible(user) -> Q:
    """Q matching the threads `user` may see (not for superusers or anonymous users: see restrict)."""
    return Q(category_id__in=Category.objects.restrict(user, Action.VIEW).values("pk")) | asset_condition(
        user, Action.VIEW
    )


class Thread(TimeStampedModel):
    """A discussion on one asset, or in one forum category; its first post opens it."""

    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="threads"
    )
    asset_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    asset_id = models.PositiveBigIntegerField(null=True, blank=True)
    asset = GenericForeignKey("asset_type", "asset_id")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=ThreadKind.choices, default=ThreadKind.GENERAL)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_pinned = models.BooleanField("pinned", default=False)
    is_locked = models.BooleanField("locked", default=False, help_text="Only moderators may post.")
    closed_at = models.DateTimeField(null=True, blank=True)
    accepted_post = models.ForeignKey(
        "Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Bookkeeping kept in step by the services (not in history: every post would add a record).
    post_count = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = ThreadQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["post_count", "last_activity_at", "updated_at"])

    class Meta:
        ordering = ["-is_pinned", "-last_activity_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(category__isnull=False, asset_type__isnull=True, asset_id__isnull=True)
                    | Q(category__isnull=True, asset_type__isnull=False, asset_id__isnull=False)
                ),
                name="community_thread_on_an_asset_or_in_a_category",
            )
        ]
        indexes = [
            models.Index(
                fields=["asset_type", "asset_id", "last_activity_at"], name="community_thread_asset"
            ),
            models.Index(fields=["category", "last_activity_at"], name="community_thread_category"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("community:thread_detail", kwargs={"pk": self.pk})

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def is_answered(self) -> bool:
        return self.accepted_post_id is not None

    @property
    def kind_icon(self) -> str:
        return KIND_ICONS.get(self.kind, "message-circle")


# --- posts --------------------------------------------------------------------------------------
class PostQuerySet(models.QuerySet):
    def restrict(self, user, action: str = Action.VIEW) -> PostQuerySet:
        """Visible when the thread is; `change` and `delete`: the author, or the thread's moderators."""
        if _anonymous(user):
            return self.none()
        if user.is_superuser:
            return self
        visible = self.filter(thread__in=Thread.objects.restrict(user, Action.VIEW).values("pk"))
        if action in (Action.VIEW, Action.ADD):
            return visible
        moderated = Thread.objects.restrict(user, Action.MANAGE).values("pk")
        return visible.filter(Q(author_id=user.pk) | Q(thread__in=moderated))


class Post(TimeStampedModel):
    """One message of a thread, in Markdown; may answer another post. Every edit is kept in history."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(help_text="Markdown.")
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    is_opening = models.BooleanField(default=False, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True)
    # A removed post stays in its thread as "removed" (replies keep their context); its text is
    # cleared from the row and kept in history, and it leaves search, counts and the activity feed.
    removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = PostQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="community_post_thread"),
            models.Index(fields=["author", "created_at"], name="community_post_author"),
        ]

    def __str__(self) -> str:
        return f"{self.author} in {self.thread_id}"

    def get_absolute_url(self) -> str:
        return f"{self.thread.get_absolute_url()}#post-{self.pk}"

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


# --- reactions ----------------------------------------------------------------------------------
class Emoji(models.TextChoices):
    """The fixed set of reactions (GitHub's)."""

    THUMBS_UP = "+1", "👍"
    THUMBS_DOWN = "-1", "👎"
    LAUGH = "laugh", "😄"
    HOORAY = "hooray", "🎉"
    CONFUSED = "confused", "😕"
    HEART = "heart", "❤️"
    ROCKET = "rocket", "🚀"
    EYES = "eyes", "👀"


EMOJI_ICONS = {
    Emoji.THUMBS_UP: "thumb-up",
    Emoji.THUMBS_DOWN: "thumb-down",
    Emoji.LAUGH: "mood-happy",
    Emoji.HOORAY: "confetti",
    Emoji.CONFUSED: "mood-confuzed",
    Emoji.HEART: "heart",
    Emoji.ROCKET: "rocket",
    Emoji.EYES: "eye",
}


class ReactionQuerySet(models.QuerySet):
    def restrict(self, user, action: str = Action.VIEW) -> ReactionQuerySet:
        """Visible when the post is; a reaction is removed only by the person who gave it."""
        if _anonymous(user):
            return self.none()
        visible = (
            self
            if user.is_superuser
            else self.filter(post__in=Post.objects.restrict(user, Action.VIEW).values("pk"))
        )
        if action in (Action.VIEW, Action.ADD):
            return visible
        return visible.filter(user_id=user.pk)


class Reaction(models.Model):
    """One person's emoji on one post (one of each emoji per person; toggled)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=16, choices=Emoji.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReactionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["post", "emoji", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["post", "user", "emoji"], name="community_reaction_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.emoji} on {self.post_id}"
