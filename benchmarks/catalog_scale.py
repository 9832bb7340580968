"""Catalog list, search page and search API at 500 teams, 100,000 datasets, 1,000,000 columns.

Target (issue 3): under 150 ms median per page, with a fixed number of queries. The
data is bulk-inserted straight into a dedicated database (SQLite under var/bench and/or
PostgreSQL `atrium_bench` on 127.0.0.1:5432), the search index is built with the bulk
path (`search_reindex`), then Django's test Client, signed in as a member of three teams
(with a few grants on other teams' private datasets), requests each page N times.

    python -m benchmarks catalog_scale [-- --backend sqlite|postgres|both --datasets 100000
                                          --columns 10 --teams 500 --requests 50 --rebuild]

The database is reused when it already holds the requested scale (pass --rebuild to start over).
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
TARGET_MS = 150.0
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/atrium_bench"

ADJECTIVES = [
    "daily", "monthly", "raw", "clean", "curated", "enriched", "legacy", "gold", "silver", "bronze",
    "regional", "global", "weekly", "hourly", "archived", "staging", "reference", "derived", "sampled",
    "audited",
]  # fmt: skip
NOUNS = [
    "orders", "customers", "payments", "invoices", "shipments", "sessions", "claims", "policies", "devices",
    "transactions", "merchants", "accounts", "returns", "campaigns", "tickets", "sensors", "trades", "loans",
    "subscriptions", "refunds", "inventory", "suppliers", "employees", "churn", "fraud", "revenue", "ledger",
    "clicks", "impressions", "forecasts",
]  # fmt: skip
COLUMN_WORDS = [
    "id", "amount", "created_at", "updated_at", "status", "country", "currency", "score", "label", "email",
    "price", "quantity", "region", "channel", "segment", "balance", "latitude", "longitude", "category",
    "source",
]  # fmt: skip
DOMAINS = ["finance", "marketing", "operations", "risk", "sales", "supply chain", "hr", "product"]
SEARCHES = ["revenue", "customers ledger", "fraud score", "transac", "churn"]


# --- child: runs inside Django against the bench database ----------------------------------------
def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _populated(teams: int, datasets: int, columns: int) -> bool:
    from apps.catalog.models import Column, Dataset
    from apps.search.models import SearchDocument
    from apps.teams.models import Team

    return (
        Team.objects.count() >= teams
        and Dataset.objects.count() == datasets
        and Column.objects.count() == datasets * columns
        and SearchDocument.objects.count() > datasets * (columns + 1) * 0.99
    )


def _generate(*, teams: int, datasets: int, columns: int, log) -> None:
    """Bulk inserts (no signals, no history rows): teams and groups, users, tags, terms, datasets, columns."""
    import random

    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction
    from guardian.shortcuts import assign_perm

    from apps.catalog.models import Column, Dataset, GlossaryTerm, Tag
    from apps.teams.models import Membership, Team

    rng = random.Random(7)  # noqa: S311 - synthetic data
    with transaction.atomic():
        groups = Group.objects.bulk_create([Group(name=f"bench-team-{n:03d}") for n in range(teams)])
        team_rows = Team.objects.bulk_create(
            [
                Team(name=f"Team {n:03d}", slug=f"team-{n:03d}", kind="data_science", group=group)
                for n, group in enumerate(groups)
            ]
        )
        member = User.objects.create_user("bench", password="bench-password-not-secret")  # noqa: S106
        Membership.objects.bulk_create(
            [Membership(user=member, team=team, role="data_scientist") for team in team_rows[:3]]
        )
        member.groups.add(*[team.group for team in team_rows[:3]])  # as membership_set does
        tags = Tag.objects.bulk_create([Tag(name=f"tag-{n:02d}", slug=f"tag-{n:02d}") for n in range(50)])
        terms = GlossaryTerm.objects.bulk_create(
            [
                GlossaryTerm(
                    team=team_rows[n % teams],
                    name=f"{rng.choice(ADJECTIVES).title()} {rng.choice(NOUNS)} {n}",
                    slug=f"term-{n}",
                    definition=f"How we count {rng.choice(NOUNS)} by {rng.choice(COLUMN_WORDS)}.",
                )
                for n in range(300)
            ]
        )
    log(f"teams, users, tags and terms: {teams} teams")
    batch = 5000
    started = time.perf_counter()
    for offset in range(0, datasets, batch):
        with transaction.atomic():
            rows = []
            for n in range(offset, min(datasets, offset + batch)):
                adjective, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
                rows.append(
                    Dataset(
                        team=team_rows[n % teams],
                        name=f"{adjective} {noun} {n}",
                        slug=f"ds-{n}",
                        visibility="internal" if rng.random() < 0.3 else "private",
                        domain=rng.choice(DOMAINS),
                        description=f"{adjective.title()} {noun} from the {rng.choice(NOUNS)} system, "
                        f"one row per {rng.choice(NOUNS)[:-1]} with its {rng.choice(COLUMN_WORDS)}.",
                    )
                )
            created = Dataset.objects.bulk_create(rows)
            links = []
            for dataset in created:
                for tag in rng.sample(tags, 2):
                    links.append(Dataset.tags.through(dataset_id=dataset.pk, tag_id=tag.pk))
            Dataset.tags.through.objects.bulk_create(links)
            column_rows = []
            for dataset in created:
                for position, word in enumerate(rng.sample(COLUMN_WORDS, columns)):
                    column_rows.append(
                        Column(
                            dataset_id=dataset.pk,
                            name=f"{rng.choice(NOUNS)[:-1]}_{word}" if position else f"{word}",
                            position=position,
                            data_type=rng.choice(["bigint", "double", "varchar", "timestamp", "boolean"]),
                            term_id=rng.choice(terms).pk if rng.random() < 0.1 else None,
                        )
                    )
            Column.objects.bulk_create(column_rows, batch_size=10000)
        if (offset // batch) % 4 == 0:
            log(f"datasets {offset + len(rows):,} / {datasets:,} ({time.perf_counter() - started:.0f} s)")
    # A few grants on other teams' private datasets, directly and through a team.
    granted = Dataset.objects.filter(visibility="private").exclude(team__in=team_rows[:3]).order_by("pk")[:20]
    for dataset in granted[:10]:
        assign_perm("catalog.view_dataset", member, dataset)
    for dataset in granted[10:]:
        assign_perm("catalog.view_dataset", team_rows[0].group, dataset)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    log(f"datasets and columns inserted in {time.perf_counter() - started:.0f} s")


def _reindex(log) -> None:
    from django.db import connection

    from apps.search.services import search_reindex

    started = time.perf_counter()
    counts = search_reindex(
        batch_size=5000,
        progress=lambda label, total: total % 200_000 == 0 and log(f"  indexed {total:,} {label}"),
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
    log(f"search index: {sum(counts.values()):,} documents in {time.perf_counter() - started:.0f} s")


def _measure(requests: int, log) -> dict:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="bench"))
    pages = {
        "catalog list /catalog/datasets/": lambda n: "/catalog/datasets/" + ("?page=2" if n % 5 == 4 else ""),
        "search page /search/?q=…": lambda n: f"/search/?q={SEARCHES[n % len(SEARCHES)]}",
        "search API /api/v1/search/?q=…": lambda n: f"/api/v1/search/?q={SEARCHES[n % len(SEARCHES)]}",
    }
    results = {}
    for label, url_for in pages.items():
        for n in range(3):  # warm caches and connections
            assert client.get(url_for(n)).status_code == 200, url_for(n)
        executed: list[str] = []

        def counting(execute, sql, *rest, executed=executed):
            executed.append(sql)
            return execute(sql, *rest)

        # Count through a wrapper: the request_started signal resets Django's own query log.
        with connection.execute_wrapper(counting):
            client.get(url_for(0))
        timings = []
        by_url: dict[str, list[float]] = {}
        for n in range(requests):
            started = time.perf_counter()
            response = client.get(url_for(n))
            timings.append((time.perf_counter() - started) * 1000)
            by_url.setdefault(url_for(n), []).append(timings[-1])
            assert response.status_code == 200
        timings.sort()
        results[label] = {
            "median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
            "queries": len(executed),
            "median_ms_by_url": {url: round(statistics.median(values), 1) for url, values in by_url.items()},
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
    if args.rebuild or not _populated(args.teams, args.datasets, args.columns):
        call_command("flush", interactive=False, verbosity=0)
        _generate(teams=args.teams, datasets=args.datasets, columns=args.columns, log=log)
        _reindex(log)
    else:
        log("reusing the populated database")
    from apps.search.models import SearchDocument

    results = _measure(args.requests, log)
    print(
        json.dumps(
            {"vendor": connection.vendor, "documents": SearchDocument.objects.count(), "pages": results}
        )
    )
    return 0


# --- parent ------------------------------------------------------------------------------------
def _database_urls(backend: str, var_dir: Path) -> list[str]:
    urls = []
    if backend in ("sqlite", "both"):
        (var_dir / "bench").mkdir(parents=True, exist_ok=True)
        urls.append(f"sqlite:///{var_dir / 'bench' / 'catalog_scale.sqlite3'}")
    if backend in ("postgres", "both"):
        urls.append(os.environ.get("BENCH_DATABASE_URL", POSTGRES_URL))
    return urls


def _ensure_postgres_database(url: str) -> bool:
    """Create the bench database if missing; False when PostgreSQL is not reachable."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    try:
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        print(f"PostgreSQL not reachable ({error.__class__.__name__}); skipping it.", file=sys.stderr)
        return False
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks catalog_scale")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=10, help="columns per dataset")
    parser.add_argument("--requests", type=int, default=50)
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
        command = [sys.executable, "-m", "benchmarks.catalog_scale", "--child", "--database", url]
        command += [f"--teams={args.teams}", f"--datasets={args.datasets}", f"--columns={args.columns}"]
        command += [f"--requests={args.requests}"] + (["--rebuild"] if args.rebuild else [])
        completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
        if completed.returncode != 0:
            print(f"{url}: the benchmark failed (exit {completed.returncode})", file=sys.stderr)
            failures += 1
            continue
        report = json.loads(completed.stdout.strip().splitlines()[-1])
        print(
            f"\n{report['vendor']}: {args.teams} teams, {args.datasets:,} datasets, "
            f"{args.datasets * args.columns:,} columns, {report['documents']:,} search documents"
        )
        print(f"{'page':36} {'median ms':>10} {'p95 ms':>10} {'queries':>8}  target < {TARGET_MS:.0f} ms")
        for label, figures in report["pages"].items():
            verdict = "ok" if figures["median_ms"] < TARGET_MS else "SLOW"
            median, p95, queries = figures["median_ms"], figures["p95_ms"], figures["queries"]
            print(f"{label:36} {median:>10} {p95:>10} {queries:>8}  {verdict}")
            for url, url_median in figures["median_ms_by_url"].items():
                print(f"    {url:60} median {url_median} ms")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
