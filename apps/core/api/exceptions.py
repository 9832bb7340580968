"""JSON errors for every API failure, with field detail, never an HTML page."""

from django.core.exceptions import PermissionDenied, ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler


def json_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        body = {"error": "invalid", "detail": "The request has invalid fields.", "fields": data}
    elif isinstance(exc, Http404 | exceptions.NotFound):
        body = {"error": "not_found", "detail": "Not found."}
    elif isinstance(exc, PermissionDenied | exceptions.PermissionDenied):
        body = {"error": "forbidden", "detail": str(data.get("detail", "Forbidden."))}
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        body = {"error": "unauthenticated", "detail": str(data.get("detail", "Authentication required."))}
    else:
        detail = data.get("detail", data) if isinstance(data, dict) else data
        body = {"error": getattr(exc, "default_code", "error"), "detail": detail}
    response.data = body
    return response

