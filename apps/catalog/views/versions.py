"""The dataset's Schema tab (columns, inline edits, versions), a version's page, and new-version uploads."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.generic import FormView, TemplateView, View

from apps.catalog.forms.sources import UploadForm
from apps.catalog.forms.versions import ColumnForm
from apps.catalog.selectors import datasets as dataset_selectors
from apps.catalog.selectors import versions as selectors
from apps.catalog.services import sources as source_services
from apps.catalog.services.versions import column_update
from apps.catalog.views.datasets import DatasetMixin
from apps.catalog.views.sources import upload_done
from apps.core.permissions import Action
from apps.core.views import apply_service_errors


class DatasetSchemaView(DatasetMixin, TemplateView):
    """Columns with type, nullable, description, glossary term and PII flag; the versions list."""

    template_name = "catalog/dataset_schema.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            dataset=self.dataset,
            columns=selectors.column_list(user=user, dataset=self.dataset),
            versions=selectors.version_list(user=user, dataset=self.dataset),
            can_change=dataset_selectors.dataset_user_may(
                user=user, dataset=self.dataset, action=Action.CHANGE
            ),
            active_tab="schema",
            **kwargs,
        )


class VersionView(DatasetMixin, TemplateView):
    """One version: its schema snapshot and its change against the previous version."""

    template_name = "catalog/version_detail.html"

    def get_context_data(self, **kwargs):
        version = selectors.version_get(
            user=self.request.user, dataset=self.dataset, number=self.kwargs["number"]
        )
        changes = version.schema_changes or {}
        retyped = {entry["name"]: entry for entry in changes.get("retyped", []) if isinstance(entry, dict)}
        added = set(changes.get("added", []))
        rows = [
            {**column, "added": column["name"] in added, "retyped": retyped.get(column["name"])}
            for column in version.schema
        ]
        return super().get_context_data(
            dataset=self.dataset,
            version=version,
            previous=selectors.version_previous(version=version),
            rows=rows,
            changes=changes,
            active_tab="schema",
            **kwargs,
        )


def _form_template(request) -> str:
    return "catalog/version_column_form.html" if request.htmx else "catalog/version_column_page.html"


class ColumnEditView(DatasetMixin, View):
    """Edit one column inline (htmx: the form, then the updated row); needs `change` on the dataset."""

    action = Action.CHANGE
    http_method_names = ["get", "post"]

    def column(self):
        return selectors.column_get(user=self.request.user, dataset=self.dataset, pk=self.kwargs["column_pk"])

    def get(self, request, pk, column_pk):
        column = self.column()
        form = ColumnForm(
            user=request.user,
            initial={"description": column.description, "term": column.term, "is_pii": column.is_pii},
        )
        return render(
            request, _form_template(request), {"dataset": self.dataset, "column": column, "form": form}
        )

    def post(self, request, pk, column_pk):
        column = self.column()
        form = ColumnForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                column = column_update(column=column, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
        if form.errors:
            context = {"dataset": self.dataset, "column": column, "form": form}
            return render(request, _form_template(request), context, status=200 if request.htmx else 400)
        if request.htmx:
            return render(
                request,
                "catalog/version_column_row.html",
                {"dataset": self.dataset, "column": column, "can_change": True},
            )
        return redirect("catalog:dataset_schema", pk=self.dataset.pk)


class DatasetUploadView(DatasetMixin, FormView):
    """Upload a file as the next version of this dataset (needs `change`)."""

    template_name = "catalog/source_upload.html"
    form_class = UploadForm
    action = Action.CHANGE

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "dataset": self.dataset}

    def get_context_data(self, **kwargs):
        return super().get_context_data(dataset=self.dataset, **kwargs)

    def form_valid(self, form):
        try:
            result = source_services.file_upload(
                by=self.request.user, uploaded=form.cleaned_data["file"], dataset=self.dataset
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        return upload_done(self.request, result)
