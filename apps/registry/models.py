"""The model registry: registered models, their versions, aliases and tags.

This is what the MLflow registry API needs; approvals, releases, serving and monitoring
build on these models in the registry issue. Registered models are team-owned assets;
versions, aliases and tags inherit their model's permissions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from apps.core.models import TeamOwnedModel, TimeStampedModel
from apps.core.querysets import InheritedRestrictQuerySet

NAME_MAX_LENGTH = 250


class ModelVersionStatus(models.TextChoices):
    PENDING_REGISTRATION = "PENDING_REGISTRATION", "Pending registration"
    FAILED_REGISTRATION = "FAILED_REGISTRATION", "Registration failed"
    READY = "READY", "Ready"


class ModelVersionStage(models.TextChoices):
    """MLflow 2's stages (deprecated there in favour of aliases; still accepted from old clients)."""

    NONE = "None", "None"
    STAGING = "Staging", "Staging"
    PRODUCTION = "Production", "Production"
    ARCHIVED = "Archived", "Archived"


class RegisteredModel(TeamOwnedModel):
    """A named model a team maintains; its versions are candidates for release."""

    name = models.CharField(max_length=NAME_MAX_LENGTH)
    description = models.TextField(blank=True, help_text="Markdown.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            # Per team, not global: a global constraint would reveal another team's private model.
            models.UniqueConstraint(fields=["team", "name"], name="registered_model_name_unique_per_team"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("registry:model_detail", kwargs={"pk": self.pk})


class RegisteredModelUserObjectPermission(UserObjectPermissionBase):
    """Explicit grants of a registered model to a user (guardian, direct foreign key)."""

    content_object = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE)


class RegisteredModelGroupObjectPermission(GroupObjectPermissionBase):
    """Explicit grants of a registered model to a team, through the team's group."""

    content_object = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE)


RegisteredModel.user_grant_model = RegisteredModelUserObjectPermission
RegisteredModel.group_grant_model = RegisteredModelGroupObjectPermission


class RegisteredModelTag(models.Model):
    """A key/value label on a registered model."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="tags")
    key = models.CharField(max_length=NAME_MAX_LENGTH)
    value = models.TextField(blank=True)

    restrict_through = "registered_model"
    objects = InheritedRestrictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["registered_model", "key"], name="registered_model_tag_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value[:40]}"


class ModelVersion(TimeStampedModel):
    """One version of a registered model: where its files are and which run or logged model made it."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    description = models.TextField(blank=True, help_text="Markdown.")
    source = models.CharField(
        max_length=1000, help_text="models:/<model_id>, runs:/<run>/path or an artifact URI."
    )
    storage_location = models.CharField(max_length=1000, blank=True)
    run = models.ForeignKey(
        "experiments.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="model_versions"
    )
    run_uuid = models.CharField(
        max_length=32, blank=True, help_text="MLflow's run_id, as the client sent it."
    )
    run_link = models.CharField(max_length=500, blank=True)
    logged_model = models.ForeignKey(
        "experiments.LoggedModel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="model_versions",
    )
    status = models.CharField(
        max_length=32, choices=ModelVersionStatus.choices, default=ModelVersionStatus.READY
    )
    status_message = models.TextField(blank=True)
    current_stage = models.CharField(
        max_length=16, choices=ModelVersionStage.choices, default=ModelVersionStage.NONE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField(max_length=NAME_MAX_LENGTH, blank=True)

    restrict_through = "registered_model"
    objects = InheritedRestrictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["registered_model", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["registered_model", "version"], name="model_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.registered_model} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse(
            "registry:version_detail", kwargs={"pk": self.registered_model_id, "version": self.version}
        )


class ModelVersionTag(models.Model):
    """A key/value label on a model version."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="tags")
    key = models.CharField(max_length=NAME_MAX_LENGTH)
    value = models.TextField(blank=True)

    restrict_through = "model_version__registered_model"
    objects = InheritedRestrictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["model_version", "key"], name="model_version_tag_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value[:40]}"


class ModelAlias(models.Model):
    """A movable name for one version of a model (e.g. `champion`), as in `models:/fraud@champion`."""

    registered_model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=NAME_MAX_LENGTH)
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="aliases")
    updated_at = models.DateTimeField(auto_now=True)

    restrict_through = "registered_model"
    objects = InheritedRestrictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["alias"]
        constraints = [
            models.UniqueConstraint(fields=["registered_model", "alias"], name="model_alias_unique")
        ]

    def __str__(self) -> str:
        return f"{self.registered_model}@{self.alias}"
