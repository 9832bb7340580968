"""Registered models, versions and aliases in the data-officer admin: scoped to the officer's teams."""

import pytest
from django.urls import reverse

from apps.core.history import acting_user
from apps.registry.models import ModelAlias, ModelVersion, RegisteredModel

pytestmark = pytest.mark.django_db


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def with_inlines(client, url: str, data: dict) -> dict:
    """The form data plus the management forms of the page's inlines, as a browser sends."""
    page = client.get(url)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form.initial.get(name, 0)
    return data


def registered(team, user, name: str, versions: int = 2) -> RegisteredModel:
    with acting_user(user):
        model = RegisteredModel.objects.create(team=team, name=name, description="Scores card payments.")
        for number in range(1, versions + 1):
            ModelVersion.objects.create(
                registered_model=model, version=number, source=f"models:/m-{name}-{number}"
            )
    return model


@pytest.fixture
def officer(client, olivia):
    client.force_login(olivia)
    return client


@pytest.fixture
def fraud_scorer(fraud_team, alice):
    model = registered(fraud_team, alice, "fraud-scorer")
    with acting_user(alice):
        ModelAlias.objects.create(
            registered_model=model, alias="champion", model_version=model.versions.get(version=1)
        )
    return model


@pytest.fixture
def demand_model(platform_team, bob):
    return registered(platform_team, bob, "demand-forecast", versions=1)


def test_the_officer_sees_her_teams_models_versions_and_aliases_only(officer, fraud_scorer, demand_model):
    for name in ("registry_registeredmodel", "registry_modelversion", "registry_modelalias"):
        body = officer.get(admin_url(f"{name}_changelist")).content.decode()
        assert "fraud-scorer" in body, name
        assert "demand-forecast" not in body, name
    assert officer.get(admin_url("registry_registeredmodel_change", demand_model.pk)).status_code == 302
    version = demand_model.versions.get()
    assert officer.get(admin_url("registry_modelversion_history", version.pk)).status_code == 404


def test_a_models_page_lists_its_versions_and_aliases(officer, fraud_scorer):
    body = officer.get(admin_url("registry_registeredmodel_change", fraud_scorer.pk)).content.decode()
    assert "champion" in body
    assert body.count("Ready") >= 2  # both versions, with their status
    assert 'name="versions-0-current_stage"' not in body  # versions are edited on their own page


def test_the_officer_moves_an_alias_to_another_version_and_reverts_it(officer, olivia, fraud_scorer):
    alias = fraud_scorer.aliases.get(alias="champion")
    first = alias.history.first()
    version_two = fraud_scorer.versions.get(version=2)
    url = admin_url("registry_modelalias_change", alias.pk)
    response = officer.post(url, {"model_version": version_two.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    alias.refresh_from_db()
    assert alias.model_version == version_two
    assert alias.history.first().history_user == olivia
    revert = admin_url("registry_modelalias_simple_history", alias.pk, first.history_id)
    assert officer.post(revert, {"model_version": first.model_version_id}).status_code == 302
    alias.refresh_from_db()
    assert alias.model_version.version == 1


def test_an_alias_cannot_point_at_another_models_version(
    officer, fraud_team, alice, fraud_scorer, demand_model
):
    other = registered(fraud_team, alice, "chargeback-model", versions=1)
    alias = fraud_scorer.aliases.get(alias="champion")
    response = officer.post(
        admin_url("registry_modelalias_change", alias.pk), {"model_version": other.versions.get().pk}
    )
    assert response.status_code == 200
    assert "model_version" in response.context["adminform"].form.errors
    # Another team's versions are not even offered.
    refused = officer.post(
        admin_url("registry_modelalias_change", alias.pk), {"model_version": demand_model.versions.get().pk}
    )
    assert "model_version" in refused.context["adminform"].form.errors
    alias.refresh_from_db()
    assert alias.model_version.version == 1


def test_the_officer_describes_a_version_but_its_provenance_is_read_only(officer, olivia, fraud_scorer):
    version = fraud_scorer.versions.get(version=2)
    url = admin_url("registry_modelversion_change", version.pk)
    data = {
        "description": "Retrained on March data.",
        "current_stage": "Staging",
        "source": "file:///etc/passwd",
    }
    response = officer.post(url, with_inlines(officer, url, data))
    assert response.status_code == 302, response.content.decode()[:2000]
    version.refresh_from_db()
    assert (version.description, version.current_stage) == ("Retrained on March data.", "Staging")
    assert version.source == "models:/m-fraud-scorer-2"
    assert version.history.first().history_user == olivia
    assert officer.get(admin_url("registry_modelversion_add")).status_code == 403


def test_the_officer_renames_nothing_but_describes_a_model(officer, olivia, fraud_scorer):
    url = admin_url("registry_registeredmodel_change", fraud_scorer.pk)
    data = {"name": "stolen-name", "visibility": "internal", "description": "Champion since March."}
    response = officer.post(url, with_inlines(officer, url, data))
    assert response.status_code == 302, response.content.decode()[:2000]
    fraud_scorer.refresh_from_db()
    assert (fraud_scorer.name, fraud_scorer.visibility) == ("fraud-scorer", "internal")
    assert fraud_scorer.history.first().history_user == olivia


def test_the_model_version_changelist_runs_a_fixed_number_of_queries(
    officer, fraud_team, alice, fraud_scorer, django_assert_num_queries
):
    for index in range(10):
        registered(fraud_team, alice, f"model-{index}", versions=2)
    # session, user, officer's teams, teams for the team filter, count (filtered and total),
    # the user's global permissions x2 (the admin's page context), one page of rows with their model.
    with django_assert_num_queries(9):
        response = officer.get(admin_url("registry_modelversion_changelist"))
    assert response.status_code == 200


def test_reserved_or_malformed_alias_names_are_errors_on_the_form(officer, fraud_scorer):
    version = fraud_scorer.versions.get(version=1)
    for alias in ("latest", "v3", "has space"):
        response = officer.post(
            admin_url("registry_modelalias_add"),
            {"registered_model": fraud_scorer.pk, "alias": alias, "model_version": version.pk},
        )
        assert response.status_code == 200, alias
        assert "alias" in response.context["adminform"].form.errors, alias
    assert list(fraud_scorer.aliases.values_list("alias", flat=True)) == ["champion"]


def test_the_officer_registers_a_model_for_her_team_with_mlflows_name_rules(officer, olivia, fraud_team):
    add = admin_url("registry_registeredmodel_add")
    refused = officer.post(
        add, with_inlines(officer, add, {"name": "a/b", "team": fraud_team.pk, "visibility": "private"})
    )
    assert refused.status_code == 200 and "name" in refused.context["adminform"].form.errors
    data = {"name": "chargeback-model", "team": fraud_team.pk, "visibility": "private", "description": ""}
    assert officer.post(add, with_inlines(officer, add, data)).status_code == 302
    model = RegisteredModel.objects.get(name="chargeback-model")
    assert (model.team, model.created_by) == (fraud_team, olivia)
