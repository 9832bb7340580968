"""JSON errors for every API failure, with field detail, never an HTML page.

Every error body has the same shape: `{"error": <code>, "detail": <sentence>}`,
plus `fields` (field name → list of messages) for invalid input and
`wait` (seconds) when throttled.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler, set_rollback

logger = logging.getLogger(__name__)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


_CODES: list[tuple[type[Exception], str, str]] = [
    (exceptions.NotAuthenticated, "unauthenticated", "Authentication credentials were not provided."),
    (exceptions.AuthenticationFailed, "unauthenticated", "Invalid credentials."),
    (exceptions.PermissionDenied, "forbidden", "You may not do this."),
    (exceptions.NotFound, "not_found", "Not found."),
    (exceptions.MethodNotAllowed, "method_not_allowed", "Method not allowed."),
    (exceptions.NotAcceptable, "not_acceptable", "Cannot satisfy the request's Accept header."),
    (exceptions.UnsupportedMediaType, "unsupported_media_type", "Unsupported media type."),
    (exceptions.Throttled, "throttled", "Too many requests."),
    (exceptions.ParseError, "malformed", "Malformed request body."),
    (PayloadTooLarge, "too_large", "The request body is too large."),
]


def _detail_text(data, default: str) -> str:
    if isinstance(data, dict) and "detail" in data:
        return str(data["detail"])
    if isinstance(data, list) and data:
        return str(data[0])
    return default


def _fields(detail) -> dict:
    """Field name → list of messages; errors not tied to a field go under `non_field_errors`."""
    if isinstance(detail, dict):
        return detail
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


def json_exception_handler(exc, context):
    """DRF's handler, with Django's 404/403/ValidationError mapped and a uniform JSON body."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError("The request was refused as malformed.")
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        # A bug, not bad input: log it with its traceback and still answer in JSON.
        logger.exception("Unhandled error in API view %s", context.get("view").__class__.__name__)
        set_rollback()
        body = {"error": "server_error", "detail": "Something went wrong on our side; it has been logged."}
        return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        body = {"error": "invalid", "detail": "The request has invalid fields.", "fields": _fields(data)}
    else:
        for exc_class, code, default in _CODES:
            if isinstance(exc, exc_class):
                body = {"error": code, "detail": _detail_text(data, default)}
                break
        else:
            body = {"error": getattr(exc, "default_code", "error"), "detail": _detail_text(data, "Error.")}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        body["wait"] = int(exc.wait)
    response.data = body
    return response


def api_not_found(request, *args, **kwargs) -> JsonResponse:
    """The API's catch-all: an unknown /api/v1/ route is a JSON 404, never an HTML page."""
    body = {"error": "not_found", "detail": f"No API route matches {request.path}."}
    if not request.path.endswith("/"):
        body["hint"] = "API routes end with a slash, e.g. /api/v1/teams/."
    return JsonResponse(body, status=status.HTTP_404_NOT_FOUND)
