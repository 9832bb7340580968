"""The same MLflow client script against Atrium and against `mlflow server`, side by side.

Issue 4's workload: 20 runs × (10 params + 1,000 metric points by log_batch + 100 single
log_metric calls), then a filtered search_runs and a metric-history read, and every point read
back; then the same again with 1,000 runs and 1,000,000 metric points preloaded (bulk SQL inserts
straight into each server's tables). Atrium runs under gunicorn as deployed
(portal/gunicorn.conf.py) with DEBUG off, on SQLite and on PostgreSQL; MLflow runs `mlflow server`
with its SQLite backend, from its own venv (requirements/bench-mlflow.txt, installed into
<var>/bench-mlflow-venv on first use, because mlflow's pins conflict with ours). The client is the
mlflow-skinny of our venv for both.

    python -m benchmarks mlflow_tracking [-- --backend sqlite|postgres|both --runs 20 --points 1000
        --singles 100 --params 10 --preload-runs 1000 --preload-points 1000 --repeat 20 --rounds 5
        --no-preload]

All servers run at once; in each round one client script per server runs, the scripts taking turns
at every step (the others stopped), and the figures are the medians over the rounds (see
_measure_in_rounds).

Targets: Atrium ≥ 3× MLflow's throughput for single log_metric calls and for log_batch; search and
history at most half MLflow's latency.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("ATRIUM_VAR_DIR") or ROOT / "var")
BENCH_DIR = VAR / "bench" / "mlflow_tracking"
MLFLOW_VENV = VAR / "bench-mlflow-venv"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/atrium_bench_mlflow"
EXPERIMENT = "bench"
PASSWORD = "bench-password-not-secret"  # noqa: S105 - a throwaway user in a throwaway database
FILTER = "metrics.loss < 0.5 AND params.p1 = '1' AND attributes.status = 'FINISHED'"
ORDER_BY = ["metrics.loss ASC"]


# --- helpers -------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a local URL we built
                return
        except urllib.error.HTTPError:
            return  # it answers (401/404 are fine: it is up)
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


@contextlib.contextmanager
def _server(command: list[str], env: dict, probe: str, log: Path):
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 - our own commands
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
        )
        try:
            _wait_until_up(probe, process)
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _child(*args: str, env: dict | None = None) -> dict:
    """Run this module as a child (`--child ...`) and return the JSON it prints last."""
    completed = subprocess.run(  # noqa: S603 - this module
        [sys.executable, "-m", "benchmarks.mlflow_tracking", "--child", *args],
        env=env or os.environ.copy(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _atrium_env(database_url: str) -> dict:
    env = os.environ.copy()
    env.update(
        {
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "DJANGO_SETTINGS_MODULE": "portal.settings.base",
            "ATRIUM_VAR_DIR": str(BENCH_DIR / "atrium-var"),
            "SECRET_KEY": "bench-" + "k" * 60,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Persistent connections, as a deployment serving the MLflow API should run (MLflow's
            # server pools its connections too): a new PostgreSQL connection per request costs more
            # than logging a metric.
            "DB_CONN_MAX_AGE": "300",
        }
    )
    return env


def _ensure_postgres_database(url: str, *, fresh: bool) -> bool:
    import psycopg

    name = url.rsplit("/", 1)[1]
    try:
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True, connect_timeout=3) as conn:
            if fresh:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        print(f"PostgreSQL not reachable ({error.__class__.__name__}); skipping it.", file=sys.stderr)
        return False
    return True


def _mlflow_python() -> Path:
    """The bench venv's python with `mlflow` installed (created and installed on first use)."""
    python = MLFLOW_VENV / "bin" / "python"
    check = [str(python), "-c", "import mlflow, sys; sys.exit(mlflow.__version__ != '3.17.2')"]
    if python.exists() and subprocess.run(check, capture_output=True, check=False).returncode == 0:  # noqa: S603
        return python
    print(f"Installing mlflow into {MLFLOW_VENV} (first use) …", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(MLFLOW_VENV)], check=True)  # noqa: S603
    requirements = ROOT / "requirements" / "bench-mlflow.txt"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True)  # noqa: S603
    return python


# --- children: Atrium setup and preload (inside Django) --------------------------------------------
def _django(database_url: str) -> None:
    os.environ.update(_atrium_env(database_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def child_atrium_setup(database_url: str) -> dict:
    """Migrate a fresh database, make a team, a data scientist and a token; return the token."""
    _django(database_url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from apps.teams.services import membership_set, team_create, token_issue

    call_command("migrate", interactive=False, verbosity=0)
    user_model = get_user_model()
    root = user_model.objects.create_superuser("bench-root", "root@example.org", PASSWORD)
    user = user_model.objects.create_user("bench", "bench@example.org", PASSWORD)
    team = team_create(name="Bench", kind="data_science", by=root)
    membership_set(team=team, user=user, role="data_scientist", by=root)
    _, raw = token_issue(user=user, name="bench")
    return {"token": raw}


def _preload_rows(runs: int, points: int, start_ms: int):
    """(run uuid, name, start) and per-run metric/param rows, the same for both servers."""
    import random

    generator = random.Random(7)  # noqa: S311 - benchmark data
    for index in range(runs):
        run_uuid = uuid.UUID(int=generator.getrandbits(128)).hex
        start = start_ms + index * 10_000
        values = [(step, 1.0 / (step + 1) + generator.random() / 10, start + step) for step in range(points)]
        params = [(f"p{i}", str(generator.randrange(10))) for i in range(10)]
        yield run_uuid, f"preloaded-{index}", start, values, params


def child_atrium_preload(database_url: str, runs: int, points: int) -> dict:
    """Bulk-insert runs, points, latest metrics, params and tags straight into Atrium's tables."""
    _django(database_url)
    from django.db import connection, transaction

    from apps.experiments.models import Experiment, LatestMetric, Metric, Param, Run, RunTag
    from apps.experiments.services.tracking import experiment_create
    from apps.teams.models import Team

    user_model = __import__("django.contrib.auth", fromlist=["get_user_model"]).get_user_model()
    user = user_model.objects.get(username="bench")
    experiment = Experiment.objects.filter(name=EXPERIMENT).first() or experiment_create(
        by=user, name=EXPERIMENT, team=Team.objects.get(name="Bench")
    )
    started = time.perf_counter()
    now = int(time.time() * 1000) - 86_400_000
    with transaction.atomic(), connection.cursor() as cursor:
        run_rows, metric_rows, param_rows, tag_rows = [], [], [], []
        created = time.strftime("%Y-%m-%d %H:%M:%S+00:00", time.gmtime())
        for run_uuid, name, start, values, params in _preload_rows(runs, points, now):
            run_rows.append(
                (
                    run_uuid, experiment.pk, name, user.pk, "bench", "FINISHED", start, start + points,
                    "active", f"mlflow-artifacts:/{experiment.pk}/{run_uuid}/artifacts", "", "LOCAL",
                    "bench.py", "", "", "", "{}", created, created,
                )
            )  # fmt: skip
            metric_rows.append((run_uuid, values))
            param_rows.append((run_uuid, params))
            tag_rows.append((run_uuid, [("mlflow.runName", name), ("mlflow.user", "bench")]))
        columns = (
            "uuid, experiment_id, name, user_id, user_name, status, start_time, end_time, lifecycle_stage, "
            "artifact_uri, description, source_type, source_name, entry_point, git_commit, git_repo, "
            "environment, created_at, updated_at"
        )
        run_table = Run._meta.db_table
        cursor.executemany(
            f"INSERT INTO {run_table} ({columns}) VALUES ({', '.join(['%s'] * 19)})",  # noqa: S608
            run_rows,
        )
        cursor.execute(f"SELECT uuid, id FROM {run_table} WHERE experiment_id = %s", [experiment.pk])  # noqa: S608
        ids = dict(cursor.fetchall())
        metric_table, latest_table = Metric._meta.db_table, LatestMetric._meta.db_table
        param_table, tag_table = Param._meta.db_table, RunTag._meta.db_table
        rows = [
            (ids[run_uuid], "loss", value, timestamp, step, False)
            for run_uuid, values in metric_rows
            for step, value, timestamp in values
        ]
        latest = [
            (ids[run_uuid], "loss", values[-1][1], values[-1][2], values[-1][0], False)
            for run_uuid, values in metric_rows
        ]
        if connection.vendor == "postgresql":
            raw = connection.connection
            with raw.cursor().copy(
                f'COPY {metric_table} (run_id, key, value, "timestamp", step, is_nan) FROM STDIN'
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f'INSERT INTO {metric_table} (run_id, key, value, "timestamp", step, is_nan) '  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )
        cursor.executemany(
            f'INSERT INTO {latest_table} (run_id, key, value, "timestamp", step, is_nan) '  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s)",
            latest,
        )
        cursor.executemany(
            f"INSERT INTO {param_table} (run_id, key, value) VALUES (%s, %s, %s)",  # noqa: S608
            [(ids[run_uuid], key, value) for run_uuid, params in param_rows for key, value in params],
        )
        cursor.executemany(
            f"INSERT INTO {tag_table} (run_id, key, value) VALUES (%s, %s, %s)",  # noqa: S608
            [(ids[run_uuid], key, value) for run_uuid, tags in tag_rows for key, value in tags],
        )
    # Statistics for the planner, and the bulk load written through to the tables (a checkpoint),
    # as MLflow's SQLite (a rollback journal) has it on commit: otherwise the first round's writes
    # pay for the preload's checkpoint (PostgreSQL's log_batch ran at 1.6× MLflow's in that round,
    # 3.2–3.4× in the next two).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"experiment_id": experiment.pk, "seconds": time.perf_counter() - started, "points": len(rows)}


def mlflow_preload(db_path: Path, experiment_id: str, runs: int, points: int) -> dict:
    """Bulk-insert the same rows into MLflow's SQLite tables (runs, metrics, latest_metrics, params, tags)."""
    import sqlite3

    started = time.perf_counter()
    now = int(time.time() * 1000) - 86_400_000
    connection = sqlite3.connect(db_path)
    total = 0
    with connection:
        run_columns = {row[1] for row in connection.execute("PRAGMA table_info(runs)")}
        for run_uuid, name, start, values, params in _preload_rows(runs, points, now):
            row = {
                "run_uuid": run_uuid, "name": name, "source_type": "LOCAL", "source_name": "bench.py",
                "entry_point_name": "", "user_id": "bench", "status": "FINISHED", "start_time": start,
                "end_time": start + points, "source_version": "", "lifecycle_stage": "active",
                "artifact_uri": f"mlflow-artifacts:/{experiment_id}/{run_uuid}/artifacts",
                "experiment_id": int(experiment_id), "deleted_time": None,
            }  # fmt: skip
            row = {key: value for key, value in row.items() if key in run_columns}
            connection.execute(
                f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",  # noqa: S608
                list(row.values()),
            )
            connection.executemany(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                "VALUES (?, ?, ?, ?, ?, 0)",
                [("loss", value, timestamp, run_uuid, step) for step, value, timestamp in values],
            )
            last = values[-1]
            connection.execute(
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                "VALUES (?, ?, ?, ?, 0, ?)",
                ("loss", last[1], last[2], last[0], run_uuid),
            )
            connection.executemany(
                "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                [(key, value, run_uuid) for key, value in params],
            )
            connection.executemany(
                "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                [("mlflow.runName", name, run_uuid), ("mlflow.user", "bench", run_uuid)],
            )
            total += len(values)
    connection.close()
    return {"seconds": time.perf_counter() - started, "points": total}


def _timed_points(
    client, run_id: str, index: int, base: int, points: int, singles: int, latencies: list
) -> float:
    """The script's timed writes for one run: one `points`-point log_batch, then `singles` single
    log_metric calls (their latencies appended to `latencies`); returns the batch's seconds."""
    from mlflow.entities import Metric

    metrics = [Metric("loss", 1.0 / (step + 1) + index / 1000, base + step, step) for step in range(points)]
    tick = time.perf_counter()
    client.log_batch(run_id, metrics=metrics)
    batch_seconds = time.perf_counter() - tick
    for step in range(singles):
        tick = time.perf_counter()
        client.log_metric(run_id, "acc", step / singles, timestamp=base + step, step=step)
        latencies.append(time.perf_counter() - tick)
    return batch_seconds


# --- the client script, step by step (the same for every server) ----------------------------------
def _mlflow_client(uri: str, token: str):
    os.environ["MLFLOW_TRACKING_URI"] = uri
    if token:
        os.environ["MLFLOW_TRACKING_TOKEN"] = token
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "3"  # a worker restart must not end the run
    import mlflow

    return mlflow.MlflowClient()


def _timed_history(client, run_id: str, points: int) -> dict:
    """One timed read of `run_id`'s `loss` history, which must hold `points` points."""
    tick = time.perf_counter()
    history = client.get_metric_history(run_id, "loss")
    seconds = time.perf_counter() - tick
    assert len(history) == points, f"history has {len(history)} points, expected {points}"
    return {"history_s": seconds}


class ClientScript:
    """The issue's client script, cut into the steps `_measure_in_rounds` interleaves across the
    servers: one run's writes (`run`), one filtered search (`search`), one metric-history read
    (`history`), and at the end every point read back and checked (`read_back`)."""

    steps = ("run", "search", "history", "read_back")

    def __init__(self, uri: str, token: str, points: int, singles: int, params: int):
        self.client = _mlflow_client(uri, token)
        experiment = self.client.get_experiment_by_name(EXPERIMENT)
        self.experiment_id = (
            experiment.experiment_id if experiment else self.client.create_experiment(EXPERIMENT)
        )
        self.points, self.singles, self.params = points, singles, params
        self.base = int(time.time() * 1000)
        self.run_ids: list[str] = []

    def run(self, index: int) -> dict:
        from mlflow.entities import Param

        started = time.perf_counter()
        run_id = self.client.create_run(self.experiment_id, run_name=f"bench-{index}").info.run_id
        self.run_ids.append(run_id)
        self.client.log_batch(
            run_id, params=[Param(f"p{i}", str((index + i) % 10)) for i in range(self.params)]
        )
        singles: list[float] = []
        batch = _timed_points(self.client, run_id, index, self.base, self.points, self.singles, singles)
        self.client.set_terminated(run_id)
        return {"batch_s": batch, "singles_s": singles, "script_s": time.perf_counter() - started}

    def search(self, index: int) -> dict:
        tick = time.perf_counter()
        found = self.client.search_runs([self.experiment_id], FILTER, order_by=ORDER_BY, max_results=100)
        return {"search_s": time.perf_counter() - tick, "found": len(found)}

    def history(self, index: int) -> dict:
        return _timed_history(self.client, self.run_ids[index % len(self.run_ids)], self.points)

    def read_back(self, index: int) -> dict:
        read_back = 0
        for number, run_id in enumerate(self.run_ids):
            loss = self.client.get_metric_history(run_id, "loss")
            acc = self.client.get_metric_history(run_id, "acc")
            expected = [(step, 1.0 / (step + 1) + number / 1000) for step in range(self.points)]
            assert sorted((m.step, m.value) for m in loss) == expected, f"run {number}: loss points differ"
            assert sorted(m.step for m in acc) == list(range(self.singles)), (
                f"run {number}: acc points differ"
            )
            read_back += len(loss) + len(acc)
        return {"points_read_back": read_back}


def child_session(kind: str, uri: str, token: str, points: int, singles: int, params: int) -> None:
    """Serve one script's steps over stdin/stdout: a line `<step> <index>` in, a JSON line out.
    Whatever else is printed (the client prints a link when a run ends) goes to stderr."""
    replies, sys.stdout = sys.stdout, sys.stderr
    script = SCRIPTS[kind](uri, token, points, singles, params)
    print(json.dumps({"ready": True}), file=replies, flush=True)
    for line in sys.stdin:
        step, index = line.split()
        if step not in script.steps:
            raise SystemExit(f"unknown step {step!r}")
        print(json.dumps(getattr(script, step)(int(index))), file=replies, flush=True)


# --- the floor: the same client against a server that does nothing --------------------------------
FLOOR_RUN_ID = "0" * 32


def _floor_history_body(points: int) -> bytes:
    metrics = [
        {"key": "loss", "value": 1.0 / (step + 1), "timestamp": 1_700_000_000_000 + step, "step": step}
        for step in range(points)
    ]
    return json.dumps({"metrics": metrics}).encode()


_FLOOR_BODIES: dict[str, bytes] = {}


def floor_app(environ, start_response):
    """A WSGI app answering the MLflow routes the script times with canned bodies and no work:
    `{}` to writes, a `BENCH_FLOOR_POINTS`-point history to history reads. Served by gunicorn as
    Atrium is, it shows the client's and HTTP's own share, which no server can go below."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    if environ["PATH_INFO"].endswith("/metrics/get-history"):
        if "history" not in _FLOOR_BODIES:
            _FLOOR_BODIES["history"] = _floor_history_body(int(os.environ.get("BENCH_FLOOR_POINTS", "1000")))
        body = _FLOOR_BODIES["history"]
    else:
        body = b"{}"
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class FloorScript:
    """The script's timed calls (each run's log_batch and single log_metric calls, history reads)
    against `floor_app`; it has no runs to search or read back."""

    steps = ("run", "history")

    def __init__(self, uri: str, token: str, points: int, singles: int, params: int):
        self.client = _mlflow_client(uri, token or "floor")  # sent as the real script sends its token
        self.points, self.singles = points, singles
        self.base = int(time.time() * 1000)

    def run(self, index: int) -> dict:
        started = time.perf_counter()
        singles: list[float] = []
        batch = _timed_points(self.client, FLOOR_RUN_ID, index, self.base, self.points, self.singles, singles)
        return {"batch_s": batch, "singles_s": singles, "script_s": time.perf_counter() - started}

    def history(self, index: int) -> dict:
        return _timed_history(self.client, FLOOR_RUN_ID, self.points)


SCRIPTS = {"client": ClientScript, "floor": FloorScript}


@contextlib.contextmanager
def _floor_server(options):
    """`floor_app` under gunicorn with Atrium's settings; yields the floor client's arguments and process."""
    port = _free_port()
    command = _gunicorn_command("benchmarks.mlflow_tracking:floor_app", port, options.workers)
    env = {**os.environ, "BENCH_FLOOR_POINTS": str(options.points)}
    with _server(command, env, f"http://127.0.0.1:{port}/health", BENCH_DIR / "floor.log") as process:
        yield _session_args("floor", f"http://127.0.0.1:{port}", "", options), process


# --- orchestration ---------------------------------------------------------------------------------
def _gunicorn_command(app: str, port: int, workers: int) -> list[str]:
    """gunicorn as a deployment runs it (portal/gunicorn.conf.py), on `port` with `workers`."""
    return [
        sys.executable, "-m", "gunicorn", app, "--config", str(ROOT / "portal" / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        # A long timeout: the server is stopped (SIGSTOP) during the other servers' turns, and
        # gunicorn would take its silent workers for hung ones.
        "--timeout", "3600",
    ]  # fmt: skip


@contextlib.contextmanager
def _atrium_server(backend: str, options, *, preload: bool):
    """Atrium on `backend` (a fresh database, preloaded if asked) under gunicorn.

    Yields the client's arguments and the server's process (None when PostgreSQL is unreachable).
    """
    if backend == "sqlite":
        path = BENCH_DIR / f"atrium-{'preloaded' if preload else 'fresh'}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{path}"
    else:
        if not _ensure_postgres_database(POSTGRES_URL, fresh=True):
            yield None, None
            return
        database_url = POSTGRES_URL
    env = _atrium_env(database_url)
    token = _child("atrium-setup", database_url, env=env)["token"]
    if preload:
        loaded = _child(
            "atrium-preload", database_url, str(options.preload_runs), str(options.preload_points), env=env
        )
        print(
            f"  preloaded Atrium/{backend}: {loaded['points']:,} points in {loaded['seconds']:.1f} s",
            flush=True,
        )
    port = _free_port()
    command = _gunicorn_command("portal.wsgi:application", port, options.workers)
    log = BENCH_DIR / f"atrium-{backend}.log"
    with _server(command, env, f"http://127.0.0.1:{port}/healthz", log) as process:
        yield _session_args("client", f"http://127.0.0.1:{port}", token, options), process


@contextlib.contextmanager
def _mlflow_server(options, *, preload: bool):
    """`mlflow server` on SQLite (fresh, preloaded if asked); yields the client's arguments and process."""
    python = _mlflow_python()
    directory = BENCH_DIR / f"mlflow-{'preloaded' if preload else 'fresh'}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    db_path = directory / "mlflow.db"
    port = _free_port()
    command = [
        str(python), "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{db_path}",
        "--artifacts-destination", str(directory / "artifacts"), "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(options.workers),
    ]  # fmt: skip
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    log = BENCH_DIR / "mlflow-server.log"
    uri = f"http://127.0.0.1:{port}"
    with _server(command, env, f"{uri}/health", log) as process:
        if preload:
            request = urllib.request.Request(  # noqa: S310 - local
                f"{uri}/api/2.0/mlflow/experiments/create",
                data=json.dumps({"name": EXPERIMENT}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                experiment_id = json.loads(response.read())["experiment_id"]
            loaded = mlflow_preload(db_path, experiment_id, options.preload_runs, options.preload_points)
            print(
                f"  preloaded MLflow/sqlite: {loaded['points']:,} points in {loaded['seconds']:.1f} s",
                flush=True,
            )
        yield _session_args("client", uri, "", options), process


def _session_args(kind: str, uri: str, token: str, options) -> list[str]:
    return [kind, uri, token, str(options.points), str(options.singles), str(options.params)]


class Session:
    """A client script (`child_session`) running in its own process, driven one step at a time."""

    def __init__(self, args: list[str], log: Path):
        self.log = log.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - this module
            [sys.executable, "-m", "benchmarks.mlflow_tracking", "--child", "session", *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.steps = SCRIPTS[args[0]].steps
        self._reply()  # {"ready": true} once the client has found or made the experiment

    def step(self, name: str, index: int) -> dict:
        self.process.stdin.write(f"{name} {index}\n")
        self.process.stdin.flush()
        return self._reply()

    def _reply(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            raise RuntimeError(f"client session failed:\n{Path(self.log.name).read_text()[-3000:]}")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.process.stdout.close()
        self.log.close()


ROWS = [
    ("log_batch throughput (points/s)", "log_batch_points_per_s", "higher", 3.0),
    ("log_batch call (ms, mean)", "log_batch_ms", "lower", None),
    ("log_metric throughput (calls/s)", "log_metric_calls_per_s", "higher", 3.0),
    ("log_metric call (ms, median)", "log_metric_ms", "lower", None),
    ("search_runs (ms, median)", "search_ms", "lower", 0.5),
    ("get_metric_history (ms, median)", "history_ms", "lower", 0.5),
    ("whole script (s)", "script_s", "lower", None),
]


def _table(title: str, atrium: dict[str, dict], mlflow: dict) -> str:
    backends = [name for name, result in atrium.items() if result]
    lines = [f"### {title}", ""]
    header = "| | " + " | ".join(f"Atrium {name}" for name in backends) + " | MLflow sqlite | "
    header += " | ".join(f"{name} vs MLflow" for name in backends) + " |"
    lines += [header, "|" + "---|" * (2 + 2 * len(backends))]
    for label, key, better, target in ROWS:
        cells = [f"{atrium[name][key]:,.1f}" for name in backends] + [f"{mlflow[key]:,.1f}"]
        ratios = []
        for name in backends:
            ratio = atrium[name][key] / mlflow[key] if mlflow[key] else float("inf")
            mark = ""
            if target is not None:
                met = ratio >= target if better == "higher" else ratio <= target
                mark = " ✓" if met else " ✗"
            ratios.append(f"{ratio:.2f}×{mark}")
        lines.append(f"| {label} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(lines)


def _measure_in_rounds(options, backends: list[str], *, preload: bool) -> dict[str, list[dict]]:
    """Every server up at once and the client script run against each, step by step, `options.rounds` times.

    The machine's speed drifts by as much as 2× over minutes, so servers measured one after the
    other compare their moments as much as themselves. Here a round runs one client script per
    server, and the scripts take turns at every step (one run's writes, one search, one history
    read), in an order rotated from step to step: every server meets the same moments, a few
    hundred milliseconds apart. The servers not taking their turn are stopped (SIGSTOP), so
    MLflow's idle job consumers take no CPU from Atrium's turn, nor Atrium's workers from
    MLflow's. Each figure is the median over the rounds.
    """
    with contextlib.ExitStack() as stack:
        servers: dict[str, tuple] = {}
        for backend in backends:
            print(f"  starting Atrium on {backend} …", flush=True)
            args, process = stack.enter_context(_atrium_server(backend, options, preload=preload))
            if process is not None:
                servers[f"atrium-{backend}"] = (args, process)
        if not options.atrium_only:
            print("  starting MLflow server on sqlite …", flush=True)
            servers["mlflow"] = stack.enter_context(_mlflow_server(options, preload=preload))
            servers["floor"] = stack.enter_context(_floor_server(options))
        stack.callback(_resume, [process for _, process in servers.values()])  # before they are stopped
        rounds: dict[str, list[dict]] = {name: [] for name in servers}
        # A warm-up round of one run, not counted: a server's first calls after it starts (MLflow's
        # job consumers starting, Atrium's first statements being prepared) are not its pace.
        print("  warm-up", flush=True)
        _interleaved_round(servers, argparse.Namespace(**{**vars(options), "runs": 1, "repeat": 1}), 0)
        for index in range(options.rounds):
            print(f"  round {index + 1}/{options.rounds}", flush=True)
            replies = _interleaved_round(servers, options, index)
            for name, steps in replies.items():
                rounds[name].append(_round_result(steps, options))
        return rounds


def _interleaved_round(servers: dict[str, tuple], options, index: int) -> dict[str, list[tuple[str, dict]]]:
    """One client script per server, their steps taken in turns: {server: [(step, reply), ...]}."""

    def only(name: str) -> None:
        for other, (_, process) in servers.items():
            _signal_group(process, signal.SIGCONT if other == name else signal.SIGSTOP)

    names = list(servers)
    sessions: dict[str, Session] = {}
    try:
        for name, (args, _) in servers.items():
            only(name)
            sessions[name] = Session(args, BENCH_DIR / f"session-{name}.log")
        steps = [("run", i) for i in range(options.runs)]
        steps += [("search", i) for i in range(options.repeat)]
        steps += [("history", i) for i in range(options.repeat)]
        steps.append(("read_back", 0))
        replies: dict[str, list[tuple[str, dict]]] = {name: [] for name in names}
        for number, (step, step_index) in enumerate(steps):
            turn = (index + number) % len(names)
            for name in names[turn:] + names[:turn]:
                if step in sessions[name].steps:
                    only(name)
                    replies[name].append((step, sessions[name].step(step, step_index)))
        return replies
    finally:
        _resume([process for _, process in servers.values()])
        for session in sessions.values():
            session.close()


def _round_result(steps: list[tuple[str, dict]], options) -> dict:
    """One server's figures for one round, from its script's step replies."""
    runs = [reply for step, reply in steps if step == "run"]
    batch_seconds = sum(reply["batch_s"] for reply in runs)
    singles = [latency for reply in runs for latency in reply["singles_s"]]
    history = [reply["history_s"] for step, reply in steps if step == "history"]
    result = {
        "log_batch_points_per_s": len(runs) * options.points / batch_seconds,
        "log_batch_ms": batch_seconds / len(runs) * 1000,
        "log_metric_calls_per_s": len(singles) / sum(singles),
        "log_metric_ms": statistics.median(singles) * 1000,
        "history_ms": statistics.median(history) * 1000,
    }
    searches = [reply for step, reply in steps if step == "search"]
    if searches:
        result["search_ms"] = statistics.median(reply["search_s"] for reply in searches) * 1000
        result["search_found"] = searches[-1]["found"]
        result["script_s"] = sum(reply["script_s"] for reply in runs)
        result["points_read_back"] = next(reply for step, reply in steps if step == "read_back")[
            "points_read_back"
        ]
    return result


def _signal_group(process, signum) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _resume(processes) -> None:
    for process in processes:
        _signal_group(process, signal.SIGCONT)


def _median_result(rounds: list[dict]) -> dict:
    """Each figure's median over the rounds (an empty dict when the server did not run)."""
    if not rounds:
        return {}
    return {key: statistics.median(result[key] for result in rounds) for key in rounds[0]}


def _floor_summary(floor: dict, mlflow: dict) -> str:
    """What the client and HTTP take alone, and so the best ratio any server could reach here."""
    return (
        "\nThe floor (the same client against a server answering canned bodies, under the same "
        f"gunicorn): log_batch {floor['log_batch_ms']:.1f} ms, log_metric {floor['log_metric_ms']:.1f} ms "
        f"(median), history {floor['history_ms']:.1f} ms. No server can do better here than "
        f"{floor['log_batch_points_per_s'] / mlflow['log_batch_points_per_s']:.2f}× MLflow's log_batch "
        f"throughput, {floor['log_metric_calls_per_s'] / mlflow['log_metric_calls_per_s']:.2f}× its "
        f"log_metric throughput and {floor['history_ms'] / mlflow['history_ms']:.2f}× its history latency."
    )


def _rounds_table(rounds: dict[str, list[dict]], backends: list[str]) -> str:
    """Each round's ratios against MLflow's figure of the same round: how far the medians can be trusted."""
    lines = ["", "Ratios against MLflow, round by round:", ""]
    columns = [(label, key) for label, key, _, target in ROWS if target is not None]
    lines.append("| Atrium | round | " + " | ".join(label.split(" (")[0] for label, _ in columns) + " |")
    lines.append("|" + "---|" * (2 + len(columns)))
    for backend in backends:
        if not rounds.get(f"atrium-{backend}"):
            continue
        for index, (ours, theirs) in enumerate(
            zip(rounds[f"atrium-{backend}"], rounds["mlflow"], strict=True)
        ):
            ratios = [f"{ours[key] / theirs[key]:.2f}×" for _, key in columns]
            lines.append(f"| {backend} | {index + 1} | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        kind, args = argv[1], argv[2:]
        if kind == "session":
            child_session(args[0], args[1], args[2], *map(int, args[3:]))
            return 0
        if kind == "atrium-setup":
            result = child_atrium_setup(args[0])
        else:
            result = child_atrium_preload(args[0], int(args[1]), int(args[2]))
        print(json.dumps(result))
        return 0
    # A SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so the servers' process groups are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(prog="python -m benchmarks mlflow_tracking")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--singles", type=int, default=100)
    parser.add_argument("--params", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--preload-runs", type=int, default=1000)
    parser.add_argument("--preload-points", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes, the same for both")
    parser.add_argument("--rounds", type=int, default=5, help="each server measured once per round; medians")
    parser.add_argument("--no-preload", action="store_true")
    parser.add_argument("--atrium-only", action="store_true", help="skip mlflow server (no comparison)")
    options = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if options.backend == "both" else [options.backend]
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    scenarios = [False] if options.no_preload else [False, True]
    report = []
    failures = 0
    for preload in scenarios:
        total = options.preload_runs * options.preload_points
        title = f"{options.preload_runs:,} runs, {total:,} points preloaded" if preload else "empty database"
        print(f"--- {title}", flush=True)
        rounds = _measure_in_rounds(options, backends, preload=preload)
        results = {backend: _median_result(rounds.get(f"atrium-{backend}", [])) for backend in backends}
        if options.atrium_only:
            print(json.dumps(results, indent=2), flush=True)
            continue
        mlflow_result = _median_result(rounds["mlflow"])
        table = _table(title, results, mlflow_result)
        print(table, flush=True)
        print(_rounds_table(rounds, backends), flush=True)
        floor = _median_result(rounds["floor"])
        print(_floor_summary(floor, mlflow_result), flush=True)
        report.append(
            {"scenario": title, "atrium": results, "mlflow": mlflow_result, "floor": floor, "rounds": rounds}
        )
        for result in results.values():
            if not result:
                continue
            failures += result["log_batch_points_per_s"] < 3 * mlflow_result["log_batch_points_per_s"]
            failures += result["log_metric_calls_per_s"] < 3 * mlflow_result["log_metric_calls_per_s"]
            failures += result["search_ms"] > 0.5 * mlflow_result["search_ms"]
            failures += result["history_ms"] > 0.5 * mlflow_result["history_ms"]
    (BENCH_DIR / "results.json").write_text(json.dumps(report, indent=2))
    print(f"Targets missed: {failures}" if failures else "All targets met.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
