"""Train a model (form, htmx partials), the training job's live progress page, and Reproduce."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.generic import TemplateView, View

from apps.catalog.models import Dataset
from apps.core.permissions import Action
from apps.experiments.models import Run
from apps.experiments.training import selectors, services
from apps.experiments.training.estimators import ESTIMATORS, params_in_declared_order
from apps.experiments.training.forms import DEFAULT_ESTIMATOR, NEW_EXPERIMENT, ParamsForm, TrainingForm
from apps.experiments.training.spec import SpecInvalid

DATASET_CHOICES_LIMIT = 500


def _dataset_choices(user) -> list[Dataset]:
    """Datasets with at least one version `user` may view, by name (the version picker's first step)."""
    return list(
        Dataset.objects.restrict(user, Action.VIEW)
        .filter(latest_version__isnull=False)
        .select_related("team")
        .order_by("name", "pk")[:DATASET_CHOICES_LIMIT]
    )


def _chosen_version(request):
    """The version to train on: ?version=<id>, or the latest of ?dataset=<id>; None if not visible."""
    try:
        if request.GET.get("version") or request.POST.get("version"):
            return selectors.training_version_get(
                user=request.user, pk=request.POST.get("version") or request.GET.get("version")
            )
        dataset_id = request.GET.get("dataset")
        if dataset_id:
            dataset = Dataset.objects.restrict(request.user, Action.VIEW).filter(pk=int(dataset_id)).first()
            versions = selectors.training_versions(user=request.user, dataset=dataset) if dataset else []
            if versions:
                return versions[0]
    except (Http404, ValueError):
        return None
    return None


class TrainingStartView(LoginRequiredMixin, TemplateView):
    """Train a model: pick the data (dataset + version), then target, features, estimator, validation."""

    template_name = "experiments/training/start.html"

    def _form(self, version, data=None):
        user = self.request.user
        experiments = list(selectors.training_experiments(user=user))
        teams = list(services.training_experiment_teams(user=user))
        initial = {}
        wanted = self.request.GET.get("experiment")
        if wanted and any(str(experiment.pk) == wanted for experiment in experiments):
            initial["experiment"] = wanted
        if not experiments and teams:
            initial["experiment"] = NEW_EXPERIMENT
            initial["new_experiment_name"] = f"{version.dataset.name} models"[:500]
            team = next((team for team in teams if team.pk == version.dataset.team_id), teams[0])
            initial["new_experiment_team"] = str(team.pk)
        return TrainingForm(data, version=version, experiments=experiments, teams=teams, initial=initial)

    def get_context_data(self, **kwargs):
        request = self.request
        version = kwargs.pop("version", None) or _chosen_version(request)
        context = {
            "version": version,
            "datasets": _dataset_choices(request.user),
            "asked": bool(request.GET.get("version") or request.GET.get("dataset")),
            "experiment_id": request.GET.get("experiment", ""),
            "estimators": list(ESTIMATORS.items()),
        }
        if version is not None:
            context["versions"] = selectors.training_versions(user=request.user, dataset=version.dataset)
            context["form"] = kwargs.pop("form", None) or self._form(version)
        return super().get_context_data(**context, **kwargs)

    def post(self, request, *args, **kwargs):
        version = _chosen_version(request)
        if version is None:
            messages.error(request, "Choose a dataset version you may read.")
            return self.render_to_response(self.get_context_data())
        form = self._form(version, data=request.POST)
        if form.is_valid():
            new_experiment = None
            experiment_id = form.cleaned_data["experiment"]
            if experiment_id == NEW_EXPERIMENT:
                new_experiment = {
                    "name": form.cleaned_data["new_experiment_name"],
                    "team": form.cleaned_data["new_experiment_team"],
                }
                experiment_id = None
            try:
                job = services.training_start(
                    data=form.spec_data(experiment_id=int(experiment_id) if experiment_id else None),
                    by=request.user,
                    new_experiment=new_experiment,
                )
            except SpecInvalid as error:
                form.add_spec_errors(error)
            else:
                messages.success(request, f"Training started on {job.params.get('dataset')}.")
                return redirect("experiments:training:job_detail", pk=job.pk)
        return self.render_to_response(self.get_context_data(version=version, form=form), status=200)


class TrainingVersionsView(LoginRequiredMixin, View):
    """htmx: the version picker of a dataset (?dataset=<id>), newest first."""

    def get(self, request):
        dataset = None
        with contextlib.suppress(KeyError, ValueError):
            wanted = int(request.GET["dataset"])
            dataset = Dataset.objects.restrict(request.user, Action.VIEW).filter(pk=wanted).first()
        versions = selectors.training_versions(user=request.user, dataset=dataset) if dataset else []
        return render(request, "experiments/training/_versions.html", {"versions": versions})


class TrainingParamsView(LoginRequiredMixin, View):
    """htmx: the hyper-parameter fields of the chosen estimator (swapped when the estimator changes)."""

    def get(self, request):
        estimator = ESTIMATORS.get(request.GET.get("estimator") or "", ESTIMATORS[DEFAULT_ESTIMATOR])
        form = ParamsForm(estimator=estimator, task=request.GET.get("task") or "auto")
        return render(
            request,
            "experiments/training/_params.html",
            {
                "rows": form.param_rows(),
                "estimator": estimator,
                "searching": bool(request.GET.get("search_method")),
            },
        )


class TrainingJobView(LoginRequiredMixin, TemplateView):
    """A training (or reproduce) job: live progress, then the run's headline metrics and a link to it."""

    template_name = "experiments/training/job_detail.html"

    def get_context_data(self, **kwargs):
        job = selectors.training_job_get(user=self.request.user, pk=self.kwargs["pk"])
        return super().get_context_data(**_job_context(self.request, job), **kwargs)


class TrainingJobProgressView(LoginRequiredMixin, View):
    """htmx: the job's progress card, polled every second while it is active."""

    def get(self, request, pk: int):
        job = selectors.training_job_get(user=request.user, pk=pk)
        response = render(request, "experiments/training/_job_progress.html", _job_context(request, job))
        if request.htmx and job.is_finished:
            # The poll that sees the end reloads the page, which then shows the run's Reproduce card.
            response["HX-Refresh"] = "true"
        return response


def _job_context(request, job) -> dict:
    from apps.jobs.selectors import job_user_may

    run = selectors.training_job_run(user=request.user, job=job)
    spec = (job.params or {}).get("spec") or {}
    estimator = ESTIMATORS.get(spec.get("estimator") or "")
    original = None
    if job.kind == services.REPRODUCE_KIND:
        original = (
            Run.objects.restrict(request.user, Action.VIEW)
            .filter(uuid=job.params.get("reproduce_of"))
            .first()
        )
    return {
        "job": job,
        "run": run,
        "spec": spec,
        "estimator": estimator,
        "hyper_params": params_in_declared_order(spec.get("params") or {}, estimator),
        "original": original,
        "metrics": selectors.run_metric_values(run=run) if run is not None and job.is_finished else {},
        "comparison": selectors.run_reproduction_comparison(user=request.user, run=run)
        if run is not None and original is not None and job.status == "succeeded"
        else None,
        "may_cancel": job.is_active
        and not job.cancel_requested
        and job_user_may(user=request.user, job=job, action=Action.RUN),
    }


class RunReproduceView(LoginRequiredMixin, View):
    """Reproduce (POST): start a reproduce job for a finished training run, or say why it cannot be."""

    def post(self, request, uuid: str):
        run = (
            Run.objects.restrict(request.user, Action.VIEW)
            .select_related("experiment__team")
            .filter(uuid=uuid)
            .first()
        )
        if run is None:
            raise Http404("No such run.")
        try:
            job = services.run_reproduce(run=run, by=request.user)
        except PermissionDenied:
            raise
        except services.ReproduceRefused as refusal:
            messages.error(request, refusal.messages[0])
            return redirect(_run_page(run))
        messages.success(request, f"Reproducing {run.name or run.uuid[:8]}.")
        return redirect("experiments:training:job_detail", pk=job.pk)


def _run_page(run: Run) -> str:
    try:
        return run.get_absolute_url()
    except NoReverseMatch:  # the run pages are not installed: back to the form
        return reverse("experiments:training:start")
