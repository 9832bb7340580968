"""Thin Celery wrappers around the job services; the Job row holds state and results."""

from celery import shared_task

from apps.jobs.services import TRANSIENT_ERRORS, job_run, job_sweep

# A ceiling only: each kind's max_retries decides (job_run stops re-raising when they are used up).
TASK_MAX_RETRIES = 10


@shared_task(
    bind=True,
    acks_late=True,  # the message is acknowledged after the job ran, so a lost worker means a redelivery
    reject_on_worker_lost=True,  # … including when the pool child is killed mid-job
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=TASK_MAX_RETRIES,
)
def job_run_task(self, job_id: int) -> str:
    """Run one delivery of a job; time limits come from its kind (set when it is sent)."""
    return job_run(
        job_id=job_id, task_id=self.request.id or "", may_retry=self.request.retries < self.max_retries
    )


@shared_task(acks_late=True, ignore_result=True)
def job_sweep_task() -> dict[str, int]:
    """Re-queue jobs whose worker died and re-send jobs left queued too long (scheduled by beat)."""
    return job_sweep()
