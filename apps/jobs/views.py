"""Job pages: the list with live progress, a job's page, its polled progress partial, cancel and start."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views import View
from django.views.generic import DetailView, ListView
from rest_framework.exceptions import ValidationError as ApiValidationError

from apps.core.permissions import Action
from apps.jobs import selectors
from apps.jobs.models import JobStatus
from apps.jobs.registry import (
    UnknownJobKind,
    get_job_kind,
    job_kinds,
    job_params_validate,
    user_startable_kinds,
)
from apps.jobs.services import JobNotActive, job_cancel, job_enqueue

SCOPES = {"all": "All jobs I may see", "mine": "Started by me"}


class JobListView(LoginRequiredMixin, ListView):
    """Jobs the user may see; the table re-polls itself while any job on the page is active."""

    template_name = "jobs/job_list.html"
    paginate_by = 50

    def get_queryset(self):
        params = self.request.GET
        self.filters = {
            "status": params.get("status", ""),
            "kind": params.get("kind", ""),
            "scope": "mine" if params.get("scope") == "mine" else "all",
        }
        return selectors.job_list(
            user=self.request.user,
            status=self.filters["status"],
            kind=self.filters["kind"],
            mine=self.filters["scope"] == "mine",
        )

    def get_template_names(self):
        if self.request.htmx:
            return ["jobs/_job_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            filters=self.filters,
            filtered=bool(self.filters["status"] or self.filters["kind"] or self.filters["scope"] == "mine"),
            status_choices=[("active", "Queued or running"), *JobStatus.choices],
            kind_choices=[(kind.name, kind.label) for kind in job_kinds()],
            scope_choices=list(SCOPES.items()),
            any_active=any(job.is_active for job in context["object_list"]),
            startable_kinds=user_startable_kinds(),
        )
        return context


class JobView(LoginRequiredMixin, DetailView):
    """A job's page: live progress, result or error, parameters and status history."""

    template_name = "jobs/job_detail.html"

    def get_object(self, queryset=None):
        return selectors.job_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.object
        target = selectors.job_target(user=self.request.user, job=job)
        context.update(
            progress_context(self.request, job),
            job=job,
            target=target,
            target_url=_page_of(target),
            params_items=params_items(job),
            history=selectors.job_history(job=job),
        )
        return context


class JobProgressView(LoginRequiredMixin, View):
    """The htmx partial the job page polls every second while the job is active."""

    def get(self, request, pk: int):
        job = selectors.job_get(user=request.user, pk=pk)
        return render(request, "jobs/_job_progress.html", progress_context(request, job))


class JobCancelView(LoginRequiredMixin, View):
    """Cancel (POST): 404 if the job is not visible, 403 if visible but the user may not run it."""

    def post(self, request, pk: int):
        job = selectors.job_get(user=request.user, pk=pk)
        if not selectors.job_user_may(user=request.user, job=job, action=Action.RUN):
            raise PermissionDenied("Only the person who started this job or its team may cancel it.")
        try:
            job = job_cancel(job=job, by=request.user)
        except JobNotActive as exc:
            messages.warning(request, str(exc))
        else:
            if job.status == JobStatus.CANCELLED:
                messages.success(request, f"{job.kind_label} cancelled.")
            else:
                messages.info(request, f"{job.kind_label} will stop at its next progress report.")
        if request.htmx:
            job = selectors.job_get(user=request.user, pk=pk)
            return render(request, "jobs/_job_progress.html", progress_context(request, job))
        return redirect(job.get_absolute_url())


class JobStartView(LoginRequiredMixin, View):
    """Start a job of a user-startable kind (the demo/diagnostic kinds) from the jobs page."""

    def post(self, request):
        try:
            kind = get_job_kind(request.POST.get("kind", ""))
        except UnknownJobKind:
            kind = None
        if kind is None or not kind.user_startable:
            messages.error(request, "Choose a kind of job that can be started from this page.")
            return HttpResponseRedirect(reverse("jobs:job_list"))
        raw = {
            key: value for key, value in request.POST.items() if key not in {"kind", "csrfmiddlewaretoken"}
        }
        try:
            params = job_params_validate(kind, raw)
        except ApiValidationError as exc:
            messages.error(request, _flatten_errors(exc.detail))
            return HttpResponseRedirect(reverse("jobs:job_list"))
        job = job_enqueue(kind=kind.name, requester=request.user, params=params)
        messages.success(request, f"{kind.label} started.")
        return redirect(job.get_absolute_url())


def _page_of(obj) -> str:
    """The object's page, or "" when it has none (yet): the job page still shows its name."""
    get_url = getattr(obj, "get_absolute_url", None)
    if get_url is None:
        return ""
    try:
        return get_url()
    except NoReverseMatch:
        return ""


def progress_context(request, job) -> dict:
    """What the progress partial shows; `may_cancel` costs one query while the job is active."""
    may_cancel = (
        job.is_active
        and not job.cancel_requested
        and selectors.job_user_may(user=request.user, job=job, action=Action.RUN)
    )
    return {"job": job, "may_cancel": may_cancel, "result_items": display_items(job.result)}


def params_items(job) -> list[tuple[str, str]]:
    """The job's params for its page: as its kind describes them, else key by key."""
    try:
        describe = get_job_kind(job.kind).describe_params
    except UnknownJobKind:
        describe = None
    if describe is not None and isinstance(job.params, dict):
        try:
            return describe(job.params)
        except (KeyError, TypeError, ValueError, AttributeError):  # params from an older shape
            pass
    return display_items(job.params)


def display_items(data) -> list[tuple[str, str]]:
    """A result or params as label/value pairs for people (no raw JSON on the page)."""
    if data in (None, "", {}, []):
        return []
    if not isinstance(data, dict):
        return [("Result", _display(data))]
    return [(str(key).replace("_", " ").capitalize(), _display(value)) for key, value in data.items()]


def _display(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return ", ".join(str(item) for item in value)
    return json.dumps(value, indent=1, sort_keys=True)[:2000]


def _flatten_errors(detail) -> str:
    if isinstance(detail, dict):
        return " ".join(
            f"{key.replace('_', ' ').capitalize()}: {_flatten_errors(value)}" for key, value in detail.items()
        )
    if isinstance(detail, list):
        return " ".join(_flatten_errors(item) for item in detail)
    return str(detail)
