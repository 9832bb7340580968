"""Training and reproducing on a REAL Celery worker: progress reported, one run each, metrics identical."""

from __future__ import annotations

import time

import pytest

from apps.experiments.models import Run, RunStatus
from apps.experiments.tests import training_data
from apps.experiments.tests.training_data import iris_spec
from apps.experiments.training import services
from apps.jobs.models import Job, JobStatus
from tests.worker import celery_worker  # noqa: F401 - fixture

pytestmark = pytest.mark.worker

media = training_data.media
iris_version = training_data.iris_version
fraud_experiment = training_data.fraud_experiment
WAIT = 240  # a hang guard, not a speed assertion


def finished(job: Job, worker) -> Job:
    deadline = time.monotonic() + WAIT
    messages = set()
    while time.monotonic() < deadline:
        job.refresh_from_db()
        messages.add(job.progress_message)
        if job.is_finished:
            job.seen_messages = messages
            return job
        time.sleep(0.2)
    pytest.fail(f"The job did not finish.\n{worker.tail()}")


def test_a_model_is_trained_and_reproduced_on_a_real_worker(
    celery_worker,  # noqa: F811 - the fixture imported above
    iris_version,
    fraud_experiment,
    media,
    alice,
):
    worker = celery_worker.start(env={"MEDIA_ROOT": str(media), "JOB_HEARTBEAT_SECONDS": "1"})
    spec = iris_spec(iris_version, fraud_experiment, validation={"method": "kfold", "folds": 3})
    job = finished(services.training_start(data=spec, by=alice), worker)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 100
    assert any(message.startswith("Fold ") for message in job.seen_messages) or "Done" in job.seen_messages
    run = Run.objects.get(training_job=job)
    assert run.status == RunStatus.FINISHED and run.artifacts.filter(path="model/model.skops").exists()

    again_job = finished(services.run_reproduce(run=run, by=alice), worker)
    assert again_job.status == JobStatus.SUCCEEDED, again_job.error
    assert again_job.result["reproduction"] == "identical"
    again = Run.objects.get(training_job=again_job)
    assert again.reproduced_from == run
    assert Run.objects.filter(experiment=fraud_experiment).count() == 2
