"""Profiling writes: start a profiling job, compute a version's profile once per job, find its data.

Where a version's data lives decides the engine:
- `storage_path` (an uploaded file in Django's default storage): DuckDB reads the
  file at `storage.path()`. Remote storage (S3) has no local path, so the file is
  first streamed to a temporary copy under var/ (1 MiB chunks), then read; that
  copy costs a download and disk space as large as the file.
- a SQL source: aggregates pushed down into the database (read-only, statement timeout).
- a folder source: `location` is a file inside the source's folder (never outside it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction

from apps.catalog.models import Dataset, DatasetProfile, DatasetVersion, SourceKind
from apps.catalog.profiling import FileTarget, ProfileResult, ProfilingError, TableTarget
from apps.catalog.profiling.common import Progress, no_progress
from apps.core.history import acting_user
from apps.core.permissions import Action

PROFILE_JOB_KIND = "catalog.profile"
STORAGE_SCHEME = "storage://"
COPY_CHUNK_BYTES = 1024 * 1024


@contextmanager
def version_data_target(*, version: DatasetVersion) -> Iterator[FileTarget | TableTarget]:
    """Where the version's data can be read from: a local file or a table (ProfilingError if nowhere)."""
    dataset = version.dataset
    source = dataset.source
    if version.storage_path:
        with _stored_file(version.storage_path) as path:
            from apps.catalog.profiling.files import file_format

            yield FileTarget(path=path, file_format=file_format(path), display_name=version.storage_path)
        return
    if source is not None and source.kind == SourceKind.SQL:
        # Syncs record the location as "<display URL>#<table>" and the table as the dataset's source_path.
        table = dataset.source_path or version.location.rpartition("#")[2]
        if not table:
            raise ProfilingError("This version does not say which table of the database it was read from.")
        if not source.credentials_encrypted:
            raise ProfilingError(f"The source {source.name} has no connection URL; edit the source first.")
        from apps.core.crypto import DecryptionError, decrypt_text

        try:
            url = decrypt_text(source.credentials_encrypted)
        except DecryptionError:
            raise ProfilingError(
                f"The connection URL of {source.name} cannot be decrypted with the configured keys."
            ) from None
        yield TableTarget(url=url, table=table, display_name=table)
        return
    if source is not None and source.kind == SourceKind.FOLDER and version.location:
        from apps.catalog.profiling.files import file_format

        if version.location.startswith(STORAGE_SCHEME):
            with _stored_file(_storage_name(source.location, version.location)) as path:
                yield FileTarget(path=path, file_format=file_format(path), display_name=version.location)
            return
        path = _folder_file(source.location, version.location)
        yield FileTarget(path=path, file_format=file_format(path), display_name=version.location)
        return
    where = version.location or "an unknown place"
    raise ProfilingError(
        "Atrium cannot read this version's data: it was recorded by "
        f"{version.producer or 'an external tool'} "
        f"and lives at {where}, outside Atrium's storage and sources."
    )


@contextmanager
def _stored_file(name: str) -> Iterator[str]:
    """A local path to a file in default storage; remote storage is copied to a temporary file first."""
    try:
        path = default_storage.path(name)
    except NotImplementedError:
        path = None
    if path is not None:
        if not os.path.exists(path):
            raise ProfilingError(f"The stored file {os.path.basename(name)} is missing from storage.")
        yield path
        return
    spool = os.path.join(settings.VAR_DIR, "profiling-tmp")
    os.makedirs(spool, exist_ok=True)
    suffix = "".join(os.path.splitext(name)[1:]) or ".data"
    handle, local = tempfile.mkstemp(dir=spool, suffix=suffix)
    try:
        try:
            with default_storage.open(name, "rb") as remote, os.fdopen(handle, "wb") as copy:
                shutil.copyfileobj(remote, copy, COPY_CHUNK_BYTES)
        except FileNotFoundError:
            raise ProfilingError(
                f"The stored file {os.path.basename(name)} is missing from storage."
            ) from None
        yield local
    finally:
        if os.path.exists(local):
            os.unlink(local)


def _folder_file(root: str, location: str) -> str:
    """The file `location` inside the folder `root`, under CATALOG_FOLDER_ROOTS; refuses any escape."""
    from apps.catalog.connectors import ConnectorError
    from apps.catalog.connectors.folders import server_path_resolve

    try:
        base = str(server_path_resolve(root))
        candidate = str(server_path_resolve(os.path.join(base, location), what="file"))
    except ConnectorError as error:
        raise ProfilingError(str(error)) from None
    if os.path.commonpath([base, candidate]) != base:
        raise ProfilingError("This version's file lies outside its source's folder; Atrium will not read it.")
    return candidate


def _storage_name(root: str, location: str) -> str:
    """The default-storage name of a file under an allow-listed `storage://` prefix of its source."""
    from apps.catalog.connectors import ConnectorError
    from apps.catalog.connectors.folders import storage_prefix_check

    try:
        prefix = storage_prefix_check(root)
        name = storage_prefix_check(location).rstrip("/")
    except ConnectorError as error:
        raise ProfilingError(str(error)) from None
    if not name.startswith(prefix):
        raise ProfilingError("This version's file lies outside its source's prefix; Atrium will not read it.")
    return name


def profile_compute(*, target: FileTarget | TableTarget, progress: Progress = no_progress) -> ProfileResult:
    """Run the engine that fits the target (DuckDB over files, SQL pushdown for tables)."""
    if isinstance(target, FileTarget):
        from apps.catalog.profiling.files import profile_file

        return profile_file(target.path, fmt=target.file_format, progress=progress)
    from apps.catalog.profiling.sql import profile_table

    return profile_table(target.url, target.table, progress=progress)


def version_profile_create(
    *, version: DatasetVersion, job=None, by=None, progress: Progress = no_progress
) -> DatasetProfile:
    """Profile one version and store the result; a job delivered twice stores one profile."""
    if job is not None:
        existing = DatasetProfile.objects.filter(job=job).first()
        if existing is not None:
            progress(100, "Already profiled by this job")
            return existing
    with version_data_target(version=version) as target:
        result = profile_compute(target=target, progress=progress)
    progress(96, "Saving the profile")
    with transaction.atomic(), acting_user(by):
        if job is not None:
            # The job row is the lock: its attempt fence lets only one run reach this point at a time.
            existing = DatasetProfile.objects.filter(job=job).first()
            if existing is not None:
                return existing
        return DatasetProfile.objects.create(
            version=version,
            job=job,
            row_count=result.row_count,
            columns=result.columns,
            engine=f"{result.engine} ({result.distinct_method} distinct)"[:40],
        )


def dataset_profile_start(*, dataset: Dataset, by, version: DatasetVersion | None = None):
    """Start a profiling job for a version (default: the latest) if `by` may run jobs on the dataset."""
    from apps.jobs.services import job_enqueue

    if not Dataset.objects.restrict(by, Action.RUN).filter(pk=dataset.pk).exists():
        raise PermissionDenied("Your role in this dataset's team may not run jobs on it.")
    if version is None:
        version = dataset.versions.order_by("-number").first()
    if version is None:
        raise ValidationError(
            {"version": "This dataset has no version to profile yet; add a file or sync its source."}
        )
    if version.dataset_id != dataset.pk:
        raise ValidationError({"version": "That version belongs to another dataset."})
    return job_enqueue(
        kind=PROFILE_JOB_KIND,
        requester=by,
        team=dataset.team,
        target=dataset,
        params={"version_id": version.pk, "version": version.number},
    )
