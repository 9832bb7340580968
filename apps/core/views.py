"""Shared base views (every read path calls restrict), the home page and operations endpoints."""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.generic import DetailView, FormView, ListView, TemplateView, View

from apps.core import operations
from apps.core.permissions import Action

SECTIONS = {
    # slug: (title, purpose, Tabler icon, what it will let people do)
    "quality": (
        "Quality",
        "Data-quality checks run by background jobs, scored and alerted on.",
        "shield-check",
        [
            "Suggested checks from a dataset's profile",
            "Scheduled suites with a score and its trend",
            "Failing checks on your datasets, on your home page",
        ],
    ),
    "slas": (
        "SLAs",
        "Shared KPIs and SLOs between data science and IT, error budgets and breaches.",
        "target-arrow",
        ["SLOs with their remaining error budget", "Breaches and who owns them", "Agreements between teams"],
    ),
    "dashboards": (
        "Dashboards",
        "Organisation dashboards of delivery KPIs and SLOs.",
        "chart-bar",
        ["Delivery KPIs per team", "SLO burn-down", "Every chart's data as CSV"],
    ),
}


class RestrictedQuerysetMixin(LoginRequiredMixin):
    """Every object a view touches comes from `model.objects.restrict(user, action)`."""

    model = None
    action = Action.VIEW

    def base_queryset(self):
        return self.model.objects.all()

    def get_queryset(self):
        return self.base_queryset().restrict(self.request.user, self.action)


class ObjectListView(RestrictedQuerysetMixin, ListView):
    paginate_by = 50


class ObjectView(RestrictedQuerysetMixin, DetailView):
    """Detail page; a private object of another team is a 404, never a 403 (no existence leak)."""


class ObjectHistoryView(RestrictedQuerysetMixin, DetailView):
    """Who changed what, when, with field-level diffs. The object is restricted first."""

    template_name = "core/object_history.html"
    history_page_size = 25
    # Breadcrumb to the list the object belongs to: (label, url name).
    list_crumb: tuple[str, str] | None = None

    def get_context_data(self, **kwargs):
        from apps.core.assets import asset_type
        from apps.core.selectors import history_page

        context = super().get_context_data(**kwargs)
        page, rows = history_page(
            self.object, page_number=self.request.GET.get("page"), page_size=self.history_page_size
        )
        registered = asset_type(self.object)
        context.update(
            page_obj=page,
            history_page=page,
            history_rows=rows,
            object_kind=registered.label if registered else self.object._meta.verbose_name.capitalize(),
            object_icon=registered.icon if registered else "history",
            list_crumb=(self.list_crumb[0], reverse(self.list_crumb[1])) if self.list_crumb else None,
        )
        return context


class NearestPageMixin:
    """For a ListView: a page number out of range or not a number shows the nearest page, never a 404."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()


class FilteredListView(LoginRequiredMixin, NearestPageMixin, ListView):
    """A list page: a filter form's `filters()` passed to a restricted selector, then paginated.

    Subclasses give `filter_form_class` and `selector` (called as `selector(user=..., **filters)`);
    the template gets `filter_form` and `filtered`.
    """

    filter_form_class = None
    selector = None
    paginate_by = 25

    def get_queryset(self):
        self.filter_form = self.filter_form_class(self.request.GET or None)
        self.filters = self.filter_form.filters()
        return type(self).selector(user=self.request.user, **self.filters)

    def is_filtered(self) -> bool:
        """Whether a filter narrows the list (the sort order does not)."""
        return any(value for key, value in self.filters.items() if key != "sort")

    def get_context_data(self, **kwargs):
        return super().get_context_data(filter_form=self.filter_form, filtered=self.is_filtered(), **kwargs)


def csv_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Echo:
    def write(self, value):
        return value


def csv_response(rows: Iterable[Iterable], *, name: str, stream: bool = True) -> HttpResponse:
    """`rows` as a CSV download named `<name>-<stamp>.csv` (cells made formula-safe), streamed or not."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    if stream:
        writer = csv.writer(_Echo())
        lines = (writer.writerow([csv_cell(cell) for cell in row]) for row in rows)
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.writer(response)
        for row in rows:
            writer.writerow([csv_cell(cell) for cell in row])
    response["Content-Disposition"] = f'attachment; filename="{slugify(name)[:80] or "export"}-{stamp}.csv"'
    return response


class CsvExportView(LoginRequiredMixin, View):
    """A list page's objects (same filter form, same restricted selector) as CSV: `header`, then `row(obj)`.

    `stream` sends long lists row by row, read from the database in chunks.
    """

    filter_form_class = None
    selector = None
    filename = "export"
    header: list[str] = []
    stream = False

    def row(self, obj) -> list:
        raise NotImplementedError

    def get(self, request):
        filters = self.filter_form_class(request.GET or None).filters()
        objects = type(self).selector(user=request.user, **filters)
        if self.stream:
            objects = objects.iterator(chunk_size=500)

        def rows():
            yield self.header
            for obj in objects:
                yield self.row(obj)

        return csv_response(rows(), name=self.filename, stream=self.stream)


def apply_service_errors(form, error: ValidationError, *, renamed: dict[str, str] | None = None) -> None:
    """Put a service's validation errors next to the matching fields (others at the top).

    `renamed` maps a service's field name onto the form's where they differ (e.g. slug -> name).
    """
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = (renamed or {}).get(field, field)
            for item in errors:
                form.add_error(target if target in form.fields else None, item)
    else:
        form.add_error(None, error)


class ServiceFormView(FormView):
    """A form whose valid data goes to one service call: `perform(form)` returns (object, message).

    On success the message is shown and the object's page opens; a ValidationError from the service
    is shown on the form, next to its fields (`service_error_fields` renames fields, see above).
    """

    service_error_fields: dict[str, str] = {}

    def perform(self, form) -> tuple[object, str]:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            target, message = self.perform(form)
        except ValidationError as error:
            apply_service_errors(form, error, renamed=self.service_error_fields)
            return self.form_invalid(form)
        messages.success(self.request, message)
        return redirect(target)


def get_restricted_object_or_404(model, user, action: str = Action.VIEW, **lookup):
    """The one access helper: the object if `user` may take `action` on it, else 404."""
    return get_object_or_404(model.objects.restrict(user, action), **lookup)


class HomeView(LoginRequiredMixin, TemplateView):
    """The signed-in person's teams, running jobs and what their teams did lately."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        from apps.core.selectors import home_summary

        context = super().get_context_data(**kwargs)
        context.update(home_summary(user=self.request.user))
        return context


class HomeJobsPartialView(LoginRequiredMixin, TemplateView):
    """The home page's running-jobs card, polled by htmx while jobs are active."""

    template_name = "core/_home_jobs.html"

    def get_context_data(self, **kwargs):
        from apps.core.selectors import running_jobs

        return super().get_context_data(running_jobs=running_jobs(user=self.request.user), **kwargs)


class SectionPlaceholderView(LoginRequiredMixin, TemplateView):
    """An area of the portal that is not built yet says so plainly."""

    template_name = "core/section_placeholder.html"
    section = ""

    def get_context_data(self, **kwargs):
        if self.section not in SECTIONS:
            raise Http404
        title, purpose, icon, features = SECTIONS[self.section]
        return super().get_context_data(title=title, purpose=purpose, icon=icon, features=features, **kwargs)


def healthz(request) -> JsonResponse:
    """200 when the database and the broker answer, 503 with the failing part otherwise."""
    checks = operations.health_checks()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )


def metrics(request) -> HttpResponse:
    """Prometheus text format: request counts and latencies, jobs by state."""
    body, content_type = operations.prometheus_exposition()
    return HttpResponse(body, content_type=content_type)
