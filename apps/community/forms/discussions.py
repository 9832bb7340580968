"""Forms of the community pages: they parse input; the services decide what is allowed."""

from __future__ import annotations

from django import forms

from apps.community.models import Category, ThreadKind
from apps.community.services.discussions import BODY_MAX, TITLE_MAX

BODY_HELP = (
    "Markdown: **bold**, `code`, fenced code blocks and tables. "
    "<code>@name</code> mentions a person or a team, <code>#slug</code> links a dataset or a term."
)


class PostForm(forms.Form):
    """A reply: its text and, optionally, the post it answers."""

    body = forms.CharField(
        label="Your reply", widget=forms.Textarea(attrs={"rows": 5}), max_length=BODY_MAX, help_text=BODY_HELP
    )
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class PostEditForm(forms.Form):
    body = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 6}), max_length=BODY_MAX)


class ThreadForm(forms.Form):
    """A new discussion; where it goes is fixed by the page (an asset) or chosen (a category)."""

    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        required=False,
        empty_label=None,
        help_text="Organisation-wide categories are open to everyone; a team's may be private to it.",
    )
    title = forms.CharField(max_length=TITLE_MAX)
    kind = forms.ChoiceField(choices=ThreadKind.choices, initial=ThreadKind.QUESTION)
    body = forms.CharField(
        label="Text", widget=forms.Textarea(attrs={"rows": 8}), max_length=BODY_MAX, help_text=BODY_HELP
    )

    def __init__(self, *args, categories=None, on_asset: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if on_asset:
            del self.fields["category"]
        else:
            self.fields["category"].queryset = (
                categories if categories is not None else Category.objects.none()
            )
            self.fields["category"].required = True


class ThreadEditForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX)
    kind = forms.ChoiceField(choices=ThreadKind.choices)


class CategoryForm(forms.Form):
    """A forum category: a team's (its data officers) or organisation-wide (administrators)."""

    name = forms.CharField(max_length=120)
    team = forms.ModelChoiceField(queryset=None, required=False, empty_label="Organisation-wide")
    visibility = forms.ChoiceField(
        choices=[("internal", "Internal: everyone signed in"), ("private", "Private: the team's members")],
        initial="internal",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="Markdown."
    )
    position = forms.IntegerField(min_value=0, max_value=10_000, initial=0, help_text="Lower comes first.")

    def __init__(self, *args, teams=None, org_wide: bool = False, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["team"]
            return
        self.fields["team"].queryset = teams
        if not org_wide:
            self.fields["team"].required = True
            self.fields["team"].empty_label = None
