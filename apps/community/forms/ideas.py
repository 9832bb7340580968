"""Forms for the idea board: the filter bar, propose/edit, the workflow step, a link to an asset."""

from __future__ import annotations

from django import forms
from django.apps import apps

from apps.community.selectors.ideas import DEFAULT_IDEA_SORT, IDEA_SORTS, STATUS_FILTERS, idea_status_label
from apps.core.assets import asset_types
from apps.core.models import Visibility


def _linkable_type_choices() -> list[tuple[str, str]]:
    return [
        (t.model._meta.label_lower, t.label)
        for t in asset_types()
        if t.section != "community" and "team" in {f.name for f in t.model._meta.get_fields()}
    ]


class IdeaFilterForm(forms.Form):
    """The board's filter bar; an invalid value is ignored rather than failing the page."""

    q = forms.CharField(required=False, max_length=200, label="Text")
    team = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="slug", empty_label="All teams"
    )
    status = forms.ChoiceField(required=False)
    asset_type = forms.ChoiceField(required=False, label="Linked to")
    sort = forms.ChoiceField(choices=[(key, key) for key in IDEA_SORTS], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = apps.get_model("teams", "Team").objects.order_by("name")
        self.fields["status"].choices = [
            ("", "Any status"),
            ("open", "Open (taking votes)"),
            ("closed", "Closed (done or declined)"),
            *[(status, idea_status_label(status)) for status in STATUS_FILTERS[2:]],
        ]
        self.fields["asset_type"].choices = [("", "Any asset"), *_linkable_type_choices()]

    def filters(self) -> dict:
        """Keyword arguments for `idea_list`, keeping only the values that are valid."""
        self.is_valid()  # an invalid field is left out of cleaned_data; the others still filter
        data = getattr(self, "cleaned_data", {})
        return {
            "team": data.get("team"),
            "status": data.get("status") or "",
            "asset_type": data.get("asset_type") or "",
            "text": data.get("q") or "",
            "sort": data.get("sort") or DEFAULT_IDEA_SORT,
        }


class IdeaForm(forms.Form):
    """Propose an idea (to a team) or edit one; the team is chosen once."""

    team = forms.ModelChoiceField(
        queryset=None,
        empty_label=None,
        help_text="The team that would do the work; its data officers triage it.",
    )
    title = forms.CharField(max_length=200, help_text="One sentence: what should change?")
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        initial=Visibility.INTERNAL,
        help_text="Internal: everyone signed in may read and vote. Private: the team only (members only).",
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Markdown: the problem, who it helps, what done looks like.",
    )

    def __init__(self, *args, idea=None, **kwargs):
        if idea is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": idea.title,
                "visibility": idea.visibility,
                "description": idea.description,
            }
        super().__init__(*args, **kwargs)
        if idea is not None:
            del self.fields["team"]
        else:
            self.fields["team"].queryset = apps.get_model("teams", "Team").objects.order_by("name")


class IdeaTransitionForm(forms.Form):
    """Move an idea to its next status; a reason is required to decline."""

    status = forms.ChoiceField(label="Move to")
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown on the idea and sent to its author and voters. Required to decline.",
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = list(choices)


class IdeaLinkForm(forms.Form):
    """Link an idea to an asset it would change, chosen among those the user can see."""

    asset = forms.ChoiceField(label="Asset")

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["asset"].choices = [("", "Choose an asset…"), *choices]
