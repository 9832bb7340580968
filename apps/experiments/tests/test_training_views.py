"""Train a model: the form (choices from the version, errors by their fields), job progress, Reproduce."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.experiments.models import Experiment, Run
from apps.experiments.tests import training_data
from apps.experiments.tests.training_data import iris_spec
from apps.experiments.training import services
from apps.jobs.models import Job
from apps.jobs.services import job_run

pytestmark = pytest.mark.django_db

media = training_data.media
iris_version = training_data.iris_version
fraud_experiment = training_data.fraud_experiment
START = reverse("experiments:training:start")


def form_data(version, experiment, **changes) -> dict:
    data = {
        "version": version.pk,
        "target": "species",
        "task": "auto",
        "estimator": "decision_tree",
        "param__max_depth": "3",
        "param__min_samples_split": "2",
        "param__min_samples_leaf": "1",
        "param__class_weight": "",
        "validation_method": "holdout",
        "test_size": "0.25",
        "folds": "5",
        "seed": "11",
        "max_rows": "1000",
        "experiment": str(experiment.pk),
    }
    data.update(changes)
    return data


def test_the_form_offers_the_versions_columns_and_the_users_experiments(
    client, iris_version, fraud_experiment, alice
):
    client.force_login(alice)
    response = client.get(START, {"version": iris_version.pk})
    html = response.content.decode()
    assert response.status_code == 200
    for column in ("sepal_length", "petal_width", "species"):
        assert f'value="{column}"' in html
    assert "Iris models (Fraud Analytics)" in html and "A new experiment…" in html
    assert 'id="id_param__n_estimators"' in html  # random forest's parameters by default


def test_the_dataset_link_opens_its_latest_version(client, iris_version, alice):
    client.force_login(alice)
    response = client.get(START, {"dataset": iris_version.dataset_id})
    assert response.context["version"] == iris_version


def test_another_teams_private_version_is_like_a_missing_one(client, iris_version, bob):
    client.force_login(bob)
    hidden = client.get(START, {"version": iris_version.pk}).content.decode()
    missing = client.get(START, {"version": 999999}).content.decode()
    assert "No such dataset version, or you may not read it." in hidden
    assert "sepal_length" not in hidden and "Card transactions" not in hidden
    assert 'id="training-form"' not in hidden and 'id="training-form"' not in missing
    assert "No such dataset version, or you may not read it." in missing


def test_submitting_starts_a_job_and_its_page_shows_the_run(client, iris_version, fraud_experiment, alice):
    client.force_login(alice)
    response = client.post(START, form_data(iris_version, fraud_experiment))
    job = Job.objects.get(kind="experiments.train")
    assert response.status_code == 302 and response["Location"] == reverse(
        "experiments:training:job_detail", kwargs={"pk": job.pk}
    )
    assert job.params["spec"]["params"] == {
        "max_depth": 3,
        "min_samples_split": 2,
        "min_samples_leaf": 1,
        "class_weight": None,
    }
    page = client.get(response["Location"]).content.decode()
    assert "Waiting for a worker" in page and "every 1s" in page
    job_run(job_id=job.pk)
    progress = client.get(
        reverse("experiments:training:job_progress", kwargs={"pk": job.pk}), headers={"HX-Request": "true"}
    )
    html = progress.content.decode()
    run = Run.objects.get(training_job=job)
    assert "every 1s" not in html and "Accuracy" in html and f"Open the run {run.name}" in html
    assert progress["HX-Refresh"] == "true"  # the page reloads to show the Reproduce card


def test_errors_stand_beside_their_fields(client, iris_version, fraud_experiment, alice):
    client.force_login(alice)
    data = form_data(
        iris_version, fraud_experiment, param__max_depth="0", test_size="0.9", features=["species"]
    )
    response = client.post(START, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["param__max_depth"] == [
        "Out of range: enter a whole number ≥ 1 and ≤ 100, or empty for unlimited."
    ]
    assert form.errors["test_size"] == ["Enter the held-out fraction from 0.05 to 0.5 (e.g. 0.2 for 20%)."]
    assert not Job.objects.exists()
    response = client.post(
        START, form_data(iris_version, fraud_experiment, features=["species", "petal_width"])
    )
    assert response.context["form"].errors["features"] == [
        "The target column species cannot also be a feature."
    ]


def test_a_search_is_built_from_the_values_to_try(client, iris_version, fraud_experiment, alice):
    client.force_login(alice)
    data = form_data(
        iris_version, fraud_experiment, search_method="grid", search__max_depth="2, 4", search_folds="3"
    )
    client.post(START, data)
    spec = Job.objects.get().params["spec"]
    assert spec["search"] == {"method": "grid", "space": {"max_depth": [2, 4]}, "folds": 3}
    assert "max_depth" not in spec["params"]
    bad = form_data(iris_version, fraud_experiment, search_method="random", search__max_depth="9..2")
    response = client.post(START, bad)
    assert response.context["form"].errors["search__max_depth"] == ["Give a range with min below max."]


def test_a_new_experiment_needs_a_name_and_is_made_with_the_job(client, iris_version, fraud_team, alice):
    client.force_login(alice)
    data = form_data(iris_version, type("E", (), {"pk": "new"})(), new_experiment_team=str(fraud_team.pk))
    response = client.post(START, data)
    assert response.context["form"].errors["new_experiment_name"] == ["Give the new experiment a name."]
    client.post(START, {**data, "new_experiment_name": "Flowers"})
    assert Experiment.objects.get(name="Flowers").team == fraud_team
    assert Job.objects.get().team == fraud_team


def test_the_params_partial_follows_the_estimator(client, alice):
    client.force_login(alice)
    html = client.get(
        reverse("experiments:training:params"), {"estimator": "svm", "task": "regression"}
    ).content.decode()
    assert 'name="param__epsilon"' in html and 'name="param__class_weight"' not in html
    html = client.get(
        reverse("experiments:training:params"), {"estimator": "svm", "task": "classification"}
    ).content.decode()
    assert 'name="param__epsilon"' not in html and 'name="param__class_weight"' in html
    html = client.get(
        reverse("experiments:training:params"), {"estimator": "linear_regression"}
    ).content.decode()
    assert 'name="param__fit_intercept"' in html


def test_the_versions_partial_lists_only_visible_versions(client, iris_version, alice, bob):
    url = reverse("experiments:training:versions")
    client.force_login(alice)
    assert (
        f'value="{iris_version.pk}"' in client.get(url, {"dataset": iris_version.dataset_id}).content.decode()
    )
    client.force_login(bob)
    assert (
        f'value="{iris_version.pk}"'
        not in client.get(url, {"dataset": iris_version.dataset_id}).content.decode()
    )


def test_reproduce_from_the_run_page(client, iris_version, fraud_experiment, alice):
    job = services.training_start(data=iris_spec(iris_version, fraud_experiment), by=alice)
    job_run(job_id=job.pk)
    run = Run.objects.get(training_job=job)
    client.force_login(alice)
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = alice
    panel = Template('{% include "experiments/training/_reproduce.html" %}').render(
        Context({"run": run, "request": request, "csrf_token": "t"})
    )
    assert 'id="reproduce-run"' in panel
    response = client.post(reverse("experiments:training:reproduce", kwargs={"uuid": run.uuid}))
    reproduce_job = Job.objects.get(kind="experiments.reproduce")
    assert response["Location"] == reverse("experiments:training:job_detail", kwargs={"pk": reproduce_job.pk})
    job_run(job_id=reproduce_job.pk)
    again = Run.objects.get(training_job=reproduce_job)
    page = client.get(response["Location"]).content.decode()
    assert "Reproduced exactly" in page
    panel = Template('{% include "experiments/training/_reproduce.html" %}').render(
        Context({"run": again, "request": request, "csrf_token": "t"})
    )
    assert "Reproduced exactly" in panel and 'id="reproduce-metrics"' in panel


def test_reproduce_refusals_come_back_as_a_message(client, iris_version, fraud_experiment, alice):
    from apps.experiments.services.tracking import run_create

    logged = run_create(experiment=fraud_experiment, by=alice, run_name="notebook")
    client.force_login(alice)
    response = client.post(
        reverse("experiments:training:reproduce", kwargs={"uuid": logged.uuid}), follow=True
    )
    assert "Only runs trained by Atrium can be reproduced here" in response.content.decode()


def test_the_dataset_page_links_to_training(client, iris_version, alice):
    client.force_login(alice)
    html = client.get(iris_version.dataset.get_absolute_url()).content.decode()
    assert f"{START}?dataset={iris_version.dataset_id}" in html


def test_the_generic_job_page_shows_a_training_job(client, iris_version, fraud_experiment, alice):
    job = services.training_start(data=iris_spec(iris_version, fraud_experiment), by=alice)
    client.force_login(alice)
    response = client.get(job.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert "Iris models" in body
    # The spec reads as a summary, never as raw JSON.
    assert dict(response.context["params_items"]) == {
        "Dataset version": job.params["dataset"],
        "Target": "species (auto)",
        "Features (4)": "sepal_length, sepal_width, petal_length, petal_width",
        "Estimator": "Random forest",
        "Hyper-parameters": "n_estimators=20, max_depth=4, min_samples_split=2, min_samples_leaf=1, "
        "max_features=sqrt, bootstrap=True",
        "Validation": "25% held out",
        "Seed": "7",
        "Rows read at most": f"{job.params['spec']['max_rows']:,}",
    }
    assert "&quot;dataset_version&quot;" not in body and '"spec"' not in body


def test_the_job_page_lists_hyper_parameters_in_the_estimators_order(
    client, iris_version, fraud_experiment, alice
):
    job = services.training_start(data=iris_spec(iris_version, fraud_experiment), by=alice)
    declared = list(job.params["spec"]["params"])
    # As PostgreSQL's jsonb may hand the spec back: keys in another order.
    job.params["spec"]["params"] = dict(reversed(job.params["spec"]["params"].items()))
    job.save(update_fields=["params"])
    client.force_login(alice)
    html = client.get(reverse("experiments:training:job_detail", kwargs={"pk": job.pk})).content.decode()
    card = html[html.index('id="training-spec"') :]
    card = card[: card.index("</dl>")]
    shown = sorted(declared, key=lambda name: card.index(f"<code>{name}</code>"))
    assert (
        shown
        == declared
        == ["n_estimators", "max_depth", "min_samples_split", "min_samples_leaf", "max_features", "bootstrap"]
    )


def test_the_generic_job_page_summarises_a_search_and_k_fold(client, iris_version, fraud_experiment, alice):
    from apps.experiments.training.jobs import training_params_items

    features = [f"column_{index}" for index in range(15)]
    spec = {
        **iris_spec(iris_version, fraud_experiment),
        "features": features,
        "validation": {"method": "kfold", "folds": 5},
        "search": {
            "method": "random",
            "space": {"max_depth": [2, 4], "n_estimators": [10, 20]},
            "n_iter": 4,
            "folds": 3,
        },
    }
    items = dict(training_params_items({"spec": spec, "reproduce_of": "ab" * 16, "run_name": "rf-1"}))
    assert items["Reproduces"] == "rf-1"
    assert items["Features (15)"] == ", ".join(features[:12]) + " and 3 more"
    assert items["Validation"] == "5-fold cross-validation"
    assert items["Search"] == "random search over max_depth, n_estimators, 4 tries, 3-fold"


def test_the_run_page_offers_reproduce(client, iris_version, fraud_experiment, alice, ann):
    job = services.training_start(data=iris_spec(iris_version, fraud_experiment), by=alice)
    job_run(job_id=job.pk)
    run = Run.objects.get(training_job=job)
    client.force_login(alice)
    html = client.get(run.get_absolute_url()).content.decode()
    assert 'id="reproduce-run"' in html
    client.force_login(ann)  # an analyst sees the run but may not run jobs
    assert 'id="reproduce-run"' not in client.get(run.get_absolute_url()).content.decode()
