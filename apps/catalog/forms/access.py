"""Forms for access requests: on a visible dataset, by reference, and the steward's decision."""

from __future__ import annotations

from django import forms

from apps.catalog.selectors import access as selectors
from apps.catalog.services.access import MAX_DAYS, MIN_DAYS


class AccessRequestForm(forms.Form):
    """Ask for access to a dataset you can see: purpose, columns, duration, what it is for."""

    purpose = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="What you will do with the data; the steward decides on this.",
    )
    columns = forms.MultipleChoiceField(
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Leave empty to ask for every column.",
    )
    duration_days = forms.IntegerField(
        label="Duration (days)", min_value=MIN_DAYS, max_value=MAX_DAYS, initial=30
    )
    for_asset = forms.ChoiceField(label="For", required=False, help_text="Optional: the work it is for.")

    def __init__(self, *args, user, column_names=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["columns"].choices = [(name, name) for name in column_names]
        if not column_names:
            del self.fields["columns"]
        self.fields["for_asset"].choices = [("", "—"), *selectors.access_for_asset_choices(user=user)]

    def clean_purpose(self) -> str:
        purpose = self.cleaned_data["purpose"].strip()
        if not purpose:
            raise forms.ValidationError("Say what you need the data for; the steward decides on it.")
        return purpose

    def clean_for_asset(self):
        value = self.cleaned_data.get("for_asset")
        if not value:
            return None
        asset = selectors.access_for_asset_resolve(user=self.user, value=value)
        if asset is None:
            raise forms.ValidationError("Choose an experiment, model or dataset from the list.")
        return asset


class AccessRequestByReferenceForm(AccessRequestForm):
    """Ask for a dataset someone told you about, by its id or URL; the answer never says if it exists."""

    dataset = forms.CharField(
        label="Dataset id or URL",
        max_length=500,
        help_text="The number or the page address the data owner gave you, e.g. /catalog/datasets/42/.",
    )
    columns_text = forms.CharField(
        label="Columns needed",
        required=False,
        max_length=4000,
        help_text="Comma-separated column names; leave empty to ask for every column.",
    )

    field_order = ["dataset", "purpose", "columns_text", "duration_days", "for_asset"]

    def clean_dataset(self) -> int:
        pk = selectors.dataset_reference_parse(self.cleaned_data["dataset"])
        if pk is None:
            raise forms.ValidationError("Enter a dataset number (e.g. 42) or a dataset page address.")
        return pk

    def clean_columns_text(self) -> list[str]:
        text = self.cleaned_data.get("columns_text") or ""
        return [name.strip() for name in text.split(",") if name.strip()][:500]


class AccessDecisionForm(forms.Form):
    """The steward's note to the requester, sent with the decision."""

    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown to the requester with the decision.",
    )
