"""MLflow's error model: `{"error_code": ..., "message": ...}` with MLflow's HTTP status per code.

The client decides what to do from these (e.g. `set_experiment` creates the experiment after a
RESOURCE_DOES_NOT_EXIST, and treats RESOURCE_ALREADY_EXISTS from a racing create as success),
so the codes and statuses must be exactly MLflow's (mlflow/exceptions.py).
"""

from __future__ import annotations

from django.http import JsonResponse

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
BAD_REQUEST = "BAD_REQUEST"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"
PERMISSION_DENIED = "PERMISSION_DENIED"
UNAUTHENTICATED = "UNAUTHENTICATED"
INVALID_STATE = "INVALID_STATE"
INTERNAL_ERROR = "INTERNAL_ERROR"
REQUEST_LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
# A body over a size limit: 413, which the client does not retry (it retries 429 and 5xx but 501).
RESOURCE_LIMIT_EXCEEDED = "RESOURCE_LIMIT_EXCEEDED"

STATUS_BY_CODE = {
    INVALID_PARAMETER_VALUE: 400,
    BAD_REQUEST: 400,
    RESOURCE_ALREADY_EXISTS: 400,
    RESOURCE_DOES_NOT_EXIST: 404,
    ENDPOINT_NOT_FOUND: 404,
    PERMISSION_DENIED: 403,
    UNAUTHENTICATED: 401,
    INVALID_STATE: 500,
    INTERNAL_ERROR: 500,
    REQUEST_LIMIT_EXCEEDED: 429,
    NOT_IMPLEMENTED: 501,
    RESOURCE_LIMIT_EXCEEDED: 413,
}


class MlflowError(Exception):
    """An error the MLflow client understands; raise it anywhere below a view."""

    def __init__(self, message: str, error_code: str = INVALID_PARAMETER_VALUE):
        super().__init__(message)
        self.message = message
        self.error_code = error_code

    @property
    def status(self) -> int:
        return STATUS_BY_CODE.get(self.error_code, 500)

    def response(self) -> JsonResponse:
        response = JsonResponse({"error_code": self.error_code, "message": self.message}, status=self.status)
        if self.error_code == UNAUTHENTICATED:
            response["WWW-Authenticate"] = 'Bearer realm="atrium", Basic realm="atrium"'
        return response


def does_not_exist(message: str) -> MlflowError:
    return MlflowError(message, RESOURCE_DOES_NOT_EXIST)


def already_exists(message: str) -> MlflowError:
    return MlflowError(message, RESOURCE_ALREADY_EXISTS)


def invalid(message: str) -> MlflowError:
    return MlflowError(message, INVALID_PARAMETER_VALUE)


def endpoint_not_found(request=None, *args, **kwargs) -> JsonResponse:
    """Any MLflow route Atrium does not implement, or a method a route does not take: 404, never 405."""
    path = request.path if request is not None else ""
    return MlflowError(f"No API endpoint {path!r} in Atrium's MLflow API.", ENDPOINT_NOT_FOUND).response()
