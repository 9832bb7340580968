"""Forms for announcements: post or edit one (audience, text, severity, dates, an optional asset)."""

from __future__ import annotations

from django import forms

from apps.community.models import AnnouncementSeverity

ORGANISATION = "organisation"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class AnnouncementForm(forms.Form):
    """Post an announcement to a team or the whole organisation; the audience is chosen once."""

    audience = forms.ChoiceField(help_text="Who sees it on their home page.")
    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField(choices=AnnouncementSeverity.choices, initial=AnnouncementSeverity.INFO)
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown: what changes, when, what to do.",
    )
    starts_at = forms.DateTimeField(
        required=False, widget=DateTimeLocalInput(), label="Starts", help_text="Empty: now. Times are UTC."
    )
    expires_at = forms.DateTimeField(
        required=False,
        widget=DateTimeLocalInput(),
        label="Expires",
        help_text="Empty: until someone ends it.",
    )
    asset = forms.ChoiceField(required=False, label="About", help_text="Optional: the asset it concerns.")

    def __init__(self, *args, audiences=(), asset_choices=(), announcement=None, **kwargs):
        if announcement is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": announcement.title,
                "severity": announcement.severity,
                "body": announcement.body,
                "starts_at": announcement.starts_at,
                "expires_at": announcement.expires_at,
            }
        super().__init__(*args, **kwargs)
        if announcement is not None:
            del self.fields["audience"]
        else:
            self.fields["audience"].choices = list(audiences)
        self.fields["asset"].choices = [("", "Nothing in particular"), *asset_choices]
