"""Catalog assets. The foundation ships datasets; the catalog issue adds sources, versions, columns."""

from django.db import models
from django.urls import reverse
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from apps.core.models import TeamOwnedModel


class Dataset(TeamOwnedModel):
    """A named body of data a team owns and describes for others."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    domain = models.CharField(max_length=100, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "slug"], name="dataset_slug_unique_per_team")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:dataset_detail", kwargs={"pk": self.pk})


class DatasetUserObjectPermission(UserObjectPermissionBase):
    """Explicit grants of a dataset to a user (guardian, direct foreign key)."""

    content_object = models.ForeignKey(Dataset, on_delete=models.CASCADE)


class DatasetGroupObjectPermission(GroupObjectPermissionBase):
    """Explicit grants of a dataset to a team, through the team's group."""

    content_object = models.ForeignKey(Dataset, on_delete=models.CASCADE)


Dataset.user_grant_model = DatasetUserObjectPermission
Dataset.group_grant_model = DatasetGroupObjectPermission
