"""The profiling job on a REAL Celery worker: queued, progress per phase, one profile stored."""

from __future__ import annotations

import time

import pytest

from apps.catalog.models import DatasetProfile
from apps.catalog.services.profiling import dataset_profile_start
from apps.catalog.tests import profiling_data
from apps.jobs.models import Job, JobStatus
from tests.worker import celery_worker  # noqa: F401, F811 - fixture

pytestmark = pytest.mark.worker

customers_version = profiling_data.customers_version
media = profiling_data.media
WAIT = 120  # a hang guard, not a speed assertion


def test_profile_now_runs_on_a_real_worker_and_stores_one_profile(
    celery_worker,  # noqa: F811 - the fixture imported above
    customers_version,
    media,
    alice,
):
    worker = celery_worker.start(env={"MEDIA_ROOT": str(media), "JOB_HEARTBEAT_SECONDS": "1"})
    job = dataset_profile_start(dataset=customers_version.dataset, by=alice)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"The profiling job did not finish.\n{worker.tail()}")
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result["rows"] == 40 and job.result["columns"] == 6
    profile = DatasetProfile.objects.get(version=customers_version)
    assert profile.job_id == job.pk and profile.columns["segment"]["top"][0]["value"] == "retail"
    assert Job.objects.get(pk=job.pk).progress == 100
