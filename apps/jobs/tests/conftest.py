"""Fixtures for job tests: throwaway job kinds and the real-worker fixture."""

import pytest

from apps.jobs.registry import register_job_kind, unregister_job_kind
from tests.worker import celery_worker  # noqa: F401 - re-exported fixture


@pytest.fixture
def register_kind():
    """Register a job kind for one test; it is forgotten afterwards."""
    names = []

    def register(handler, name: str = "tests.kind", **options) -> str:
        options.setdefault("label", "Test job")
        register_job_kind(name, handler, **options)
        names.append(name)
        return name

    yield register
    for name in names:
        unregister_job_kind(name)


@pytest.fixture
def sent(monkeypatch):
    """Record messages sent to the broker instead of sending them."""
    from apps.jobs import tasks

    calls = []

    def fake_apply_async(args=None, kwargs=None, **options):
        calls.append({"args": args, **options})

    monkeypatch.setattr(tasks.job_run_task, "apply_async", fake_apply_async)
    return calls
