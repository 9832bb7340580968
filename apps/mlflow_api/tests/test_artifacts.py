"""The mlflow-artifacts proxy over HTTP: upload, download, list, delete, limits, paths, permissions."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from apps.core.history import acting_user
from apps.experiments.models import Artifact, Experiment, LoggedModel, Run
from apps.experiments.services.artifacts import artifact_store_bytes
from apps.teams.services import token_issue

BASE = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def experiment(fraud_team, alice):
    with acting_user(alice):
        return Experiment.objects.create(team=fraud_team, name="Chargebacks", created_by=alice)


@pytest.fixture
def run(experiment, alice):
    with acting_user(alice):
        return Run.objects.create(experiment=experiment, user=alice, name="baseline")


@pytest.fixture
def logged_model(experiment, run, alice):
    with acting_user(alice):
        return LoggedModel.objects.create(experiment=experiment, name="model", source_run=run, user=alice)


def _client(user) -> Client:
    _, raw = token_issue(user=user, name=f"{user.username} artifacts")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def as_alice(alice):
    return _client(alice)


@pytest.fixture
def as_bob(bob):
    return _client(bob)


@pytest.fixture
def as_ann(ann):
    return _client(ann)


def root_of(run) -> str:
    return f"{run.experiment_id}/{run.uuid}/artifacts"


def put(client, url, content: bytes, content_type="application/octet-stream"):
    return client.generic("PUT", url, content, content_type=content_type)


def error_of(response) -> str:
    return json.loads(response.content)["error_code"]


def test_an_uploaded_file_downloads_as_an_attachment(as_alice, run):
    url = f"{BASE}/{root_of(run)}/plots/chart.png"
    response = put(as_alice, url, b"\x89PNG fake", "image/png")
    assert response.status_code == 200, response.content
    assert json.loads(response.content) == {}
    download = as_alice.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"\x89PNG fake"
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"] == 'attachment; filename="chart.png"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Length"] == str(len(b"\x89PNG fake"))


def test_uploading_again_overwrites_the_file(as_alice, run):
    url = f"{BASE}/{root_of(run)}/model.json"
    assert put(as_alice, url, b"first").status_code == 200
    assert put(as_alice, url, b"second").status_code == 200
    assert b"".join(as_alice.get(url).streaming_content) == b"second"
    assert Artifact.objects.filter(run=run).count() == 1


def test_html_is_served_as_plain_text_never_rendered(as_alice, run):
    url = f"{BASE}/{root_of(run)}/report.html"
    put(as_alice, url, b"<script>alert(1)</script>", "text/html")
    download = as_alice.get(url)
    assert download["Content-Type"] == "text/plain"
    assert download["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download["Content-Security-Policy"]


def test_a_non_ascii_file_name_gets_an_encoded_disposition(as_alice, run):
    url = f"{BASE}/{root_of(run)}/résumé.txt"
    put(as_alice, url, b"ok")
    disposition = as_alice.get(url)["Content-Disposition"]
    assert "filename*=utf-8''r%C3%A9sum%C3%A9.txt" in disposition


def test_listing_shows_direct_children_like_mlflow(as_alice, run, alice):
    for path in ["model/MLmodel", "model/data/model.skops", "summary.json"]:
        artifact_store_bytes(run=run, path=path, content=b"12345", by=alice)
    response = as_alice.get(BASE, {"path": root_of(run)})
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "files": [
            {"path": "model", "is_dir": True},
            {"path": "summary.json", "is_dir": False, "file_size": 5},
        ]
    }
    nested = json.loads(as_alice.get(BASE, {"path": f"{root_of(run)}/model/"}).content)
    assert nested == {
        "files": [{"path": "MLmodel", "is_dir": False, "file_size": 5}, {"path": "data", "is_dir": True}]
    }
    assert json.loads(as_alice.get(BASE, {"path": f"{root_of(run)}/nothing"}).content) == {"files": []}


def test_listing_needs_a_path(as_alice, run):
    response = as_alice.get(BASE)
    assert response.status_code == 400
    assert error_of(response) == "INVALID_PARAMETER_VALUE"


def test_downloading_a_folder_or_a_missing_file_is_refused(as_alice, run, alice):
    artifact_store_bytes(run=run, path="model/MLmodel", content=b"x", by=alice)
    folder = as_alice.get(f"{BASE}/{root_of(run)}/model")
    assert folder.status_code == 400
    assert "directory" in json.loads(folder.content)["message"]
    missing = as_alice.get(f"{BASE}/{root_of(run)}/absent.txt")
    assert missing.status_code == 404
    assert error_of(missing) == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.django_db(transaction=True)
def test_delete_removes_a_file_or_a_folder_and_is_idempotent(as_alice, run, alice, media):
    for path in ["plots/a.png", "plots/b.png", "keep.txt"]:
        artifact_store_bytes(run=run, path=path, content=b"x", by=alice)
    assert as_alice.delete(f"{BASE}/{root_of(run)}/plots").status_code == 200
    assert list(Artifact.objects.filter(run=run).values_list("path", flat=True)) == ["keep.txt"]
    assert not (
        media / "experiments" / str(run.experiment_id) / "runs" / run.uuid / "artifacts/plots/a.png"
    ).exists()
    again = as_alice.delete(f"{BASE}/{root_of(run)}/plots")  # a client retry
    assert again.status_code == 200
    assert as_alice.delete(f"{BASE}/{root_of(run)}").status_code == 200  # the whole root
    assert not Artifact.objects.filter(run=run).exists()


def test_a_logged_models_artifacts_have_their_own_root(as_alice, run, logged_model):
    model_root = f"{logged_model.experiment_id}/models/{logged_model.model_id}/artifacts"
    assert put(as_alice, f"{BASE}/{model_root}/MLmodel", b"flavors: {}").status_code == 200
    assert Artifact.objects.get(logged_model=logged_model).path == "MLmodel"
    listing = json.loads(as_alice.get(BASE, {"path": model_root}).content)
    assert listing == {"files": [{"path": "MLmodel", "is_dir": False, "file_size": 11}]}
    assert json.loads(as_alice.get(BASE, {"path": root_of(run)}).content) == {"files": []}


def test_a_run_of_another_experiment_is_not_found_under_this_one(as_alice, run, fraud_team, alice):
    with acting_user(alice):
        other = Experiment.objects.create(team=fraud_team, name="Other", created_by=alice)
    response = put(as_alice, f"{BASE}/{other.pk}/{run.uuid}/artifacts/x.txt", b"x")
    assert response.status_code == 404
    assert not Artifact.objects.exists()


# --- paths ---------------------------------------------------------------------------------------
HOSTILE_SUFFIXES = [
    "../../other/artifacts/x.txt",
    "%2e%2e/%2e%2e/x.txt",
    "%252e%252e/x.txt",
    "..%2f..%2fx.txt",
    "plots%5c..%5c..%5cx.txt",
    "plots/x.txt%3fdownload",
    "plots/x.txt%23frag",
    "file:/etc/passwd",
    "%2fetc%2fpasswd",
    "plots//x.txt",
    "x%00.txt",
]


@pytest.mark.parametrize("suffix", HOSTILE_SUFFIXES)
def test_a_hostile_path_is_refused_with_mlflows_error_on_every_route(as_alice, run, suffix):
    url = f"{BASE}/{root_of(run)}/{suffix}"
    for response in (put(as_alice, url, b"x"), as_alice.get(url), as_alice.delete(url)):
        assert response.status_code == 400, (suffix, response.status_code, response.content)
        assert error_of(response) == "INVALID_PARAMETER_VALUE"
    listing = as_alice.get(BASE, {"path": f"{root_of(run)}/{suffix}"})
    assert listing.status_code == 400
    assert not Artifact.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "//evil/share",
        "file:///etc/passwd",
        "../1/run/artifacts",
        "1/run",
        "1/models/m-1",
        "C:/x",
    ],
)
def test_a_path_outside_any_artifact_root_is_refused(as_alice, run, path):
    response = as_alice.get(BASE, {"path": path})
    assert response.status_code == 400
    assert error_of(response) == "INVALID_PARAMETER_VALUE"


def test_an_artifact_root_itself_is_not_a_file(as_alice, run):
    response = put(as_alice, f"{BASE}/{root_of(run)}", b"x")
    assert response.status_code == 400
    assert not Artifact.objects.exists()


# --- limits --------------------------------------------------------------------------------------
def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(as_alice, run, settings, media):
    settings.EXPERIMENTS_ARTIFACT_MAX_BYTES = 1024
    response = put(as_alice, f"{BASE}/{root_of(run)}/big.bin", b"x" * 2048)
    assert response.status_code == 413
    body = json.loads(response.content)
    assert body["error_code"] == "RESOURCE_LIMIT_EXCEEDED"
    assert "1 KiB" in body["message"]
    assert not Artifact.objects.exists()
    incoming = media / "experiments" / ".incoming"
    assert not incoming.exists() or not any(incoming.iterdir())


# --- permissions ---------------------------------------------------------------------------------
def test_an_outsider_gets_not_found_on_every_route_and_changes_nothing(as_bob, as_alice, run, alice):
    artifact_store_bytes(run=run, path="secret.txt", content=b"fraud rules", by=alice)
    url = f"{BASE}/{root_of(run)}/secret.txt"
    missing_run_url = f"{BASE}/{run.experiment_id}/{'0' * 32}/artifacts/secret.txt"
    for target in (url, missing_run_url):
        responses = [
            as_bob.get(target),
            put(as_bob, target, b"overwritten"),
            as_bob.delete(target),
            as_bob.post(
                target.replace("/artifacts/", "/mpu/create/", 1), "{}", content_type="application/json"
            ),
        ]
        for response in responses:
            assert response.status_code == 404, response.content
            assert error_of(response) == "RESOURCE_DOES_NOT_EXIST"
    listing = as_bob.get(BASE, {"path": root_of(run)})
    assert listing.status_code == 404
    assert b"".join(as_alice.get(url).streaming_content) == b"fraud rules"


def test_a_read_only_member_may_read_but_not_write(as_ann, run, alice):
    artifact_store_bytes(run=run, path="secret.txt", content=b"fraud rules", by=alice)
    url = f"{BASE}/{root_of(run)}/secret.txt"
    assert as_ann.get(url).status_code == 200
    assert as_ann.get(BASE, {"path": root_of(run)}).status_code == 200
    for response in (put(as_ann, url, b"changed"), as_ann.delete(url)):
        assert response.status_code == 403
        assert error_of(response) == "PERMISSION_DENIED"
    assert Artifact.objects.get(run=run).sha256 != ""


def test_an_anonymous_caller_is_unauthenticated(client, run):
    response = put(client, f"{BASE}/{root_of(run)}/x.txt", b"x")
    assert response.status_code == 401
    assert error_of(response) == "UNAUTHENTICATED"


def test_a_signed_in_browser_session_may_read_but_never_write(client, alice, run):
    client.force_login(alice)
    url = f"{BASE}/{root_of(run)}/x.txt"
    assert put(client, url, b"x").status_code == 401
    assert client.get(BASE, {"path": root_of(run)}).status_code == 200


# --- multipart: not offered, in the words the client recognises -----------------------------------
def test_multipart_upload_answers_not_implemented_so_the_client_falls_back(as_alice, run):
    from mlflow.exceptions import _UnsupportedMultipartUploadException

    for step in ("create", "complete", "abort"):
        response = as_alice.post(
            f"/api/2.0/mlflow-artifacts/mpu/{step}/{root_of(run)}/big.bin",
            json.dumps({"path": "big.bin", "num_parts": 3}),
            content_type="application/json",
        )
        assert response.status_code == 501
        body = json.loads(response.content)
        assert body["error_code"] == "NOT_IMPLEMENTED"
        assert body["message"].startswith(_UnsupportedMultipartUploadException.MESSAGE)


def test_presigned_download_answers_not_implemented(as_alice, run):
    response = as_alice.get(f"/api/2.0/mlflow-artifacts/presigned/{root_of(run)}/model.bin")
    assert response.status_code == 501
    assert error_of(response) == "NOT_IMPLEMENTED"


def test_an_unsupported_method_is_endpoint_not_found(as_alice, run):
    response = as_alice.post(f"{BASE}/{root_of(run)}/x.txt", "{}", content_type="application/json")
    assert response.status_code == 404
    assert error_of(response) == "ENDPOINT_NOT_FOUND"
