"""Experiment tracking: experiments, runs, params, metrics, tags, dataset inputs, artifacts, logged models.

The shapes follow MLflow's tracking store (so `apps/mlflow_api` is a thin adapter) plus what
Atrium adds for reproducibility: the code version, the environment, the seed, the dataset
versions a run read, and the training job that produced it. Times MLflow exchanges as
milliseconds since the epoch (run start/end, metric timestamps) are stored as such.

Experiments are team-owned assets; everything below them inherits the experiment's permissions
(`restrict` through `experiment`). Params, metrics and dataset inputs are immutable facts (MLflow
never changes a logged param or metric point), so they carry no history of their own; every
mutable model does.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from apps.core.models import TeamOwnedModel, TimeStampedModel
from apps.core.querysets import InheritedRestrictQuerySet

# MLflow's own limits (mlflow/utils/validation.py), enforced by the services.
KEY_MAX_LENGTH = 250
PARAM_VALUE_MAX_LENGTH = 6000
TAG_VALUE_MAX_LENGTH = 8000


def new_run_uuid() -> str:
    return uuid.uuid4().hex


def new_logged_model_id() -> str:
    return f"m-{uuid.uuid4().hex}"


class LifecycleStage(models.TextChoices):
    ACTIVE = "active", "Active"
    DELETED = "deleted", "Deleted"


class RunStatus(models.TextChoices):
    RUNNING = "RUNNING", "Running"
    SCHEDULED = "SCHEDULED", "Scheduled"
    FINISHED = "FINISHED", "Finished"
    FAILED = "FAILED", "Failed"
    KILLED = "KILLED", "Killed"


class LoggedModelStatus(models.TextChoices):
    PENDING = "LOGGED_MODEL_PENDING", "Pending"
    READY = "LOGGED_MODEL_READY", "Ready"
    FAILED = "LOGGED_MODEL_UPLOAD_FAILED", "Upload failed"


class Experiment(TeamOwnedModel):
    """A named set of runs a team compares (one modelling question), owned by a team."""

    name = models.CharField(max_length=500)
    description = models.TextField(blank=True, help_text="Markdown.")
    # Where MLflow clients put the runs' artifacts ("mlflow-artifacts:/<id>", served by the proxy).
    artifact_location = models.CharField(max_length=1000, blank=True)
    lifecycle_stage = models.CharField(
        max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.ACTIVE, db_index=True
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            # Names are unique per team, not globally: a global constraint would tell an outsider
            # that another team has a private experiment of that name.
            models.UniqueConstraint(fields=["team", "name"], name="experiment_name_unique_per_team"),
        ]
        indexes = [models.Index(fields=["name", "id"], name="experiment_name_id")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("experiments:experiment_detail", kwargs={"pk": self.pk})


class ExperimentUserObjectPermission(UserObjectPermissionBase):
    """Explicit grants of an experiment to a user (guardian, direct foreign key)."""

    content_object = models.ForeignKey(Experiment, on_delete=models.CASCADE)


class ExperimentGroupObjectPermission(GroupObjectPermissionBase):
    """Explicit grants of an experiment to a team, through the team's group."""

    content_object = models.ForeignKey(Experiment, on_delete=models.CASCADE)


Experiment.user_grant_model = ExperimentUserObjectPermission
Experiment.group_grant_model = ExperimentGroupObjectPermission


class ExperimentTag(models.Model):
    """A key/value label on an experiment (MLflow experiment tags, e.g. `mlflow.note.content`)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="tags")
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    value = models.TextField(blank=True)

    restrict_through = "experiment"
    objects = InheritedRestrictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["experiment", "key"], name="experiment_tag_unique")]

    def __str__(self) -> str:
        return f"{self.key}={self.value[:40]}"


class Run(TimeStampedModel):
    """One execution of training code: what went in (data, code, params, environment) and what came out."""

    uuid = models.CharField(max_length=32, unique=True, default=new_run_uuid, editable=False)
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="runs")
    name = models.CharField(max_length=KEY_MAX_LENGTH, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField(max_length=KEY_MAX_LENGTH, blank=True, help_text="MLflow's user_id.")
    status = models.CharField(
        max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING, db_index=True
    )
    start_time = models.BigIntegerField(null=True, blank=True, help_text="Milliseconds since the epoch.")
    end_time = models.BigIntegerField(null=True, blank=True, help_text="Milliseconds since the epoch.")
    lifecycle_stage = models.CharField(
        max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.ACTIVE, db_index=True
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    artifact_uri = models.CharField(max_length=1000, blank=True)
    description = models.TextField(blank=True, help_text="Markdown notes (MLflow's mlflow.note.content).")

    # Reproducibility: the code, the environment and the randomness the run used.
    source_type = models.CharField(max_length=32, blank=True, help_text="LOCAL, NOTEBOOK, JOB, PROJECT …")
    source_name = models.CharField(max_length=500, blank=True, help_text="Script, notebook or entry point.")
    entry_point = models.CharField(max_length=500, blank=True)
    git_commit = models.CharField(max_length=64, blank=True)
    git_repo = models.CharField(max_length=500, blank=True)
    git_dirty = models.BooleanField(null=True, blank=True)
    # {"python": "3.11.7", "platform": "...", "packages": {"scikit-learn": "1.9.1", ...}}
    environment = models.JSONField(default=dict, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    training_job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reproduced_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reproductions"
    )

    restrict_through = "experiment"
    objects = InheritedRestrictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_time", "-id"]
        indexes = [
            models.Index(fields=["experiment", "lifecycle_stage", "start_time"], name="run_experiment_start"),
        ]

    def __str__(self) -> str:
        return self.name or self.uuid

    def get_absolute_url(self) -> str:
        return reverse("experiments:run_detail", kwargs={"uuid": self.uuid})


class RunTag(models.Model):
    """A key/value label on a run; MLflow's system tags (`mlflow.*`) live here too."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="tags")
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    value = models.TextField(blank=True)

    restrict_through = "run__experiment"
    objects = InheritedRestrictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="run_tag_unique")]

    def __str__(self) -> str:
        return f"{self.key}={self.value[:40]}"


class Param(models.Model):
    """A hyper-parameter or setting of a run; written once (immutable, like MLflow's)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="params")
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    value = models.TextField(blank=True)

    restrict_through = "run__experiment"
    objects = InheritedRestrictQuerySet.as_manager()

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="param_unique")]

    def __str__(self) -> str:
        return f"{self.key}={self.value[:40]}"


class Metric(models.Model):
    """One point of a metric's time series (value at a step and a time); immutable.

    The unique constraint is MLflow's primary key: re-sending the same point (a client retry)
    stores nothing new. NaN is stored as `is_nan` with value 0; ±infinity as ±max float.
    """

    id = models.BigAutoField(primary_key=True)
    # No index of its own: the unique constraint's index starts with run and serves every lookup
    # by run (history, cascades); a second index only cost each logged point one more insert.
    # No foreign-key constraint in the database either: its check runs once per inserted point
    # (PostgreSQL locks the run's row for each), which doubled the cost of copying in a
    # 1,000-point batch (7-10 ms without, 13-16 ms with). Points are written only for a run just
    # read (or, in one statement, joined); runs are soft-deleted, and deleting one for good goes
    # through the ORM, whose CASCADE deletes its points (tested).
    run = models.ForeignKey(
        Run, on_delete=models.CASCADE, related_name="metrics", db_index=False, db_constraint=False
    )
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    value = models.FloatField()
    timestamp = models.BigIntegerField(help_text="Milliseconds since the epoch.")
    step = models.BigIntegerField(default=0)
    is_nan = models.BooleanField(default=False)

    restrict_through = "run__experiment"
    objects = InheritedRestrictQuerySet.as_manager()

    class Meta:
        ordering = ["run", "key", "step", "timestamp"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "key", "step", "timestamp", "value", "is_nan"], name="metric_point_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key}[{self.step}]={self.value}"


class LatestMetric(models.Model):
    """The latest point of each metric of a run (max step, then time, then value), for search and sort."""

    # Indexed by the unique constraint (run, key), which serves lookups by run (see Metric.run).
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="latest_metrics", db_index=False)
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    value = models.FloatField()
    timestamp = models.BigIntegerField()
    step = models.BigIntegerField(default=0)
    is_nan = models.BooleanField(default=False)

    restrict_through = "run__experiment"
    objects = InheritedRestrictQuerySet.as_manager()

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="latest_metric_unique")]
        indexes = [models.Index(fields=["key", "value"], name="latest_metric_key_value")]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class LoggedDataset(models.Model):
    """A dataset as an MLflow client described it (name + digest), linked to a catalog version when known."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=500)
    digest = models.CharField(max_length=64)
    source_type = models.CharField(max_length=64, blank=True)
    source = models.TextField(blank=True)
    schema = models.TextField(blank=True)
    profile = models.TextField(blank=True)
    # The catalog version this dataset is (resolved from an atrium source URI or the content hash).
    dataset_version = models.ForeignKey(
        "catalog.DatasetVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    restrict_through = "experiment"
    objects = InheritedRestrictQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name", "digest"], name="logged_dataset_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.digest})"


class RunInput(models.Model):
    """A dataset a run read, with its role (MLflow's `mlflow.data.context`: training, validation …)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="inputs")
    dataset = models.ForeignKey(LoggedDataset, on_delete=models.CASCADE, related_name="run_inputs")
    context = models.CharField(max_length=100, blank=True)
    tags = models.JSONField(default=dict, blank=True)

    restrict_through = "run__experiment"
    objects = InheritedRestrictQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["run", "dataset"], name="run_input_unique")]

    def __str__(self) -> str:
        return f"{self.run} <- {self.dataset}"


class LoggedModel(TimeStampedModel):
    """A model a run produced (MLflow 3's logged model): its artifacts, status, params and metrics."""

    model_id = models.CharField(max_length=64, unique=True, default=new_logged_model_id, editable=False)
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="logged_models")
    name = models.CharField(max_length=KEY_MAX_LENGTH)
    source_run = models.ForeignKey(
        Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="logged_models"
    )
    status = models.CharField(
        max_length=32, choices=LoggedModelStatus.choices, default=LoggedModelStatus.PENDING
    )
    status_message = models.TextField(blank=True)
    model_type = models.CharField(max_length=100, blank=True)
    artifact_location = models.CharField(max_length=1000, blank=True)
    lifecycle_stage = models.CharField(
        max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.ACTIVE
    )
    params = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    restrict_through = "experiment"
    objects = InheritedRestrictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.model_id})"


class RunOutput(models.Model):
    """A logged model a run produced at a step (MLflow 3's `runs/outputs`)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="outputs")
    logged_model = models.ForeignKey(LoggedModel, on_delete=models.CASCADE, related_name="run_outputs")
    step = models.BigIntegerField(default=0)

    restrict_through = "run__experiment"
    objects = InheritedRestrictQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["run", "logged_model"], name="run_output_unique")]

    def __str__(self) -> str:
        return f"{self.run} -> {self.logged_model}"


class Artifact(models.Model):
    """A file under a run's or a logged model's artifact root, kept in Django storage.

    The index makes listing permission-checked and cheap (no storage listing), and records each
    file's size and checksum. Exactly one of `run` / `logged_model` is set.
    """

    id = models.BigAutoField(primary_key=True)
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="artifacts")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.CASCADE, related_name="artifacts")
    logged_model = models.ForeignKey(
        LoggedModel, null=True, blank=True, on_delete=models.CASCADE, related_name="artifacts"
    )
    path = models.CharField(max_length=1000, help_text="Relative to the owner's artifact root.")
    storage_name = models.CharField(max_length=1200, help_text="The file's name in Django storage.")
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    restrict_through = "experiment"
    objects = InheritedRestrictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "path"], condition=models.Q(run__isnull=False), name="artifact_run_path_unique"
            ),
            models.UniqueConstraint(
                fields=["logged_model", "path"],
                condition=models.Q(logged_model__isnull=False),
                name="artifact_model_path_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(run__isnull=False, logged_model__isnull=True)
                | models.Q(run__isnull=True, logged_model__isnull=False),
                name="artifact_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.path
