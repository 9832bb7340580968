"""Teams, memberships with one role each, and personal access tokens."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.models import TimeStampedModel
from apps.core.permissions import Role


class TeamKind(models.TextChoices):
    DATA_SCIENCE = "data_science", "Data science"
    DATA_ENGINEERING = "data_engineering", "Data engineering"
    ML_ENGINEERING = "ml_engineering", "ML engineering"
    IT_OPERATIONS = "it_operations", "IT operations"
    BUSINESS = "business", "Business"


class TeamQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> "TeamQuerySet":
        """Teams are organisation-wide directory entries: every signed-in user may view them;
        changing a team needs its data officer (or a superuser)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or action == "view":
            return self
        from apps.core.querysets import member_team_ids

        return self.filter(pk__in=member_team_ids(user, "manage"))


class Team(TimeStampedModel):
    """A group of people who own assets together; acts through its auth Group for grants."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=32, choices=TeamKind.choices)
    description = models.TextField(blank=True, help_text="Markdown.")
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="team", editable=False)

    objects = TeamQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("teams:team_detail", kwargs={"slug": self.slug})


class MembershipQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> "MembershipQuerySet":
        """Memberships are visible like teams; changing them needs the team's manage right."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or action == "view":
            return self
        from apps.core.querysets import member_team_ids

        return self.filter(team_id__in=member_team_ids(user, "manage"))


class Membership(TimeStampedModel):
    """One user's role in one team; a user may belong to several teams."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)

    objects = MembershipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["team__name", "user__username"]
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="one_membership_per_team")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} as {self.get_role_display()}"


class PersonalAccessTokenQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> "PersonalAccessTokenQuerySet":
        """A token is only ever visible to the user it belongs to."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(user_id=user.pk)

    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class PersonalAccessToken(TimeStampedModel):
    """A named API token; only its SHA-256 digest is stored, the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=12, db_index=True, help_text="First characters, to recognise a token."
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PersonalAccessTokenQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["last_used_at", "digest"])

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()
