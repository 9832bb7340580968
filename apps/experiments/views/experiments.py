"""Experiment pages: the list, create/edit/delete/restore, the runs table with its column chooser, CSV."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.generic import TemplateView, View

from apps.core.permissions import Action
from apps.core.views import CsvExportView, FilteredListView, ObjectHistoryView, ServiceFormView, csv_response
from apps.experiments.forms import ExperimentFilterForm, ExperimentForm, RunColumnsForm, RunTableForm
from apps.experiments.models import Experiment, LifecycleStage, Run
from apps.experiments.selectors import pages as selectors
from apps.experiments.services import tracking as services
from apps.experiments.templatetags.experiment_pages import clip, metric_value
from apps.experiments.views.common import ExperimentMixin

RUN_PAGE_SIZES = (25, 50, 100, 200)
COLUMNS_SESSION_KEY = "experiments.run_columns"
COLUMNS_REMEMBERED = 50  # experiments whose column choice a session keeps


def training_url(experiment: Experiment | None = None) -> str:
    """The training form (apps/experiments/training), for the "Train a model" action, if it exists."""
    try:
        url = reverse("experiments:training:start")
    except NoReverseMatch:
        return ""
    return f"{url}?experiment={experiment.pk}" if experiment is not None else url


def tracking_uri(request) -> str:
    """The URL the MLflow client points at: this portal."""
    return request.build_absolute_uri("/").rstrip("/")


# --- the list -------------------------------------------------------------------------------


class ExperimentListView(FilteredListView):
    """Experiments the user may see: filter bar, sortable columns, pagination, CSV export."""

    template_name = "experiments/experiment_list.html"
    filter_form_class = ExperimentFilterForm
    selector = selectors.experiment_list

    def is_filtered(self) -> bool:
        # The list shows active experiments unless asked otherwise: only another state filters.
        filters = self.filters
        return bool(filters["team"] or filters["text"] or filters["lifecycle"] != LifecycleStage.ACTIVE)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            can_create=selectors.experiment_creatable_teams(user=self.request.user).exists(),
            tracking_uri=tracking_uri(self.request),
            train_url=training_url(),
            token_url=reverse("account:token_list"),
            **kwargs,
        )


class ExperimentExportView(CsvExportView):
    """The list's experiments (same filters, same restriction) as CSV."""

    filter_form_class = ExperimentFilterForm
    selector = selectors.experiment_list
    filename = "experiments"
    header = ["name", "team", "visibility", "state", "runs", "last_run", "created_at", "url"]
    stream = True

    def row(self, experiment) -> list:
        last = selectors.ms_to_datetime(experiment.last_run_start)
        return [
            experiment.name,
            experiment.team.name,
            experiment.visibility,
            experiment.lifecycle_stage,
            experiment.run_count,
            last.isoformat(timespec="seconds") if last else "",
            experiment.created_at.isoformat(timespec="seconds"),
            self.request.build_absolute_uri(experiment.get_absolute_url()),
        ]


# --- create, edit, delete, restore, history -------------------------------------------------


class ExperimentCreateView(LoginRequiredMixin, ServiceFormView):
    """Create an experiment in one of the teams where the user may add assets."""

    template_name = "experiments/experiment_form.html"
    form_class = ExperimentForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.teams = selectors.experiment_creatable_teams(user=request.user)
        if not self.teams.exists():
            raise PermissionDenied("None of your roles may create experiments.")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["teams"] = self.teams
        kwargs["instance"] = Experiment()
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        if self.teams.count() == 1:
            initial["team"] = self.teams.first()
        return initial

    def perform(self, form):
        data = form.cleaned_data
        experiment = services.experiment_create(
            team=data["team"],
            by=self.request.user,
            name=data["name"],
            visibility=data["visibility"],
            description=data["description"],
        )
        return experiment, f"Experiment “{experiment.name}” created in {experiment.team.name}."


class ExperimentEditView(ExperimentMixin, ServiceFormView):
    """Rename an experiment, change its visibility or its Markdown description."""

    template_name = "experiments/experiment_form.html"
    form_class = ExperimentForm
    action = Action.CHANGE

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.experiment
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(experiment=self.experiment, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        # The form wrote its fields onto the instance; the service gets a clean copy.
        experiment = Experiment.objects.select_related("team").get(pk=self.experiment.pk)
        services.experiment_update(
            experiment=experiment,
            by=self.request.user,
            **{name: data[name] for name in ("name", "visibility", "description")},
        )
        return experiment, f"Saved “{experiment.name}”."


class ExperimentLifecycleView(ExperimentMixin, TemplateView):
    """Delete (soft, restorable, with its runs) or restore an experiment: a confirmation, then POST."""

    template_name = "experiments/experiment_confirm.html"
    action = Action.CHANGE
    operation = "delete"

    def get_context_data(self, **kwargs):
        summary = selectors.experiment_summary(user=self.request.user, experiment=self.experiment)
        return super().get_context_data(
            experiment=self.experiment, operation=self.operation, run_count=summary["run_count"], **kwargs
        )

    def post(self, request, *args, **kwargs):
        experiment = self.experiment
        if self.operation == "delete":
            services.experiment_delete(experiment=experiment, by=request.user)
            messages.success(
                request,
                f"Experiment “{experiment.name}” deleted with its runs. You can restore it from its page.",
            )
            return redirect("experiments:experiment_list")
        services.experiment_restore(experiment=experiment, by=request.user)
        messages.success(request, f"Experiment “{experiment.name}” restored with its runs.")
        return redirect(experiment)


class ExperimentHistoryView(ObjectHistoryView):
    """Who changed the experiment, what and when."""

    model = Experiment
    template_name = "experiments/experiment_history.html"
    list_crumb = ("Experiments", "experiments:experiment_list")
    context_object_name = "experiment"

    def base_queryset(self):
        return Experiment.objects.select_related("team")

    def get_context_data(self, **kwargs):
        return super().get_context_data(active_tab="history", train_url=training_url(self.object), **kwargs)


class ExperimentAboutView(ExperimentMixin, TemplateView):
    """The experiment's About tab: its description, owners, tags and key figures."""

    template_name = "experiments/experiment_about.html"

    def get_context_data(self, **kwargs):
        user, experiment = self.request.user, self.experiment
        return super().get_context_data(
            experiment=experiment,
            active_tab="about",
            can_change=selectors.experiment_user_may(user=user, experiment=experiment, action=Action.CHANGE),
            owners=selectors.experiment_owners(experiment=experiment),
            summary=selectors.experiment_summary(user=user, experiment=experiment),
            tracking_uri=tracking_uri(self.request),
            train_url=training_url(experiment),
            **kwargs,
        )


# --- the runs table -------------------------------------------------------------------------


def remembered_columns(
    request, experiment: Experiment, available: dict[str, list[str]]
) -> selectors.RunColumns:
    """The columns this person chose for this experiment (in the session), else the defaults."""
    stored = request.session.get(COLUMNS_SESSION_KEY, {}).get(str(experiment.pk))
    if stored is None:
        return selectors.default_run_columns(available)
    return selectors.RunColumns.from_dict(stored)


def remember_columns(request, experiment: Experiment, columns: selectors.RunColumns | None) -> None:
    """Keep (or forget, with None) the column choice for this experiment, for the most recent ones."""
    stored = dict(request.session.get(COLUMNS_SESSION_KEY, {}))
    stored.pop(str(experiment.pk), None)
    if columns is not None:
        stored[str(experiment.pk)] = columns.as_dict()
    while len(stored) > COLUMNS_REMEMBERED:
        stored.pop(next(iter(stored)))
    request.session[COLUMNS_SESSION_KEY] = stored


def _page_size(raw) -> int:
    try:
        size = int(raw)
    except (TypeError, ValueError):
        return RUN_PAGE_SIZES[0]
    return size if size in RUN_PAGE_SIZES else RUN_PAGE_SIZES[0]


class ExperimentView(ExperimentMixin, TemplateView):
    """The experiment page: header, runs table (filters, MLflow filter box, sort, columns, compare)."""

    template_name = "experiments/experiment_detail.html"
    partial_template_name = "experiments/_runs_table.html"

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "runs":
            return [self.partial_template_name]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        user, experiment = self.request.user, self.experiment
        available = selectors.experiment_run_keys(user=user, experiment=experiment)
        columns = remembered_columns(self.request, experiment, available)
        form = RunTableForm(self.request.GET or None)
        query = form.table_query(columns=columns)
        filter_error = ""
        try:
            runs = selectors.run_table_queryset(user=user, experiment=experiment, query=query)
        except ValueError as error:
            filter_error = str(error)
            runs = Run.objects.none()
        page_size = _page_size(self.request.GET.get("per_page"))
        page = Paginator(runs, page_size).get_page(self.request.GET.get("page"))
        rows = selectors.run_table_rows(user=user, runs=list(page.object_list), columns=columns)
        # One reverse() for the page instead of two per row (a 200-row page renders noticeably faster).
        pattern = reverse("experiments:run_detail", kwargs={"uuid": "RUN-ID"})
        for row in rows:
            row.url = pattern.replace("RUN-ID", row.run.uuid)
            row.parent_url = pattern.replace("RUN-ID", row.run.parent.uuid) if row.run.parent_id else ""
            # Cells formatted here once: the template only writes strings (fast at 200 rows x 30 columns).
            row.metric_cells = [
                (metric_value(value), "" if value is None else repr(value)) for value in row.metrics
            ]
            row.text_cells = [
                (clip(value, 40) if value is not None else "—", value or "")
                for value in row.params + row.tags
            ]
        filtered = bool(query.text or query.status or query.filter_string or query.lifecycle != "active")
        return super().get_context_data(
            experiment=experiment,
            active_tab="runs",
            can_change=selectors.experiment_user_may(user=user, experiment=experiment, action=Action.CHANGE),
            form=form,
            query=query,
            sort_token=query.sort.token,
            filter_error=filter_error,
            filtered=filtered,
            page_obj=page,
            page_sizes=RUN_PAGE_SIZES,
            page_size=page_size,
            rows=rows,
            columns=columns,
            available=available,
            chooser=_chooser(available, columns),
            tracking_uri=tracking_uri(self.request),
            train_url=training_url(experiment),
            token_url=reverse("account:token_list"),
            compare_url=reverse("experiments:run_compare"),
            **kwargs,
        )


def _chooser(available: dict[str, list[str]], columns: selectors.RunColumns) -> list[dict]:
    """The column chooser's groups: every available key, the chosen ones first in their order."""
    chosen = columns.as_dict()
    groups = []
    for kind, label in (("metrics", "Metrics"), ("params", "Parameters"), ("tags", "Tags")):
        picked = chosen[kind]
        rest = [key for key in available.get(kind, []) if key not in picked]
        groups.append(
            {
                "kind": kind,
                "label": label,
                "keys": [{"key": key, "checked": True} for key in picked]
                + [{"key": key, "checked": False} for key in rest],
                "count": len(picked) + len(rest),
            }
        )
    return groups


class ExperimentColumnsView(ExperimentMixin, View):
    """Save the column chooser's choice for this experiment (in the session), then show the table."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        experiment = self.experiment
        if request.POST.get("reset"):
            remember_columns(request, experiment, None)
        else:
            # What the chooser offered: the recent runs' keys and the columns already shown.
            available = selectors.experiment_run_keys(user=request.user, experiment=experiment)
            current = remembered_columns(request, experiment, available).as_dict()
            offered = {kind: [*available[kind], *current[kind]] for kind in available}
            form = RunColumnsForm(request.POST, available=offered)
            if form.is_valid():
                remember_columns(request, experiment, form.columns())
            else:
                messages.error(request, "Some of the chosen columns no longer exist; pick them again.")
        back = request.POST.get("next", "")
        target = experiment.get_absolute_url()
        if back.startswith("?") and len(back) < 2000:
            target += back
        return redirect(target)


class ExperimentRunsExportView(ExperimentMixin, View):
    """The filtered runs table (every page, the chosen columns) as CSV."""

    def get(self, request, *args, **kwargs):
        user, experiment = request.user, self.experiment
        available = selectors.experiment_run_keys(user=user, experiment=experiment)
        columns = remembered_columns(request, experiment, available)
        query = RunTableForm(request.GET or None).table_query(columns=columns)
        try:
            selectors.run_table_queryset(user=user, experiment=experiment, query=query)
        except ValueError as error:
            messages.error(request, f"Filter: {error}")
            return redirect(experiment)
        rows = selectors.run_table_export(user=user, experiment=experiment, query=query)

        def lines():
            yield [
                "run_id",
                "name",
                "status",
                "user",
                "start_time",
                "duration_s",
                "parent_run_id",
                *[f"metrics.{key}" for key in columns.metrics],
                *[f"params.{key}" for key in columns.params],
                *[f"tags.{key}" for key in columns.tags],
            ]
            for row in rows:
                run = row.run
                start = selectors.ms_to_datetime(run.start_time)
                duration = (run.end_time - run.start_time) / 1000 if run.end_time and run.start_time else ""
                yield [
                    run.uuid,
                    run.name,
                    run.status,
                    run.user_name or (run.user.get_username() if run.user else ""),
                    start.isoformat(timespec="seconds") if start else "",
                    duration,
                    run.parent.uuid if run.parent else "",
                    *["NaN" if value != value else ("" if value is None else value) for value in row.metrics],
                    *["" if value is None else value for value in row.params],
                    *["" if value is None else value for value in row.tags],
                ]

        return csv_response(lines(), name=f"{experiment.name}-runs")
