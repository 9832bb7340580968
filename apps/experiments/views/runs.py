"""Run pages, tabs in UX order: Overview · Params · Metrics · Artifacts · Lineage · Discussion · History."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import posixpath

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.generic import TemplateView, View

from apps.core.permissions import Action
from apps.core.views import ObjectHistoryView, csv_response
from apps.experiments import charts
from apps.experiments.forms import RunNoteForm
from apps.experiments.models import Run
from apps.experiments.selectors import pages as selectors
from apps.experiments.services import artifacts as artifact_services
from apps.experiments.services import tracking as services
from apps.experiments.views.common import RunMixin
from apps.experiments.views.experiments import training_url

# Previews read at most this much of a file; larger text files show their beginning.
PREVIEW_MAX_BYTES = 256 * 1024
PREVIEW_CSV_ROWS = 100
TEXT_SUFFIXES = {
    ".txt", ".log", ".md", ".json", ".yaml", ".yml", ".csv", ".tsv", ".py", ".toml", ".cfg", ".ini",
    ".xml", ".html", ".sql", ".sh", ".r", ".ipynb",
}  # fmt: skip
TEXT_NAMES = {"MLmodel", "requirements.txt", "conda.yaml", "python_env.yaml", "LICENSE", "README"}
CHARTS_ON_OVERVIEW = 4


class RunTabMixin(RunMixin):
    """Context every run tab shares: the run, its experiment, what the user may do, the active tab."""

    active_tab = "overview"

    def get_context_data(self, **kwargs):
        user, run = self.request.user, self.run
        context = super().get_context_data(**kwargs)
        context.update(
            run=run,
            experiment=self.experiment,
            active_tab=self.active_tab,
            can_change=selectors.run_user_may(user=user, run=run, action=Action.CHANGE),
            train_url=training_url(self.experiment),
        )
        return context


def _series_for_run(run: Run, by_run: dict[int, list[tuple]]) -> list[charts.Series]:
    points = by_run.get(run.pk, [])
    return [
        charts.Series(
            label=run.name or run.uuid[:8],
            run_id=run.uuid,
            colour=charts.run_colour(0),
            steps=[point[0] for point in points],
            values=[point[1] for point in points],
            timestamps=[point[2] for point in points],
        )
    ]


class RunView(RunTabMixin, TemplateView):
    """The run's Overview: status, timing, who, code, environment, seed, data read, job, tags, note."""

    template_name = "experiments/run_detail.html"

    def get_context_data(self, **kwargs):
        user, run = self.request.user, self.run
        own_tags, system_tags = selectors.run_tags(user=user, run=run)
        latest = selectors.run_latest_metrics(user=user, run=run)
        params = selectors.run_params(user=user, run=run)
        environment = run.environment if isinstance(run.environment, dict) else {}
        packages = environment.get("packages") if isinstance(environment.get("packages"), dict) else {}
        plots = []
        for index, artifact in enumerate(
            selectors.run_plot_artifacts(user=user, run=run)[:CHARTS_ON_OVERVIEW]
        ):
            preview = artifact_preview(artifact, run)
            plots.append({"artifact": artifact, "figure": preview.get("figure"), "id": f"run-plot-{index}"})
        return super().get_context_data(
            children=selectors.run_children(user=user, run=run),
            inputs=selectors.run_inputs(user=user, run=run),
            training_job=selectors.run_training_job(user=user, run=run),
            own_tags=own_tags,
            system_tags=system_tags,
            latest_metrics=latest[:12],
            metric_count=len(latest),
            params=params[:12],
            param_count=len(params),
            environment=environment,
            packages=sorted(packages.items()),
            logged_models=selectors.run_logged_models(user=user, run=run),
            note_form=RunNoteForm(initial={"note": run.description}),
            plots=plots,
            figures={
                f"run-plot-{index}-data": plot["figure"] for index, plot in enumerate(plots) if plot["figure"]
            },
            **kwargs,
        )


class RunNoteView(RunMixin, View):
    """Edit the run's Markdown note in place (htmx) or as a plain form post."""

    action = Action.CHANGE
    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        form = RunNoteForm(initial={"note": self.run.description})
        return render(request, "experiments/_run_note.html", {"run": self.run, "form": form, "editing": True})

    def post(self, request, *args, **kwargs):
        form = RunNoteForm(request.POST)
        if not form.is_valid():
            if request.htmx:
                return render(
                    request, "experiments/_run_note.html", {"run": self.run, "form": form, "editing": True}
                )
            messages.error(request, " ".join(form.errors.get("note", ["The note could not be saved."])))
            return redirect(self.run)
        run = services.run_note_set(run=self.run, by=request.user, note=form.cleaned_data["note"])
        if request.htmx:
            return render(
                request, "experiments/_run_note.html", {"run": run, "can_change": True, "saved": True}
            )
        messages.success(request, "Note saved.")
        return redirect(run)


class RunParamsView(RunTabMixin, TemplateView):
    """Every param of the run, searchable, with a CSV download."""

    template_name = "experiments/run_params.html"
    active_tab = "params"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            params = selectors.run_params(user=request.user, run=self.run)
            rows = [["key", "value"], *[[param.key, param.value] for param in params]]
            return csv_response(rows, name=f"{self.run.name or self.run.uuid}-params")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            params=selectors.run_params(user=self.request.user, run=self.run), **kwargs
        )


class RunMetricsView(RunTabMixin, TemplateView):
    """Latest value of every metric, and one chart per metric over steps (each with its CSV)."""

    template_name = "experiments/run_metrics.html"
    active_tab = "metrics"

    def get_context_data(self, **kwargs):
        user, run = self.request.user, self.run
        latest = selectors.run_latest_metrics(user=user, run=run)
        histories = selectors.metric_histories(user=user, runs=[run])
        figures = {}
        metrics = []
        for index, metric in enumerate(latest):
            series = _series_for_run(run, histories.get(metric.key, {}))
            points = len(series[0].steps)
            figure = charts.metric_figure(key=metric.key, series=series) if points > 1 else None
            element = f"metric-figure-{index}"
            if figure:
                figures[f"{element}-data"] = figure
            metrics.append({"metric": metric, "points": points, "figure_id": element if figure else ""})
        return super().get_context_data(metrics=metrics, figures=figures, **kwargs)


class RunMetricsExportView(RunMixin, View):
    """One metric's history (`?key=`), or every metric's, as CSV."""

    def get(self, request, *args, **kwargs):
        run = self.run
        key = request.GET.get("key", "")[:250]
        histories = selectors.metric_histories(
            user=request.user, runs=[run], keys=[key] if key else None, thin=False
        )
        rows: list[list] = []
        for metric_key in sorted(histories):
            metric_rows = charts.metric_csv_rows(
                key=metric_key, series=_series_for_run(run, histories[metric_key])
            )
            rows.extend(metric_rows if not rows else metric_rows[1:])
        if not rows:
            rows = charts.metric_csv_rows(key=key, series=[])
        return csv_response(rows, name=f"{run.name or run.uuid}-{key or 'metrics'}")


# --- artifacts ----------------------------------------------------------------------------------


def _is_text(path: str) -> bool:
    name = posixpath.basename(path)
    return name in TEXT_NAMES or posixpath.splitext(name)[1].lower() in TEXT_SUFFIXES


def artifact_preview(artifact, run: Run) -> dict:
    """What the artifact browser shows for a file: a plotly figure, a table, text, or why not."""
    path = artifact.path
    if charts.is_plotly_artifact(path):
        if artifact.size > charts.MAX_FIGURE_BYTES:
            return {"kind": "none", "reason": "This figure is too large to draw here; download it."}
        figure, reason = charts.artifact_figure(_read(artifact, run, charts.MAX_FIGURE_BYTES))
        return {"kind": "figure", "figure": figure} if figure else {"kind": "none", "reason": reason}
    if not _is_text(path):
        return {"kind": "none", "reason": "No preview for this kind of file; download it."}
    content = _read(artifact, run, PREVIEW_MAX_BYTES)
    truncated = artifact.size > PREVIEW_MAX_BYTES
    text = content.decode("utf-8", errors="replace")
    suffix = posixpath.splitext(path)[1].lower()
    if suffix in (".csv", ".tsv"):
        reader = csv.reader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
        try:
            rows = [row for _, row in zip(range(PREVIEW_CSV_ROWS + 1), reader, strict=False)]
        except csv.Error:
            rows = []
        if rows:
            return {
                "kind": "table",
                "header": rows[0],
                "rows": rows[1:],
                "truncated": truncated or len(rows) > PREVIEW_CSV_ROWS,
            }
    if suffix == ".json" and not truncated:
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    return {"kind": "text", "text": text, "truncated": truncated}


def _read(artifact, run: Run, limit: int) -> bytes:
    """The first `limit` bytes of an artifact (empty when its file is missing from storage)."""
    try:
        _, handle = artifact_services.artifact_open(run=run, path=artifact.path)
    except (artifact_services.ArtifactError, OSError):
        return b""
    with handle:
        return handle.read(limit)


class RunArtifactsView(RunTabMixin, TemplateView):
    """The artifact browser: a folder's files and subfolders with sizes; a file's preview beside them."""

    template_name = "experiments/run_artifacts.html"
    active_tab = "artifacts"

    def get_context_data(self, **kwargs):
        user, run = self.request.user, self.run
        path = (self.request.GET.get("path") or "").strip().strip("/")[:1000]
        selected = selectors.run_artifact_find(user=user, run=run, path=path) if path else None
        folder = posixpath.dirname(path) if selected is not None else path
        folder, entries, total = selectors.run_artifact_listing(user=user, run=run, folder=folder)
        missing = bool(path) and selected is None and not entries
        if missing:
            folder, entries, total = selectors.run_artifact_listing(user=user, run=run, folder="")
        preview = artifact_preview(selected, run) if selected is not None else None
        crumbs = []
        if folder:
            parts = folder.split("/")
            crumbs = [{"name": part, "path": "/".join(parts[: i + 1])} for i, part in enumerate(parts)]
        return super().get_context_data(
            folder=folder,
            crumbs=crumbs,
            entries=entries,
            total=total,
            selected=selected,
            preview=preview,
            parent_folder=posixpath.dirname(folder),
            missing=missing,
            **kwargs,
        )


class RunArtifactDownloadView(RunMixin, View):
    """Stream one artifact from storage as a download (never rendered inline: no stored HTML runs here)."""

    def get(self, request, *args, **kwargs):
        artifact = selectors.run_artifact_get(user=request.user, run=self.run, path=kwargs["path"])
        try:
            _, handle = artifact_services.artifact_open(run=self.run, path=artifact.path)
        except (artifact_services.ArtifactError, OSError) as error:
            raise Http404("The artifact's file is missing from storage.") from error
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=posixpath.basename(artifact.path) or "artifact",
            content_type=artifact_services.artifact_content_type(artifact.path),
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        return response


# --- delete, restore, history -------------------------------------------------------------------


class RunLifecycleView(RunMixin, TemplateView):
    """Delete (soft, restorable) or restore a run: a confirmation, then POST."""

    template_name = "experiments/run_confirm.html"
    action = Action.CHANGE
    operation = "delete"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            run=self.run, experiment=self.experiment, operation=self.operation, **kwargs
        )

    def post(self, request, *args, **kwargs):
        run = self.run
        if self.operation == "delete":
            services.run_delete(run=run, by=request.user)
            messages.success(
                request, f"Run “{run}” deleted. It stays listed under Deleted runs and can be restored."
            )
            return redirect(run.experiment)
        try:
            services.run_restore(run=run, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(run)
        messages.success(request, f"Run “{run}” restored.")
        return redirect(run)


class RunHistoryView(ObjectHistoryView):
    """Who changed the run (status, note, deletion), what and when."""

    model = Run
    template_name = "experiments/run_history.html"
    list_crumb = ("Experiments", "experiments:experiment_list")
    context_object_name = "run"
    slug_field = "uuid"
    slug_url_kwarg = "uuid"

    def base_queryset(self):
        return Run.objects.select_related("experiment__team")

    def get_context_data(self, **kwargs):
        from apps.experiments.selectors.pages import run_user_may

        run = self.object
        return super().get_context_data(
            active_tab="history",
            experiment=run.experiment,
            can_change=run_user_may(user=self.request.user, run=run, action=Action.CHANGE),
            train_url=training_url(run.experiment),
            **kwargs,
        )
