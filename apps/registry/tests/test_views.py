"""Registry pages and API: list, model page, history, version page, aliases, registering from a run."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template import Context, Template
from django.test import RequestFactory
from rest_framework.test import APIClient

from apps.registry import services
from apps.registry.models import ModelVersion, RegisteredModel
from apps.registry.tests.factories import make_logged_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- list -------------------------------------------------------------------------------------------
def test_the_empty_list_tells_how_to_register_a_model(signed_in, alice):
    body = signed_in(alice).get("/models/").content.decode()
    assert "No registered models yet" in body
    assert "Register this model" in body
    assert "registered_model_name=" in body


def test_the_list_shows_visible_models_with_versions_and_aliases(
    signed_in, alice, bob, fraud_model, fraud_versions
):
    services.model_alias_set(registered_model=fraud_model, by=alice, alias="champion", version=2)
    response = signed_in(alice).get("/models/")
    body = response.content.decode()
    assert list(response.context["object_list"]) == [fraud_model]
    assert "@champion → v2" in body
    assert f"/models/{fraud_model.pk}/versions/2/" in body
    bob_body = signed_in(bob).get("/models/").content.decode()
    assert "No registered models yet" in bob_body
    assert f"/models/{fraud_model.pk}/" not in bob_body


def test_the_list_and_its_csv_run_a_fixed_number_of_queries(
    signed_in, alice, fraud_team, fraud_run, django_assert_num_queries
):
    client = signed_in(alice)

    def add(count):
        for index in range(count):
            model = services.registered_model_create(
                team=fraud_team, by=alice, name=f"model-{RegisteredModel.objects.count()}-{index}"
            )
            services.model_version_create(
                registered_model=model, by=alice, source=f"runs:/{fraud_run.uuid}/m"
            )
            services.model_alias_set(registered_model=model, by=alice, alias="champion", version=1)

    add(2)
    client.get("/models/")  # warm the session and the content types
    with django_assert_num_queries(6) as few:
        client.get("/models/")
    add(10)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get("/models/").context["page_obj"].paginator.count == 12
    with django_assert_num_queries(4):
        rows = client.get("/models/export.csv").content.decode().splitlines()
    assert len(rows) == 13
    assert "champion=v1" in rows[1]


# --- the model page ----------------------------------------------------------------------------------
def test_the_model_page_shows_versions_stage_aliases_and_source_run(
    signed_in, alice, fraud_model, fraud_versions, fraud_run
):
    services.model_alias_set(registered_model=fraud_model, by=alice, alias="champion", version=1)
    services.model_version_transition_stage(model_version=fraud_versions[1], by=alice, stage="Staging")
    services.registered_model_tag_set(registered_model=fraud_model, by=alice, key="domain", value="payments")
    response = signed_in(alice).get(f"/models/{fraud_model.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Scores card payments for fraud." in body
    assert body.count(f'href="/models/{fraud_model.pk}/versions/') >= 2
    assert "Staging" in body
    assert "@champion" in body
    assert str(fraud_run) in body
    assert "domain: payments" in body
    assert 'id="model-edit"' in body
    assert 'id="alias-form"' in body


def test_an_analyst_sees_the_model_without_edit_controls(signed_in, ann, fraud_model, fraud_versions):
    body = signed_in(ann).get(f"/models/{fraud_model.pk}/").content.decode()
    assert 'id="model-edit"' not in body
    assert 'id="alias-form"' not in body
    assert signed_in(ann).get(f"/models/{fraud_model.pk}/edit/").status_code == 403
    response = signed_in(ann).post(f"/models/{fraud_model.pk}/aliases/", {"alias": "champion", "version": 1})
    assert response.status_code == 403


def test_an_outsider_gets_404_on_every_model_page(signed_in, bob, fraud_model, fraud_versions, fraud_run):
    client = signed_in(bob)
    for url in [
        f"/models/{fraud_model.pk}/",
        f"/models/{fraud_model.pk}/history/",
        f"/models/{fraud_model.pk}/edit/",
        f"/models/{fraud_model.pk}/versions/1/",
        f"/models/register/{fraud_run.uuid}/",
    ]:
        assert client.get(url).status_code == 404, url


def test_the_history_tab_shows_alias_moves(signed_in, alice, olivia, fraud_model, fraud_versions):
    services.model_alias_set(registered_model=fraud_model, by=alice, alias="champion", version=1)
    services.model_alias_set(registered_model=fraud_model, by=olivia, alias="champion", version=2)
    body = signed_in(alice).get(f"/models/{fraud_model.pk}/history/").content.decode()
    assert "Moved from version 1 to version 2." in body
    assert "Registered as “fraud”." in body


def test_editing_renames_and_refuses_a_taken_name(signed_in, alice, fraud_team, fraud_model):
    services.registered_model_create(team=fraud_team, by=alice, name="churn")
    client = signed_in(alice)
    url = f"/models/{fraud_model.pk}/edit/"
    response = client.post(url, {"name": "churn", "visibility": "private", "description": "x"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    response = client.post(url, {"name": "fraud-eu", "visibility": "internal", "description": "EU only"})
    assert response.status_code == 302
    fraud_model.refresh_from_db()
    assert (fraud_model.name, fraud_model.visibility, fraud_model.description) == (
        "fraud-eu",
        "internal",
        "EU only",
    )


def test_aliases_are_set_and_removed_from_the_page(signed_in, alice, fraud_model, fraud_versions):
    client = signed_in(alice)
    response = client.post(f"/models/{fraud_model.pk}/aliases/", {"alias": "champion", "version": 2})
    assert response.status_code == 302
    assert fraud_model.aliases.get().model_version.version == 2
    response = client.post(
        f"/models/{fraud_model.pk}/aliases/", {"alias": "latest", "version": 2}, follow=True
    )
    assert "reserved" in response.content.decode()
    client.post(f"/models/{fraud_model.pk}/aliases/champion/delete/")
    assert not fraud_model.aliases.exists()


# --- the version page ---------------------------------------------------------------------------------
MLMODEL = (
    "flavors:\n  sklearn: {sklearn_version: 1.9.1}\nsignature:\n"
    """  inputs: '[{"type": "double", "name": "amount", "required": true}, """
    """{"type": "string", "name": "country", "required": false}]'\n"""
    """  outputs: '[{"type": "long", "required": true}]'\n"""
)


def test_the_version_page_shows_run_logged_model_signature_and_aliases(
    signed_in, alice, fraud_model, fraud_run, fraud_experiment
):
    from apps.experiments.models import Artifact

    logged = make_logged_model(fraud_run, alice)
    storage_name = default_storage.save(f"tests/{logged.model_id}/MLmodel", ContentFile(MLMODEL.encode()))
    Artifact.objects.create(
        experiment=fraud_experiment,
        logged_model=logged,
        path="MLmodel",
        storage_name=storage_name,
        size=len(MLMODEL),
    )
    version = services.model_version_create(
        registered_model=fraud_model,
        by=alice,
        source=f"models:/{logged.model_id}",
        description="**Fast** one",
    )
    services.model_alias_set(
        registered_model=fraud_model, by=alice, alias="champion", version=version.version
    )
    services.model_version_tag_set(model_version=version, by=alice, key="validated", value="yes")
    body = signed_in(alice).get(version.get_absolute_url()).content.decode()
    assert str(fraud_run) in body
    assert f"models:/{logged.model_id}" in body
    assert "amount" in body and "double" in body and "optional" in body
    assert "@champion" in body
    assert "validated: yes" in body
    assert "<strong>Fast</strong>" in body


def test_a_version_without_an_mlmodel_says_there_is_no_signature(
    signed_in, alice, fraud_model, fraud_versions
):
    body = signed_in(alice).get(fraud_versions[0].get_absolute_url()).content.decode()
    assert "No signature recorded" in body
    assert signed_in(alice).get(f"/models/{fraud_model.pk}/versions/99/").status_code == 404


# --- registering from a run ------------------------------------------------------------------------------
def test_a_run_with_a_logged_model_is_registered_as_a_new_model_then_a_new_version(
    signed_in, alice, fraud_team, fraud_run
):
    logged = make_logged_model(fraud_run, alice)
    client = signed_in(alice)
    url = f"/models/register/{fraud_run.uuid}/"
    page = client.get(url).content.decode()
    assert f"models:/{logged.model_id}" in page
    response = client.post(
        url, {"source": f"models:/{logged.model_id}", "new_name": "fraud", "team": fraud_team.pk}
    )
    version = ModelVersion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == version.get_absolute_url()
    assert (version.registered_model.name, version.version, version.logged_model) == ("fraud", 1, logged)
    response = client.post(
        url, {"source": f"models:/{logged.model_id}", "existing": version.registered_model.pk}
    )
    assert ModelVersion.objects.order_by("-version").first().version == 2
    response = client.post(
        url, {"source": f"models:/{logged.model_id}", "new_name": "fraud", "team": fraud_team.pk}
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_registering_needs_a_model_name_or_an_existing_model(signed_in, alice, fraud_team, fraud_run):
    logged = make_logged_model(fraud_run, alice)
    response = signed_in(alice).post(
        f"/models/register/{fraud_run.uuid}/", {"source": f"models:/{logged.model_id}", "team": fraud_team.pk}
    )
    assert response.status_code == 200
    assert "Name the new model" in response.content.decode()


def test_a_run_without_a_model_says_so(signed_in, alice, fraud_run):
    body = signed_in(alice).get(f"/models/register/{fraud_run.uuid}/").content.decode()
    assert "This run logged no model" in body


def test_the_run_page_card_links_to_the_registration(alice, fraud_run, fraud_model):
    make_logged_model(fraud_run, alice)
    services.model_version_create(
        registered_model=fraud_model, by=alice, source=f"runs:/{fraud_run.uuid}/model"
    )
    request = RequestFactory().get("/")
    request.user = alice
    html = Template("{% load registry %}{% register_from_run run %}").render(
        Context({"run": fraud_run, "request": request})
    )
    assert f"/models/register/{fraud_run.uuid}/" in html
    assert "Registered as" in html and "fraud v1" in html


# --- API -------------------------------------------------------------------------------------------------
def test_the_api_lists_models_with_a_fixed_number_of_queries(
    alice, fraud_team, fraud_run, django_assert_num_queries
):
    client = api_for(alice)

    def add(count):
        for index in range(count):
            model = services.registered_model_create(
                team=fraud_team,
                by=alice,
                name=f"m-{RegisteredModel.objects.count()}-{index}",
                tags={"k": "v"},
            )
            services.model_version_create(
                registered_model=model, by=alice, source=f"runs:/{fraud_run.uuid}/m"
            )
            services.model_alias_set(registered_model=model, by=alice, alias="champion", version=1)

    add(2)
    # count, page of models (team, version count, latest version), their tags, their aliases with versions
    with django_assert_num_queries(4):
        body = client.get("/api/v1/registered-models/").json()
    assert body["count"] == 2
    assert body["results"][0]["aliases"] == [{"alias": "champion", "version": 1}]
    assert body["results"][0]["tags"] == {"k": "v"}
    add(10)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/registered-models/").json()["count"] == 12


def test_the_api_lists_versions_and_sets_aliases(
    alice, ann, bob, fraud_model, fraud_versions, django_assert_num_queries
):
    client = api_for(alice)
    # visibility check, count, page of versions (model, logged model, author), tags, aliases
    with django_assert_num_queries(5):
        versions = client.get(f"/api/v1/registered-models/{fraud_model.pk}/versions/").json()
    assert [row["version"] for row in versions["results"]] == [2, 1]
    detail = client.get(f"/api/v1/registered-models/{fraud_model.pk}/versions/1/").json()
    assert detail["run_id"] == fraud_versions[0].run_uuid
    response = client.post(
        f"/api/v1/registered-models/{fraud_model.pk}/aliases/",
        {"alias": "champion", "version": 2},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["aliases"] == [{"alias": "champion", "version": 2}]
    bad = client.post(f"/api/v1/registered-models/{fraud_model.pk}/aliases/", {"alias": "v1", "version": 2})
    assert bad.status_code == 400
    assert "alias" in bad.json()["fields"]
    refused = api_for(ann).post(
        f"/api/v1/registered-models/{fraud_model.pk}/aliases/", {"alias": "x", "version": 1}
    )
    assert refused.status_code == 403
    hidden = api_for(bob)
    assert hidden.get(f"/api/v1/registered-models/{fraud_model.pk}/").status_code == 404
    assert hidden.get(f"/api/v1/registered-models/{fraud_model.pk}/versions/").status_code == 404
    assert (
        hidden.post(
            f"/api/v1/registered-models/{fraud_model.pk}/aliases/", {"alias": "x", "version": 1}
        ).status_code
        == 404
    )
    assert hidden.get("/api/v1/registered-models/").json()["count"] == 0


# --- discussion and follow -----------------------------------------------------------------------
def test_the_model_discussion_tab_shows_the_model_header_and_follow_button(
    signed_in, alice, bob, fraud_model
):
    from apps.community.services import thread_create

    thread_create(by=alice, title="Retrain cadence?", body="Monthly", asset=fraud_model, rate_limited=False)
    discussions = f"/community/discussions/on/registry.registeredmodel/{fraud_model.pk}/"
    page = signed_in(alice).get(f"/models/{fraud_model.pk}/").content.decode()
    assert f'href="{discussions}"' in page
    assert f'name="target" value="registry.registeredmodel:{fraud_model.pk}"' in page
    body = signed_in(alice).get(discussions).content.decode()
    assert "Retrain cadence?" in body
    assert f'href="/models/{fraud_model.pk}/history/"' in body  # the model's own tabs
    assert f'href="{discussions}" class="nav-link active"' in body
    assert signed_in(bob).get(discussions).status_code == 404
