"""Who is calling: a personal access token (Bearer, or as the password of Basic auth), a username
and password (Basic), or — for reads only — the browser session.

Writes never accept the session: these routes are CSRF-exempt (the MLflow client sends no
CSRF token), so a cookie alone must not be able to change anything.
"""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta

from django.contrib.auth import authenticate, get_user_model
from django.db import connection
from django.utils import timezone

from apps.core.db import instance_from_row, model_columns, prepared_cursor, statement_cache
from apps.core.permissions import Action
from apps.experiments.selectors import tracking as tracking_selectors
from apps.experiments.services import tracking as tracking_services
from apps.mlflow_api.errors import UNAUTHENTICATED, MlflowError
from apps.teams.models import PersonalAccessToken
from apps.teams.services import TOKEN_PREFIX, token_digest

TOKEN_TOUCH_SECONDS = 60  # as apps.teams.services.token_authenticate: last use is touched once a minute
MAX_HEADER_LENGTH = 1024
INVALID_TOKEN_MESSAGE = "Invalid, expired or revoked token."  # noqa: S105 - a message, not a secret
SAFE_METHODS = {"GET", "HEAD"}


def _unauthenticated(message: str) -> MlflowError:
    return MlflowError(message, UNAUTHENTICATED)


def _token_usable(raw_token: str) -> bool:
    return bool(raw_token) and raw_token.startswith(TOKEN_PREFIX) and len(raw_token) <= 200


@statement_cache
def _token_sql(columns: str, joins: str) -> str:
    """The statement reading the active user owning a usable token (as `u`), the token's id and
    whether its last use is stale, then `columns` from `joins`."""
    user_model = get_user_model()
    quote = connection.ops.quote_name
    return (
        f"SELECT {', '.join('u.' + quote(column) for column in model_columns(user_model))}, t.id, "  # noqa: S608 - names from the models
        f"t.last_used_at IS NULL OR t.last_used_at < %s{', ' + columns if columns else ''} "
        f"FROM {quote(user_model._meta.db_table)} u "
        f"JOIN {quote(PersonalAccessToken._meta.db_table)} t ON t.user_id = u.id {joins} "
        "WHERE t.digest = %s AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > %s) "
        "AND u.is_active = %s"
    )


def _token_statement(raw_token: str, *, columns: str = "", joins: str = "", params: tuple = ()):
    """`_token_sql` with its parameters for `raw_token` (`params` are the joins'), and the time now."""
    adapt = connection.ops.adapt_datetimefield_value
    now = timezone.now()
    params = [
        adapt(now - timedelta(seconds=TOKEN_TOUCH_SECONDS)),
        *params,
        token_digest(raw_token),
        adapt(now),
        True,
    ]
    return _token_sql(columns, joins), params, now


def _user_from_token_row(row, now, user_columns: int):
    """The user of a `_token_statement` row (None for no row); touches the token's last use if stale."""
    if row is None:
        return None
    user_model = get_user_model()
    user = instance_from_row(user_model, row[:user_columns])
    token_id, stale = row[user_columns], row[user_columns + 1]
    if stale:
        PersonalAccessToken.objects.filter(pk=token_id).update(last_used_at=now)
    return user


def token_user(raw_token: str):
    """The active user owning the usable token `raw_token`, or None; touches the token's last use.

    The same rule as `apps.teams.services.token_authenticate` (not revoked, not expired, active
    user, last use touched at most once a minute) in one prepared statement: the MLflow client
    sends a token with every metric it logs, and compiling or planning the query cost more than
    running it.
    """
    if not _token_usable(raw_token):
        return None
    sql, params, now = _token_statement(raw_token)
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return _user_from_token_row(row, now, len(model_columns(get_user_model())))


def token_user_with_run(raw_token: str, run_id: str, action: str):
    """`token_user` and `run_get_for_logging` in one statement: (user, run), for the routes the
    client calls most (log-metric, log-batch, get-history). UNAUTHENTICATED for an unusable token;
    the run's errors are `run_for_logging`'s."""
    user, run, _ = _token_user_with_run(raw_token, run_id, action)
    return user, run


def token_user_with_run_logging(raw_token: str, run_id: str, metrics: list[tuple]):
    """`token_user_with_run` for changing the run, whose statement also logs `metrics` (the points
    as the client sent them) where it can: (user, run, logged).

    On PostgreSQL, the statement that reads the caller and the run writes the points too when
    the row plainly lets the caller change the run (`run_change_guard_sql`): one round trip for a
    training step's log_metric instead of two. Where it cannot (another database, a point the
    ordinary way would refuse, a caller only an explicit grant lets in), nothing is written and
    `logged` is False: the caller logs them the ordinary way, which decides and reports as ever.
    """
    return _token_user_with_run(raw_token, run_id, Action.CHANGE, metrics)


def _token_user_with_run(raw_token: str, run_id: str, action: str, metrics: list[tuple] | None = None):
    if not _token_usable(raw_token):
        raise _unauthenticated(INVALID_TOKEN_MESSAGE)
    if not tracking_selectors.run_id_plausible(run_id):
        user = token_user(raw_token)
        if user is None:
            raise _unauthenticated(INVALID_TOKEN_MESSAGE)
        return user, tracking_selectors.run_get_for_logging(user=user, run_id=run_id, action=action), False
    columns = tracking_selectors.RUN_ACCESS_COLUMNS
    if metrics is not None:
        columns += f", r.id AS run_pk, {tracking_selectors.run_change_guard_sql()} AS may_log"
    sql, params, now = _token_statement(
        raw_token, columns=columns, joins=tracking_selectors.run_access_joins(), params=(run_id,)
    )
    logging_statement = None
    if metrics is not None:
        logging_statement = tracking_services.metrics_log_with_access(sql, params, metrics)
    if logging_statement is not None:
        sql, params = logging_statement
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    user_columns = len(model_columns(get_user_model()))
    user = _user_from_token_row(row, now, user_columns)
    if user is None:
        raise _unauthenticated(INVALID_TOKEN_MESSAGE)
    access = row[user_columns + 2 :]
    run = tracking_selectors.run_for_logging(user=user, run_id=run_id, row=access, action=action)
    # The columns added after the run's access: run_pk, then may_log (whether the statement wrote).
    logged = logging_statement is not None and bool(access[tracking_selectors.RUN_ACCESS_WIDTH + 1])
    return user, run, logged


def _basic_user(encoded: str):
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _unauthenticated("Malformed Basic credentials.") from None
    username, separator, secret = decoded.partition(":")
    if not separator or not username or not secret:
        raise _unauthenticated("Basic credentials need a username and a password or token.")
    token_owner = token_user(secret)
    if token_owner is not None:
        if token_owner.get_username() != username:
            raise _unauthenticated("This token belongs to another user.")
        return token_owner
    user = authenticate(username=username, password=secret)
    if user is None or not user.is_active:
        raise _unauthenticated("Invalid username, password or token.")
    return user


def _authorization(request) -> tuple[str, str]:
    """The `Authorization` header's scheme (lower case) and credentials, ("", "") for none; raises
    UNAUTHENTICATED for a header too long to hold credentials."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if len(header) > MAX_HEADER_LENGTH:
        raise _unauthenticated("Malformed Authorization header: too long.")
    scheme, _, credentials = header.strip().partition(" ")
    return scheme.lower(), credentials.strip()


def bearer_token(request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, None for any other or none; raises
    UNAUTHENTICATED for a header too long to be one."""
    scheme, credentials = _authorization(request)
    return credentials if scheme == "bearer" and credentials else None


def request_user(request):
    """The authenticated, active user of an MLflow API request; raises UNAUTHENTICATED otherwise."""
    scheme, credentials = _authorization(request)
    if scheme == "bearer" and credentials:
        user = token_user(credentials)
        if user is None:
            raise _unauthenticated(INVALID_TOKEN_MESSAGE)
        return user
    if scheme == "basic" and credentials:
        return _basic_user(credentials)
    if request.META.get("HTTP_AUTHORIZATION"):  # with any such header, never the session
        raise _unauthenticated("Use 'Authorization: Bearer <token>' or Basic auth.")
    user = getattr(request, "user", None)
    if request.method in SAFE_METHODS and user is not None and user.is_authenticated and user.is_active:
        return user
    raise _unauthenticated(
        "Authentication required: set MLFLOW_TRACKING_TOKEN to a personal access token "
        "(Account → Tokens), or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD."
    )
