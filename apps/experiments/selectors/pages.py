"""Reads for the experiment and run pages: every query starts from `restrict(user, action)`.

The runs table pivots the chosen metric, param and tag columns onto one page of runs with one
query per kind filtered to the page's run ids, so a page costs the same number of queries
whatever its size and however many columns are shown.
"""

from __future__ import annotations

import math
import posixpath
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.apps import apps
from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from apps.core.permissions import Action, Role
from apps.core.querysets import member_team_ids
from apps.experiments.errors import TrackingError
from apps.experiments.models import (
    Artifact,
    Experiment,
    ExperimentTag,
    LatestMetric,
    LifecycleStage,
    LoggedModel,
    Metric,
    Param,
    Run,
    RunInput,
    RunStatus,
    RunTag,
)
from apps.experiments.search import parse_filter
from apps.experiments.selectors.tracking import run_clause_q

# --- experiments --------------------------------------------------------------------------------

EXPERIMENT_SORTS: dict[str, tuple[Any, ...]] = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "team": ("team__name", "name", "id"),
    "-team": ("-team__name", "name", "id"),
    "runs": ("run_count", "name", "id"),
    "-runs": ("-run_count", "name", "id"),
    "last_run": (F("last_run_start").asc(nulls_first=True), "name", "id"),
    "-last_run": (F("last_run_start").desc(nulls_last=True), "name", "id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
DEFAULT_EXPERIMENT_SORT = "name"
LIFECYCLE_CHOICES = [
    (LifecycleStage.ACTIVE, "Active"),
    (LifecycleStage.DELETED, "Deleted"),
    ("all", "All"),
]


def _lifecycle_filter(queryset: QuerySet, lifecycle: str) -> QuerySet:
    if lifecycle == "all":
        return queryset
    if lifecycle == LifecycleStage.DELETED:
        return queryset.filter(lifecycle_stage=LifecycleStage.DELETED)
    return queryset.filter(lifecycle_stage=LifecycleStage.ACTIVE)


def experiment_list(
    *,
    user,
    team=None,
    text: str = "",
    lifecycle: str = LifecycleStage.ACTIVE,
    sort: str = DEFAULT_EXPERIMENT_SORT,
) -> QuerySet[Experiment]:
    """Experiments `user` may see with their active run count and last run start, filtered and sorted."""
    active_runs = Run.objects.filter(experiment=OuterRef("pk"), lifecycle_stage=LifecycleStage.ACTIVE)
    experiments = (
        Experiment.objects.restrict(user, Action.VIEW)
        .select_related("team")
        .annotate(
            run_count=Coalesce(
                Subquery(
                    active_runs.order_by().values("experiment").annotate(n=Count("pk")).values("n")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            ),
            last_run_start=Subquery(
                active_runs.order_by()
                .values("experiment")
                .annotate(last=Max("start_time"))
                .values("last")[:1]
            ),
        )
    )
    experiments = _lifecycle_filter(experiments, lifecycle)
    if team is not None:
        experiments = experiments.filter(team=team)
    text = (text or "").strip()
    if text:
        experiments = experiments.filter(Q(name__icontains=text) | Q(description__icontains=text))
    return experiments.order_by(*EXPERIMENT_SORTS.get(sort, EXPERIMENT_SORTS[DEFAULT_EXPERIMENT_SORT]))


def experiment_get(*, user, pk, action: str = Action.VIEW) -> Experiment:
    """The experiment if `user` may see it, else 404 (never 403: no existence leak)."""
    experiment = (
        Experiment.objects.restrict(user, action).select_related("team", "created_by").filter(pk=pk).first()
    )
    if experiment is None:
        raise Http404("No such experiment.")
    return experiment


def experiment_user_may(*, user, experiment: Experiment, action: str) -> bool:
    """Whether `user` may take `action` on an experiment they can already see (one query)."""
    return Experiment.objects.restrict(user, action).filter(pk=experiment.pk).exists()


def experiment_creatable_teams(*, user) -> QuerySet:
    """Teams in which `user` may create experiments."""
    team_model = apps.get_model("teams", "Team")
    if user.is_superuser:
        return team_model.objects.order_by("name")
    return team_model.objects.filter(pk__in=member_team_ids(user, Action.ADD)).order_by("name")


def experiment_owners(*, experiment: Experiment) -> list:
    """The owning team's data officers: the people to ask about this experiment."""
    membership_model = apps.get_model("teams", "Membership")
    return list(
        membership_model.objects.filter(team_id=experiment.team_id, role=Role.DATA_OFFICER)
        .select_related("user")
        .order_by("user__username")
    )


def experiment_summary(*, user, experiment: Experiment) -> dict[str, Any]:
    """Key figures for the experiment's side panel: runs by status, last run, tags (two queries)."""
    runs = Run.objects.restrict(user, Action.VIEW).filter(
        experiment=experiment, lifecycle_stage=LifecycleStage.ACTIVE
    )
    by_status = dict(runs.order_by().values_list("status").annotate(n=Count("pk")))
    last = runs.order_by().aggregate(last=Max("start_time"))["last"]
    tags = list(
        ExperimentTag.objects.restrict(user, Action.VIEW)
        .filter(experiment=experiment)
        .exclude(key__startswith="mlflow.")
        .order_by("key")
    )
    return {
        "run_count": sum(by_status.values()),
        "by_status": [
            (status, label, by_status[status]) for status, label in RunStatus.choices if status in by_status
        ],
        "last_run": ms_to_datetime(last),
        "tags": tags,
    }


# --- run table ----------------------------------------------------------------------------------

ATTRIBUTE_SORTS: dict[str, str] = {
    "start_time": "start_time",
    "name": "name",
    "status": "status",
    "duration": "duration",
    "user": "user_name",
}
DEFAULT_RUN_SORT = "-start_time"
KEY_KINDS = ("metrics", "params", "tags")
MAX_COLUMNS_PER_KIND = 30
DEFAULT_METRIC_COLUMNS = 4
DEFAULT_PARAM_COLUMNS = 3
KEY_SAMPLE_RUNS = 300  # newest runs whose keys the column chooser offers


@dataclass(frozen=True)
class RunColumns:
    """Which metric, param and tag keys the runs table shows (in order)."""

    metrics: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        return {"metrics": list(self.metrics), "params": list(self.params), "tags": list(self.tags)}

    @classmethod
    def from_dict(cls, data: dict | None, *, available: dict[str, list[str]] | None = None) -> RunColumns:
        """Columns from stored or posted data, keeping only known keys (when `available` is given)."""
        data = data if isinstance(data, dict) else {}
        chosen = {}
        for kind in KEY_KINDS:
            keys = data.get(kind) or []
            keys = [str(key) for key in keys if isinstance(key, str) and key][:MAX_COLUMNS_PER_KIND]
            if available is not None:
                known = set(available.get(kind, []))
                keys = [key for key in keys if key in known]
            chosen[kind] = tuple(dict.fromkeys(keys))
        return cls(**chosen)


@dataclass(frozen=True)
class RunSort:
    """A runs-table order: an attribute, or a metric/param/tag key, ascending or descending."""

    kind: str  # "attribute", "metrics", "params" or "tags"
    key: str
    descending: bool

    @property
    def label(self) -> str:
        return self.key if self.kind == "attribute" else f"{self.kind}.{self.key}"

    @property
    def token(self) -> str:
        prefix = "" if self.kind == "attribute" else f"{self.kind}."
        return f"{'-' if self.descending else ''}{prefix}{self.key}"

    @classmethod
    def parse(cls, raw: str | None) -> RunSort:
        """`-metrics.rmse`, `params.alpha`, `start_time` …; anything else is the default order."""
        text = (raw or "").strip() or DEFAULT_RUN_SORT
        descending = text.startswith("-")
        text = text.lstrip("-")
        kind, _, key = text.partition(".")
        if kind in KEY_KINDS and key:
            return cls(kind=kind, key=key[:250], descending=descending)
        if text in ATTRIBUTE_SORTS:
            return cls(kind="attribute", key=text, descending=descending)
        return cls.parse(DEFAULT_RUN_SORT)


@dataclass
class RunTableQuery:
    """What the runs table shows: filters, order and columns."""

    text: str = ""
    status: str = ""
    lifecycle: str = LifecycleStage.ACTIVE
    sort: RunSort = field(default_factory=lambda: RunSort.parse(DEFAULT_RUN_SORT))
    columns: RunColumns = field(default_factory=RunColumns)
    filter_string: str = ""


@dataclass
class RunRow:
    """One row of the runs table: the run and its chosen column values, aligned with the columns."""

    run: Run
    metrics: list[float | None]
    params: list[str | None]
    tags: list[str | None]
    url: str = ""
    parent_url: str = ""

    @property
    def children_count(self) -> int:
        return getattr(self.run, "children_count", 0) or 0


def experiment_run_keys(
    *, user, experiment: Experiment, sample: int = KEY_SAMPLE_RUNS
) -> dict[str, list[str]]:
    """Metric, param and tag keys of the experiment's latest `sample` active runs, most used first.

    Three queries whose cost does not grow with the experiment: like MLflow's UI, the column
    chooser offers the keys of the runs people look at (the newest), not a scan of every run;
    a key only older runs have still works in a sort or filter, and stays chosen once chosen.
    MLflow's own system tags (`mlflow.*`) are left out: the table shows what they say (user,
    source, parent) in its own columns.
    """
    recent = (
        Run.objects.restrict(user, Action.VIEW)
        .filter(experiment=experiment, lifecycle_stage=LifecycleStage.ACTIVE)
        .order_by(F("start_time").desc(nulls_last=True), "-id")
        .values("pk")[:sample]
    )
    result: dict[str, list[str]] = {}
    for kind, model in (("metrics", LatestMetric), ("params", Param), ("tags", RunTag)):
        rows = model.objects.filter(run__in=recent)
        if kind == "tags":
            rows = rows.exclude(key__startswith="mlflow.")
        result[kind] = [
            key for key, _ in rows.order_by().values_list("key").annotate(n=Count("pk")).order_by("-n", "key")
        ]
    return result


def default_run_columns(available: dict[str, list[str]]) -> RunColumns:
    """The most used metrics and params (the chooser remembers anything else)."""
    return RunColumns(
        metrics=tuple(available.get("metrics", [])[:DEFAULT_METRIC_COLUMNS]),
        params=tuple(available.get("params", [])[:DEFAULT_PARAM_COLUMNS]),
        tags=(),
    )


def _value_subquery(kind: str, key: str) -> Subquery:
    if kind == "metrics":
        source = LatestMetric.objects.filter(run=OuterRef("pk"), key=key, is_nan=False)
    elif kind == "params":
        source = Param.objects.filter(run=OuterRef("pk"), key=key)
    else:
        source = RunTag.objects.filter(run=OuterRef("pk"), key=key)
    return Subquery(source.order_by().values("value")[:1])


def run_table_queryset(*, user, experiment: Experiment, query: RunTableQuery) -> QuerySet[Run]:
    """The experiment's runs `user` may see, filtered and ordered as the table asks (not yet paged)."""
    runs = (
        Run.objects.restrict(user, Action.VIEW)
        .filter(experiment=experiment)
        .select_related("user", "parent")
        .annotate(
            children_count=Coalesce(
                Subquery(
                    Run.objects.filter(parent=OuterRef("pk"))
                    .order_by()
                    .values("parent")
                    .annotate(n=Count("pk"))
                    .values("n")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            )
        )
    )
    runs = _lifecycle_filter(runs, query.lifecycle)
    if query.status in RunStatus.values:
        runs = runs.filter(status=query.status)
    text = (query.text or "").strip()
    if text:
        runs = runs.filter(Q(name__icontains=text) | Q(uuid__startswith=text.lower()))
    if query.filter_string.strip():
        runs = run_filter_apply(runs=runs, filter_string=query.filter_string)
    return runs.order_by(*_run_order(query.sort))


def run_filter_apply(*, runs: QuerySet[Run], filter_string: str) -> QuerySet[Run]:
    """Narrow `runs` with an MLflow search filter (`metrics.rmse < 1 and params.model = 'rf'`).

    The grammar and its translation are the tracking module's (`apps/experiments/search.py` and
    `selectors/tracking.py`), so the runs table accepts exactly what `mlflow.search_runs` accepts.
    A malformed filter raises `ValueError` with MLflow's message for the person who typed it.
    """
    try:
        clauses = parse_filter(filter_string)
    except TrackingError as error:
        raise ValueError(error.message) from error
    for clause in clauses:
        runs = runs.filter(run_clause_q(clause))
    return runs


def _run_order(sort: RunSort) -> list:
    if sort.kind == "attribute":
        if sort.key == "duration":
            expression = ExpressionWrapper(F("end_time") - F("start_time"), output_field=IntegerField())
        else:
            expression = F(ATTRIBUTE_SORTS[sort.key])
    else:
        expression = _value_subquery(sort.kind, sort.key)
    ordered = expression.desc(nulls_last=True) if sort.descending else expression.asc(nulls_last=True)
    tiebreak = [F("start_time").desc(nulls_last=True), "-id"]
    return [ordered, *tiebreak]


def run_table_rows(*, user, runs: Sequence[Run], columns: RunColumns) -> list[RunRow]:
    """Pivot the chosen columns onto `runs` (one page): one query per kind with columns, whatever the size."""
    run_ids = [run.pk for run in runs]
    values: dict[str, dict[tuple[int, str], Any]] = {kind: {} for kind in KEY_KINDS}
    if run_ids:
        for kind, model, keys in (
            ("metrics", LatestMetric, columns.metrics),
            ("params", Param, columns.params),
            ("tags", RunTag, columns.tags),
        ):
            if not keys:
                continue
            rows = model.objects.restrict(user, Action.VIEW).filter(run_id__in=run_ids, key__in=keys)
            fields = ("run_id", "key", "value", "is_nan") if kind == "metrics" else ("run_id", "key", "value")
            for row in rows.order_by().values_list(*fields):
                values[kind][(row[0], row[1])] = math.nan if kind == "metrics" and row[3] else row[2]
    return [
        RunRow(
            run=run,
            metrics=[values["metrics"].get((run.pk, key)) for key in columns.metrics],
            params=[values["params"].get((run.pk, key)) for key in columns.params],
            tags=[values["tags"].get((run.pk, key)) for key in columns.tags],
        )
        for run in runs
    ]


def run_table_export(
    *, user, experiment: Experiment, query: RunTableQuery, batch: int = 1000
) -> Iterable[RunRow]:
    """Every row of the filtered table in its order, pivoted in batches (for the CSV export)."""
    runs = run_table_queryset(user=user, experiment=experiment, query=query)
    ids = list(runs.values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        by_id = {run.pk: run for run in runs.filter(pk__in=chunk)}
        yield from run_table_rows(
            user=user, runs=[by_id[pk] for pk in chunk if pk in by_id], columns=query.columns
        )


# --- one run ------------------------------------------------------------------------------------


def run_get(*, user, uuid: str, action: str = Action.VIEW) -> Run:
    """The run if `user` may see its experiment, else 404."""
    run = (
        Run.objects.restrict(user, action)
        .select_related("experiment__team", "user", "parent", "reproduced_from")
        .filter(uuid=str(uuid)[:32])
        .first()
    )
    if run is None:
        raise Http404("No such run.")
    return run


def run_user_may(*, user, run: Run, action: str) -> bool:
    """Whether `user` may take `action` on a run they can see (decided on its experiment)."""
    return Experiment.objects.restrict(user, action).filter(pk=run.experiment_id).exists()


def run_children(*, user, run: Run, limit: int = 50) -> list[Run]:
    """The run's nested runs `user` may see (active first, newest first)."""
    return list(
        Run.objects.restrict(user, Action.VIEW)
        .filter(parent=run)
        .order_by("lifecycle_stage", F("start_time").desc(nulls_last=True), "-id")[:limit]
    )


def run_training_job(*, user, run: Run):
    """The job that trained the run, when `user` may see it."""
    if not run.training_job_id:
        return None
    job_model = apps.get_model("jobs", "Job")
    return job_model.objects.restrict(user, Action.VIEW).filter(pk=run.training_job_id).first()


def run_inputs(*, user, run: Run) -> list[dict[str, Any]]:
    """The datasets the run read, with a link to the catalog version when `user` may see it."""
    inputs = list(
        RunInput.objects.restrict(user, Action.VIEW).filter(run=run).select_related("dataset").order_by("id")
    )
    version_ids = {item.dataset.dataset_version_id for item in inputs if item.dataset.dataset_version_id}
    visible = {}
    if version_ids:
        version_model = apps.get_model("catalog", "DatasetVersion")
        visible = {
            version.pk: version
            for version in version_model.objects.restrict(user, Action.VIEW)
            .filter(pk__in=version_ids)
            .select_related("dataset")
        }
    return [
        {
            "name": item.dataset.name,
            "digest": item.dataset.digest,
            "context": item.context or (item.tags or {}).get("mlflow.data.context", ""),
            "source_type": item.dataset.source_type,
            "version": visible.get(item.dataset.dataset_version_id),
            "linked_but_hidden": bool(item.dataset.dataset_version_id)
            and item.dataset.dataset_version_id not in visible,
        }
        for item in inputs
    ]


def run_tags(*, user, run: Run) -> tuple[list[RunTag], list[RunTag]]:
    """The run's own tags and MLflow's system tags (`mlflow.*`), each sorted by key."""
    tags = list(RunTag.objects.restrict(user, Action.VIEW).filter(run=run).order_by("key"))
    return (
        [tag for tag in tags if not tag.key.startswith("mlflow.")],
        [tag for tag in tags if tag.key.startswith("mlflow.")],
    )


def run_params(*, user, run: Run) -> list[Param]:
    """Every param of the run, sorted by key."""
    return list(Param.objects.restrict(user, Action.VIEW).filter(run=run).order_by("key"))


def run_latest_metrics(*, user, run: Run) -> list[LatestMetric]:
    """The latest value of each metric of the run, sorted by key."""
    return list(LatestMetric.objects.restrict(user, Action.VIEW).filter(run=run).order_by("key"))


def run_logged_models(*, user, run: Run) -> list[LoggedModel]:
    """Models the run produced (MLflow 3 logged models), newest first."""
    return list(
        LoggedModel.objects.restrict(user, Action.VIEW)
        .filter(source_run=run)
        .exclude(lifecycle_stage=LifecycleStage.DELETED)
        .order_by("-created_at", "-id")
    )


MAX_POINTS_PER_SERIES = 2000


def _thin(points: list[tuple], limit: int = MAX_POINTS_PER_SERIES) -> list[tuple]:
    """At most `limit` points, evenly spaced, always keeping the last one (charts stay light)."""
    if len(points) <= limit:
        return points
    stride = math.ceil(len(points) / limit)
    thinned = points[::stride]
    if thinned[-1] is not points[-1]:
        thinned.append(points[-1])
    return thinned


def metric_histories(
    *, user, runs: Sequence[Run], keys: Iterable[str] | None = None, thin: bool = True
) -> dict[str, dict[int, list[tuple[int, float | None, int]]]]:
    """Metric series `{key: {run_id: [(step, value or None for NaN, timestamp), …]}}` in one query."""
    run_ids = [run.pk for run in runs]
    if not run_ids:
        return {}
    points = Metric.objects.restrict(user, Action.VIEW).filter(run_id__in=run_ids)
    if keys is not None:
        keys = list(keys)
        if not keys:
            return {}
        points = points.filter(key__in=keys)
    series: dict[str, dict[int, list[tuple]]] = defaultdict(lambda: defaultdict(list))
    for run_id, key, step, value, timestamp, is_nan in points.order_by(
        "key", "run_id", "step", "timestamp"
    ).values_list("run_id", "key", "step", "value", "timestamp", "is_nan"):
        series[key][run_id].append((step, None if is_nan else value, timestamp))
    if thin:
        for by_run in series.values():
            for run_id, values in by_run.items():
                by_run[run_id] = _thin(values)
    return {key: dict(by_run) for key, by_run in series.items()}


# --- artifacts ----------------------------------------------------------------------------------


@dataclass
class ArtifactEntry:
    """A file or a folder in the artifact browser."""

    name: str
    path: str
    is_dir: bool
    size: int = 0
    files: int = 0
    artifact: Artifact | None = None


def _clean_folder(folder: str) -> str:
    folder = posixpath.normpath("/" + (folder or "").strip().strip("/")).lstrip("/")
    return "" if folder in ("", ".") else folder


def run_artifact_listing(*, user, run: Run, folder: str = "") -> tuple[str, list[ArtifactEntry], int]:
    """The folder's direct children (folders first, with sizes) and the run's file count (one query)."""
    folder = _clean_folder(folder)
    prefix = f"{folder}/" if folder else ""
    artifacts = list(
        Artifact.objects.restrict(user, Action.VIEW)
        .filter(run=run)
        .only("id", "path", "size", "updated_at", "sha256")
        .order_by("path")
    )
    folders: dict[str, ArtifactEntry] = {}
    files: list[ArtifactEntry] = []
    for artifact in artifacts:
        if not artifact.path.startswith(prefix):
            continue
        rest = artifact.path[len(prefix) :]
        head, sep, _ = rest.partition("/")
        if sep:
            entry = folders.setdefault(head, ArtifactEntry(name=head, path=prefix + head, is_dir=True))
            entry.size += artifact.size
            entry.files += 1
        else:
            files.append(
                ArtifactEntry(
                    name=rest, path=artifact.path, is_dir=False, size=artifact.size, artifact=artifact
                )
            )
    return folder, [*sorted(folders.values(), key=lambda e: e.name), *files], len(artifacts)


def run_artifact_find(*, user, run: Run, path: str) -> Artifact | None:
    """One artifact of the run by its exact path, or None."""
    return Artifact.objects.restrict(user, Action.VIEW).filter(run=run, path=path).first()


def run_artifact_get(*, user, run: Run, path: str) -> Artifact:
    """One artifact of the run by its exact path, else 404."""
    artifact = run_artifact_find(user=user, run=run, path=path)
    if artifact is None:
        raise Http404("No such artifact.")
    return artifact


def run_plot_artifacts(*, user, run: Run) -> list[Artifact]:
    """The run's plotly figures (`*.plotly.json`), for the Overview and Artifacts tabs."""
    from apps.experiments.charts import PLOTLY_ARTIFACT_SUFFIX

    return list(
        Artifact.objects.restrict(user, Action.VIEW)
        .filter(run=run, path__iendswith=PLOTLY_ARTIFACT_SUFFIX)
        .order_by("path")
    )


# --- compare ------------------------------------------------------------------------------------

MAX_COMPARE_RUNS = 50


def runs_for_compare(*, user, uuids: Sequence[str]) -> list[Run]:
    """The runs among `uuids` that `user` may see, in the order asked; others silently dropped."""
    wanted = list(dict.fromkeys(str(uuid).strip().lower()[:32] for uuid in uuids if str(uuid).strip()))
    wanted = wanted[:MAX_COMPARE_RUNS]
    if not wanted:
        return []
    found = {
        run.uuid: run
        for run in Run.objects.restrict(user, Action.VIEW)
        .filter(uuid__in=wanted)
        .select_related("experiment__team", "user")
    }
    return [found[uuid] for uuid in wanted if uuid in found]


@dataclass
class CompareData:
    """Everything the compare view draws, as plain data."""

    runs: list[Run]
    params: dict[str, dict[int, str]]  # key -> run id -> value
    metrics: dict[str, dict[int, float | None]]  # key -> run id -> latest value (None for NaN)
    histories: dict[str, dict[int, list[tuple]]]


def compare_data(*, user, runs: Sequence[Run], history_keys: Iterable[str] | None = None) -> CompareData:
    """Params, latest metrics and metric histories of the runs (three queries)."""
    run_ids = [run.pk for run in runs]
    params: dict[str, dict[int, str]] = defaultdict(dict)
    metrics: dict[str, dict[int, float | None]] = defaultdict(dict)
    if run_ids:
        for run_id, key, value in (
            Param.objects.restrict(user, Action.VIEW)
            .filter(run_id__in=run_ids)
            .order_by("key")
            .values_list("run_id", "key", "value")
        ):
            params[key][run_id] = value
        for run_id, key, value, is_nan in (
            LatestMetric.objects.restrict(user, Action.VIEW)
            .filter(run_id__in=run_ids)
            .order_by("key")
            .values_list("run_id", "key", "value", "is_nan")
        ):
            metrics[key][run_id] = None if is_nan else value
    keys = sorted(metrics) if history_keys is None else [key for key in history_keys if key in metrics]
    histories = metric_histories(user=user, runs=runs, keys=keys)
    return CompareData(runs=list(runs), params=dict(params), metrics=dict(metrics), histories=histories)


# --- small helpers ------------------------------------------------------------------------------


def ms_to_datetime(ms: int | None) -> datetime | None:
    """Milliseconds since the epoch (MLflow's times) as an aware datetime."""
    if ms is None:
        return None
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
