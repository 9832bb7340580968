"""What the MLflow search selectors (runs, experiments, logged models) share: page tokens and
result limits, experiment ids and millisecond times as arguments, and the filter grammar's
comparisons as Q objects. Errors are MLflow's INVALID_PARAMETER_VALUE."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from django.db import connection
from django.db.models import Q

from apps.experiments.errors import invalid
from apps.experiments.search import like_simple, like_to_regex


def page_token_encode(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def page_token_decode(token: str | None) -> int:
    """The offset a page token stands for; a token that is not one of ours is INVALID_PARAMETER_VALUE."""
    if not token:
        return 0
    try:
        data = json.loads(base64.b64decode(token.encode(), validate=True).decode())
    except (binascii.Error, ValueError, UnicodeError):
        raise invalid(f"Invalid page token, could not base64-decode: '{token[:100]}'") from None
    offset = data.get("offset") if isinstance(data, dict) else None
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise invalid(f"Invalid page token: '{token[:100]}'")
    return offset


def results_limit(value: int | None, *, default: int, threshold: int) -> int:
    if value is None:
        return default
    if value <= 0 or value > threshold:
        raise invalid(
            "Invalid value for request parameter max_results. It must be at most "
            f"{threshold}, but got value {value}"
            if value > 0
            else f"Invalid value for request parameter max_results. It must be positive, got {value}"
        )
    return value


def experiment_pk(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise invalid(f"Invalid experiment ID '{value}'. Experiment ID must be a valid integer.")


def numeric_lookup(comparator: str) -> str:
    return {"=": "exact", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[comparator]


def string_q(field: str, comparator: str, value) -> Q:
    """A string comparison of MLflow's grammar as a Q on `field` (LIKE case-sensitive, ILIKE not)."""
    if comparator == "=":
        return Q(**{field: value})
    if comparator == "!=":
        return Q(**{f"{field}__isnull": False}) & ~Q(**{field: value})
    if comparator == "IN":
        return Q(**{f"{field}__in": list(value)})
    if comparator == "NOT IN":
        return Q(**{f"{field}__isnull": False}) & ~Q(**{f"{field}__in": list(value)})
    simple = like_simple(value)
    if comparator == "ILIKE":
        if simple is not None:
            lookup, text = simple
            return Q(**{f"{field}__i{lookup}": text})
        return Q(**{f"{field}__iregex": like_to_regex(value)})
    # LIKE: PostgreSQL's LIKE is case-sensitive as MLflow's; SQLite's is not, so it matches by regex.
    if simple is not None:
        lookup, text = simple
        if lookup == "exact":
            return Q(**{field: text})
        if connection.vendor == "postgresql":
            return Q(**{f"{field}__{lookup}": text})
    return Q(**{f"{field}__regex": like_to_regex(value)})


def numeric_q(field: str, comparator: str, value) -> Q:
    if comparator == "!=":
        return Q(**{f"{field}__isnull": False}) & ~Q(**{field: value})
    return Q(**{f"{field}__{numeric_lookup(comparator)}": value})


def ms_to_datetime(value: float) -> datetime:
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise invalid(f"Invalid timestamp {value}: expected milliseconds since the epoch.") from None
