"""Catalog assets: sources, datasets, immutable versions, columns, profiles, glossary, tags, access."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from apps.core.models import TeamOwnedModel, TimeStampedModel, Visibility
from apps.core.querysets import InheritedRestrictQuerySet, member_team_ids


class SourceKind(models.TextChoices):
    UPLOAD = "upload", "Uploaded files"
    FOLDER = "folder", "Folder or object-storage prefix"
    SQL = "sql", "SQL database"


class SyncStatus(models.TextChoices):
    NEVER = "never", "Never synced"
    RUNNING = "running", "Syncing"
    SUCCEEDED = "succeeded", "Synced"
    FAILED = "failed", "Failed"


class DataSource(TeamOwnedModel):
    """Where datasets come from: uploaded files, a folder/prefix of files, or a SQL database."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    kind = models.CharField(max_length=16, choices=SourceKind.choices)
    description = models.TextField(blank=True, help_text="Markdown.")
    location = models.CharField(
        max_length=1000, blank=True, help_text="Folder or object-storage prefix (folder sources)."
    )
    # SQL sources: the SQLAlchemy URL with its password removed is shown; the full URL is encrypted.
    display_url = models.CharField(max_length=1000, blank=True)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    options = models.JSONField(default=dict, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    sync_status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.NEVER)
    last_sync_summary = models.JSONField(default=dict, blank=True)

    history = HistoricalRecords(excluded_fields=["credentials_encrypted"])

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "slug"], name="source_slug_unique_per_team")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:source_detail", kwargs={"pk": self.pk})


class TagQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> "TagQuerySet":
        """A tag is visible where it labels a dataset the user can see (a tag used only on another
        team's private datasets would leak their names); tags change only through datasets."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if action != "view":
            return self.none()
        return self.filter(
            pk__in=Dataset.tags.through.objects.filter(
                dataset_id__in=Dataset.objects.restrict(user, "view").values("pk")
            ).values("tag_id")
        )


class Tag(TimeStampedModel):
    """A free label shared across the organisation (e.g. "pii", "gold", "finance")."""

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    objects = TagQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:tag_detail", kwargs={"slug": self.slug})


class GlossaryTerm(TeamOwnedModel):
    """A business term with its agreed definition; columns and datasets link to it.

    Terms default to internal visibility: a glossary is meant to be shared.
    """

    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.INTERNAL, db_index=True
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    definition = models.TextField(help_text="Markdown.")
    synonyms = models.JSONField(default=list, blank=True)
    owners = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="glossary_terms")
    related = models.ManyToManyField("self", blank=True, symmetrical=True)

    history = HistoricalRecords(m2m_fields=[owners])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:term_detail", kwargs={"slug": self.slug})


class Dataset(TeamOwnedModel):
    """A named body of data a team owns and describes for others."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    domain = models.CharField(max_length=100, blank=True)
    source = models.ForeignKey(
        DataSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="datasets"
    )
    # Name of the table or file inside its source (e.g. "public.orders" or "2026/orders.parquet").
    source_path = models.CharField(max_length=1000, blank=True)
    # OpenLineage identity (namespace + name); unique together when set.
    namespace = models.CharField(max_length=500, blank=True, db_index=True)
    qualified_name = models.CharField(max_length=1000, blank=True)
    steward = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="stewarded"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="datasets")
    terms = models.ManyToManyField(GlossaryTerm, blank=True, related_name="datasets")
    latest_version = models.ForeignKey(
        "DatasetVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    history = HistoricalRecords(m2m_fields=[tags, terms])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "slug"], name="dataset_slug_unique_per_team"),
            models.UniqueConstraint(
                fields=["namespace", "qualified_name"],
                condition=~models.Q(namespace=""),
                name="dataset_openlineage_identity_unique",
            ),
        ]
        # The list's default order (name, id): walking this index finds a page of visible datasets
        # without sorting every one of them (100,000 datasets: 42 ms → 1 ms on SQLite).
        indexes = [models.Index(fields=["name", "id"], name="dataset_name_id")]

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


class DataSourceUserObjectPermission(UserObjectPermissionBase):
    """Explicit grants of a data source to a user."""

    content_object = models.ForeignKey(DataSource, on_delete=models.CASCADE)


class DataSourceGroupObjectPermission(GroupObjectPermissionBase):
    """Explicit grants of a data source to a team."""

    content_object = models.ForeignKey(DataSource, on_delete=models.CASCADE)


class GlossaryTermUserObjectPermission(UserObjectPermissionBase):
    """Explicit grants of a glossary term to a user."""

    content_object = models.ForeignKey(GlossaryTerm, on_delete=models.CASCADE)


class GlossaryTermGroupObjectPermission(GroupObjectPermissionBase):
    """Explicit grants of a glossary term to a team."""

    content_object = models.ForeignKey(GlossaryTerm, on_delete=models.CASCADE)


Dataset.user_grant_model = DatasetUserObjectPermission
Dataset.group_grant_model = DatasetGroupObjectPermission
DataSource.user_grant_model = DataSourceUserObjectPermission
DataSource.group_grant_model = DataSourceGroupObjectPermission
GlossaryTerm.user_grant_model = GlossaryTermUserObjectPermission
GlossaryTerm.group_grant_model = GlossaryTermGroupObjectPermission


class DatasetVersion(models.Model):
    """One immutable state of a dataset: content hash, shape, schema snapshot, where it lives, who made it."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=128, blank=True, db_index=True)
    row_count = models.BigIntegerField(null=True, blank=True)
    column_count = models.PositiveIntegerField(null=True, blank=True)
    # [{"name": ..., "type": ..., "nullable": bool}, ...] in column order.
    schema = models.JSONField(default=list)
    # {"added": [...], "removed": [...], "retyped": [{"name", "old", "new"}]} against the previous version.
    schema_changes = models.JSONField(default=dict, blank=True)
    storage_path = models.CharField(max_length=1000, blank=True, help_text="File in storage, if stored here.")
    location = models.CharField(max_length=1000, blank=True, help_text="Table, file or URI it was read from.")
    size_bytes = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    producer = models.CharField(max_length=200, blank=True, help_text="upload, sync, openlineage:<job> …")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = InheritedRestrictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [models.UniqueConstraint(fields=["dataset", "number"], name="version_number_unique")]

    def __str__(self) -> str:
        return f"{self.dataset} v{self.number}"

    def save(self, *args, **kwargs):
        # A version is immutable once written; corrections are new versions.
        if self.pk is not None and not kwargs.pop("allow_update", False):
            raise ValidationError("Dataset versions are immutable; record a new version instead.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("catalog:version_detail", kwargs={"pk": self.dataset_id, "number": self.number})


class Column(models.Model):
    """A column of a dataset as of its latest version, with its business meaning."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="columns")
    name = models.CharField(max_length=300)
    position = models.PositiveIntegerField(default=0)
    data_type = models.CharField(max_length=100, blank=True)
    nullable = models.BooleanField(default=True)
    description = models.TextField(blank=True, help_text="Markdown.")
    term = models.ForeignKey(
        GlossaryTerm, null=True, blank=True, on_delete=models.SET_NULL, related_name="columns"
    )
    is_pii = models.BooleanField(
        default=False, help_text="Masked in previews for people without change rights."
    )

    objects = InheritedRestrictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["dataset", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["dataset", "name"], name="column_name_unique")]

    def __str__(self) -> str:
        return f"{self.dataset}.{self.name}"

    def get_absolute_url(self) -> str:
        return reverse("catalog:dataset_schema", kwargs={"pk": self.dataset_id}) + f"#column-{self.pk}"


class DatasetProfile(models.Model):
    """Per-column statistics of one dataset version, computed by a profiling job."""

    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="profiles")
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    row_count = models.BigIntegerField(null=True, blank=True)
    # {"<column>": {"nulls", "distinct", "min", "max", "mean", "std", "top": [...], "histogram": {...}}}
    columns = models.JSONField(default=dict)
    engine = models.CharField(max_length=40, blank=True, help_text="duckdb, sql-pushdown …")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InheritedRestrictQuerySet.as_manager()
    restrict_through = "version__dataset"
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Profile of {self.version}"


class AccessRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"
    WITHDRAWN = "withdrawn", "Withdrawn"


class AccessRequestQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> "AccessRequestQuerySet":
        """Visible to the requester and to the owning team's members whose role allows `action`
        (deciding needs `approve`: the team's data officers; the steward is added by services)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        mine = models.Q(pk__in=[])
        if action in ("view", "change"):
            # A pending request on a dataset the requester cannot see stays hidden from them: listing
            # it would tell whether a dataset id they typed exists. They see it once it is decided.
            mine = models.Q(requester_id=user.pk) & (
                ~models.Q(status=AccessRequestStatus.PENDING)
                | models.Q(dataset__in=Dataset.objects.restrict(user, "view").values("pk"))
            )
        stewarded = (
            models.Q(dataset__steward_id=user.pk) if action in ("view", "approve") else models.Q(pk__in=[])
        )
        return self.filter(mine | stewarded | models.Q(dataset__team_id__in=member_team_ids(user, action)))


class AccessRequest(TimeStampedModel):
    """A user's request to read a private dataset, for a purpose, a set of columns and a duration."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="access_requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_requests"
    )
    purpose = models.TextField()
    columns = models.JSONField(default=list, blank=True, help_text="Column names needed; empty means all.")
    duration_days = models.PositiveIntegerField(default=30)
    # Optionally the experiment or model the access is for (any registered asset).
    for_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    for_id = models.CharField(max_length=64, blank=True)
    for_asset = GenericForeignKey("for_type", "for_id")
    status = models.CharField(
        max_length=16, choices=AccessRequestStatus.choices, default=AccessRequestStatus.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = AccessRequestQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.requester} → {self.dataset} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("catalog:access_request_detail", kwargs={"pk": self.pk})


import apps.catalog.openlineage.models  # noqa: E402, F401 - the OpenLineage receiver keeps its models there
