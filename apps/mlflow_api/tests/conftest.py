"""The real `mlflow` client against a live Atrium (pytest-django's live_server), for every MLflow test.

    def test_something(mlflow_as, alice):
        mlflow = mlflow_as(alice)               # token issued, env set, client state reset
        mlflow.set_experiment("Churn")
        with mlflow.start_run():
            mlflow.log_metric("rmse", 0.8)

`mlflow_as(user)` issues a personal access token for `user` (apps/teams services), points
MLFLOW_TRACKING_URI at the live server and MLFLOW_TRACKING_TOKEN at the token (monkeypatch, so
nothing leaks into the next test), turns the client's retries off (a server error fails at once
instead of after minutes of backoff) and resets the client's cached state: active runs, the
active experiment and the tracking URI. Calling it again switches user within a test.
`mlflow_client_for(user)` returns an `MlflowClient` the same way; `mlflow_http` makes raw requests
(for bad input the client would refuse to send).
"""

from __future__ import annotations

import os

import pytest

CLIENT_STATE_VARIABLES = ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID")


def _reset_client_state() -> None:
    import mlflow
    from mlflow.tracking import _tracking_service, fluent

    while True:
        try:
            active = mlflow.active_run()
        except Exception:  # noqa: BLE001 - a broken previous test must not break the next one
            active = None
        if active is None:
            break
        try:
            mlflow.end_run()
        except Exception:  # noqa: BLE001 - the run may be gone (deleted by the test) or the server down
            fluent._active_run_stack.get().pop()
    fluent._active_experiment_id = None
    _tracking_service.utils._tracking_uri = None
    # set_experiment and start_run export these for child processes; they must not outlive a test.
    for name in CLIENT_STATE_VARIABLES:
        os.environ.pop(name, None)


@pytest.fixture
def mlflow_as(live_server, monkeypatch):
    """Switch the real client to `user` (a new token, or `password=` for Basic auth); returns `mlflow`."""
    import mlflow

    from apps.teams.services import token_issue

    def use(user, *, password: str | None = None, token: str | None = None):
        _reset_client_state()
        for name in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
            monkeypatch.delenv(name, raising=False)
        for name in CLIENT_STATE_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("MLFLOW_TRACKING_URI", live_server.url)
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
        if password is not None:
            monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", user.get_username())
            monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", password)
        else:
            if token is None:
                _, token = token_issue(user=user, name="mlflow tests")
            monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
        mlflow.set_tracking_uri(live_server.url)
        use.token = token
        return mlflow

    yield use
    _reset_client_state()


@pytest.fixture
def mlflow_client_for(mlflow_as):
    """An MlflowClient acting as `user` (same switching as `mlflow_as`)."""

    def client(user, **credentials):
        from mlflow import MlflowClient

        mlflow_as(user, **credentials)
        return MlflowClient()

    return client


@pytest.fixture
def mlflow_http(live_server):
    """Raw HTTP to the live server's MLflow API: `mlflow_http(token, "POST", "runs/create", json={...})`."""
    import requests

    def call(token: str | None, method: str, route: str, *, prefix: str = "/api/2.0/mlflow/", **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(
            method, f"{live_server.url}{prefix}{route}", headers=headers, timeout=60, **kwargs
        )

    return call
