"""Data sources: register, change and delete them, upload files, test connections and sync.

Three kinds (see `SourceKind`):
- uploaded files: each upload is streamed to Django storage (content-addressed) and
  becomes a version of the dataset of the same file name in the source — a new
  dataset the first time, a new version when the content or schema changed;
- a folder on the server (under `CATALOG_FOLDER_ROOTS`) or an object-storage prefix
  (`storage://…` under `CATALOG_STORAGE_PREFIXES`) of CSV and Parquet files;
- a SQL database reached through a SQLAlchemy URL. The full URL, with its password, is
  encrypted at rest (`apps.core.crypto`); only the URL without password is stored in
  clear and shown.

"Test connection" and "Sync" run as jobs (`apps/catalog/jobs.py`). A sync creates a
dataset per table or file (the source's team and visibility), records a version through
`dataset_version_record` when the schema or content hash changed, and keeps what changed
since the last sync in `source.last_sync_summary` (and each version's `schema_changes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.catalog.connectors import ConnectorError, TableInfo
from apps.catalog.connectors.files import file_inspect, human_size
from apps.catalog.connectors.folders import Folder, location_check
from apps.catalog.connectors.sql import (
    sql_connection_test,
    sql_introspect,
    sql_url_parse,
    url_display,
    url_secret,
)
from apps.catalog.models import Dataset, DatasetVersion, DataSource, SourceKind, SyncStatus
from apps.catalog.services.datasets import dataset_name_check, dataset_unique_slug
from apps.catalog.services.versions import dataset_version_is_new, dataset_version_record, schema_changed
from apps.core.crypto import DecryptionError, decrypt_text, encrypt_text
from apps.core.history import acting_user
from apps.core.models import Visibility
from apps.core.permissions import Action
from apps.core.querysets import member_team_ids
from apps.teams.models import Team

JOB_TEST = "catalog.source_test"
JOB_SYNC = "catalog.source_sync"
UPLOADS_SOURCE_NAME = "Uploaded files"
UPLOAD_PREFIX = "catalog/uploads"
SOURCE_FIELDS = {"name", "description", "visibility", "location", "url", "password", "options"}


# --- permissions ------------------------------------------------------------------------------


def team_user_may(*, user, team: Team, action: str) -> bool:
    """Whether `user` holds a role in `team` allowing `action` (or is a superuser)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or Team.objects.filter(pk=team.pk, pk__in=member_team_ids(user, action)).exists()


def source_user_may(*, user, source: DataSource, action: str) -> bool:
    """Whether `user` may take `action` on `source` (one query)."""
    return DataSource.objects.restrict(user, action).filter(pk=source.pk).exists()


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# --- register, change, delete ----------------------------------------------------------------


def _source_slug(*, team: Team, name: str, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:190] or "source"
    taken = set(
        DataSource.objects.filter(team=team, slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _name_check(*, team: Team, name: str, exclude_pk: int | None = None) -> str:
    name = str(name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the source a name."})
    if len(name) > 200:
        raise ValidationError({"name": "Keep the name under 200 characters."})
    if DataSource.objects.filter(team=team, name__iexact=name).exclude(pk=exclude_pk).exists():
        raise ValidationError(
            {"name": f"{team.name} already has a source named “{name}”. Choose another name."}
        )
    return name


def _sql_fields(*, url: str, password: str, keep_password_of: DataSource | None = None) -> dict:
    """Encrypted URL and display URL for a SQL source; errors on the `url` field."""
    try:
        parsed = sql_url_parse(url, password=password)
        if not password and parsed.password is None and keep_password_of is not None:
            # "Leave the password empty to keep it": reuse the stored one for the same user.
            previous = _stored_url(keep_password_of)
            if previous.password and previous.username == parsed.username:
                parsed = parsed.set(password=previous.password)
    except ConnectorError as error:
        raise ValidationError({"url": str(error)}) from None
    return {"credentials_encrypted": encrypt_text(url_secret(parsed)), "display_url": url_display(parsed)}


def _location_field(location: str) -> str:
    try:
        return location_check(location)
    except ConnectorError as error:
        raise ValidationError({"location": str(error)}) from None


@transaction.atomic
def source_create(
    *,
    team: Team,
    by,
    kind: str,
    name: str,
    description: str = "",
    visibility: str = Visibility.PRIVATE,
    location: str = "",
    url: str = "",
    password: str = "",
    options: dict | None = None,
) -> DataSource:
    """Register a source for `team` (needs the `add` right there); nothing is created on an error."""
    _require(
        team_user_may(user=by, team=team, action=Action.ADD),
        "Your role in this team may not register sources.",
    )
    if kind not in SourceKind.values:
        raise ValidationError({"kind": "Choose uploaded files, a folder or a SQL database."})
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": "Choose private or internal."})
    name = _name_check(team=team, name=name)
    fields: dict[str, Any] = {}
    if kind == SourceKind.SQL:
        fields = _sql_fields(url=url, password=password)
    elif kind == SourceKind.FOLDER:
        fields = {"location": _location_field(location)}
    source = DataSource(
        team=team,
        name=name,
        slug=_source_slug(team=team, name=name),
        kind=kind,
        description=str(description or "").strip(),
        visibility=visibility,
        options=_options_clean(options),
        **fields,
    )
    with acting_user(by):
        source.save()
    return source


def _options_clean(options) -> dict:
    if not options:
        return {}
    if not isinstance(options, dict):
        raise ValidationError({"options": 'Options are an object, e.g. {"schemas": ["public"]}.'})
    schemas = options.get("schemas")
    if schemas is not None and (
        not isinstance(schemas, list) or not all(isinstance(s, str) and s.strip() for s in schemas)
    ):
        raise ValidationError({"options": "“schemas” is a list of schema names."})
    return {"schemas": [s.strip() for s in schemas]} if schemas else {}


@transaction.atomic
def source_update(*, source: DataSource, by, **changes) -> DataSource:
    """Change a source's name, description, visibility, folder, URL (empty password: kept) or options."""
    unknown = set(changes) - SOURCE_FIELDS
    if unknown:
        raise ValueError(f"Cannot change {sorted(unknown)} on a source.")
    _require(
        source_user_may(user=by, source=source, action=Action.CHANGE), "Your role may not change this source."
    )
    if "name" in changes:
        source.name = _name_check(team=source.team, name=changes["name"], exclude_pk=source.pk)
    if "description" in changes:
        source.description = str(changes["description"] or "").strip()
    if "visibility" in changes:
        if changes["visibility"] not in Visibility.values:
            raise ValidationError({"visibility": "Choose private or internal."})
        source.visibility = changes["visibility"]
    if "options" in changes:
        source.options = _options_clean(changes["options"])
    if "location" in changes and source.kind == SourceKind.FOLDER:
        source.location = _location_field(changes["location"])
    if source.kind == SourceKind.SQL and (changes.get("url") or changes.get("password")):
        url = changes.get("url") or _stored_url_text(source)
        fields = _sql_fields(url=url, password=changes.get("password") or "", keep_password_of=source)
        for field, value in fields.items():
            setattr(source, field, value)
    with acting_user(by):
        source.save()
    return source


@transaction.atomic
def source_delete(*, source: DataSource, by) -> None:
    """Delete a source; its datasets stay in the catalog (detached from it) with their versions."""
    _require(
        source_user_may(user=by, source=source, action=Action.DELETE), "Your role may not delete this source."
    )
    with acting_user(by):
        source.delete()


def _stored_url_text(source: DataSource) -> str:
    if not source.credentials_encrypted:
        raise ConnectorError("This source has no database URL yet: edit it and enter one.")
    try:
        return decrypt_text(source.credentials_encrypted)
    except DecryptionError:
        raise ConnectorError(
            "The stored database URL cannot be decrypted with the configured keys: "
            "edit the source and enter it again."
        ) from None


def _stored_url(source: DataSource):
    """The source's full URL, checked again (the host's DNS or the allowed folders may have changed)."""
    return sql_url_parse(_stored_url_text(source))


# --- jobs: start ------------------------------------------------------------------------------


def _job_start(*, source: DataSource, by, kind: str):
    from apps.jobs.services import job_enqueue

    _require(
        source_user_may(user=by, source=source, action=Action.RUN),
        "Your role in this source's team may not run jobs on it.",
    )
    if kind == JOB_SYNC and source.kind == SourceKind.UPLOAD:
        raise ValidationError("Uploaded files are read when they are uploaded; there is nothing to sync.")
    return job_enqueue(
        kind=kind, requester=by, team=source.team, target=source, params={"source_id": source.pk}
    )


def source_test_start(*, source: DataSource, by):
    """Start a "Test connection" job for `source` (needs `run`)."""
    return _job_start(source=source, by=by, kind=JOB_TEST)


def source_sync_start(*, source: DataSource, by):
    """Start a sync job for `source` (needs `run`)."""
    return _job_start(source=source, by=by, kind=JOB_SYNC)


# --- jobs: run --------------------------------------------------------------------------------


def source_connection_test(*, source: DataSource) -> dict:
    """Whether the source can be read: {"ok": True, "message": …}; a ConnectorError says why not."""
    if source.kind == SourceKind.SQL:
        return sql_connection_test(_stored_url(source))
    if source.kind == SourceKind.FOLDER:
        return {"ok": True, "message": Folder(source.location).check()}
    return {"ok": True, "message": "Uploaded files are stored in Atrium: there is nothing to connect to."}


def _folder_scan(source: DataSource, progress) -> tuple[list[TableInfo], list[dict]]:
    folder = Folder(source.location)
    entries = list(folder.files())
    found, errors = [], []
    for index, entry in enumerate(entries):
        if progress:
            progress(index, len(entries), entry.relative)
        try:
            with folder.open(entry.relative) as handle:
                info = file_inspect(handle, name=entry.relative)
        except ConnectorError as error:
            errors.append({"path": entry.relative, "message": str(error)})
            continue
        except OSError:
            errors.append(
                {"path": entry.relative, "message": "The file could not be read (permissions or I/O)."}
            )
            continue
        found.append(
            TableInfo(
                path=entry.relative,
                name=PurePosixPath(entry.relative).stem or entry.relative,
                schema=info.schema,
                row_count=info.row_count,
                content_hash=info.content_hash,
                size_bytes=info.size_bytes,
                format=info.format,
            )
        )
    return found, errors


def _free_name(*, team: Team, name: str, source: DataSource) -> str:
    """`name`, or a variant no other dataset of the team has (names are unique per team, ignoring case)."""
    base = (str(name).strip() or "dataset")[:180]
    candidates = [base, f"{base} ({source.name})"[:200]]
    candidates += [f"{base} ({source.name}) {n}"[:200] for n in range(2, 1000)]
    for candidate in candidates:
        if not Dataset.objects.filter(team=team, name__iexact=candidate).exists():
            return candidate
    raise ValidationError({"name": "Choose another name: this one is taken many times over."})


def _dataset_for(
    *, source: DataSource, path: str, name: str, by, exact_name: bool = False
) -> tuple[Dataset, bool]:
    """The source's dataset for `path`, created (in the source's team and visibility) if missing."""
    existing = Dataset.objects.select_related("team").filter(source=source, source_path=path).first()
    if existing is not None:
        return existing, False
    if exact_name:
        dataset_name_check(team=source.team, name=name)
    else:
        name = _free_name(team=source.team, name=name, source=source)
    dataset = Dataset(
        team=source.team,
        name=name,
        slug=dataset_unique_slug(team=source.team, name=name),
        source=source,
        source_path=path[:1000],
        visibility=source.visibility,
    )
    with acting_user(by):
        dataset.save()
    return dataset, True


def _location(source: DataSource, path: str) -> str:
    if source.kind == SourceKind.SQL:
        return f"{source.display_url}#{path}"[:1000]
    if source.kind == SourceKind.FOLDER:
        return f"{source.location.rstrip('/')}/{path}"[:1000]
    return path


def _missing_paths(summary: dict) -> set[str]:
    return {entry.get("path", "") for entry in (summary or {}).get("missing", []) if isinstance(entry, dict)}


def _set_status(source: DataSource, *, by, status: str, **fields) -> None:
    source.sync_status = status
    for name, value in fields.items():
        setattr(source, name, value)
    with acting_user(by):
        source.save(update_fields=["sync_status", "updated_at", *fields])


def source_sync(*, source: DataSource, by, job=None, progress=None) -> dict:
    """Read the source's tables or files into datasets and versions; returns (and stores) what changed."""
    if source.kind == SourceKind.UPLOAD:
        raise ConnectorError("Uploaded files are read when they are uploaded; there is nothing to sync.")
    previous_summary = source.last_sync_summary or {}
    _set_status(source, by=by, status=SyncStatus.RUNNING)

    def report(index: int, total: int, what: str) -> None:
        if progress:
            progress(5 + int(80 * index / max(total, 1)), f"Reading {what} ({index + 1} of {total})")

    try:
        if source.kind == SourceKind.SQL:
            tables, errors = sql_introspect(
                _stored_url(source), options=source.options or {}, progress=report
            )
        else:
            tables, errors = _folder_scan(source, report)
    except ConnectorError as error:
        _set_status(
            source,
            by=by,
            status=SyncStatus.FAILED,
            last_sync_summary={
                **_summary_base(by),
                "error": str(error),
                "previous": _short(previous_summary),
            },
        )
        raise
    if progress:
        progress(88, "Recording datasets and versions")
    added, changed, new_versions, unchanged = [], [], 0, 0
    seen: set[str] = set()
    for info in tables:
        seen.add(info.path)
        with transaction.atomic():
            dataset, created = _dataset_for(source=source, path=info.path, name=info.name, by=by)
            if not created and not dataset_version_is_new(
                dataset=dataset, schema=info.schema, content_hash=info.content_hash
            ):
                unchanged += 1
                continue
            version = dataset_version_record(
                dataset=dataset,
                schema=info.schema,
                row_count=info.row_count,
                content_hash=info.content_hash,
                location=_location(source, info.path),
                by=by,
                job=job,
                producer=f"sync:{source.kind}",
                size_bytes=info.size_bytes,
            )
        new_versions += 1
        entry = {"id": dataset.pk, "name": dataset.name, "path": info.path, "version": version.number}
        if created:
            added.append(entry)
        else:
            changes = version.schema_changes or {}
            changed.append({**entry, "schema_changed": schema_changed(changes), **changes})
    missing = [
        {"id": pk, "name": name, "path": path}
        for pk, name, path in source.datasets.exclude(source_path__in=seen).values_list(
            "pk", "name", "source_path"
        )
    ]
    already_missing = _missing_paths(previous_summary)
    summary = {
        **_summary_base(by),
        "tables": len(tables),
        "added": added,
        "changed": changed,
        "removed": [entry for entry in missing if entry["path"] not in already_missing],
        "missing": missing,
        "new_versions": new_versions,
        "unchanged": unchanged,
        "errors": errors,
    }
    _set_status(
        source, by=by, status=SyncStatus.SUCCEEDED, last_synced_at=timezone.now(), last_sync_summary=summary
    )
    return summary


def _summary_base(by) -> dict:
    return {
        "finished_at": timezone.now().isoformat(timespec="seconds"),
        "by": getattr(by, "username", "") or "",
    }


def _short(summary: dict) -> dict:
    return {key: summary[key] for key in ("finished_at", "tables") if key in (summary or {})}


# --- uploads ----------------------------------------------------------------------------------


@dataclass
class UploadResult:
    """What an upload did: the dataset, its (new or unchanged) latest version."""

    dataset: Dataset
    version: DatasetVersion
    created_dataset: bool
    unchanged: bool


def uploads_source_ensure(*, team: Team, by) -> DataSource:
    """The team's "Uploaded files" source, created on the first upload."""
    source = DataSource.objects.filter(team=team, kind=SourceKind.UPLOAD).order_by("pk").first()
    if source is not None:
        return source
    name = UPLOADS_SOURCE_NAME
    if DataSource.objects.filter(team=team, name__iexact=name).exists():
        name = f"{UPLOADS_SOURCE_NAME} ({team.name})"
    source = DataSource(team=team, name=name, slug=_source_slug(team=team, name=name), kind=SourceKind.UPLOAD)
    with acting_user(by):
        source.save()
    return source


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": message})


def _store(uploaded, *, team: Team, digest: str, suffix: str) -> tuple[str, bool]:
    """Write the file to storage in chunks under a content-addressed name; (name, newly written)."""
    name = f"{UPLOAD_PREFIX}/{team.slug}/{digest[:2]}/{digest}{suffix}"
    if default_storage.exists(name):
        return name, False
    uploaded.seek(0)
    return default_storage.save(name, uploaded), True


def file_upload(
    *,
    team: Team | None = None,
    by,
    uploaded,
    name: str = "",
    source: DataSource | None = None,
    dataset: Dataset | None = None,
) -> UploadResult:
    """Store an uploaded CSV or Parquet file and record it as a dataset version.

    The target is `dataset` when given (needs `change` on it); otherwise the dataset of
    the same file name in `source` (default: the team's uploads source) — a new version
    of it — or a new dataset (needs `add` in the team). An unchanged file records nothing.
    Errors are on the `file` (or `name`) field, and nothing is left behind.
    """
    limit = settings.CATALOG_UPLOAD_MAX_BYTES
    filename = PurePosixPath(str(getattr(uploaded, "name", "") or "").replace("\\", "/")).name[:255]
    if dataset is not None:
        team = dataset.team
        source = dataset.source if dataset.source_id else None
        _require(
            Dataset.objects.restrict(by, Action.CHANGE).filter(pk=dataset.pk).exists(),
            "Your role may not add versions to this dataset.",
        )
    elif source is not None:
        team = source.team
        _require(
            source_user_may(user=by, source=source, action=Action.CHANGE), "Your role may not add files here."
        )
        if source.kind != SourceKind.UPLOAD:
            raise ValidationError({"source": "Files can be uploaded only to an uploaded-files source."})
    if team is None:
        raise ValidationError({"team": "Choose the team that will own the data."})
    if dataset is None:
        _require(
            team_user_may(user=by, team=team, action=Action.ADD),
            "Your role in this team may not add datasets.",
        )
    if not filename:
        raise _file_error("Choose a file to upload.")
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise _file_error(f"The file is {human_size(size)}; the limit is {human_size(limit)}.")
    if size == 0:
        raise _file_error("The file is empty (0 bytes): choose a file with a header row and data.")
    try:
        info = file_inspect(uploaded, name=filename, max_bytes=limit)
    except ConnectorError as error:
        raise _file_error(str(error)) from None
    name = str(name or "").strip()[:200]
    if dataset is None:
        source = source or uploads_source_ensure(team=team, by=by)
        dataset = Dataset.objects.select_related("team").filter(source=source, source_path=filename).first()
        if dataset is None and name:
            dataset = Dataset.objects.select_related("team").filter(source=source, name__iexact=name).first()
        if dataset is not None:
            _require(
                Dataset.objects.restrict(by, Action.CHANGE).filter(pk=dataset.pk).exists(),
                "Your role may not add versions to this dataset.",
            )
        elif name:
            dataset_name_check(team=team, name=name)
    if dataset is not None and not dataset_version_is_new(
        dataset=dataset, schema=info.schema, content_hash=info.content_hash
    ):
        return UploadResult(
            dataset=dataset, version=dataset.latest_version, created_dataset=False, unchanged=True
        )
    suffix = ".parquet" if info.format == "parquet" else ".csv"
    stored, written = _store(uploaded, team=team, digest=info.content_hash, suffix=suffix)
    try:
        with transaction.atomic():
            created = dataset is None
            if created:
                dataset, _ = _dataset_for(
                    source=source,
                    path=filename,
                    name=name or PurePosixPath(filename).stem or filename,
                    by=by,
                    exact_name=bool(name),
                )
            version = dataset_version_record(
                dataset=dataset,
                schema=info.schema,
                row_count=info.row_count,
                content_hash=info.content_hash,
                location=filename,
                by=by,
                producer="upload",
                storage_path=stored,
                size_bytes=info.size_bytes,
            )
    except BaseException:
        if written:
            default_storage.delete(stored)
        raise
    return UploadResult(dataset=dataset, version=version, created_dataset=created, unchanged=False)
