"""Writes for background jobs: enqueue, run (claim, lease, heartbeat, finish), cancel and sweep.

How a job stays exactly-once although messages are delivered at least once:

- `job_run` first *claims* the row with a compare-and-set (queued → running, or
  running with an expired lease → running again). The claim increments
  `attempts`, which then acts as a fencing token: every later write of that run
  (progress, heartbeat, result) is guarded by `status=running AND attempts=N`.
  A second delivery of the message finds the job running under a live lease, or
  finished, and does nothing; a worker that lost its lease can no longer write.
- While the handler runs, a heartbeat thread (and every progress call) pushes
  `lease_expires_at` forward. A worker killed outright stops renewing it, and
  `job_sweep` (scheduled by beat) re-queues the job once the lease has expired —
  the filesystem broker does not redeliver when a whole worker dies, and Redis
  only after its visibility timeout.
- On PostgreSQL the claim and the sweeper lock rows with
  `SELECT … FOR UPDATE SKIP LOCKED`; SQLite has no row locks, so there the
  conditional UPDATE alone decides (SQLite serialises writers anyway).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections, transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.history import acting_user
from apps.jobs.models import Job, JobStatus
from apps.jobs.registry import JobCancelled, JobContext, JobError, JobKind, UnknownJobKind, get_job_kind

logger = logging.getLogger(__name__)

# Errors worth a retry with backoff: the database or the network hiccuped, the job itself is fine.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)

MAX_ERROR_LENGTH = 2000


class JobNotActive(Exception):  # noqa: N818 - reads as the condition it names
    """The job has already finished, so it cannot be cancelled."""


# --- Enqueue ----------------------------------------------------------------------------------


def job_enqueue(
    *,
    kind: str,
    requester,
    team=None,
    target=None,
    params: dict[str, Any] | None = None,
) -> Job:
    """Create a queued Job row and send it to the broker once the transaction commits."""
    job_kind = get_job_kind(kind)
    params = dict(params or {})
    _ensure_json(params, what="params")
    if team is None and target is not None:
        team = getattr(target, "team", None)
    target_fields: dict[str, Any] = {}
    if target is not None:
        target_fields = {
            "target_type": ContentType.objects.get_for_model(target),
            "target_id": str(target.pk),
        }
    with transaction.atomic(), acting_user(requester):
        job = Job.objects.create(
            kind=kind,
            requester=requester,
            team=team,
            params=params,
            task_id=_new_task_id(),
            enqueued_at=timezone.now(),
            progress_message="Waiting for a worker",
            **target_fields,
        )
        job_id, task_id = job.pk, job.task_id
        transaction.on_commit(lambda: _send(job_id=job_id, task_id=task_id, kind=job_kind))
    return job


def _new_task_id() -> str:
    return str(uuid.uuid4())


def _send(*, job_id: int, task_id: str, kind: JobKind) -> None:
    """Publish the job's message; if the broker is down, the sweeper will try again later."""
    from apps.jobs.tasks import job_run_task

    try:
        job_run_task.apply_async(
            args=[job_id],
            task_id=task_id,
            time_limit=kind.time_limit,
            soft_time_limit=kind.soft_time_limit,
        )
    except Exception:  # a broker outage must not fail the request that created the job
        logger.exception("Could not send job %s to the broker; the sweeper will send it again", job_id)


def _ensure_json(value: Any, *, what: str) -> None:
    try:
        json.dumps(value, cls=DjangoJSONEncoder)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"The job's {what} must be JSON-serialisable: {exc}") from exc


# --- State transitions --------------------------------------------------------------------


def _lease_deadline(now):
    return now + timedelta(seconds=settings.JOB_LEASE_SECONDS)


def _transition(*, job_id: int, guard: Q, reason: str, user=None, **fields) -> Job | None:
    """Apply `fields` to the job if it still matches `guard`; record history. None if it did not match."""
    with transaction.atomic():
        # Another worker or sweeper holding the row is busy with it: skip rather than wait.
        if connection.features.has_select_for_update_skip_locked and not _lock(guard, job_id):
            return None
        if not Job.objects.filter(guard, pk=job_id).update(**fields):
            return None
        job = Job.objects.select_related("requester").get(pk=job_id)
        # A conditional UPDATE writes no history by itself; status transitions are worth keeping.
        Job.history.bulk_history_create(
            [job], update=True, default_user=user or job.requester, default_change_reason=reason
        )
    return job


def _lock(guard: Q, job_id: int) -> bool:
    """Lock the job's row if it matches `guard` and nobody else holds it (PostgreSQL)."""
    locked = Job.objects.select_for_update(skip_locked=True).filter(guard, pk=job_id)
    return locked.values_list("pk", flat=True).first() is not None


def _running(job_id: int, attempt: int) -> Q:
    """Rows this run still owns: running, and not claimed again since (the attempt is the fence)."""
    return Q(pk=job_id, status=JobStatus.RUNNING, attempts=attempt)


def _claim(*, job_id: int, task_id: str) -> Job | None:
    now = timezone.now()
    guard = Q(status=JobStatus.QUEUED) | Q(
        status=JobStatus.RUNNING, lease_expires_at__lt=now, cancel_requested=False
    )
    return _transition(
        job_id=job_id,
        guard=guard,
        reason="started by a worker",
        status=JobStatus.RUNNING,
        attempts=F("attempts") + 1,
        started_at=Coalesce(F("started_at"), Value(now, output_field=DateTimeField())),
        heartbeat_at=now,
        lease_expires_at=_lease_deadline(now),
        task_id=task_id or F("task_id"),
        progress_message="Started",
        error="",
    )


def _finish(*, job_id: int, attempt: int, status: str, reason: str, **fields) -> Job | None:
    job = _transition(
        job_id=job_id,
        guard=_running(job_id, attempt),
        reason=reason,
        status=status,
        finished_at=timezone.now(),
        lease_expires_at=None,
        **fields,
    )
    if job is None:
        logger.warning(
            "Job %s attempt %s lost its lease before finishing; its outcome is dropped", job_id, attempt
        )
    return job


def job_heartbeat(*, job_id: int, attempt: int) -> bool:
    """Renew the lease of a run that still owns the job; False when it no longer does."""
    now = timezone.now()
    return bool(
        Job.objects.filter(_running(job_id, attempt)).update(
            heartbeat_at=now, lease_expires_at=_lease_deadline(now)
        )
    )


def job_progress(*, job_id: int, attempt: int, percent: int, message: str = "") -> None:
    """Record progress and renew the lease; raise JobCancelled when cancelled or taken over."""
    now = timezone.now()
    updated = Job.objects.filter(_running(job_id, attempt)).update(
        progress=percent, progress_message=message, heartbeat_at=now, lease_expires_at=_lease_deadline(now)
    )
    if not updated:
        raise JobCancelled("The job is no longer running on this worker.")
    if Job.objects.filter(pk=job_id, cancel_requested=True).exists():
        raise JobCancelled("Cancelled on request.")


class _Heartbeat:
    """Renews the lease from a background thread while a handler runs (it may not call progress)."""

    def __init__(self, *, job_id: int, attempt: int):
        self.job_id = job_id
        self.attempt = attempt
        self.interval = max(0.1, float(settings.JOB_HEARTBEAT_SECONDS))
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-{job_id}-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopped.set()
        self._thread.join(timeout=self.interval + 5)

    def _run(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                try:
                    if not job_heartbeat(job_id=self.job_id, attempt=self.attempt):
                        return  # finished, cancelled or taken over: nothing left to renew
                except DatabaseError:
                    logger.warning("Heartbeat of job %s failed; retrying", self.job_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connections only


# --- Run ----------------------------------------------------------------------------------


def job_run(*, job_id: int, task_id: str = "", may_retry: bool = True) -> str:
    """Run one delivery of a job's message: claim, run the handler under a lease, store the outcome once.

    Returns what happened ("skipped", "succeeded", "failed", "cancelled", "retry").
    A transient error (database or network) re-raises after putting the job back
    in the queue, so the task retries it with backoff, unless `may_retry` is False
    or the kind's retries are used up.
    """
    job = _claim(job_id=job_id, task_id=task_id)
    if job is None:
        current = Job.objects.filter(pk=job_id).values_list("status", flat=True).first()
        logger.info("Job %s not claimed (status %s); nothing to do", job_id, current or "missing")
        return "skipped"
    attempt = job.attempts
    try:
        kind = get_job_kind(job.kind)
    except UnknownJobKind:
        _finish(
            job_id=job_id,
            attempt=attempt,
            status=JobStatus.FAILED,
            reason="failed",
            error=f"This kind of job ({job.kind}) is no longer available in this version of Atrium.",
        )
        return "failed"

    logger.info("Job %s (%s) attempt %s started", job_id, job.kind, attempt)
    context = JobContext(
        job,
        report=lambda percent, message: job_progress(
            job_id=job_id, attempt=attempt, percent=percent, message=message
        ),
    )
    try:
        with _Heartbeat(job_id=job_id, attempt=attempt), acting_user(job.requester):
            result = kind.handler(context)
        _ensure_json(result, what="result")
    except JobCancelled:
        _finish(
            job_id=job_id,
            attempt=attempt,
            status=JobStatus.CANCELLED,
            reason="cancelled",
            progress_message="Cancelled",
        )
        return "cancelled"
    except SoftTimeLimitExceeded:
        logger.warning("Job %s (%s) hit its time limit of %s s", job_id, job.kind, kind.time_limit)
        return _fail(
            job_id, attempt, f"{kind.label} took longer than its time limit of {kind.time_limit} seconds."
        )
    except JobError as exc:
        return _fail(job_id, attempt, str(exc) or f"{kind.label} failed.")
    except TRANSIENT_ERRORS:
        if may_retry and attempt < kind.max_attempts:
            logger.warning(
                "Job %s attempt %s hit a transient error; retrying", job_id, attempt, exc_info=True
            )
            _release(job_id=job_id, attempt=attempt)
            raise
        logger.exception("Job %s attempt %s failed on a transient error; no retries left", job_id, attempt)
        return _fail(
            job_id,
            attempt,
            f"{kind.label} failed after {attempt} attempts: the database or network was unavailable.",
        )
    except Exception as exc:
        # The traceback is for operators (worker log); people get the error's kind and message.
        logger.exception("Job %s (%s) attempt %s failed", job_id, job.kind, attempt)
        return _fail(job_id, attempt, _describe(exc, kind))
    finished = _finish(
        job_id=job_id,
        attempt=attempt,
        status=JobStatus.SUCCEEDED,
        reason="succeeded",
        result=result,
        progress=100,
        progress_message="Done",
    )
    logger.info(
        "Job %s (%s) attempt %s %s", job_id, job.kind, attempt, "succeeded" if finished else "was dropped"
    )
    return "succeeded" if finished else "skipped"


def _describe(exc: Exception, kind: JobKind) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = exc.__class__.__name__
    return f"{kind.label} failed unexpectedly ({name}{': ' + detail if detail else ''})."[:MAX_ERROR_LENGTH]


def _fail(job_id: int, attempt: int, message: str) -> str:
    _finish(
        job_id=job_id,
        attempt=attempt,
        status=JobStatus.FAILED,
        reason="failed",
        error=message[:MAX_ERROR_LENGTH],
        progress_message="Failed",
    )
    return "failed"


def _release(*, job_id: int, attempt: int) -> None:
    """Put a run that hit a transient error back in the queue for the task's retry (best effort)."""
    try:
        _transition(
            job_id=job_id,
            guard=_running(job_id, attempt),
            reason="waiting to retry",
            status=JobStatus.QUEUED,
            lease_expires_at=None,
            enqueued_at=timezone.now(),
            progress_message="Waiting to retry after a temporary error",
        )
    except DatabaseError:
        # The database is still away; the lease will expire and the sweeper will pick the job up.
        logger.warning("Could not release job %s for a retry", job_id, exc_info=True)


# --- Cancel -------------------------------------------------------------------------------


def job_cancel(*, job: Job, by) -> Job:
    """Cancel a queued job at once, or ask a running one to stop at its next progress report."""
    name = (by.get_full_name() or by.get_username()) if by is not None else "the system"
    cancelled = _transition(
        job_id=job.pk,
        guard=Q(status=JobStatus.QUEUED),
        reason="cancelled",
        user=by,
        status=JobStatus.CANCELLED,
        cancel_requested=True,
        finished_at=timezone.now(),
        lease_expires_at=None,
        progress_message=f"Cancelled by {name}",
    )
    if cancelled is None:
        cancelled = _transition(
            job_id=job.pk,
            guard=Q(status=JobStatus.RUNNING, cancel_requested=False),
            reason="cancel requested",
            user=by,
            cancel_requested=True,
            progress_message=f"Cancelling (requested by {name})",
        )
    if cancelled is None:
        cancelled = Job.objects.select_related("requester", "team").get(pk=job.pk)
        if cancelled.is_finished:
            raise JobNotActive(f"This job has already {cancelled.get_status_display().lower()}.")
    return cancelled


# --- Sweep --------------------------------------------------------------------------------


def job_sweep(*, limit: int = 500) -> dict[str, int]:
    """Re-queue jobs whose worker died (expired lease) and re-send jobs left queued too long."""
    now = timezone.now()
    counts = {"requeued": 0, "resent": 0, "failed": 0, "cancelled": 0}
    expired = Job.objects.filter(status=JobStatus.RUNNING, lease_expires_at__lt=now).order_by(
        "lease_expires_at"
    )
    for job_id, kind_name, attempts, cancel_requested in expired.values_list(
        "pk", "kind", "attempts", "cancel_requested"
    )[:limit]:
        outcome = _sweep_expired(
            job_id=job_id, kind_name=kind_name, attempts=attempts, cancel_requested=cancel_requested
        )
        if outcome:
            counts[outcome] += 1

    grace_start = now - timedelta(seconds=settings.JOB_QUEUED_GRACE_SECONDS)
    stale = Q(enqueued_at__lt=grace_start) | Q(enqueued_at__isnull=True, created_at__lt=grace_start)
    waiting = Job.objects.filter(stale, status=JobStatus.QUEUED).order_by("created_at")
    for job_id, kind_name in waiting.values_list("pk", "kind")[:limit]:
        if _resend(job_id=job_id, kind_name=kind_name, guard=Q(stale, status=JobStatus.QUEUED)):
            counts["resent"] += 1
    if any(counts.values()):
        logger.info("Job sweep: %s", counts)
    return counts


def _sweep_expired(*, job_id: int, kind_name: str, attempts: int, cancel_requested: bool) -> str | None:
    now = timezone.now()
    guard = Q(status=JobStatus.RUNNING, lease_expires_at__lt=now, attempts=attempts)
    finished = {"finished_at": now, "lease_expires_at": None}
    if cancel_requested:
        job = _transition(
            job_id=job_id,
            guard=guard,
            reason="cancelled",
            status=JobStatus.CANCELLED,
            progress_message="Cancelled",
            **finished,
        )
        return "cancelled" if job else None
    try:
        kind = get_job_kind(kind_name)
    except UnknownJobKind:
        kind = None
    if kind is None or attempts >= kind.max_attempts:
        error = (
            f"This kind of job ({kind_name}) is no longer available in this version of Atrium."
            if kind is None
            else f"The worker running this job stopped responding {attempts} times; giving up."
        )
        job = _transition(
            job_id=job_id,
            guard=guard,
            reason="failed",
            status=JobStatus.FAILED,
            error=error,
            progress_message="Failed",
            **finished,
        )
        return "failed" if job else None
    task_id = _new_task_id()
    job = _transition(
        job_id=job_id,
        guard=guard,
        reason="re-queued: its worker stopped responding",
        status=JobStatus.QUEUED,
        lease_expires_at=None,
        enqueued_at=now,
        task_id=task_id,
        progress_message="Waiting for a worker (the previous one stopped responding)",
    )
    if job is None:
        return None
    logger.warning("Job %s lost its worker (lease expired); re-queued as attempt %s", job_id, attempts + 1)
    _send(job_id=job_id, task_id=task_id, kind=kind)
    return "requeued"


def _resend(*, job_id: int, kind_name: str, guard: Q) -> bool:
    try:
        kind = get_job_kind(kind_name)
    except UnknownJobKind:
        _transition(
            job_id=job_id,
            guard=guard,
            reason="failed",
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            error=f"This kind of job ({kind_name}) is no longer available in this version of Atrium.",
        )
        return False
    task_id = _new_task_id()
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked and not _lock(guard, job_id):
            return False
        # Re-sending is not a status change, so no history row.
        if not Job.objects.filter(guard, pk=job_id).update(enqueued_at=timezone.now(), task_id=task_id):
            return False
    logger.info("Job %s waited too long in the queue; sent again", job_id)
    _send(job_id=job_id, task_id=task_id, kind=kind)
    return True


# --- Schedule -----------------------------------------------------------------------------

SWEEP_TASK_NAME = "jobs: sweep stuck jobs"


def job_sweep_schedule_ensure(*, every: int | None = None, using: str = "default") -> None:
    """Create or update beat's periodic sweep (idempotent; runs after every migrate)."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    seconds = max(1, int(every or settings.JOB_SWEEP_SECONDS))
    schedule, _ = IntervalSchedule.objects.using(using).get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    task = PeriodicTask.objects.using(using).filter(name=SWEEP_TASK_NAME).first()
    if (
        task is not None
        and task.interval_id == schedule.pk
        and task.enabled
        and task.task == "apps.jobs.tasks.job_sweep_task"
    ):
        return
    task = task or PeriodicTask(name=SWEEP_TASK_NAME)
    task.task = "apps.jobs.tasks.job_sweep_task"
    task.interval = schedule
    task.enabled = True
    task.description = "Re-queues background jobs whose worker died and re-sends jobs left queued too long."
    task.save(using=using)
