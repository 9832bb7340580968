"""Forms for glossary terms and a dataset's tags and terms."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from apps.catalog.models import GlossaryTerm
from apps.catalog.selectors import glossary as selectors
from apps.core.models import Visibility


class GlossaryTermFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    team = forms.CharField(required=False)

    def filters(self) -> dict:
        from apps.teams.models import Team

        if not self.is_valid():
            return {"text": "", "team": None}
        slug = self.cleaned_data.get("team") or ""
        team = Team.objects.filter(slug=slug).first() if slug else None
        return {"text": self.cleaned_data.get("q") or "", "team": team}


class GlossaryTermForm(forms.Form):
    """Define or edit a term: what it means, its other names, who answers for it, what it relates to."""

    team = forms.ModelChoiceField(queryset=None, help_text="The team that answers for this definition.")
    name = forms.CharField(max_length=120)
    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), help_text="Markdown.")
    synonyms = forms.CharField(required=False, max_length=2000, help_text="Other names, comma-separated.")
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        initial=Visibility.INTERNAL,
        help_text="Internal terms are readable by everyone; a glossary is meant to be shared.",
    )
    owners = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 5})
    )
    related = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label="Related terms", widget=forms.SelectMultiple(attrs={"size": 5})
    )

    def __init__(self, *args, user, teams=None, term: GlossaryTerm | None = None, **kwargs):
        if term is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": term.name,
                "definition": term.definition,
                "synonyms": ", ".join(term.synonyms or []),
                "visibility": term.visibility,
                "owners": list(term.owners.all()),
                "related": list(term.related.all()),
            }
        super().__init__(*args, **kwargs)
        if term is not None:
            del self.fields["team"]
        else:
            self.fields["team"].queryset = teams
        self.fields["owners"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        related = selectors.glossary_term_choices(user=user)
        self.fields["related"].queryset = related.exclude(pk=term.pk) if term is not None else related


class DatasetLabelsForm(forms.Form):
    """A dataset's tags (free text, created on first use) and glossary terms."""

    tags = forms.CharField(
        required=False,
        max_length=2000,
        help_text="Comma-separated, e.g. payments, gold, pii. New tags are created.",
    )
    terms = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label="Glossary terms", widget=forms.SelectMultiple(attrs={"size": 8})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["terms"].queryset = selectors.glossary_term_choices(user=user)
