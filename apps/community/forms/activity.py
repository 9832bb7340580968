"""The activity feed's filter bar: team, kinds of change, asset type, person, date range."""

from __future__ import annotations

from django import forms
from django.apps import apps

from apps.community.selectors.activity import KINDS, ActivityFilters, activity_asset_types


class ActivityFilterForm(forms.Form):
    """Filters for a feed; an invalid value is ignored rather than failing the page."""

    team = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="slug", empty_label="All teams"
    )
    kind = forms.MultipleChoiceField(
        choices=list(KINDS.items()),
        required=False,
        label="Kind of change",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    asset_type = forms.ChoiceField(required=False, label="Asset type")
    person = forms.CharField(required=False, max_length=150, help_text="A username.")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")

    def __init__(self, *args, with_team: bool = True, **kwargs):
        """`with_team=False` for one asset's Activity tab."""
        super().__init__(*args, **kwargs)
        if with_team:
            self.fields["team"].queryset = apps.get_model("teams", "Team").objects.order_by("name")
            self.fields["asset_type"].choices = [("", "Any type"), *activity_asset_types()]
        else:  # one asset's feed: no team, and its events are about that asset anyway
            del self.fields["team"]
            del self.fields["asset_type"]

    def cleaned(self) -> dict:
        self.is_valid()  # an invalid field is left out of cleaned_data; the others still filter
        return getattr(self, "cleaned_data", {})

    def filters(self) -> ActivityFilters:
        data = self.cleaned()
        return ActivityFilters(
            kinds=tuple(data.get("kind") or ()),
            asset_type=data.get("asset_type") or "",
            person=(data.get("person") or "").strip(),
            since=data.get("since"),
            until=data.get("until"),
        )

    def selected_team(self):
        return self.cleaned().get("team")
