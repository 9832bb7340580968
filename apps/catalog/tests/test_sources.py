"""Source services and jobs: register, encrypt, upload (versions on re-upload), test, sync, bad input."""

import io
import sqlite3

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.catalog.models import Column, Dataset, DatasetVersion, DataSource, SyncStatus
from apps.catalog.services.sources import (
    file_upload,
    source_create,
    source_delete,
    source_sync,
    source_sync_start,
    source_test_start,
    source_update,
)
from apps.core.crypto import decrypt_text
from apps.jobs.models import Job, JobStatus
from apps.jobs.services import job_run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CATALOG_FOLDER_ROOTS = [str(tmp_path / "data")]
    (tmp_path / "data").mkdir()
    yield


@pytest.fixture
def data_root(tmp_path):
    return tmp_path / "data"


def make_shop(path, *, extra_order=False, add_column=False):
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL);"
            "INSERT OR IGNORE INTO customers VALUES (1, 'Ada'), (2, 'Grace');"
            "INSERT OR IGNORE INTO orders VALUES (1, 1, 9.5);"
        )
        if extra_order:
            connection.execute("INSERT INTO orders VALUES (2, 2, 3.0)")
        if add_column:
            connection.execute("ALTER TABLE customers ADD COLUMN country TEXT")
    return path


def csv_upload(content: bytes, name="payments.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


# --- register ---------------------------------------------------------------------------------


def test_a_sql_source_stores_its_url_encrypted_and_shows_it_without_password(fraud_team, alice):
    source = source_create(
        team=fraud_team, by=alice, kind="sql", name="Warehouse",
        url="postgresql://reader@127.0.0.1:5432/shop", password="pa55word",  # noqa: S106 - a test value
    )  # fmt: skip
    assert source.display_url == "postgresql+psycopg://reader@127.0.0.1:5432/shop"
    assert "pa55word" not in source.credentials_encrypted
    assert "pa55word" in decrypt_text(source.credentials_encrypted)
    assert source.history.first().history_user == alice
    assert not hasattr(source.history.first(), "credentials_encrypted")


def test_changing_the_url_without_a_password_keeps_the_stored_one(fraud_team, alice):
    source = source_create(
        team=fraud_team, by=alice, kind="sql", name="Warehouse",
        url="postgresql://reader:old@127.0.0.1:5432/shop",
    )  # fmt: skip
    source_update(source=source, by=alice, url="postgresql://reader@127.0.0.1:5433/shop")
    source.refresh_from_db()
    assert source.display_url.endswith(":5433/shop")
    assert ":old@" in decrypt_text(source.credentials_encrypted)


def test_a_deny_listed_host_is_a_field_error_and_nothing_is_created(fraud_team, alice):
    with pytest.raises(ValidationError) as caught:
        source_create(
            team=fraud_team, by=alice, kind="sql", name="Metadata", url="postgresql://u@169.254.169.254/x"
        )
    assert "url" in caught.value.message_dict
    assert not DataSource.objects.exists()


def test_a_folder_outside_the_roots_is_a_field_error(fraud_team, alice):
    with pytest.raises(ValidationError) as caught:
        source_create(team=fraud_team, by=alice, kind="folder", name="Etc", location="/etc")
    assert "location" in caught.value.message_dict
    assert not DataSource.objects.exists()


def test_only_members_with_add_may_register_and_only_deleters_delete(fraud_team, alice, ann, bob, olivia):
    with pytest.raises(PermissionDenied):
        source_create(team=fraud_team, by=ann, kind="upload", name="Files")
    with pytest.raises(PermissionDenied):
        source_create(team=fraud_team, by=bob, kind="upload", name="Files")
    source = source_create(team=fraud_team, by=alice, kind="upload", name="Files")
    with pytest.raises(PermissionDenied):
        source_delete(source=source, by=alice)  # data scientists may not delete
    source_delete(source=source, by=olivia)
    assert not DataSource.objects.exists()


def test_names_are_unique_per_team(fraud_team, alice):
    source_create(team=fraud_team, by=alice, kind="upload", name="Files")
    with pytest.raises(ValidationError, match="already has a source"):
        source_create(team=fraud_team, by=alice, kind="upload", name="files")


# --- uploads ----------------------------------------------------------------------------------


def test_an_upload_creates_a_dataset_with_a_stored_first_version(fraud_team, alice):
    result = file_upload(team=fraud_team, by=alice, uploaded=csv_upload(b"id,amount\n1,2.5\n2,3.0\n"))
    dataset, version = result.dataset, result.version
    assert result.created_dataset
    assert (dataset.name, dataset.source.kind, dataset.source_path) == ("payments", "upload", "payments.csv")
    assert (version.number, version.row_count, version.column_count, version.producer) == (1, 2, 2, "upload")
    assert default_storage.exists(version.storage_path)
    assert version.created_by == alice
    assert list(dataset.columns.values_list("name", flat=True)) == ["id", "amount"]


def test_uploading_the_same_file_name_again_makes_a_new_version_with_its_schema_change(fraud_team, alice):
    first = file_upload(team=fraud_team, by=alice, uploaded=csv_upload(b"id,amount\n1,2.5\n"))
    again = file_upload(team=fraud_team, by=alice, uploaded=csv_upload(b"id,amount\n1,2.5\n"))
    assert again.unchanged and again.version == first.version
    second = file_upload(
        team=fraud_team, by=alice, uploaded=csv_upload(b"id,amount,country\n1,2.5,FR\n2,1,DE\n")
    )
    assert second.dataset == first.dataset
    assert second.version.number == 2
    assert second.version.schema_changes == {"added": ["country"], "removed": [], "retyped": []}
    assert Dataset.objects.count() == 1


def test_a_parquet_upload_to_an_existing_dataset_adds_a_version(fraud_team, alice, private_dataset):
    buffer = io.BytesIO()
    pq.write_table(pa.table({"card": ["a", "b"], "amount": [1.0, 2.0]}), buffer)
    upload = SimpleUploadedFile("cards.parquet", buffer.getvalue())
    result = file_upload(by=alice, uploaded=upload, dataset=private_dataset)
    assert result.dataset == private_dataset
    assert result.version.storage_path.endswith(".parquet")
    assert result.version.row_count == 2


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty (0 bytes)"),
        ("name\nJosé\n".encode("latin-1"), "people.csv", "not UTF-8 text"),
        (b"a,b\n1,2,3\n", "bad.csv", "malformed"),
        (b"PAR1 nope", "bad.parquet", "not a valid Parquet file"),
        (b"hello", "hello.txt", "CSV and Parquet"),
    ],
)
def test_a_bad_file_is_a_field_error_and_nothing_is_created_or_stored(
    fraud_team, alice, content, name, message, tmp_path
):
    with pytest.raises(ValidationError) as caught:
        file_upload(team=fraud_team, by=alice, uploaded=csv_upload(content, name=name))
    assert message in caught.value.message_dict["file"][0]
    assert not Dataset.objects.exists()
    assert not DatasetVersion.objects.exists()
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*.*"))


def test_a_file_over_the_size_limit_is_refused(fraud_team, alice, settings):
    settings.CATALOG_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as caught:
        file_upload(team=fraud_team, by=alice, uploaded=csv_upload(b"a\n" + b"1\n" * 1000))
    assert caught.value.message_dict["file"] == ["The file is 2.0 KiB; the limit is 1 KiB."]
    assert not Dataset.objects.exists()


def test_when_recording_fails_the_stored_file_is_removed(fraud_team, alice, monkeypatch, tmp_path):
    from apps.catalog.services import sources

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(sources, "dataset_version_record", broken)
    with pytest.raises(RuntimeError):
        file_upload(team=fraud_team, by=alice, uploaded=csv_upload(b"a\n1\n"))
    assert not Dataset.objects.exists()
    assert not [path for path in (tmp_path / "media").rglob("*") if path.is_file()]


def test_an_analyst_may_not_upload(fraud_team, ann):
    with pytest.raises(PermissionDenied):
        file_upload(team=fraud_team, by=ann, uploaded=csv_upload(b"a\n1\n"))


# --- test connection and sync (jobs) ----------------------------------------------------------


@pytest.fixture
def shop_source(fraud_team, alice, data_root):
    make_shop(data_root / "shop.sqlite3")
    return source_create(
        team=fraud_team, by=alice, kind="sql", name="Shop", url=f"sqlite:///{data_root}/shop.sqlite3"
    )


def run(job) -> Job:
    job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def test_test_connection_runs_as_a_job_and_reports_ok(shop_source, alice):
    job = run(source_test_start(source=shop_source, by=alice))
    assert job.kind == "catalog.source_test"
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["ok"] is True
    assert "2 tables visible" in job.result["message"]


def test_a_failed_test_connection_says_why_without_password(fraud_team, alice):
    source = source_create(
        team=fraud_team, by=alice, kind="sql", name="Down", url="postgresql://u:hunter2@127.0.0.1:1/db"
    )
    job = run(source_test_start(source=source, by=alice))
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("Cannot reach the database server at 127.0.0.1:1")
    assert "hunter2" not in job.error and "SELECT" not in job.error


def test_sync_creates_datasets_columns_and_versions_and_records_what_changed(shop_source, alice, data_root):
    job = run(source_sync_start(source=shop_source, by=alice))
    assert job.status == JobStatus.SUCCEEDED, job.error
    shop_source.refresh_from_db()
    assert shop_source.sync_status == SyncStatus.SUCCEEDED
    summary = shop_source.last_sync_summary
    assert sorted(entry["name"] for entry in summary["added"]) == ["customers", "orders"]
    customers = Dataset.objects.get(source=shop_source, source_path="customers")
    assert (customers.team, customers.visibility) == (shop_source.team, shop_source.visibility)
    assert customers.latest_version.row_count == 2
    assert customers.latest_version.created_by_job_id == job.pk
    assert customers.latest_version.history.first().history_user == alice
    assert list(customers.columns.values_list("name", flat=True)) == ["id", "name"]

    # Nothing changed: no new versions.
    run(source_sync_start(source=shop_source, by=alice))
    shop_source.refresh_from_db()
    assert shop_source.last_sync_summary["unchanged"] == 2
    assert DatasetVersion.objects.filter(dataset__source=shop_source).count() == 2

    # A new row in orders, a new column in customers, a dropped table.
    make_shop(data_root / "shop.sqlite3", extra_order=True, add_column=True)
    with sqlite3.connect(data_root / "shop.sqlite3") as connection:
        connection.execute("CREATE TABLE payments (id INTEGER)")
    summary = source_sync(source=shop_source, by=alice)
    changed = {entry["name"]: entry for entry in summary["changed"]}
    assert changed["customers"]["added"] == ["country"] and changed["customers"]["schema_changed"]
    assert changed["orders"]["version"] == 2 and not changed["orders"]["schema_changed"]
    assert [entry["name"] for entry in summary["added"]] == ["payments"]
    with sqlite3.connect(data_root / "shop.sqlite3") as connection:
        connection.execute("DROP TABLE payments")
    summary = source_sync(source=shop_source, by=alice)
    assert [entry["name"] for entry in summary["removed"]] == ["payments"]
    assert Dataset.objects.filter(name="payments").exists()  # kept, with its history
    summary = source_sync(source=shop_source, by=alice)
    assert summary["removed"] == [] and [e["name"] for e in summary["missing"]] == ["payments"]


def test_a_folder_source_syncs_its_files_and_reports_unreadable_ones(fraud_team, alice, data_root):
    folder = data_root / "drop"
    folder.mkdir()
    (folder / "good.csv").write_text("a,b\n1,2\n")
    (folder / "bad.csv").write_bytes(b"a,b\n1,2,3\n")
    source = source_create(team=fraud_team, by=alice, kind="folder", name="Drop", location=str(folder))
    summary = source_sync(source=source, by=alice)
    assert [entry["name"] for entry in summary["added"]] == ["good"]
    assert summary["errors"] == [
        {"path": "bad.csv", "message": pytest.approx(summary["errors"][0]["message"])}
    ]
    assert "malformed" in summary["errors"][0]["message"]
    assert Column.objects.filter(dataset__source=source).count() == 2


def test_a_sync_that_cannot_connect_fails_with_the_reason_on_the_source(fraud_team, alice):
    source = source_create(team=fraud_team, by=alice, kind="sql", name="Down", url="mysql://u@127.0.0.1:1/db")
    job = run(source_sync_start(source=source, by=alice))
    assert job.status == JobStatus.FAILED
    source.refresh_from_db()
    assert source.sync_status == SyncStatus.FAILED
    assert source.last_sync_summary["error"] == job.error
    assert not Dataset.objects.exists()


def test_starting_jobs_needs_the_run_right(shop_source, ann):
    with pytest.raises(PermissionDenied):
        source_sync_start(source=shop_source, by=ann)
    with pytest.raises(PermissionDenied):
        source_test_start(source=shop_source, by=ann)
    assert not Job.objects.exists()


def test_upload_sources_have_nothing_to_sync(fraud_team, alice):
    source = source_create(team=fraud_team, by=alice, kind="upload", name="Files")
    with pytest.raises(ValidationError):
        source_sync_start(source=source, by=alice)
