"""Demo sources: a SQLite shop database synced into datasets, and scikit-learn's bundled data sets
uploaded as files with several versions each (nothing is downloaded).

Idempotent: the SQLite file is generated once (deterministically, from a fixed seed), the
source is created and synced once, and each data set gets its versions only while it has
fewer than planned (an identical upload records nothing anyway).
"""

from __future__ import annotations

import io
import random
import sqlite3
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.catalog.models import Dataset, DataSource, SourceKind, SyncStatus
from apps.catalog.services.sources import file_upload, source_create, source_sync, uploads_source_ensure
from apps.core.history import acting_user

SHOP_SOURCE = "Shop database"
SHOP_TEAM = "Data Platform"
SHOP_FILE = Path("demo") / "shop.sqlite3"

# (team, dataset name in the demo, scikit-learn loader, file stem, name of the added column in v3)
SKLEARN_SETS = (
    ("Data Platform", "Iris", "load_iris", "iris", "species"),
    ("Data Platform", "Wine", "load_wine", "wine", "cultivar"),
    ("Fraud Analytics", "Breast cancer Wisconsin", "load_breast_cancer", "breast_cancer", "diagnosis"),
    ("Risk & Finance", "Diabetes", "load_diabetes", "diabetes", "progression_band"),
    ("ML Engineering", "Digits", "load_digits", "digits", "digit_label"),
)
PLANNED_VERSIONS = 3


def demo_sources_ensure(*, teams: dict, by) -> dict[str, int]:
    """The SQLite shop source (synced) and the scikit-learn file datasets with their versions."""
    created: Counter[str] = Counter()
    _shop_ensure(teams=teams, by=by, created=created)
    for team_name, dataset_name, loader, stem, added_column in SKLEARN_SETS:
        team = teams.get(team_name)
        if team is not None:
            _sklearn_ensure(
                team=team, by=by, dataset_name=dataset_name, loader=loader, stem=stem, added=added_column,
                created=created,
            )  # fmt: skip
    return dict(created)


# --- the SQLite shop ----------------------------------------------------------------------------


def shop_database_write(path: Path, *, seed: int = 7) -> None:
    """Write a small shop database (customers, orders, payments) from a fixed seed."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    countries = ["FR", "DE", "NL", "ES", "IT", "PL", "SE"]
    first = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia", "Ken"]
    last = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Perlman"]
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    with sqlite3.connect(temporary) as connection:
        connection.executescript(
            """
            CREATE TABLE customers (
                customer_id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,
                country TEXT NOT NULL, signed_up DATE NOT NULL
            );
            CREATE TABLE orders (
                order_id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(customer_id),
                ordered_at DATE NOT NULL, status TEXT NOT NULL, total_eur NUMERIC(10, 2) NOT NULL
            );
            CREATE TABLE payments (
                payment_id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(order_id),
                method TEXT NOT NULL, amount_eur NUMERIC(10, 2) NOT NULL, is_fraud INTEGER NOT NULL
            );
            """
        )
        start = date(2025, 1, 1)
        customers = []
        for customer_id in range(1, 201):
            name = f"{rng.choice(first)} {rng.choice(last)}"
            customers.append(
                (customer_id, name, f"customer{customer_id}@example.org", rng.choice(countries),
                 (start + timedelta(days=rng.randrange(365))).isoformat())
            )  # fmt: skip
        connection.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?)", customers)
        orders, payments = [], []
        for order_id in range(1, 1001):
            status = rng.choices(["paid", "refunded", "cancelled"], weights=[90, 6, 4])[0]
            total = round(rng.lognormvariate(3.5, 0.8), 2)
            orders.append(
                (order_id, rng.randrange(1, 201), (start + timedelta(days=rng.randrange(540))).isoformat(),
                 status, total)
            )  # fmt: skip
            if status != "cancelled":
                method = rng.choice(["card", "card", "card", "sepa", "paypal"])
                payments.append((len(payments) + 1, order_id, method, total, int(rng.random() < 0.02)))
        connection.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", orders)
        connection.executemany("INSERT INTO payments VALUES (?, ?, ?, ?, ?)", payments)
    connection.close()
    temporary.replace(path)


def _shop_ensure(*, teams: dict, by, created: Counter) -> None:
    team = teams.get(SHOP_TEAM)
    roots = [root for root in settings.CATALOG_FOLDER_ROOTS if str(root).strip()]
    if team is None or not roots:
        return
    path = Path(roots[0]) / SHOP_FILE
    if not path.exists():
        shop_database_write(path)
        created["demo files"] += 1
    source = DataSource.objects.filter(team=team, name=SHOP_SOURCE).first()
    if source is None:
        source = source_create(
            team=team,
            by=by,
            kind=SourceKind.SQL,
            name=SHOP_SOURCE,
            visibility="internal",
            url=f"sqlite:///{path}",
            description="The web shop's orders database (a SQLite copy): customers, orders and payments. "
            "Synced nightly into the catalog.",
        )
        created["sources"] += 1
    if source.sync_status != SyncStatus.SUCCEEDED:
        summary = source_sync(source=source, by=by)
        created["datasets"] += len(summary["added"])
        created["dataset versions"] += summary["new_versions"]


# --- scikit-learn's bundled data sets -------------------------------------------------------------


def _frames(loader: str, added: str):
    """v1: the first 60% of rows (CSV); v2: every row (Parquet); v3: every row plus one column (Parquet)."""
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader)(as_frame=True)
    frame = bunch.frame.copy()
    frame.columns = [str(column) for column in frame.columns]
    subset = frame.iloc[: int(len(frame) * 0.6)]
    extended = frame.copy()
    names = getattr(bunch, "target_names", None)
    target = frame["target"]
    if names is not None and len(names) and target.dtype.kind in "iu":
        extended[added] = [str(names[int(value)]) for value in target]
    else:
        extended[added] = ["low" if value < target.median() else "high" for value in target]
    return [("csv", subset), ("parquet", frame), ("parquet", extended)]


def _file(kind: str, frame, name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    if kind == "csv":
        buffer.write(frame.to_csv(index=False).encode())
    else:
        frame.to_parquet(buffer, index=False)
    return SimpleUploadedFile(name, buffer.getvalue())


def _sklearn_ensure(*, team, by, dataset_name: str, loader: str, stem: str, added: str, created: Counter):
    dataset = Dataset.objects.filter(team=team, name=dataset_name).first()
    if dataset is not None and dataset.versions.count() >= PLANNED_VERSIONS:
        return
    uploader = by  # the demo admin authors every demo change (history shows who seeded it)
    if dataset is not None and dataset.source_id is None:
        # The demo's catalog entry becomes the uploaded-files dataset its versions come from.
        dataset.source = uploads_source_ensure(team=team, by=uploader)
        dataset.source_path = f"{stem}.parquet"
        with acting_user(uploader):
            dataset.save(update_fields=["source", "source_path", "updated_at"])
    frames = _frames(loader, added)
    start = dataset.versions.count() if dataset is not None else 0
    for kind, frame in frames[start:]:
        upload = _file(kind, frame, f"{stem}.{kind}")
        if dataset is None:
            result = file_upload(team=team, by=uploader, uploaded=upload, name=dataset_name)
            dataset = result.dataset
            created["datasets"] += 1
        else:
            result = file_upload(by=uploader, uploaded=upload, dataset=dataset)
        if not result.unchanged:
            created["dataset versions"] += 1
