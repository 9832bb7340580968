"""An unmodified MLflow 2 script (mlflow-skinny 2.22) against a live Atrium, in its own virtualenv.

MLflow 2 logs a model as files under the run's artifact root plus `runs/log-model` (no logged
models), and loads it back through `runs:/<run_id>/model`. Its scikit-learn flavor has no skops
format, so the model file is a cloudpickle: the client pickles it and the client unpickles it in
the subprocess; Atrium only stores and serves the bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest
from django.conf import settings

from apps.experiments.models import Artifact, Run
from apps.experiments.services.logged_models import LOGGED_MODELS_TAG
from apps.mlflow_api.tests.mlflow2 import ensure_venv
from apps.teams.services import token_issue

pytestmark = [pytest.mark.network, pytest.mark.django_db(transaction=True)]

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, tempfile

    import mlflow
    import mlflow.sklearn
    import numpy as np
    from mlflow import MlflowClient
    from sklearn.linear_model import LogisticRegression

    assert mlflow.__version__.startswith("2."), mlflow.__version__
    features = np.array([[0.0, 1.0], [1.0, 0.0], [0.9, 0.1], [0.1, 0.8]])
    labels = np.array([0, 1, 1, 0])
    mlflow.set_experiment("MLflow 2 compatibility")
    with mlflow.start_run(run_name="mlflow2") as run:
        mlflow.log_param("C", 1.0)
        mlflow.log_metric("accuracy", 1.0)
        folder = tempfile.mkdtemp()
        notes = os.path.join(folder, "notes.txt")
        with open(notes, "w") as handle:
            handle.write("logged by MLflow 2")
        mlflow.log_artifact(notes)
        mlflow.log_dict({"rows": 4}, "summary/data.json")
        model = LogisticRegression().fit(features, labels)
        info = mlflow.sklearn.log_model(model, "model")
    loaded = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    client = MlflowClient()
    listed = sorted(item.path for item in client.list_artifacts(run.info.run_id))
    downloaded = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="notes.txt")
    with open(downloaded) as handle:
        notes_back = handle.read()
    print(json.dumps({
        "version": mlflow.__version__,
        "run_id": run.info.run_id,
        "artifact_uri": run.info.artifact_uri,
        "model_uri": info.model_uri,
        "predictions": loaded.predict(features).tolist(),
        "expected": model.predict(features).tolist(),
        "listed": listed,
        "notes": notes_back,
    }))
    """
)


@pytest.fixture(scope="session")
def mlflow2_python():
    """var/mlflow2-venv's python (built on first use, from PyPI); under xdist in the var dir all
    test processes share, so `make mlflow2-venv`'s build is the one used."""
    return ensure_venv(os.environ.get("ATRIUM_SHARED_VAR_DIR") or settings.VAR_DIR)


def run_mlflow2(python, live_server, token: str, script: str = SCRIPT) -> dict:
    env = {
        "MLFLOW_TRACKING_URI": live_server.url,
        "MLFLOW_TRACKING_TOKEN": token,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
        "PATH": "/usr/bin:/bin",
        "HOME": str(settings.VAR_DIR),
    }
    result = subprocess.run(  # noqa: S603 - the MLflow 2 venv's python running our script
        [str(python), "-c", script], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_an_mlflow2_script_logs_params_artifacts_and_a_model_and_loads_it_back(
    mlflow2_python, live_server, alice, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    _, token = token_issue(user=alice, name="mlflow 2 client")
    outcome = run_mlflow2(mlflow2_python, live_server, token)

    assert outcome["version"].startswith("2.22")
    assert outcome["predictions"] == outcome["expected"]
    assert outcome["notes"] == "logged by MLflow 2"
    assert outcome["listed"] == ["model", "notes.txt", "summary"]
    run = Run.objects.get(uuid=outcome["run_id"])
    assert outcome["artifact_uri"] == f"mlflow-artifacts:/{run.experiment_id}/{run.uuid}/artifacts"
    paths = set(Artifact.objects.filter(run=run).values_list("path", flat=True))
    assert {"notes.txt", "summary/data.json", "model/MLmodel"} <= paths
    history = json.loads(run.tags.get(key=LOGGED_MODELS_TAG).value)
    assert [entry["artifact_path"] for entry in history] == ["model"]
    assert "sklearn" in history[0]["flavors"]
    assert run.params.get(key="C").value == "1.0"


def test_an_mlflow2_script_of_another_team_cannot_touch_the_run(
    mlflow2_python, live_server, alice, bob, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    _, alice_token = token_issue(user=alice, name="mlflow 2 client")
    run_id = run_mlflow2(mlflow2_python, live_server, alice_token)["run_id"]
    _, bob_token = token_issue(user=bob, name="mlflow 2 client")
    probe = textwrap.dedent(
        f"""
        import json, tempfile, os
        import mlflow
        from mlflow import MlflowClient
        outcomes = {{}}
        client = MlflowClient()
        path = os.path.join(tempfile.mkdtemp(), "planted.txt")
        open(path, "w").write("x")
        attempts = {{
            "get_run": lambda: client.get_run("{run_id}"),
            "list_artifacts": lambda: client.list_artifacts("{run_id}"),
            "log_artifact": lambda: client.log_artifact("{run_id}", path),
            "download": lambda: mlflow.artifacts.download_artifacts(
                run_id="{run_id}", artifact_path="notes.txt"
            ),
        }}
        for name, attempt in attempts.items():
            try:
                attempt()
                outcomes[name] = "allowed"
            except Exception as error:
                outcomes[name] = getattr(error, "error_code", "") or type(error).__name__
        print(json.dumps(outcomes))
        """
    )
    outcomes = run_mlflow2(mlflow2_python, live_server, bob_token, probe)
    assert set(outcomes) == {"get_run", "list_artifacts", "log_artifact", "download"}
    assert set(outcomes.values()) == {"RESOURCE_DOES_NOT_EXIST"}, outcomes
    assert not Artifact.objects.filter(path="planted.txt").exists()
