"""MLflow's artifact proxy (`mlflow-artifacts`): upload, download, list and delete run and model files.

The client addresses a run's files as `mlflow-artifacts:/<experiment_id>/<run_id>/artifacts/<path>`
and a logged model's as `mlflow-artifacts:/<experiment_id>/models/<model_id>/artifacts/<path>`,
which it turns into `/api/2.0/mlflow-artifacts/artifacts/<that path>`. Every route cleans the
whole path (after the server's percent-decoding, and again for double encoding) with
`artifact_path_clean`, finds the run or model through `restrict` (view to read, change to write;
someone who cannot see it gets RESOURCE_DOES_NOT_EXIST exactly as for a missing one) and works
inside that owner's root only. Uploads stream to storage; downloads stream back as attachments.
Multipart and presigned transfers answer NOT_IMPLEMENTED with MLflow's own message, so the client
falls back to plain uploads and downloads.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import FileResponse

from apps.core.permissions import Action
from apps.experiments.models import Run
from apps.experiments.selectors.artifacts import artifact_owner_get
from apps.experiments.services.artifacts import (
    ArtifactConflict,
    ArtifactError,
    ArtifactIncomplete,
    ArtifactNotFound,
    ArtifactPathError,
    ArtifactTooLarge,
    artifact_check_size,
    artifact_content_type,
    artifact_delete,
    artifact_list,
    artifact_open,
    artifact_path_clean,
    artifact_store,
)
from apps.mlflow_api.endpoint import Args, mlflow_endpoint
from apps.mlflow_api.errors import (
    BAD_REQUEST,
    INVALID_PARAMETER_VALUE,
    NOT_IMPLEMENTED,
    PERMISSION_DENIED,
    RESOURCE_LIMIT_EXCEEDED,
    MlflowError,
    does_not_exist,
    invalid,
)

DOWNLOAD_BLOCK_SIZE = 1024 * 1024
LAYOUT = "<experiment_id>/<run_id>/artifacts/<path> or <experiment_id>/models/<model_id>/artifacts/<path>"
# The client falls back to a plain PUT when the message starts with these words
# (mlflow.exceptions._UnsupportedMultipartUploadException.MESSAGE).
MULTIPART_UPLOAD_UNSUPPORTED = "Multipart upload is not supported for the current artifact repository"
MULTIPART_DOWNLOAD_UNSUPPORTED = "Multipart download is not supported for the current artifact repository"


def _error(error: ArtifactError) -> MlflowError:
    if isinstance(error, ArtifactTooLarge):
        return MlflowError(str(error), RESOURCE_LIMIT_EXCEEDED)
    if isinstance(error, ArtifactNotFound):
        return does_not_exist(str(error))
    if isinstance(error, ArtifactIncomplete):
        return MlflowError(str(error), BAD_REQUEST)
    if isinstance(error, ArtifactPathError | ArtifactConflict):
        return invalid(str(error))
    return MlflowError(str(error), INVALID_PARAMETER_VALUE)


def _resolve(user, raw_path: str, *, action: str, allow_root: bool) -> tuple[dict, str]:
    """The owner (as `run=` or `logged_model=`) and the path inside its root that `raw_path` names."""
    try:
        path = artifact_path_clean(raw_path)
    except ArtifactPathError as error:
        raise invalid(str(error)) from None
    parts = path.split("/")
    if len(parts) >= 4 and parts[1] == "models" and parts[3] == "artifacts":
        address, relative = {"experiment_id": parts[0], "model_id": parts[2]}, parts[4:]
    elif len(parts) >= 3 and parts[2] == "artifacts":
        address, relative = {"experiment_id": parts[0], "run_uuid": parts[1]}, parts[3:]
    else:
        raise invalid(f"Invalid artifact path {path!r}: artifact paths look like {LAYOUT}.")
    if not relative and not allow_root:
        raise invalid(f"Invalid artifact path {path!r}: it names an artifact root, not a file.")
    try:
        owner = artifact_owner_get(user=user, action=action, **address)
    except ObjectDoesNotExist:
        raise does_not_exist(f"No run or logged model has the artifact root of {path!r}.") from None
    except PermissionDenied as error:
        raise MlflowError(str(error), PERMISSION_DENIED) from None
    keyword = "run" if isinstance(owner, Run) else "logged_model"
    return {keyword: owner}, "/".join(relative)


def _content_length(request) -> int:
    raw = request.META.get("CONTENT_LENGTH") or ""
    if not raw.isdigit():
        raise MlflowError(
            "Artifact uploads need a Content-Length header (chunked uploads are not accepted).", BAD_REQUEST
        )
    return int(raw)


def _upload(request, raw_path: str) -> dict:
    owner, path = _resolve(request.mlflow_user, raw_path, action=Action.CHANGE, allow_root=False)
    size = _content_length(request)
    try:
        artifact_check_size(**owner, path=path, size=size)  # before reading a byte of the body
        artifact_store(**owner, path=path, stream=request, by=request.mlflow_user, size=size)
    except ArtifactError as error:
        raise _error(error) from None
    return {}


def _download(request, raw_path: str) -> FileResponse:
    owner, path = _resolve(request.mlflow_user, raw_path, action=Action.VIEW, allow_root=False)
    try:
        artifact, handle = artifact_open(**owner, path=path)
    except ArtifactNotFound:
        if artifact_list(**owner, path=path):
            raise invalid(f"Artifact path refers to a directory, not a file: {path!r}.") from None
        raise does_not_exist(f"No artifact at {path!r}.") from None
    except ArtifactError as error:
        raise _error(error) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=path.rsplit("/", 1)[-1],
        content_type=artifact_content_type(path),
    )
    response.block_size = DOWNLOAD_BLOCK_SIZE
    response["Content-Length"] = str(artifact.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _delete(request, raw_path: str) -> dict:
    owner, path = _resolve(request.mlflow_user, raw_path, action=Action.CHANGE, allow_root=True)
    try:
        artifact_delete(**owner, path=path, by=request.mlflow_user)
    except ArtifactError as error:
        raise _error(error) from None
    return {}


@mlflow_endpoint("GET", "PUT", "DELETE", atomic=False, stream_body=True)
def artifact(request, args: Args, artifact_path: str):
    """PUT uploads a file (streamed), GET downloads it, DELETE removes a file or a folder."""
    if request.method == "PUT":
        return _upload(request, artifact_path)
    if request.method == "DELETE":
        return _delete(request, artifact_path)
    return _download(request, artifact_path)


@mlflow_endpoint("GET", atomic=False)
def artifacts_list(request, args: Args) -> dict:
    """The direct children of a folder: `{"files": [{"path": name, "is_dir": …, "file_size": …}]}`."""
    raw = args.string("path", required=True)
    if raw.endswith("/") and not raw.endswith("//"):
        raw = raw[:-1]
    owner, path = _resolve(request.mlflow_user, raw, action=Action.VIEW, allow_root=True)
    try:
        entries = artifact_list(**owner, path=path)
    except ArtifactError as error:
        raise _error(error) from None
    files = []
    for entry in entries:
        item = {"path": entry.name, "is_dir": entry.is_dir}
        if not entry.is_dir:
            item["file_size"] = entry.file_size
        files.append(item)
    return {"files": files}


@mlflow_endpoint("POST", atomic=False)
def multipart_upload(request, args: Args, artifact_path: str):
    """Multipart uploads (create, complete, abort) are not offered: the client then sends one PUT."""
    _resolve(request.mlflow_user, artifact_path, action=Action.CHANGE, allow_root=False)
    raise MlflowError(MULTIPART_UPLOAD_UNSUPPORTED, NOT_IMPLEMENTED)


@mlflow_endpoint("GET", atomic=False)
def presigned_download(request, args: Args, artifact_path: str):
    """Presigned downloads are not offered: the client then downloads through the proxy."""
    _resolve(request.mlflow_user, artifact_path, action=Action.VIEW, allow_root=False)
    raise MlflowError(MULTIPART_DOWNLOAD_UNSUPPORTED, NOT_IMPLEMENTED)


ROUTES: list[tuple] = [
    ("artifacts", artifacts_list, "artifacts-list"),
    ("artifacts/<path:artifact_path>", artifact, "artifact"),
    ("mpu/create/<path:artifact_path>", multipart_upload, "artifact-mpu-create"),
    ("mpu/complete/<path:artifact_path>", multipart_upload, "artifact-mpu-complete"),
    ("mpu/abort/<path:artifact_path>", multipart_upload, "artifact-mpu-abort"),
    ("presigned/<path:artifact_path>", presigned_download, "artifact-presigned"),
]
