"""Who is calling: a personal access token (Bearer, or as the password of Basic auth), a username
and password (Basic), or — for reads only — the browser session.

Writes never accept the session: these routes are CSRF-exempt (the MLflow client sends no
CSRF token), so a cookie alone must not be able to change anything.
"""

from __future__ import annotations

import base64
import binascii

from django.contrib.auth import authenticate

from apps.mlflow_api.errors import UNAUTHENTICATED, MlflowError
from apps.teams.services import token_authenticate

MAX_HEADER_LENGTH = 1024
SAFE_METHODS = {"GET", "HEAD"}


def _unauthenticated(message: str) -> MlflowError:
    return MlflowError(message, UNAUTHENTICATED)


def _basic_user(encoded: str):
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _unauthenticated("Malformed Basic credentials.") from None
    username, separator, secret = decoded.partition(":")
    if not separator or not username or not secret:
        raise _unauthenticated("Basic credentials need a username and a password or token.")
    token = token_authenticate(secret)
    if token is not None:
        if token.user.get_username() != username:
            raise _unauthenticated("This token belongs to another user.")
        return token.user
    user = authenticate(username=username, password=secret)
    if user is None or not user.is_active:
        raise _unauthenticated("Invalid username, password or token.")
    return user


def request_user(request):
    """The authenticated, active user of an MLflow API request; raises UNAUTHENTICATED otherwise."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        if len(header) > MAX_HEADER_LENGTH:
            raise _unauthenticated("Malformed Authorization header: too long.")
        scheme, _, credentials = header.strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "bearer" and credentials:
            token = token_authenticate(credentials)
            if token is None:
                raise _unauthenticated("Invalid, expired or revoked token.")
            return token.user
        if scheme.lower() == "basic" and credentials:
            return _basic_user(credentials)
        raise _unauthenticated("Use 'Authorization: Bearer <token>' or Basic auth.")
    user = getattr(request, "user", None)
    if request.method in SAFE_METHODS and user is not None and user.is_authenticated and user.is_active:
        return user
    raise _unauthenticated(
        "Authentication required: set MLFLOW_TRACKING_TOKEN to a personal access token "
        "(Account → Tokens), or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD."
    )
