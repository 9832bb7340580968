"""API representations of background jobs and the request to start one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.permissions import Action
from apps.core.querysets import member_team_ids
from apps.jobs.models import Job
from apps.jobs.registry import get_job_kind, job_params_validate, user_startable_kinds
from apps.teams.models import Team


class JobTargetSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="The target's model, e.g. catalog.dataset.")
    id = serializers.CharField()


class JobSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="job-detail")
    kind_label = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    target = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id", "url", "kind", "kind_label", "status", "status_display", "progress", "progress_message",
            "requester", "team", "target", "params", "result", "error", "attempts", "cancel_requested",
            "task_id", "created_at", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(JobTargetSerializer(allow_null=True))
    def get_target(self, job: Job) -> dict | None:
        if job.target_type_id is None:
            return None
        return {"type": f"{job.target_type.app_label}.{job.target_type.model}", "id": job.target_id}


class JobCreateSerializer(serializers.Serializer):
    """Start a job of a kind people may start; `params` are validated by the kind."""

    kind = serializers.ChoiceField(choices=[], help_text="A job kind that people may start.")
    team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="The team the job runs for (you need the run right there); omit for a personal job.",
    )
    params = serializers.DictField(required=False, default=dict, help_text="The kind's parameters.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind.name, kind.label) for kind in user_startable_kinds()]

    def validate_team(self, team: Team | None) -> Team | None:
        if team is None:
            return None
        user = self.context["request"].user
        if not user.is_superuser and not member_team_ids(user, Action.RUN).filter(team_id=team.pk).exists():
            raise serializers.ValidationError("You may not run jobs for this team.")
        return team

    def validate(self, attrs: dict) -> dict:
        kind = get_job_kind(attrs["kind"])
        try:
            attrs["params"] = job_params_validate(kind, attrs.get("params") or {})
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"params": exc.detail}) from exc
        return attrs
