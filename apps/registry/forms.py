"""Forms for the registry pages: the list's filter bar, editing a model, aliases, registering from a run."""

from __future__ import annotations

from django import forms
from django.apps import apps

from apps.core.models import Visibility
from apps.registry.models import NAME_MAX_LENGTH
from apps.registry.selectors import MODEL_SORTS


class RegisteredModelFilterForm(forms.Form):
    """The filter bar; an invalid value is ignored rather than failing the page."""

    q = forms.CharField(required=False, max_length=200, label="Text")
    team = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="slug", empty_label="All teams"
    )
    visibility = forms.ChoiceField(choices=[("", "Any"), *Visibility.choices], required=False)
    sort = forms.ChoiceField(choices=[(key, key) for key in MODEL_SORTS], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = apps.get_model("teams", "Team").objects.order_by("name")

    def filters(self) -> dict:
        """Keyword arguments for `registered_model_list`, keeping only the values that are valid."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "team": data.get("team"),
            "visibility": data.get("visibility", ""),
            "text": data.get("q", ""),
            "sort": data.get("sort") or "name",
        }


class RegisteredModelForm(forms.Form):
    """A model's description and visibility (renaming lives in the MLflow API and here)."""

    name = forms.CharField(max_length=NAME_MAX_LENGTH, help_text="Unique within the team; no '/' or ':'.")
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        help_text="Private: your team and explicit grants. Internal: everyone signed in may read it.",
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown: what the model predicts, for whom, and what it must not be used for.",
    )


class AliasForm(forms.Form):
    """Point an alias (e.g. champion) at a version."""

    alias = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="Letters, digits, '_' and '-'; loads as models:/<model>@<alias>.",
    )
    version = forms.IntegerField(min_value=1)


class RegisterFromRunForm(forms.Form):
    """Register a run's model as a new version of an existing model, or of a new one."""

    source = forms.ChoiceField(label="Model files", help_text="The logged model of this run to register.")
    existing = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Existing model",
        empty_label="— a new model —",
        help_text="Add a version to a model you may change.",
    )
    new_name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        required=False,
        label="New model name",
        help_text="Unique within the team; no '/' or ':'.",
    )
    team = forms.ModelChoiceField(
        queryset=None, required=False, empty_label=None, help_text="Owns the new model."
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Markdown, for this version."
    )

    def __init__(self, *args, sources, models, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = sources
        self.fields["existing"].queryset = models
        self.fields["existing"].label_from_instance = lambda model: f"{model.name} ({model.team.name})"
        self.fields["team"].queryset = teams

    def clean(self):
        data = super().clean()
        if not data.get("existing") and not (data.get("new_name") or "").strip():
            self.add_error("new_name", "Name the new model, or choose an existing one.")
        if not data.get("existing") and not data.get("team"):
            self.add_error("team", "Choose the team that will own the new model.")
        return data
