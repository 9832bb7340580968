"""Forms for drawing lineage edges."""

from __future__ import annotations

from django import forms

DIRECTIONS = [
    ("downstream", "feeds into (this asset is upstream)"),
    ("upstream", "is fed by (this asset is downstream)"),
]


class EdgeDrawForm(forms.Form):
    """Draw an edge between the page's asset and another asset the user can see."""

    direction = forms.ChoiceField(choices=DIRECTIONS, initial="downstream")
    other = forms.ChoiceField(label="Other asset", choices=())
    transformation = forms.CharField(
        max_length=300, required=False, help_text="The job or transformation, e.g. “clean_transactions”."
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)

    def __init__(self, *args, choices: list[tuple[str, list[tuple[str, str]]]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].choices = [("", "Choose an asset…"), *choices]
