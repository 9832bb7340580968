"""Experiments, runs and registered models in the one search, with their owners' permissions."""

from __future__ import annotations

import pytest
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from apps.core.history import acting_user
from apps.experiments.services import tracking
from apps.experiments.tests.test_api import make_run
from apps.registry.models import RegisteredModel
from apps.search.models import SearchDocument

pytestmark = pytest.mark.django_db


def search(user, **query) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/search/", query)
    assert response.status_code == 200, response.json()
    return response.json()


def found(user, text: str, **filters) -> set[tuple[str, str]]:
    return {(hit["type"], hit["name"]) for hit in search(user, q=text, **filters)["results"]}


@pytest.fixture
def experiments(fraud_team, alice):
    """Fraud's private "Card fraud detection" (a GBM run, a failed run) and internal "Merchant churn"."""
    private = tracking.experiment_create(
        team=fraud_team, by=alice, name="Card fraud detection", description="Chargeback-labelled payments."
    )
    gbm = make_run(private, alice, name="gbm-depth-5", params={"estimator": "GradientBoostingClassifier"})
    failed = make_run(private, alice, name="mlp-wide", status="FAILED", params={"estimator": "MLPClassifier"})
    internal = tracking.experiment_create(
        team=fraud_team, by=alice, name="Merchant churn", visibility="internal"
    )
    churn = make_run(internal, alice, name="logreg-baseline", params={"estimator": "LogisticRegression"})
    # Params are logged after the run row exists; the run is indexed again when it ends (saved).
    for run in (gbm, failed, churn):
        with acting_user(alice):
            run.save()
    return {"private": private, "gbm": gbm, "failed": failed, "internal": internal, "churn": churn}


def test_members_find_experiments_and_runs_by_name_description_and_params(alice, experiments):
    assert ("experiments.experiment", "Card fraud detection") in found(alice, "card fraud")
    assert ("experiments.experiment", "Card fraud detection") in found(alice, "chargeback")
    assert ("experiments.run", "gbm-depth-5") in found(alice, "GradientBoostingClassifier")
    assert ("experiments.run", "gbm-depth-5") in found(alice, "gbm")


def test_a_runs_entry_is_governed_by_its_experiment(experiments):
    document = SearchDocument.objects.get(asset_type="experiments.run", object_id=experiments["gbm"].pk)
    assert (document.access_type, document.access_id) == ("experiments.experiment", experiments["private"].pk)
    assert (document.team_id, document.visibility, document.status) == (
        experiments["private"].team_id,
        "private",
        "finished",
    )


def test_the_outsider_finds_only_the_internal_experiment_and_its_runs(bob, experiments):
    assert found(bob, "card fraud") == set()
    assert found(bob, "GradientBoostingClassifier") == set()
    assert found(bob, "mlp") == set()
    assert ("experiments.run", "logreg-baseline") in found(bob, "LogisticRegression")
    facets = search(bob, q="", team="fraud-analytics")["facets"]
    assert {f["value"]: f["count"] for f in facets["type"]} == {
        "experiments.experiment": 1,
        "experiments.run": 1,
    }
    assert {f["value"] for f in facets["status"]} == {"finished"}


def test_a_grant_on_the_experiment_opens_its_runs_in_search(bob, experiments):
    assign_perm("view_experiment", bob, experiments["private"])
    assert ("experiments.run", "gbm-depth-5") in found(bob, "GradientBoostingClassifier")


def test_facets_count_runs_by_status_and_filter_on_it(alice, experiments):
    facets = search(alice, q="", team="fraud-analytics")["facets"]
    assert {f["value"]: f["count"] for f in facets["status"]} == {"finished": 2, "failed": 1}
    assert found(alice, "", status="failed") == {("experiments.run", "mlp-wide")}
    assert found(alice, "", type="experiments.experiment") == {
        ("experiments.experiment", "Card fraud detection"),
        ("experiments.experiment", "Merchant churn"),
    }


def test_deleted_experiments_and_runs_leave_the_search_and_come_back_when_restored(
    alice, olivia, experiments
):
    tracking.experiment_delete(experiment=experiments["private"], by=olivia)
    assert found(alice, "card fraud") == set()
    assert found(alice, "gbm") == set()
    tracking.experiment_restore(experiment=experiments["private"], by=olivia)
    assert ("experiments.experiment", "Card fraud detection") in found(alice, "card fraud")
    assert ("experiments.run", "gbm-depth-5") in found(alice, "gbm")
    tracking.run_delete(run=experiments["gbm"], by=olivia)
    assert found(alice, "gbm") == set()
    tracking.run_restore(run=experiments["gbm"], by=olivia)
    assert ("experiments.run", "gbm-depth-5") in found(alice, "gbm")


def test_making_an_experiment_internal_opens_its_runs_to_everyone(alice, bob, experiments):
    tracking.experiment_update(experiment=experiments["private"], by=alice, visibility="internal")
    assert ("experiments.run", "gbm-depth-5") in found(bob, "GradientBoostingClassifier")


def test_registered_models_are_searchable_with_their_teams_permissions(alice, bob, fraud_team, experiments):
    with acting_user(alice):
        RegisteredModel.objects.create(
            team=fraud_team, name="fraud-scorer", description="Scores card payments."
        )
        RegisteredModel.objects.create(
            team=fraud_team, name="merchant-risk", description="Merchant risk tiers.", visibility="internal"
        )
    assert ("registry.registeredmodel", "fraud-scorer") in found(alice, "scores card")
    assert found(bob, "fraud-scorer") == set()
    assert ("registry.registeredmodel", "merchant-risk") in found(bob, "merchant risk")


def test_a_models_aliases_are_found_once_set(alice, fraud_team):
    from apps.registry import services as registry
    from apps.registry.models import ModelVersion

    model = registry.registered_model_create(team=fraud_team, by=alice, name="fraud-scorer")
    ModelVersion.objects.create(registered_model=model, version=1, source="models:/m-1")
    assert found(alice, "champion") == set()
    registry.model_alias_set(registered_model=model, by=alice, alias="champion", version=1)
    assert ("registry.registeredmodel", "fraud-scorer") in found(alice, "champion")


def test_a_run_started_with_its_own_tags_is_found_by_them_while_it_runs(fraud_team, alice):
    """The run is indexed when saved, before its tags are written: with tags of its own (not
    MLflow's system tags) it is indexed again, so it is found by them before it ends."""
    experiment = tracking.experiment_create(team=fraud_team, by=alice, name="Tagged")
    run = tracking.run_create(
        experiment=experiment, by=alice, run_name="sweep-7", tags={"dataset": "chargebacks-2026q3"}
    )
    assert run.status == "RUNNING"
    assert ("experiments.run", "sweep-7") in found(alice, "chargebacks-2026q3")
