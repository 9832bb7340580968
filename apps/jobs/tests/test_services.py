"""Job services: enqueue on commit, exclusive claim, one result per job, clear errors, cancel, sweep."""

import logging
import time
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.jobs import services
from apps.jobs.models import Job, JobStatus
from apps.jobs.registry import JobError, UnknownJobKind, clamp_percent, get_job_kind, register_job_kind
from apps.jobs.services import (
    JobNotActive,
    job_cancel,
    job_enqueue,
    job_heartbeat,
    job_progress,
    job_run,
    job_sweep,
    job_sweep_schedule_ensure,
)

pytestmark = pytest.mark.django_db


def statuses(job) -> list[str]:
    """Status of each history row, oldest first."""
    return list(job.history.order_by("history_date", "history_id").values_list("status", flat=True))


# --- registry -------------------------------------------------------------------------------


def test_the_demo_kinds_are_registered_by_the_jobs_app():
    countdown = get_job_kind("jobs.demo_countdown")
    assert countdown.user_startable
    assert countdown.soft_time_limit < countdown.time_limit
    assert get_job_kind("jobs.demo_failure").max_retries == 0


def test_registering_another_handler_under_a_taken_name_is_refused(register_kind):
    register_kind(lambda context: 1, name="tests.taken")
    with pytest.raises(ValueError, match="already registered"):
        register_job_kind("tests.taken", lambda context: 2)


@pytest.mark.parametrize(
    ("given", "expected"), [(-5, 0), (0, 0), (42.4, 42), (99.6, 100), (150, 100), ("abc", 0), (None, 0)]
)
def test_progress_is_clamped_to_0_100(given, expected):
    assert clamp_percent(given) == expected


# --- enqueue --------------------------------------------------------------------------------


def test_enqueue_creates_a_queued_row_and_sends_it_only_after_commit(
    alice, fraud_team, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = job_enqueue(kind="jobs.demo_countdown", requester=alice, team=fraud_team, params={"seconds": 2})
        assert sent == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert job.params == {"seconds": 2}
    assert job.enqueued_at is not None
    kind = get_job_kind("jobs.demo_countdown")
    assert sent == [
        {
            "args": [job.pk],
            "task_id": job.task_id,
            "time_limit": kind.time_limit,
            "soft_time_limit": kind.soft_time_limit,
        }
    ]
    record = job.history.get()
    assert (record.history_type, record.history_user) == ("+", alice)


def test_enqueue_of_an_unknown_kind_is_refused_and_stores_nothing(alice):
    with pytest.raises(UnknownJobKind):
        job_enqueue(kind="nobody.registered.this", requester=alice)
    assert not Job.objects.exists()


def test_enqueue_refuses_params_that_are_not_json(alice):
    with pytest.raises(ValueError, match="JSON"):
        job_enqueue(kind="jobs.demo_countdown", requester=alice, params={"when": object()})
    assert not Job.objects.exists()


def test_a_broker_outage_leaves_the_job_queued_for_the_sweeper(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    from apps.jobs import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.job_run_task, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        job = job_enqueue(kind="jobs.demo_countdown", requester=alice)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


def test_enqueue_takes_the_team_from_the_target(alice, private_dataset):
    job = job_enqueue(kind="jobs.demo_countdown", requester=alice, target=private_dataset)
    assert job.team == private_dataset.team
    assert job.target == private_dataset


# --- run ------------------------------------------------------------------------------------


def test_a_job_runs_once_and_stores_its_result_with_history_by_the_requester(
    alice, fraud_team, register_kind
):
    seen = []

    def handler(context):
        seen.append((context.attempt, context.params))
        context.progress(50, "Halfway")
        return {"rows": 3}

    kind = register_kind(handler)
    job = job_enqueue(kind=kind, requester=alice, team=fraud_team, params={"n": 1})
    assert job_run(job_id=job.pk, task_id="task-1") == "succeeded"
    job.refresh_from_db()
    assert seen == [(1, {"n": 1})]
    assert (job.status, job.result, job.progress, job.progress_message) == (
        "succeeded",
        {"rows": 3},
        100,
        "Done",
    )
    assert (job.attempts, job.task_id, job.error) == (1, "task-1", "")
    assert job.started_at <= job.finished_at
    assert job.lease_expires_at is None
    assert statuses(job) == ["queued", "running", "succeeded"]
    assert {record.history_user for record in job.history.all()} == {alice}


def test_the_claim_is_exclusive_while_the_lease_is_alive(alice, register_kind):
    runs = []

    def handler(context):
        runs.append(context.attempt)
        # The same message delivered again while this run holds the lease:
        runs.append(job_run(job_id=context.job.pk, task_id="again"))
        return {"runs": len(runs)}

    job = job_enqueue(kind=register_kind(handler), requester=alice)
    assert job_run(job_id=job.pk, task_id="first") == "succeeded"
    job.refresh_from_db()
    assert runs == [1, "skipped"]
    assert job.attempts == 1
    assert job.task_id == "first"


def test_a_redelivered_finished_job_stores_no_second_result(alice, register_kind):
    calls = []

    def handler(context):
        calls.append(1)
        return {"completions": len(calls)}

    job = job_enqueue(kind=register_kind(handler), requester=alice)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    finished_at, history_count = job.finished_at, job.history.count()

    assert job_run(job_id=job.pk, task_id="redelivered") == "skipped"

    job.refresh_from_db()
    assert calls == [1]
    assert job.result == {"completions": 1}
    assert (job.attempts, job.finished_at, job.history.count()) == (1, finished_at, history_count)


def test_a_running_job_whose_lease_expired_is_claimed_again_and_the_old_run_is_fenced_off(
    alice, register_kind
):
    job = job_enqueue(kind=register_kind(lambda context: {"attempt": context.attempt}), requester=alice)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=1, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert job_run(job_id=job.pk) == "succeeded"
    job.refresh_from_db()
    assert (job.attempts, job.result) == (2, {"attempt": 2})
    # The first run (attempt 1) may no longer write anything.
    assert job_heartbeat(job_id=job.pk, attempt=1) is False
    with pytest.raises(services.JobCancelled):
        job_progress(job_id=job.pk, attempt=1, percent=10)


def test_a_running_job_with_a_live_lease_is_left_alone(alice, register_kind):
    calls = []
    job = job_enqueue(kind=register_kind(lambda context: calls.append(1)), requester=alice)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=1, lease_expires_at=timezone.now() + timedelta(seconds=60)
    )
    assert job_run(job_id=job.pk) == "skipped"
    assert calls == []


def test_a_missing_job_is_skipped(db):
    assert job_run(job_id=987654) == "skipped"


def test_progress_reports_are_clamped_and_renew_the_lease(alice, register_kind):
    observed = []

    def handler(context):
        for percent in (-20, 30, 250):
            context.progress(percent, "step " * 80)
            job = Job.objects.get(pk=context.job.pk)
            observed.append((job.progress, len(job.progress_message), job.lease_expires_at > timezone.now()))
        return None

    job = job_enqueue(kind=register_kind(handler), requester=alice)
    job_run(job_id=job.pk)
    assert observed == [(0, 255, True), (30, 255, True), (100, 255, True)]


def test_a_failing_handler_records_a_clear_error_and_logs_the_traceback(alice, register_kind, caplog):
    def handler(context):
        raise ValueError("column 'amount' is missing")

    job = job_enqueue(kind=register_kind(handler, label="Profile"), requester=alice)
    with caplog.at_level(logging.ERROR, logger="apps.jobs.services"):
        assert job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "Profile failed unexpectedly (ValueError: column 'amount' is missing)."
    assert "Traceback" not in job.error
    assert job.result is None
    assert any(record.exc_info and record.exc_info[0] is ValueError for record in caplog.records)
    assert statuses(job)[-1] == "failed"


def test_a_job_error_message_is_shown_as_is(alice, register_kind):
    def handler(context):
        raise JobError("The file has no header row; add one and run again.")

    job = job_enqueue(kind=register_kind(handler), requester=alice)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.error == "The file has no header row; add one and run again."


def test_a_result_that_is_not_json_fails_the_job_clearly(alice, register_kind):
    job = job_enqueue(kind=register_kind(lambda context: {"handle": object()}), requester=alice)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "JSON" in job.error


def test_hitting_the_soft_time_limit_fails_the_job_with_the_limit_named(alice, register_kind):
    def handler(context):
        raise SoftTimeLimitExceeded()

    job = job_enqueue(kind=register_kind(handler, label="Training", time_limit=120), requester=alice)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.error == "Training took longer than its time limit of 120 seconds."


def test_a_transient_error_puts_the_job_back_in_the_queue_and_re_raises_for_the_retry(alice, register_kind):
    def handler(context):
        raise OperationalError("server closed the connection unexpectedly")

    job = job_enqueue(kind=register_kind(handler, max_retries=2), requester=alice)
    with pytest.raises(OperationalError):
        job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_expires_at) == (JobStatus.QUEUED, 1, None)
    with pytest.raises(OperationalError):
        job_run(job_id=job.pk)
    # The third attempt is the kind's last: it fails for good instead of raising.
    assert job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.attempts == 3
    assert job.error == "Test job failed after 3 attempts: the database or network was unavailable."


def test_a_transient_error_fails_the_job_when_the_task_has_no_retries_left(alice, register_kind):
    def handler(context):
        raise OperationalError("database is locked")

    job = job_enqueue(kind=register_kind(handler, max_retries=5), requester=alice)
    assert job_run(job_id=job.pk, may_retry=False) == "failed"


def test_a_job_of_a_kind_no_longer_registered_fails_clearly(alice):
    job = Job.objects.create(kind="gone.kind", requester=alice)
    assert job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert "no longer available" in job.error


def test_the_heartbeat_renews_the_lease_only_for_the_run_that_owns_it(alice, register_kind):
    job = job_enqueue(kind=register_kind(lambda context: None), requester=alice)
    old_deadline = timezone.now() + timedelta(seconds=1)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=2, lease_expires_at=old_deadline)
    assert job_heartbeat(job_id=job.pk, attempt=1) is False
    assert job_heartbeat(job_id=job.pk, attempt=2) is True
    job.refresh_from_db()
    assert job.lease_expires_at > old_deadline
    assert job.heartbeat_at is not None


# --- cancel ---------------------------------------------------------------------------------


def test_cancelling_a_queued_job_cancels_it_at_once_and_it_never_runs(
    alice, olivia, fraud_team, register_kind
):
    calls = []
    job = job_enqueue(kind=register_kind(lambda context: calls.append(1)), requester=alice, team=fraud_team)
    job = job_cancel(job=job, by=olivia)
    assert (job.status, job.cancel_requested) == (JobStatus.CANCELLED, True)
    assert job.finished_at is not None
    assert job.history.order_by("-history_date", "-history_id").first().history_user == olivia
    assert job_run(job_id=job.pk) == "skipped"
    assert calls == []


def test_cancelling_a_running_job_stops_it_at_its_next_progress_report(alice, register_kind):
    reached = []

    def handler(context):
        job_cancel(job=context.job, by=alice)  # someone presses Cancel while it runs
        context.progress(10, "still going")
        reached.append("after")  # never reached
        return {"done": True}

    job = job_enqueue(kind=register_kind(handler), requester=alice)
    assert job_run(job_id=job.pk) == "cancelled"
    job.refresh_from_db()
    assert reached == []
    assert (job.status, job.result, job.progress_message) == (JobStatus.CANCELLED, None, "Cancelled")
    assert statuses(job) == ["queued", "running", "running", "cancelled"]


def test_cancelling_a_finished_job_is_refused(alice, register_kind):
    job = job_enqueue(kind=register_kind(lambda context: 1), requester=alice)
    job_run(job_id=job.pk)
    with pytest.raises(JobNotActive, match="succeeded"):
        job_cancel(job=job, by=alice)


# --- sweep ----------------------------------------------------------------------------------


def make_job(
    requester, *, status, enqueued_ago=0, lease_in=None, attempts=0, cancel_requested=False, kind=None
):
    now = timezone.now()
    job = Job.objects.create(
        kind=kind or "jobs.demo_countdown",
        requester=requester,
        status=status,
        attempts=attempts,
        cancel_requested=cancel_requested,
        task_id="original",
        enqueued_at=now - timedelta(seconds=enqueued_ago),
        lease_expires_at=None if lease_in is None else now + timedelta(seconds=lease_in),
    )
    return job


def test_the_sweeper_resends_jobs_left_queued_too_long_but_not_fresh_ones(alice, sent, settings):
    settings.JOB_QUEUED_GRACE_SECONDS = 60
    stuck = make_job(alice, status=JobStatus.QUEUED, enqueued_ago=120)
    fresh = make_job(alice, status=JobStatus.QUEUED, enqueued_ago=5)
    assert job_sweep() == {"requeued": 0, "resent": 1, "failed": 0, "cancelled": 0}
    stuck.refresh_from_db()
    assert [call["args"] for call in sent] == [[stuck.pk]]
    assert sent[0]["task_id"] == stuck.task_id != "original"
    assert stuck.enqueued_at > timezone.now() - timedelta(seconds=60)
    # Sent again just now: the next sweep leaves it alone.
    assert job_sweep()["resent"] == 0
    fresh.refresh_from_db()
    assert fresh.task_id == "original"


def test_the_sweeper_requeues_running_jobs_whose_lease_expired_but_not_live_ones(alice, sent, register_kind):
    kind = register_kind(lambda context: {"attempt": context.attempt})
    dead = make_job(alice, status=JobStatus.RUNNING, attempts=1, lease_in=-5, kind=kind)
    live = make_job(alice, status=JobStatus.RUNNING, attempts=1, lease_in=30)
    assert job_sweep()["requeued"] == 1
    dead.refresh_from_db()
    live.refresh_from_db()
    assert (dead.status, dead.lease_expires_at) == (JobStatus.QUEUED, None)
    assert [call["args"] for call in sent] == [[dead.pk]]
    assert live.status == JobStatus.RUNNING
    # The re-queued job then runs as a second attempt.
    assert job_run(job_id=dead.pk, task_id=sent[0]["task_id"]) == "succeeded"
    dead.refresh_from_db()
    assert (dead.attempts, dead.result) == (2, {"attempt": 2})
    assert statuses(dead) == ["running", "queued", "running", "succeeded"]


def test_the_sweeper_gives_up_on_a_job_whose_worker_died_too_often(alice, sent):
    kind = get_job_kind("jobs.demo_countdown")
    job = make_job(alice, status=JobStatus.RUNNING, attempts=kind.max_attempts, lease_in=-5)
    assert job_sweep()["failed"] == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "stopped responding" in job.error
    assert sent == []


def test_the_sweeper_finishes_the_cancellation_of_a_job_whose_worker_died(alice, sent):
    job = make_job(alice, status=JobStatus.RUNNING, attempts=1, lease_in=-5, cancel_requested=True)
    assert job_sweep()["cancelled"] == 1
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert sent == []


def test_the_sweep_schedule_exists_once_and_follows_the_setting(db, settings):
    assert PeriodicTask.objects.filter(name=services.SWEEP_TASK_NAME).count() == 1  # made by post_migrate
    job_sweep_schedule_ensure(every=7)
    job_sweep_schedule_ensure(every=7)
    task = PeriodicTask.objects.get(name=services.SWEEP_TASK_NAME)
    assert (task.task, task.interval.every, task.interval.period, task.enabled) == (
        "apps.jobs.tasks.job_sweep_task",
        7,
        "seconds",
        True,
    )


# --- tasks ----------------------------------------------------------------------------------


def test_the_task_runs_the_job_it_is_given(alice):
    from apps.jobs.tasks import job_run_task

    job = job_enqueue(kind="jobs.demo_countdown", requester=alice, params={"seconds": 1})
    result = job_run_task.apply(args=[job.pk], task_id="eager-1")
    assert result.get() == "succeeded"
    job.refresh_from_db()
    assert (job.status, job.task_id, job.result["completions"]) == (JobStatus.SUCCEEDED, "eager-1", 1)


def test_the_run_task_acks_late_and_requeues_on_worker_loss():
    from apps.jobs.tasks import job_run_task

    assert job_run_task.acks_late is True
    assert job_run_task.reject_on_worker_lost is True
    assert OperationalError in job_run_task.autoretry_for


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_renews_the_lease_while_a_quiet_handler_runs(alice, register_kind, settings):
    settings.JOB_HEARTBEAT_SECONDS = 0.1

    def quiet_handler(context):
        # Never calls progress: only the background heartbeat can move the lease forward.
        first = Job.objects.get(pk=context.job.pk).lease_expires_at
        for _ in range(200):
            current = Job.objects.get(pk=context.job.pk).lease_expires_at
            if current > first:
                return {"renewed": True}
            time.sleep(0.05)
        return {"renewed": False}

    job = job_enqueue(kind=register_kind(quiet_handler), requester=alice)
    assert job_run(job_id=job.pk) == "succeeded"
    job.refresh_from_db()
    assert job.result == {"renewed": True}
