"""Forms for the catalog pages: the list's filter bar and the dataset create/edit form."""

from __future__ import annotations

from django import forms
from django.apps import apps

from apps.catalog.models import Dataset
from apps.catalog.selectors.datasets import DATASET_SORTS
from apps.core.models import Visibility


class DatasetFilterForm(forms.Form):
    """The filter bar; an invalid value is ignored rather than failing the page."""

    q = forms.CharField(required=False, max_length=200, label="Text")
    team = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="slug", empty_label="All teams"
    )
    visibility = forms.ChoiceField(choices=[("", "Any"), *Visibility.choices], required=False)
    sort = forms.ChoiceField(choices=[(key, key) for key in DATASET_SORTS], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = apps.get_model("teams", "Team").objects.order_by("name")

    def filters(self) -> dict:
        """Keyword arguments for `dataset_list`, keeping only the values that are valid."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "team": data.get("team"),
            "visibility": data.get("visibility", ""),
            "text": data.get("q", ""),
            "sort": data.get("sort") or "name",
        }


class DatasetForm(forms.ModelForm):
    """Register or edit a dataset; the team is chosen once, at registration."""

    team = forms.ModelChoiceField(queryset=None, empty_label=None, help_text="The team that owns it.")

    class Meta:
        model = Dataset
        fields = ["team", "name", "visibility", "domain", "description"]
        help_texts = {
            "name": "Unique within the team.",
            "visibility": "Private: your team and explicit grants. Internal: everyone signed in may read it.",
            "domain": "Business domain, e.g. payments or risk.",
            "description": "Markdown: what the data is, where it comes from, how to use it.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["team"]
        else:
            self.fields["team"].queryset = teams

    def _post_clean(self):
        # Services validate the model (slug, uniqueness); the form only checks its fields.
        pass
