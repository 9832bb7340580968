"""The real MLflow client's artifact repository against a live Atrium, and raw HTTP for hostile paths."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from mlflow.exceptions import MlflowException
from mlflow.store.artifact.mlflow_artifacts_repo import MlflowArtifactsRepository
from requests import HTTPError

from apps.core.history import acting_user
from apps.experiments.models import Artifact, Experiment, Run
from apps.experiments.services.artifacts import artifact_store_bytes, run_artifact_uri
from apps.teams.services import token_issue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def run(fraud_team, alice):
    with acting_user(alice):
        experiment = Experiment.objects.create(team=fraud_team, name="Chargebacks", created_by=alice)
        return Run.objects.create(experiment=experiment, user=alice, name="baseline")


def repo_of(run) -> MlflowArtifactsRepository:
    """The client's repository for a run's artifact URI (resolved against MLFLOW_TRACKING_URI)."""
    return MlflowArtifactsRepository(run_artifact_uri(run))


def test_the_client_uploads_lists_downloads_and_deletes(mlflow_as, alice, run, tmp_path):
    mlflow_as(alice)
    repo = repo_of(run)
    single = tmp_path / "notes.txt"
    single.write_text("first notes\n")
    repo.log_artifact(str(single))
    folder = tmp_path / "report"
    (folder / "plots").mkdir(parents=True)
    (folder / "summary.json").write_text('{"auc": 0.91}')
    (folder / "plots" / "roc.png").write_bytes(b"\x89PNG" + bytes(range(256)) * 40)
    repo.log_artifacts(str(folder), "report")

    assert [(info.path, info.is_dir) for info in repo.list_artifacts()] == [
        ("notes.txt", False),
        ("report", True),
    ]
    listed = {info.path: info for info in repo.list_artifacts("report")}
    assert set(listed) == {"report/plots", "report/summary.json"}
    assert listed["report/summary.json"].file_size == len('{"auc": 0.91}')

    (tmp_path / "out").mkdir()
    downloaded = repo.download_artifacts("report", str(tmp_path / "out"))
    assert (tmp_path / "out" / "report" / "summary.json").read_text() == '{"auc": 0.91}'
    assert (tmp_path / "out" / "report" / "plots" / "roc.png").read_bytes() == (
        folder / "plots" / "roc.png"
    ).read_bytes()
    assert downloaded.endswith("report")

    repo.delete_artifacts("report/plots")
    assert [info.path for info in repo.list_artifacts("report")] == ["report/summary.json"]
    assert set(Artifact.objects.filter(run=run).values_list("path", flat=True)) == {
        "notes.txt",
        "report/summary.json",
    }


def test_uploading_the_same_file_twice_keeps_one_copy(mlflow_as, alice, run, tmp_path):
    mlflow_as(alice)
    repo = repo_of(run)
    path = tmp_path / "model.json"
    path.write_text('{"v": 1}')
    repo.log_artifact(str(path), "model")
    path.write_text('{"v": 2}')
    repo.log_artifact(str(path), "model")
    (tmp_path / "out").mkdir()
    repo.download_artifacts("model/model.json", str(tmp_path / "out"))
    assert (tmp_path / "out" / "model" / "model.json").read_text() == '{"v": 2}'
    assert Artifact.objects.filter(run=run).count() == 1


def test_the_size_limit_gives_the_client_a_clear_error_and_stores_nothing(
    mlflow_as, alice, run, settings, tmp_path
):
    settings.EXPERIMENTS_ARTIFACT_MAX_BYTES = 64 * 1024
    mlflow_as(alice)
    repo = repo_of(run)
    big = tmp_path / "weights.bin"
    big.write_bytes(b"w" * (256 * 1024))
    with pytest.raises((MlflowException, HTTPError), match="EXPERIMENTS_ARTIFACT_MAX_BYTES"):
        repo.log_artifact(str(big))
    assert not Artifact.objects.filter(run=run).exists()
    assert repo.list_artifacts() == []


def test_bobs_token_finds_nothing_of_alices_private_run(mlflow_as, alice, bob, run, tmp_path):
    artifact_store_bytes(run=run, path="secret.txt", content=b"fraud rules", by=alice)
    mlflow_as(bob)
    repo = repo_of(run)
    attempt = tmp_path / "secret.txt"
    attempt.write_text("overwritten")
    (tmp_path / "out").mkdir()
    calls = [
        lambda: repo.list_artifacts(),
        lambda: repo.download_artifacts("secret.txt", str(tmp_path / "out")),
        lambda: repo.log_artifact(str(attempt)),
        lambda: repo.delete_artifacts("secret.txt"),
    ]
    for call in calls:
        with pytest.raises((MlflowException, HTTPError)) as raised:
            call()
        assert "404" in str(raised.value), raised.value
    artifact = Artifact.objects.get(run=run)
    assert artifact.size == len(b"fraud rules")


# --- raw HTTP: paths exactly as sent, no client-side normalization ---------------------------
RAW_HOSTILE = [
    "{root}/../../../../etc/passwd",
    "{root}/%2e%2e/%2e%2e/x.txt",
    "{root}/%252e%252e/%252e%252e/x.txt",
    "{root}/..%2f..%2fx.txt",
    "{root}/plots%5c..%5c..%5cx.txt",
    "{root}/x.txt%3f.png",
    "{root}/x.txt%23.png",
    "{root}/%00x.txt",
    "file:/etc/passwd",
    "%2fetc%2fpasswd",
    "/{root}/x.txt",
]


def _raw(live_server, method: str, path: str, token: str, body: bytes = b"") -> tuple[int, dict]:
    parts = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        connection.putheader("Authorization", f"Bearer {token}")
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


@pytest.mark.parametrize("template", RAW_HOSTILE)
def test_hostile_paths_over_raw_http_are_refused(live_server, alice, run, template):
    _, token = token_issue(user=alice, name="raw")
    root = f"{run.experiment_id}/{run.uuid}/artifacts"
    path = "/api/2.0/mlflow-artifacts/artifacts/" + template.format(root=root)
    for method in ("PUT", "GET", "DELETE"):
        status, body = _raw(live_server, method, path, token, b"planted" if method == "PUT" else b"")
        assert status == 400, (method, path, status, body)
        assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    status, body = _raw(
        live_server, "GET", f"/api/2.0/mlflow-artifacts/artifacts?path={template.format(root=root)}", token
    )
    assert status in {400, 404}
    assert body["error_code"] in {"INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST"}
    assert not Artifact.objects.exists()


# --- the fluent API in a run (MLflow 3) -----------------------------------------------------------
def test_a_run_logs_files_folders_text_and_dicts_and_reads_them_back(mlflow_as, alice, tmp_path):
    mlflow = mlflow_as(alice)
    mlflow.set_experiment("Artifacts end to end")
    notes = tmp_path / "notes.md"
    notes.write_text("# Findings\n")
    folder = tmp_path / "plots"
    folder.mkdir()
    (folder / "roc.plotly.json").write_text('{"data": [], "layout": {}}')
    (folder / "pr.plotly.json").write_text('{"data": [], "layout": {}}')
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(notes))
        mlflow.log_artifacts(str(folder), "plots")
        mlflow.log_text("threshold=0.42\n", "config/threshold.txt")
        mlflow.log_dict({"features": ["amount", "country"]}, "config/features.json")
    client = mlflow.MlflowClient()
    assert [item.path for item in client.list_artifacts(run.info.run_id)] == ["config", "notes.md", "plots"]
    assert [item.path for item in client.list_artifacts(run.info.run_id, "plots")] == [
        "plots/pr.plotly.json",
        "plots/roc.plotly.json",
    ]
    assert mlflow.artifacts.load_text(f"{run.info.artifact_uri}/config/threshold.txt") == "threshold=0.42\n"
    assert mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/config/features.json") == {
        "features": ["amount", "country"]
    }
    target = tmp_path / "back"
    target.mkdir()
    local = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(target))
    assert (target / "notes.md").read_text() == "# Findings\n"
    assert sorted(path.name for path in (target / "plots").iterdir()) == ["pr.plotly.json", "roc.plotly.json"]
    assert local.rstrip("/") == str(target)


def test_a_files_rest_delete_removes_it(mlflow_as, mlflow_http, alice, tmp_path):
    mlflow = mlflow_as(alice)
    mlflow.set_experiment("Artifacts end to end")
    with mlflow.start_run() as run:
        mlflow.log_text("draft", "drafts/note.txt")
        mlflow.log_text("keep", "keep.txt")
    stored = Run.objects.get(uuid=run.info.run_id)
    root = f"{stored.experiment_id}/{stored.uuid}/artifacts"
    response = mlflow_http(
        mlflow_as.token, "DELETE", f"artifacts/{root}/drafts", prefix="/api/2.0/mlflow-artifacts/"
    )
    assert response.status_code == 200, response.text
    assert [item.path for item in mlflow.MlflowClient().list_artifacts(run.info.run_id)] == ["keep.txt"]


def test_sklearn_log_model_in_a_run_is_a_ready_logged_model_linked_to_the_run(mlflow_as, alice):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from apps.experiments.models import LoggedModel, LoggedModelStatus, RunOutput

    mlflow = mlflow_as(alice)
    mlflow.set_experiment("Models end to end")
    features = np.array([[0.0, 1.0], [1.0, 0.0], [0.9, 0.1], [0.1, 0.8], [0.5, 0.5], [0.2, 0.9]])
    labels = np.array([0, 1, 1, 0, 1, 0])
    model = LogisticRegression(C=5.0).fit(features, labels)
    with mlflow.start_run() as run:
        mlflow.log_param("C", 5.0)
        mlflow.log_metric("accuracy", 1.0)
        info = mlflow.sklearn.log_model(
            model, name="forest", serialization_format="skops", input_example=features[:2]
        )

    stored = LoggedModel.objects.get(model_id=info.model_id)
    assert stored.status == LoggedModelStatus.READY
    assert stored.source_run.uuid == run.info.run_id
    assert stored.params["C"] == "5.0"
    assert RunOutput.objects.filter(run__uuid=run.info.run_id, logged_model=stored).exists()
    assert not stored.source_run.tags.filter(key="mlflow.log-model.history").exists()  # MLflow 2's record
    assert "model.skops" in set(Artifact.objects.filter(logged_model=stored).values_list("path", flat=True))
    # The model's requirements.txt and python_env.yaml tell the run's environment.
    import platform

    import sklearn

    environment = stored.source_run.environment
    assert environment["python"] == platform.python_version()
    assert environment["packages"]["scikit-learn"] == sklearn.__version__
    assert sorted(environment["recorded_from"]) == ["python_env.yaml", "requirements.txt"]

    logged = mlflow.get_logged_model(info.model_id)
    assert {metric.key: metric.value for metric in logged.metrics} == {"accuracy": 1.0}
    by_id = mlflow.sklearn.load_model(f"models:/{info.model_id}")
    by_run = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/forest")  # found by search_logged_models
    assert (
        by_id.predict(features).tolist()
        == by_run.predict(features).tolist()
        == model.predict(features).tolist()
    )
    found = mlflow.search_logged_models(filter_string="metrics.accuracy >= 0.9", output_format="list")
    assert [item.model_id for item in found] == [info.model_id]
