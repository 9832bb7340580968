"""Forms for the Schema tab: a column's description, glossary term and PII flag."""

from __future__ import annotations

from django import forms

from apps.catalog.models import GlossaryTerm
from apps.core.permissions import Action


class ColumnForm(forms.Form):
    """Edit one column inline; the terms offered are those the editor may see."""

    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    term = forms.ModelChoiceField(queryset=None, required=False, empty_label="No glossary term")
    is_pii = forms.BooleanField(required=False, label="Personal data (PII)")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].queryset = GlossaryTerm.objects.restrict(user, Action.VIEW).order_by("name")
