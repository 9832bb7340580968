"""The job-kind registry: apps declare the kinds of background work they run.

`jobs` knows no kind itself; each app registers its own from its AppConfig.ready()
(or a module imported there):

    @job_kind("catalog.profile", label="Profile a dataset", time_limit=1800)
    def profile(context: JobContext) -> dict:
        context.progress(10, "Reading the file")
        ...
        return {"rows": 1000}

A handler receives a `JobContext` and returns a JSON-serialisable result. It
reports progress through `context.progress(percent, message)`, which also renews
the job's lease and raises `JobCancelled` when someone asked to cancel. It raises
`JobError("…")` for a failure a person should read as is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apps.jobs.models import Job

Handler = Callable[["JobContext"], Any]
# Turns a job's params into label/value pairs for its page, for kinds whose params are nested.
ParamsDescriber = Callable[[dict], list[tuple[str, str]]]


class JobCancelled(Exception):  # noqa: N818 - a signal to stop, not an error
    """Raised inside a handler when the job was cancelled or its lease was taken over."""


class JobError(Exception):
    """A failure whose message is meant for people (shown on the job page as is)."""


class UnknownJobKind(LookupError):  # noqa: N818 - reads as the condition it names
    """No kind of this name is registered."""


@dataclass(frozen=True)
class JobKind:
    """What a kind of job is: its handler, how long it may run and how often it is retried."""

    name: str
    handler: Handler
    label: str
    time_limit: int = 3600  # hard limit in seconds; the soft limit is a little earlier
    max_retries: int = 3  # retries after a transient failure or a lost worker
    user_startable: bool = False  # may people start it from the API and the jobs page?
    # A DRF serializer class validating `params` for user-started jobs (field-level errors).
    params_serializer: type | None = None
    description: str = ""
    # How the job page shows the params (label/value pairs); None: each key as it is.
    describe_params: ParamsDescriber | None = None

    @property
    def soft_time_limit(self) -> int:
        """Seconds before the handler gets SoftTimeLimitExceeded, leaving time to record it."""
        return max(1, self.time_limit - max(1, min(30, self.time_limit // 10)))

    @property
    def max_attempts(self) -> int:
        return self.max_retries + 1


class JobContext:
    """What a handler gets: the job, its params, and a way to report progress."""

    def __init__(self, job: Job, *, report: Callable[[int, str], None]):
        self.job = job
        self._report = report

    @property
    def params(self) -> dict:
        return self.job.params or {}

    @property
    def requester(self):
        return self.job.requester

    @property
    def attempt(self) -> int:
        return self.job.attempts

    def progress(self, percent: float, message: str = "") -> None:
        """Record progress (clamped to 0–100), renew the lease; raise JobCancelled if cancelled."""
        self._report(clamp_percent(percent), str(message)[:255])


def clamp_percent(percent: float) -> int:
    """A progress value for the progress bar: an integer from 0 to 100."""
    try:
        value = int(round(float(percent)))
    except (TypeError, ValueError, OverflowError):
        return 0
    return max(0, min(100, value))


_KINDS: dict[str, JobKind] = {}


def register_job_kind(
    name: str,
    handler: Handler,
    *,
    label: str = "",
    time_limit: int = 3600,
    max_retries: int = 3,
    user_startable: bool = False,
    params_serializer: type | None = None,
    description: str = "",
    describe_params: ParamsDescriber | None = None,
) -> JobKind:
    """Declare a kind of job; registering the same name with another handler is a mistake."""
    if not name or len(name) > 64:
        raise ValueError("A job kind's name must have 1 to 64 characters, e.g. 'catalog.profile'.")
    if time_limit < 1 or max_retries < 0:
        raise ValueError("time_limit must be positive and max_retries not negative.")
    kind = JobKind(
        name=name,
        handler=handler,
        label=label or name,
        time_limit=time_limit,
        max_retries=max_retries,
        user_startable=user_startable,
        params_serializer=params_serializer,
        description=description,
        describe_params=describe_params,
    )
    existing = _KINDS.get(name)
    if existing is not None and existing.handler is not handler:
        raise ValueError(f"The job kind {name!r} is already registered by {existing.handler.__module__}.")
    _KINDS[name] = kind
    return kind


def job_kind(name: str, **options) -> Callable[[Handler], Handler]:
    """Decorator form of register_job_kind."""

    def decorate(handler: Handler) -> Handler:
        register_job_kind(name, handler, **options)
        return handler

    return decorate


def unregister_job_kind(name: str) -> None:
    """Forget a kind (tests register throwaway kinds)."""
    _KINDS.pop(name, None)


def get_job_kind(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownJobKind(f"No job kind named {name!r} is registered.") from None


def job_kinds() -> list[JobKind]:
    """Every registered kind, by name."""
    return sorted(_KINDS.values(), key=lambda kind: kind.name)


def user_startable_kinds() -> list[JobKind]:
    return [kind for kind in job_kinds() if kind.user_startable]


def kind_label(name: str) -> str:
    """A person-readable name for a kind, even one no longer registered."""
    kind = _KINDS.get(name)
    return kind.label if kind else name


def job_params_validate(kind: JobKind, params: Any) -> dict:
    """Validated params for a job a person starts; raises DRF's ValidationError with field errors."""
    from rest_framework import serializers

    if params in (None, ""):
        params = {}
    if not isinstance(params, dict):
        raise serializers.ValidationError({"non_field_errors": ["Parameters must be an object."]})
    if kind.params_serializer is None:
        return {}
    serializer = kind.params_serializer(data=params)
    serializer.is_valid(raise_exception=True)
    return json_safe(serializer.validated_data)


def json_safe(data: Any) -> Any:
    """Plain JSON types (validated data may hold Decimals, dates, OrderedDicts)."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))
