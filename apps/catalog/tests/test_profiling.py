"""Profiling jobs: who may start them, what they store (once per job), progress and clear failures."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.catalog.models import DatasetProfile, DatasetVersion, DataSource
from apps.catalog.services.profiling import dataset_profile_start, version_data_target, version_profile_create
from apps.catalog.tests import profiling_data
from apps.catalog.tests.profiling_data import add_file_version, write_parquet, write_sqlite
from apps.core.history import acting_user
from apps.jobs.models import Job
from apps.jobs.registry import get_job_kind
from apps.jobs.services import job_run

pytestmark = pytest.mark.django_db

# The shared fixtures (a stored Parquet version of Fraud's private dataset, profiled or not).
customers_version = profiling_data.customers_version
media = profiling_data.media
profiled_version = profiling_data.profiled_version


def test_the_profile_kind_is_registered_with_limits_and_retries():
    kind = get_job_kind("catalog.profile")
    assert kind.time_limit == 1800 and kind.max_retries == 2
    assert not kind.user_startable  # started from the dataset page or API, which check `run`


def test_a_member_with_run_starts_a_job_that_stores_one_profile(customers_version, alice):
    job = dataset_profile_start(dataset=customers_version.dataset, by=alice)
    assert (job.kind, job.status, job.team_id, job.requester) == (
        "catalog.profile",
        "queued",
        alice.memberships.first().team_id,
        alice,
    )
    assert job.params == {"version_id": customers_version.pk, "version": 1}
    assert job.target == customers_version.dataset

    assert job_run(job_id=job.pk) == "succeeded"

    job.refresh_from_db()
    profile = DatasetProfile.objects.get(version=customers_version)
    assert profile.job == job and profile.row_count == 40
    assert profile.engine.startswith("duckdb") and "exact distinct" in profile.engine
    assert profile.columns["amount"]["nulls"] == 10
    assert job.result == {
        "dataset": "Card transactions", "version": 1, "rows": 40, "columns": 6, "engine": profile.engine,
    }  # fmt: skip
    assert (job.progress, job.progress_message) == (100, "Done")
    assert profile.history.first().history_user == alice


def test_a_redelivered_job_does_not_store_a_second_profile(customers_version, alice):
    job = dataset_profile_start(dataset=customers_version.dataset, by=alice)
    assert job_run(job_id=job.pk) == "succeeded"
    assert job_run(job_id=job.pk) == "skipped"
    # A run that stored its profile but died before finishing the job: the retry returns the same row.
    first = DatasetProfile.objects.get(job=job)
    again = version_profile_create(version=customers_version, job=job, by=alice)
    assert again.pk == first.pk
    assert DatasetProfile.objects.filter(version=customers_version).count() == 1


def test_progress_is_reported_per_phase(customers_version, alice):
    seen = []
    version_profile_create(version=customers_version, by=alice, progress=lambda p, m: seen.append(m))
    assert seen[0] == "Reading the schema" and seen[-1] == "Saving the profile"
    assert {"Counting rows", "Building histograms"} <= set(seen)


@pytest.mark.parametrize("username", ["ann", "bob"])
def test_people_without_run_on_the_team_cannot_start_profiling(customers_version, request, username):
    user = request.getfixturevalue(username)
    with pytest.raises(PermissionDenied):
        dataset_profile_start(dataset=customers_version.dataset, by=user)
    assert not Job.objects.exists()


def test_a_dataset_without_versions_cannot_be_profiled(private_dataset, alice):
    with pytest.raises(ValidationError, match="no version to profile yet"):
        dataset_profile_start(dataset=private_dataset, by=alice)


def test_an_unreadable_file_fails_the_job_with_a_clear_error(private_dataset, media, alice):
    (media / "uploads" / "broken.csv").write_bytes("id,name\n1,Müller\n".encode("latin-1"))
    with acting_user(alice):
        DatasetVersion.objects.create(dataset=private_dataset, number=1, storage_path="uploads/broken.csv")
    job = dataset_profile_start(dataset=private_dataset, by=alice)
    assert job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.error == "The file broken.csv is not valid UTF-8 text; save it as UTF-8 and upload it again."
    assert not DatasetProfile.objects.exists()


def test_a_file_missing_from_storage_fails_clearly(customers_version, media, alice):
    (media / "uploads" / "customers.parquet").unlink()
    job = dataset_profile_start(dataset=customers_version.dataset, by=alice)
    assert job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert "missing from storage" in job.error


def test_a_deleted_version_fails_the_job_without_retrying(customers_version, alice):
    job = dataset_profile_start(dataset=customers_version.dataset, by=alice)
    DatasetVersion.objects.filter(pk=customers_version.pk).delete()
    assert job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.error == "The dataset version to profile no longer exists."


def test_sql_sources_are_profiled_inside_their_database(
    private_dataset, fraud_team, alice, tmp_path, settings
):
    from apps.core.crypto import encrypt_text

    settings.CATALOG_FOLDER_ROOTS = [str(tmp_path)]

    database = write_sqlite(tmp_path / "shop.sqlite3")
    with acting_user(alice):
        source = DataSource.objects.create(
            team=fraud_team,
            name="Shop",
            slug="shop",
            kind="sql",
            credentials_encrypted=encrypt_text(f"sqlite:///{database}"),
        )
        private_dataset.source = source
        private_dataset.save()
        DatasetVersion.objects.create(
            dataset=private_dataset, number=1, location="customers", producer="sync"
        )
    job = dataset_profile_start(dataset=private_dataset, by=alice)
    assert job_run(job_id=job.pk) == "succeeded"
    profile = DatasetProfile.objects.get(job=job)
    assert profile.engine.startswith("sql-pushdown sqlite")
    assert profile.row_count == 40 and profile.columns["segment"]["top"][0] == {
        "value": "retail",
        "count": 20,
    }


def test_folder_sources_never_read_outside_their_folder(
    private_dataset, fraud_team, alice, tmp_path, settings
):
    from apps.catalog.profiling import ProfilingError

    settings.CATALOG_FOLDER_ROOTS = [str(tmp_path)]

    folder = tmp_path / "landing"
    folder.mkdir()
    write_parquet(folder / "customers.parquet")
    write_parquet(tmp_path / "secret.parquet")
    with acting_user(alice):
        source = DataSource.objects.create(
            team=fraud_team, name="Landing", slug="landing", kind="folder", location=str(folder)
        )
        private_dataset.source = source
        private_dataset.save()
        inside = DatasetVersion.objects.create(
            dataset=private_dataset, number=1, location=f"{folder}/customers.parquet"
        )
        relative = DatasetVersion.objects.create(
            dataset=private_dataset, number=2, location="customers.parquet"
        )
        climbing = DatasetVersion.objects.create(
            dataset=private_dataset, number=3, location="../secret.parquet"
        )
        beside = DatasetVersion.objects.create(
            dataset=private_dataset, number=4, location=str(tmp_path / "secret.parquet")
        )
    for version in (inside, relative):
        with version_data_target(version=version) as target:
            assert target.path == str(folder / "customers.parquet") and target.file_format == "parquet"
    with pytest.raises(ProfilingError, match="may not contain"), version_data_target(version=climbing):
        pass
    with (
        pytest.raises(ProfilingError, match="outside its source's folder"),
        version_data_target(version=beside),
    ):
        pass
    settings.CATALOG_FOLDER_ROOTS = [str(tmp_path / "other")]
    with pytest.raises(ProfilingError, match="allowed folders"), version_data_target(version=inside):
        pass


def test_folder_sources_in_object_storage_read_the_stored_file(
    private_dataset, fraud_team, media, alice, settings
):
    settings.CATALOG_STORAGE_PREFIXES = ["shared/"]
    (media / "shared" / "fraud").mkdir(parents=True)
    write_parquet(media / "shared" / "fraud" / "customers.parquet")
    with acting_user(alice):
        source = DataSource.objects.create(
            team=fraud_team, name="Lake", slug="lake", kind="folder", location="storage://shared/fraud/"
        )
        private_dataset.source = source
        private_dataset.save()
        version = DatasetVersion.objects.create(
            dataset=private_dataset, number=1, location="storage://shared/fraud/customers.parquet"
        )
    profile = version_profile_create(version=version, by=alice)
    assert profile.row_count == 40


def test_a_version_recorded_elsewhere_says_where_it_lives(private_dataset, alice):
    from apps.catalog.profiling import ProfilingError

    with acting_user(alice):
        version = DatasetVersion.objects.create(
            dataset=private_dataset, number=1, location="s3://lake/orders/", producer="openlineage:etl"
        )
    expected = "recorded by openlineage:etl and lives at s3://lake/orders/"
    with pytest.raises(ProfilingError, match=expected), version_data_target(version=version):
        pass


def test_remote_storage_is_copied_to_a_temporary_file_and_cleaned_up(customers_version, monkeypatch, alice):
    from django.core.files import File
    from django.core.files.storage import default_storage

    local_path = default_storage.path

    def no_local_path(name):
        raise NotImplementedError("remote storage")

    # Like S3: files open as streams, but there is no path on this machine.
    monkeypatch.setattr(default_storage, "_open", lambda name, mode="rb": File(open(local_path(name), mode)))  # noqa: SIM115
    monkeypatch.setattr(default_storage, "path", no_local_path, raising=False)
    with version_data_target(version=customers_version) as target:
        copy = target.path
        assert copy != customers_version.storage_path and copy.endswith(".parquet")
        profile = version_profile_create(version=customers_version, by=alice)
    import os

    assert not os.path.exists(copy)
    assert profile.row_count == 40


def test_a_newer_version_is_profiled_by_default(customers_version, media, alice):
    second = add_file_version(
        customers_version.dataset, media=media, name="more.parquet", rows=60, number=2, by=alice
    )
    job = dataset_profile_start(dataset=customers_version.dataset, by=alice)
    assert job.params["version_id"] == second.pk
    job_run(job_id=job.pk)
    assert DatasetProfile.objects.get(job=job).row_count == 60


def test_the_demo_profiles_readable_latest_versions_once(customers_version, private_dataset, root):
    from apps.demo.profiling import demo_profiles_ensure

    Dataset = type(private_dataset)
    Dataset.objects.filter(pk=private_dataset.pk).update(latest_version=customers_version)
    assert demo_profiles_ensure(by=root) == {"profiles": 1}
    assert demo_profiles_ensure(by=root) == {}
    assert DatasetProfile.objects.get().version == customers_version
