"""MLflow's logged models (MLflow 3), run outputs and MLflow 2's runs/log-model.

    POST   logged-models                 create (PENDING)
    GET    logged-models/<id>            get (allow_deleted=true for a deleted one)
    PATCH  logged-models/<id>            finalize (READY or UPLOAD_FAILED)
    DELETE logged-models/<id>            delete
    PATCH  logged-models/<id>/tags       set tags
    DELETE logged-models/<id>/tags/<k>   delete a tag
    POST   logged-models/<id>/params     log params
    POST   logged-models/search          search
    POST   runs/outputs                  link models to the run that produced them
    POST   runs/log-model                record a model in the run's history (MLflow 2)

Objects come from the selectors (`restrict`: view to read, change to write; invisible is
RESOURCE_DOES_NOT_EXIST); one service call per write; MLflow's JSON from the serializers.
"""

from __future__ import annotations

from apps.core.permissions import Action
from apps.experiments.selectors.logged_models import logged_model_get, logged_models_search
from apps.experiments.selectors.tracking import experiment_get, run_get
from apps.experiments.services import logged_models as services
from apps.experiments.services.tracking import experiment_default_get_or_create
from apps.mlflow_api.endpoint import Args, mlflow_endpoint
from apps.mlflow_api.errors import invalid
from apps.mlflow_api.serializers import logged_model_json
from apps.mlflow_api.views.tracking import DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME


def _pairs(args: Args, name: str) -> list[tuple]:
    """[{"key", "value"}] items as (key, value) pairs; the services check the types."""
    return [(item.get("key"), item.get("value")) for item in args.objects(name)]


def _model(request, model_id: str, action: str = Action.VIEW):
    return logged_model_get(user=request.mlflow_user, model_id=model_id, action=action)


def _answer(request, model_id: str) -> dict:
    model = logged_model_get(user=request.mlflow_user, model_id=model_id, prefetch=True)
    return {"model": logged_model_json(model)}


def _check_model_id(args: Args, model_id: str) -> None:
    """The body may repeat the model id of the URL; a different one is a confused client."""
    named = args.string("model_id")
    if named and named != model_id:
        raise invalid(f"The body names model {named!r} but the URL names {model_id!r}.")


@mlflow_endpoint("POST")
def logged_models_create(request, args: Args) -> dict:
    """Create a logged model in an experiment the caller may change; it starts PENDING."""
    experiment_id = args.string("experiment_id", required=True)
    if experiment_id == DEFAULT_EXPERIMENT_ID:  # no experiment set: the user's team's "Default", as runs
        experiment = experiment_default_get_or_create(by=request.mlflow_user, name=DEFAULT_EXPERIMENT_NAME)
    else:
        experiment = experiment_get(
            user=request.mlflow_user, experiment_id=experiment_id, action=Action.CHANGE
        )
    source_run_id = args.string("source_run_id")
    source_run = run_get(user=request.mlflow_user, run_id=source_run_id) if source_run_id else None
    model = services.logged_model_create(
        experiment=experiment,
        by=request.mlflow_user,
        name=args.string("name") or None,
        source_run=source_run,
        model_type=args.string("model_type", default=""),
        params=_pairs(args, "params"),
        tags=_pairs(args, "tags"),
    )
    return _answer(request, model.model_id)


@mlflow_endpoint("GET", "PATCH", "DELETE")
def logged_model(request, args: Args, model_id: str) -> dict:
    """GET the model (`allow_deleted=true` for a deleted one), PATCH to finalize it, DELETE it."""
    if request.method == "GET":
        model = logged_model_get(
            user=request.mlflow_user,
            model_id=model_id,
            allow_deleted=args.boolean("allow_deleted"),
            prefetch=True,
        )
        return {"model": logged_model_json(model)}
    _check_model_id(args, model_id)
    model = _model(request, model_id, Action.CHANGE)
    if request.method == "DELETE":
        services.logged_model_delete(logged_model=model, by=request.mlflow_user)
        return {}
    status = args.data.get("status")
    if status is None:
        raise invalid("Missing value for required parameter 'status'.")
    services.logged_model_finalize(logged_model=model, by=request.mlflow_user, status=status)
    return _answer(request, model_id)


@mlflow_endpoint("PATCH")
def logged_model_tags(request, args: Args, model_id: str) -> dict:
    """Add or replace tags of a logged model."""
    model = _model(request, model_id, Action.CHANGE)
    services.logged_model_tags_set(logged_model=model, by=request.mlflow_user, tags=_pairs(args, "tags"))
    return {}


@mlflow_endpoint("DELETE")
def logged_model_tag(request, args: Args, model_id: str, tag_key: str) -> dict:
    """Remove one tag of a logged model."""
    model = _model(request, model_id, Action.CHANGE)
    services.logged_model_tag_delete(logged_model=model, by=request.mlflow_user, key=tag_key)
    return {}


@mlflow_endpoint("POST")
def logged_model_params(request, args: Args, model_id: str) -> dict:
    """Add parameters to a logged model (the client's batches after the first 100)."""
    _check_model_id(args, model_id)
    model = _model(request, model_id, Action.CHANGE)
    services.logged_model_params_log(
        logged_model=model, by=request.mlflow_user, params=_pairs(args, "params")
    )
    return {}


@mlflow_endpoint("POST", atomic=False)
def logged_models_search_view(request, args: Args) -> dict:
    """MLflow's search over the logged models of the given experiments the caller can see."""
    experiment_ids = args.list("experiment_ids", required=True)
    if not all(isinstance(value, str | int) and not isinstance(value, bool) for value in experiment_ids):
        raise invalid("Invalid value for parameter 'experiment_ids' supplied: expected a list of strings.")
    models, next_token = logged_models_search(
        user=request.mlflow_user,
        experiment_ids=experiment_ids,
        filter_string=args.string("filter", default=""),
        datasets=args.data.get("datasets"),
        max_results=args.integer("max_results"),
        order_by=args.data.get("order_by"),
        page_token=args.string("page_token"),
    )
    result = {"models": [logged_model_json(model) for model in models]}
    if next_token:
        result["next_page_token"] = next_token
    return result


@mlflow_endpoint("POST")
def runs_outputs(request, args: Args) -> dict:
    """Record the logged models a run produced (MLflow 3's log_outputs)."""
    run = run_get(user=request.mlflow_user, run_id=args.string("run_id", required=True), action=Action.CHANGE)
    outputs = []
    for index, item in enumerate(args.objects("models", required=True)):
        model_id = item.get("model_id")
        if not isinstance(model_id, str) or not model_id:
            raise invalid(f"Missing value for required parameter 'models[{index}].model_id'.")
        step = item.get("step", 0)
        try:
            step = int(step)
        except (TypeError, ValueError):
            raise invalid(f"Invalid value {step!r} for parameter 'models[{index}].step' supplied.") from None
        outputs.append((logged_model_get(user=request.mlflow_user, model_id=model_id), step))
    services.run_outputs_log(run=run, by=request.mlflow_user, outputs=outputs)
    return {}


@mlflow_endpoint("POST")
def runs_log_model(request, args: Args) -> dict:
    """MLflow 2's log-model: the model's MLmodel summary joins the run's `mlflow.log-model.history` tag."""
    run = run_get(user=request.mlflow_user, run_id=args.string("run_id", required=True), action=Action.CHANGE)
    services.run_logged_model_record(
        run=run, by=request.mlflow_user, model_json=args.string("model_json", required=True)
    )
    return {}


ROUTES: list[tuple] = [
    ("logged-models", logged_models_create, "logged-models-create"),
    ("logged-models/search", logged_models_search_view, "logged-models-search"),
    ("logged-models/<str:model_id>", logged_model, "logged-model"),
    ("logged-models/<str:model_id>/tags", logged_model_tags, "logged-model-tags"),
    ("logged-models/<str:model_id>/tags/<path:tag_key>", logged_model_tag, "logged-model-tag"),
    ("logged-models/<str:model_id>/params", logged_model_params, "logged-model-params"),
    ("runs/outputs", runs_outputs, "runs-outputs"),
    ("runs/log-model", runs_log_model, "runs-log-model"),
]
