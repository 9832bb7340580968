"""MLflow client calls (an Authorization header on an MLflow route) skip the browser's middleware
and answer exactly as the whole stack would; every other request takes the whole stack."""

import json

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.test import Client, override_settings
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import REGISTRY

from apps.core.permissions import Action
from apps.experiments.models import Metric
from apps.experiments.services.tracking import experiment_create, run_create
from apps.mlflow_api.endpoint import mlflow_endpoint
from apps.mlflow_api.errors import UNAUTHENTICATED
from apps.teams.services import token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_middleware_calls(monkeypatch):
    """How often the session and CSRF middleware ran (they do for every request of the whole stack)."""
    calls = []
    for cls, name in ((SessionMiddleware, "process_request"), (CsrfViewMiddleware, "process_view")):
        original = getattr(cls, name)

        def spy(self, *args, _original=original, _name=f"{cls.__name__}.{name}", **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, spy)
    return calls


@pytest.fixture
def run(alice):
    return run_create(experiment=experiment_create(by=alice, name="Churn"), by=alice)


def _log_metric(client, run, step=0, **headers):
    body = {"run_id": run.uuid, "key": "rmse", "value": 0.5, "timestamp": 1_700_000_000_000, "step": step}
    return client.post(
        "/api/2.0/mlflow/runs/log-metric", json.dumps(body), content_type="application/json", **headers
    )


def test_a_client_call_skips_sessions_and_csrf_and_keeps_every_header(alice, run, browser_middleware_calls):
    _, token = token_issue(user=alice, name="laptop")
    client = Client()
    client.force_login(alice)  # a browser's cookie beside the token changes nothing
    counted = {"method": "POST", "view": "mlflow_api:runs-log-metric", "status": "200"}
    before = REGISTRY.get_sample_value("atrium_http_requests_total", counted)

    response = _log_metric(client, run, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200, response.content
    assert response.json() == {}
    assert browser_middleware_calls == []
    assert Metric.objects.filter(run=run, key="rmse").count() == 1
    assert response["Content-Length"] == str(len(response.content))
    assert response["Content-Type"] == "application/json"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert not response.cookies
    after = REGISTRY.get_sample_value("atrium_http_requests_total", counted)
    assert after == (before or 0) + 1  # counted under its view, as the whole stack counts it


def test_a_browser_read_without_credentials_takes_the_whole_stack(alice, run, browser_middleware_calls):
    client = Client()
    client.force_login(alice)

    response = client.get("/api/2.0/mlflow/runs/get", {"run_id": run.uuid})

    assert response.status_code == 200, response.content
    assert response.json()["run"]["info"]["run_id"] == run.uuid
    assert "SessionMiddleware.process_request" in browser_middleware_calls
    assert response["Content-Length"] == str(len(response.content))


def test_an_unknown_route_and_bad_credentials_answer_as_mlflow_does(alice, run, browser_middleware_calls):
    client = Client()
    client.force_login(alice)

    unknown = client.post("/api/2.0/mlflow/runs/no-such-route", HTTP_AUTHORIZATION="Bearer x")
    # With any Authorization header the session is never consulted, on either path.
    foreign = client.get("/api/2.0/mlflow/runs/get", {"run_id": run.uuid}, HTTP_AUTHORIZATION="Digest abc")
    blank = client.get("/api/2.0/mlflow/runs/get", {"run_id": run.uuid}, HTTP_AUTHORIZATION="   ")

    assert unknown.status_code == 404
    assert unknown.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    for response in (foreign, blank):
        assert response.status_code == 401, response.content
        assert response.json()["error_code"] == UNAUTHENTICATED
    assert browser_middleware_calls == []


def test_a_client_call_writes_history_as_its_token_user(alice, run):
    _, token = token_issue(user=alice, name="laptop")
    body = {"run_id": run.uuid, "key": "team", "value": "fraud"}

    response = Client().post(
        "/api/2.0/mlflow/runs/set-tag",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 200, response.content
    assert run.tags.get(key="team").history.get().history_user == alice


@csrf_exempt
def _exempt(request):
    return HttpResponse("exempt")


def _protected(request):
    return HttpResponse("protected")


urlpatterns = [
    path("api/2.0/mlflow/", include([path("exempt", _exempt), path("protected", _protected)])),
]


@override_settings(ROOT_URLCONF=__name__)
def test_a_view_that_is_not_csrf_exempt_keeps_the_whole_stack_and_its_csrf_check(browser_middleware_calls):
    client = Client(enforce_csrf_checks=True)

    exempt = client.post("/api/2.0/mlflow/exempt", HTTP_AUTHORIZATION="Bearer x")
    protected = client.post("/api/2.0/mlflow/protected", HTTP_AUTHORIZATION="Bearer x")

    assert exempt.status_code == 200
    assert protected.status_code == 403  # CSRF: the middleware did not skip its check
    assert browser_middleware_calls == [
        "SessionMiddleware.process_request",
        "CsrfViewMiddleware.process_view",
    ]


def test_a_route_cannot_both_stream_its_body_and_read_the_run_from_it():
    with pytest.raises(ImproperlyConfigured):
        mlflow_endpoint("POST", stream_body=True, run_action=Action.CHANGE)
