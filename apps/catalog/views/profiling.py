"""The dataset's Profile tab, its CSV exports, "Profile now", the job's progress and the preview partial."""

from __future__ import annotations

import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.generic import TemplateView, View

from apps.catalog import charts
from apps.catalog.profiling import ProfilingError
from apps.catalog.profiling.common import MASK
from apps.catalog.selectors import datasets as dataset_selectors
from apps.catalog.selectors import profiling as selectors
from apps.catalog.services import profiling as services
from apps.catalog.views.datasets import DatasetMixin
from apps.core.permissions import Action
from apps.core.views import csv_cell


class DatasetProfileView(DatasetMixin, TemplateView):
    """Profile tab: summary, column statistics, one histogram per column, the preview, Profile now."""

    template_name = "catalog/dataset_profile.html"

    def get_context_data(self, **kwargs):
        user, dataset = self.request.user, self.dataset
        versions = selectors.dataset_version_numbers(user=user, dataset=dataset)
        version = selectors.dataset_version_get(
            user=user, dataset=dataset, number=self.request.GET.get("version")
        )
        shown = selectors.dataset_profile_view(user=user, dataset=dataset, version=version)
        columns = shown.columns if shown else []
        for column in columns:
            column["figure"] = charts.histogram_figure(column)
            column["slug"] = f"col-{column.get('position', 0)}-{slugify(column['name'])[:40]}"
            column["display"] = column_display(column)
        job = selectors.dataset_profile_job(user=user, dataset=dataset)
        can_run = dataset_selectors.dataset_user_may(user=user, dataset=dataset, action=Action.RUN)
        return super().get_context_data(
            dataset=dataset,
            active_tab="profile",
            can_change=dataset_selectors.dataset_user_may(user=user, dataset=dataset, action=Action.CHANGE),
            can_run=can_run,
            version=version,
            versions=versions,
            profile=shown.profile if shown else None,
            columns=columns,
            masked=sorted(shown.masked) if shown else [],
            nulls_figure=charts.nulls_figure(columns) if columns else None,
            has_missing=any(column.get("null_fraction") for column in columns),
            figures={f"figure-{column['slug']}": column["figure"] for column in columns if column["figure"]},
            preview_url=reverse("catalog:dataset_preview", kwargs={"pk": dataset.pk}),
            limit=selectors.DEFAULT_PREVIEW_ROWS,
            max_rows=settings.PREVIEW_MAX_ROWS,
            exact_distinct_max=settings.PROFILING_EXACT_DISTINCT_MAX_ROWS,
            job=_job_to_show(job, shown.profile if shown else None),
            **kwargs,
        )


def _number(value) -> str:
    """A statistic for people: integers with separators, floats to 4 significant digits, text as is."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e15 else f"{value:.4g}"
    return str(value)


def column_display(column: dict) -> dict[str, str]:
    """The column table's cells as text (a masked PII column shows the mask instead of values)."""
    if column.get("masked"):
        masked = dict.fromkeys(("min", "max", "mean", "std", "top"), MASK)
        return {**masked, "null_percent": f"{100 * float(column.get('null_fraction') or 0):.1f}%"}
    top = column.get("top") or []
    return {
        "min": _number(column.get("min")),
        "max": _number(column.get("max")),
        "mean": _number(column.get("mean")),
        "std": _number(column.get("std")),
        "top": f"{top[0]['value']} ({top[0]['count']:,})" if top else "—",
        "null_percent": f"{100 * float(column.get('null_fraction') or 0):.1f}%",
    }


def _job_to_show(job, profile):
    """The profiling job worth showing: one still running, or one that failed after the shown profile."""
    if job is None:
        return None
    if job.is_active:
        return job
    if job.status in ("failed", "cancelled") and (profile is None or job.created_at > profile.created_at):
        return job
    return None


class DatasetProfileStartView(DatasetMixin, View):
    """Profile now (POST): starts the job for the chosen (or latest) version; 403 without `run`."""

    def post(self, request, pk: int):
        version = selectors.dataset_version_get(
            user=request.user, dataset=self.dataset, number=request.POST.get("version")
        )
        try:
            job = services.dataset_profile_start(dataset=self.dataset, by=request.user, version=version)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("catalog:dataset_profile", pk=self.dataset.pk)
        messages.success(request, f"Profiling version {job.params.get('version')} started.")
        if request.htmx:
            return render(request, "catalog/_profile_job.html", {"dataset": self.dataset, "job": job})
        return redirect("catalog:dataset_profile", pk=self.dataset.pk)


class DatasetProfileProgressView(DatasetMixin, View):
    """The job's progress, polled by htmx; once the profile is stored the page reloads to show it."""

    def get(self, request, pk: int):
        job = selectors.dataset_profile_job(user=request.user, dataset=self.dataset)
        if job is None:
            return HttpResponse("")
        response = render(request, "catalog/_profile_job.html", {"dataset": self.dataset, "job": job})
        if request.htmx and job.status == "succeeded" and request.GET.get("job") == str(job.pk):
            response["HX-Refresh"] = "true"
        return response


class DatasetProfileExportView(DatasetMixin, View):
    """A chart's data as CSV: one column's histogram (?column=name), or the column table (no column)."""

    def get(self, request, pk: int):
        version = selectors.dataset_version_get(
            user=request.user, dataset=self.dataset, number=request.GET.get("version")
        )
        shown = selectors.dataset_profile_view(user=request.user, dataset=self.dataset, version=version)
        if shown is None:
            raise Http404("This dataset has not been profiled yet.")
        wanted = request.GET.get("column")
        stem = f"{slugify(self.dataset.name) or 'dataset'}-v{shown.profile.version.number}"
        if wanted:
            column = next((column for column in shown.columns if column["name"] == wanted), None)
            if column is None:
                raise Http404("No such column in this profile.")
            header, rows = charts.histogram_table(column)
            filename = f"{stem}-{slugify(wanted) or 'column'}-histogram.csv"
        else:
            header, rows = charts.summary_table(shown.columns)
            filename = f"{stem}-profile.csv"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        writer = csv.writer(response)
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_cell(value) for value in row])
        return response


class DatasetPreviewView(DatasetMixin, View):
    """The first rows of a version as an htmx partial; PII is masked before the template sees it."""

    def get(self, request, pk: int):
        context = {"dataset": self.dataset, "max_rows": settings.PREVIEW_MAX_ROWS}
        try:
            limit = selectors.preview_limit(request.GET.get("limit"))
        except ValueError:
            limit = selectors.DEFAULT_PREVIEW_ROWS
        context["limit"] = limit
        version = selectors.dataset_version_get(
            user=request.user, dataset=self.dataset, number=request.GET.get("version")
        )
        if version is None:
            context["empty"] = True
        else:
            try:
                context["preview"] = selectors.dataset_preview(
                    user=request.user, dataset=self.dataset, version=version, limit=limit
                )
            except ProfilingError as exc:
                context["error"] = str(exc)
            context["version"] = version
        context["preview_url"] = reverse("catalog:dataset_preview", kwargs={"pk": self.dataset.pk})
        return render(request, "catalog/_preview.html", context)
