"""MLflow's validation rules for keys, values and batches (mlflow/utils/validation.py), with its messages.

Pure functions raising `TrackingError`; the services call them before writing anything, so a
request that fails validation writes nothing.
"""

from __future__ import annotations

import functools
import json
import math
import posixpath
import re
import sys
from collections.abc import Callable

from apps.experiments.errors import TrackingError, invalid
from apps.experiments.models import KEY_MAX_LENGTH, PARAM_VALUE_MAX_LENGTH, TAG_VALUE_MAX_LENGTH

MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000
MAX_ENTITIES_PER_BATCH = 1000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
MAX_DATASET_NAME_SIZE = 500
MAX_DATASET_DIGEST_SIZE = 36
MAX_DATASET_SCHEMA_SIZE = 1048575
MAX_DATASET_SOURCE_SIZE = 65535
MAX_DATASET_PROFILE_SIZE = 16777215
MAX_INPUT_TAG_KEY_SIZE = 255
MAX_INPUT_TAG_VALUE_SIZE = 500
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_NAME_RE = re.compile(r"^[/\w.\- :]*$")
BAD_CHARACTER_MESSAGE = (
    "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), "
    "colon(:) and slashes (/)."
)


def invalid_value(path: str, value, message: str | None = None) -> str:
    """MLflow's wording for a bad value of a request field."""
    shown = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    if len(shown) > 200:
        shown = shown[:200] + "…"
    if message:
        return f"Invalid value {shown} for parameter '{path}' supplied: {message}"
    return f"Invalid value {shown} for parameter '{path}' supplied."


def exceeds_maximum_length(path: str, limit: int) -> str:
    return f"'{path}' exceeds the maximum length of {limit} characters"


def join_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@functools.lru_cache(maxsize=4096)
def _name_problem(name: str) -> str | None:
    if not _NAME_RE.match(name):
        return BAD_CHARACTER_MESSAGE
    normalized = posixpath.normpath(name)
    if normalized != name or normalized == "." or normalized.startswith("..") or normalized.startswith("/"):
        return (
            "Names may be treated as files in certain cases, and must not resolve to other names when "
            f"treated as such. This name would resolve to {normalized!r}"
        )
    return None


def validate_key(name, path: str = "key", *, entity: str = "key") -> str:
    """A metric, param or tag key: a string of allowed characters that is not a path trick, ≤ 250 chars."""
    if name is None or name == "":
        raise invalid(f"Missing value for required parameter '{path}'.")
    if not isinstance(name, str):
        raise invalid(invalid_value(path, name, "expected a string."))
    problem = _name_problem(name)
    if problem:
        raise invalid(invalid_value(path, name, problem))
    if len(name) > KEY_MAX_LENGTH:
        raise invalid(exceeds_maximum_length(entity if entity != "key" else path, KEY_MAX_LENGTH))
    return name


def validate_text(value, path: str, limit: int) -> str:
    """A param or tag value: a string (None counts as empty) of at most `limit` characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(invalid_value(path, value, "expected a string."))
    if len(value) > limit:
        raise invalid(exceeds_maximum_length(path, limit))
    return value


def validate_param(key, value, path: str = "") -> tuple[str, str]:
    key = validate_key(key, join_path(path, "key"), entity="Param key")
    value = validate_text(
        value, "Param value" if not path else join_path(path, "value"), PARAM_VALUE_MAX_LENGTH
    )
    return key, value


def validate_tag(key, value, path: str = "") -> tuple[str, str]:
    key = validate_key(key, join_path(path, "key"))
    value = validate_text(value, join_path(path, "value"), TAG_VALUE_MAX_LENGTH)
    return key, value


def validate_experiment_tag(key, value) -> tuple[str, str]:
    key = validate_key(key, "key")
    value = validate_text(value, "value", MAX_EXPERIMENT_TAG_VALUE_LENGTH)
    return key, value


def _int64(value, path: str, message: str | Callable[[], str]) -> int:
    """An int64 field; `message` may be a function building it (only needed when the value is bad)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(invalid_value(path, value, message() if callable(message) else message))
    if isinstance(value, float):
        if not value.is_integer():
            raise invalid(invalid_value(path, value, message() if callable(message) else message))
        value = int(value)
    if not INT64_MIN <= value <= INT64_MAX:
        raise invalid(invalid_value(path, value, message() if callable(message) else message))
    return value


def validate_metric(key, value, timestamp, step, path: str = "") -> tuple[str, float, int, int]:
    """One metric point as MLflow checks it; NaN and ±infinity are valid values (stored specially).

    A log_batch checks 1,000 points: the paths and messages of errors are built only for a bad one.
    """
    if not isinstance(key, str) or not key or len(key) > KEY_MAX_LENGTH or _name_problem(key):
        validate_key(key, join_path(path, "key"), entity="Metric name")  # raises
    if isinstance(value, bool) or not isinstance(value, int | float):
        value_path = join_path(path, "value")
        if value is None:
            raise invalid(f"Missing value for required parameter '{value_path}'.")
        raise invalid(
            invalid_value(
                value_path,
                value,
                f"(timestamp={timestamp}). Please specify value as a valid double (64-bit floating point)",
            )
        )
    if type(timestamp) is not int or not 0 <= timestamp <= INT64_MAX:
        timestamp_path = join_path(path, "timestamp")
        problem = f"metric '{key}' (value={value}). Timestamp must be a nonnegative long (64-bit integer) "
        timestamp = _int64(timestamp, timestamp_path, problem)
        if timestamp < 0:
            raise invalid(invalid_value(timestamp_path, timestamp, problem))
    if step is None:
        step = 0
    elif type(step) is not int or not INT64_MIN <= step <= INT64_MAX:
        problem = f"metric '{key}' (value={value}). Step must be a valid long (64-bit integer)."
        step = _int64(step, join_path(path, "step"), problem)
    return key, float(value), timestamp, step


def sanitize_metric_value(value: float) -> tuple[bool, float]:
    """MLflow's storage of special floats: NaN as (is_nan, 0.0), ±infinity as ±the largest double."""
    if math.isnan(value):
        return True, 0.0
    if math.isinf(value):
        return False, sys.float_info.max if value > 0 else -sys.float_info.max
    return False, value


def stored_metric_value(value: float, is_nan: bool) -> float:
    """The value a client sees for a stored point (NaN back from is_nan)."""
    return math.nan if is_nan else value


def validate_batch_limits(*, metrics: int, params: int, tags: int) -> None:
    """log_batch's limits: 1000 metrics, 100 params, 100 tags, 1000 entities in all."""

    def check(entity: str, limit: int, length: int) -> None:
        if length > limit:
            raise invalid(
                f"A batch logging request can contain at most {limit} {entity}. Got {length} {entity}. "
                f"Please split up {entity} across multiple requests and try again."
            )

    check("metrics", MAX_METRICS_PER_BATCH, metrics)
    check("params", MAX_PARAMS_TAGS_PER_BATCH, params)
    check("tags", MAX_PARAMS_TAGS_PER_BATCH, tags)
    check("metrics, params, and tags", MAX_ENTITIES_PER_BATCH, metrics + params + tags)


def validate_experiment_name(name) -> str:
    """A non-empty string of at most 500 characters; errors are on the `name` field."""
    if name is None or name == "":
        raise TrackingError("Invalid experiment name: ''. Give the experiment a name.", field="name")
    if not isinstance(name, str):
        raise TrackingError(f"Invalid experiment name: {name}. Expects a string.", field="name")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise TrackingError(exceeds_maximum_length("name", MAX_EXPERIMENT_NAME_LENGTH), field="name")
    return name
