"""A real Celery worker (and beat) for tests, as subprocesses against the test database.

Use the `celery_worker` fixture (it needs `transactional_db`, so the worker sees
the test's rows) from a test module or conftest:

    from tests.worker import celery_worker  # noqa: F401  (re-export the fixture)

    @pytest.mark.worker
    def test_it_runs(celery_worker):
        worker = celery_worker.start()                  # waits until the worker is ready
        beat = celery_worker.start_beat()               # only when a test needs schedules
        worker.kill()                                   # SIGKILL the whole process group

Each process runs `celery -A portal …` with the same environment as the tests:
ATRIUM_VAR_DIR, DJANGO_SETTINGS_MODULE, CELERY_BROKER_URL, and DATABASE_URL
pointing at the *test* database (SQLite: the TEST NAME file; PostgreSQL: the
test_ database). Extra variables (e.g. JOB_LEASE_SECONDS=3) can be passed per
process. Teardown kills every process the test started and purges the broker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

READY_TIMEOUT = 90  # seconds to wait for a worker to report ready (slow CI machines)


def worker_database_url() -> str:
    """DATABASE_URL of the database the tests run on (after pytest-django created it)."""
    from django.db import connection

    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(settings_dict["NAME"])
        if name == ":memory:" or name.startswith("file:"):
            raise RuntimeError("A worker process cannot open an in-memory SQLite test database.")
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor == "postgresql":
        credentials = quote(settings_dict.get("USER") or "", safe="")
        if settings_dict.get("PASSWORD"):
            credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
        host = settings_dict.get("HOST") or "localhost"
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        at = "@" if credentials else ""
        return f"postgres://{credentials}{at}{host}{port}/{settings_dict['NAME']}"
    raise RuntimeError(f"No worker support for the {connection.vendor} database in tests.")


def subprocess_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test process's environment, pointed at the test database, plus `extra`."""
    from django.conf import settings

    env = dict(os.environ)
    env.update(
        DATABASE_URL=worker_database_url(),
        ATRIUM_VAR_DIR=str(settings.VAR_DIR),
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_TASK_ALWAYS_EAGER="0",
        PYTHONUNBUFFERED="1",
    )
    env.update({key: str(value) for key, value in (extra or {}).items()})
    return env


@dataclass
class CeleryProcess:
    """One `celery` subprocess in its own process group, with its output in a log file."""

    name: str
    process: subprocess.Popen
    log_path: Path
    _log_file: object = field(repr=False, default=None)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_for_log(self, text: str, *, timeout: float = READY_TIMEOUT) -> None:
        """Block until `text` appears in the output; fail with the log if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if not self.alive():
                pytest.fail(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            time.sleep(0.1)
        pytest.fail(f"{self.name} never logged {text!r} within {timeout} s:\n{self.tail()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the whole process group (the main process and its pool children)."""
        if self.process.poll() is None or _group_alive(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
        if sig == signal.SIGKILL:
            self.process.wait(timeout=30)
            _wait_group_gone(self.process.pid)

    def stop(self) -> None:
        """Ask politely (SIGTERM, warm shutdown), then SIGKILL what is left."""
        if self.alive():
            self.kill(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        self.kill(signal.SIGKILL)
        if self._log_file is not None:
            self._log_file.close()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_group_gone(pgid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)


def purge_broker() -> None:
    """Drop messages left by earlier tests (and Redis's unacked store, restored after a timeout)."""
    from portal.celery import app

    try:
        app.control.purge()
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            client = getattr(channel, "client", None)
            if client is not None and hasattr(channel, "unacked_key"):
                client.delete(channel.unacked_key, channel.unacked_index_key, channel.unacked_mutex_key)
    except Exception as exc:  # the broker being away shows up in the test itself
        print(f"Could not purge the broker: {exc!r}", file=sys.stderr)


class CeleryProcesses:
    """Starts worker and beat processes for one test and stops them all at teardown."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.started: list[CeleryProcess] = []

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None) -> CeleryProcess:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}-{uuid.uuid4().hex[:8]}.log"
        log_file = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", *args],
            cwd=str(Path(__file__).resolve().parent.parent),
            env=subprocess_env(env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so killpg reaches the pool children
        )
        celery_process = CeleryProcess(name=name, process=process, log_path=log_path, _log_file=log_file)
        self.started.append(celery_process)
        return celery_process

    def start(
        self, *, env: dict[str, str] | None = None, concurrency: int = 1, name: str = "worker"
    ) -> CeleryProcess:
        """A prefork worker, returned once it reports ready."""
        worker = self._spawn(
            name,
            [
                "worker",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                f"--hostname={name}-{uuid.uuid4().hex[:8]}@%h",
            ],
            env,
        )
        worker.wait_for_log(" ready.")
        return worker

    def start_beat(self, *, env: dict[str, str] | None = None) -> CeleryProcess:
        """Celery beat with the database scheduler (django-celery-beat), returned once it starts."""
        schedule = self.log_dir / f"beat-{uuid.uuid4().hex[:8]}.schedule"
        beat = self._spawn(
            "beat",
            ["beat", "--loglevel=INFO", f"--schedule={schedule}", "--pidfile=", "--max-interval=1"],
            env,
        )
        beat.wait_for_log("beat: Starting")
        return beat

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()


@pytest.fixture
def celery_worker(transactional_db):
    """Start real Celery workers/beat for this test; all are killed at teardown."""
    from django.conf import settings as django_settings

    purge_broker()
    processes = CeleryProcesses(Path(django_settings.VAR_DIR) / "test-workers")
    try:
        yield processes
    finally:
        processes.stop_all()
        purge_broker()
