"""portal/gunicorn.conf.py: the web process as a deployment runs it.

gunicorn is started for real on a small WSGI app with the portal's config; the MLflow client's
one-request-per-metric pattern depends on its connection being kept alive.
"""

import contextlib
import http.client
import importlib.util
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "portal" / "gunicorn.conf.py"


def app(environ, start_response):
    """Answers with the worker's pid, the parser gunicorn chose and how much the collector froze."""
    import gc
    import os

    from gunicorn.http import message

    body = f"{os.getpid()} {message._fast_parser_available} {gc.get_freeze_count()}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    command = [
        sys.executable, "-m", "gunicorn", "tests.test_gunicorn_config:app", "--config", str(CONFIG),
        "--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket",
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 - our own command
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            break
        assert process.poll() is None, process.stdout.read().decode()
        time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=20)


def _get(connection: http.client.HTTPConnection) -> tuple[http.client.HTTPResponse, str]:
    connection.request("GET", "/")
    response = connection.getresponse()
    return response, response.read().decode()


def test_a_clients_connection_is_kept_alive_between_requests(server):
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    first, _ = _get(connection)
    sock = connection.sock

    second, _ = _get(connection)

    assert first.status == second.status == 200
    assert first.getheader("Connection", "").lower() == "keep-alive"
    assert connection.sock is sock, "the second request needed a new connection"
    connection.close()


def test_requests_are_parsed_by_the_c_parser_and_startup_objects_are_frozen(server):
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    _, body = _get(connection)
    connection.close()

    _, fast_parser, frozen = body.split()
    assert fast_parser == "True"
    assert int(frozen) > 1000


def _config_module():
    spec = importlib.util.spec_from_file_location("portal_gunicorn_conf", CONFIG)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_dead_workers_live_gauges_leave_the_metrics_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    dead, alive = tmp_path / "gauge_livesum_4242.db", tmp_path / "gauge_livesum_4343.db"
    dead.write_bytes(b"")
    alive.write_bytes(b"")

    _config_module().child_exit(server=None, worker=types.SimpleNamespace(pid=4242))

    assert not dead.exists()
    assert alive.exists()


def test_threads_and_keepalive_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_THREADS", "8")
    monkeypatch.setenv("WEB_KEEPALIVE", "30")

    config = _config_module()

    assert (config.worker_class, config.threads, config.keepalive) == ("gthread", 8, 30)


def test_a_bad_thread_count_stops_gunicorn_with_its_name(monkeypatch):
    monkeypatch.setenv("WEB_THREADS", "four")

    with pytest.raises(SystemExit, match="WEB_THREADS must be a positive integer, got 'four'"):
        _config_module()
