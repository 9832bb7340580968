"""The idea board: ideas owned by a team, one vote per person, a status workflow, links to assets."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from apps.core.models import TeamOwnedModel, Visibility
from apps.core.querysets import InheritedRestrictQuerySet, RestrictedQuerySet


class IdeaStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    UNDER_REVIEW = "under_review", "Under review"
    ACCEPTED = "accepted", "Accepted"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DECLINED = "declined", "Declined"


# Statuses in which people may still vote: a done or declined idea is closed.
OPEN_STATUSES = frozenset(
    {IdeaStatus.PROPOSED, IdeaStatus.UNDER_REVIEW, IdeaStatus.ACCEPTED, IdeaStatus.IN_PROGRESS}
)


class IdeaQuerySet(RestrictedQuerySet):
    def open(self) -> IdeaQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Idea(TeamOwnedModel):
    """A proposal to change something, owned by the team that would do it; people vote for it.

    Ideas default to internal: a board is meant to gather votes across teams.
    `vote_count` and `hot_score` are denormalised from the votes (kept by the services)
    so the board sorts on an index; they are left out of history, which records votes
    as IdeaVote rows instead.
    """

    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.INTERNAL, db_index=True
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="ideas"
    )
    status = models.CharField(
        max_length=16, choices=IdeaStatus.choices, default=IdeaStatus.PROPOSED, db_index=True
    )
    # Why the idea is in its current status (mandatory when declined), written by the transition.
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    vote_count = models.PositiveIntegerField(default=0, editable=False)
    hot_score = models.FloatField(default=0.0, editable=False)

    objects = IdeaQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["vote_count", "hot_score"])

    class Meta:
        ordering = ["-hot_score", "-id"]
        indexes = [
            models.Index(fields=["hot_score", "id"], name="idea_hot"),
            models.Index(fields=["vote_count", "id"], name="idea_top"),
            models.Index(fields=["created_at", "id"], name="idea_new"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("community:idea_detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class IdeaUserObjectPermission(UserObjectPermissionBase):
    """Explicit grants of an idea to a user (guardian, direct foreign key)."""

    content_object = models.ForeignKey(Idea, on_delete=models.CASCADE)


class IdeaGroupObjectPermission(GroupObjectPermissionBase):
    """Explicit grants of an idea to a team, through the team's group."""

    content_object = models.ForeignKey(Idea, on_delete=models.CASCADE)


Idea.user_grant_model = IdeaUserObjectPermission
Idea.group_grant_model = IdeaGroupObjectPermission


class IdeaVote(models.Model):
    """One person's vote for an idea (at most one each); visible exactly when the idea is."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_votes")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    restrict_through = "idea"
    objects = InheritedRestrictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["idea", "user"], name="idea_vote_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user} → {self.idea}"


class IdeaStatusChange(models.Model):
    """One step of an idea's workflow: from which status to which, by whom, why."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=IdeaStatus.choices)
    to_status = models.CharField(max_length=16, choices=IdeaStatus.choices)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    restrict_through = "idea"
    objects = InheritedRestrictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.idea}: {self.from_status} → {self.to_status}"


class IdeaLinkQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> IdeaLinkQuerySet:
        """A link is visible when its idea is visible (for `action`) and its asset is visible too:
        an idea never names a private asset to someone who may not see it."""
        from apps.core.assets import visible_assets_q

        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        ideas = Idea.objects.restrict(user, action).values("pk")
        if user.is_superuser:
            return self.filter(idea__in=ideas)
        return self.filter(idea__in=ideas).filter(visible_assets_q(user, "target_type", "target_id"))


class IdeaLink(models.Model):
    """An asset the idea would change (any registered asset type, through its content type)."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="links")
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = IdeaLinkQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["idea", "target_type", "target_id"], name="idea_link_unique")
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="idea_link_target")]

    def __str__(self) -> str:
        return f"{self.idea} → {self.target_type.model}:{self.target_id}"
