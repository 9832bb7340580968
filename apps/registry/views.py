"""Registry pages: thin views over the registry's selectors (reads) and services (writes)."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import NoReverseMatch
from django.views.generic import TemplateView, View

from apps.core.permissions import Action
from apps.core.views import CsvExportView, FilteredListView, ServiceFormView, apply_service_errors
from apps.registry import selectors, services
from apps.registry.forms import AliasForm, RegisteredModelFilterForm, RegisteredModelForm, RegisterFromRunForm
from apps.teams.selectors import team_for_new_asset


def url_or_empty(obj) -> str:
    """An object's page, or "" while the page that shows it is not built (e.g. a run's)."""
    if obj is None:
        return ""
    try:
        return obj.get_absolute_url()
    except NoReverseMatch:
        return ""


class RegisteredModelListView(FilteredListView):
    """Models the user may see, with a filter bar, sortable columns, pagination and CSV export."""

    template_name = "registry/model_list.html"
    filter_form_class = RegisteredModelFilterForm
    selector = selectors.registered_model_list


class RegisteredModelExportView(CsvExportView):
    """The list's models (same filters, same restriction) as CSV."""

    filter_form_class = RegisteredModelFilterForm
    selector = selectors.registered_model_list
    filename = "models"
    header = ["name", "team", "visibility", "versions", "latest_version", "aliases", "updated_at", "url"]

    def row(self, model) -> list:
        aliases = " ".join(f"{alias.alias}=v{alias.model_version.version}" for alias in model.aliases.all())
        return [
            model.name,
            model.team.name,
            model.visibility,
            model.version_count,
            model.latest_version or "",
            aliases,
            model.updated_at.isoformat(timespec="seconds"),
            self.request.build_absolute_uri(model.get_absolute_url()),
        ]


class RegisteredModelMixin(LoginRequiredMixin):
    """Loads the model through `restrict` (404 if invisible) and checks the view's action (403)."""

    action = Action.VIEW

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.registered_model = selectors.registered_model_get(user=request.user, pk=kwargs["pk"])
        if self.action != Action.VIEW and not selectors.registered_model_user_may(
            user=request.user, registered_model=self.registered_model, action=self.action
        ):
            raise PermissionDenied("Your role in this model's team may not change it.")
        return super().dispatch(request, *args, **kwargs)

    def model_context(self, active_tab: str) -> dict:
        user = self.request.user
        return {
            "model": self.registered_model,
            "can_change": selectors.registered_model_user_may(
                user=user, registered_model=self.registered_model, action=Action.CHANGE
            ),
            "active_tab": active_tab,
        }


class RegisteredModelView(RegisteredModelMixin, TemplateView):
    """The model page: versions with stage, status, aliases and source run; description; side panel."""

    template_name = "registry/model_detail.html"

    def get_context_data(self, **kwargs):
        versions = selectors.registered_model_versions(registered_model=self.registered_model)
        for version in versions:
            version.run_url = url_or_empty(version.run)
        context = self.model_context("overview")
        aliases = [alias for version in versions for alias in version.aliases.all()]
        context.update(
            versions=versions,
            aliases=sorted(aliases, key=lambda alias: alias.alias),
            tags=list(self.registered_model.tags.all()),
            owners=selectors.registered_model_owners(registered_model=self.registered_model),
            alias_form=AliasForm(initial={"version": versions[0].version if versions else None}),
            **kwargs,
        )
        return super().get_context_data(**context)


class RegisteredModelHistoryView(RegisteredModelMixin, TemplateView):
    """The model's timeline: itself, its versions' stages, alias moves and tags, who and when."""

    template_name = "registry/model_history.html"

    def get_context_data(self, **kwargs):
        context = self.model_context("history")
        context["events"] = selectors.registered_model_history(registered_model=self.registered_model)
        return super().get_context_data(**context, **kwargs)


class RegisteredModelEditView(RegisteredModelMixin, ServiceFormView):
    """Rename a model and edit its description and visibility."""

    template_name = "registry/model_form.html"
    form_class = RegisteredModelForm
    action = Action.CHANGE

    def get_initial(self):
        model = self.registered_model
        return {"name": model.name, "visibility": model.visibility, "description": model.description}

    def get_context_data(self, **kwargs):
        return super().get_context_data(**self.model_context("overview"), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        model = self.registered_model
        try:
            with transaction.atomic():
                services.registered_model_rename(
                    registered_model=model, by=self.request.user, new_name=data["name"]
                )
                services.registered_model_update(
                    registered_model=model,
                    by=self.request.user,
                    description=data["description"],
                    visibility=data["visibility"],
                )
        except ValidationError:
            # The rollback left the in-memory model changed: the page around the form shows it as stored.
            self.registered_model = selectors.registered_model_get(user=self.request.user, pk=model.pk)
            raise
        return model, f"Saved “{model.name}”."


class ModelVersionView(RegisteredModelMixin, TemplateView):
    """A version's page: source run, logged model, signature, aliases, tags."""

    template_name = "registry/version_detail.html"

    def get_context_data(self, **kwargs):
        try:
            version = selectors.model_version_get(
                user=self.request.user, registered_model=self.registered_model, version=self.kwargs["version"]
            )
        except ValidationError:
            raise Http404("No such version.") from None
        context = self.model_context("overview")
        context.update(
            version=version,
            run_url=url_or_empty(version.run),
            experiment=version.run.experiment if version.run else None,
            experiment_url=url_or_empty(version.run.experiment) if version.run else "",
            signature=selectors.model_version_signature(model_version=version),
            aliases=sorted(alias.alias for alias in version.aliases.all()),
            tags=sorted(version.tags.all(), key=lambda tag: tag.key),
            alias_form=AliasForm(initial={"version": version.version}),
        )
        kwargs.pop("version", None)  # the URL's number; the context's `version` is the object
        return super().get_context_data(**context, **kwargs)


class ModelAliasSetView(RegisteredModelMixin, View):
    """Point an alias at a version (POST); moving it is recorded in the model's history."""

    action = Action.CHANGE

    def post(self, request, pk):
        form = AliasForm(request.POST)
        model = self.registered_model
        if form.is_valid():
            try:
                alias = services.model_alias_set(
                    registered_model=model, by=request.user, alias=form.cleaned_data["alias"],
                    version=form.cleaned_data["version"],
                )  # fmt: skip
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"{model.name}@{alias.alias} now points at version {alias.model_version.version}.",
                )
                return redirect(request.POST.get("next_version") and alias.model_version or model)
        problems = "; ".join(str(message) for errors in form.errors.values() for message in errors)
        messages.error(request, f"The alias was not set: {problems}")
        return redirect(model)


class ModelAliasDeleteView(RegisteredModelMixin, View):
    """Remove an alias (POST)."""

    action = Action.CHANGE

    def post(self, request, pk, alias):
        services.model_alias_delete(registered_model=self.registered_model, by=request.user, alias=alias)
        messages.success(request, f"Removed the alias {alias}.")
        return redirect(self.registered_model)


class RegisterFromRunView(LoginRequiredMixin, ServiceFormView):
    """Register a run's logged model as a version of an existing model or of a new one."""

    template_name = "registry/register_from_run.html"
    form_class = RegisterFromRunForm
    service_error_fields = {"name": "new_name"}

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.run = selectors.run_for_registration(user=request.user, uuid=kwargs["uuid"])
        self.sources = selectors.run_model_sources(run=self.run)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        user = self.request.user
        kwargs.update(
            sources=[(source.uri, source.label) for source in self.sources],
            models=selectors.registered_models_for_registration(user=user),
            teams=selectors.registered_model_creatable_teams(user=user),
        )
        return kwargs

    def get_initial(self):
        initial = {"new_name": self.run.experiment.name[:100]}
        with contextlib.suppress(PermissionDenied, ValidationError):
            initial["team"] = team_for_new_asset(user=self.request.user, tags={})
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            run=self.run,
            run_url=url_or_empty(self.run),
            sources=self.sources,
            registrations=selectors.run_registrations(user=self.request.user, run=self.run),
            **kwargs,
        )

    def perform(self, form):
        data = form.cleaned_data
        user = self.request.user
        with transaction.atomic():
            model = data["existing"]
            if model is None:
                team = data["team"]
                if not selectors.registered_model_creatable_teams(user=user).filter(pk=team.pk).exists():
                    raise PermissionDenied
                model = services.registered_model_create(team=team, by=user, name=data["new_name"].strip())
            version = services.model_version_create(
                registered_model=model,
                by=user,
                source=data["source"],
                run_id=self.run.uuid,
                description=data["description"],
            )
        return version, f"Registered {model.name} version {version.version}."
