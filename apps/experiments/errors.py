"""The one error type of experiment tracking, with MLflow's error codes.

Services and selectors raise `TrackingError(message, code)`; adapters translate it (the MLflow
API keeps the code as is; HTML forms and `/api/v1/` see a Django ValidationError). The codes
are MLflow's names so the MLflow layer maps them one to one without knowing the domain.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
PERMISSION_DENIED = "PERMISSION_DENIED"
INVALID_STATE = "INVALID_STATE"


class TrackingError(ValidationError):
    """A refused tracking request: `code` says why (one of the constants above), `message` says what.

    A ValidationError, so forms and `/api/v1/` show it like any other (on `field` when given).
    """

    def __init__(self, message: str, code: str = INVALID_PARAMETER_VALUE, *, field: str | None = None):
        if field:
            super().__init__({field: [ValidationError(message, code=code)]})
        else:
            super().__init__(message, code=code)
        self.message = message
        self.code = code
        self.field = field


def invalid(message: str) -> TrackingError:
    return TrackingError(message, INVALID_PARAMETER_VALUE)


def not_found(message: str) -> TrackingError:
    return TrackingError(message, RESOURCE_DOES_NOT_EXIST)
