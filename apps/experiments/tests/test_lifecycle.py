"""Experiment and run lifecycle services: create, rename, soft-delete and restore, with history."""

import pytest
from django.core.exceptions import ValidationError

from apps.experiments.models import Experiment, Run, RunTag
from apps.experiments.services.tracking import (
    experiment_create,
    experiment_delete,
    experiment_restore,
    experiment_update,
    run_delete,
    run_note_set,
    run_restore,
)

pytestmark = pytest.mark.django_db


def test_an_experiment_is_created_in_the_team_with_its_artifact_root_and_author(fraud_team, alice):
    experiment = experiment_create(team=fraud_team, by=alice, name="  Churn  ", description="*why*")
    assert experiment.name == "Churn"
    assert experiment.artifact_location == f"mlflow-artifacts:/{experiment.pk}"
    assert experiment.created_by == alice
    assert experiment.history.first().history_user == alice


def test_names_are_unique_per_team_only(fraud_team, platform_team, alice, bob):
    experiment_create(team=fraud_team, by=alice, name="Churn")
    with pytest.raises(ValidationError) as error:
        experiment_create(team=fraud_team, by=alice, name="Churn")
    assert "name" in error.value.error_dict
    assert experiment_create(team=platform_team, by=bob, name="Churn").team == platform_team


@pytest.mark.parametrize("name", ["", "   ", "x" * 501])
def test_a_bad_name_is_an_error_on_the_name(fraud_team, alice, name):
    with pytest.raises(ValidationError) as error:
        experiment_create(team=fraud_team, by=alice, name=name)
    assert "name" in error.value.error_dict
    assert not Experiment.objects.exists()


def test_deleting_an_experiment_deletes_its_runs_and_restoring_brings_them_back(fraud_team, alice, olivia):
    experiment = experiment_create(team=fraud_team, by=alice, name="Churn")
    runs = [Run.objects.create(experiment=experiment, name=f"run {i}") for i in range(3)]
    experiment_delete(experiment=experiment, by=olivia)
    assert set(experiment.runs.values_list("lifecycle_stage", flat=True)) == {"deleted"}
    assert runs[0].history.first().history_user == olivia
    experiment_restore(experiment=experiment, by=olivia)
    experiment.refresh_from_db()
    assert experiment.lifecycle_stage == "active" and experiment.deleted_at is None
    assert set(experiment.runs.values_list("lifecycle_stage", flat=True)) == {"active"}


def test_a_run_of_a_deleted_experiment_cannot_be_restored_alone(fraud_team, alice):
    experiment = experiment_create(team=fraud_team, by=alice, name="Churn")
    run = Run.objects.create(experiment=experiment)
    experiment_delete(experiment=experiment, by=alice)
    run.refresh_from_db()
    with pytest.raises(ValidationError):
        run_restore(run=run, by=alice)


def test_a_run_is_deleted_and_restored(fraud_team, alice):
    experiment = experiment_create(team=fraud_team, by=alice, name="Churn")
    run = Run.objects.create(experiment=experiment)
    run_delete(run=run, by=alice)
    run.refresh_from_db()
    assert run.lifecycle_stage == "deleted" and run.deleted_at is not None
    run_restore(run=run, by=alice)
    run.refresh_from_db()
    assert run.lifecycle_stage == "active" and run.deleted_at is None


def test_a_deleted_experiment_cannot_be_renamed_but_its_description_can_change(fraud_team, alice):
    experiment = experiment_create(team=fraud_team, by=alice, name="Churn")
    experiment_delete(experiment=experiment, by=alice)
    with pytest.raises(ValidationError):
        experiment_update(experiment=experiment, by=alice, name="Other")
    experiment_update(experiment=experiment, by=alice, description="Kept for the audit")
    assert Experiment.objects.get(pk=experiment.pk).description == "Kept for the audit"


def test_the_run_note_is_mirrored_in_mlflows_note_tag(fraud_team, alice):
    experiment = experiment_create(team=fraud_team, by=alice, name="Churn")
    run = Run.objects.create(experiment=experiment)
    run_note_set(run=run, by=alice, note="Best so far")
    assert RunTag.objects.get(run=run, key="mlflow.note.content").value == "Best so far"
    run_note_set(run=run, by=alice, note="")
    assert not RunTag.objects.filter(run=run, key="mlflow.note.content").exists()
