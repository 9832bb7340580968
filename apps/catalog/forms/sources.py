"""Forms for sources: the list's filter bar, registering/editing each kind, and uploading a file."""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.conf import settings

from apps.catalog.connectors.files import human_size
from apps.catalog.models import SourceKind
from apps.core.models import Visibility


class SourceFilterForm(forms.Form):
    """The filter bar; an invalid value is ignored rather than failing the page."""

    q = forms.CharField(required=False, max_length=200, label="Text")
    team = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="slug", empty_label="All teams"
    )
    kind = forms.ChoiceField(choices=[("", "Any kind"), *SourceKind.choices], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = apps.get_model("teams", "Team").objects.order_by("name")

    def filters(self) -> dict:
        """Keyword arguments for `source_list`, keeping only the values that are valid."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"team": data.get("team"), "kind": data.get("kind", ""), "text": data.get("q", "")}


class SourceForm(forms.Form):
    """Register or edit a folder or SQL source; the fields follow the kind."""

    team = forms.ModelChoiceField(queryset=None, empty_label=None, help_text="The team that owns it.")
    name = forms.CharField(max_length=200, help_text="Unique within the team, e.g. “Sales warehouse”.")
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        initial=Visibility.PRIVATE,
        help_text="Its datasets start with the same visibility. Internal: everyone signed in may see them.",
    )
    location = forms.CharField(
        max_length=1000,
        label="Folder or prefix",
        help_text="A folder on the server under an allowed folder, "
        "or storage://&lt;prefix&gt; in object storage.",
    )
    url = forms.CharField(
        max_length=1000,
        label="SQLAlchemy URL",
        help_text="e.g. postgresql+psycopg://reader@db.example.org:5432/sales, "
        "mysql+pymysql://reader@db:3306/shop or sqlite:///path/to/file.sqlite3.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    password = forms.CharField(
        required=False,
        max_length=500,
        help_text="Kept apart from the URL and stored encrypted; never shown again.",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), help_text="Markdown."
    )

    def __init__(self, *args, kind: str, teams=None, source=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind != SourceKind.FOLDER:
            del self.fields["location"]
        if kind != SourceKind.SQL:
            del self.fields["url"], self.fields["password"]
        if source is not None:
            del self.fields["team"]
            self.fields[
                "visibility"
            ].help_text = "Private or internal; its datasets keep their own visibility."
            if "url" in self.fields:
                self.fields["url"].required = False
                self.fields["url"].help_text = (
                    f"Now {source.display_url}. Leave empty to keep it; a new URL without a password "
                    "keeps the stored password."
                )
                self.fields["password"].help_text = "Leave empty to keep the stored password."
        else:
            self.fields["team"].queryset = teams


class UploadForm(forms.Form):
    """Upload a CSV or Parquet file: a new dataset, or a new version of the one with the same file name."""

    team = forms.ModelChoiceField(
        queryset=None, empty_label=None, help_text="The team that will own the data."
    )
    file = forms.FileField(
        help_text="CSV (UTF-8, header row) or Parquet. A file whose name was uploaded before "
        "becomes a new version of that dataset."
    )
    name = forms.CharField(
        required=False, max_length=200, help_text="Optional: the dataset's name (default: the file name)."
    )

    def __init__(self, *args, teams=None, dataset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".csv,.parquet,.pq,text/csv"
        self.fields["file"].help_text += f" At most {human_size(settings.CATALOG_UPLOAD_MAX_BYTES)}."
        if dataset is not None:
            del self.fields["team"], self.fields["name"]
            self.fields["file"].help_text = (
                f"CSV or Parquet, at most {human_size(settings.CATALOG_UPLOAD_MAX_BYTES)}: "
                f"it becomes the next version of “{dataset.name}”."
            )
        else:
            self.fields["team"].queryset = teams
