"""Artifacts of runs and logged models: safe paths, Django storage, the index, size limits.

Every artifact is a file in Django's default storage (the filesystem under `MEDIA_ROOT` by
default, S3-compatible object storage through django-storages in production) under its owner's
root, and a row of the `Artifact` index (path, size, sha256) that listing and permission checks
read instead of the storage:

    experiments/<experiment_id>/runs/<run_uuid>/artifacts/<path>
    experiments/<experiment_id>/models/<model_id>/artifacts/<path>

`artifact_path_clean` is the one gate every path goes through (the MLflow proxy, training jobs,
the UI). Uploads stream in chunks into a temporary name, counted and hashed as they go and
stopped at `EXPERIMENTS_ARTIFACT_MAX_BYTES`; the finished file then replaces the final name
(an atomic rename on the filesystem), so re-uploading a path overwrites it whole and a failed or
oversized upload leaves nothing behind. Callers check permissions first (views and jobs hold an
owner obtained through `restrict`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import mimetypes
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import unquote

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum

from apps.core.history import acting_user
from apps.experiments.models import Artifact, LoggedModel, Run
from apps.experiments.services.environment import is_environment_file, run_environment_from_artifact

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
MAX_PATH_LENGTH = 1000  # Artifact.path
MAX_SEGMENT_LENGTH = 255  # a file name on common filesystems
MAX_DECODING_ROUNDS = 3
STORAGE_PREFIX = "experiments"
INCOMING_PREFIX = f"{STORAGE_PREFIX}/.incoming"

# Bidirectional overrides and isolates make a name display differently from what it is.
_BIDI_CONTROLS = {chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


class ArtifactError(Exception):
    """An artifact operation the caller asked for cannot be done; the message says why."""


class ArtifactPathError(ArtifactError, ValueError):
    """A path that is not a plain relative path inside an artifact root."""


class ArtifactTooLarge(ArtifactError):
    """A file (or an owner's artifacts in total) over the configured limit."""


class ArtifactConflict(ArtifactError):
    """A path that is a file where a folder is expected, or the reverse."""


class ArtifactIncomplete(ArtifactError):
    """An upload that ended before the size it announced (a client that went away)."""


class ArtifactNotFound(ArtifactError):
    """No artifact at that path."""


# --- paths -----------------------------------------------------------------------------------
def _refuse(path: str, reason: str) -> ArtifactPathError:
    shown = path if len(path) <= 120 else path[:117] + "..."
    return ArtifactPathError(f"Invalid artifact path {shown!r}: {reason}.")


def _decoded_forms(path: str) -> list[str]:
    """The path and every percent-decoding of it (double encoding hides `..` as `%252e%252e`)."""
    forms = [path]
    current = path
    for _ in range(MAX_DECODING_ROUNDS):
        if not _PERCENT_ESCAPE.search(current):
            break
        try:
            decoded = unquote(current, errors="strict")
        except UnicodeDecodeError:
            raise _refuse(path, "it percent-encodes bytes that are not UTF-8") from None
        if decoded == current:
            break
        forms.append(decoded)
        current = decoded
    else:
        if _PERCENT_ESCAPE.search(current):
            raise _refuse(path, "it is percent-encoded too many times")
    # Full-width dots and slashes become '.' and '/' under NFKC, which some systems apply.
    forms.extend(unicodedata.normalize("NFKC", form) for form in list(forms))
    return forms


def _check_form(original: str, form: str) -> None:
    if len(form) > MAX_PATH_LENGTH:
        raise _refuse(original, f"it is longer than {MAX_PATH_LENGTH} characters")
    for char in form:
        if ord(char) < 32 or ord(char) == 127 or unicodedata.category(char) in {"Cc", "Cs"}:
            raise _refuse(original, "it contains a control character")
        if char in _BIDI_CONTROLS:
            raise _refuse(original, "it contains a bidirectional-text control character")
    if "\\" in form:
        raise _refuse(original, "backslashes are not path separators here")
    if "?" in form or "#" in form:
        raise _refuse(original, "'?' and '#' are not allowed")
    if form.startswith("/"):
        raise _refuse(original, "it must be relative, not absolute")
    segments = form.split("/")
    if ":" in segments[0]:
        raise _refuse(original, "it must not start with a URI scheme or a drive (such as 'file:' or 'C:')")
    for segment in segments:
        if segment == "":
            raise _refuse(original, "it has an empty segment ('//' or a trailing '/')")
        if set(segment) == {"."}:
            raise _refuse(original, "'.' and '..' segments are not allowed")
        if len(segment) > MAX_SEGMENT_LENGTH:
            raise _refuse(original, f"a segment is longer than {MAX_SEGMENT_LENGTH} characters")


def artifact_path_clean(path: str, *, allow_root: bool = False) -> str:
    """The relative artifact path `path` after checking it is safe; raises ArtifactPathError.

    Refused, in the path as given and in every percent-decoded and NFKC-normalized form of it:
    `..` and `.` segments, absolute paths, backslashes, NUL and control characters, empty
    segments, `?` and `#`, a scheme or drive in the first segment (`file:`, `C:`), overlong
    paths and segments. `allow_root` accepts the empty path (an owner's whole root).
    """
    if not isinstance(path, str):
        raise ArtifactPathError("Invalid artifact path: expected a string.")
    if path == "":
        if allow_root:
            return ""
        raise ArtifactPathError("Invalid artifact path: it is empty.")
    if len(path) > MAX_PATH_LENGTH * 3:  # before decoding anything large
        raise _refuse(path, f"it is longer than {MAX_PATH_LENGTH} characters")
    for form in _decoded_forms(path):
        _check_form(path, form)
    return path


# --- owners and storage names ----------------------------------------------------------------
Owner = Run | LoggedModel


def _owner(run: Run | None, logged_model: LoggedModel | None) -> Owner:
    if (run is None) == (logged_model is None):
        raise TypeError("Pass exactly one of run= or logged_model=.")
    return run if run is not None else logged_model


def artifact_root(*, run: Run | None = None, logged_model: LoggedModel | None = None) -> str:
    """The storage prefix of an owner's artifacts (no trailing slash)."""
    owner = _owner(run, logged_model)
    if isinstance(owner, Run):
        return f"{STORAGE_PREFIX}/{owner.experiment_id}/runs/{owner.uuid}/artifacts"
    return f"{STORAGE_PREFIX}/{owner.experiment_id}/models/{owner.model_id}/artifacts"


def experiment_artifact_location(experiment) -> str:
    """MLflow's artifact location of an experiment: served by the portal's artifact proxy."""
    return f"mlflow-artifacts:/{experiment.pk}"


def run_artifact_uri(run: Run) -> str:
    """MLflow's artifact URI of a run (`mlflow-artifacts:/<experiment>/<run>/artifacts`)."""
    return f"mlflow-artifacts:/{run.experiment_id}/{run.uuid}/artifacts"


def logged_model_artifact_location(logged_model: LoggedModel) -> str:
    """MLflow's artifact location of a logged model (`mlflow-artifacts:/<exp>/models/<id>/artifacts`)."""
    return f"mlflow-artifacts:/{logged_model.experiment_id}/models/{logged_model.model_id}/artifacts"


def _owner_filter(owner: Owner) -> dict:
    return {"run": owner} if isinstance(owner, Run) else {"logged_model": owner}


def _is_local(storage) -> bool:
    return isinstance(storage, FileSystemStorage)


def _confined(storage, name: str, root: str) -> None:
    """On the filesystem, refuse a name that resolves (through symlinks) outside its owner's root."""
    if not _is_local(storage):
        return
    base = os.path.realpath(storage.location)
    owner_root = os.path.realpath(storage.path(root))
    resolved = os.path.realpath(storage.path(name))
    for boundary in (base, owner_root):
        if resolved != boundary and not resolved.startswith(boundary + os.sep):
            raise ArtifactPathError(
                f"Invalid artifact path {name[len(root) + 1 :]!r}: it leads outside its root."
            )


# --- writing -----------------------------------------------------------------------------------
class _MeteredReader:
    """Reads a stream in chunks, counting and hashing, and stops as soon as it passes the limit."""

    def __init__(self, stream: BinaryIO, limit: int):
        self.stream = stream
        self.limit = limit
        self.size = 0
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > CHUNK_SIZE:
            size = CHUNK_SIZE
        data = self.stream.read(size)
        self.size += len(data)
        if self.size > self.limit:
            raise ArtifactTooLarge(
                f"The file is larger than the limit of {_bytes(self.limit)} per artifact "
                "(EXPERIMENTS_ARTIFACT_MAX_BYTES)."
            )
        self.digest.update(data)
        return data


def _bytes(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}".replace(".0 ", " ")
        size /= 1024
    return str(size)


def artifact_limits() -> tuple[int, int]:
    """(the largest file, the most bytes one run or logged model may hold), from settings."""
    return settings.EXPERIMENTS_ARTIFACT_MAX_BYTES, settings.EXPERIMENTS_ARTIFACT_ROOT_MAX_BYTES


def artifact_check_size(
    *, run: Run | None = None, logged_model: LoggedModel | None = None, path: str, size: int
) -> None:
    """Refuse early (before reading a body) a file of `size` bytes that would pass a limit."""
    owner = _owner(run, logged_model)
    file_limit, root_limit = artifact_limits()
    if size > file_limit:
        raise ArtifactTooLarge(
            f"The file has {_bytes(size)}, over the limit of {_bytes(file_limit)} per artifact "
            "(EXPERIMENTS_ARTIFACT_MAX_BYTES)."
        )
    held = (
        Artifact.objects.filter(**_owner_filter(owner))
        .exclude(path=path)
        .aggregate(total=Sum("size"))["total"]
        or 0
    )
    if held + size > root_limit:
        raise ArtifactTooLarge(
            f"The artifacts of this {'run' if isinstance(owner, Run) else 'model'} would take "
            f"{_bytes(held + size)}, over the limit of {_bytes(root_limit)} "
            "(EXPERIMENTS_ARTIFACT_ROOT_MAX_BYTES)."
        )


def _check_no_conflict(owner: Owner, path: str) -> None:
    """A path cannot be a file and a folder at once (`a` then `a/b`, or the reverse)."""
    segments = path.split("/")
    ancestors = ["/".join(segments[:index]) for index in range(1, len(segments))]
    rows = Artifact.objects.filter(**_owner_filter(owner))
    if ancestors and rows.filter(path__in=ancestors).exists():
        raise ArtifactConflict(f"Cannot store {path!r}: a parent folder of it is a file.")
    if rows.filter(path__startswith=f"{path}/").exists():
        raise ArtifactConflict(f"Cannot store {path!r}: it is a folder of other artifacts.")


def _replace(storage, temporary: str, final: str) -> str:
    """Move the finished upload onto its final name; returns the name it is stored under."""
    if _is_local(storage):
        target = storage.path(final)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(storage.path(temporary), target)  # atomic: readers see the old or the new file
        return final
    # Object storage has no rename: copy the verified upload onto the final key, drop the temporary.
    if storage.exists(final):
        storage.delete(final)
    with storage.open(temporary, "rb") as uploaded:
        stored = storage.save(final, uploaded)
    storage.delete(temporary)
    return stored


def artifact_store(
    *,
    run: Run | None = None,
    logged_model: LoggedModel | None = None,
    path: str,
    stream: BinaryIO,
    by,
    size: int | None = None,
) -> Artifact:
    """Store the bytes of `stream` at `path` under the owner's root (overwriting it whole).

    Streams in chunks with a sha256, stops at the size limits (nothing is kept), and records the
    file in the index. Storing the same path again replaces the file and its row: what a client
    that retries an upload expects. `size` (e.g. the request's Content-Length) is checked against
    the limits before reading, and a stream that ends short of it stores nothing.
    """
    owner = _owner(run, logged_model)
    path = artifact_path_clean(path)
    if size is not None:
        artifact_check_size(run=run, logged_model=logged_model, path=path, size=size)
    _check_no_conflict(owner, path)
    root = artifact_root(run=run, logged_model=logged_model)
    final = f"{root}/{path}"
    storage = default_storage
    _confined(storage, final, root)
    file_limit, _ = artifact_limits()
    reader = _MeteredReader(stream, file_limit)
    temporary = f"{INCOMING_PREFIX}/{uuid.uuid4().hex}"
    try:
        temporary = storage.save(temporary, File(reader, name=os.path.basename(path)))
        if size is not None and reader.size != size:
            raise ArtifactIncomplete(f"The upload ended after {reader.size} of the {size} bytes announced.")
        artifact_check_size(run=run, logged_model=logged_model, path=path, size=reader.size)
        stored = _replace(storage, temporary, final)
    except BaseException:
        if storage.exists(temporary):
            storage.delete(temporary)
        raise
    values = {
        "experiment_id": owner.experiment_id,
        "storage_name": stored,
        "size": reader.size,
        "sha256": reader.digest.hexdigest(),
    }
    artifact = _index(owner, path, values, by)
    _record_environment(run, logged_model, artifact, by)
    return artifact


def _index(owner: Owner, path: str, values: dict, by) -> Artifact:
    """Create or update the index row of a stored file (a retried upload replaces it)."""
    with acting_user(by), transaction.atomic():
        artifact = Artifact.objects.filter(**_owner_filter(owner), path=path).first()
        if artifact is None:
            try:
                with transaction.atomic():
                    return Artifact.objects.create(**_owner_filter(owner), path=path, **values)
            except IntegrityError:  # a concurrent upload of the same path created the row first
                artifact = Artifact.objects.get(**_owner_filter(owner), path=path)
        previous_name = artifact.storage_name
        for field, value in values.items():
            setattr(artifact, field, value)
        artifact.save()
        if previous_name != values["storage_name"]:  # object storage may have stored it under another key
            transaction.on_commit(lambda: default_storage.delete(previous_name))
    return artifact


def _record_environment(run: Run | None, logged_model: LoggedModel | None, artifact: Artifact, by) -> None:
    """A model's requirements.txt / python_env.yaml tells the run's environment (see environment.py)."""
    if not is_environment_file(artifact.path):
        return
    source_run = run if run is not None else logged_model.source_run
    run_environment_from_artifact(run=source_run, artifact=artifact, by=by)


def artifact_store_bytes(
    *, run: Run | None = None, logged_model: LoggedModel | None = None, path: str, content: bytes, by
) -> Artifact:
    """Store small in-memory content (a plot, a JSON summary) at `path`; see `artifact_store`."""
    return artifact_store(
        run=run, logged_model=logged_model, path=path, stream=io.BytesIO(content), by=by, size=len(content)
    )


# --- reading -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArtifactEntry:
    """One child of a listed folder, as MLflow's FileInfo: path from the root, folder or file."""

    path: str
    is_dir: bool
    file_size: int | None = None

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def artifact_get(*, run: Run | None = None, logged_model: LoggedModel | None = None, path: str) -> Artifact:
    """The index row of the file at `path`; raises ArtifactNotFound."""
    owner = _owner(run, logged_model)
    path = artifact_path_clean(path)
    artifact = Artifact.objects.filter(**_owner_filter(owner), path=path).first()
    if artifact is None:
        raise ArtifactNotFound(f"No artifact at {path!r}.")
    return artifact


def artifact_open(
    *, run: Run | None = None, logged_model: LoggedModel | None = None, path: str
) -> tuple[Artifact, File]:
    """The index row and an open binary file of the artifact at `path`; raises ArtifactNotFound."""
    artifact = artifact_get(run=run, logged_model=logged_model, path=path)
    storage = default_storage
    _confined(storage, artifact.storage_name, artifact_root(run=run, logged_model=logged_model))
    try:
        handle = storage.open(artifact.storage_name, "rb")
    except FileNotFoundError:
        logger.error(
            "Artifact %s is indexed but missing from storage (%s)", artifact.pk, artifact.storage_name
        )
        raise ArtifactNotFound(f"The artifact {artifact.path!r} is missing from storage.") from None
    return artifact, handle


def artifact_content_type(path: str) -> str:
    """The content type to serve a file with; active content (HTML, SVG, scripts) as plain text."""
    guessed, _ = mimetypes.guess_type(path)
    if guessed is None:
        return "application/octet-stream"
    if guessed in {
        "text/html",
        "image/svg+xml",
        "application/xhtml+xml",
        "text/javascript",
        "application/javascript",
        "text/xml",
        "application/xml",
    }:
        return "text/plain"
    return guessed


def artifact_list(
    *, run: Run | None = None, logged_model: LoggedModel | None = None, path: str = ""
) -> list[ArtifactEntry]:
    """The direct children of the folder `path` ("" for the root), folders inferred from the files.

    Like MLflow's list-artifacts: a file path or a missing folder lists nothing.
    """
    owner = _owner(run, logged_model)
    path = artifact_path_clean(path, allow_root=True)
    prefix = f"{path}/" if path else ""
    rows = Artifact.objects.filter(**_owner_filter(owner))
    if prefix:
        rows = rows.filter(path__startswith=prefix)
    files: list[ArtifactEntry] = []
    folders: set[str] = set()
    for child_path, size in rows.order_by("path").values_list("path", "size").iterator():
        rest = child_path[len(prefix) :]
        head, separator, _ = rest.partition("/")
        if separator:
            folders.add(f"{prefix}{head}")
        else:
            files.append(ArtifactEntry(path=child_path, is_dir=False, file_size=size))
    entries = files + [ArtifactEntry(path=folder, is_dir=True) for folder in folders]
    return sorted(entries, key=lambda entry: entry.path)


def artifact_total_size(*, run: Run | None = None, logged_model: LoggedModel | None = None) -> int:
    """Bytes held by an owner's artifacts."""
    owner = _owner(run, logged_model)
    return Artifact.objects.filter(**_owner_filter(owner)).aggregate(total=Sum("size"))["total"] or 0


# --- deleting ----------------------------------------------------------------------------------
def artifact_delete(
    *, run: Run | None = None, logged_model: LoggedModel | None = None, path: str = "", by
) -> int:
    """Delete the file at `path`, or everything under the folder `path` ("" = the whole root).

    Returns how many files went; the index rows go in the transaction, the stored files after it
    commits (`artifact_row_deleted`). A path with nothing under it deletes nothing (as MLflow's
    delete-artifacts does).
    """
    owner = _owner(run, logged_model)
    path = artifact_path_clean(path, allow_root=True)
    rows = Artifact.objects.filter(**_owner_filter(owner))
    if path:
        rows = rows.filter(Q(path=path) | Q(path__startswith=f"{path}/"))
    doomed = list(rows)
    with acting_user(by), transaction.atomic():
        for artifact in doomed:
            artifact.delete()  # its file goes once this commits (artifact_row_deleted)
    return len(doomed)


def artifact_row_deleted(sender, instance: Artifact, **kwargs) -> None:
    """An index row is gone, deleted here or with its run, logged model or experiment (an officer's
    hard delete in the admin cascades): its stored file goes once the deletion commits, and stays
    if it rolls back. Connected to Artifact's post_delete in ExperimentsConfig.ready()."""
    name = instance.storage_name

    def remove_file() -> None:
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("Could not delete stored artifact %s", name)

    transaction.on_commit(remove_file)
