"""gunicorn's settings for the web process: `gunicorn -c portal/gunicorn.conf.py portal.wsgi`.

gunicorn itself reads `WEB_CONCURRENCY` (worker processes, default 1) and `PORT` (binds
0.0.0.0:$PORT); the rest comes from the environment here, with these defaults:

- `WEB_THREADS` (4): threads per worker. Workers are gunicorn's `gthread` workers, which keep a
  client's connection open between requests (HTTP keep-alive). The MLflow client sends one
  request per logged metric on a pooled connection; with the `sync` worker every request paid for
  a new TCP connection and its graceful close. Each thread holds its own database connection
  (`DB_CONN_MAX_AGE`), so a machine holds up to WEB_CONCURRENCY × WEB_THREADS of them.
- `WEB_KEEPALIVE` (5): seconds an idle kept-alive connection waits for its next request. Behind
  a load balancer, make it longer than the balancer's own idle timeout.

Requests are parsed by `gunicorn_h1c`, gunicorn's C parser (picohttpparser), pinned in
requirements/base.txt; `http_parser = "fast"` makes a missing one an error at start rather than
a silently slower server. docs/benchmarks.md has the measurements behind these choices.
"""

import gc
import os


def _positive_int(name: str, default: int) -> int:
    """`name` from the environment. gunicorn reads this file before `--chdir` applies, where the
    project (and so `portal.env`) may not be importable yet."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


worker_class = "gthread"
threads = _positive_int("WEB_THREADS", 4)
keepalive = _positive_int("WEB_KEEPALIVE", 5)
http_parser = "fast"


def post_worker_init(worker):
    """Move what loading Django allocated out of the garbage collector's sight.

    Those objects live as long as the worker; freezing them spares every full collection from
    walking them again (under a loop of MLflow `log_metric` calls, the collector's time went from
    0.14 to 0.08 ms a call).
    """
    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    """With `PROMETHEUS_MULTIPROC_DIR`, drop a dead worker's live gauges from /metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
