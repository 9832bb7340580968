"""Small files and databases with known statistics, shared by the profiling, preview and chart tests."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SECRET_EMAIL = "maria.lopez@example.com"  # noqa: S105 - not a password: the PII value a viewer must never receive


def customers_table(rows: int = 40) -> pa.Table:
    """Customers: id, email (PII, one address repeated), amount (every 4th missing), date, segment, flag."""
    return pa.table(
        {
            "id": list(range(1, rows + 1)),
            "email": [SECRET_EMAIL if i % 2 == 0 else f"person{i}@example.org" for i in range(rows)],
            "amount": [None if i % 4 == 0 else float(i) for i in range(rows)],
            "signed_up": [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(rows)],
            "segment": [("retail", "retail", "business", "public")[i % 4] for i in range(rows)],
            "active": [i % 3 != 0 for i in range(rows)],
        }
    )


def write_parquet(path: Path, rows: int = 40) -> Path:
    pq.write_table(customers_table(rows), path)
    return path


def write_csv(path: Path, rows: int = 40) -> Path:
    customers_table(rows).to_pandas().to_csv(path, index=False)
    return path


def write_sqlite(path: Path, rows: int = 40) -> Path:
    """The same customers as a SQLite table `customers`."""
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, amount REAL, signed_up DATE, "
        "segment VARCHAR(20), active BOOLEAN)"
    )
    for record in customers_table(rows).to_pylist():
        connection.execute(
            "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)",
            (
                record["id"],
                record["email"],
                record["amount"],
                record["signed_up"].isoformat(),
                record["segment"],
                int(record["active"]),
            ),
        )
    connection.commit()
    connection.close()
    return path


# --- fixtures: import the ones a test module uses -------------------------------------------
import pytest  # noqa: E402 - fixtures below need the database and the fixed cast


@pytest.fixture
def media(tmp_path, settings):
    """Default storage in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "uploads").mkdir(parents=True)
    return tmp_path / "media"


def add_file_version(
    dataset, *, media, name: str = "customers.parquet", rows: int = 40, number: int = 1, by=None
):
    """A stored version of `dataset` pointing at a new Parquet (or CSV) file in storage, with its columns."""
    from apps.catalog.models import Column, DatasetVersion
    from apps.core.history import acting_user

    path = media / "uploads" / name
    (write_csv if name.endswith(".csv") else write_parquet)(path, rows)
    with acting_user(by):
        version = DatasetVersion.objects.create(
            dataset=dataset, number=number, storage_path=f"uploads/{name}", producer="upload", row_count=rows
        )
        for position, column in enumerate(customers_table(1).column_names):
            Column.objects.get_or_create(
                dataset=dataset, name=column, defaults={"position": position, "is_pii": column == "email"}
            )
    return version


@pytest.fixture
def customers_version(private_dataset, media, alice):
    """Fraud's private dataset with one stored Parquet version; `email` is flagged PII."""
    return add_file_version(private_dataset, media=media, by=alice)


@pytest.fixture
def profiled_version(customers_version, alice):
    """The customers version, profiled by a job alice started."""
    from apps.catalog.services.profiling import dataset_profile_start
    from apps.jobs.services import job_run

    job = dataset_profile_start(dataset=customers_version.dataset, by=alice)
    assert job_run(job_id=job.pk) == "succeeded"
    return customers_version
