"""The links the MLflow client prints ("View run at <URI>/#/experiments/5/runs/<id>") land on
Atrium's pages: the fragment never reaches the server, so the home page forwards it."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_navigation import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def run(fraud_team, alice):
    from apps.experiments.services.tracking import experiment_create, run_create

    experiment = experiment_create(team=fraud_team, name="Churn", by=alice)
    return run_create(experiment=experiment, by=alice, run_name="gbm-depth-3")


def test_mlflow_run_experiment_and_model_links_forward_to_atriums_pages(page, live_server, run, alice):
    sign_in(page, live_server, "alice")
    experiment = run.experiment

    page.goto(f"{live_server.url}/#/experiments/{experiment.pk}/runs/{run.uuid}")
    expect(page).to_have_url(f"{live_server.url}/experiments/runs/{run.uuid}/")
    expect(page.locator("h1, h2").first).to_contain_text("gbm-depth-3")

    page.goto(f"{live_server.url}/#/experiments/{experiment.pk}")
    expect(page).to_have_url(f"{live_server.url}/experiments/{experiment.pk}/")

    page.goto(f"{live_server.url}/#/models/wine%20classifier/versions/1")
    expect(page).to_have_url(re.compile(r"/models/\?q=wine(%20|\+)classifier$"))

    page.goto(f"{live_server.url}/#/not-mlflow")  # any other fragment stays on the home page
    expect(page).to_have_url(f"{live_server.url}/#/not-mlflow")


def test_a_signed_out_mlflow_link_signs_in_to_the_run(page, live_server, run, alice):
    """Signed out, the link goes through the sign-in page and then to the run, not the home page."""
    page.goto(f"{live_server.url}/#/experiments/{run.experiment.pk}/runs/{run.uuid}")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("input[name=next]")).to_have_value(f"/experiments/runs/{run.uuid}/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in")
    expect(page).to_have_url(f"{live_server.url}/experiments/runs/{run.uuid}/")
    expect(page.locator("h1, h2").first).to_contain_text("gbm-depth-3")
