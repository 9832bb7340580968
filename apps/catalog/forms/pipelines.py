"""The pipelines list's filter bar."""

from django import forms
from django.apps import apps

from apps.catalog.openlineage.models import OpenLineageRunState


class PipelineFilterForm(forms.Form):
    """The filter bar; an invalid value is ignored rather than failing the page."""

    q = forms.CharField(required=False, max_length=200, label="Text")
    team = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="slug", empty_label="All teams"
    )
    state = forms.ChoiceField(
        choices=[("", "Any last run"), *OpenLineageRunState.choices], required=False, label="Last run"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = apps.get_model("teams", "Team").objects.order_by("name")

    def filters(self) -> dict:
        """Keyword arguments for `pipeline_list`, keeping only the values that are valid."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"team": data.get("team"), "state": data.get("state", ""), "text": data.get("q", "")}
