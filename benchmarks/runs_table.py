"""The runs table, its CSV and the compare view on an experiment of 5,000 runs with 50 metric keys.

Issue 4 asks for "thousands of runs without slowing down": a page of the runs table must run a
fixed number of queries whatever its size and columns, and stay fast. The data is bulk-inserted
into a dedicated database (SQLite under var/bench and/or PostgreSQL `atrium_bench_runs` on
127.0.0.1:5432): one experiment with RUNS runs, each with METRICS latest metrics (plus a short
history), 10 params and 3 tags, a tenth of them nested; then Django's test Client, signed in as a
member of the owning team, requests each page N times.

    python -m benchmarks runs_table [-- --backend sqlite|postgres|both --runs 5000 --metrics 50
                                        --requests 30 --rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/atrium_bench_runs"
HISTORY_STEPS = 5  # metric points per key kept per run (the table reads latest values only)


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _populated(runs: int, metrics: int) -> bool:
    from apps.experiments.models import Experiment, LatestMetric, Run

    experiment = Experiment.objects.filter(name="Bench runs").first()
    return (
        experiment is not None
        and Run.objects.filter(experiment=experiment).count() == runs
        and LatestMetric.objects.filter(run__experiment=experiment).count() == runs * metrics
    )


def _generate(*, runs: int, metrics: int, log) -> None:
    """Bulk inserts (no signals, no history rows): a team, a member, the experiment and its runs."""
    import random

    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from apps.experiments.models import Experiment, LatestMetric, Metric, Param, Run, RunTag
    from apps.teams.models import Membership, Team

    rng = random.Random(7)  # noqa: S311 - synthetic data
    with transaction.atomic():
        group = Group.objects.create(name="bench-runs-team")
        team = Team.objects.create(name="Bench team", slug="bench-team", kind="data_science", group=group)
        member = User.objects.create_user("bench", password="bench-password-not-secret")  # noqa: S106
        Membership.objects.create(user=member, team=team, role="data_scientist")
        member.groups.add(group)
        experiment = Experiment.objects.create(
            team=team, name="Bench runs", artifact_location="mlflow-artifacts:/0"
        )
    keys = [f"metric_{index:02d}" for index in range(metrics)]
    models = ["random_forest", "gradient_boosting", "logistic_regression", "svm", "knn"]
    started = time.perf_counter()
    now = int(time.time() * 1000)
    batch = 500
    parents: list[int] = []
    for offset in range(0, runs, batch):
        with transaction.atomic():
            chunk = []
            for n in range(offset, min(runs, offset + batch)):
                start = now - (runs - n) * 60_000
                chunk.append(
                    Run(
                        experiment=experiment,
                        name=f"run-{n:05d}",
                        user=member,
                        user_name="bench",
                        status=rng.choice(["FINISHED"] * 8 + ["FAILED", "RUNNING"]),
                        start_time=start,
                        end_time=start + rng.randint(1_000, 3_600_000),
                        parent_id=rng.choice(parents) if parents and n % 10 == 9 else None,
                    )
                )
            created = Run.objects.bulk_create(chunk)
            if not created[0].pk:  # backends that do not return ids from bulk inserts
                created = list(Run.objects.filter(experiment=experiment).order_by("-id")[: len(chunk)])[::-1]
            parents.extend(run.pk for run in created[:5])
            latest, points, params, tags = [], [], [], []
            for run in created:
                quality = rng.random()
                for index, key in enumerate(keys):
                    value = round(quality * (1 + index / 100) + rng.gauss(0, 0.02), 6)
                    latest.append(
                        LatestMetric(
                            run=run, key=key, value=value, step=HISTORY_STEPS - 1, timestamp=run.start_time
                        )
                    )
                    points.extend(
                        Metric(
                            run=run,
                            key=key,
                            value=value - 0.01 * (HISTORY_STEPS - 1 - step),
                            step=step,
                            timestamp=run.start_time + step,
                        )
                        for step in range(HISTORY_STEPS)
                    )
                params.extend(
                    [
                        Param(run=run, key="model", value=rng.choice(models)),
                        Param(run=run, key="max_depth", value=str(rng.randint(2, 32))),
                        Param(run=run, key="n_estimators", value=str(rng.choice([50, 100, 200, 400]))),
                        Param(run=run, key="learning_rate", value=str(rng.choice([0.01, 0.05, 0.1, 0.3]))),
                        *[Param(run=run, key=f"param_{p}", value=str(rng.randint(0, 100))) for p in range(6)],
                    ]
                )
                tags.extend(
                    [
                        RunTag(run=run, key="stage", value=rng.choice(["baseline", "candidate", "champion"])),
                        RunTag(run=run, key="dataset", value=f"transactions@v{rng.randint(1, 9)}"),
                        RunTag(run=run, key="mlflow.user", value="bench"),
                    ]
                )
            LatestMetric.objects.bulk_create(latest, batch_size=5000)
            Metric.objects.bulk_create(points, batch_size=5000)
            Param.objects.bulk_create(params, batch_size=5000)
            RunTag.objects.bulk_create(tags, batch_size=5000)
        log(f"runs {offset + len(chunk):,} / {runs:,} ({time.perf_counter() - started:.0f} s)")


def _measure(requests: int, log) -> dict:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from apps.experiments.models import Experiment, Run

    experiment = Experiment.objects.get(name="Bench runs")
    base = f"/experiments/{experiment.pk}/"
    compare_ids = ",".join(
        Run.objects.filter(experiment=experiment).order_by("id").values_list("uuid", flat=True)[:20]
    )
    client = Client()
    client.force_login(User.objects.get(username="bench"))
    wide = {
        "metrics": [f"metric_{index:02d}" for index in range(0, 50, 3)],
        "params": ["model", "max_depth", "n_estimators", "learning_rate"],
        "tags": ["stage", "dataset"],
    }
    pages = {
        "runs table, default (25 runs, 4+3 columns)": ("defaults", base),
        "runs table, 200 runs per page": ("defaults", f"{base}?per_page=200"),
        "sorted by a metric, page 40": ("defaults", f"{base}?sort=-metrics.metric_07&page=40"),
        "sorted by a param": ("defaults", f"{base}?sort=params.max_depth"),
        "MLflow filter box": (
            "defaults",
            f"{base}?filter=metrics.metric_07+%3E+0.5+and+params.model+%3D+%27svm%27&sort=-metrics.metric_07",
        ),
        "22 columns, 100 runs per page": ("wide", f"{base}?per_page=100&sort=-metrics.metric_03"),
        "CSV of every run (22 columns)": ("wide", f"/experiments/{experiment.pk}/runs.csv"),
        "compare 20 runs": ("defaults", f"/experiments/compare/?runs={compare_ids}"),
    }
    results = {}
    for label, (columns, url) in pages.items():
        if columns == "wide":
            client.post(f"{base}columns/", wide)
        else:
            client.post(f"{base}columns/", {"reset": "1"})
        for _ in range(2):  # warm caches and connections
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if response.streaming:
                b"".join(response.streaming_content)
        executed: list[str] = []

        def counting(execute, sql, *rest, executed=executed):
            executed.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(counting):
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
        timings = []
        for _ in range(requests if "CSV" not in label else max(3, requests // 10)):
            started = time.perf_counter()
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        results[label] = {
            "median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
            "queries": len(executed),
        }
        log(f"{label}: {results[label]}")
    return results


def child(args) -> int:
    _setup(args.database)
    from django.core.management import call_command
    from django.db import connection

    def log(message):
        print(f"[{connection.vendor}] {message}", file=sys.stderr, flush=True)

    call_command("migrate", verbosity=0)
    if args.rebuild or not _populated(args.runs, args.metrics):
        call_command("flush", interactive=False, verbosity=0)
        _generate(runs=args.runs, metrics=args.metrics, log=log)
    else:
        log("reusing the populated database")
    print(json.dumps({"vendor": connection.vendor, "pages": _measure(args.requests, log)}))
    return 0


def _database_urls(backend: str, var_dir: Path) -> list[str]:
    urls = []
    if backend in ("sqlite", "both"):
        (var_dir / "bench").mkdir(parents=True, exist_ok=True)
        urls.append(f"sqlite:///{var_dir / 'bench' / 'runs_table.sqlite3'}")
    if backend in ("postgres", "both"):
        urls.append(os.environ.get("BENCH_RUNS_DATABASE_URL", POSTGRES_URL))
    return urls


def main(argv: list[str]) -> int:
    from benchmarks.catalog_scale import _ensure_postgres_database

    parser = argparse.ArgumentParser(prog="python -m benchmarks runs_table")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--metrics", type=int, default=50, help="metric keys per run")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    var_dir = Path(os.environ.get("ATRIUM_VAR_DIR", ROOT / "var"))
    failures = 0
    for url in _database_urls(args.backend, var_dir):
        if url.startswith("postgres") and not _ensure_postgres_database(url):
            continue
        command = [sys.executable, "-m", "benchmarks.runs_table", "--child", "--database", url]
        command += [f"--runs={args.runs}", f"--metrics={args.metrics}", f"--requests={args.requests}"]
        command += ["--rebuild"] if args.rebuild else []
        completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
        if completed.returncode != 0:
            print(f"{url}: the benchmark failed (exit {completed.returncode})", file=sys.stderr)
            failures += 1
            continue
        report = json.loads(completed.stdout.strip().splitlines()[-1])
        print(
            f"\n{report['vendor']}: {args.runs:,} runs × {args.metrics} metric keys, 10 params, 3 tags each"
        )
        print(f"{'page':46} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
        for label, figures in report["pages"].items():
            print(f"{label:46} {figures['median_ms']:>10} {figures['p95_ms']:>10} {figures['queries']:>8}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
