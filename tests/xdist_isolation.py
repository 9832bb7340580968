"""Isolation for pytest-xdist: each test process gets its own var dir, broker and cache.

Loaded with `-p tests.xdist_isolation` (pyproject's addopts), so it runs before pytest-django
imports the settings. Under xdist, every worker process (`gw0`, `gw1`, …) would otherwise share
`var/`: the filesystem broker's folders (a Celery worker started by one test process would take
another's tasks and run them against the wrong test database), media and artifact storage, and
with Redis one broker database and one cache. Each worker therefore gets:

- `ATRIUM_VAR_DIR` = `<var>/xdist/<worker>`: its SQLite test database, broker folders, media;
- a Redis database of its own (`/1`, `/2`, …) for `CELERY_BROKER_URL` and `CACHE_URL`;
- `ATRIUM_SHARED_VAR_DIR` = `<var>`, for what workers should share (MLflow 2's client venv,
  screenshots).

pytest-django suffixes the test database names itself (`test_atrium_gw0`). Without xdist this
module changes nothing. Celery worker subprocesses inherit the rewritten variables.
"""

import os
import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
REDIS_URL = re.compile(r"^(?P<base>rediss?://[^/]+)(?:/(?P<db>\d+))?(?P<rest>\?.*)?$")


def _worker_number(worker: str) -> int:
    return int(worker.removeprefix("gw"))


def _own_redis_database(url: str, worker: str) -> str:
    """The same Redis server, database 1 + the worker's number (0 stays for a plain run)."""
    match = REDIS_URL.match(url)
    if not match:
        return url
    return f"{match['base']}/{1 + _worker_number(worker)}{match['rest'] or ''}"


def isolate(environ: dict, worker: str) -> None:
    shared = environ.get("ATRIUM_VAR_DIR") or str(BASE_DIR / "var")
    environ.setdefault("ATRIUM_SHARED_VAR_DIR", shared)
    environ["ATRIUM_VAR_DIR"] = str(Path(shared) / "xdist" / worker)
    for name in ("CELERY_BROKER_URL", "CACHE_URL"):
        if environ.get(name):
            environ[name] = _own_redis_database(environ[name], worker)


_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and "ATRIUM_SHARED_VAR_DIR" not in os.environ:
    isolate(os.environ, _worker)
