"""Tracking reads: experiments and runs a user may see, MLflow's run search, metric history.

Every function starts from `restrict(user, action)`. An object the user cannot see is
RESOURCE_DOES_NOT_EXIST, exactly as a missing one; an object they can see but not change (for a
write) is PERMISSION_DENIED. Search filters and orderings become subqueries on LatestMetric,
Param, RunTag and RunInput (`apps/experiments/search.py` parses them): no run is filtered in
Python, and a page of runs is 6 queries whatever its size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery

from apps.core.db import instance_from_fields, prepared_cursor, statement_cache
from apps.core.permissions import Action, role_may, roles_allowed
from apps.experiments.errors import PERMISSION_DENIED, TrackingError, invalid, not_found
from apps.experiments.models import (
    Experiment,
    ExperimentTag,
    LatestMetric,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunInput,
    RunOutput,
    RunTag,
)
from apps.experiments.search import (
    ATTRIBUTE,
    DATASET,
    EXPERIMENTS,
    METRIC,
    PARAM,
    TAG,
    Clause,
    OrderBy,
    parse_filter,
    parse_order_by,
)
from apps.experiments.selectors.common import (
    experiment_pk,
    ms_to_datetime,
    numeric_lookup,
    numeric_q,
    page_token_decode,
    page_token_encode,
    results_limit,
    string_q,
)
from apps.teams.models import Membership

ACTIVE_ONLY, DELETED_ONLY, ALL = "ACTIVE_ONLY", "DELETED_ONLY", "ALL"
VIEW_TYPES = {ACTIVE_ONLY, DELETED_ONLY, ALL}
_VIEW_TYPE_NUMBERS = {1: ACTIVE_ONLY, 2: DELETED_ONLY, 3: ALL}
SEARCH_MAX_RESULTS_DEFAULT = 1000
SEARCH_MAX_RESULTS_THRESHOLD = 50000
EXPERIMENTS_MAX_RESULTS_DEFAULT = 1000
EXPERIMENTS_MAX_RESULTS_THRESHOLD = 50000
METRIC_HISTORY_MAX_RESULTS = 25000

RUN_ATTRIBUTE_FIELDS = {
    "run_id": "uuid",
    "run_name": "name",
    "status": "status",
    "user_id": "user_name",
    "artifact_uri": "artifact_uri",
    "start_time": "start_time",
    "end_time": "end_time",
}
EXPERIMENT_ATTRIBUTE_FIELDS = {
    "name": "name",
    "experiment_id": "pk",
    "creation_time": "created_at",
    "last_update_time": "updated_at",
}


def view_type_parse(value) -> str:
    """MLflow's ViewType from its JSON (a name such as "ACTIVE_ONLY" or its number); default ACTIVE_ONLY."""
    if value in (None, ""):
        return ACTIVE_ONLY
    if isinstance(value, int) and value in _VIEW_TYPE_NUMBERS:
        return _VIEW_TYPE_NUMBERS[value]
    if isinstance(value, str):
        if value.isdigit() and int(value) in _VIEW_TYPE_NUMBERS:
            return _VIEW_TYPE_NUMBERS[int(value)]
        if value.upper() in VIEW_TYPES:
            return value.upper()
    raise invalid(
        f"Invalid value {json.dumps(value)} for parameter 'view_type': expected one of {sorted(VIEW_TYPES)}."
    )


def _stage_filter(view_type: str) -> Q:
    if view_type == ACTIVE_ONLY:
        return Q(lifecycle_stage=LifecycleStage.ACTIVE)
    if view_type == DELETED_ONLY:
        return Q(lifecycle_stage=LifecycleStage.DELETED)
    return Q()


# --- experiments -----------------------------------------------------------------------------------
def _with_permission(queryset: QuerySet, model, user, action: str) -> QuerySet:
    if action == Action.VIEW:
        return queryset
    return queryset.annotate(
        action_allowed=Exists(model.objects.restrict(user, action).filter(pk=OuterRef("pk")))
    )


def _check_permission(obj, action: str, what: str) -> None:
    if action != Action.VIEW and not getattr(obj, "action_allowed", True):
        raise TrackingError(f"You may view but not change {what}.", PERMISSION_DENIED)


def experiment_get(*, user, experiment_id, action: str = Action.VIEW) -> Experiment:
    """The experiment `experiment_id` if `user` may see it (and take `action` on it)."""
    pk = experiment_pk(experiment_id)
    queryset = Experiment.objects.restrict(user, Action.VIEW).filter(pk=pk).select_related("team")
    experiment = _with_permission(queryset, Experiment, user, action).first()
    if experiment is None:
        raise not_found(f"No Experiment with id={experiment_id} exists")
    _check_permission(experiment, action, f"experiment {experiment.pk}")
    return experiment


def experiment_get_by_name(*, user, name: str, action: str = Action.VIEW) -> Experiment:
    """The experiment named `name` among those `user` sees, their own teams' first (then by team name)."""
    if not name:
        raise invalid("Missing value for required parameter 'experiment_name'.")
    candidates = (
        Experiment.objects.restrict(user, Action.VIEW)
        .filter(name=name)
        .select_related("team")
        .annotate(own=Exists(Membership.objects.filter(user_id=user.pk, team_id=OuterRef("team_id"))))
        .order_by(F("own").desc(), "team__name", "pk")
    )
    experiment = _with_permission(candidates, Experiment, user, action).first()
    if experiment is None:
        raise not_found(f"Could not find experiment with name '{name}'")
    _check_permission(experiment, action, f"experiment {experiment.pk}")
    return experiment


def experiment_prefetch(queryset: QuerySet) -> QuerySet:
    """Experiments with what their MLflow JSON shows (tags), one extra query per page."""
    return queryset.prefetch_related(Prefetch("tags", queryset=ExperimentTag.objects.order_by("key")))


def _experiment_clause_q(clause: Clause) -> Q:
    if clause.kind == TAG:
        return _key_value_q(ExperimentTag, "experiment_id", clause)
    field = EXPERIMENT_ATTRIBUTE_FIELDS[clause.key]
    if clause.key in {"creation_time", "last_update_time"}:
        return numeric_q(field, clause.comparator, ms_to_datetime(clause.value))
    if clause.key == "experiment_id":
        if clause.comparator not in {"=", "!=", "IN", "NOT IN"}:
            raise invalid("experiment_id supports =, !=, IN and NOT IN only.")
        values = clause.value if isinstance(clause.value, tuple) else (clause.value,)
        ids = [int(value) for value in values if str(value).isdigit()]
        if clause.comparator in {"=", "IN"}:
            return Q(pk__in=ids)
        return ~Q(pk__in=ids)
    return string_q(field, clause.comparator, clause.value)


def experiments_search(
    *,
    user,
    view_type=ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str = "",
    order_by: list[str] | None = None,
    page_token: str | None = None,
) -> tuple[list[Experiment], str | None]:
    """MLflow's search_experiments over the experiments `user` sees; returns a page and the next token."""
    view_type = view_type_parse(view_type)
    limit = results_limit(
        max_results, default=EXPERIMENTS_MAX_RESULTS_DEFAULT, threshold=EXPERIMENTS_MAX_RESULTS_THRESHOLD
    )
    offset = page_token_decode(page_token)
    clauses = parse_filter(filter_string, EXPERIMENTS)
    terms = parse_order_by(order_by, EXPERIMENTS)
    queryset = Experiment.objects.restrict(user, Action.VIEW).filter(_stage_filter(view_type))
    for clause in clauses:
        queryset = queryset.filter(_experiment_clause_q(clause))
    ordering = []
    for term in terms:
        if term.kind != ATTRIBUTE:
            raise invalid(
                f"Invalid order_by entity '{term.kind}': experiments are ordered by attributes only."
            )
        expression = F(EXPERIMENT_ATTRIBUTE_FIELDS[term.key])
        ordering.append(expression.asc() if term.ascending else expression.desc())
    ordering += [F("created_at").desc(), F("pk").asc()]
    page = list(experiment_prefetch(queryset.order_by(*ordering))[offset : offset + limit + 1])
    next_token = page_token_encode(offset + limit) if len(page) > limit else None
    return page[:limit], next_token


# --- runs --------------------------------------------------------------------------------------------
def run_prefetch(queryset: QuerySet) -> QuerySet:
    """Runs with everything their MLflow JSON shows: 5 extra queries for any number of runs."""
    return queryset.prefetch_related(
        Prefetch("latest_metrics", queryset=LatestMetric.objects.order_by("key")),
        Prefetch("params", queryset=Param.objects.order_by("key")),
        Prefetch("tags", queryset=RunTag.objects.order_by("key")),
        Prefetch("inputs", queryset=RunInput.objects.select_related("dataset").order_by("id")),
        Prefetch("outputs", queryset=RunOutput.objects.select_related("logged_model").order_by("id")),
    )


def _experiment_allows(
    user, experiment_id: int, team_id: int, visibility: str, role: str | None, action: str
) -> bool:
    """The restrict rule for one experiment, deciding the common cases without a query.

    Superusers, members whose role allows `action`, and viewers of an internal experiment are
    allowed at once; anyone else is asked of `restrict` itself (explicit grants), so the answer is
    always exactly the rule's.
    """
    if user.is_superuser:
        return True
    if role is not None and role_may(role, action):
        return True
    if action == Action.VIEW and visibility == "internal":
        return True
    return Experiment.objects.restrict(user, action).filter(pk=experiment_id).exists()


# The run named by an SQL parameter, its experiment's team and visibility, and the role in that team
# of the caller, a row `u` of the FROM clause the joins are added to: the statement that reads the
# run for the hot paths (`run_get_for_logging`), and the one that also checks the caller's token
# (apps.mlflow_api.auth.token_user_with_run). `run_for_logging` decides on the row.
RUN_ACCESS_COLUMNS = (
    "r.id, r.uuid, r.name, r.lifecycle_stage, r.experiment_id, e.team_id, e.visibility, m.role"
)
RUN_ACCESS_WIDTH = len(RUN_ACCESS_COLUMNS.split(","))  # a statement may add columns after these


@statement_cache
def run_access_joins() -> str:
    """LEFT JOINs adding the run (`r`, its MLflow id the statement's next parameter), its experiment
    (`e`) and the membership (`m`) of `u.id` in the experiment's team to a FROM clause holding `u`."""
    quote = connection.ops.quote_name
    return (
        f"LEFT JOIN {quote(Run._meta.db_table)} r ON r.uuid = %s "
        f"LEFT JOIN {quote(Experiment._meta.db_table)} e ON e.id = r.experiment_id "
        f"LEFT JOIN {quote(Membership._meta.db_table)} m ON m.team_id = e.team_id AND m.user_id = u.id"
    )


@statement_cache
def run_change_guard_sql() -> str:
    """A condition on a row of `run_access_joins` (and its caller `u`) that holds only where
    `run_for_logging(action=CHANGE)` lets the caller change the run and the run takes writes: an
    active run, and a superuser or a member of the run's team whose role may change its assets.

    It is the rule's common cases only, never more: what the rule decides with a query (explicit
    grants) is false here, and is decided by `run_for_logging` as ever. A statement may write to
    the run under this condition in the same round trip as it reads the row (see
    apps.mlflow_api.auth.token_user_with_run_logging).
    """
    quote = connection.ops.quote_name
    roles = roles_allowed(Action.CHANGE)
    if not all(role.isidentifier() and role.islower() for role in roles + [LifecycleStage.ACTIVE]):
        raise ValueError("Roles and stages are written into the statement: plain lower-case names only.")
    listed = ", ".join(f"'{role}'" for role in roles)
    return (
        f"COALESCE(r.lifecycle_stage = '{LifecycleStage.ACTIVE}' "
        f"AND (u.{quote('is_superuser')} OR m.role IN ({listed})), FALSE)"
    )


def run_id_plausible(run_id) -> bool:
    return bool(run_id) and isinstance(run_id, str) and len(run_id) <= 64


@statement_cache
def _run_access_sql() -> str:
    return f"SELECT {RUN_ACCESS_COLUMNS} FROM (SELECT %s AS id) u {run_access_joins()}"  # noqa: S608 - names from the models


def run_get_for_logging(*, user, run_id: str, action: str = Action.CHANGE) -> Run:
    """`run_get` for the hot paths (log-metric, log-batch, history): one plain query, no ORM compiling.

    The run comes back with only id, uuid, name, lifecycle stage and experiment id loaded (the rest
    loads on access); permissions are `restrict`'s (see `_experiment_allows`).
    """
    if not run_id_plausible(run_id) or not user.is_authenticated:
        raise not_found(f"Run with id={run_id} not found")
    with prepared_cursor() as cursor:
        cursor.execute(_run_access_sql(), [user.pk, run_id])
        row = cursor.fetchone()
    return run_for_logging(user=user, run_id=run_id, row=row, action=action)


def run_for_logging(*, user, run_id: str, row: tuple | None, action: str = Action.CHANGE) -> Run:
    """The run of a row starting with RUN_ACCESS_COLUMNS if `user` may take `action` on it; raises otherwise:
    RESOURCE_DOES_NOT_EXIST when there is no such run or the user may not see it."""
    if row is None or row[0] is None or not user.is_active:
        raise not_found(f"Run with id={run_id} not found")
    pk, uuid, name, stage, experiment_id, team_id, visibility, role = row[:RUN_ACCESS_WIDTH]
    if not _experiment_allows(user, experiment_id, team_id, visibility, role, Action.VIEW):
        raise not_found(f"Run with id={run_id} not found")
    if action != Action.VIEW and not _experiment_allows(
        user, experiment_id, team_id, visibility, role, action
    ):
        raise TrackingError(f"You may view but not change run {run_id}.", PERMISSION_DENIED)
    loaded = {"id": pk, "uuid": uuid, "name": name, "lifecycle_stage": stage, "experiment_id": experiment_id}
    return instance_from_fields(Run, loaded)


def run_get(*, user, run_id: str, action: str = Action.VIEW, prefetch: bool = False) -> Run:
    """The run `run_id` (its MLflow id) if `user` may see it (and take `action` on its experiment)."""
    if not run_id or not isinstance(run_id, str) or len(run_id) > 64:
        raise not_found(f"Run with id={run_id} not found")
    queryset = Run.objects.filter(
        uuid=run_id, experiment__in=Experiment.objects.restrict(user, Action.VIEW).values("pk")
    ).select_related("experiment")
    if action != Action.VIEW:
        queryset = queryset.annotate(
            action_allowed=Exists(
                Experiment.objects.restrict(user, action).filter(pk=OuterRef("experiment_id"))
            )
        )
    if prefetch:
        queryset = run_prefetch(queryset)
    run = queryset.first()
    if run is None:
        raise not_found(f"Run with id={run_id} not found")
    _check_permission(run, action, f"run {run_id}")
    return run


def _key_value_q(model, owner_field: str, clause: Clause) -> Q:
    """Exists/not exists of a key/value row (param, tag) matching the clause, for the outer row."""
    rows = model.objects.filter(**{owner_field: OuterRef("pk"), "key": clause.key})
    if clause.comparator == "IS NULL":
        return ~Q(Exists(rows))
    if clause.comparator == "IS NOT NULL":
        return Q(Exists(rows))
    return Q(Exists(rows.filter(string_q("value", clause.comparator, clause.value))))


def _metric_q(clause: Clause) -> Q:
    rows = LatestMetric.objects.filter(run_id=OuterRef("pk"), key=clause.key)
    value = float(clause.value)
    if clause.comparator == "!=":
        condition = Q(is_nan=True) | ~Q(value=value)
    else:
        condition = Q(is_nan=False, **{f"value__{numeric_lookup(clause.comparator)}": value})
    return Q(Exists(rows.filter(condition)))


def _dataset_q(clause: Clause) -> Q:
    field = "context" if clause.key == "context" else f"dataset__{clause.key}"
    return Q(
        Exists(
            RunInput.objects.filter(run_id=OuterRef("pk")).filter(
                string_q(field, clause.comparator, clause.value)
            )
        )
    )


def run_clause_q(clause: Clause) -> Q:
    """One parsed filter clause as a Q on Run (subqueries for metrics, params, tags, datasets)."""
    if clause.kind == METRIC:
        return _metric_q(clause)
    if clause.kind == PARAM:
        return _key_value_q(Param, "run_id", clause)
    if clause.kind == TAG:
        return _key_value_q(RunTag, "run_id", clause)
    if clause.kind == DATASET:
        return _dataset_q(clause)
    field = RUN_ATTRIBUTE_FIELDS[clause.key]
    if clause.key in {"start_time", "end_time"}:
        return numeric_q(field, clause.comparator, clause.value)
    return string_q(field, clause.comparator, clause.value)


def run_order_expressions(terms: list[OrderBy]) -> tuple[dict, list]:
    """Annotations and ORDER BY expressions for order-by terms (missing values last, as MLflow)."""
    annotations, ordering = {}, []
    for index, term in enumerate(terms):
        if term.kind == ATTRIBUTE:
            expression = F(RUN_ATTRIBUTE_FIELDS[term.key])
        else:
            name = f"order_{index}"
            model = {METRIC: LatestMetric, PARAM: Param, TAG: RunTag}[term.kind]
            annotations[name] = Subquery(
                model.objects.filter(run_id=OuterRef("pk"), key=term.key).values("value")[:1]
            )
            expression = F(name)
        ordering.append(
            expression.asc(nulls_last=True) if term.ascending else expression.desc(nulls_last=True)
        )
    return annotations, ordering


def runs_queryset(
    *,
    user,
    experiment_ids: list,
    filter_string: str = "",
    order_by: list[str] | None = None,
    run_view_type=ACTIVE_ONLY,
) -> QuerySet:
    """The ordered, filtered runs of the given experiments that `user` may see (not yet sliced)."""
    view_type = view_type_parse(run_view_type)
    ids = [experiment_pk(value) for value in experiment_ids]
    clauses = parse_filter(filter_string)
    terms = parse_order_by(order_by)
    visible = Experiment.objects.restrict(user, Action.VIEW).filter(pk__in=ids).values("pk")
    queryset = Run.objects.filter(experiment__in=visible).filter(_stage_filter(view_type))
    for clause in clauses:
        queryset = queryset.filter(run_clause_q(clause))
    annotations, ordering = run_order_expressions(terms)
    if annotations:
        queryset = queryset.annotate(**annotations)
    keys = {(term.kind, term.key) for term in terms}
    if (ATTRIBUTE, "start_time") not in keys:
        ordering.append(F("start_time").desc(nulls_last=True))
    if (ATTRIBUTE, "run_id") not in keys:
        ordering.append(F("uuid").asc())
    return queryset.order_by(*ordering)


@dataclass
class RunParts:
    """What a run's MLflow JSON shows besides its own row, as plain tuples (see `run_parts`)."""

    metrics: list[tuple] = field(default_factory=list)  # (key, value, timestamp, step, is_nan)
    params: list[tuple] = field(default_factory=list)  # (key, value)
    tags: list[tuple] = field(default_factory=list)  # (key, value)
    inputs: list[tuple] = field(
        default_factory=list
    )  # (tags, name, digest, source_type, source, schema, profile)
    outputs: list[tuple] = field(default_factory=list)  # (model_id, step)


def _run_ids_condition(column: str, run_pks: list[int]) -> tuple[str, list]:
    """`column` among `run_pks`: one array parameter on PostgreSQL, so the statement's text is the
    same for every page (psycopg converts it once per connection); an IN list elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(run_pks)]
    return f"{column} IN ({', '.join(['%s'] * len(run_pks))})", list(run_pks)


def run_parts_of_new_run(run: Run) -> RunParts:
    """The parts of a run just created: its tags, and nothing else yet (no metrics, params, inputs
    or outputs); one statement where `run_parts` takes five."""
    return RunParts(tags=list(RunTag.objects.filter(run=run).order_by("key").values_list("key", "value")))


def run_parts(run_pks: list[int]) -> dict[int, RunParts]:
    """Latest metrics, params, tags, inputs and outputs of these runs: five plain statements in all.

    For pages of runs served to the MLflow client, where building five prefetch querysets and a
    model instance per row cost more than reading them.
    """
    parts = {pk: RunParts() for pk in run_pks}
    if not run_pks:
        return parts
    quote = connection.ops.quote_name
    plain, plain_params = _run_ids_condition("run_id", run_pks)
    joined, joined_params = _run_ids_condition("x.run_id", run_pks)
    dataset_table = quote(RunInput._meta.get_field("dataset").related_model._meta.db_table)
    model_table = quote(RunOutput._meta.get_field("logged_model").related_model._meta.db_table)
    statements = {
        "metrics": (
            f"SELECT run_id, {quote('key')}, {quote('value')}, {quote('timestamp')}, step, is_nan "  # noqa: S608
            f"FROM {quote(LatestMetric._meta.db_table)} WHERE {plain} ORDER BY {quote('key')}",
            plain_params,
        ),
        "params": (
            f"SELECT run_id, {quote('key')}, {quote('value')} FROM {quote(Param._meta.db_table)} "  # noqa: S608
            f"WHERE {plain} ORDER BY {quote('key')}",
            plain_params,
        ),
        "tags": (
            f"SELECT run_id, {quote('key')}, {quote('value')} FROM {quote(RunTag._meta.db_table)} "  # noqa: S608
            f"WHERE {plain} ORDER BY {quote('key')}",
            plain_params,
        ),
        "inputs": (
            f"SELECT x.run_id, x.tags, d.name, d.digest, d.source_type, d.source, d.{quote('schema')}, "  # noqa: S608
            f"d.profile FROM {quote(RunInput._meta.db_table)} x JOIN {dataset_table} d "
            f"ON d.id = x.dataset_id WHERE {joined} ORDER BY x.id",
            joined_params,
        ),
        "outputs": (
            f"SELECT x.run_id, m.model_id, x.step FROM {quote(RunOutput._meta.db_table)} x "  # noqa: S608
            f"JOIN {model_table} m ON m.id = x.logged_model_id WHERE {joined} ORDER BY x.id",
            joined_params,
        ),
    }
    with prepared_cursor() as cursor:  # the same five texts for every page: planned once
        for name, (sql, params) in statements.items():
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                rest = row[1:]
                if name == "metrics":
                    rest = (*rest[:4], bool(rest[4]))
                elif name == "inputs" and isinstance(rest[0], str):
                    rest = (json.loads(rest[0] or "{}"), *rest[1:])
                getattr(parts[row[0]], name).append(rest)
    return parts


class RunInfoRow(NamedTuple):
    """A run's `RunInfo` columns, as a search page served to the MLflow client reads them."""

    pk: int
    uuid: str
    name: str
    experiment_id: int
    user_name: str
    status: str
    start_time: int | None
    end_time: int | None
    lifecycle_stage: str
    artifact_uri: str


@dataclass
class RunPage:
    runs: list  # of Run, or of RunInfoRow with `parts`
    next_page_token: str | None
    parts: dict[int, RunParts] | None = None


# Compiled search statements, by everything their SQL depends on. The permission rule stays in
# the SQL (subqueries on memberships and grants, evaluated at every execution) and the user's
# flags are in the key, so a cached statement never answers with stale permissions: this caches
# the work of building and compiling the ORM query (~7 ms a page), never a result. Bounded.
_RUN_PAGE_STATEMENTS: dict[tuple, tuple[str, tuple] | None] = {}
RUN_PAGE_STATEMENTS_KEPT = 512


def _run_page_statement(
    *,
    user,
    experiment_ids: list,
    filter_string: str,
    order_by: list[str],
    view_type: str,
    offset: int,
    limit: int,
) -> tuple[str, tuple] | None:
    """The SQL and parameters of one page of `RunInfoRow`s (limit + 1 rows); None: nothing visible."""
    key = (
        user.pk, user.is_authenticated, user.is_active, user.is_superuser, tuple(map(str, experiment_ids)),
        filter_string, tuple(order_by), view_type, offset, limit,
    )  # fmt: skip
    if key in _RUN_PAGE_STATEMENTS:
        return _RUN_PAGE_STATEMENTS[key]
    queryset = runs_queryset(
        user=user,
        experiment_ids=experiment_ids,
        filter_string=filter_string,
        order_by=order_by,
        run_view_type=view_type,
    ).values_list(*RunInfoRow._fields)[offset : offset + limit + 1]
    try:
        sql, params = queryset.query.sql_with_params()
        statement = (sql, tuple(params))
    except EmptyResultSet:  # restrict gave nothing to search (an inactive or anonymous user)
        statement = None
    if len(_RUN_PAGE_STATEMENTS) >= RUN_PAGE_STATEMENTS_KEPT:
        _RUN_PAGE_STATEMENTS.clear()
    _RUN_PAGE_STATEMENTS[key] = statement
    return statement


def _run_info_rows(statement: tuple[str, tuple] | None) -> list[RunInfoRow]:
    if statement is None:
        return []
    width = len(RunInfoRow._fields)
    with prepared_cursor() as cursor:  # a client paging through a search plans it once
        cursor.execute(statement[0], list(statement[1]))
        return [RunInfoRow(*row[:width]) for row in cursor.fetchall()]


def runs_search(
    *,
    user,
    experiment_ids: list,
    filter_string: str = "",
    order_by: list[str] | None = None,
    run_view_type=ACTIVE_ONLY,
    max_results: int | None = None,
    page_token: str | None = None,
    with_parts: bool = False,
) -> RunPage:
    """MLflow's search_runs: a page of runs (with metrics, params, tags, inputs) and the next token.

    The runs come with their relations prefetched, or, with `with_parts`, as `RunInfoRow`s with
    `RunPage.parts` holding the rest as plain tuples (for the MLflow API, which only serializes
    them; its statement is compiled once per distinct search, see `_run_page_statement`).
    """
    limit = results_limit(
        max_results, default=SEARCH_MAX_RESULTS_DEFAULT, threshold=SEARCH_MAX_RESULTS_THRESHOLD
    )
    offset = page_token_decode(page_token)
    if not experiment_ids:
        return RunPage([], None, {} if with_parts else None)
    if with_parts:
        statement = _run_page_statement(
            user=user,
            experiment_ids=experiment_ids,
            filter_string=filter_string or "",
            order_by=list(order_by or []),
            view_type=view_type_parse(run_view_type),
            offset=offset,
            limit=limit,
        )
        page = _run_info_rows(statement)
    else:
        queryset = runs_queryset(
            user=user,
            experiment_ids=experiment_ids,
            filter_string=filter_string,
            order_by=order_by,
            run_view_type=run_view_type,
        )
        page = list(run_prefetch(queryset)[offset : offset + limit + 1])
    next_token = page_token_encode(offset + limit) if len(page) > limit else None
    runs = page[:limit]
    return RunPage(runs, next_token, run_parts([run.pk for run in runs]) if with_parts else None)


# --- metric history ---------------------------------------------------------------------------------
def metric_history(
    *, run: Run, key: str, max_results: int | None = None, page_token: str | None = None
) -> tuple[list[tuple], str | None]:
    """Every point of one metric of `run`, by step then time, as (key, value, timestamp, step, is_nan) rows.

    Without max_results, all points (as MLflow's server); with it, a page and the next token. One
    plain statement walking the (run, key, step, timestamp, value) index: a history is read often
    and can be long, and building the ORM query and converting each row cost more than the read.
    """
    offset = page_token_decode(page_token)
    limit = None
    if max_results is not None:
        limit = results_limit(
            max_results, default=METRIC_HISTORY_MAX_RESULTS, threshold=METRIC_HISTORY_MAX_RESULTS
        )
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {quote('key')}, {quote('value')}, {quote('timestamp')}, {quote('step')}, {quote('is_nan')} "  # noqa: S608
        f"FROM {quote(Metric._meta.db_table)} WHERE {quote('run_id')} = %s AND {quote('key')} = %s "
        f"ORDER BY {quote('step')}, {quote('timestamp')}, {quote('value')}"
    )
    params: list = [run.pk, key]
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        params += [limit + 1, offset]
    elif offset:
        sql += " LIMIT -1 OFFSET %s" if connection.vendor == "sqlite" else " OFFSET %s"
        params.append(offset)
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = [(k, v, t, s, bool(n)) for k, v, t, s, n in cursor.fetchall()]
    if limit is None:
        return rows, None
    next_token = page_token_encode(offset + limit) if len(rows) > limit else None
    return rows[:limit], next_token


MAX_RUNS_HISTORY_BULK = 100
HISTORY_BULK_RESULTS_PER_RUN = 320


def _spread(steps: list[int], count: int) -> set[int]:
    """`count` steps evenly spread over sorted `steps`, always keeping the first and the last."""
    if len(steps) <= count:
        return set(steps)
    if count == 1:
        return {steps[-1]}
    last = len(steps) - 1
    return {steps[round(index * last / (count - 1))] for index in range(count)}


def metric_history_bulk_interval(
    *,
    user,
    run_ids: list[str],
    key: str,
    max_results: int | None = None,
    start_step: int | None = None,
    end_step: int | None = None,
) -> list[tuple]:
    """Points of one metric over several runs at up to `max_results` evenly spread steps per run (for charts).

    Rows are (run_id, key, value, timestamp, step, is_nan); runs the user cannot see are left out.
    """
    if len(run_ids) > MAX_RUNS_HISTORY_BULK:
        raise invalid(
            f"GetMetricHistoryBulkInterval request must specify at most {MAX_RUNS_HISTORY_BULK} run_ids. "
            f"Received {len(run_ids)} run_ids."
        )
    limit = max_results if max_results is not None else HISTORY_BULK_RESULTS_PER_RUN
    if not 1 <= limit <= HISTORY_BULK_RESULTS_PER_RUN:
        raise invalid(f"max_results must be between 1 and {HISTORY_BULK_RESULTS_PER_RUN}.")
    visible = Experiment.objects.restrict(user, Action.VIEW).values("pk")
    points = Metric.objects.filter(run__uuid__in=run_ids, run__experiment__in=visible, key=key)
    if start_step is not None:
        points = points.filter(step__gte=start_step, step__lte=end_step)
    rows = list(
        points.order_by("run__uuid", "step", "timestamp").values_list(
            "run__uuid", "key", "value", "timestamp", "step", "is_nan"
        )
    )
    steps_by_run: dict[str, list[int]] = {}
    for row in rows:
        steps = steps_by_run.setdefault(row[0], [])
        if not steps or steps[-1] != row[4]:
            steps.append(row[4])
    keep = {run_id: _spread(steps, limit) for run_id, steps in steps_by_run.items()}
    return [row for row in rows if row[4] in keep[row[0]]]
