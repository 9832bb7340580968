"""MLflow tracking routes: experiments, runs, params, metrics, tags, inputs, metric history.

Each route parses MLflow's request (apps/mlflow_api/endpoint.py checks types), finds the objects
through apps/experiments/selectors/tracking.py (which applies `restrict`), calls one service of
apps/experiments/services/tracking.py and answers MLflow's JSON (apps/mlflow_api/serializers.py).
The services' `TrackingError` becomes MLflow's error code in the endpoint decorator.
"""

from __future__ import annotations

from apps.core.permissions import Action
from apps.experiments.selectors import tracking as selectors
from apps.experiments.services import tracking as services
from apps.mlflow_api.endpoint import Args, mlflow_endpoint
from apps.mlflow_api.errors import invalid
from apps.mlflow_api.serializers import experiment_json, metric_json, run_info_json, run_json

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"


def _pairs(args: Args, name: str, *, value_name: str = "value") -> list[tuple]:
    """[{"key", "value"}] items as (key, value) pairs; types are checked by the services."""
    return [(item.get("key"), item.get(value_name)) for item in args.objects(name)]


def _number(value, index: int):
    """A double from JSON: a number, or MLflow's strings "NaN", "Infinity", "-Infinity"."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise invalid(
                f"Invalid value \"{value[:100]}\" for parameter 'metrics[{index}].value' supplied."
            ) from None
    return value


def _integer(value, index: int, field: str, default=None):
    """An int64 from JSON (protobuf writes them as strings too)."""
    if value is None:
        return default
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise invalid(
                f"Invalid value \"{value[:100]}\" for parameter 'metrics[{index}].{field}' supplied."
            ) from None
    return value


def _metric_items(args: Args) -> list[tuple]:
    """(key, value, timestamp, step) of each item; a message's path is built only for a bad item."""
    return [
        (
            item.get("key"),
            _number(item.get("value"), index),
            _integer(item.get("timestamp"), index, "timestamp"),
            _integer(item.get("step"), index, "step", 0),
        )
        for index, item in enumerate(args.objects("metrics"))
    ]


# --- experiments -----------------------------------------------------------------------------------
@mlflow_endpoint("POST")
def experiments_create(request, args: Args) -> dict:
    experiment = services.experiment_create(
        by=request.mlflow_user,
        name=args.string("name", required=True),
        tags=dict(_pairs(args, "tags")),
        artifact_location=args.string("artifact_location", default=""),
    )
    return {"experiment_id": str(experiment.pk)}


@mlflow_endpoint("GET", atomic=False)
def experiments_get(request, args: Args) -> dict:
    experiment_id = args.string("experiment_id", required=True)
    experiment = selectors.experiment_get(user=request.mlflow_user, experiment_id=experiment_id)
    return {"experiment": experiment_json(experiment, tags=experiment.tags.order_by("key"))}


@mlflow_endpoint("GET", atomic=False)
def experiments_get_by_name(request, args: Args) -> dict:
    name = args.string("experiment_name", required=True)
    experiment = selectors.experiment_get_by_name(user=request.mlflow_user, name=name)
    return {"experiment": experiment_json(experiment, tags=experiment.tags.order_by("key"))}


@mlflow_endpoint("POST", "GET", atomic=False)
def experiments_search(request, args: Args) -> dict:
    experiments, next_token = selectors.experiments_search(
        user=request.mlflow_user,
        view_type=args.data.get("view_type") if not args.from_query else args.string("view_type"),
        max_results=args.integer("max_results"),
        filter_string=args.string("filter", default=""),
        order_by=[str(item) for item in args.list("order_by")],
        page_token=args.string("page_token"),
    )
    result: dict = {"experiments": [experiment_json(experiment) for experiment in experiments]}
    if next_token:
        result["next_page_token"] = next_token
    return result


@mlflow_endpoint("POST")
def experiments_update(request, args: Args) -> dict:
    experiment = selectors.experiment_get(
        user=request.mlflow_user,
        experiment_id=args.string("experiment_id", required=True),
        action=Action.CHANGE,
    )
    new_name = args.string("new_name")
    if new_name is not None:
        services.experiment_update(experiment=experiment, by=request.mlflow_user, name=new_name)
    return {}


@mlflow_endpoint("POST")
def experiments_delete(request, args: Args) -> dict:
    experiment = selectors.experiment_get(
        user=request.mlflow_user,
        experiment_id=args.string("experiment_id", required=True),
        action=Action.CHANGE,
    )
    services.experiment_delete(experiment=experiment, by=request.mlflow_user)
    return {}


@mlflow_endpoint("POST")
def experiments_restore(request, args: Args) -> dict:
    experiment = selectors.experiment_get(
        user=request.mlflow_user,
        experiment_id=args.string("experiment_id", required=True),
        action=Action.CHANGE,
    )
    services.experiment_restore(experiment=experiment, by=request.mlflow_user)
    return {}


@mlflow_endpoint("POST")
def experiments_set_tag(request, args: Args) -> dict:
    experiment = selectors.experiment_get(
        user=request.mlflow_user,
        experiment_id=args.string("experiment_id", required=True),
        action=Action.CHANGE,
    )
    services.experiment_tag_set(
        experiment=experiment,
        by=request.mlflow_user,
        key=args.string("key", required=True),
        value=args.string("value", default=""),
    )
    return {}


@mlflow_endpoint("POST")
def experiments_delete_tag(request, args: Args) -> dict:
    experiment = selectors.experiment_get(
        user=request.mlflow_user,
        experiment_id=args.string("experiment_id", required=True),
        action=Action.CHANGE,
    )
    services.experiment_tag_delete(
        experiment=experiment, by=request.mlflow_user, key=args.string("key", required=True)
    )
    return {}


# --- runs ------------------------------------------------------------------------------------------
def _experiment_for_new_run(user, experiment_id: str):
    """The experiment a new run goes to; MLflow's default experiment "0" is the user's team's "Default"."""
    if experiment_id == DEFAULT_EXPERIMENT_ID:
        return services.experiment_default_get_or_create(by=user, name=DEFAULT_EXPERIMENT_NAME)
    return selectors.experiment_get(user=user, experiment_id=experiment_id, action=Action.CHANGE)


@mlflow_endpoint("POST")
def runs_create(request, args: Args) -> dict:
    experiment = _experiment_for_new_run(
        request.mlflow_user,
        args.string("experiment_id", default=DEFAULT_EXPERIMENT_ID) or DEFAULT_EXPERIMENT_ID,
    )
    run = services.run_create(
        experiment=experiment,
        by=request.mlflow_user,
        start_time=args.integer("start_time"),
        tags=_pairs(args, "tags"),
        run_name=args.string("run_name", default=""),
    )
    return {"run": run_json(run, selectors.run_parts_of_new_run(run))}


@mlflow_endpoint("GET", atomic=False)
def runs_get(request, args: Args) -> dict:
    run = selectors.run_get(user=request.mlflow_user, run_id=args.run_id(), prefetch=True)
    return {"run": run_json(run)}


@mlflow_endpoint("POST")
def runs_update(request, args: Args) -> dict:
    run = selectors.run_get(user=request.mlflow_user, run_id=args.run_id(), action=Action.CHANGE)
    services.run_update(
        run=run,
        by=request.mlflow_user,
        status=args.string("status"),
        end_time=args.integer("end_time"),
        name=args.string("run_name"),
    )
    return {"run_info": run_info_json(run)}


@mlflow_endpoint("POST")
def runs_delete(request, args: Args) -> dict:
    run = selectors.run_get(user=request.mlflow_user, run_id=args.run_id(), action=Action.CHANGE)
    services.run_delete(run=run, by=request.mlflow_user)
    return {}


@mlflow_endpoint("POST")
def runs_restore(request, args: Args) -> dict:
    run = selectors.run_get(user=request.mlflow_user, run_id=args.run_id(), action=Action.CHANGE)
    services.run_restore(run=run, by=request.mlflow_user)
    return {}


@mlflow_endpoint("POST", "GET", atomic=False)
def runs_search(request, args: Args) -> dict:
    page = selectors.runs_search(
        user=request.mlflow_user,
        experiment_ids=[str(item) for item in args.list("experiment_ids")],
        filter_string=args.string("filter", default=""),
        order_by=[str(item) for item in args.list("order_by")],
        run_view_type=args.data.get("run_view_type") if not args.from_query else args.string("run_view_type"),
        max_results=args.integer("max_results"),
        page_token=args.string("page_token"),
        with_parts=True,
    )
    result: dict = {"runs": [run_json(run, page.parts[run.pk]) for run in page.runs]}
    if page.next_page_token:
        result["next_page_token"] = page.next_page_token
    return result


def _the_point(args: Args) -> list[tuple]:
    return [
        (
            args.string("key", required=True),
            args.number("value", required=True),
            args.integer("timestamp", required=True),
            args.integer("step", default=0),
        )
    ]


# One write statement (see run_metrics_log), atomic on its own; with a bearer token on PostgreSQL,
# the statement that reads the caller and the run writes the point too (see mlflow_endpoint).
@mlflow_endpoint("POST", atomic=False, run_action=Action.CHANGE, logs_metrics=_the_point)
def runs_log_metric(request, args: Args, run, metrics: list[tuple], logged: bool) -> dict:
    if not logged:
        services.run_metrics_log(run=run, by=request.mlflow_user, metrics=metrics)
    return {}


@mlflow_endpoint("POST", run_action=Action.CHANGE)
def runs_log_parameter(request, args: Args, run) -> dict:
    key = args.string("key", required=True)
    services.run_params_log(run=run, by=request.mlflow_user, params=[(key, args.string("value", default=""))])
    return {}


def _metrics_alone(args: Args) -> list[tuple] | None:
    """The metrics of a batch of metrics alone (the fluent client's `log_metrics` at each step),
    logged like a single point (see runs_log_metric); a batch with params or tags is None: it keeps
    its one transaction."""
    if args.list("params") or args.list("tags"):
        return None
    return _metric_items(args)


@mlflow_endpoint("POST", run_action=Action.CHANGE, logs_metrics=_metrics_alone)
def runs_log_batch(request, args: Args, run, metrics: list[tuple] | None, logged: bool) -> dict:
    if not logged:
        services.run_batch_log(
            run=run,
            by=request.mlflow_user,
            metrics=metrics if metrics is not None else _metric_items(args),
            params=_pairs(args, "params"),
            tags=_pairs(args, "tags"),
        )
    return {}


@mlflow_endpoint("POST", run_action=Action.CHANGE)
def runs_set_tag(request, args: Args, run) -> dict:
    key = args.string("key", required=True)
    services.run_tags_set(run=run, by=request.mlflow_user, tags=[(key, args.string("value", default=""))])
    return {}


@mlflow_endpoint("POST", run_action=Action.CHANGE)
def runs_delete_tag(request, args: Args, run) -> dict:
    services.run_tag_delete(run=run, by=request.mlflow_user, key=args.string("key", required=True))
    return {}


def _dataset_inputs(args: Args) -> list[services.DatasetInputSpec]:
    specs = []
    for index, item in enumerate(args.objects("datasets")):
        dataset = item.get("dataset")
        if not isinstance(dataset, dict):
            raise invalid(f"Missing value for required parameter 'datasets[{index}].dataset'.")
        fields = {}
        for name in ("name", "digest", "source_type", "source", "schema", "profile"):
            value = dataset.get(name)
            if value is not None and not isinstance(value, str):
                raise invalid(
                    f"Invalid value for parameter 'datasets[{index}].dataset.{name}': expected a string."
                )
            fields[name] = value or ""
        tags = item.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(tag, dict) for tag in tags):
            raise invalid(
                f"Invalid value for parameter 'datasets[{index}].tags': expected a list of objects."
            )
        pairs = []
        for tag in tags:
            key, value = tag.get("key"), tag.get("value", "")
            if not isinstance(key, str) or not isinstance(value, str):
                raise invalid(
                    f"Invalid value for parameter 'datasets[{index}].tags': keys and values are strings."
                )
            pairs.append((key, value))
        specs.append(services.DatasetInputSpec(**fields, tags=tuple(pairs)))
    return specs


@mlflow_endpoint("POST", run_action=Action.CHANGE)
def runs_log_inputs(request, args: Args, run) -> dict:
    datasets = _dataset_inputs(args)
    if args.list("models"):
        raise invalid("Logging model inputs through runs/log-inputs is not supported by Atrium yet.")
    services.run_inputs_log(run=run, by=request.mlflow_user, datasets=datasets)
    return {}


# --- metric history --------------------------------------------------------------------------------
@mlflow_endpoint("GET", atomic=False, run_action=Action.VIEW)
def metrics_get_history(request, args: Args, run) -> dict:
    rows, next_token = selectors.metric_history(
        run=run,
        key=args.string("metric_key", required=True),
        max_results=args.integer("max_results"),
        page_token=args.string("page_token"),
    )
    result: dict = {"metrics": [metric_json(*row) for row in rows]}
    if next_token:
        result["next_page_token"] = next_token
    return result


@mlflow_endpoint("GET", atomic=False)
def metrics_get_history_bulk_interval(request, args: Args) -> dict:
    run_ids = [str(item) for item in args.list("run_ids", required=True)]
    start_step, end_step = args.integer("start_step"), args.integer("end_step")
    if (start_step is None) != (end_step is None):
        raise invalid("If either start step or end step are specified, both must be specified.")
    if start_step is not None and start_step > end_step:
        raise invalid(
            "end_step must be greater than start_step. "
            f"Found start_step={start_step} and end_step={end_step}."
        )
    points = selectors.metric_history_bulk_interval(
        user=request.mlflow_user,
        run_ids=run_ids,
        key=args.string("metric_key", required=True),
        max_results=args.integer("max_results"),
        start_step=start_step,
        end_step=end_step,
    )
    return {"metrics": [{**metric_json(*row[1:]), "run_id": row[0]} for row in points]}


ROUTES: list[tuple] = [
    # The routes a training loop calls at every step come first: Django tries routes in order.
    ("runs/log-metric", runs_log_metric, "runs-log-metric"),
    ("runs/log-batch", runs_log_batch, "runs-log-batch"),
    ("metrics/get-history", metrics_get_history, "metrics-get-history"),
    ("experiments/create", experiments_create, "experiments-create"),
    ("experiments/get", experiments_get, "experiments-get"),
    ("experiments/get-by-name", experiments_get_by_name, "experiments-get-by-name"),
    ("experiments/search", experiments_search, "experiments-search"),
    ("experiments/update", experiments_update, "experiments-update"),
    ("experiments/delete", experiments_delete, "experiments-delete"),
    ("experiments/restore", experiments_restore, "experiments-restore"),
    ("experiments/set-experiment-tag", experiments_set_tag, "experiments-set-tag"),
    ("experiments/delete-experiment-tag", experiments_delete_tag, "experiments-delete-tag"),
    ("runs/create", runs_create, "runs-create"),
    ("runs/get", runs_get, "runs-get"),
    ("runs/update", runs_update, "runs-update"),
    ("runs/delete", runs_delete, "runs-delete"),
    ("runs/restore", runs_restore, "runs-restore"),
    ("runs/search", runs_search, "runs-search"),
    ("runs/log-parameter", runs_log_parameter, "runs-log-parameter"),
    ("runs/set-tag", runs_set_tag, "runs-set-tag"),
    ("runs/delete-tag", runs_delete_tag, "runs-delete-tag"),
    ("runs/log-inputs", runs_log_inputs, "runs-log-inputs"),
    (
        "metrics/get-history-bulk-interval",
        metrics_get_history_bulk_interval,
        "metrics-get-history-bulk-interval",
    ),
]
