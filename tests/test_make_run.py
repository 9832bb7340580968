"""`python -m portal.run` (what `make run` starts): it prepares the embedded default, serves,
runs a real worker and beat, and leaves no process behind when stopped.

Each test runs it as a subprocess on a free port with its own var folder, on SQLite and
the filesystem broker whatever the surrounding run uses.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
WAIT_SECONDS = 300  # a generous bound so a broken start fails instead of hanging the suite

pytestmark = pytest.mark.worker


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def live_pids_in_groups(groups: set[int]) -> list[int]:
    """Processes (zombies aside) whose process group is one of `groups`."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while we looked
            continue
        state, pgid = fields[0], int(fields[2])
        if pgid in groups and state != "Z":
            alive.append(int(stat.parent.name))
    return alive


class Portal:
    """A running `python -m portal.run` and the lines it printed."""

    def __init__(self, var_dir: Path, port: int, **env: str):
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "REQUIRE_SERVICES", "DJANGO_SETTINGS_MODULE"}
        }
        environment.update(ATRIUM_VAR_DIR=str(var_dir), PORT=str(port), **env)
        self.port = port
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "portal.run"],
            cwd=BASE_DIR,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str) -> re.Match:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            match = re.search(pattern, self.output)
            if match:
                return match
            if self.process.poll() is not None:
                self._reader.join(timeout=5)
                match = re.search(pattern, self.output)
                if match:
                    return match
                break
            time.sleep(0.1)
        raise AssertionError(f"never printed {pattern!r}; output:\n{self.output}")

    def children(self) -> dict[str, int]:
        self.wait_for(r"started beat \(pid \d+\)")
        return {name: int(pid) for name, pid in re.findall(r"started (\w+) \(pid (\d+)\)", self.output)}

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def stop(self, signum: int = signal.SIGINT) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=WAIT_SECONDS)

    def kill(self) -> None:
        """Teardown: whatever a failed test left running, SIGKILL its process groups."""
        groups = {self.process.pid, *(int(pid) for pid in re.findall(r"\(pid (\d+)\)", self.output))}
        for group in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        self.process.wait(timeout=WAIT_SECONDS)


@pytest.fixture
def start_portal(tmp_path):
    started: list[Portal] = []

    def start(port: int | None = None, **env: str) -> Portal:
        portal = Portal(tmp_path / "var", port or free_port(), **env)
        started.append(portal)
        return portal

    yield start
    for portal in started:
        portal.kill()


def test_it_serves_runs_a_worker_and_beat_and_stops_them_all_on_ctrl_c(start_portal):
    portal = start_portal()
    portal.wait_for(r"ready: http://127\.0\.0\.1:\d+/")
    portal.wait_for(r"celery@\S+ ready")
    portal.wait_for(r"beat: Starting")
    groups = set(portal.children().values())

    health_status, health = portal.get("/healthz")
    metrics_status, metrics = portal.get("/metrics")
    schema_status, _ = portal.get("/api/schema/")
    login_status, _ = portal.get("/accounts/login/")
    assert health_status == 200, health
    assert json.loads(health)["checks"]["broker"]["transport"] == "filesystem"
    assert metrics_status == 200
    assert b"atrium_jobs{" in metrics
    assert schema_status == 200
    assert login_status == 200

    assert portal.stop(signal.SIGINT) == 0
    assert "all stopped." in portal.output
    assert live_pids_in_groups(groups | {portal.process.pid}) == []


def test_it_prints_the_url_and_the_demo_sign_ins_and_seeds_only_the_first_time(start_portal, tmp_path):
    first = start_portal()
    first.wait_for(r"ready: ")
    assert first.stop(signal.SIGTERM) == 0
    assert "Demo data created" in first.output
    assert f"http://127.0.0.1:{first.port}/" in first.output
    assert "atrium-demo" in first.output
    for username in ("admin", "alice", "olivia", "bob", "ivan", "rita"):
        assert re.search(rf"^\s+{username}\s+\S", first.output, re.MULTILINE), username
    assert (tmp_path / "var" / ".demo-seeded").exists()

    second = start_portal()
    second.wait_for(r"ready: ")
    assert second.stop() == 0
    assert "Seeding" not in second.output


def test_when_one_process_dies_the_others_are_stopped_and_the_exit_code_says_so(start_portal):
    portal = start_portal(ATRIUM_SEED_DEMO="0")
    portal.wait_for(r"celery@\S+ ready")
    children = portal.children()

    os.kill(children["worker"], signal.SIGKILL)

    assert portal.process.wait(timeout=WAIT_SECONDS) != 0
    portal.wait_for("all stopped")
    assert re.search(r"worker was killed by signal 9; stopping the others", portal.output)
    assert live_pids_in_groups(set(children.values())) == []


def test_it_refuses_a_port_that_is_already_taken(start_portal):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        portal = start_portal(port=taken.getsockname()[1])

        assert portal.process.wait(timeout=WAIT_SECONDS) == 2
    portal._reader.join(timeout=5)
    assert "already in use" in portal.output
