"""The API's shared behaviour: method→action mapping, JSON errors for everything, the catch-all 404."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.test import APIClient

from apps.core.api.exceptions import json_exception_handler
from apps.core.api.viewsets import METHOD_ACTIONS, RestrictedViewSetMixin

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_http_methods_map_to_the_permission_actions():
    assert METHOD_ACTIONS == {
        "GET": "view",
        "HEAD": "view",
        "OPTIONS": "view",
        "POST": "add",
        "PUT": "change",
        "PATCH": "change",
        "DELETE": "delete",
    }


def test_an_unmapped_method_is_refused(alice):
    response = client_for(alice).generic("TRACE", "/api/v1/datasets/")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_an_unmapped_method_is_refused_even_when_the_view_would_handle_it():
    class View(RestrictedViewSetMixin):
        action_permissions = {}
        action = "list"

    view = View()
    view.request = type("Request", (), {"method": "PROPFIND"})()
    with pytest.raises(exceptions.MethodNotAllowed):
        view.get_restrict_action()


def test_a_custom_viewset_action_may_map_to_its_own_permission():
    class View(RestrictedViewSetMixin):
        action_permissions = {"revoke": "change"}
        action = "revoke"

    view = View()
    view.request = type("Request", (), {"method": "POST"})()
    assert view.get_restrict_action() == "change"


def test_head_and_options_are_reads(alice, private_dataset):
    client = client_for(alice)
    assert client.head("/api/v1/datasets/").status_code == 200
    assert client.options(f"/api/v1/datasets/{private_dataset.pk}/").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v1/datasets/1/nope/", "/api/v1/x/y/z"])
def test_an_unknown_api_route_is_a_json_404(alice, path):
    for client in (APIClient(), client_for(alice)):
        for method in ("get", "post", "delete"):
            response = getattr(client, method)(path)
            assert response.status_code == 404
            assert response["Content-Type"] == "application/json"
            assert response.json()["error"] == "not_found"


def test_a_route_without_its_trailing_slash_gets_a_json_404_with_a_hint(alice):
    response = client_for(alice).post("/api/v1/datasets", {"name": "x"}, format="json")
    assert response.status_code == 404
    assert "slash" in response.json()["hint"]


def test_a_non_numeric_id_is_a_404_not_a_500(alice):
    response = client_for(alice).get("/api/v1/datasets/abc/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (exceptions.ValidationError({"name": ["Required."]}), 400, "invalid"),
        (ValidationError({"name": "Taken."}), 400, "invalid"),
        (ValidationError("Whole object is wrong."), 400, "invalid"),
        (exceptions.ParseError(), 400, "malformed"),
        (exceptions.NotAuthenticated(), 401, "unauthenticated"),
        (exceptions.AuthenticationFailed(), 401, "unauthenticated"),
        (exceptions.PermissionDenied(), 403, "forbidden"),
        (PermissionDenied(), 403, "forbidden"),
        (exceptions.NotFound(), 404, "not_found"),
        (Http404(), 404, "not_found"),
        (exceptions.MethodNotAllowed("TRACE"), 405, "method_not_allowed"),
        (exceptions.NotAcceptable(), 406, "not_acceptable"),
        (exceptions.UnsupportedMediaType("text/xml"), 415, "unsupported_media_type"),
        (exceptions.Throttled(wait=7), 429, "throttled"),
    ],
)
def test_every_error_has_the_same_json_shape(exc, status, code):
    response = json_exception_handler(exc, {"request": None, "view": None})
    assert response.status_code == status
    assert response.data["error"] == code
    assert isinstance(response.data["detail"], str)
    if status == 400 and code == "invalid":
        assert isinstance(response.data["fields"], dict)
        assert all(isinstance(messages, list) for messages in response.data["fields"].values())
    if status == 429:
        assert response.data["wait"] == 7


def test_a_django_validation_error_keeps_its_field(alice):
    response = json_exception_handler(ValidationError({"name": "Taken."}), {})
    assert response.data["fields"] == {"name": ["Taken."]}


def test_a_whole_object_error_goes_under_non_field_errors():
    response = json_exception_handler(ValidationError("Wrong."), {})
    assert response.data["fields"] == {"non_field_errors": ["Wrong."]}


# --- OpenAPI --------------------------------------------------------------------


def test_the_schema_describes_the_bearer_scheme_and_the_endpoints(alice):
    response = client_for(alice).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "atr_…",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    for path in (
        "/api/v1/teams/",
        "/api/v1/memberships/",
        "/api/v1/me/",
        "/api/v1/tokens/",
        "/api/v1/datasets/",
    ):
        assert path in schema["paths"]
    token_create = schema["paths"]["/api/v1/tokens/"]["post"]["responses"]["201"]
    assert token_create["content"]["application/json"]["schema"]["$ref"].endswith(
        "PersonalAccessTokenCreated"
    )


def test_the_schema_validates_without_warnings():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_swagger_ui_loads_only_local_assets(alice):
    client = APIClient()
    client.force_login(alice)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert urls, "Swagger UI should reference its scripts and styles"
    assert all(url.startswith("/") for url in urls), urls
    assert not re.search(r"https?://(?!testserver)", html.replace("http://testserver", ""))


def test_a_browser_gets_json_errors_never_html(alice):
    client = client_for(alice)
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for path in ("/api/v1/datasets/999999/", "/api/v1/datasets/", "/api/v1/nothing/"):
        response = client.get(path, HTTP_ACCEPT=accept)
        assert response["Content-Type"].startswith("application/json"), path
    only_html = client.get("/api/v1/datasets/", HTTP_ACCEPT="text/html")
    assert only_html.status_code == 406
    assert only_html["Content-Type"].startswith("application/json")


def test_an_unexpected_error_is_logged_and_answered_in_json(caplog):
    response = json_exception_handler(ZeroDivisionError("boom"), {"view": None})
    assert response.status_code == 500
    assert response.data["error"] == "server_error"
    assert "boom" not in str(response.data)
    assert "Unhandled error" in caplog.text


def test_a_body_over_the_upload_limit_is_a_json_413(alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"team": "fraud-analytics", "name": "' + "x" * 2000 + '"}'
    response = client_for(alice).post("/api/v1/datasets/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
