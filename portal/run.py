"""`make run`: prepare the embedded default, then supervise web, worker and beat until Ctrl-C.

1. migrate the database (a SQLite file under var/ unless DATABASE_URL says otherwise);
2. seed the demo organisation the first time (a marker file under var/ remembers it);
3. start the web server, a real Celery worker and Celery beat, each in its own process
   group with its output prefixed; Ctrl-C or SIGTERM stops all of them and waits; if one
   of them dies, the others are stopped and the exit code says so.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 20  # a worker finishes (or hands back) its current task before this
COLOURS = ("\033[36m", "\033[33m", "\033[35m", "\033[32m")
RESET = "\033[0m"


def _port() -> int:
    raw = os.environ.get("PORT", "8000")
    try:
        port = int(raw)
    except ValueError:
        sys.exit(f"PORT must be a number, got {raw!r}.")
    if not 0 < port < 65536:
        sys.exit(f"PORT must be between 1 and 65535, got {port}.")
    return port


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def prepare() -> None:
    """Migrate, and seed the demo data the first time (ATRIUM_SEED_DEMO=0 skips it)."""
    import django
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    django.setup()
    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"Database ready ({settings.DATABASES['default']['NAME']}) in {time.monotonic() - started:.1f}s.")
    marker = Path(settings.VAR_DIR) / ".demo-seeded"
    wants_demo = os.environ.get("ATRIUM_SEED_DEMO", "1").strip().lower() not in {"0", "false", "no", "off"}
    if wants_demo and (not marker.exists() or not get_user_model().objects.exists()):
        print("Seeding the demo organisation (first start only) …")
        call_command("seed_demo")
        marker.write_text("seed_demo ran; delete this file to run it again on the next start.\n")


def banner(port: int) -> str:
    """The URL and the demo sign-ins, printed before the processes start."""
    from apps.core.permissions import Role
    from apps.demo.data import ADMIN_USERNAME, DEMO_PASSWORD, PEOPLE

    lines = [
        "",
        f"  Atrium: http://127.0.0.1:{port}/",
        f"  Demo sign-ins (password for every account: {DEMO_PASSWORD}, local use only):",
        f"    {ADMIN_USERNAME:<8} superuser (every team, /admin/)",
    ]
    for person in PEOPLE:
        roles = ", ".join(f"{Role(role).label} in {team}" for team, role in person.memberships)
        lines.append(f"    {person.username:<8} {roles}")
    lines += [
        f"  Health: http://127.0.0.1:{port}/healthz   Metrics: /metrics   API docs: /api/docs/",
        "  Press Ctrl-C to stop web, worker and beat.",
        "",
    ]
    return "\n".join(lines)


@dataclass
class Child:
    """One supervised process: its command, its process, and the thread relaying its output."""

    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    relay: threading.Thread | None = None
    colour: str = ""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Supervisor:
    """Start children in their own process groups, relay their output, stop them all together."""

    children: list[Child]
    colour: bool = False
    stop_requested: threading.Event = field(default_factory=threading.Event)
    _output_lock: threading.Lock = field(default_factory=threading.Lock)
    _width: int = 6

    def say(self, name: str, text: str, colour: str = "") -> None:
        prefix = f"{name:<{self._width}} | "
        if self.colour and colour:
            prefix = f"{colour}{prefix}{RESET}"
        with self._output_lock:
            sys.stdout.write(prefix + text.rstrip("\n") + "\n")
            sys.stdout.flush()

    def _relay(self, child: Child) -> None:
        assert child.process is not None and child.process.stdout is not None
        for raw in iter(child.process.stdout.readline, b""):
            self.say(child.name, raw.decode(errors="replace"), child.colour)

    def start(self, env: dict[str, str]) -> None:
        self._width = max(len(child.name) for child in self.children)
        for index, child in enumerate(self.children):
            child.colour = COLOURS[index % len(COLOURS)]
            child.process = subprocess.Popen(  # noqa: S603 -- our own fixed commands
                child.argv,
                cwd=BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: Ctrl-C reaches it only through us
            )
            child.relay = threading.Thread(target=self._relay, args=(child,), daemon=True)
            child.relay.start()
            self.say("run", f"started {child.name} (pid {child.process.pid}): {' '.join(child.argv[1:])}")

    def wait(self) -> int:
        """Block until a stop signal or a child's death; returns the exit code for `make run`."""
        while not self.stop_requested.wait(0.2):
            for child in self.children:
                if not child.running:
                    code = child.process.returncode if child.process else None
                    how = f"was killed by signal {-code}" if code and code < 0 else f"exited with code {code}"
                    self.say("run", f"{child.name} {how}; stopping the others. Its output above says why.")
                    self.stop()
                    return code if code and code > 0 else 1
        self.say("run", "stopping web, worker and beat …")
        self.stop()
        return 0

    def stop(self) -> None:
        """SIGTERM each leader (a worker shuts down warm), then SIGKILL whatever is left of its group."""
        for child in self.children:
            if child.running:
                _signal_quietly(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say("run", f"{child.name} did not stop within {STOP_GRACE_SECONDS}s; killing it.")
        for child in self.children:
            if child.process is None:
                continue
            # The group id is the leader's pid (start_new_session); this also reaps pool children.
            _signal_group_quietly(child.process.pid, signal.SIGKILL)
            child.process.wait()
            if child.relay is not None:
                child.relay.join(timeout=2)
        self.say("run", "all stopped.")


def _signal_quietly(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _signal_group_quietly(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def commands(port: int) -> list[Child]:
    python = sys.executable
    return [
        Child("web", [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]),
        Child("worker", [python, "-m", "celery", "-A", "portal", "worker", "-c", "2", "--loglevel=INFO"]),
        Child(
            "beat",
            [
                python, "-m", "celery", "-A", "portal", "beat", "--loglevel=INFO",
                "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
            ],
        ),
    ]  # fmt: skip


def _announce_when_ready(supervisor: Supervisor, port: int) -> None:
    """Say so once the web server accepts connections."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not supervisor.stop_requested.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                supervisor.say("run", f"ready: http://127.0.0.1:{port}/")
                return
        except OSError:
            time.sleep(0.2)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
    sys.path.insert(0, str(BASE_DIR))
    port = _port()
    if not _port_is_free(port):
        print(f"Port {port} on 127.0.0.1 is already in use. Stop what runs there, or run: PORT=8001 make run")
        return 2
    prepare()
    print(banner(port), flush=True)

    env = dict(os.environ, PYTHONUNBUFFERED="1", PORT=str(port))
    supervisor = Supervisor(children=commands(port), colour=sys.stdout.isatty())

    def request_stop(signum, frame):
        if supervisor.stop_requested.is_set():  # a second Ctrl-C: no more waiting
            for child in supervisor.children:
                if child.process is not None:
                    _signal_group_quietly(child.process.pid, signal.SIGKILL)
        supervisor.stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGHUP, request_stop)
    supervisor.start(env)
    threading.Thread(target=_announce_when_ready, args=(supervisor, port), daemon=True).start()
    return supervisor.wait()


if __name__ == "__main__":
    sys.exit(main())
