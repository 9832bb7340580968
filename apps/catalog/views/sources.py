"""Source pages: list, register (upload, folder, SQL), detail with jobs and sync summary, edit, history."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.generic import FormView, TemplateView, View

from apps.catalog.forms.sources import SourceFilterForm, SourceForm, UploadForm
from apps.catalog.models import DataSource, SourceKind
from apps.catalog.selectors import sources as selectors
from apps.catalog.services import sources as services
from apps.core.permissions import Action
from apps.core.views import FilteredListView, ObjectHistoryView, ServiceFormView, apply_service_errors

REGISTER_KINDS = {"upload": SourceKind.UPLOAD, "folder": SourceKind.FOLDER, "sql": SourceKind.SQL}


class SourceListView(FilteredListView):
    """Sources the user may see, with a filter bar and how many datasets each feeds."""

    template_name = "catalog/source_list.html"
    filter_form_class = SourceFilterForm
    selector = selectors.source_list

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            can_create=selectors.source_creatable_teams(user=self.request.user).exists(), **kwargs
        )


class CreatableTeamsMixin(LoginRequiredMixin):
    """Only people who may register sources somewhere reach the register forms (403 otherwise)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.teams = selectors.source_creatable_teams(user=request.user)
        if not self.teams.exists():
            raise PermissionDenied("None of your roles may register sources.")
        return super().dispatch(request, *args, **kwargs)


class SourceCreateView(CreatableTeamsMixin, ServiceFormView):
    """Register a folder or a SQL database (`kind` in the URL); uploads have their own form."""

    template_name = "catalog/source_form.html"
    form_class = SourceForm

    def dispatch(self, request, *args, **kwargs):
        self.kind = REGISTER_KINDS.get(kwargs["kind"])
        if self.kind is None:
            raise Http404("No such kind of source.")
        if self.kind == SourceKind.UPLOAD:
            return redirect("catalog:source_upload")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "kind": self.kind, "teams": self.teams}

    def get_context_data(self, **kwargs):
        return super().get_context_data(kind=self.kind, kind_label=SourceKind(self.kind).label, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        source = services.source_create(
            team=data["team"],
            by=self.request.user,
            kind=self.kind,
            name=data["name"],
            visibility=data["visibility"],
            description=data["description"],
            location=data.get("location", ""),
            url=data.get("url", ""),
            password=data.get("password", ""),
        )
        return (
            source,
            f"Source “{source.name}” registered. Test the connection, then sync it to list its data.",
        )


class SourceUploadView(CreatableTeamsMixin, FormView):
    """Upload a CSV or Parquet file into the team's uploaded-files source."""

    template_name = "catalog/source_upload.html"
    form_class = UploadForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "teams": self.teams}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            result = services.file_upload(
                team=data["team"], by=self.request.user, uploaded=data["file"], name=data["name"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        return upload_done(self.request, result)


def upload_done(request, result):
    """Tell what the upload did and go to the dataset's Schema tab."""
    dataset, version = result.dataset, result.version
    if result.unchanged:
        messages.info(
            request, f"This file is identical to version {version.number} of “{dataset.name}”: nothing new."
        )
    elif result.created_dataset:
        messages.success(
            request, f"Dataset “{dataset.name}” registered from the file ({version.row_count} rows)."
        )
    else:
        messages.success(
            request, f"Version {version.number} of “{dataset.name}” recorded ({version.row_count} rows)."
        )
    return redirect("catalog:dataset_schema", pk=dataset.pk)


class SourceMixin(LoginRequiredMixin):
    """Loads the source through `restrict` (404 if invisible) and checks the view's action (403)."""

    action = Action.VIEW

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.source = selectors.source_get(user=request.user, pk=kwargs["pk"])
        if self.action != Action.VIEW and not services.source_user_may(
            user=request.user, source=self.source, action=self.action
        ):
            raise PermissionDenied("Your role in this source's team may not do this.")
        return super().dispatch(request, *args, **kwargs)


class SourceView(SourceMixin, TemplateView):
    """A source: its datasets, last sync summary, Test connection / Sync with live progress."""

    template_name = "catalog/source_detail.html"

    def get_context_data(self, **kwargs):
        from apps.jobs.views import progress_context

        user = self.request.user
        jobs = selectors.source_jobs(user=user, source=self.source)
        job = next((job for job in jobs if str(job.pk) == self.request.GET.get("job")), None)
        if job is None:
            job = next((job for job in jobs if job.is_active), None)
        return super().get_context_data(
            source=self.source,
            datasets=selectors.source_datasets(user=user, source=self.source),
            jobs=jobs,
            can_change=services.source_user_may(user=user, source=self.source, action=Action.CHANGE),
            can_run=services.source_user_may(user=user, source=self.source, action=Action.RUN),
            can_delete=services.source_user_may(user=user, source=self.source, action=Action.DELETE),
            summary=self.source.last_sync_summary or {},
            **(progress_context(self.request, job) if job else {}),
            **kwargs,
        )


class SourceEditView(SourceMixin, ServiceFormView):
    """Change a source's name, visibility, description, folder or URL/password."""

    template_name = "catalog/source_form.html"
    form_class = SourceForm
    action = Action.CHANGE

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(kind=self.source.kind, source=self.source)
        if self.request.method == "GET":
            kwargs["initial"] = {
                "name": self.source.name,
                "visibility": self.source.visibility,
                "description": self.source.description,
                "location": self.source.location,
            }
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            source=self.source, kind=self.source.kind, kind_label=self.source.get_kind_display(), **kwargs
        )

    def perform(self, form):
        data = {key: value for key, value in form.cleaned_data.items() if key != "team"}
        if self.source.kind == SourceKind.SQL and not data.get("url") and not data.get("password"):
            data.pop("url", None), data.pop("password", None)
        services.source_update(source=self.source, by=self.request.user, **data)
        return self.source, f"Saved “{self.source.name}”."


class SourceJobStartView(SourceMixin, View):
    """POST: start "Test connection" or "Sync"; htmx gets the live progress card, others a redirect."""

    action = Action.RUN
    operation = "test"
    http_method_names = ["post"]

    def post(self, request, pk):
        from apps.jobs.views import progress_context

        start = services.source_test_start if self.operation == "test" else services.source_sync_start
        try:
            job = start(source=self.source, by=request.user)
        except ValidationError as error:
            messages.warning(request, " ".join(error.messages))
            return redirect(self.source)
        if request.htmx:
            return render(request, "jobs/_job_progress.html", progress_context(request, job))
        messages.info(request, f"{job.kind_label} started.")
        return redirect(f"{self.source.get_absolute_url()}?job={job.pk}")


class SourceHistoryView(ObjectHistoryView):
    """Who changed the source, what and when (credentials are never in history)."""

    model = DataSource
    list_crumb = ("Sources", "catalog:source_list")
    context_object_name = "source"

    def base_queryset(self):
        return DataSource.objects.select_related("team")


class SourceDeleteView(SourceMixin, TemplateView):
    """Confirm, then delete a source; its datasets stay in the catalog, detached, with their versions."""

    template_name = "catalog/source_confirm_delete.html"
    action = Action.DELETE

    def get_context_data(self, **kwargs):
        datasets = selectors.source_datasets(user=self.request.user, source=self.source)
        return super().get_context_data(
            source=self.source, datasets=list(datasets[:20]), dataset_count=datasets.count(), **kwargs
        )

    def post(self, request, *args, **kwargs):
        name = self.source.name
        try:
            services.source_delete(source=self.source, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(self.source)
        messages.success(request, f"Source “{name}” deleted; its datasets stay in the catalog.")
        return redirect("catalog:source_list")
