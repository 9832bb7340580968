"""Jobs on a REAL Celery worker (a subprocess): progress, cancel, and surviving a SIGKILLed worker.

The `worker` tests run in `make test` (SQLite + the filesystem broker). The
SIGKILL test is also marked `services`: it runs on PostgreSQL + Redis and is
skipped without them, unless REQUIRE_SERVICES=1 (then their absence fails it).
"""

import time

import pytest

from apps.jobs.models import Job, JobStatus
from apps.jobs.services import job_cancel, job_enqueue, job_sweep_schedule_ensure
from apps.jobs.tasks import job_run_task
from tests.services import services  # noqa: F401 - fixture

pytestmark = pytest.mark.worker

# Short leases and sweeps for the worker processes, so a dead worker is noticed in seconds.
FAST = {
    "JOB_LEASE_SECONDS": "5",
    "JOB_HEARTBEAT_SECONDS": "1",
    "JOB_QUEUED_GRACE_SECONDS": "5",
    "JOB_SWEEP_SECONDS": "1",
}
WAIT = 120  # seconds before a wait gives up (a hang guard, not a speed assertion)


def wait_for(condition, *, what: str, processes=(), timeout: float = WAIT):
    """Poll `condition` until it returns something truthy; fail with the workers' logs if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    logs = "\n\n".join(f"--- {process.name}\n{process.tail()}" for process in processes)
    pytest.fail(f"Timed out waiting for {what}.\n{logs}")


def statuses(job) -> list[str]:
    return list(job.history.order_by("history_date", "history_id").values_list("status", flat=True))


def test_a_job_runs_to_completion_on_a_real_worker_and_reports_progress(celery_worker, alice, fraud_team):
    worker = celery_worker.start(env=FAST)
    job = job_enqueue(kind="jobs.demo_countdown", requester=alice, team=fraud_team, params={"seconds": 3})

    seen_progress = set()

    def finished():
        current = Job.objects.get(pk=job.pk)
        seen_progress.add(current.progress)
        return current if current.is_finished else None

    job = wait_for(finished, what="the countdown to finish", processes=[worker])
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.progress, job.attempts) == (100, 1)
    assert job.result == {"seconds": 3, "steps": 12, "attempt": 1, "completions": 1}
    assert any(0 < percent < 100 for percent in seen_progress), seen_progress
    assert job.task_id
    assert statuses(job) == ["queued", "running", "succeeded"]
    assert {record.history_user for record in job.history.all()} == {alice}


def test_a_failing_job_on_a_real_worker_records_a_clear_error(celery_worker, alice):
    worker = celery_worker.start(env=FAST)
    job = job_enqueue(
        kind="jobs.demo_failure", requester=alice, params={"message": "The source is unreachable."}
    )
    job = wait_for(
        lambda: Job.objects.filter(pk=job.pk, status=JobStatus.FAILED).first(),
        what="the job to fail",
        processes=[worker],
    )
    assert job.error == "The source is unreachable."
    assert job.attempts == 1


def test_a_running_job_is_cancelled_on_a_real_worker(celery_worker, alice):
    worker = celery_worker.start(env=FAST)
    job = job_enqueue(kind="jobs.demo_countdown", requester=alice, params={"seconds": 60})
    job = wait_for(
        lambda: Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, progress__gt=0).first(),
        what="the job to start",
        processes=[worker],
    )
    job_cancel(job=job, by=alice)
    job = wait_for(
        lambda: Job.objects.filter(pk=job.pk, status=JobStatus.CANCELLED).first(),
        what="the job to stop",
        processes=[worker],
    )
    assert job.result is None
    assert job.progress < 100


@pytest.mark.services
def test_a_job_whose_worker_is_sigkilled_completes_exactly_once_after_a_restart(
    services,  # noqa: F811 - the fixture imported above
    celery_worker,
    alice,
    fraud_team,
):
    doomed = celery_worker.start(env=FAST, name="doomed")
    job = job_enqueue(kind="jobs.demo_countdown", requester=alice, team=fraud_team, params={"seconds": 6})
    wait_for(
        lambda: Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, progress__gte=20).exists(),
        what="the job to get going",
        processes=[doomed],
    )

    doomed.kill()  # SIGKILL to the whole process group: main process and pool child, mid-job

    assert not doomed.alive()
    stalled = Job.objects.get(pk=job.pk)
    assert (stalled.status, stalled.attempts, stalled.result) == (JobStatus.RUNNING, 1, None)
    assert 0 < stalled.progress < 100

    # A new worker, with beat running the sweeper every second, picks the job up once its lease expires.
    job_sweep_schedule_ensure(every=1)
    survivor = celery_worker.start(env=FAST, name="survivor")
    beat = celery_worker.start_beat(env=FAST)
    job = wait_for(
        lambda: Job.objects.filter(pk=job.pk, status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED]).first(),
        what="the job to complete on the new worker",
        processes=[survivor, beat],
    )
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.attempts == 2
    # The handler counts completions it can see: a second stored result would make this 2.
    assert job.result == {"seconds": 6, "steps": 24, "attempt": 2, "completions": 1}
    assert statuses(job).count("succeeded") == 1
    assert statuses(job) == ["queued", "running", "queued", "running", "succeeded"]

    # The same message delivered once more (as Redis does after its visibility timeout) changes nothing.
    finished_at, history_count = job.finished_at, job.history.count()
    redelivery = job_run_task.apply_async(args=[job.pk], task_id=f"redelivery-{job.pk}")
    survivor.wait_for_log(f"[{redelivery.id}] succeeded")
    assert f"Job {job.pk} not claimed (status succeeded)" in survivor.log()
    job.refresh_from_db()
    assert (job.attempts, job.finished_at, job.history.count()) == (2, finished_at, history_count)
    assert job.result["completions"] == 1
