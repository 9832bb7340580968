"""Experiments, runs and logged models in the data-officer admin: scoped, logged facts read-only."""

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from apps.experiments.models import Experiment, LoggedModel, Run
from apps.experiments.services.artifacts import artifact_store_bytes
from apps.experiments.services.tracking import experiment_create
from apps.experiments.tests.test_api import make_run

pytestmark = pytest.mark.django_db


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def with_inlines(client, url: str, data: dict) -> dict:
    """The form data plus the management forms of the page's (read-only) inlines, as a browser sends."""
    page = client.get(url)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management.initial.get(name, 0 if "MIN" in name else 1000)
    return data


@pytest.fixture
def officer(client, olivia):
    client.force_login(olivia)
    return client


@pytest.fixture
def fraud_run(fraud_team, alice):
    experiment = experiment_create(team=fraud_team, by=alice, name="Card fraud detection")
    return make_run(
        experiment,
        alice,
        name="gbm-depth-5",
        params={"max_depth": 5},
        metrics={"roc_auc": [0.93]},
        tags={"stage": "tuning"},
        git_commit="9f1c2d3e",
        seed=7,
        environment={"python": "3.11.9", "packages": {"scikit-learn": "1.9.1", "numpy": "2.3.1"}},
    )


@pytest.fixture
def platform_run(platform_team, bob):
    experiment = experiment_create(team=platform_team, by=bob, name="Warehouse forecast")
    return make_run(experiment, bob, name="prophet-weekly")


def test_the_officer_sees_her_teams_experiments_and_runs_only(officer, fraud_run, platform_run):
    experiments = officer.get(admin_url("experiments_experiment_changelist")).content.decode()
    assert "Card fraud detection" in experiments
    assert "Warehouse forecast" not in experiments
    runs = officer.get(admin_url("experiments_run_changelist")).content.decode()
    assert "gbm-depth-5" in runs
    assert "prophet-weekly" not in runs


def test_another_teams_run_and_its_history_are_out_of_reach(officer, platform_run):
    response = officer.get(admin_url("experiments_run_change", platform_run.pk))
    assert response.status_code == 302 and response.url == admin_url("index")
    assert officer.get(admin_url("experiments_run_history", platform_run.pk)).status_code == 404
    record = platform_run.history.first()
    revert = admin_url("experiments_run_simple_history", platform_run.pk, record.history_id)
    assert officer.post(revert, {"name": "stolen", "description": ""}).status_code == 404
    assert Run.objects.get(pk=platform_run.pk).name == "prophet-weekly"


def test_a_runs_page_shows_what_was_logged_read_only(officer, fraud_run):
    page = officer.get(admin_url("experiments_run_change", fraud_run.pk))
    assert page.status_code == 200
    body = page.content.decode()
    for logged in ("max_depth", "roc_auc", "stage", "tuning", "9f1c2d3e"):
        assert logged in body
    # Times and the environment for a person, not milliseconds or raw JSON.
    assert "numpy 2.3.1, scikit-learn 1.9.1" in body
    assert str(fraud_run.start_time) not in body
    assert "30 s" in body  # the duration
    # Params and tags are shown, never offered as inputs.
    assert 'name="params-0-key"' not in body
    assert 'name="tags-0-value"' not in body
    assert 'name="git_commit"' not in body


def test_the_officer_renames_a_run_and_notes_it_and_history_names_her(officer, olivia, fraud_run):
    url = admin_url("experiments_run_change", fraud_run.pk)
    data = {"name": "gbm (best)", "description": "Chosen for the canary.", "lifecycle_stage": "active"}
    response = officer.post(url, with_inlines(officer, url, data))
    assert response.status_code == 302, response.content.decode()[:2000]
    fraud_run.refresh_from_db()
    assert (fraud_run.name, fraud_run.description) == ("gbm (best)", "Chosen for the canary.")
    assert fraud_run.history.first().history_user == olivia
    assert fraud_run.status == "FINISHED" and fraud_run.seed == 7  # read-only fields kept


def test_the_officer_reverts_an_experiment_to_an_earlier_name(officer, olivia, fraud_run):
    experiment = fraud_run.experiment
    original = experiment.history.earliest("history_date")
    url = admin_url("experiments_experiment_change", experiment.pk)
    data = {"name": "Renamed", "visibility": "internal", "description": "", "lifecycle_stage": "active"}
    officer.post(url, with_inlines(officer, url, data))
    assert Experiment.objects.get(pk=experiment.pk).name == "Renamed"
    revert_url = admin_url("experiments_experiment_simple_history", experiment.pk, original.history_id)
    assert officer.get(revert_url).status_code == 200
    response = officer.post(
        revert_url,
        {
            "name": "Card fraud detection",
            "visibility": "private",
            "description": "",
            "lifecycle_stage": "active",
        },
    )
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert (experiment.name, experiment.visibility) == ("Card fraud detection", "private")
    assert experiment.history.first().history_user == olivia


def test_the_officer_creates_experiments_only_for_her_teams(officer, olivia, fraud_team, platform_team):
    form = officer.get(admin_url("experiments_experiment_add")).content.decode()
    assert "Fraud Analytics" in form and "Data Platform" not in form
    add = admin_url("experiments_experiment_add")
    data = {"name": "Sneaky", "team": platform_team.pk, "visibility": "private"}
    refused = officer.post(add, with_inlines(officer, add, data))
    assert refused.status_code == 200
    assert "team" in refused.context["adminform"].form.errors
    assert not Experiment.objects.filter(name="Sneaky").exists()
    data = {"name": "Chargebacks", "team": fraud_team.pk, "visibility": "private"}
    created = officer.post(add, with_inlines(officer, add, data))
    assert created.status_code == 302
    experiment = Experiment.objects.get(name="Chargebacks")
    assert experiment.created_by == olivia
    assert experiment.artifact_location == f"mlflow-artifacts:/{experiment.pk}"


def test_a_duplicate_experiment_name_in_the_team_is_an_error_on_the_form(officer, fraud_team, fraud_run):
    add = admin_url("experiments_experiment_add")
    data = {"name": "Card fraud detection", "team": fraud_team.pk, "visibility": "private"}
    response = officer.post(add, with_inlines(officer, add, data))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Experiment.objects.filter(name="Card fraud detection").count() == 1


def test_runs_cannot_be_added_in_the_admin(officer):
    assert officer.get(admin_url("experiments_run_add")).status_code == 403


def test_soft_delete_and_restore_actions_keep_history(officer, olivia, fraud_run):
    changelist = admin_url("experiments_experiment_changelist")
    experiment = fraud_run.experiment
    officer.post(changelist, {"action": "delete_softly", "_selected_action": [experiment.pk]})
    experiment.refresh_from_db()
    fraud_run.refresh_from_db()
    assert experiment.lifecycle_stage == "deleted" and fraud_run.lifecycle_stage == "deleted"
    officer.post(changelist, {"action": "restore", "_selected_action": [experiment.pk]})
    experiment.refresh_from_db()
    fraud_run.refresh_from_db()
    assert experiment.lifecycle_stage == "active" and fraud_run.lifecycle_stage == "active"
    assert experiment.history.first().history_user == olivia
    runs = admin_url("experiments_run_changelist")
    officer.post(runs, {"action": "delete_softly", "_selected_action": [fraud_run.pk]})
    fraud_run.refresh_from_db()
    assert fraud_run.lifecycle_stage == "deleted" and fraud_run.history.first().history_user == olivia


@pytest.mark.django_db(transaction=True)
def test_an_officers_hard_delete_removes_the_runs_files_from_storage(
    officer, fraud_run, alice, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    stored = artifact_store_bytes(run=fraud_run, path="model/MLmodel", content=b"flavors: {}", by=alice)
    assert default_storage.exists(stored.storage_name)
    response = officer.post(admin_url("experiments_run_delete", fraud_run.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Run.objects.filter(pk=fraud_run.pk).exists()
    assert not default_storage.exists(stored.storage_name)


def test_logged_models_are_read_only_for_the_officer(officer, fraud_run):
    model = LoggedModel.objects.create(experiment=fraud_run.experiment, name="gbm", source_run=fraud_run)
    page = officer.get(admin_url("experiments_loggedmodel_change", model.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert officer.get(admin_url("experiments_loggedmodel_add")).status_code == 403


def test_root_sees_every_teams_runs(client, root, fraud_run, platform_run):
    client.force_login(root)
    body = client.get(admin_url("experiments_run_changelist")).content.decode()
    assert "gbm-depth-5" in body and "prophet-weekly" in body


def test_the_run_changelist_runs_a_fixed_number_of_queries(
    officer, fraud_run, alice, django_assert_num_queries
):
    for index in range(20):
        make_run(fraud_run.experiment, alice, name=f"trial-{index}", index=index)
    # session, user, officer's teams, teams for the team filter, count (filtered and total),
    # the user's global permissions x2 (the admin's page context), one page of rows with experiment and user.
    with django_assert_num_queries(9):
        response = officer.get(admin_url("experiments_run_changelist"))
    assert response.status_code == 200
