"""Registry services and selectors: names per team, sources, numbering, stages, aliases, history."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from apps.registry import selectors, services
from apps.registry.models import ModelAlias, ModelVersion, RegisteredModel
from apps.registry.tests.factories import make_experiment, make_logged_model, make_run
from apps.teams.selectors import team_for_new_asset

pytestmark = pytest.mark.django_db


def codes(error: ValidationError) -> set[str]:
    return {item.code for items in error.error_dict.values() for item in items}


# --- the team a new model goes to --------------------------------------------------------------
def test_a_new_asset_goes_to_the_users_only_team(alice, fraud_team):
    assert team_for_new_asset(user=alice, tags={}) == fraud_team


def test_the_atrium_team_tag_picks_a_team_where_the_user_may_add(alice, fraud_team, platform_team):
    assert team_for_new_asset(user=alice, tags={"atrium.team": fraud_team.slug}) == fraud_team
    with pytest.raises(PermissionDenied):
        team_for_new_asset(user=alice, tags={"atrium.team": platform_team.slug})
    with pytest.raises(ValidationError, match="No team has the slug"):
        team_for_new_asset(user=alice, tags={"atrium.team": "no-such-team"})


def test_an_analyst_may_not_add_assets_to_their_team(ann):
    with pytest.raises(PermissionDenied, match="may not add"):
        team_for_new_asset(user=ann, tags=None)


def test_with_several_teams_the_first_where_the_role_may_add_wins(make_user, fraud_team, platform_team, root):
    from apps.teams.services import membership_set

    max_ = make_user("max")
    membership_set(team=fraud_team, user=max_, role="analyst", by=root)
    membership_set(team=platform_team, user=max_, role="ml_engineer", by=root)
    assert team_for_new_asset(user=max_, tags={}) == platform_team


def test_someone_in_no_team_is_told_to_name_one(make_user, root, fraud_team):
    loner = make_user("loner")
    with pytest.raises(ValidationError, match="atrium.team"):
        team_for_new_asset(user=loner, tags={})
    assert team_for_new_asset(user=root, tags={"atrium.team": fraud_team.slug}) == fraud_team


# --- registered models ---------------------------------------------------------------------------
def test_names_are_unique_per_team_not_globally(fraud_model, platform_team, fraud_team, bob, alice):
    with pytest.raises(ValidationError) as raised:
        services.registered_model_create(team=fraud_team, by=alice, name="fraud")
    assert codes(raised.value) == {"already_exists"}
    theirs = services.registered_model_create(team=platform_team, by=bob, name="fraud")
    assert theirs.team == platform_team
    assert RegisteredModel.objects.filter(name="fraud").count() == 2


@pytest.mark.parametrize("name", ["", "  ", "a/b", "a:b", ".", "x" * 251])
def test_model_names_follow_mlflow_rules(fraud_team, alice, name):
    with pytest.raises(ValidationError):
        services.registered_model_create(team=fraud_team, by=alice, name=name)


def test_the_atrium_team_tag_is_a_directive_not_a_stored_tag(fraud_team, alice):
    model = services.registered_model_create(
        team=fraud_team, by=alice, name="churn", tags={"atrium.team": fraud_team.slug, "owner": "alice"}
    )
    assert dict(model.tags.values_list("key", "value")) == {"owner": "alice"}


def test_a_name_resolves_to_the_users_own_model_first(fraud_model, platform_team, bob, alice):
    theirs = services.registered_model_create(team=platform_team, by=bob, name="fraud", visibility="internal")
    assert selectors.registered_model_by_name(user=alice, name="fraud") == fraud_model
    assert selectors.registered_model_by_name(user=bob, name="fraud") == theirs


def test_another_teams_private_model_never_answers_to_its_name(fraud_model, bob):
    with pytest.raises(Http404, match="not found"):
        selectors.registered_model_by_name(user=bob, name="fraud")


def test_a_visible_model_the_user_may_not_change_is_refused(fraud_model, ann):
    assert selectors.registered_model_by_name(user=ann, name="fraud") == fraud_model
    with pytest.raises(PermissionDenied):
        selectors.registered_model_by_name(user=ann, name="fraud", action="change")


def test_rename_refuses_a_name_taken_in_the_team(fraud_model, fraud_team, alice):
    services.registered_model_create(team=fraud_team, by=alice, name="churn")
    with pytest.raises(ValidationError) as raised:
        services.registered_model_rename(registered_model=fraud_model, by=alice, new_name="churn")
    assert codes(raised.value) == {"already_exists"}
    services.registered_model_rename(registered_model=fraud_model, by=alice, new_name="fraud-v2")
    assert RegisteredModel.objects.get(pk=fraud_model.pk).name == "fraud-v2"


def test_setting_the_same_tag_twice_writes_one_history_row(fraud_model, alice):
    services.registered_model_tag_set(registered_model=fraud_model, by=alice, key="owner", value="alice")
    services.registered_model_tag_set(registered_model=fraud_model, by=alice, key="owner", value="alice")
    tag = fraud_model.tags.get(key="owner")
    assert tag.history.count() == 1
    services.registered_model_tag_delete(registered_model=fraud_model, by=alice, key="owner")
    services.registered_model_tag_delete(registered_model=fraud_model, by=alice, key="owner")
    assert not fraud_model.tags.exists()


# --- versions and their sources ------------------------------------------------------------------
def test_versions_are_numbered_and_never_reuse_a_deleted_number(
    fraud_model, fraud_versions, alice, fraud_run
):
    assert [version.version for version in fraud_versions] == [1, 2]
    services.model_version_delete(model_version=fraud_versions[1], by=alice)
    third = services.model_version_create(
        registered_model=fraud_model, by=alice, source=f"runs:/{fraud_run.uuid}/model"
    )
    assert third.version == 3


def test_a_runs_source_links_the_run_and_points_into_its_artifacts(fraud_versions, fraud_run):
    version = fraud_versions[0]
    assert version.run == fraud_run
    assert version.run_uuid == fraud_run.uuid
    assert version.status == "READY"
    assert version.storage_location == f"{fraud_run.artifact_uri}/model"


def test_a_logged_model_source_links_the_model_and_its_run(fraud_model, fraud_logged_model, alice):
    version = services.model_version_create(
        registered_model=fraud_model,
        by=alice,
        source=f"models:/{fraud_logged_model.model_id}",
        model_id=fraud_logged_model.model_id,
    )
    assert version.logged_model == fraud_logged_model
    assert version.run == fraud_logged_model.source_run
    assert version.storage_location == fraud_logged_model.artifact_location
    assert version.status == "READY"


def test_a_version_can_be_promoted_from_another_version(fraud_model, fraud_versions, fraud_team, alice):
    staging = services.registered_model_create(team=fraud_team, by=alice, name="fraud-prod")
    copy = services.model_version_create(registered_model=staging, by=alice, source="models:/fraud/2")
    assert copy.source == "models:/fraud/2"
    assert copy.run == fraud_versions[1].run
    assert copy.storage_location == fraud_versions[1].storage_location


def test_an_artifact_uri_must_lie_inside_the_given_run(fraud_model, fraud_run, alice):
    inside = f"{fraud_run.artifact_uri}/model"
    version = services.model_version_create(
        registered_model=fraud_model, by=alice, source=inside, run_id=fraud_run.uuid
    )
    assert version.storage_location == inside
    with pytest.raises(ValidationError, match="inside the run"):
        services.model_version_create(
            registered_model=fraud_model,
            by=alice,
            source=f"mlflow-artifacts:/{fraud_run.experiment_id}/elsewhere/model",
            run_id=fraud_run.uuid,
        )


@pytest.mark.parametrize(
    "source",
    [
        "file:///etc/passwd",
        "/var/lib/atrium/model",
        "model",
        "C:/models/x",
        "s3://bucket/model",
        "http://evil.example/api/2.0/mlflow-artifacts/artifacts/1/x",
        "mlflow-artifacts://other-host/1/run/artifacts/model",
        "runs:/{run}/../../etc",
        "runs:/{run}/%2e%2e/%2e%2e/etc",
        "runs:/{run}/model%00",
        "runs:/{run}/model?x=1",
        "runs://{run}/model",
        "models:/m-does-not-exist",
        "models:/fraud/7",
    ],
)
def test_unsafe_or_unknown_sources_are_refused(fraud_model, fraud_run, alice, source):
    with pytest.raises(ValidationError):
        services.model_version_create(
            registered_model=fraud_model, by=alice, source=source.format(run=fraud_run.uuid), run_id=""
        )
    assert not ModelVersion.objects.exists()


def test_a_run_the_user_cannot_see_is_no_source(platform_team, bob, fraud_run, root):
    mine = services.registered_model_create(team=platform_team, by=bob, name="copycat")
    with pytest.raises(ValidationError, match="run you can see") as hidden:
        services.model_version_create(registered_model=mine, by=bob, source=f"runs:/{fraud_run.uuid}/model")
    with pytest.raises(ValidationError, match="run you can see") as missing:
        services.model_version_create(registered_model=mine, by=bob, source="runs:/0123456789abcdef/model")
    assert str(hidden.value).replace(fraud_run.uuid, "?") == str(missing.value).replace(
        "0123456789abcdef", "?"
    )


def test_a_logged_model_of_another_teams_private_experiment_is_no_source(
    platform_team, bob, fraud_logged_model
):
    mine = services.registered_model_create(team=platform_team, by=bob, name="copycat")
    with pytest.raises(ValidationError, match="logged model you can see"):
        services.model_version_create(
            registered_model=mine, by=bob, source=f"models:/{fraud_logged_model.model_id}"
        )


def test_an_internal_experiments_run_may_be_registered_by_another_team(platform_team, bob, fraud_team, alice):
    shared = make_run(make_experiment(fraud_team, alice, name="Shared", visibility="internal"), alice)
    mine = services.registered_model_create(team=platform_team, by=bob, name="reuse")
    version = services.model_version_create(
        registered_model=mine, by=bob, source=f"runs:/{shared.uuid}/model"
    )
    assert version.run == shared


def test_a_mismatched_run_id_is_refused(fraud_model, fraud_run, alice, fraud_experiment):
    other = make_run(fraud_experiment, alice, name="other")
    with pytest.raises(ValidationError, match="run_id"):
        services.model_version_create(
            registered_model=fraud_model, by=alice, source=f"runs:/{fraud_run.uuid}/model", run_id=other.uuid
        )


def test_an_mlflow2_runs_source_finds_the_logged_model_of_that_path(fraud_model, fraud_run, alice):
    logged = make_logged_model(fraud_run, alice, name="model")
    version = services.model_version_create(
        registered_model=fraud_model, by=alice, source=f"runs:/{fraud_run.uuid}/model"
    )
    assert version.logged_model == logged


# --- stages ----------------------------------------------------------------------------------------
def test_transition_with_archive_moves_the_others_to_archived(fraud_versions, alice):
    first, second = fraud_versions
    services.model_version_transition_stage(model_version=first, by=alice, stage="production")
    services.model_version_transition_stage(
        model_version=second, by=alice, stage="Production", archive_existing_versions=True
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.current_stage, second.current_stage) == ("Archived", "Production")
    latest = selectors.latest_versions(registered_model=second.registered_model, stages=["production"])
    assert [version.version for version in latest] == [2]


def test_archiving_others_needs_an_active_stage(fraud_versions, alice):
    with pytest.raises(ValidationError, match="not an Active stage"):
        services.model_version_transition_stage(
            model_version=fraud_versions[0], by=alice, stage="Archived", archive_existing_versions=True
        )
    with pytest.raises(ValidationError, match="Invalid Model Version stage"):
        services.model_version_transition_stage(model_version=fraud_versions[0], by=alice, stage="Live")


def test_latest_versions_gives_the_highest_per_stage(fraud_model, fraud_versions, alice):
    services.model_version_transition_stage(model_version=fraud_versions[0], by=alice, stage="Staging")
    latest = selectors.latest_versions(registered_model=fraud_model)
    assert sorted((version.current_stage, version.version) for version in latest) == [
        ("None", 2),
        ("Staging", 1),
    ]


# --- aliases -----------------------------------------------------------------------------------------
def test_an_alias_points_at_one_version_and_moving_it_is_recorded(fraud_model, fraud_versions, alice, olivia):
    services.model_alias_set(registered_model=fraud_model, by=alice, alias="champion", version="1")
    services.model_alias_set(registered_model=fraud_model, by=alice, alias="champion", version="1")
    services.model_alias_set(registered_model=fraud_model, by=olivia, alias="champion", version="2")
    alias = ModelAlias.objects.get(registered_model=fraud_model, alias="champion")
    assert alias.model_version.version == 2
    assert alias.history.count() == 2
    assert selectors.model_version_by_alias(user=alice, name="fraud", alias="champion").version == 2
    events = selectors.registered_model_history(registered_model=fraud_model)
    moved = [event for event in events if event.subject == "Alias champion" and event.verb == "changed"]
    assert moved[0].text == "Moved from version 1 to version 2."
    assert moved[0].who == "olivia"


@pytest.mark.parametrize("alias", ["latest", "LATEST", "v3", "V12", "", "has space", "a/b"])
def test_reserved_and_malformed_aliases_are_refused(fraud_model, fraud_versions, alice, alias):
    with pytest.raises(ValidationError):
        services.model_alias_set(registered_model=fraud_model, by=alice, alias=alias, version="1")


def test_an_alias_on_a_missing_version_is_not_found(fraud_model, fraud_versions, alice):
    with pytest.raises(ValidationError) as raised:
        services.model_alias_set(registered_model=fraud_model, by=alice, alias="champion", version="9")
    assert codes(raised.value) == {"not_found"}


def test_deleting_a_version_removes_its_aliases(fraud_model, fraud_versions, alice):
    services.model_alias_set(registered_model=fraud_model, by=alice, alias="champion", version="2")
    services.model_version_delete(model_version=fraud_versions[1], by=alice)
    assert not ModelAlias.objects.exists()
    with pytest.raises(ValidationError, match="alias champion not found"):
        selectors.model_version_by_alias(user=alice, name="fraud", alias="champion")
    assert selectors.model_version_by_alias(user=alice, name="fraud", alias="latest").version == 1


def test_the_history_tells_the_models_story(fraud_model, fraud_versions, alice):
    services.model_version_transition_stage(model_version=fraud_versions[0], by=alice, stage="Staging")
    services.registered_model_update(registered_model=fraud_model, by=alice, description="New words")
    services.model_version_tag_set(model_version=fraud_versions[0], by=alice, key="validated", value="yes")
    texts = [
        (event.subject, event.text)
        for event in selectors.registered_model_history(registered_model=fraud_model)
    ]
    assert ("Model", "Registered as “fraud”.") in texts
    assert ("Version 1", "Stage None → Staging.") in texts
    assert ("Model", "Description edited.") in texts
    assert ("Version 1 · Tag validated", "Set to “yes”.") in texts
    assert texts[0] == ("Version 1 · Tag validated", "Set to “yes”.")


# --- search ------------------------------------------------------------------------------------------
def test_search_filters_orders_and_pages(fraud_team, alice, platform_team, bob):
    for name in ("fraud", "fraud-eu", "churn"):
        services.registered_model_create(team=fraud_team, by=alice, name=name)
    services.registered_model_create(team=platform_team, by=bob, name="fraud-hidden")
    page = selectors.registered_model_search(
        user=alice, filter_string="name LIKE 'fraud%'", order_by=["name DESC"], max_results=1
    )
    assert [model.name for model in page.items] == ["fraud-eu"]
    second = selectors.registered_model_search(
        user=alice,
        filter_string="name LIKE 'fraud%'",
        order_by=["name DESC"],
        max_results=1,
        page_token=page.next_page_token,
    )
    assert [model.name for model in second.items] == ["fraud"]
    assert second.next_page_token == ""


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("name = 'churn'", ["churn"]),
        ("name != 'churn'", ["fraud", "fraud-eu"]),
        ("name ILIKE 'FRAUD-%'", ["fraud-eu"]),
        ("name IN ('churn', 'fraud')", ["churn", "fraud"]),
        ("name NOT IN ('churn')", ["fraud", "fraud-eu"]),
        ("tags.owner = 'alice'", ["fraud"]),
        ("tags.`owner` LIKE 'al%' AND name LIKE '%ud'", ["fraud"]),
        ("name LIKE 'fr_ud'", ["fraud"]),
    ],
)
def test_search_filters(fraud_team, alice, filter_string, expected):
    for name in ("fraud", "fraud-eu", "churn"):
        services.registered_model_create(
            team=fraud_team, by=alice, name=name, tags={"owner": "alice"} if name == "fraud" else {}
        )
    page = selectors.registered_model_search(user=alice, filter_string=filter_string)
    assert [model.name for model in page.items] == expected


@pytest.mark.parametrize(
    "filter_string",
    [
        "name",
        "name = ",
        "name ~ 'x'",
        "owner = 'x'",
        "name = 'a' OR name = 'b'",
        "name IN 'x'",
        "name = 'x' AND",
    ],
)
def test_malformed_filters_are_invalid(alice, filter_string):
    with pytest.raises(ValidationError):
        selectors.registered_model_search(user=alice, filter_string=filter_string)


def test_version_search_by_name_run_and_number(fraud_versions, fraud_run, alice, bob):
    page = selectors.model_version_search(user=alice, filter_string=f"run_id = '{fraud_run.uuid}'")
    assert [version.version for version in page.items] == [2, 1]
    page = selectors.model_version_search(user=alice, filter_string="name = 'fraud' AND version_number >= 2")
    assert [version.version for version in page.items] == [2]
    assert selectors.model_version_search(user=bob, filter_string="name = 'fraud'").items == []


def test_bad_page_tokens_and_limits_are_invalid(alice):
    with pytest.raises(ValidationError, match="page token"):
        selectors.registered_model_search(user=alice, page_token="not-base64!")  # noqa: S106 - not a secret
    with pytest.raises(ValidationError, match="at most 1000"):
        selectors.registered_model_search(user=alice, max_results=1001)
    with pytest.raises(ValidationError, match="order by key"):
        selectors.registered_model_search(user=alice, order_by=["size"])
