"""Forms for the experiment pages: filter bars, create/edit, the run note, the column chooser."""

from __future__ import annotations

from django import forms
from django.apps import apps

from apps.core.models import Visibility
from apps.experiments.models import Experiment, LifecycleStage, RunStatus
from apps.experiments.selectors.pages import (
    EXPERIMENT_SORTS,
    KEY_KINDS,
    LIFECYCLE_CHOICES,
    RunColumns,
    RunSort,
    RunTableQuery,
)

FILTER_MAX_LENGTH = 1000


class ExperimentFilterForm(forms.Form):
    """The experiment list's filter bar; an invalid value is ignored rather than failing the page."""

    q = forms.CharField(required=False, max_length=200, label="Text")
    team = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="slug", empty_label="All teams"
    )
    lifecycle = forms.ChoiceField(choices=LIFECYCLE_CHOICES, required=False, label="State")
    sort = forms.ChoiceField(choices=[(key, key) for key in EXPERIMENT_SORTS], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = apps.get_model("teams", "Team").objects.order_by("name")

    def filters(self) -> dict:
        """Keyword arguments for `experiment_list`, keeping only the values that are valid."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "team": data.get("team"),
            "text": data.get("q", ""),
            "lifecycle": data.get("lifecycle") or LifecycleStage.ACTIVE,
            "sort": data.get("sort") or "name",
        }


class ExperimentForm(forms.ModelForm):
    """Create or edit an experiment; the team is chosen once, at creation."""

    team = forms.ModelChoiceField(queryset=None, empty_label=None, help_text="The team that owns it.")

    class Meta:
        model = Experiment
        fields = ["team", "name", "visibility", "description"]
        help_texts = {
            "name": "Unique within the team; the MLflow client finds it by this name.",
            "visibility": "Private: your team and explicit grants. Internal: everyone signed in may read it.",
            "description": "Markdown: the question the runs answer, the data, how to read the results.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visibility"].choices = Visibility.choices
        if self.instance.pk:
            del self.fields["team"]
        else:
            self.fields["team"].queryset = teams

    def _post_clean(self):
        # The services validate the experiment (name rules, uniqueness per team).
        pass


class RunNoteForm(forms.Form):
    """A run's Markdown note."""

    note = forms.CharField(
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown: what you tried, what you learned.",
    )


class RunTableForm(forms.Form):
    """The runs table's query string: text, status, state, MLflow filter, order."""

    q = forms.CharField(required=False, max_length=200, label="Run name")
    status = forms.ChoiceField(choices=[("", "Any status"), *RunStatus.choices], required=False)
    lifecycle = forms.ChoiceField(choices=LIFECYCLE_CHOICES, required=False, label="State")
    filter = forms.CharField(required=False, max_length=FILTER_MAX_LENGTH, label="Filter")
    sort = forms.CharField(required=False, max_length=300)

    def table_query(self, *, columns: RunColumns) -> RunTableQuery:
        """The selector's query; invalid parts fall back to their defaults."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return RunTableQuery(
            text=data.get("q", ""),
            status=data.get("status", ""),
            lifecycle=data.get("lifecycle") or LifecycleStage.ACTIVE,
            sort=RunSort.parse(data.get("sort") or self.data.get("sort", "")[:300]),
            columns=columns,
            filter_string=data.get("filter", ""),
        )


class RunColumnsForm(forms.Form):
    """The column chooser: which metric, param and tag keys the table shows."""

    metrics = forms.MultipleChoiceField(required=False)
    params = forms.MultipleChoiceField(required=False)
    tags = forms.MultipleChoiceField(required=False)

    def __init__(self, *args, available: dict[str, list[str]], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in KEY_KINDS:
            self.fields[kind].choices = [(key, key) for key in available.get(kind, [])]

    def columns(self) -> RunColumns:
        return RunColumns.from_dict({kind: self.cleaned_data.get(kind, []) for kind in KEY_KINDS})
