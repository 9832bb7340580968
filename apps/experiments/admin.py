"""Experiments, runs and logged models in the data-officer admin, scoped to the officer's teams.

Runs and logged models are written by their clients (MLflow, training jobs); an officer
corrects names and notes, deletes and restores, and reverts from history. Params, metrics,
tags and inputs are facts the client logged: shown read-only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import formats, timezone

from apps.core.admin_base import TeamScopedAdmin, officer_team_ids
from apps.experiments.models import (
    Experiment,
    ExperimentTag,
    LatestMetric,
    LifecycleStage,
    LoggedModel,
    Param,
    Run,
    RunInput,
    RunTag,
)
from apps.experiments.services import tracking


class ReadOnlyInline(admin.TabularInline):
    """Rows logged by a client: listed under their parent when the parent is in scope, never edited."""

    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return list(self.fields or [])

    def has_view_permission(self, request, obj=None) -> bool:
        return bool(request.user.is_active and (request.user.is_superuser or officer_team_ids(request)))

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ExperimentTagInline(ReadOnlyInline):
    model = ExperimentTag
    fields = ["key", "value"]


class ParamInline(ReadOnlyInline):
    model = Param
    fields = ["key", "value"]
    verbose_name_plural = "Parameters"


class RunTagInline(ReadOnlyInline):
    model = RunTag
    fields = ["key", "value"]
    verbose_name_plural = "Tags"


class LatestMetricInline(ReadOnlyInline):
    model = LatestMetric
    fields = ["key", "value", "step", "logged_at"]
    verbose_name_plural = "Metrics (latest value)"

    @admin.display(description="Logged at")
    def logged_at(self, metric: LatestMetric) -> str:
        return _from_ms(metric.timestamp)


class RunInputInline(ReadOnlyInline):
    model = RunInput
    fields = ["dataset", "context"]
    verbose_name_plural = "Dataset inputs"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("dataset")


def _from_ms(value: int | None) -> str:
    """MLflow's milliseconds since the epoch as a local date and time, formatted like the admin's."""
    if value is None:
        return "-"
    return formats.localize(timezone.localtime(datetime.fromtimestamp(value / 1000, tz=UTC)))


class ExperimentAdminForm(forms.ModelForm):
    """Names are unique per team; checked here too when the team is read-only (the change form)."""

    def clean_name(self):
        name = (self.cleaned_data.get("name") or "").strip()
        team_id = self.instance.team_id if self.instance.pk else None
        if (
            team_id
            and Experiment.objects.filter(team_id=team_id, name=name).exclude(pk=self.instance.pk).exists()
        ):
            raise forms.ValidationError(
                "This team already has an experiment with this name (perhaps deleted)."
            )
        return name


@admin.register(Experiment)
class ExperimentAdmin(TeamScopedAdmin):
    list_display = ["name", "team", "visibility", "lifecycle_stage", "runs", "created_by", "updated_at"]
    list_filter = [("team", RelatedOnlyFieldListFilter), "visibility", "lifecycle_stage"]
    search_fields = ["name", "description"]
    list_select_related = ["team", "created_by"]

    def get_queryset(self, request):
        # The run count as a subquery of the page's one query (no query per row).
        counted = Run.objects.filter(experiment=OuterRef("pk")).order_by().values("experiment")
        count = Subquery(counted.annotate(count=Count("pk")).values("count"), output_field=IntegerField())
        return super().get_queryset(request).annotate(run_count=Coalesce(count, Value(0)))

    @admin.display(description="Runs", ordering="run_count")
    def runs(self, experiment: Experiment) -> int:
        return experiment.run_count

    fields = [
        "name", "team", "visibility", "description", "lifecycle_stage", "deleted_at",
        "artifact_location", "created_by", "created_at", "updated_at",
    ]  # fmt: skip
    readonly_fields = ["deleted_at", "artifact_location", "created_by", "created_at", "updated_at"]
    inlines = [ExperimentTagInline]
    actions = ["delete_softly", "restore"]

    def get_readonly_fields(self, request, obj=None):
        # An experiment's team stays put once created: its runs' artifacts and grants follow it.
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "team"] if obj is not None else readonly

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:  # a new experiment is active, with no artifacts, author or times yet
            return ["name", "team", "visibility", "description"]
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type("ExperimentAdminForm", (ExperimentAdminForm, form), {})

    def save_model(self, request, obj, form, change):
        # Through the services (also a revert: `obj` carries the historical values): the artifact
        # root is set on create, and deleting or restoring takes the runs along.
        if not change:
            created = tracking.experiment_create(
                team=obj.team,
                by=request.user,
                name=obj.name,
                visibility=obj.visibility,
                description=obj.description,
            )
            obj.pk = created.pk
            obj._state.adding = False
            obj.refresh_from_db()
            return
        stage = obj.lifecycle_stage
        current = Experiment.objects.get(pk=obj.pk)
        if current.lifecycle_stage != stage and stage == LifecycleStage.ACTIVE:
            tracking.experiment_restore(experiment=current, by=request.user)
        tracking.experiment_update(
            experiment=current,
            by=request.user,
            name=obj.name,
            description=obj.description,
            visibility=obj.visibility,
        )
        if current.lifecycle_stage != stage and stage == LifecycleStage.DELETED:
            tracking.experiment_delete(experiment=current, by=request.user)
        obj.refresh_from_db()

    @admin.action(description="Delete the selected experiments and their runs (restorable)")
    def delete_softly(self, request, queryset):
        changed = 0
        for experiment in queryset.filter(lifecycle_stage=LifecycleStage.ACTIVE):
            tracking.experiment_delete(experiment=experiment, by=request.user)
            changed += 1
        messages.success(
            request, f"Deleted {changed} experiment{'s' if changed != 1 else ''} with their runs."
        )

    @admin.action(description="Restore the selected experiments and their runs")
    def restore(self, request, queryset):
        changed = 0
        for experiment in queryset.filter(lifecycle_stage=LifecycleStage.DELETED):
            tracking.experiment_restore(experiment=experiment, by=request.user)
            changed += 1
        messages.success(
            request, f"Restored {changed} experiment{'s' if changed != 1 else ''} with their runs."
        )


@admin.register(Run)
class RunAdmin(TeamScopedAdmin):
    """Runs of the officer's teams' experiments: names and notes editable, what was logged read-only."""

    team_field = "experiment__team"
    officer_may_add = False  # runs are started by clients and training jobs
    list_display = ["__str__", "experiment", "status", "user", "started", "duration", "lifecycle_stage"]
    list_filter = ["status", "lifecycle_stage", ("experiment__team", RelatedOnlyFieldListFilter)]
    ordering = ["-start_time", "-id"]
    search_fields = ["uuid", "name", "experiment__name", "user__username", "git_commit"]
    list_select_related = ["experiment", "user"]
    fieldsets = [
        (None, {"fields": ["uuid", "experiment", "name", "description", "lifecycle_stage", "deleted_at"]}),
        ("Execution", {"fields": ["status", "user", "user_name", "started", "ended", "duration", "parent"]}),
        (
            "Reproducibility",
            {
                "fields": [
                    "source_type", "source_name", "entry_point", "git_repo", "git_commit", "git_dirty",
                    "python", "packages", "seed", "training_job", "reproduced_from", "artifact_uri",
                ]
            },
        ),
    ]  # fmt: skip
    readonly_fields = [
        "uuid", "experiment", "deleted_at", "status", "user", "user_name", "started", "ended", "duration",
        "parent", "source_type", "source_name", "entry_point", "git_repo", "git_commit", "git_dirty",
        "python", "packages", "seed", "training_job", "reproduced_from", "artifact_uri",
    ]  # fmt: skip
    inlines = [ParamInline, LatestMetricInline, RunTagInline, RunInputInline]
    actions = ["delete_softly", "restore"]

    def team_id_of(self, obj) -> int | None:
        return Experiment.objects.filter(pk=obj.experiment_id).values_list("team_id", flat=True).first()

    @admin.display(description="Started", ordering="start_time")
    def started(self, run: Run):
        return _from_ms(run.start_time)

    @admin.display(description="Ended", ordering="end_time")
    def ended(self, run: Run):
        return _from_ms(run.end_time)

    @admin.display(description="Duration")
    def duration(self, run: Run) -> str:
        if run.start_time is None or run.end_time is None:
            return "running" if run.status == "RUNNING" else "-"
        seconds = max(run.end_time - run.start_time, 0) // 1000
        hours, rest = divmod(seconds, 3600)
        return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"

    @admin.display(description="Python")
    def python(self, run: Run) -> str:
        environment = run.environment if isinstance(run.environment, dict) else {}
        parts = [environment.get("python", ""), environment.get("platform", "")]
        return " · ".join(str(part) for part in parts if part) or "-"

    @admin.display(description="Packages")
    def packages(self, run: Run) -> str:
        environment = run.environment if isinstance(run.environment, dict) else {}
        packages = environment.get("packages") or {}
        if not isinstance(packages, dict) or not packages:
            return "-"
        return ", ".join(f"{name} {version}" for name, version in sorted(packages.items()))

    def save_model(self, request, obj, form, change):
        # Through the services (also a revert): the name and note follow MLflow's tags.
        current = Run.objects.select_related("experiment").get(pk=obj.pk)
        if obj.lifecycle_stage == LifecycleStage.ACTIVE and current.lifecycle_stage != LifecycleStage.ACTIVE:
            tracking.run_restore(run=current, by=request.user)
        if current.lifecycle_stage == LifecycleStage.ACTIVE:
            if obj.name and obj.name != current.name:
                tracking.run_update(run=current, by=request.user, name=obj.name)
            if obj.description != current.description:
                tracking.run_note_set(run=current, by=request.user, note=obj.description)
        if (
            obj.lifecycle_stage == LifecycleStage.DELETED
            and current.lifecycle_stage != LifecycleStage.DELETED
        ):
            tracking.run_delete(run=current, by=request.user)
        obj.refresh_from_db()

    @admin.action(description="Delete the selected runs (restorable)")
    def delete_softly(self, request, queryset):
        runs = list(queryset.filter(lifecycle_stage=LifecycleStage.ACTIVE))
        for run in runs:
            tracking.run_delete(run=run, by=request.user)
        messages.success(request, f"Deleted {len(runs)} run{'s' if len(runs) != 1 else ''}.")

    @admin.action(description="Restore the selected runs")
    def restore(self, request, queryset):
        runs = list(queryset.filter(lifecycle_stage=LifecycleStage.DELETED).select_related("experiment"))
        for run in runs:
            tracking.run_restore(run=run, by=request.user)
        messages.success(request, f"Restored {len(runs)} run{'s' if len(runs) != 1 else ''}.")


@admin.register(LoggedModel)
class LoggedModelAdmin(TeamScopedAdmin):
    """Models runs logged: read-only (the client finalizes them); an officer may delete one."""

    team_field = "experiment__team"
    officer_may_add = False
    officer_may_change = False
    list_display = ["name", "model_id", "experiment", "source_run", "status", "created_at"]
    list_filter = ["status", ("experiment__team", RelatedOnlyFieldListFilter)]
    search_fields = ["name", "model_id", "experiment__name"]
    list_select_related = ["experiment", "source_run"]
    fields = [
        "model_id", "name", "experiment", "source_run", "status", "status_message", "model_type",
        "artifact_location", "lifecycle_stage", "params", "tags", "user", "created_at", "updated_at",
    ]  # fmt: skip
    readonly_fields = fields

    def team_id_of(self, obj) -> int | None:
        return Experiment.objects.filter(pk=obj.experiment_id).values_list("team_id", flat=True).first()
