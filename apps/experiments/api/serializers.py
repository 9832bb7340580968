"""API representations of experiments, runs, their params, metrics, tags, inputs, artifacts and logged models.

Times MLflow exchanges as milliseconds since the epoch (run start/end, metric timestamps) are
given as such, like MLflow's own REST API. A NaN metric value is `null` with `is_nan: true`
(JSON has no NaN).
"""

from __future__ import annotations

from urllib.parse import quote

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.markdown import render_markdown
from apps.core.models import Visibility
from apps.core.permissions import Action
from apps.core.querysets import member_team_ids
from apps.experiments.models import (
    KEY_MAX_LENGTH,
    TAG_VALUE_MAX_LENGTH,
    Artifact,
    Experiment,
    LatestMetric,
    LoggedModel,
    Metric,
    Param,
    Run,
    RunInput,
    RunTag,
)
from apps.teams.models import Team

NOTE_MAX_LENGTH = 50_000


def _metric_value(metric) -> float | None:
    return None if metric.is_nan else metric.value


def _tags_dict(tags) -> dict[str, str]:
    return {tag.key: tag.value for tag in tags}


# --- experiments -------------------------------------------------------------------------------
class ExperimentSerializer(serializers.ModelSerializer):
    """An experiment; `team` (a slug) is chosen on create, among teams where the user may add."""

    url = serializers.HyperlinkedIdentityField(view_name="experiment-detail")
    team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        error_messages={"does_not_exist": "No team has the slug {value}."},
    )
    team_name = serializers.CharField(source="team.name", read_only=True)
    name = serializers.CharField(max_length=500)
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PRIVATE)
    description = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)
    description_html = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    tags = serializers.SerializerMethodField()
    run_count = serializers.IntegerField(read_only=True, help_text="Active runs.")
    runs_url = serializers.HyperlinkedIdentityField(
        view_name="experiment-runs", lookup_url_kwarg="experiment_pk"
    )

    class Meta:
        model = Experiment
        fields = [
            "id", "url", "name", "team", "team_name", "visibility", "description", "description_html",
            "lifecycle_stage", "deleted_at", "artifact_location", "created_by", "tags", "run_count",
            "runs_url", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["lifecycle_stage", "deleted_at", "artifact_location"]
        validators = []  # (team, name) uniqueness is the service's job, with a message on `name`

    @extend_schema_field(OpenApiTypes.STR)
    def get_description_html(self, experiment: Experiment) -> str:
        return render_markdown(experiment.description)

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_tags(self, experiment: Experiment) -> dict[str, str]:
        return _tags_dict(experiment.tags.all())

    def validate_team(self, team: Team) -> Team:
        if self.instance is not None:
            if team.pk != self.instance.team_id:
                raise serializers.ValidationError("An experiment's team cannot be changed.")
            return team
        user = self.context["request"].user
        may_add = (
            user.is_superuser
            or Team.objects.filter(pk=team.pk, pk__in=member_team_ids(user, Action.ADD)).exists()
        )
        if not may_add:
            raise serializers.ValidationError(
                "You are not a member of this team with the right to create experiments."
            )
        return team


# --- runs --------------------------------------------------------------------------------------
class RunSerializer(serializers.ModelSerializer):
    """A run as listed: what identifies it, its status and times, and its params, latest metrics and tags."""

    id = serializers.CharField(source="uuid", read_only=True, help_text="The run's id (MLflow's run_id).")
    url = serializers.HyperlinkedIdentityField(view_name="run-detail", lookup_field="uuid")
    experiment_name = serializers.CharField(source="experiment.name", read_only=True)
    user = serializers.SerializerMethodField()
    parent = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    note = serializers.CharField(source="description", read_only=True)
    params = serializers.SerializerMethodField()
    metrics = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = [
            "id", "url", "name", "experiment", "experiment_name", "status", "user", "start_time",
            "end_time", "lifecycle_stage", "deleted_at", "parent", "note", "params", "metrics", "tags",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_user(self, run: Run) -> str:
        return run.user.username if run.user_id else run.user_name

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_params(self, run: Run) -> dict[str, str]:
        return {param.key: param.value for param in run.params.all()}

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "number", "nullable": True}})
    def get_metrics(self, run: Run) -> dict[str, float | None]:
        return {metric.key: _metric_value(metric) for metric in run.latest_metrics.all()}

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_tags(self, run: Run) -> dict[str, str]:
        return _tags_dict(run.tags.all())


class LatestMetricSerializer(serializers.ModelSerializer):
    """A metric's latest point (highest step, then newest)."""

    value = serializers.SerializerMethodField()

    class Meta:
        model = LatestMetric
        fields = ["key", "value", "is_nan", "step", "timestamp"]

    @extend_schema_field({"type": "number", "nullable": True})
    def get_value(self, metric) -> float | None:
        return _metric_value(metric)


class RunInputSerializer(serializers.ModelSerializer):
    """A dataset the run read, with the catalog version it resolves to (when known)."""

    name = serializers.CharField(source="dataset.name")
    digest = serializers.CharField(source="dataset.digest")
    source_type = serializers.CharField(source="dataset.source_type")
    source = serializers.CharField(source="dataset.source")
    dataset_version = serializers.SerializerMethodField()

    class Meta:
        model = RunInput
        fields = ["name", "digest", "source_type", "source", "context", "tags", "dataset_version"]

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "dataset": {"type": "integer"},
                "number": {"type": "integer"},
                "content_hash": {"type": "string"},
                "url": {"type": "string", "nullable": True},
            },
        }
    )
    def get_dataset_version(self, run_input: RunInput) -> dict | None:
        version = run_input.dataset.dataset_version
        visible = self.context.get("visible_dataset_ids")
        if version is None or (visible is not None and version.dataset_id not in visible):
            return None  # a catalog version the reader may not see is not named
        return {
            "dataset": version.dataset_id,
            "number": version.number,
            "content_hash": version.content_hash,
            "url": f"/api/v1/datasets/{version.dataset_id}/versions/{version.number}/",
        }


class ReproducibilitySerializer(serializers.ModelSerializer):
    """What it takes to run it again: code version, entry point, environment and seed."""

    training_job = serializers.PrimaryKeyRelatedField(read_only=True)
    reproduced_from = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = Run
        fields = [
            "source_type", "source_name", "entry_point", "git_repo", "git_commit", "git_dirty",
            "environment", "seed", "training_job", "reproduced_from",
        ]  # fmt: skip
        read_only_fields = fields


class RunDetailSerializer(RunSerializer):
    """A run in full: adds the latest metric points, dataset inputs, reproducibility and outputs."""

    note_html = serializers.SerializerMethodField()
    latest_metrics = LatestMetricSerializer(many=True, read_only=True)
    inputs = serializers.SerializerMethodField()
    reproducibility = serializers.SerializerMethodField()
    logged_models = serializers.SlugRelatedField(slug_field="model_id", many=True, read_only=True)
    children = serializers.IntegerField(source="child_count", read_only=True, help_text="Nested runs.")

    class Meta(RunSerializer.Meta):
        fields = [
            *RunSerializer.Meta.fields, "note_html", "latest_metrics", "inputs", "reproducibility",
            "artifact_uri", "logged_models", "children",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_note_html(self, run: Run) -> str:
        return render_markdown(run.description)

    @extend_schema_field(RunInputSerializer(many=True))
    def get_inputs(self, run: Run) -> list:
        return RunInputSerializer(run.inputs.all(), many=True, context=self.context).data

    @extend_schema_field(ReproducibilitySerializer)
    def get_reproducibility(self, run: Run) -> dict:
        return ReproducibilitySerializer(run, context=self.context).data


class RunUpdateSerializer(serializers.Serializer):
    """What a person changes on a run: its name, its Markdown note, and tags to set."""

    name = serializers.CharField(max_length=KEY_MAX_LENGTH, required=False, allow_blank=True)
    note = serializers.CharField(
        max_length=TAG_VALUE_MAX_LENGTH, required=False, allow_blank=True, help_text="Markdown."
    )
    tags = serializers.DictField(
        child=serializers.CharField(max_length=TAG_VALUE_MAX_LENGTH, allow_blank=True),
        required=False,
        help_text="Tags to set (others are kept); delete one with DELETE …/tags/{key}/.",
    )

    def validate_tags(self, tags: dict[str, str]) -> dict[str, str]:
        for key in tags:
            validate_tag_key(key)
        return tags


def validate_tag_key(key: str) -> str:
    """A tag key a person may set: non-empty, within MLflow's limit, not one of MLflow's system tags."""
    if not key or not key.strip():
        raise serializers.ValidationError("A tag key cannot be empty.")
    if len(key) > KEY_MAX_LENGTH:
        raise serializers.ValidationError(f"Keep tag keys under {KEY_MAX_LENGTH} characters: {key[:40]}…")
    if key.startswith("mlflow."):
        raise serializers.ValidationError(f"{key} is set by MLflow itself; choose a key without 'mlflow.'.")
    return key


class ParamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Param
        fields = ["key", "value"]


class RunTagSerializer(serializers.ModelSerializer):
    key = serializers.CharField(max_length=KEY_MAX_LENGTH)
    value = serializers.CharField(max_length=TAG_VALUE_MAX_LENGTH, allow_blank=True)

    class Meta:
        model = RunTag
        fields = ["key", "value"]
        validators = []  # setting an existing key replaces its value

    def validate_key(self, key: str) -> str:
        return validate_tag_key(key)


class MetricPointSerializer(serializers.ModelSerializer):
    """One point of a metric's history."""

    value = serializers.SerializerMethodField()

    class Meta:
        model = Metric
        fields = ["step", "timestamp", "value", "is_nan"]

    @extend_schema_field({"type": "number", "nullable": True})
    def get_value(self, metric) -> float | None:
        return _metric_value(metric)


class ArtifactSerializer(serializers.ModelSerializer):
    """A file a run logged: metadata, and where the MLflow artifact proxy serves it (same token)."""

    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Artifact
        fields = ["path", "size", "sha256", "download_url", "created_at", "updated_at"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_download_url(self, artifact: Artifact) -> str:
        root = f"/api/2.0/mlflow-artifacts/artifacts/{artifact.experiment_id}/{artifact.run.uuid}/artifacts"
        return f"{root}/{quote(artifact.path)}"


# --- logged models -----------------------------------------------------------------------------
class LoggedModelSerializer(serializers.ModelSerializer):
    """A model a run logged (MLflow 3's logged model), read-only."""

    id = serializers.CharField(source="model_id", read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="logged-model-detail", lookup_field="model_id")
    experiment_name = serializers.CharField(source="experiment.name", read_only=True)
    source_run = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = LoggedModel
        fields = [
            "id", "url", "name", "experiment", "experiment_name", "source_run", "status", "status_message",
            "model_type", "artifact_location", "lifecycle_stage", "params", "tags", "user", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields
