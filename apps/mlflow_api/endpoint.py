"""The one way to write an MLflow route: `@mlflow_endpoint("POST")` around `handler(request, args)`.

It authenticates (apps/mlflow_api/auth.py), parses the arguments (query string for GET, a JSON
object otherwise), runs the handler in one transaction (nothing half-written when it fails;
reads that write nothing say `atomic=False`, where a transaction would only add BEGIN and COMMIT)
and turns every failure into MLflow's JSON error: MlflowError as given, anything unexpected as
INTERNAL_ERROR with a generic message (never SQL or a traceback). A method the route does not
take is ENDPOINT_NOT_FOUND (404), as an unknown route is.

    @mlflow_endpoint("GET")
    def runs_get(request, args: Args) -> dict:
        run = run_for(request.mlflow_user, args.string("run_id", required=True))
        return {"run": run_json(run)}
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from apps.core.history import acting_user
from apps.core.permissions import Action
from apps.experiments.errors import TrackingError
from apps.experiments.selectors import tracking as tracking_selectors
from apps.mlflow_api.auth import bearer_token, request_user, token_user_with_run, token_user_with_run_logging
from apps.mlflow_api.errors import (
    BAD_REQUEST,
    INTERNAL_ERROR,
    INVALID_PARAMETER_VALUE,
    PERMISSION_DENIED,
    MlflowError,
    endpoint_not_found,
    invalid,
)

logger = logging.getLogger(__name__)

MAX_JSON_BODY = 50 * 1024 * 1024  # log_batch's own limits (1000 metrics …) fit well inside


def _wrong_type(name: str, value, expected: str):
    shown = json.dumps(value)[:100]
    return invalid(f"Invalid value {shown} for parameter '{name}' supplied: expected {expected}.")


class Args:
    """A request's arguments with MLflow's validation messages; every accessor checks the type."""

    def __init__(self, data: dict, *, from_query: bool):
        self.data = data
        self.from_query = from_query

    def run_id(self) -> str:
        """The run a request names: `run_id`, or `run_uuid` as older clients send it."""
        run_id = self.string("run_id") or self.string("run_uuid")
        if not run_id:
            raise invalid(
                "Missing value for required parameter 'run_id'. "
                "See the API docs for more information about request parameters."
            )
        return run_id

    def _raw(self, name: str, required: bool):
        value = self.data.get(name)
        if self.from_query and isinstance(value, list):
            value = value[-1] if value else None
        if value is None or (required and value == ""):
            if required:
                raise invalid(
                    f"Missing value for required parameter '{name}'. "
                    "See the API docs for more information about request parameters."
                )
            return None
        return value

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def string(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self._raw(name, required)
        if value is None:
            return default
        if not isinstance(value, str):
            raise _wrong_type(name, value, "a string")
        return value

    def integer(self, name: str, *, required: bool = False, default: int | None = None) -> int | None:
        value = self._raw(name, required)
        if value is None:
            return default
        if isinstance(value, bool):
            raise _wrong_type(name, value, "an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):  # protobuf's JSON writes int64 fields as strings
            try:
                return int(value)
            except ValueError:
                pass
        raise _wrong_type(name, value, "an integer")

    def number(self, name: str, *, required: bool = False) -> float | None:
        """A double; MLflow's JSON carries NaN and ±Infinity as the strings "NaN", "Infinity"."""
        value = self._raw(name, required)
        if value is None:
            return None
        if isinstance(value, bool):
            raise _wrong_type(name, value, "a number")
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise _wrong_type(name, value, "a number")

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self._raw(name, False)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false"}:
            return value.lower() == "true"
        raise _wrong_type(name, value, "a boolean")

    def list(self, name: str, *, required: bool = False) -> list:
        value = self.data.get(name)
        if value is None or value == []:
            if required:
                raise invalid(f"Missing value for required parameter '{name}'.")
            return []
        if self.from_query:
            return value if isinstance(value, list) else [value]
        if not isinstance(value, list):
            raise _wrong_type(name, value, "a list")
        return value

    def objects(self, name: str, *, required: bool = False) -> list[dict]:
        items = self.list(name, required=required)
        for item in items:
            if not isinstance(item, dict):
                raise invalid(f"Invalid value in '{name}': each item must be an object.")
        return items

    def object(self, name: str, *, required: bool = False) -> dict | None:
        value = self._raw(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise invalid(f"Invalid value for parameter '{name}' supplied: expected an object.")
        return value


def _reject_constant(name: str):
    # json.loads accepts NaN/Infinity literals; MLflow's clients send them as strings.
    return float(name)


def parse_args(request, *, stream_body: bool = False) -> Args:
    if request.method in {"GET", "HEAD"} or stream_body:
        return Args({key: request.GET.getlist(key) for key in request.GET}, from_query=True)
    if not request.body:
        return Args({}, from_query=False)
    if len(request.body) > MAX_JSON_BODY:
        raise MlflowError("Request body too large.", BAD_REQUEST)
    try:
        data = json.loads(request.body, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise MlflowError("Malformed JSON in the request body.", BAD_REQUEST) from None
    if not isinstance(data, dict):
        raise MlflowError("The request body must be a JSON object.", BAD_REQUEST)
    return Args(data, from_query=False)


def _finite(value):
    """JSON cannot carry NaN/inf as numbers; MLflow's server writes them as "NaN" / "Infinity"."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _json_response(result: dict) -> HttpResponse:
    """The JSON answer; NaN/±infinity (rare) are rewritten only when the plain encoding refuses them."""
    try:
        body = json.dumps(result, allow_nan=False)
    except ValueError:
        body = json.dumps(_finite(result), allow_nan=False)
    return HttpResponse(body, content_type="application/json")


def _caller_args_and_run(request, action: str, logs_metrics: Callable | None) -> tuple:
    """The caller, the arguments, the run they name (which the caller may take `action` on), the
    metric points the route logs (`logs_metrics(args)`, or None) and whether they are logged.

    With a bearer token, the token and the run are read in one statement: the routes the client
    calls most (one log-metric per training step) save a round trip to the database; where it can,
    that statement logs the route's metric points too (`token_user_with_run_logging`).
    """
    token = bearer_token(request)
    try:
        args = parse_args(request)
        run_id = args.run_id()
        metrics = logs_metrics(args) if logs_metrics is not None else None
    except MlflowError:
        request_user(request)  # a caller who is not signed in learns that first, and nothing more
        raise
    if token is None:
        user = request_user(request)
        run = tracking_selectors.run_get_for_logging(user=user, run_id=run_id, action=action)
        return user, args, run, metrics, False
    if metrics is None:
        user, run = token_user_with_run(token, run_id, action)
        return user, args, run, None, False
    user, run, logged = token_user_with_run_logging(token, run_id, metrics)
    return user, args, run, metrics, logged


def mlflow_endpoint(
    *methods: str,
    atomic: bool = True,
    stream_body: bool = False,
    run_action: str | None = None,
    logs_metrics: Callable | None = None,
) -> Callable:
    """Make `handler(request, args, **kwargs) -> dict | HttpResponse` an MLflow route (see module doc).

    `stream_body=True` leaves the request body unread for the handler to stream (artifact
    uploads); its arguments then come from the query string only. `run_action` (an Action) makes
    it `handler(request, args, run)`: the run the arguments name (`run_id`), loaded for logging
    (apps.experiments.selectors.tracking.run_get_for_logging) if the caller may take that action.
    `logs_metrics` (with `run_action=Action.CHANGE`) names the metric points the route logs, as
    `logs_metrics(args) -> [(key, value, timestamp, step)]` (None: none this way); the handler then
    takes `(request, args, run, metrics, logged)` and logs `metrics` itself unless `logged` says
    the statement that read the caller and the run has already written them.
    """
    allowed = {method.upper() for method in methods}
    if stream_body and run_action is not None:
        # The run's id comes from the JSON body, which a streaming handler must leave unread.
        raise ImproperlyConfigured("mlflow_endpoint: stream_body and run_action exclude each other.")
    if logs_metrics is not None and run_action != Action.CHANGE:
        raise ImproperlyConfigured("mlflow_endpoint: logs_metrics needs run_action=Action.CHANGE.")

    def decorate(handler: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(handler)
        def view(request, **kwargs):
            if request.method not in allowed:
                return endpoint_not_found(request)
            try:
                if run_action is None:
                    user = request_user(request)
                    args = parse_args(request, stream_body=stream_body)
                else:
                    user, args, run, metrics, logged = _caller_args_and_run(request, run_action, logs_metrics)
                    kwargs["run"] = run
                    if logs_metrics is not None:
                        kwargs.update(metrics=metrics, logged=logged)
                request.mlflow_user = user
                with acting_user(user):
                    if atomic:
                        with transaction.atomic():
                            result = handler(request, args, **kwargs)
                    else:
                        result = handler(request, args, **kwargs)
            except MlflowError as error:
                return error.response()
            except TrackingError as error:  # the domain's refusals carry MLflow's codes already
                return MlflowError(error.message, error.code).response()
            except ValidationError as error:  # any other domain rule a request broke
                return MlflowError(" ".join(error.messages), INVALID_PARAMETER_VALUE).response()
            except PermissionDenied as error:
                return MlflowError(str(error) or "Permission denied.", PERMISSION_DENIED).response()
            except DatabaseError:
                logger.exception("Database error in MLflow endpoint %s", request.path)
                return MlflowError("Internal error; the request was not applied.", INTERNAL_ERROR).response()
            if isinstance(result, HttpResponseBase):  # incl. streamed files
                return result
            return _json_response(result or {})

        view.mlflow_methods = allowed
        view.http_methods = allowed  # what the permission matrix holds to its expected statuses
        return view

    return decorate
