"""OpenLineage's own records: raw events, jobs and runs, and the data-quality facets they carry.

Imported by apps/catalog/models.py, so these models belong to the catalog app.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from apps.core.models import TeamOwnedModel
from apps.core.querysets import InheritedRestrictQuerySet, RestrictedQuerySet


class OpenLineageEventKind(models.TextChoices):
    RUN = "run", "Run event"
    DATASET = "dataset", "Dataset event"
    JOB = "job", "Job event"


class OpenLineageEventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"


class OpenLineageRunState(models.TextChoices):
    START = "START", "Started"
    RUNNING = "RUNNING", "Running"
    COMPLETE = "COMPLETE", "Completed"
    FAIL = "FAIL", "Failed"
    ABORT = "ABORT", "Aborted"
    OTHER = "OTHER", "Other"


TERMINAL_RUN_STATES = (OpenLineageRunState.COMPLETE, OpenLineageRunState.FAIL, OpenLineageRunState.ABORT)


class OpenLineageEvent(models.Model):
    """One raw event as a producer sent it, stored once (by its body's hash) and processed by a job."""

    team = models.ForeignKey("teams.Team", on_delete=models.PROTECT, related_name="+")
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.JSONField()
    body_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the canonical JSON body.")
    kind = models.CharField(max_length=16, choices=OpenLineageEventKind.choices)
    event_type = models.CharField(max_length=16, blank=True)
    event_time = models.DateTimeField()
    run_id = models.CharField(max_length=64, blank=True, db_index=True)
    job_namespace = models.CharField(max_length=500, blank=True)
    job_name = models.CharField(max_length=500, blank=True)
    producer = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=16, choices=OpenLineageEventStatus.choices, default=OpenLineageEventStatus.RECEIVED
    )
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    # The body never changes; history records who sent it and how processing went.
    history = HistoricalRecords(excluded_fields=["body"])

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        subject = f"{self.job_namespace}/{self.job_name}" if self.job_name else self.kind
        return f"OpenLineage {self.event_type or self.kind} {subject}"


class OpenLineageJob(TeamOwnedModel):
    """A job as OpenLineage names it (namespace + name), owned by the team whose token reported it first."""

    namespace = models.CharField(max_length=500)
    name = models.CharField(max_length=500)
    facets = models.JSONField(default=dict, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["namespace", "name"]
        constraints = [models.UniqueConstraint(fields=["namespace", "name"], name="openlineage_job_unique")]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"

    def get_absolute_url(self) -> str:
        return reverse("catalog:pipeline_detail", kwargs={"pk": self.pk})


class OpenLineageRun(models.Model):
    """One run of an OpenLineage job, with its latest state and its timings."""

    job = models.ForeignKey(OpenLineageJob, on_delete=models.CASCADE, related_name="runs")
    run_id = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=16, choices=OpenLineageRunState.choices)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    last_event_time = models.DateTimeField(null=True, blank=True)
    parent_run_id = models.CharField(max_length=64, blank=True)
    facets = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InheritedRestrictQuerySet.as_manager()
    restrict_through = "job"
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.job} run {self.run_id}"

    @property
    def duration(self):
        if self.started_at and self.ended_at:
            return self.ended_at - self.started_at
        return None


class OpenLineageDatasetQuality(models.Model):
    """Data-quality metrics and assertions a run reported about a dataset (OpenLineage facets)."""

    dataset = models.ForeignKey(
        "catalog.Dataset", on_delete=models.CASCADE, related_name="openlineage_quality"
    )
    event = models.ForeignKey(OpenLineageEvent, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(
        OpenLineageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # dataQualityMetrics: {"rowCount", "bytes", "columnMetrics": {col: {"nullCount", "distinctCount", …}}}
    metrics = models.JSONField(default=dict, blank=True)
    # dataQualityAssertions: [{"assertion", "success", "column"}]
    assertions = models.JSONField(default=list, blank=True)
    recorded_at = models.DateTimeField(help_text="The event's time.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InheritedRestrictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "event"], name="openlineage_quality_once_per_event")
        ]

    def __str__(self) -> str:
        return f"Quality of {self.dataset} at {self.recorded_at:%Y-%m-%d %H:%M}"

    @property
    def assertions_passed(self) -> int:
        return sum(1 for item in self.assertions if item.get("success") is True)

    @property
    def assertions_failed(self) -> int:
        return sum(1 for item in self.assertions if item.get("success") is False)
