"""Training in a browser: from a dataset's page to a trained run, then Reproduce, on a REAL worker.

alice opens the dataset, clicks "Train a model", picks the target and two features, switches
the estimator (htmx swaps the hyper-parameters), sets a seed and a new experiment, starts the
job, watches the progress bar finish, opens the run, reproduces it from the run page and sees
"Reproduced exactly" on the reproduction's job and run pages.
"""

import re

import pytest
from playwright.sync_api import expect

from apps.experiments.tests import training_data
from tests.browser.test_navigation import sign_in
from tests.worker import celery_worker  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

JOB_WAIT = 240_000  # ms: a hang guard for jobs on the worker, not a speed assertion

media = training_data.media
iris_version = training_data.iris_version


def test_alice_trains_a_model_from_the_dataset_page_and_reproduces_it(
    page,
    live_server,
    celery_worker,  # noqa: F811 - the fixture imported above
    media,
    iris_version,
    alice,
    shoot,
):
    celery_worker.start(env={"MEDIA_ROOT": str(media), "JOB_HEARTBEAT_SECONDS": "1"})
    sign_in(page, live_server, "alice")

    page.goto(f"{live_server.url}{iris_version.dataset.get_absolute_url()}")
    page.click("#train-model")
    expect(page.locator("#version-summary")).to_contain_text("Card transactions version 1")
    shoot("training-01-form")

    page.select_option("#id_target", "species")
    page.check("#feature-list input[value=petal_length]")
    page.check("#feature-list input[value=petal_width]")
    page.select_option("#id_estimator", "gradient_boosting")
    expect(page.locator("#id_param__learning_rate")).to_be_visible()  # htmx swapped the parameters
    page.fill("#id_param__n_estimators", "30")
    page.select_option("#id_validation_method", "kfold")
    expect(page.locator("#id_folds")).to_be_visible()
    page.fill("#id_folds", "3")
    page.fill("#id_seed", "2024")
    expect(page.locator("#id_new_experiment_name")).to_have_value("Card transactions models")
    page.fill("#id_new_experiment_name", "Iris species")
    page.fill("#id_run_name", "petals-only")
    shoot("training-02-filled")
    page.click("#start-training")

    expect(page).to_have_url(re.compile(r"/experiments/training/jobs/\d+/"))
    expect(page.locator("#training-job")).to_be_visible()
    shoot("training-03-progress")
    expect(page.locator("#training-job")).to_have_attribute("data-status", "succeeded", timeout=JOB_WAIT)
    expect(page.locator("#training-metrics")).to_contain_text("Accuracy")
    expect(page.locator("#open-run")).to_contain_text("petals-only")
    shoot("training-04-done")

    # The run page: its figures, and the Reproduce card.
    page.click("#open-run")
    expect(page).to_have_url(re.compile(r"/experiments/runs/\w+/"))
    expect(page.locator("#run-figures")).to_contain_text("plots/confusion_matrix.plotly.json")
    page.locator("#run-figures").scroll_into_view_if_needed()
    expect(page.locator("#run-figures .main-svg").first).to_be_visible()  # plotly drew the stored figures
    expect(page.locator("#reproduce")).to_be_visible()
    shoot("training-05-run")
    page.click("#reproduce-run")
    expect(page).to_have_url(re.compile(r"/experiments/training/jobs/\d+/"))
    expect(page.get_by_role("heading", name=re.compile("Reproducing petals-only"))).to_be_visible()
    expect(page.locator("#training-job")).to_have_attribute("data-status", "succeeded", timeout=JOB_WAIT)
    expect(page.locator("#reproduce-verdict").first).to_contain_text("Reproduced exactly")
    expect(page.locator("#reproduce-metrics")).to_contain_text("identical")
    shoot("training-06-reproduced")
    page.click("#open-run")
    expect(page.locator("#reproduce-verdict")).to_contain_text("Reproduced exactly")
    expect(page.locator("#reproduce-metrics")).to_contain_text("identical")
    shoot("training-07-reproduction-run")
