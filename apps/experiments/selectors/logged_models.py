"""Reads for logged models: one model a user may see, and MLflow's search over them.

A logged model is visible exactly when its experiment is (`restrict` through `experiment`). Its
metrics are its source run's latest metrics: MLflow 3's client copies the run's metrics at the
step it logged the model onto the model, so they are the same values without a second copy.
Search filters and orderings are subqueries (tags and params are JSON keys, metrics the source
run's LatestMetric rows), parsed with the run search grammar (`apps/experiments/search.py`).
"""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from apps.core.permissions import Action
from apps.experiments.errors import PERMISSION_DENIED, TrackingError, invalid, not_found
from apps.experiments.models import (
    Experiment,
    LatestMetric,
    LifecycleStage,
    LoggedModel,
    LoggedModelStatus,
    RunInput,
)
from apps.experiments.search import ATTRIBUTE, METRIC, PARAM, TAG, Clause, Grammar, parse_filter
from apps.experiments.selectors.common import (
    experiment_pk,
    ms_to_datetime,
    numeric_q,
    page_token_decode,
    page_token_encode,
    results_limit,
    string_q,
)

SEARCH_MAX_RESULTS_DEFAULT = 100
SEARCH_MAX_RESULTS_THRESHOLD = 1000

LOGGED_MODELS = Grammar(
    entities={
        "metric": METRIC,
        "metrics": METRIC,
        "param": PARAM,
        "params": PARAM,
        "tag": TAG,
        "tags": TAG,
        "attribute": ATTRIBUTE,
        "attributes": ATTRIBUTE,
    },
    numeric_attributes=frozenset(
        {"creation_timestamp", "creation_time", "last_updated_timestamp", "last_updated_time"}
    ),
    string_attributes=frozenset({"name", "model_id", "model_type", "status", "source_run_id"}),
    attribute_aliases={},
    list_attributes=frozenset({"name", "model_id", "source_run_id", "status"}),
)
ATTRIBUTE_FIELDS = {
    "name": "name",
    "model_id": "model_id",
    "model_type": "model_type",
    "status": "status",
    "source_run_id": "source_run__uuid",
    "creation_timestamp": "created_at",
    "creation_time": "created_at",
    "last_updated_timestamp": "updated_at",
    "last_updated_time": "updated_at",
}
ORDER_ALIASES = {
    "creation_timestamp_ms": "creation_timestamp",
    "last_updated_timestamp_ms": "last_updated_timestamp",
}


def logged_model_prefetch(queryset: QuerySet) -> QuerySet:
    """Logged models with what their MLflow JSON shows (source run, its latest metrics): 1 extra query."""
    return queryset.select_related("source_run").prefetch_related(
        Prefetch("source_run__latest_metrics", queryset=LatestMetric.objects.order_by("key"))
    )


def logged_model_get(
    *, user, model_id: str, action: str = Action.VIEW, allow_deleted: bool = False, prefetch: bool = False
) -> LoggedModel:
    """The logged model `model_id` if `user` may see it (and take `action` on its experiment).

    Invisible and missing models are the same RESOURCE_DOES_NOT_EXIST; a visible model the user's
    role may not change is PERMISSION_DENIED. Deleted models are missing unless `allow_deleted`.
    """
    message = f"Logged model with ID '{model_id}' not found."
    if not isinstance(model_id, str) or not model_id or len(model_id) > 64:
        raise not_found(message)
    queryset = LoggedModel.objects.filter(
        model_id=model_id, experiment__in=Experiment.objects.restrict(user, Action.VIEW).values("pk")
    ).select_related("experiment")
    if not allow_deleted:
        queryset = queryset.exclude(lifecycle_stage=LifecycleStage.DELETED)
    if action != Action.VIEW:
        queryset = queryset.annotate(
            action_allowed=Exists(
                Experiment.objects.restrict(user, action).filter(pk=OuterRef("experiment_id"))
            )
        )
    if prefetch:
        queryset = logged_model_prefetch(queryset)
    logged_model = queryset.first()
    if logged_model is None:
        raise not_found(message)
    if action != Action.VIEW and not logged_model.action_allowed:
        raise TrackingError(f"You may view but not change the logged model {model_id}.", PERMISSION_DENIED)
    return logged_model


def _status_value(value):
    """`READY`, `LOGGED_MODEL_READY` (and lists of them) as the stored status."""
    if isinstance(value, tuple):
        return tuple(_status_value(item) for item in value)
    upper = str(value).upper()
    for status in LoggedModelStatus:
        if upper in {status.value, status.value.removeprefix("LOGGED_MODEL_")}:
            return status.value
    return value


def _json_key_q(queryset: QuerySet, field: str, clause: Clause, index: int) -> tuple[QuerySet, Q]:
    if clause.comparator == "IS NULL":
        return queryset, ~Q(**{f"{field}__has_key": clause.key})
    if clause.comparator == "IS NOT NULL":
        return queryset, Q(**{f"{field}__has_key": clause.key})
    alias = f"{field}_{index}"
    # Cast: a key transform compares as JSON (the value would have to be JSON-encoded); text compares as text.
    queryset = queryset.alias(**{alias: Cast(KeyTextTransform(clause.key, field), TextField())})
    return queryset, Q(**{f"{alias}__isnull": False}) & string_q(alias, clause.comparator, clause.value)


def _metric_q(clause: Clause) -> Q:
    rows = LatestMetric.objects.filter(run_id=OuterRef("source_run_id"), key=clause.key)
    value = float(clause.value)
    if clause.comparator == "!=":
        rows = rows.filter(Q(is_nan=True) | ~Q(value=value))
    else:
        lookup = {"=": "exact", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[clause.comparator]
        rows = rows.filter(is_nan=False, **{f"value__{lookup}": value})
    return Q(Exists(rows))


def _datasets_q(datasets: list[dict]) -> Q:
    """Models whose source run read one of the datasets (name, and digest when given)."""
    condition = Q(pk__in=[])
    for dataset in datasets:
        inputs = RunInput.objects.filter(
            run_id=OuterRef("source_run_id"), dataset__name=dataset["dataset_name"]
        )
        if dataset.get("dataset_digest"):
            inputs = inputs.filter(dataset__digest=dataset["dataset_digest"])
        condition |= Q(Exists(inputs))
    return condition


def _filtered(queryset: QuerySet, clauses: list[Clause], datasets: list[dict]) -> QuerySet:
    for index, clause in enumerate(clauses):
        if clause.kind == METRIC:
            queryset = queryset.filter(_metric_q(clause))
        elif clause.kind in (PARAM, TAG):
            queryset, condition = _json_key_q(
                queryset, "params" if clause.kind == PARAM else "tags", clause, index
            )
            queryset = queryset.filter(condition)
        elif clause.key in LOGGED_MODELS.numeric_attributes:
            queryset = queryset.filter(
                numeric_q(ATTRIBUTE_FIELDS[clause.key], clause.comparator, ms_to_datetime(clause.value))
            )
        else:
            value = _status_value(clause.value) if clause.key == "status" else clause.value
            queryset = queryset.filter(string_q(ATTRIBUTE_FIELDS[clause.key], clause.comparator, value))
    if datasets:
        queryset = queryset.filter(_datasets_q(datasets))
    return queryset


def _datasets(datasets) -> list[dict]:
    if datasets in (None, []):
        return []
    if not isinstance(datasets, list) or not all(isinstance(item, dict) for item in datasets):
        raise invalid("Invalid value for parameter 'datasets' supplied: expected a list of objects.")
    for item in datasets:
        if not item.get("dataset_name") or not isinstance(item["dataset_name"], str):
            raise invalid("`dataset_name` in the `datasets` clause must be specified.")
    return datasets


def _ordering(queryset: QuerySet, order_by) -> tuple[QuerySet, list]:
    if order_by in (None, []):
        order_by = []
    if not isinstance(order_by, list) or not all(isinstance(item, dict) for item in order_by):
        raise invalid("Invalid value for parameter 'order_by' supplied: expected a list of objects.")
    ordering, named = [], set()
    for index, item in enumerate(order_by):
        field_name = item.get("field_name")
        ascending = item.get("ascending", True)
        if not isinstance(field_name, str) or not field_name:
            raise invalid("Invalid order by clause: 'field_name' is required.")
        if not isinstance(ascending, bool):
            raise invalid(f"Invalid order by clause for {field_name!r}: 'ascending' must be true or false.")
        if "." in field_name:
            entity, key = field_name.split(".", 1)
            if entity not in {"metric", "metrics"} or not key:
                raise invalid(f"Invalid order by field name: {field_name}. Only metrics are supported.")
            alias = f"order_{index}"
            metrics = LatestMetric.objects.filter(run_id=OuterRef("source_run_id"), key=key, is_nan=False)
            queryset = queryset.alias(**{alias: Subquery(metrics.values("value")[:1])})
            expression = F(alias)
        else:
            key = ORDER_ALIASES.get(field_name, field_name)
            if key not in ATTRIBUTE_FIELDS:
                raise invalid(f"Invalid order by field name: {field_name}")
            named.add(ATTRIBUTE_FIELDS[key])
            expression = F(ATTRIBUTE_FIELDS[key])
        ordering.append(expression.asc(nulls_last=True) if ascending else expression.desc(nulls_last=True))
    if "created_at" not in named:
        ordering.append(F("created_at").desc())
    if "model_id" not in named:
        ordering.append(F("model_id").asc())
    return queryset, ordering


def logged_models_search(
    *,
    user,
    experiment_ids: list,
    filter_string: str = "",
    datasets: list[dict] | None = None,
    max_results: int | None = None,
    order_by: list[dict] | None = None,
    page_token: str | None = None,
) -> tuple[list[LoggedModel], str | None]:
    """MLflow's search_logged_models over the active models of visible experiments: a page, the next token."""
    if not experiment_ids:
        raise invalid("Missing value for required parameter 'experiment_ids'.")
    ids = [experiment_pk(value) for value in experiment_ids]
    limit = results_limit(
        max_results, default=SEARCH_MAX_RESULTS_DEFAULT, threshold=SEARCH_MAX_RESULTS_THRESHOLD
    )
    offset = page_token_decode(page_token)
    clauses = parse_filter(filter_string, LOGGED_MODELS)
    dataset_filters = _datasets(datasets)
    visible = Experiment.objects.restrict(user, Action.VIEW).filter(pk__in=ids).values("pk")
    queryset = LoggedModel.objects.filter(experiment__in=visible).exclude(
        lifecycle_stage=LifecycleStage.DELETED
    )
    queryset = _filtered(queryset, clauses, dataset_filters)
    queryset, ordering = _ordering(queryset, order_by)
    page = list(logged_model_prefetch(queryset.order_by(*ordering))[offset : offset + limit + 1])
    next_token = page_token_encode(offset + limit) if len(page) > limit else None
    return page[:limit], next_token
