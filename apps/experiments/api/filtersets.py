"""API filters for experiments, runs and logged models (django-filter)."""

from __future__ import annotations

import django_filters

from apps.core.models import Visibility
from apps.experiments.models import Experiment, LifecycleStage, LoggedModel, LoggedModelStatus, Run, RunStatus

LIFECYCLE_CHOICES = [("active", "Active (the default)"), ("deleted", "Deleted (restorable)"), ("all", "Both")]


class LifecycleFilterSet(django_filters.FilterSet):
    """Active rows unless `lifecycle` asks for deleted ones or all (MLflow's view type)."""

    lifecycle = django_filters.ChoiceFilter(
        choices=LIFECYCLE_CHOICES, method="filter_lifecycle", help_text="active (default), deleted or all."
    )

    def filter_lifecycle(self, queryset, name, value: str):
        return queryset  # applied in filter_queryset, so the default applies when it is absent

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        stage = self.form.cleaned_data.get("lifecycle") or LifecycleStage.ACTIVE
        if stage == "all":
            return queryset
        return queryset.filter(lifecycle_stage=stage)


class ExperimentFilterSet(LifecycleFilterSet):
    team = django_filters.CharFilter(field_name="team__slug", help_text="Owning team's slug.")
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Name contains (case-insensitive).")
    visibility = django_filters.ChoiceFilter(choices=Visibility.choices)

    class Meta:
        model = Experiment
        fields = ["team", "name", "visibility", "lifecycle"]


class RunFilterSet(LifecycleFilterSet):
    experiment = django_filters.NumberFilter(field_name="experiment_id", help_text="Experiment id.")
    status = django_filters.MultipleChoiceFilter(choices=RunStatus.choices, help_text="Repeat for several.")
    user = django_filters.CharFilter(method="filter_user", help_text="Username of who ran it.")
    parent = django_filters.CharFilter(
        field_name="parent__uuid", help_text="Parent run's id: its nested runs."
    )
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Run name contains.")

    class Meta:
        model = Run
        fields = ["experiment", "status", "user", "parent", "name", "lifecycle"]

    def filter_user(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(user__username=value) | Q(user__isnull=True, user_name=value))


class LoggedModelFilterSet(django_filters.FilterSet):
    experiment = django_filters.NumberFilter(field_name="experiment_id", help_text="Experiment id.")
    run = django_filters.CharFilter(field_name="source_run__uuid", help_text="Source run's id.")
    status = django_filters.ChoiceFilter(choices=LoggedModelStatus.choices)
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = LoggedModel
        fields = ["experiment", "run", "status", "name"]
