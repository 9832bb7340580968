"""The model registry through the real MLflow client against a live Atrium server."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException

from apps.registry.models import ModelAlias, ModelVersion, RegisteredModel
from apps.registry.tests.factories import make_experiment, make_logged_model, make_run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mlflow_as(mlflow_client_for):
    """The shared fixture's MlflowClient for `user` (apps/mlflow_api/tests/conftest.py)."""
    return mlflow_client_for


def code_of(raised) -> str:
    return raised.value.error_code


@pytest.fixture
def fraud_run(fraud_team, alice):
    return make_run(make_experiment(fraud_team, alice), alice)


# --- registered models -----------------------------------------------------------------------------
def test_create_get_update_rename_and_tags(mlflow_as, alice, fraud_team):
    client = mlflow_as(alice)
    created = client.create_registered_model(
        "fraud", tags={"owner": "alice"}, description="Card fraud scores"
    )
    assert created.name == "fraud"
    assert created.tags == {"owner": "alice"}
    assert created.description == "Card fraud scores"
    assert created.creation_timestamp > 0
    assert RegisteredModel.objects.get(name="fraud").team == fraud_team

    client.set_registered_model_tag("fraud", "domain", "payments")
    client.delete_registered_model_tag("fraud", "owner")
    client.update_registered_model("fraud", description="Scores every card payment")
    model = client.get_registered_model("fraud")
    assert model.tags == {"domain": "payments"}
    assert model.description == "Scores every card payment"

    client.rename_registered_model("fraud", "fraud-scoring")
    assert client.get_registered_model("fraud-scoring").tags == {"domain": "payments"}
    with pytest.raises(MlflowException) as raised:
        client.get_registered_model("fraud")
    assert code_of(raised) == "RESOURCE_DOES_NOT_EXIST"


def test_creating_an_existing_model_is_resource_already_exists(mlflow_as, alice):
    client = mlflow_as(alice)
    client.create_registered_model("fraud")
    with pytest.raises(MlflowException) as raised:
        client.create_registered_model("fraud")
    assert code_of(raised) == "RESOURCE_ALREADY_EXISTS"
    assert raised.value.get_http_status_code() == 400


def test_the_log_model_registration_flow(mlflow_as, alice, fraud_run):
    """What `log_model(registered_model_name=…)` does: create (or learn it exists), then add a version."""
    client = mlflow_as(alice)
    versions = []
    for _ in range(2):
        try:
            client.create_registered_model("fraud")
        except MlflowException as error:
            assert error.error_code == "RESOURCE_ALREADY_EXISTS"
        versions.append(
            client.create_model_version("fraud", f"runs:/{fraud_run.uuid}/model", run_id=fraud_run.uuid)
        )
    assert [(version.version, version.status) for version in versions] == [("1", "READY"), ("2", "READY")]
    assert versions[0].run_id == fraud_run.uuid
    assert versions[0].current_stage == "None"
    assert RegisteredModel.objects.filter(name="fraud").count() == 1


def test_search_registered_models_with_filter_order_and_pages(mlflow_as, alice):
    client = mlflow_as(alice)
    for name in ("fraud", "fraud-eu", "fraud-us", "churn"):
        client.create_registered_model(name)
    page = client.search_registered_models(
        filter_string="name LIKE 'fraud%'", order_by=["name DESC"], max_results=2
    )
    assert [model.name for model in page] == ["fraud-us", "fraud-eu"]
    assert page.token
    rest = client.search_registered_models(
        filter_string="name LIKE 'fraud%'", order_by=["name DESC"], max_results=2, page_token=page.token
    )
    assert [model.name for model in rest] == ["fraud"]
    assert not rest.token
    with pytest.raises(MlflowException) as raised:
        client.search_registered_models(filter_string="name ~ 'x'")
    assert code_of(raised) == "INVALID_PARAMETER_VALUE"


def test_model_versions_search_get_download_uri_update_and_delete(mlflow_as, alice, olivia, fraud_run):
    client = mlflow_as(alice)
    client.create_registered_model("fraud")
    first = client.create_model_version(
        "fraud",
        f"runs:/{fraud_run.uuid}/model",
        run_id=fraud_run.uuid,
        tags={"stage": "candidate"},
        description="GBM",
    )
    client.create_model_version("fraud", f"runs:/{fraud_run.uuid}/model", run_id=fraud_run.uuid)
    found = client.search_model_versions(f"name = 'fraud' AND run_id = '{fraud_run.uuid}'")
    assert [version.version for version in found] == ["2", "1"]
    got = client.get_model_version("fraud", first.version)
    assert got.tags == {"stage": "candidate"}
    assert got.description == "GBM"
    assert client.get_model_version_download_uri("fraud", "1") == f"{fraud_run.artifact_uri}/model"

    client.update_model_version("fraud", "1", description="Gradient boosting, 200 trees")
    client.set_model_version_tag("fraud", "1", "validated", "yes")
    client.delete_model_version_tag("fraud", "1", "stage")
    got = client.get_model_version("fraud", "1")
    assert got.description == "Gradient boosting, 200 trees"
    assert got.tags == {"validated": "yes"}

    # A data scientist may not delete; the data officer may.
    with pytest.raises(MlflowException) as raised:
        client.delete_model_version("fraud", "2")
    assert code_of(raised) == "PERMISSION_DENIED"
    officer = mlflow_as(olivia)
    officer.delete_model_version("fraud", "2")
    with pytest.raises(MlflowException) as raised:
        officer.get_model_version("fraud", "2")
    assert code_of(raised) == "RESOURCE_DOES_NOT_EXIST"
    officer.delete_registered_model("fraud")
    assert not RegisteredModel.objects.exists()


def test_aliases_set_get_move_and_delete(mlflow_as, alice, fraud_run):
    client = mlflow_as(alice)
    client.create_registered_model("fraud")
    for _ in range(2):
        client.create_model_version("fraud", f"runs:/{fraud_run.uuid}/model", run_id=fraud_run.uuid)
    client.set_registered_model_alias("fraud", "champion", "1")
    champion = client.get_model_version_by_alias("fraud", "champion")
    assert (champion.version, champion.aliases) == ("1", ["champion"])
    client.set_registered_model_alias("fraud", "champion", "2")
    client.set_registered_model_alias("fraud", "challenger", "1")
    assert client.get_model_version_by_alias("fraud", "champion").version == "2"
    model = client.get_registered_model("fraud")
    assert model.aliases == {"champion": "2", "challenger": "1"}
    assert ModelAlias.objects.get(alias="champion").history.count() == 2

    client.delete_registered_model_alias("fraud", "challenger")
    with pytest.raises(MlflowException) as raised:
        client.get_model_version_by_alias("fraud", "challenger")
    assert code_of(raised) == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as raised:
        client.set_registered_model_alias("fraud", "latest", "1")
    assert code_of(raised) == "INVALID_PARAMETER_VALUE"


def test_stages_and_latest_versions(mlflow_as, alice, fraud_run):
    client = mlflow_as(alice)
    client.create_registered_model("fraud")
    for _ in range(3):
        client.create_model_version("fraud", f"runs:/{fraud_run.uuid}/model", run_id=fraud_run.uuid)
    client.transition_model_version_stage("fraud", "1", "Production")
    moved = client.transition_model_version_stage("fraud", "2", "production", archive_existing_versions=True)
    assert moved.current_stage == "Production"
    assert client.get_model_version("fraud", "1").current_stage == "Archived"
    latest = client.get_latest_versions("fraud", stages=["Production"])
    assert [version.version for version in latest] == ["2"]
    model = client.get_registered_model("fraud")
    assert sorted((version.current_stage, version.version) for version in model.latest_versions) == [
        ("Archived", "1"),
        ("None", "3"),
        ("Production", "2"),
    ]


def test_an_mlflow3_logged_model_is_registered_ready(mlflow_as, alice, fraud_run):
    logged = make_logged_model(fraud_run, alice)
    client = mlflow_as(alice)
    client.create_registered_model("fraud")
    version = client.create_model_version("fraud", f"models:/{logged.model_id}", model_id=logged.model_id)
    assert version.status == "READY"
    assert version.run_id == fraud_run.uuid
    assert client.get_model_version_download_uri("fraud", version.version) == logged.artifact_location
    assert ModelVersion.objects.get().logged_model == logged


@pytest.mark.parametrize(
    "source",
    [
        "file:///etc/passwd",
        "/etc/passwd",
        "runs:/{run}/../../secrets",
        "runs:/{run}/%2e%2e/%2e%2e/secrets",
        "mlflow-artifacts://attacker.example/1/run/artifacts/model",
        "https://attacker.example/model",
    ],
)
def test_unsafe_sources_are_invalid_parameter_values(mlflow_as, alice, fraud_run, source):
    client = mlflow_as(alice)
    client.create_registered_model("fraud")
    with pytest.raises(MlflowException) as raised:
        client.create_model_version("fraud", source.format(run=fraud_run.uuid), run_id=fraud_run.uuid)
    assert code_of(raised) == "INVALID_PARAMETER_VALUE"
    assert not ModelVersion.objects.exists()


# --- permissions -------------------------------------------------------------------------------------
def test_an_outsider_cannot_see_or_touch_a_private_model(mlflow_as, alice, bob, fraud_run):
    owner = mlflow_as(alice)
    owner.create_registered_model("fraud", tags={"owner": "alice"})
    owner.create_model_version("fraud", f"runs:/{fraud_run.uuid}/model", run_id=fraud_run.uuid)
    owner.set_registered_model_alias("fraud", "champion", "1")

    outsider = mlflow_as(bob)
    calls = [
        lambda: outsider.get_registered_model("fraud"),
        lambda: outsider.get_model_version("fraud", "1"),
        lambda: outsider.get_model_version_by_alias("fraud", "champion"),
        lambda: outsider.get_model_version_download_uri("fraud", "1"),
        lambda: outsider.get_latest_versions("fraud"),
        lambda: outsider.set_registered_model_tag("fraud", "owner", "bob"),
        lambda: outsider.delete_registered_model_tag("fraud", "owner"),
        lambda: outsider.update_registered_model("fraud", description="mine"),
        lambda: outsider.rename_registered_model("fraud", "stolen"),
        lambda: outsider.set_registered_model_alias("fraud", "champion", "1"),
        lambda: outsider.delete_registered_model_alias("fraud", "champion"),
        lambda: outsider.create_model_version("fraud", "runs:/x/model", run_id="x"),
        lambda: outsider.update_model_version("fraud", "1", description="mine"),
        lambda: outsider.set_model_version_tag("fraud", "1", "k", "v"),
        lambda: outsider.delete_model_version_tag("fraud", "1", "k"),
        lambda: outsider.transition_model_version_stage("fraud", "1", "Production"),
        lambda: outsider.delete_model_version("fraud", "1"),
        lambda: outsider.delete_registered_model("fraud"),
    ]
    for call in calls:
        with pytest.raises(MlflowException) as raised:
            call()
        assert code_of(raised) == "RESOURCE_DOES_NOT_EXIST"
        assert raised.value.get_http_status_code() == 404
    assert list(outsider.search_registered_models()) == []
    assert list(outsider.search_model_versions("name = 'fraud'")) == []

    # The same name in bob's own team is no clash and reveals nothing.
    mine = outsider.create_registered_model("fraud")
    assert mine.tags == {}
    assert [model.name for model in outsider.search_registered_models()] == ["fraud"]
    model = RegisteredModel.objects.get(name="fraud", team__slug="fraud-analytics")
    assert dict(model.tags.values_list("key", "value")) == {"owner": "alice"}
    assert model.versions.get().current_stage == "None"


def test_an_analyst_reads_but_may_not_write(mlflow_as, alice, ann, fraud_run):
    mlflow_as(alice).create_registered_model("fraud")
    analyst = mlflow_as(ann)
    assert analyst.get_registered_model("fraud").name == "fraud"
    for call in [
        lambda: analyst.create_registered_model("churn"),
        lambda: analyst.set_registered_model_tag("fraud", "k", "v"),
        lambda: analyst.update_registered_model("fraud", description="x"),
        lambda: analyst.create_model_version("fraud", f"runs:/{fraud_run.uuid}/model", run_id=fraud_run.uuid),
        lambda: analyst.delete_registered_model("fraud"),
    ]:
        with pytest.raises(MlflowException) as raised:
            call()
        assert code_of(raised) == "PERMISSION_DENIED"
    assert RegisteredModel.objects.count() == 1
    assert not ModelVersion.objects.exists()


def test_a_model_can_be_created_in_a_named_team(mlflow_as, alice, fraud_team, platform_team):
    client = mlflow_as(alice)
    created = client.create_registered_model("fraud", tags={"atrium.team": fraud_team.slug})
    assert created.tags == {}
    with pytest.raises(MlflowException) as raised:
        client.create_registered_model("other", tags={"atrium.team": platform_team.slug})
    assert code_of(raised) == "PERMISSION_DENIED"


# --- the whole flow: log_model(registered_model_name=…) twice, then load by alias and by version -----------
def _routes_mounted() -> bool:
    from apps.mlflow_api.views import logged_models, tracking

    return bool(tracking.ROUTES) and bool(logged_models.ROUTES)


@pytest.mark.skipif(not _routes_mounted(), reason="needs the tracking and logged-model routes mounted")
def test_log_model_twice_then_load_by_alias_and_by_version(mlflow_as, mlflow_client_for, alice):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    features = rng.normal(size=(60, 3))
    labels = (features[:, 0] + 0.5 * features[:, 1] > 0).astype(int)
    import mlflow

    mlflow_as(alice)  # this module's mlflow_as gives a client; the fluent API is the module's
    mlflow.set_experiment("Card fraud")
    trained = []
    for strength in (0.01, 10.0):
        model = LogisticRegression(C=strength).fit(features, labels)
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(model, name="model", registered_model_name="fraud")
        trained.append((model, info))
    # ModelVersion.version is a string in MLflow's protobuf, so the client reports "1", "2"
    assert [str(info.registered_model_version) for _, info in trained] == ["1", "2"]
    client = mlflow_client_for(alice)
    client.set_registered_model_alias("fraud", "champion", "2")

    champion = mlflow.sklearn.load_model("models:/fraud@champion")
    assert np.allclose(champion.coef_, trained[1][0].coef_)
    first = mlflow.pyfunc.load_model("models:/fraud/1")
    assert list(first.predict(features)) == list(trained[0][0].predict(features))
    versions = {version.version: version for version in ModelVersion.objects.select_related("logged_model")}
    assert versions[1].logged_model.model_id == trained[0][1].model_id
    assert versions[2].status == "READY"
