"""Shared base views (every read path calls restrict), the home page and operations endpoints."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView, TemplateView

from apps.core import operations
from apps.core.permissions import Action

SECTIONS = {
    "quality": ("Quality", "Data-quality checks run by background jobs, scored and alerted on."),
    "community": ("Community", "Discussions and ideas on every asset, mentions and notifications."),
    "experiments": ("Experiments", "Experiment tracking compatible with the MLflow client, and training jobs."),
    "models": ("Models", "The model registry: versions, approvals, canary and blue/green releases, serving."),
    "slas": ("SLAs", "Shared KPIs and SLOs between data science and IT, error budgets and breaches."),
    "dashboards": ("Dashboards", "Organisation dashboards of delivery KPIs and SLOs."),
    "search": ("Search", "One search across datasets, columns, glossary, discussions, runs and models."),
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

    def get_context_data(self, **kwargs):
        from apps.core.history import field_changes

        context = super().get_context_data(**kwargs)
        records = self.object.history.select_related("history_user").order_by("-history_date", "-history_id")
        page = Paginator(records, self.history_page_size).get_page(self.request.GET.get("page"))
        context["history_page"] = page
        context["history_rows"] = [
            {"record": record, "changes": field_changes(record)} for record in page.object_list
        ]
        return context


def get_restricted_object_or_404(model, user, action: str = Action.VIEW, **lookup):
    """The one access helper: the object if `user` may take `action` on it, else 404."""
    return get_object_or_404(model.objects.restrict(user, action), **lookup)


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        from apps.core.selectors import home_summary

        context = super().get_context_data(**kwargs)
        context.update(home_summary(user=self.request.user))
        return context


class SectionPlaceholderView(LoginRequiredMixin, TemplateView):
    """An area of the portal that is not built yet says so plainly."""

    template_name = "core/section_placeholder.html"
    section = ""

    def get_context_data(self, **kwargs):
        if self.section not in SECTIONS:
            raise Http404
        title, purpose = SECTIONS[self.section]
        return super().get_context_data(title=title, purpose=purpose, **kwargs)


def healthz(request) -> JsonResponse:
    """200 when the database and the broker answer, 503 with the failing part otherwise."""
    checks = operations.health_checks()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503)


def metrics(request) -> HttpResponse:
    """Prometheus text format: request counts and latencies, jobs by state."""
    body, content_type = operations.prometheus_exposition()
    return HttpResponse(body, content_type=content_type)
